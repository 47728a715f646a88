//! Access to the reader fixtures and small helpers to look at text tables.

use std::path::PathBuf;

use ida_data::read::{RawTable, ReadOptions, ReadOutput, read_bytes};
use polars::prelude::DataFrame;

/// The path of a fixture file.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/read")
        .join(name)
}

/// The bytes of a fixture file.
pub fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap()
}

/// Reads a fixture into a text table with the given options.
pub fn raw_with(name: &str, options: &ReadOptions) -> RawTable {
    match read_bytes(&bytes(name), name, options).unwrap() {
        ReadOutput::Raw(raw) => raw,
        ReadOutput::Typed { .. } => panic!("{name} read as a typed frame"),
    }
}

/// Reads a fixture into a text table with default options.
pub fn raw(name: &str) -> RawTable {
    raw_with(name, &ReadOptions::default())
}

/// The error code of reading a fixture with the given options.
pub fn error_with(name: &str, options: &ReadOptions) -> ida_data::DataError {
    read_bytes(&bytes(name), name, options).unwrap_err()
}

/// Column names in order.
pub fn names(frame: &DataFrame) -> Vec<String> {
    frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect()
}

/// The cells of a text column.
pub fn column(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
    frame
        .column(name)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_owned))
        .collect()
}

/// `Some(text)` shorthand for expected cells.
pub fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}
