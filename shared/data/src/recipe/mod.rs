//! Cleaning recipes: the versioned JSON document (`recipe_version: 1`) of ordered steps, its
//! parsing, canonical form and hash, the row-filter predicate language and static validation.
//!
//! This module only describes and checks recipes; it never touches data (applying lives in
//! `crate::transform`). A recipe that fails validation must never reach the engine.

pub mod predicate;
pub mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{DataError, Result};
use crate::schema::LogicalType;

pub use validate::{ColumnTypes, RecipeProblem, validate};

/// Version of the recipe document understood by this engine.
pub const RECIPE_VERSION: u32 = 1;

/// A cleaning recipe: ordered steps applied to one dataset version to make the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// Always [`RECIPE_VERSION`].
    pub recipe_version: u32,
    /// A sentence saying what the recipe is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The steps, applied in order.
    pub steps: Vec<Step>,
}

/// One step: an operation with its parameters and why it is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The operation and its parameters (`op` names it).
    #[serde(flatten)]
    pub operation: Operation,
    /// Why the step is proposed, in a sentence a reviewer can judge.
    pub rationale: String,
    /// How sure the planner is that the step is right, from 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// The profile alert the step answers, such as `high_null_share:amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers_alert: Option<String>,
    /// Whether a person should look at the step before it is applied.
    #[serde(default)]
    pub needs_review: bool,
    /// What the step did when previewed or applied; never part of the recipe hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<StepImpact>,
}

/// The operations a step can perform, tagged by `op`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Remove the named columns.
    DropColumns {
        /// Columns to remove.
        columns: Vec<String>,
    },
    /// Rename columns, old name to new name.
    Rename {
        /// Old name to new name.
        mapping: BTreeMap<String, String>,
    },
    /// Convert a column to another storage type; values that do not convert become null.
    Cast {
        /// The column to convert.
        column: String,
        /// The target type.
        to: LogicalType,
    },
    /// Parse a text column into dates or datetimes with an explicit strftime format.
    ParseDates {
        /// The text column.
        column: String,
        /// The chrono/strftime pattern, such as `%d/%m/%Y`.
        format: String,
        /// `date` (default) or `datetime`.
        #[serde(default = "default_date_target")]
        to: LogicalType,
    },
    /// Remove leading and trailing whitespace from text columns.
    TrimWhitespace {
        /// Text columns to trim.
        columns: Vec<String>,
    },
    /// Change text columns to lower or upper case.
    NormalizeCase {
        /// Text columns to change.
        columns: Vec<String>,
        /// The case to use.
        case: TextCase,
    },
    /// Replace whole text values by a mapping; a `null` target turns the value into a null.
    ReplaceValues {
        /// The text column.
        column: String,
        /// Old value to new value (or null).
        mapping: BTreeMap<String, Option<String>>,
    },
    /// Fill nulls in columns.
    Impute {
        /// Columns to fill.
        columns: Vec<String>,
        /// How the fill value is chosen.
        strategy: ImputeStrategy,
        /// The fill value, for the `constant` strategy only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<serde_json::Value>,
    },
    /// Drop rows with nulls.
    DropNulls {
        /// Columns to look at (default: every column).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subset: Option<Vec<String>>,
        /// Keep a row when it has at least this many non-null values in the subset
        /// (default: all of them).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold: Option<usize>,
    },
    /// Drop repeated rows, keeping the first (or last) occurrence in row order.
    Deduplicate {
        /// Columns that define a repeat (default: every column).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subset: Option<Vec<String>>,
        /// Which occurrence to keep.
        #[serde(default)]
        keep: KeepOccurrence,
    },
    /// Clip numeric values to fences computed from the data.
    ClipOutliers {
        /// Numeric columns to clip.
        columns: Vec<String>,
        /// How the fences are computed.
        method: ClipMethod,
        /// Fence width: `k` times the IQR (default 1.5) or times the scaled MAD (default 3.5).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        k: Option<f64>,
        /// Lower quantile for `quantile` (default 0.01).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lower: Option<f64>,
        /// Upper quantile for `quantile` (default 0.99).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        upper: Option<f64>,
    },
    /// Replace numeric values by their z-score (sample standard deviation).
    Standardize {
        /// Numeric columns.
        columns: Vec<String>,
    },
    /// Scale numeric values to [0, 1] by the column's minimum and maximum.
    MinMaxScale {
        /// Numeric columns.
        columns: Vec<String>,
    },
    /// Replace non-negative numeric values by `ln(1 + x)`.
    Log1p {
        /// Numeric columns without negative values.
        columns: Vec<String>,
    },
    /// Replace a categorical column by one boolean column per frequent value.
    OneHot {
        /// The column to encode.
        column: String,
        /// At most this many categories get their own column; the rest go to `<column>_other`.
        max_categories: usize,
    },
    /// Keep only the rows where a predicate holds (rows where it is null are dropped).
    FilterRows {
        /// The predicate, such as `age >= 18 and country != 'XX'`.
        predicate: String,
    },
    /// Drop the columns, among the candidates, that hold a single value (nulls count as a value).
    DropConstantColumns {
        /// Candidate columns (default: every column).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        columns: Option<Vec<String>>,
    },
}

fn default_date_target() -> LogicalType {
    LogicalType::Date
}

/// Text case targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextCase {
    /// All lower case.
    Lower,
    /// All upper case.
    Upper,
}

/// How impute chooses its fill value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImputeStrategy {
    /// The arithmetic mean of the non-null values (the column becomes float).
    Mean,
    /// The median of the non-null values (the column becomes float).
    Median,
    /// The most frequent value; ties go to the smallest value.
    Mode,
    /// The step's `value`.
    Constant,
    /// The previous non-null value in row order; leading nulls stay null.
    ForwardFill,
}

/// Which repeated row deduplication keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KeepOccurrence {
    /// The first in row order.
    #[default]
    First,
    /// The last in row order.
    Last,
}

/// How outlier fences are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClipMethod {
    /// Tukey fences: Q1 - k*IQR and Q3 + k*IQR.
    Iqr,
    /// Median +- k * 1.4826 * MAD.
    Mad,
    /// Winsorise at the `lower` and `upper` quantiles.
    Quantile,
}

/// What a step did when applied: counts and the statistics it used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StepImpact {
    /// Rows before the step.
    pub rows_before: u64,
    /// Rows after the step.
    pub rows_after: u64,
    /// Rows the step removed.
    pub rows_removed: u64,
    /// Cells whose value changed (null-aware), in the columns the step touched.
    pub cells_affected: u64,
    /// Columns the step added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns_added: Vec<String>,
    /// Columns the step removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns_removed: Vec<String>,
    /// Null counts before the step, per touched column.
    pub nulls_before: BTreeMap<String, u64>,
    /// Null counts after the step, per touched column.
    pub nulls_after: BTreeMap<String, u64>,
    /// Mean and standard deviation before and after, per touched numeric column.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub numeric: BTreeMap<String, NumericShift>,
    /// The statistics the step computed and used, per column (`median`, `lower_fence`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub statistics: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

/// Mean and sample standard deviation of one numeric column before and after a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NumericShift {
    /// Mean before (null when no values).
    pub mean_before: Option<f64>,
    /// Mean after.
    pub mean_after: Option<f64>,
    /// Sample standard deviation before (null with fewer than two values).
    pub std_before: Option<f64>,
    /// Sample standard deviation after.
    pub std_after: Option<f64>,
}

impl Step {
    /// The name of the step's operation as written in `op`.
    pub fn op_name(&self) -> &'static str {
        self.operation.name()
    }
}

impl Operation {
    /// The name of the operation as written in `op`.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::DropColumns { .. } => "drop_columns",
            Operation::Rename { .. } => "rename",
            Operation::Cast { .. } => "cast",
            Operation::ParseDates { .. } => "parse_dates",
            Operation::TrimWhitespace { .. } => "trim_whitespace",
            Operation::NormalizeCase { .. } => "normalize_case",
            Operation::ReplaceValues { .. } => "replace_values",
            Operation::Impute { .. } => "impute",
            Operation::DropNulls { .. } => "drop_nulls",
            Operation::Deduplicate { .. } => "deduplicate",
            Operation::ClipOutliers { .. } => "clip_outliers",
            Operation::Standardize { .. } => "standardize",
            Operation::MinMaxScale { .. } => "min_max_scale",
            Operation::Log1p { .. } => "log1p",
            Operation::OneHot { .. } => "one_hot",
            Operation::FilterRows { .. } => "filter_rows",
            Operation::DropConstantColumns { .. } => "drop_constant_columns",
        }
    }
}

impl Recipe {
    /// Parses a recipe document, refusing unknown fields and other recipe versions.
    ///
    /// This checks the shape only; [`validate`] checks the steps against a dataset.
    pub fn from_json(text: &str) -> Result<Recipe> {
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|source| DataError::RecipeParse {
                reason: format!(
                    "line {}, column {}: {source}",
                    source.line(),
                    source.column()
                ),
            })?;
        let version = raw
            .get("recipe_version")
            .and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(RECIPE_VERSION)) {
            return Err(DataError::RecipeParse {
                reason: format!(
                    "recipe_version must be {RECIPE_VERSION}, found {}",
                    raw.get("recipe_version")
                        .map_or("nothing".to_owned(), |v| v.to_string())
                ),
            });
        }
        let recipe: Recipe =
            serde_json::from_value(raw.clone()).map_err(|source| DataError::RecipeParse {
                reason: source.to_string(),
            })?;
        reject_unknown_fields(&raw, &recipe)?;
        Ok(recipe)
    }

    /// The canonical JSON text: impacts removed, object keys sorted, no whitespace.
    pub fn canonical_json(&self) -> Result<String> {
        let mut bare = self.clone();
        for step in &mut bare.steps {
            step.impact = None;
        }
        // serde_json's Value keeps object keys in a BTreeMap, so going through it sorts them.
        let value = serde_json::to_value(&bare).map_err(|source| DataError::RecipeParse {
            reason: source.to_string(),
        })?;
        Ok(value.to_string())
    }

    /// SHA-256 (hex) of [`Recipe::canonical_json`]: names the output of applying the recipe.
    pub fn hash(&self) -> Result<String> {
        Ok(hex::encode(Sha256::digest(
            self.canonical_json()?.as_bytes(),
        )))
    }
}

/// Serde ignores unknown keys under a flattened enum, so they are found by comparing the raw
/// document with the typed one written back: a key that does not survive is unknown (an explicit
/// `null` for an optional parameter is accepted).
fn reject_unknown_fields(raw: &serde_json::Value, recipe: &Recipe) -> Result<()> {
    let typed = serde_json::to_value(recipe).map_err(|source| DataError::RecipeParse {
        reason: source.to_string(),
    })?;
    let mut unknown = Vec::new();
    collect_unknown(raw, &typed, "", &mut unknown);
    if let (Some(raw_steps), Some(typed_steps)) = (
        raw.get("steps").and_then(serde_json::Value::as_array),
        typed.get("steps").and_then(serde_json::Value::as_array),
    ) {
        for (index, (raw_step, typed_step)) in raw_steps.iter().zip(typed_steps).enumerate() {
            collect_unknown(
                raw_step,
                typed_step,
                &format!("steps[{index}]."),
                &mut unknown,
            );
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(DataError::RecipeParse {
            reason: format!("unknown field(s): {}", unknown.join(", ")),
        })
    }
}

fn collect_unknown(
    raw: &serde_json::Value,
    typed: &serde_json::Value,
    prefix: &str,
    unknown: &mut Vec<String>,
) {
    let (Some(raw), Some(typed)) = (raw.as_object(), typed.as_object()) else {
        return;
    };
    for (key, value) in raw {
        if !typed.contains_key(key) && !value.is_null() && key != "impact" {
            unknown.push(format!("{prefix}{key}"));
        }
    }
}
