//! The one error type of the data engine. Each variant has a stable code (`DataError::code`)
//! that the CLI prints and the API and pipeline map to their own error shapes.

use std::path::PathBuf;

/// Everything that can go wrong in the data engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A frame column has no entry in the schema handed to the profiler.
    #[error("column \"{column}\" is in the data but not in its schema")]
    ProfileSchemaMismatch {
        /// The column without a schema entry.
        column: String,
    },
    /// A column has a storage type the profiler does not handle.
    #[error("column \"{column}\" has type {dtype}, which profiling does not support")]
    ProfileUnsupportedType {
        /// The column concerned.
        column: String,
        /// The polars type found.
        dtype: String,
    },
    /// A recipe document is not well-formed JSON of the recipe shape.
    #[error("recipe is not valid: {reason}")]
    RecipeParse {
        /// Where and what, as serde or the version check reported it.
        reason: String,
    },
    /// A recipe does not fit the dataset: every problem found, by step.
    #[error("recipe has {} problem(s):\n{}", problems.len(), render_problems(problems))]
    RecipeInvalid {
        /// Every problem, in step order.
        problems: Vec<crate::recipe::RecipeProblem>,
    },
    /// A step could not be applied to the data it saw (such as a negative value for log1p).
    #[error("step {step} ({op}){}: {reason}", column.as_ref().map(|c| format!(", column '{c}'")).unwrap_or_default())]
    StepFailed {
        /// Zero-based index of the step.
        step: usize,
        /// The step's operation.
        op: &'static str,
        /// The column concerned, if any.
        column: Option<String>,
        /// What went wrong, naming the row when one value is at fault.
        reason: String,
    },
    /// A column has a storage type recipes and diffs do not handle.
    #[error("column '{column}' has type {dtype}, which recipes and diffs do not handle")]
    UnsupportedColumnType {
        /// The column concerned.
        column: String,
        /// The polars type found.
        dtype: String,
    },
    /// The key columns given to a diff do not identify rows.
    #[error("diff key: {reason}")]
    DiffKey {
        /// Which dataset and column, and what is wrong.
        reason: String,
    },
    /// An option given to the engine is out of its range.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option's name, as in the options struct.
        option: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// Polars refused an operation; this is an engine fault, not bad input.
    #[error("data engine error: {0}")]
    Engine(#[from] polars::error::PolarsError),
    /// The input holds no data at all (zero bytes, only a byte order mark or only blank lines).
    #[error("{name}: the file is empty")]
    EmptyInput {
        /// The file concerned.
        name: String,
    },
    /// The input is neither a known binary format nor text.
    #[error(
        "{name}: the bytes are not text nor a known file format (binary data at byte {offset})"
    )]
    BinaryInput {
        /// The file concerned.
        name: String,
        /// Offset of the first byte that shows the data is binary.
        offset: u64,
    },
    /// The format the caller declared does not match the bytes.
    #[error("{name}: declared as {declared} but the bytes are {detected}")]
    FormatMismatch {
        /// The file concerned.
        name: String,
        /// The format the caller declared.
        declared: String,
        /// What the bytes look like.
        detected: String,
    },
    /// The bytes are a container this engine does not read (a zip that is not a workbook).
    #[error("{name}: unsupported format: {detail}")]
    UnsupportedFormat {
        /// The file concerned.
        name: String,
        /// What was found.
        detail: String,
    },
    /// The text is not valid in the required encoding and no fallback applies.
    #[error("{name}: line {line}: invalid {encoding} text at byte {offset}")]
    InvalidEncoding {
        /// The file concerned.
        name: String,
        /// The encoding that was required.
        encoding: String,
        /// One-based line of the first invalid byte.
        line: u64,
        /// Offset of the first invalid byte.
        offset: u64,
    },
    /// A quoted field is opened and never closed.
    #[error("{name}: line {line}: a quoted field opened here is never closed")]
    UnterminatedQuote {
        /// The file concerned.
        name: String,
        /// One-based line where the quoted field starts.
        line: u64,
    },
    /// A quote where RFC 4180 allows none: inside an unquoted field, or text after a closing
    /// quote.
    #[error(
        "{name}: line {line}, column {column}: a quote inside an unquoted field or text after a closing quote"
    )]
    InvalidQuote {
        /// The file concerned.
        name: String,
        /// One-based line of the quote.
        line: u64,
        /// One-based field number.
        column: usize,
    },
    /// The CSV parser refused text the pre-scan accepted.
    #[error("{name}: malformed delimited text: {detail}")]
    MalformedCsv {
        /// The file concerned.
        name: String,
        /// What the parser said.
        detail: String,
    },
    /// A row has a different number of fields than the header.
    #[error("{name}: line {line}: expected {expected} fields, found {found}")]
    RaggedRow {
        /// The file concerned.
        name: String,
        /// One-based line where the row starts.
        line: u64,
        /// Fields in the header (or the first row).
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// More columns than the configured limit.
    #[error("{name}: {found} columns, more than the limit of {limit}")]
    TooManyColumns {
        /// The file concerned.
        name: String,
        /// Columns found.
        found: usize,
        /// The configured limit.
        limit: usize,
    },
    /// One cell is larger than the configured limit.
    #[error("{name}: {place}: a cell of more than {limit} bytes")]
    CellTooLarge {
        /// The file concerned.
        name: String,
        /// Where the cell is (line and column, sheet cell, or record and field).
        place: String,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// A workbook archive exceeds the limits checked before it is opened.
    #[error("{name}: workbook archive over the limit: {detail}")]
    ArchiveLimit {
        /// The file concerned.
        name: String,
        /// Which limit and by how much.
        detail: String,
    },
    /// A workbook (XLSX, XLS, ODS) is damaged or cannot be read.
    #[error("{name}: corrupt workbook: {detail}")]
    CorruptWorkbook {
        /// The file concerned.
        name: String,
        /// What the workbook reader said.
        detail: String,
    },
    /// The requested sheet does not exist.
    #[error("{name}: no sheet {sheet}; sheets are: {available}")]
    SheetNotFound {
        /// The file concerned.
        name: String,
        /// The sheet asked for (name or index).
        sheet: String,
        /// The sheet names of the workbook.
        available: String,
    },
    /// The JSON text is malformed.
    #[error("{name}: line {line}, column {column}: invalid JSON: {detail}")]
    InvalidJson {
        /// The file concerned.
        name: String,
        /// One-based line.
        line: u64,
        /// One-based column.
        column: u64,
        /// What the parser said.
        detail: String,
    },
    /// A JSON record is not an object.
    #[error("{name}: line {line}: record {record} is {found}, expected an object")]
    JsonNotObject {
        /// The file concerned.
        name: String,
        /// One-based line where the record starts.
        line: u64,
        /// One-based record number.
        record: u64,
        /// The kind of JSON value found.
        found: String,
    },
    /// A Parquet file is damaged or cannot be read.
    #[error("{name}: corrupt Parquet file: {detail}")]
    CorruptParquet {
        /// The file concerned.
        name: String,
        /// What the Parquet reader said.
        detail: String,
    },
}

impl DataError {
    /// A stable, machine-readable code for the error, such as `io_error`.
    pub fn code(&self) -> &'static str {
        match self {
            DataError::Io { .. } => "io_error",
            DataError::ProfileSchemaMismatch { .. } => "profile_schema_mismatch",
            DataError::ProfileUnsupportedType { .. } => "profile_unsupported_type",
            DataError::RecipeParse { .. } => "recipe_parse",
            DataError::RecipeInvalid { .. } => "recipe_invalid",
            DataError::StepFailed { .. } => "step_failed",
            DataError::UnsupportedColumnType { .. } => "unsupported_column_type",
            DataError::DiffKey { .. } => "diff_key",
            DataError::InvalidOption { .. } => "invalid_option",
            DataError::Engine(_) => "engine_error",
            DataError::EmptyInput { .. } => "empty_input",
            DataError::BinaryInput { .. } => "binary_input",
            DataError::FormatMismatch { .. } => "format_mismatch",
            DataError::UnsupportedFormat { .. } => "unsupported_format",
            DataError::InvalidEncoding { .. } => "invalid_encoding",
            DataError::UnterminatedQuote { .. } => "unterminated_quote",
            DataError::InvalidQuote { .. } => "invalid_quote",
            DataError::MalformedCsv { .. } => "malformed_csv",
            DataError::RaggedRow { .. } => "ragged_row",
            DataError::TooManyColumns { .. } => "too_many_columns",
            DataError::CellTooLarge { .. } => "cell_too_large",
            DataError::ArchiveLimit { .. } => "archive_limit",
            DataError::CorruptWorkbook { .. } => "corrupt_workbook",
            DataError::SheetNotFound { .. } => "sheet_not_found",
            DataError::InvalidJson { .. } => "invalid_json",
            DataError::JsonNotObject { .. } => "json_not_object",
            DataError::CorruptParquet { .. } => "corrupt_parquet",
        }
    }

    /// Whether the error is the caller's input (as opposed to a fault of the engine or machine).
    pub fn is_invalid_input(&self) -> bool {
        !matches!(
            self,
            DataError::Io { .. } | DataError::Engine(_) | DataError::ProfileSchemaMismatch { .. }
        )
    }
}

fn render_problems(problems: &[crate::recipe::RecipeProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Shorthand for results of the data engine.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
