//! The top of the engine's input side: read a file (any supported format), infer its schema,
//! and write the typed result as deterministic Parquet plus `schema.json`.
//!
//! This module only orchestrates readers and inference; it never decides a type itself and
//! never touches AWS. The same bytes with the same options always give the same output bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use polars::prelude::*;

use crate::error::{DataError, Result};
use crate::infer::{describe_typed, infer};
use crate::read::{self, ReadOptions, ReadOutput, ReadReport};
use crate::schema::DatasetSchema;

/// Rows per Parquet row group: fixed so that the same frame always gives the same bytes.
pub const PARQUET_ROW_GROUP_ROWS: usize = 256 * 1024;

/// A read and typed dataset.
#[derive(Debug, Clone)]
pub struct TypedDataset {
    /// The typed columns.
    pub frame: DataFrame,
    /// The inferred schema (what `schema.json` holds).
    pub schema: DatasetSchema,
    /// What the reader detected and did.
    pub report: ReadReport,
}

/// Reads and types the file at `path`.
pub fn read_path(path: &Path, options: &ReadOptions) -> Result<TypedDataset> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let output = read::read_bytes(&bytes, &path.display().to_string(), options)?;
    // The raw bytes are not needed by inference: free them before the typed copy is made.
    drop(bytes);
    type_output(output, options)
}

/// Reads and types `bytes`, the content of a file called `name` (used in messages and, for a
/// `.tsv` name, to choose the tab delimiter).
pub fn read_bytes(bytes: &[u8], name: &str, options: &ReadOptions) -> Result<TypedDataset> {
    type_output(read::read_bytes(bytes, name, options)?, options)
}

fn type_output(output: ReadOutput, options: &ReadOptions) -> Result<TypedDataset> {
    match output {
        ReadOutput::Raw(raw) => {
            let (frame, schema) = infer(raw.frame, &options.infer)?;
            Ok(TypedDataset {
                frame,
                schema,
                report: raw.report,
            })
        }
        ReadOutput::Typed { frame, report } => {
            let schema = describe_typed(&frame);
            Ok(TypedDataset {
                frame,
                schema,
                report,
            })
        }
    }
}

/// Writes `frame` as Parquet: zstd, [`PARQUET_ROW_GROUP_ROWS`] rows per group, min/max/null
/// statistics. Returns the bytes written.
pub fn write_parquet<W: Write>(frame: &DataFrame, writer: W) -> Result<u64> {
    // Column data is shared, not copied: the writer only needs a frame it may rechunk.
    let mut frame = frame.clone();
    let written = ParquetWriter::new(writer)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .with_row_group_size(Some(PARQUET_ROW_GROUP_ROWS))
        .finish(&mut frame)?;
    Ok(written)
}

/// Writes `frame` as Parquet to the file at `path` (see [`write_parquet`]).
pub fn write_parquet_file(frame: &DataFrame, path: &Path) -> Result<u64> {
    let io_error = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(io_error)?;
    let mut writer = BufWriter::new(file);
    let written = write_parquet(frame, &mut writer)?;
    writer.flush().map_err(io_error)?;
    Ok(written)
}

/// The schema as pretty JSON with a final newline, as `schema.json` holds it.
pub fn schema_json(schema: &DatasetSchema) -> Result<String> {
    let mut text = serde_json::to_string_pretty(schema).map_err(|error| {
        DataError::Engine(PolarsError::ComputeError(
            format!("schema serialisation: {error}").into(),
        ))
    })?;
    text.push('\n');
    Ok(text)
}

/// Writes the schema to `path` as `schema.json` (see [`schema_json`]).
pub fn write_schema_json(schema: &DatasetSchema, path: &Path) -> Result<()> {
    std::fs::write(path, schema_json(schema)?).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::LogicalType;

    #[test]
    fn csv_is_read_and_typed() {
        let dataset = read_bytes(
            b"id,amount,day\n1,2.5,2024-01-02\n2,,2024-01-03\n",
            "t.csv",
            &ReadOptions::default(),
        )
        .unwrap();
        let types: Vec<LogicalType> = dataset
            .schema
            .columns
            .iter()
            .map(|c| c.logical_type)
            .collect();
        assert_eq!(
            types,
            [LogicalType::Integer, LogicalType::Float, LogicalType::Date]
        );
        assert_eq!(dataset.schema.row_count, 2);
        assert_eq!(dataset.schema.columns[1].null_count, 1);
    }

    #[test]
    fn parquet_output_is_deterministic_and_reads_back() {
        let dataset = read_bytes(
            b"id,name\n1,ann\n2,bob\n3,\n",
            "t.csv",
            &ReadOptions::default(),
        )
        .unwrap();
        let mut first = Vec::new();
        let mut second = Vec::new();
        write_parquet(&dataset.frame, &mut first).unwrap();
        write_parquet(&dataset.frame, &mut second).unwrap();
        assert_eq!(first, second);
        let again = read_bytes(&first, "t.parquet", &ReadOptions::default()).unwrap();
        assert!(again.frame.equals_missing(&dataset.frame));
        assert_eq!(again.schema.columns[0].logical_type, LogicalType::Integer);
    }
}
