//! Readers: turn the bytes of a CSV/TSV, XLSX/XLS/ODS or JSON/NDJSON file into a [`RawTable`]
//! (every column text, missing cells null) and a [`ReadReport`] saying what was detected; Parquet,
//! already typed, is read as it is.
//!
//! Readers never guess a type (that is inference's job) and never panic on bad input: every
//! problem is a typed [`DataError`] naming the file and the place (line, column, cell, record).

mod archive;
mod csv;
mod encoding;
mod json;
mod names;
mod parquet;
mod sniff;
mod workbook;

use std::fmt;

use polars::prelude::DataFrame;
use serde::Serialize;

use crate::error::{DataError, Result};

pub use names::unique_names;
pub use sniff::sniff_format;

/// A table as read from a text-like source: every column is `DataType::String`, names are
/// unique, a missing cell is null and an empty cell stays `""`.
#[derive(Debug, Clone)]
pub struct RawTable {
    /// The cells, all columns of type String.
    pub frame: DataFrame,
    /// What the reader detected and did.
    pub report: ReadReport,
}

/// What a read produced: text columns for inference, or an already typed Parquet frame.
#[derive(Debug, Clone)]
pub enum ReadOutput {
    /// Text columns (CSV, TSV, workbooks, JSON) that inference must type.
    Raw(RawTable),
    /// A typed frame (Parquet) and its report.
    Typed {
        /// The frame as stored.
        frame: DataFrame,
        /// What the reader detected.
        report: ReadReport,
    },
}

/// The file formats the engine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputFormat {
    /// Delimited text; the delimiter is sniffed unless given.
    Csv,
    /// Tab-separated text.
    Tsv,
    /// Office Open XML workbook (also `.xlsm`).
    Xlsx,
    /// Excel 97-2003 binary workbook.
    Xls,
    /// Excel binary workbook (`.xlsb`).
    Xlsb,
    /// OpenDocument spreadsheet.
    Ods,
    /// A JSON array of objects.
    Json,
    /// JSON Lines: one object per line.
    Ndjson,
    /// Apache Parquet.
    Parquet,
}

impl InputFormat {
    /// The format's short name, as accepted by `--input-format`.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::Tsv => "tsv",
            InputFormat::Xlsx => "xlsx",
            InputFormat::Xls => "xls",
            InputFormat::Xlsb => "xlsb",
            InputFormat::Ods => "ods",
            InputFormat::Json => "json",
            InputFormat::Ndjson => "ndjson",
            InputFormat::Parquet => "parquet",
        }
    }

    /// Parses a short name such as `csv` or `ndjson` (`jsonl` is accepted for `ndjson`).
    pub fn parse(name: &str) -> Option<InputFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "csv" | "txt" => InputFormat::Csv,
            "tsv" | "tab" => InputFormat::Tsv,
            "xlsx" | "xlsm" => InputFormat::Xlsx,
            "xls" => InputFormat::Xls,
            "xlsb" => InputFormat::Xlsb,
            "ods" => InputFormat::Ods,
            "json" => InputFormat::Json,
            "ndjson" | "jsonl" => InputFormat::Ndjson,
            "parquet" | "pq" => InputFormat::Parquet,
            _ => return None,
        })
    }

    /// Whether the format is a spreadsheet workbook read through calamine.
    pub fn is_workbook(self) -> bool {
        matches!(
            self,
            InputFormat::Xlsx | InputFormat::Xls | InputFormat::Xlsb | InputFormat::Ods
        )
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether the first row of delimited text is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// Decide from the values (see `docs/data-reading.md`).
    #[default]
    Detect,
    /// The first row holds the column names.
    Present,
    /// There is no header; columns are named `column_1`, `column_2`, ...
    Absent,
}

/// How text bytes are decoded when there is no byte order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8, falling back to Windows-1252 when the bytes are not UTF-8 but read as text there.
    #[default]
    Auto,
    /// UTF-8 only: invalid bytes are an error.
    Utf8,
    /// Windows-1252 (a superset of the printable Latin-1 range).
    Windows1252,
}

/// What to do with a CSV row whose field count differs from the header's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RaggedRows {
    /// Stop with an error naming the line.
    #[default]
    Error,
    /// Pad short rows with nulls (long rows are still an error: data would be lost).
    Pad,
    /// Drop every row with the wrong field count.
    Skip,
}

/// Whether delimited text uses RFC 4180 quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quoting {
    /// A field starting with `"` is quoted; `""` inside it is one quote.
    #[default]
    Rfc4180,
    /// Quotes are ordinary characters (for files that never quote, such as many TSV exports).
    None,
}

/// Which worksheet of a workbook to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetChoice {
    /// The sheet with this name.
    Name(String),
    /// The sheet at this zero-based position.
    Index(usize),
}

/// Limits that protect the engine from hostile or broken input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Most columns a table may have.
    pub max_columns: usize,
    /// Largest cell in bytes.
    pub max_cell_bytes: usize,
    /// Most entries a workbook archive may hold.
    pub max_archive_entries: usize,
    /// Largest total uncompressed size of a workbook archive, in bytes.
    pub max_uncompressed_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_columns: 10_000,
            max_cell_bytes: 16 * 1024 * 1024,
            max_archive_entries: 10_000,
            max_uncompressed_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// How to read a file; the default sniffs everything.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The declared format; `None` sniffs it from the bytes (and the file name's extension).
    pub format: Option<InputFormat>,
    /// The CSV delimiter; `None` sniffs among `,` `;` tab `|`.
    pub delimiter: Option<u8>,
    /// Whether delimited text has a header row.
    pub header: HeaderMode,
    /// Text decoding when there is no byte order mark.
    pub encoding: TextEncoding,
    /// Rows with the wrong field count.
    pub ragged_rows: RaggedRows,
    /// Whether delimited text uses quotes.
    pub quoting: Quoting,
    /// The worksheet to read; `None` reads the first non-empty one.
    pub sheet: Option<SheetChoice>,
    /// Safety limits.
    pub limits: ReadLimits,
    /// How text columns are typed after reading.
    pub infer: crate::infer::InferOptions,
}

/// What a reader detected and did, for the user and the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadReport {
    /// The format read.
    pub format: InputFormat,
    /// The text encoding detected (`utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be`,
    /// `windows-1252`), for text formats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The delimiter used, for delimited text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<char>,
    /// The line ending detected (`lf`, `crlf`, `cr`), for delimited text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_ending: Option<String>,
    /// Whether a header row was found (always true for JSON and Parquet).
    pub header_detected: bool,
    /// Data rows read (header excluded).
    pub rows: u64,
    /// Short rows padded with nulls.
    pub rows_padded: u64,
    /// Rows dropped because of a wrong field count.
    pub rows_skipped: u64,
    /// Blank lines (or empty rows) ignored.
    pub blank_lines_skipped: u64,
    /// The worksheet read, for workbooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// All worksheet names in order, for workbooks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<String>,
    /// Workbook error cells (`#N/A`, `#DIV/0!`, ...) read as nulls.
    pub error_cells: u64,
    /// Sentences about choices a person may want to check.
    pub notes: Vec<String>,
}

impl ReadReport {
    /// An empty report for a format, filled in by the reader.
    pub fn new(format: InputFormat) -> ReadReport {
        ReadReport {
            format,
            encoding: None,
            delimiter: None,
            line_ending: None,
            header_detected: true,
            rows: 0,
            rows_padded: 0,
            rows_skipped: 0,
            blank_lines_skipped: 0,
            sheet: None,
            sheets: Vec::new(),
            error_cells: 0,
            notes: Vec::new(),
        }
    }
}

/// Reads `bytes` (the content of the file called `name`) into text columns or, for Parquet,
/// a typed frame. The format is the declared one (checked against the bytes) or sniffed.
pub fn read_bytes(bytes: &[u8], name: &str, options: &ReadOptions) -> Result<ReadOutput> {
    let format = sniff::resolve_format(bytes, name, options.format)?;
    match format {
        InputFormat::Csv | InputFormat::Tsv => {
            csv::read(bytes, name, format, options).map(ReadOutput::Raw)
        }
        InputFormat::Json | InputFormat::Ndjson => {
            json::read(bytes, name, format, options).map(ReadOutput::Raw)
        }
        InputFormat::Xlsx | InputFormat::Xls | InputFormat::Xlsb | InputFormat::Ods => {
            workbook::read(bytes, name, format, options).map(ReadOutput::Raw)
        }
        InputFormat::Parquet => {
            let (frame, report) = parquet::read(bytes, name)?;
            Ok(ReadOutput::Typed { frame, report })
        }
    }
}

/// The format `bytes` will be read as: the declared one when the bytes agree (else
/// `format_mismatch`), or the sniffed one. Cheap: for upload checks before any reading.
pub fn resolve_format(
    bytes: &[u8],
    name: &str,
    declared: Option<InputFormat>,
) -> Result<InputFormat> {
    sniff::resolve_format(bytes, name, declared)
}

/// Checks a zip-based workbook against the archive limits (entries, decompressed size) without
/// parsing it: the zip-bomb check of upload validation.
pub fn check_workbook_archive(bytes: &[u8], name: &str, limits: &ReadLimits) -> Result<()> {
    archive::check_zip(bytes, name, limits)
}

/// Lists the worksheet names of a workbook, in order.
pub fn sheet_names(bytes: &[u8], name: &str, options: &ReadOptions) -> Result<Vec<String>> {
    let format = sniff::resolve_format(bytes, name, options.format)?;
    if !format.is_workbook() {
        return Err(DataError::FormatMismatch {
            name: name.to_owned(),
            declared: "a workbook".to_owned(),
            detected: format.name().to_owned(),
        });
    }
    workbook::sheet_names(bytes, name, format, &options.limits)
}

/// One-based line number of byte `offset` in `bytes` (lines end at `\n`, or `\r` alone).
pub(crate) fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let head = bytes.get(..offset.min(bytes.len())).unwrap_or_default();
    let newlines = memchr::memchr_iter(b'\n', head).count();
    let lone_cr = memchr::memchr_iter(b'\r', head)
        .filter(|&at| bytes.get(at + 1) != Some(&b'\n'))
        .count();
    (newlines + lone_cr) as u64 + 1
}
