//! Exploratory profile of a typed dataset: exact per-column statistics, correlations and alerts,
//! as `profile.json` holds them (`profile_version: 1`).
//!
//! Every statistic is defined by what numpy, pandas or scipy return for the same values (the
//! reference fixtures under `tests/fixtures/profile/` pin that). Profiling only reads the frame:
//! it must never change, reorder or drop the caller's data, and never panic on any value.

mod alerts;
mod categorical;
mod config;
mod correlation;
mod histogram;
mod numeric;
mod summation;
mod temporal;

use polars::prelude::{Column, DataFrame, DataType};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::schema::{ColumnSchema, DatasetSchema, LogicalType, SemanticType};

pub use alerts::{Alert, Severity};
pub use categorical::{CategoricalProfile, ValueCount};
pub use config::ProfileConfig;
pub use correlation::{CorrelationMatrix, Correlations};
pub use histogram::{BinRule, Histogram};
pub use numeric::{IqrOutliers, MadOutliers, NumericProfile};
pub use temporal::{MonthCount, TemporalProfile};

/// Version of the `profile.json` contract written by this engine.
pub const PROFILE_VERSION: u32 = 1;

/// The profile of one dataset version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileReport {
    /// Always [`PROFILE_VERSION`] when written by this engine.
    pub profile_version: u32,
    /// Number of rows.
    pub row_count: u64,
    /// Number of columns.
    pub column_count: u64,
    /// Rows minus distinct rows (every repeat of a row after its first occurrence).
    pub duplicate_row_count: u64,
    /// One profile per column, in column order.
    pub columns: Vec<ColumnProfile>,
    /// Pearson and Spearman over numeric columns, Cramér's V over low-cardinality categoricals.
    pub correlations: Correlations,
    /// Findings a person should look at, most severe first.
    pub alerts: Vec<Alert>,
}

/// The profile of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// Column name.
    pub name: String,
    /// The storage type from the schema.
    pub logical_type: LogicalType,
    /// The meaning recognised by inference, if any.
    pub semantic_type: Option<SemanticType>,
    /// Number of null values.
    pub null_count: u64,
    /// `null_count / row_count` (0 for an empty dataset).
    pub null_ratio: f64,
    /// Number of distinct non-null values.
    pub distinct_count: u64,
    /// Statistics of integer and float columns (null when the column has no value).
    pub numeric: Option<NumericProfile>,
    /// Frequent values of string and boolean columns.
    pub categorical: Option<CategoricalProfile>,
    /// Range and monthly counts of date and datetime columns (null when the column has no value).
    pub temporal: Option<TemporalProfile>,
}

/// Profiles `frame`, whose columns follow `schema`, against an optional previous profile of the
/// same dataset (for the null-spike alert).
pub fn profile(
    frame: &DataFrame,
    schema: &DatasetSchema,
    previous: Option<&ProfileReport>,
    config: &ProfileConfig,
) -> Result<ProfileReport> {
    let row_count = frame.height();
    let pairs = frame
        .columns()
        .iter()
        .map(|column| {
            let name = column.name().as_str();
            let column_schema =
                schema
                    .columns
                    .iter()
                    .find(|c| c.name == name)
                    .ok_or_else(|| DataError::ProfileSchemaMismatch {
                        column: name.to_owned(),
                    })?;
            Ok((column, column_schema))
        })
        .collect::<Result<Vec<_>>>()?;

    let analysed = pairs
        .par_iter()
        .map(|(column, column_schema)| analyse_column(column, column_schema, row_count, config))
        .collect::<Result<Vec<_>>>()?;

    let duplicate_row_count = duplicate_rows(frame)?;
    let correlations = correlation::correlations(&analysed, config);
    let columns: Vec<ColumnProfile> = analysed.iter().map(|a| a.profile.clone()).collect();
    let mut report = ProfileReport {
        profile_version: PROFILE_VERSION,
        row_count: row_count as u64,
        column_count: frame.width() as u64,
        duplicate_row_count,
        columns,
        correlations,
        alerts: Vec::new(),
    };
    report.alerts = alerts::alerts(&report, &analysed, schema, previous, config);
    Ok(report)
}

/// Rows minus distinct rows, counted with a group-by over every column.
fn duplicate_rows(frame: &DataFrame) -> Result<u64> {
    if frame.width() == 0 || frame.height() == 0 {
        return Ok(0);
    }
    let names = frame.get_column_names_owned();
    let groups = frame.group_by(names)?.get_groups().len();
    Ok(frame.height().saturating_sub(groups) as u64)
}

/// A column's profile plus the intermediate values that correlations and alerts reuse.
pub(crate) struct AnalysedColumn {
    pub(crate) profile: ColumnProfile,
    /// Numeric columns: values in row order with NaN for nulls, and the row order sorted by value.
    pub(crate) numeric: Option<numeric::NumericData>,
    /// Categorical columns: each row's category code (`None` for null) and the number of codes.
    pub(crate) codes: Option<categorical::CategoryCodes>,
    /// Facts the alerts need that the contract does not publish.
    pub(crate) findings: alerts::Findings,
}

fn analyse_column(
    column: &Column,
    schema: &ColumnSchema,
    row_count: usize,
    config: &ProfileConfig,
) -> Result<AnalysedColumn> {
    let series = column.as_materialized_series();
    let mut analysed = AnalysedColumn {
        profile: ColumnProfile {
            name: schema.name.clone(),
            logical_type: schema.logical_type,
            semantic_type: schema.semantic_type,
            null_count: series.null_count() as u64,
            null_ratio: 0.0,
            distinct_count: 0,
            numeric: None,
            categorical: None,
            temporal: None,
        },
        numeric: None,
        codes: None,
        findings: alerts::Findings::default(),
    };
    match series.dtype() {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float32
        | DataType::Float64 => {
            let integer = !matches!(series.dtype(), DataType::Float32 | DataType::Float64);
            let data = numeric::NumericData::from_series(series, integer)?;
            analysed.profile.null_count = (row_count - data.sorted.len()) as u64;
            let runs = data.runs();
            analysed.profile.distinct_count = runs.distinct;
            analysed.findings.top_count = runs.longest;
            analysed.profile.numeric = numeric::profile(&data, config);
            analysed.numeric = Some(data);
        }
        DataType::String => {
            let summary = categorical::summarise_strings(series.str()?, config);
            analysed.profile.distinct_count = summary.distinct_count;
            analysed.profile.categorical = Some(summary.profile);
            analysed.codes = Some(summary.codes);
            analysed.findings = summary.findings;
        }
        DataType::Boolean => {
            let summary = categorical::summarise_booleans(series.bool()?);
            analysed.profile.distinct_count = summary.distinct_count;
            analysed.findings = summary.findings;
            analysed.profile.categorical = Some(summary.profile);
            analysed.codes = Some(summary.codes);
        }
        DataType::Date | DataType::Datetime(_, _) => {
            let summary = temporal::summarise(series, config)?;
            analysed.profile.distinct_count = summary.distinct_count;
            analysed.profile.temporal = summary.profile;
            analysed.findings = summary.findings;
        }
        // A column of nothing but nulls (Parquet's null type) has no statistics to compute.
        DataType::Null => analysed.profile.null_count = row_count as u64,
        other => {
            return Err(DataError::ProfileUnsupportedType {
                column: schema.name.clone(),
                dtype: other.to_string(),
            });
        }
    }
    analysed.profile.null_ratio = if row_count == 0 {
        0.0
    } else {
        analysed.profile.null_count as f64 / row_count as f64
    };
    Ok(analysed)
}
