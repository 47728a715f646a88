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
    /// Polars refused an operation; this is an engine fault, not bad input.
    #[error("data engine error: {0}")]
    Engine(#[from] polars::error::PolarsError),
}

impl DataError {
    /// A stable, machine-readable code for the error, such as `io_error`.
    pub fn code(&self) -> &'static str {
        match self {
            DataError::Io { .. } => "io_error",
            DataError::ProfileSchemaMismatch { .. } => "profile_schema_mismatch",
            DataError::ProfileUnsupportedType { .. } => "profile_unsupported_type",
            DataError::Engine(_) => "engine_error",
        }
    }

    /// Whether the error is the caller's input (as opposed to a fault of the engine or machine).
    pub fn is_invalid_input(&self) -> bool {
        !matches!(self, DataError::Io { .. } | DataError::Engine(_))
    }
}

/// Shorthand for results of the data engine.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
