//! Applying a validated recipe to a typed frame: each step runs as polars expressions, its
//! impact (rows and cells affected, nulls and mean/std before and after, the statistics it
//! used) is measured on the real data, and the diff against the input is computed on the way.
//!
//! The result is deterministic: the same input and recipe give the same frame and, through
//! `version`, byte-identical Parquet on any machine and thread count. This module never
//! validates less than `recipe::validate` does, and never writes wall-clock values.

pub mod ops;
pub mod statistics;
pub mod version;

use polars::prelude::*;

use crate::diff::{self, DiffReport};
use crate::error::{DataError, Result};
use crate::recipe::validate::ColumnTypes;
use crate::recipe::{NumericShift, Operation, Recipe, StepImpact, validate};

pub use version::{
    ENGINE_VERSION, Provenance, apply_parquet_bytes, read_provenance, write_version,
};

/// The hidden column carrying each row's position in the input through the steps. It is
/// never written into the output columns.
pub const SOURCE_ROW: &str = "__ida_source_row";

/// The result of applying a recipe.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The output frame (user columns only).
    pub frame: DataFrame,
    /// The recipe with every step's `impact` filled in.
    pub recipe: Recipe,
    /// The diff of the output against the input.
    pub diff: DiffReport,
}

/// Checks the recipe against the frame's columns without touching the data.
pub fn check(frame: &DataFrame, recipe: &Recipe) -> Result<ColumnTypes> {
    let (types, unsupported) = ColumnTypes::from_polars(frame.schema());
    if let Some(name) = unsupported.first() {
        let dtype = frame
            .column(name)
            .map(|c| c.dtype().to_string())
            .unwrap_or_default();
        return Err(DataError::UnsupportedColumnType {
            column: name.clone(),
            dtype,
        });
    }
    validate(recipe, &types).map_err(|problems| DataError::RecipeInvalid { problems })
}

/// Validates, then applies every step in order, measuring each step's impact.
pub fn apply(input: &DataFrame, recipe: &Recipe) -> Result<Applied> {
    check(input, recipe)?;
    let mut frame = input
        .clone()
        .lazy()
        .with_row_index(SOURCE_ROW, None)
        .collect()?;
    let numbered = frame.clone();
    // Current column name -> input column name (None for columns a step created).
    let mut lineage: Vec<(String, Option<String>)> = input
        .get_column_names()
        .into_iter()
        .map(|n| (n.to_string(), Some(n.to_string())))
        .collect();
    let mut applied = recipe.clone();
    let mut removed_by_step = Vec::new();
    for (index, step) in applied.steps.iter_mut().enumerate() {
        let context = ops::StepContext {
            index,
            op: step.operation.name(),
        };
        let before = frame;
        let (after, output) = ops::apply_operation(before.clone(), &step.operation, &context)?;
        let impact = measure(&before, &after, &step.operation, output)?;
        removed_by_step.push(diff::StepRows {
            step: index,
            op: step.operation.name().to_owned(),
            rows_removed: impact.rows_removed,
        });
        step.impact = Some(impact);
        lineage = follow(&lineage, &after, &step.operation);
        frame = after;
    }
    let diff = diff::of_transform(&numbered, &frame, &lineage, removed_by_step)?;
    let output = frame.drop(SOURCE_ROW)?;
    Ok(Applied {
        frame: output,
        recipe: applied,
        diff,
    })
}

fn follow(
    lineage: &[(String, Option<String>)],
    after: &DataFrame,
    operation: &Operation,
) -> Vec<(String, Option<String>)> {
    let renamed_from = |name: &str| -> String {
        if let Operation::Rename { mapping } = operation {
            for (old, new) in mapping {
                if new == name {
                    return old.clone();
                }
            }
        }
        name.to_owned()
    };
    after
        .get_column_names()
        .into_iter()
        .filter(|n| n.as_str() != SOURCE_ROW)
        .map(|n| {
            let previous = renamed_from(n.as_str());
            let source = lineage
                .iter()
                .find(|(current, _)| *current == previous)
                .and_then(|(_, source)| source.clone());
            (n.to_string(), source)
        })
        .collect()
}

fn measure(
    before: &DataFrame,
    after: &DataFrame,
    operation: &Operation,
    output: ops::StepOutput,
) -> Result<StepImpact> {
    let names = |f: &DataFrame| -> Vec<String> {
        f.get_column_names()
            .into_iter()
            .filter(|n| n.as_str() != SOURCE_ROW)
            .map(|n| n.to_string())
            .collect()
    };
    let (before_names, after_names) = (names(before), names(after));
    let renamed: Vec<&String> = match operation {
        Operation::Rename { mapping } => mapping.values().collect(),
        _ => Vec::new(),
    };
    let columns_added: Vec<String> = after_names
        .iter()
        .filter(|n| !before_names.contains(n) && !renamed.contains(n))
        .cloned()
        .collect();
    let columns_removed: Vec<String> = before_names
        .iter()
        .filter(|n| {
            !after_names.contains(n)
                && !matches!(operation, Operation::Rename { mapping } if mapping.contains_key(n.as_str()))
        })
        .cloned()
        .collect();
    let rows_before = before.height() as u64;
    let rows_after = after.height() as u64;
    let rows_removed = rows_before.saturating_sub(rows_after);
    let mut impact = StepImpact {
        rows_before,
        rows_after,
        rows_removed,
        columns_added,
        columns_removed,
        statistics: output.statistics,
        ..StepImpact::default()
    };
    let row_step = rows_removed > 0 || before.height() != after.height();
    let watched: Vec<String> = if row_step || output.touched.is_empty() {
        match operation {
            Operation::DropNulls {
                subset: Some(s), ..
            }
            | Operation::Deduplicate {
                subset: Some(s), ..
            } => s.clone(),
            Operation::DropColumns { .. }
            | Operation::Rename { .. }
            | Operation::DropConstantColumns { .. } => Vec::new(),
            _ => after_names.clone(),
        }
    } else {
        output.touched.clone()
    };
    if row_step {
        impact.cells_affected = rows_removed * before_names.len() as u64;
    } else if let Operation::OneHot { .. } = operation {
        // Every cell of the encoded column is replaced by its indicators.
        impact.cells_affected = rows_before;
    }
    for name in &watched {
        let was = before
            .column(name)
            .ok()
            .map(|c| c.as_materialized_series().clone());
        let now = after
            .column(name)
            .ok()
            .map(|c| c.as_materialized_series().clone());
        if let Some(was) = &was {
            impact
                .nulls_before
                .insert(name.clone(), was.null_count() as u64);
        }
        if let Some(now) = &now {
            impact
                .nulls_after
                .insert(name.clone(), now.null_count() as u64);
        }
        if !row_step && let (Some(was), Some(now)) = (&was, &now) {
            impact.cells_affected += changed_cells(was, now)?;
        }
        let numeric =
            |s: &Option<Series>| s.as_ref().is_some_and(|s| s.dtype().is_primitive_numeric());
        if numeric(&was) || numeric(&now) {
            let stats = |s: &Option<Series>| -> Result<(Option<f64>, Option<f64>)> {
                match s {
                    Some(s) if s.dtype().is_primitive_numeric() => {
                        let v = statistics::finite_values(s)?;
                        Ok((statistics::mean(&v), statistics::sample_std(&v)))
                    }
                    _ => Ok((None, None)),
                }
            };
            let (mean_before, std_before) = stats(&was)?;
            let (mean_after, std_after) = stats(&now)?;
            impact.numeric.insert(
                name.clone(),
                NumericShift {
                    mean_before,
                    mean_after,
                    std_before,
                    std_after,
                },
            );
        }
    }
    Ok(impact)
}

/// Cells that differ between two aligned columns, nulls compared as values (see
/// [`equal_cells`] for columns of different types).
pub fn changed_cells(before: &Series, after: &Series) -> Result<u64> {
    let same = equal_cells(before, after)?;
    Ok((same.len() - same.sum().unwrap_or(0) as usize) as u64)
}

/// Null-aware element-wise equality of two aligned columns. Numbers compare by value across
/// numeric types (an integer 37 imputed into a float column is still 37); other columns of
/// different types compare through their text form.
pub fn equal_cells(before: &Series, after: &Series) -> Result<BooleanChunked> {
    if before.dtype() == after.dtype() {
        Ok(before.equal_missing(after)?)
    } else if before.dtype().is_primitive_numeric() && after.dtype().is_primitive_numeric() {
        let a = before.cast(&DataType::Float64)?;
        let b = after.cast(&DataType::Float64)?;
        Ok(a.equal_missing(&b)?)
    } else {
        let a = before.cast(&DataType::String)?;
        let b = after.cast(&DataType::String)?;
        Ok(a.equal_missing(&b)?)
    }
}

/// A cell value as JSON, for impacts and diff samples.
pub fn json_value(value: &AnyValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::Int8(v) => Value::from(*v),
        AnyValue::Int16(v) => Value::from(*v),
        AnyValue::Int32(v) => Value::from(*v),
        AnyValue::Int64(v) => Value::from(*v),
        AnyValue::UInt8(v) => Value::from(*v),
        AnyValue::UInt16(v) => Value::from(*v),
        AnyValue::UInt32(v) => Value::from(*v),
        AnyValue::UInt64(v) => Value::from(*v),
        AnyValue::Float32(v) => {
            serde_json::Number::from_f64(f64::from(*v)).map_or(Value::Null, Value::Number)
        }
        AnyValue::Float64(v) => serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number),
        AnyValue::String(s) => Value::String((*s).to_owned()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        other => Value::String(other.to_string()),
    }
}
