//! Parquet is already typed: it is read as it is, and only its row count goes into the report.

use std::io::Cursor;

use polars::prelude::*;

use super::{InputFormat, ReadReport};
use crate::error::{DataError, Result};

/// Reads a Parquet file from memory.
pub(super) fn read(bytes: &[u8], name: &str) -> Result<(DataFrame, ReadReport)> {
    let frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|error| DataError::CorruptParquet {
            name: name.to_owned(),
            detail: error.to_string(),
        })?;
    let mut report = ReadReport::new(InputFormat::Parquet);
    report.rows = frame.height() as u64;
    Ok((frame, report))
}
