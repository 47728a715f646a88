//! Schema inference: turns the all-text columns the readers produce into typed columns and a
//! [`DatasetSchema`], by testing every value of every column (never a sample).
//!
//! Each column is scanned once with all candidate types at once (candidates drop out as soon as
//! they have failed on more values than the majority rule allows), then converted in a second
//! pass with the one chosen parser. Columns run in parallel. Inference never drops a row, never
//! guesses between day-first and month-first dates, and never rounds an integer it cannot hold:
//! such columns stay text with a note. The rules are documented in `docs/inference.md`.

mod convert;
mod decide;
mod describe;
mod formatted;
mod number;
mod options;
mod scan;
mod semantic;
mod temporal;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

use polars::prelude::{Column, DataFrame, DataType};
use rayon::prelude::*;

use crate::error::{DataError, Result};
use crate::schema::{ColumnSchema, DatasetSchema, LogicalType, SCHEMA_VERSION};

pub use options::{DEFAULT_MIN_TYPE_SHARE, DEFAULT_NULL_TOKENS, InferOptions};

use convert::convert;
use decide::decide;
use describe::describe_column;
use options::NullTokens;
use scan::scan;

/// Infers the type of every `String` column of `frame` and converts it; columns that are
/// already typed are kept as they are and described. Returns the typed frame and its schema.
pub fn infer(frame: DataFrame, options: &InferOptions) -> Result<(DataFrame, DatasetSchema)> {
    if !(0.0..=1.0).contains(&options.min_type_share) {
        return Err(DataError::InvalidOption {
            option: "min_type_share",
            reason: format!("must be between 0 and 1, got {}", options.min_type_share),
        });
    }
    let height = frame.height();
    let tokens = NullTokens::new(options);
    let results: Vec<(Column, ColumnSchema)> = frame
        .columns()
        .par_iter()
        .enumerate()
        .map(|(position, column)| infer_column(column, position, &tokens, options))
        .collect();
    let (columns, schemas): (Vec<Column>, Vec<ColumnSchema>) = results.into_iter().unzip();
    drop(frame);
    let typed = DataFrame::new(height, columns)?;
    Ok((
        typed,
        DatasetSchema {
            schema_version: SCHEMA_VERSION,
            row_count: height as u64,
            columns: schemas,
        },
    ))
}

/// The schema of a frame whose columns are already typed (Parquet input): no conversion, no
/// invalid values; text columns are checked for meanings (e-mail, URL, UUID, IP address).
pub fn describe_typed(frame: &DataFrame) -> DatasetSchema {
    let columns = frame
        .columns()
        .par_iter()
        .enumerate()
        .map(|(position, column)| describe_column(column, position))
        .collect();
    DatasetSchema {
        schema_version: SCHEMA_VERSION,
        row_count: frame.height() as u64,
        columns,
    }
}

/// Infers and converts one column.
fn infer_column(
    column: &Column,
    position: usize,
    tokens: &NullTokens,
    options: &InferOptions,
) -> (Column, ColumnSchema) {
    let text = match column.dtype() {
        DataType::String => column.str().ok(),
        _ => None,
    };
    let Some(text) = text else {
        return (column.clone(), describe_column(column, position));
    };
    let scanned = scan(text, tokens, options.min_type_share);
    let decision = decide(&scanned, options.min_type_share);
    let (typed, invalid) = convert(
        column.name().clone(),
        text,
        tokens,
        &decision.choice,
        options.max_invalid_examples,
    );
    let null_count = typed.null_count() as u64;
    let logical_type = decision.choice.logical_type();
    let mut notes = decision.notes;
    if invalid.count > 0 {
        notes.push(if logical_type == LogicalType::String {
            format!(
                "{} value(s) do not have the shape of the column's meaning and are kept as written",
                invalid.count
            )
        } else {
            format!(
                "{} value(s) did not read as {} and are null in the typed data",
                invalid.count,
                type_name(logical_type)
            )
        });
    }
    let schema = ColumnSchema {
        name: column.name().to_string(),
        position,
        logical_type,
        semantic_type: decision.semantic_type,
        source_format: decision.source_format,
        nullable: null_count > 0,
        null_count,
        invalid_count: invalid.count,
        invalid_examples: invalid.examples,
        notes,
    };
    (typed, schema)
}

/// The name of a logical type as `schema.json` writes it.
fn type_name(logical_type: LogicalType) -> &'static str {
    match logical_type {
        LogicalType::Boolean => "boolean",
        LogicalType::Integer => "integer",
        LogicalType::Float => "float",
        LogicalType::Date => "date",
        LogicalType::Datetime => "datetime",
        LogicalType::DatetimeTz => "datetime_tz",
        LogicalType::String => "string",
    }
}
