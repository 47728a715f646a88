//! The schema of columns that are already typed (Parquet, or a frame inference produced):
//! types map one to one, text columns are checked for meanings. Nothing is converted.

use polars::prelude::{Column, DataType};

use crate::schema::{ColumnSchema, LogicalType};

use super::decide::{Choice, Decision, decide};
use super::options::{InferOptions, NullTokens};
use super::scan::scan;

/// The logical type of a polars type, and a note when the type has no exact counterpart.
pub(crate) fn logical_type(dtype: &DataType) -> (LogicalType, Option<String>) {
    match dtype {
        DataType::Boolean => (LogicalType::Boolean, None),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => (LogicalType::Integer, None),
        DataType::UInt64 => (
            LogicalType::Integer,
            Some("stored as unsigned 64-bit integers".to_owned()),
        ),
        DataType::Float32 | DataType::Float64 => (LogicalType::Float, None),
        DataType::Date => (LogicalType::Date, None),
        DataType::Datetime(_, None) => (LogicalType::Datetime, None),
        DataType::Datetime(_, Some(_)) => (LogicalType::DatetimeTz, None),
        DataType::String => (LogicalType::String, None),
        other => (
            LogicalType::String,
            Some(format!(
                "stored as {other}, which has no logical type of its own"
            )),
        ),
    }
}

/// The schema entry of one typed column at `position`.
pub(crate) fn describe_column(column: &Column, position: usize) -> ColumnSchema {
    let (logical_type, note) = logical_type(column.dtype());
    let options = InferOptions::default();
    // Only text columns can carry a meaning; no null tokens apply to typed data.
    let semantic_type = match column.str() {
        Ok(text) => {
            let tokens = NullTokens::new(&InferOptions {
                null_tokens: Vec::new(),
                ..options.clone()
            });
            match decide(
                &scan(text, &tokens, options.min_type_share),
                options.min_type_share,
            ) {
                Decision {
                    choice: Choice::Text(meaning),
                    ..
                } => meaning,
                _ => None,
            }
        }
        Err(_) => None,
    };
    let null_count = column.null_count() as u64;
    ColumnSchema {
        name: column.name().to_string(),
        position,
        logical_type,
        semantic_type,
        source_format: None,
        nullable: null_count > 0,
        null_count,
        invalid_count: 0,
        invalid_examples: Vec::new(),
        notes: note.into_iter().collect(),
    }
}
