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
    /// Polars refused an operation; this is an engine fault, not bad input.
    #[error("data engine error: {0}")]
    Engine(#[from] polars::error::PolarsError),
}

impl DataError {
    /// A stable, machine-readable code for the error, such as `io_error`.
    pub fn code(&self) -> &'static str {
        match self {
            DataError::Io { .. } => "io_error",
            DataError::RecipeParse { .. } => "recipe_parse",
            DataError::RecipeInvalid { .. } => "recipe_invalid",
            DataError::StepFailed { .. } => "step_failed",
            DataError::UnsupportedColumnType { .. } => "unsupported_column_type",
            DataError::DiffKey { .. } => "diff_key",
            DataError::Engine(_) => "engine_error",
        }
    }

    /// Whether the error is the caller's input (as opposed to a fault of the engine or machine).
    pub fn is_invalid_input(&self) -> bool {
        !matches!(self, DataError::Io { .. } | DataError::Engine(_))
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
