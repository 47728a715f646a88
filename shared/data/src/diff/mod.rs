//! Differences between two dataset versions (`diff_version: 1`): schema changes, row counts,
//! per-column changed / nulled / filled cells, statistic deltas, rows removed per step and a
//! bounded sample of changed rows.
//!
//! Rows are aligned by the hidden source-row number for a transform (computed while applying),
//! by key columns when given, else by position. A diff only reads frames; it never changes them.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{DataError, Result};
use crate::recipe::validate::logical_type_of;
use crate::schema::LogicalType;
use crate::transform::{SOURCE_ROW, equal_cells, json_value, statistics};

/// Version of the diff document.
pub const DIFF_VERSION: u32 = 1;

/// Rows listed in a diff's sample at most.
pub const SAMPLE_ROWS: usize = 20;

/// The difference between a version (before) and another (after).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffReport {
    /// Always [`DIFF_VERSION`].
    pub diff_version: u32,
    /// How rows were paired.
    pub alignment: Alignment,
    /// Rows before.
    pub rows_before: u64,
    /// Rows after.
    pub rows_after: u64,
    /// Rows of before with no partner in after.
    pub rows_removed: u64,
    /// Rows of after with no partner in before.
    pub rows_added: u64,
    /// Column additions, removals, renames and type changes.
    pub schema: SchemaChanges,
    /// Cell changes per column present on both sides (after-side name), for paired rows.
    pub columns: Vec<ColumnChange>,
    /// Rows removed by each recipe step (transforms only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows_removed_by_step: Vec<StepRows>,
    /// Up to [`SAMPLE_ROWS`] paired rows with at least one changed cell, in row order.
    pub changed_rows_sample: Vec<RowChange>,
    /// Up to [`SAMPLE_ROWS`] labels of removed rows, in row order.
    pub removed_rows_sample: Vec<BTreeMap<String, Value>>,
}

/// How rows were paired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Alignment {
    /// By the source row number carried through a transform.
    SourceRow,
    /// By equal values of key columns.
    Key {
        /// The key columns.
        columns: Vec<String>,
    },
    /// By row position.
    Position,
}

/// Schema differences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SchemaChanges {
    /// Columns only in after.
    pub added: Vec<ColumnType>,
    /// Columns only in before.
    pub removed: Vec<ColumnType>,
    /// Columns whose name changed (known through a transform's lineage).
    pub renamed: Vec<Renamed>,
    /// Columns whose storage type changed.
    pub retyped: Vec<Retyped>,
}

/// A column and its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnType {
    /// Column name.
    pub name: String,
    /// Its logical type (null when the engine does not know the storage type).
    pub logical_type: Option<LogicalType>,
}

/// A renamed column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Renamed {
    /// Name before.
    pub from: String,
    /// Name after.
    pub to: String,
}

/// A column whose type changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retyped {
    /// Column name (after).
    pub column: String,
    /// Type before.
    pub from: Option<LogicalType>,
    /// Type after.
    pub to: Option<LogicalType>,
}

/// Cell changes and statistic deltas of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnChange {
    /// Name after.
    pub column: String,
    /// Name before (differs when renamed).
    pub source: String,
    /// Non-null cells whose value changed.
    pub changed: u64,
    /// Cells that had a value and became null.
    pub nulled: u64,
    /// Cells that were null and got a value.
    pub filled: u64,
    /// Null counts over all rows of each side.
    pub null_count_before: u64,
    /// Null count after.
    pub null_count_after: u64,
    /// Statistic deltas for columns numeric on both sides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric: Option<NumericDelta>,
}

/// Numeric statistics of one column on each side (over all rows of that side).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericDelta {
    /// Mean before.
    pub mean_before: Option<f64>,
    /// Mean after.
    pub mean_after: Option<f64>,
    /// Sample standard deviation before.
    pub std_before: Option<f64>,
    /// Sample standard deviation after.
    pub std_after: Option<f64>,
    /// Minimum before.
    pub min_before: Option<f64>,
    /// Minimum after.
    pub min_after: Option<f64>,
    /// Maximum before.
    pub max_before: Option<f64>,
    /// Maximum after.
    pub max_after: Option<f64>,
}

/// Rows one step removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRows {
    /// Zero-based step index.
    pub step: usize,
    /// The step's operation.
    pub op: String,
    /// Rows it removed.
    pub rows_removed: u64,
}

/// One changed row of the sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowChange {
    /// What identifies the row: `source_row`, the key columns, or `position`.
    pub row: BTreeMap<String, Value>,
    /// Changed cells by after-side column name.
    pub cells: BTreeMap<String, CellChange>,
}

/// A cell's value on each side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellChange {
    /// Value before.
    pub before: Value,
    /// Value after.
    pub after: Value,
}

fn logical(frame: &DataFrame, name: &str) -> Option<LogicalType> {
    frame
        .column(name)
        .ok()
        .and_then(|c| logical_type_of(c.dtype()))
}

/// The diff of a transform: `before` is the input with [`SOURCE_ROW`] added, `after` the
/// output still carrying it, `lineage` maps each output column to its input column.
pub fn of_transform(
    before: &DataFrame,
    after: &DataFrame,
    lineage: &[(String, Option<String>)],
    rows_removed_by_step: Vec<StepRows>,
) -> Result<DiffReport> {
    let ids = after
        .column(SOURCE_ROW)?
        .as_materialized_series()
        .idx()?
        .clone();
    // Steps keep row order and never add rows, so equal heights mean ids 0..n: no gather needed.
    let paired_before = if before.height() == after.height() {
        before.clone()
    } else {
        before.take(&ids)?
    };
    let mut pairs = Vec::new();
    let mut schema = SchemaChanges::default();
    for (name, source) in lineage {
        match source {
            Some(source) => {
                if source != name {
                    schema.renamed.push(Renamed {
                        from: source.clone(),
                        to: name.clone(),
                    });
                }
                pairs.push((source.clone(), name.clone()));
            }
            None => schema.added.push(ColumnType {
                name: name.clone(),
                logical_type: logical(after, name),
            }),
        }
    }
    for name in before.get_column_names() {
        if name.as_str() != SOURCE_ROW
            && !lineage
                .iter()
                .any(|(_, s)| s.as_deref() == Some(name.as_str()))
        {
            schema.removed.push(ColumnType {
                name: name.to_string(),
                logical_type: logical(before, name),
            });
        }
    }
    let labels = |position: usize| -> BTreeMap<String, Value> {
        let value = ids.get(position).map_or(Value::Null, Value::from);
        BTreeMap::from([("source_row".to_owned(), value)])
    };
    let mut present = vec![false; before.height()];
    for id in ids.into_no_null_iter() {
        if let Some(slot) = present.get_mut(id as usize) {
            *slot = true;
        }
    }
    let removed_rows_sample = present
        .iter()
        .enumerate()
        .filter(|(_, kept)| !**kept)
        .take(SAMPLE_ROWS)
        .map(|(row, _)| BTreeMap::from([("source_row".to_owned(), Value::from(row))]))
        .collect();
    let mut report = compare(
        before,
        after,
        &paired_before,
        after,
        &pairs,
        &labels,
        schema,
    )?;
    report.alignment = Alignment::SourceRow;
    report.rows_removed = (before.height() - after.height()) as u64;
    report.rows_removed_by_step = rows_removed_by_step;
    report.removed_rows_sample = removed_rows_sample;
    Ok(report)
}

/// A standalone diff of two datasets, aligned by `key` columns when given, else by position.
/// Columns are matched by name (a rename shows as a removal and an addition).
pub fn diff_frames(before: &DataFrame, after: &DataFrame, key: &[String]) -> Result<DiffReport> {
    let mut schema = SchemaChanges::default();
    let mut pairs = Vec::new();
    for name in after.get_column_names() {
        if before.column(name).is_ok() {
            pairs.push((name.to_string(), name.to_string()));
        } else {
            schema.added.push(ColumnType {
                name: name.to_string(),
                logical_type: logical(after, name),
            });
        }
    }
    for name in before.get_column_names() {
        if after.column(name).is_err() {
            schema.removed.push(ColumnType {
                name: name.to_string(),
                logical_type: logical(before, name),
            });
        }
    }
    if key.is_empty() {
        let n = before.height().min(after.height());
        let (b, a) = (before.slice(0, n), after.slice(0, n));
        let labels =
            |position: usize| BTreeMap::from([("position".to_owned(), Value::from(position))]);
        let mut report = compare(before, after, &b, &a, &pairs, &labels, schema)?;
        report.rows_removed = (before.height() - n) as u64;
        report.rows_added = (after.height() - n) as u64;
        report.removed_rows_sample = (n..before.height())
            .take(SAMPLE_ROWS)
            .map(|p| BTreeMap::from([("position".to_owned(), Value::from(p))]))
            .collect();
        return Ok(report);
    }
    let (ib, ia) = key_pairs(before, after, key)?;
    let b = before.take(&ib)?;
    let a = after.take(&ia)?;
    let label_frame = b.select(key.iter().map(String::as_str))?;
    let labels = |position: usize| -> BTreeMap<String, Value> {
        key.iter()
            .map(|k| {
                let v = label_frame
                    .column(k)
                    .ok()
                    .and_then(|c| c.get(position).ok());
                (k.clone(), v.map_or(Value::Null, |v| json_value(&v)))
            })
            .collect()
    };
    let mut report = compare(before, after, &b, &a, &pairs, &labels, schema)?;
    report.alignment = Alignment::Key {
        columns: key.to_vec(),
    };
    report.rows_removed = (before.height() - b.height()) as u64;
    report.rows_added = (after.height() - a.height()) as u64;
    let mut matched = vec![false; before.height()];
    for i in ib.into_no_null_iter() {
        if let Some(slot) = matched.get_mut(i as usize) {
            *slot = true;
        }
    }
    let keys = before.select(key.iter().map(String::as_str))?;
    report.removed_rows_sample = matched
        .iter()
        .enumerate()
        .filter(|(_, m)| !**m)
        .take(SAMPLE_ROWS)
        .map(|(row, _)| {
            key.iter()
                .map(|k| {
                    let v = keys.column(k).ok().and_then(|c| c.get(row).ok());
                    (k.clone(), v.map_or(Value::Null, |v| json_value(&v)))
                })
                .collect()
        })
        .collect();
    Ok(report)
}

/// Row indices of before and after that share a key, ordered by before's row order.
fn key_pairs(before: &DataFrame, after: &DataFrame, key: &[String]) -> Result<(IdxCa, IdxCa)> {
    for (side, frame) in [("before", before), ("after", after)] {
        for k in key {
            if frame.column(k).is_err() {
                return Err(DataError::DiffKey {
                    reason: format!("{side} has no column '{k}'"),
                });
            }
        }
        let distinct = frame
            .select(key.iter().map(String::as_str))?
            .lazy()
            .unique(None, UniqueKeepStrategy::Any)
            .collect()?
            .height();
        if distinct != frame.height() {
            return Err(DataError::DiffKey {
                reason: format!(
                    "{side} has {} row(s) whose key ({}) repeats another row's",
                    frame.height() - distinct,
                    key.join(", ")
                ),
            });
        }
    }
    for k in key {
        let (tb, ta) = (before.column(k)?.dtype(), after.column(k)?.dtype());
        if tb != ta {
            return Err(DataError::DiffKey {
                reason: format!("key column '{k}' is {tb} before and {ta} after"),
            });
        }
    }
    let side = |frame: &DataFrame, index: &str| -> Result<LazyFrame> {
        Ok(frame
            .select(key.iter().map(String::as_str))?
            .lazy()
            .with_row_index(index, None))
    };
    let on: Vec<Expr> = key.iter().map(|k| col(k.as_str())).collect();
    let joined = side(before, "__ida_before")?
        .join(
            side(after, "__ida_after")?,
            on.clone(),
            on,
            JoinArgs::new(JoinType::Inner),
        )
        .sort(["__ida_before"], SortMultipleOptions::default())
        .collect()?;
    Ok((
        joined
            .column("__ida_before")?
            .as_materialized_series()
            .idx()?
            .clone(),
        joined
            .column("__ida_after")?
            .as_materialized_series()
            .idx()?
            .clone(),
    ))
}

fn numeric_delta(before: &Series, after: &Series) -> Result<Option<NumericDelta>> {
    if !(before.dtype().is_primitive_numeric() && after.dtype().is_primitive_numeric()) {
        return Ok(None);
    }
    let (vb, va) = (
        statistics::finite_values(before)?,
        statistics::finite_values(after)?,
    );
    let min = |v: &[f64]| v.iter().copied().reduce(f64::min);
    let max = |v: &[f64]| v.iter().copied().reduce(f64::max);
    Ok(Some(NumericDelta {
        mean_before: statistics::mean(&vb),
        mean_after: statistics::mean(&va),
        std_before: statistics::sample_std(&vb),
        std_after: statistics::sample_std(&va),
        min_before: min(&vb),
        min_after: min(&va),
        max_before: max(&vb),
        max_after: max(&va),
    }))
}

/// Compares paired rows column by column. `whole_*` are the full frames (for null counts and
/// statistics), `paired_*` the aligned rows.
fn compare(
    whole_before: &DataFrame,
    whole_after: &DataFrame,
    paired_before: &DataFrame,
    paired_after: &DataFrame,
    pairs: &[(String, String)],
    labels: &dyn Fn(usize) -> BTreeMap<String, Value>,
    mut schema: SchemaChanges,
) -> Result<DiffReport> {
    let mut any_change: Option<BooleanChunked> = None;
    let mut columns = Vec::new();
    let mut differing: Vec<(String, Series, Series, BooleanChunked)> = Vec::new();
    for (source, name) in pairs {
        let wb = whole_before.column(source)?.as_materialized_series();
        let wa = whole_after.column(name)?.as_materialized_series();
        if wb.dtype() != wa.dtype() {
            schema.retyped.push(Retyped {
                column: name.clone(),
                from: logical_type_of(wb.dtype()),
                to: logical_type_of(wa.dtype()),
            });
        }
        let b = paired_before
            .column(source)?
            .as_materialized_series()
            .clone();
        let a = paired_after.column(name)?.as_materialized_series().clone();
        let same = equal_cells(&b, &a)?;
        let (bn, an) = (b.is_null(), a.is_null());
        let mut change = ColumnChange {
            column: name.clone(),
            source: source.clone(),
            changed: 0,
            nulled: 0,
            filled: 0,
            null_count_before: wb.null_count() as u64,
            null_count_after: wa.null_count() as u64,
            numeric: numeric_delta(wb, wa)?,
        };
        // Counted with bitmap operations: a row loop here would dominate a large apply.
        // equal_missing never yields null, so `!same` marks exactly the differing cells.
        let differs_mask = !&same;
        let count = |mask: &BooleanChunked| mask.sum().unwrap_or(0) as u64;
        let differing_cells = count(&differs_mask);
        if differing_cells > 0 {
            change.nulled = count(&(&(!&bn) & &an));
            change.filled = count(&(&bn & &(!&an)));
            change.changed = differing_cells - change.nulled - change.filled;
            any_change = Some(match any_change {
                Some(previous) => &previous | &differs_mask,
                None => differs_mask,
            });
            differing.push((name.clone(), b, a, same));
        }
        columns.push(change);
    }
    let mut changed_rows_sample = Vec::new();
    let changed_rows = any_change.map_or_else(Vec::new, |mask| {
        mask.iter()
            .enumerate()
            .filter(|(_, c)| *c == Some(true))
            .map(|(r, _)| r)
            .take(SAMPLE_ROWS)
            .collect::<Vec<_>>()
    });
    for row in changed_rows {
        let mut cells = BTreeMap::new();
        for (name, b, a, same) in &differing {
            if same.get(row) != Some(true) {
                cells.insert(
                    name.clone(),
                    CellChange {
                        before: json_value(&b.get(row)?),
                        after: json_value(&a.get(row)?),
                    },
                );
            }
        }
        changed_rows_sample.push(RowChange {
            row: labels(row),
            cells,
        });
    }
    Ok(DiffReport {
        diff_version: DIFF_VERSION,
        alignment: Alignment::Position,
        rows_before: whole_before.height() as u64,
        rows_after: whole_after.height() as u64,
        rows_removed: 0,
        rows_added: 0,
        schema,
        columns,
        rows_removed_by_step: Vec::new(),
        changed_rows_sample,
        removed_rows_sample: Vec::new(),
    })
}
