//! Shared test helpers: fixture loading and schemas made from a frame's own types.

use std::path::PathBuf;

use ida_data::schema::{ColumnSchema, DatasetSchema, LogicalType, SCHEMA_VERSION};
use polars::prelude::*;

/// The folder of the profiling fixtures.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profile")
}

/// Reads a Parquet fixture.
pub fn read_parquet(name: &str) -> DataFrame {
    let file = std::fs::File::open(fixtures_dir().join(name)).unwrap();
    ParquetReader::new(file).finish().unwrap()
}

/// A schema that takes each column's logical type from its polars type (as inference would).
pub fn schema_of(frame: &DataFrame) -> DatasetSchema {
    let columns = frame
        .columns()
        .iter()
        .enumerate()
        .map(|(position, column)| {
            let logical_type = match column.dtype() {
                DataType::Boolean => LogicalType::Boolean,
                DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                    LogicalType::Integer
                }
                DataType::Float32 | DataType::Float64 => LogicalType::Float,
                DataType::Date => LogicalType::Date,
                DataType::Datetime(_, Some(_)) => LogicalType::DatetimeTz,
                DataType::Datetime(_, None) => LogicalType::Datetime,
                _ => LogicalType::String,
            };
            ColumnSchema {
                name: column.name().to_string(),
                position,
                logical_type,
                semantic_type: None,
                source_format: None,
                nullable: column.null_count() > 0,
                null_count: column.null_count() as u64,
                invalid_count: 0,
                invalid_examples: Vec::new(),
                notes: Vec::new(),
            }
        })
        .collect();
    DatasetSchema {
        schema_version: SCHEMA_VERSION,
        row_count: frame.height() as u64,
        columns,
    }
}
