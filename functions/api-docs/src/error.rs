//! The one error type of the document's assembly. Each variant names the fragment at fault so a
//! failing test points at the file to fix.

/// Why the fragments do not merge into one document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocsError {
    /// A fragment is not YAML of the expected shape.
    #[error("{source_name}: {message}")]
    Syntax {
        /// The fragment (its crate) or `openapi-base.yaml`.
        source_name: &'static str,
        /// What is wrong and where.
        message: String,
    },
    /// A fragment sets a key only the base may set.
    #[error(
        "{source_name}: key {key} is not allowed in a fragment (only paths and components.schemas/parameters)"
    )]
    UnexpectedKey {
        /// The fragment.
        source_name: &'static str,
        /// The key, e.g. `info` or `components.responses`.
        key: String,
    },
    /// Two fragments declare the same route.
    #[error("{method} {path} is declared by both {first} and {second}")]
    DuplicateRoute {
        /// Upper-case method.
        method: String,
        /// Template path.
        path: String,
        /// The fragment that declared it first.
        first: &'static str,
        /// The fragment that declared it again.
        second: &'static str,
    },
    /// Two fragments (or a fragment and the base) declare the same component.
    #[error("components.{kind}.{name} is declared twice (again by {second})")]
    DuplicateComponent {
        /// `schemas` or `parameters`.
        kind: String,
        /// The component's name.
        name: String,
        /// The fragment that declared it again.
        second: &'static str,
    },
    /// A `$ref` points at nothing in the merged document.
    #[error("$ref {reference} points at nothing in the merged document")]
    UnresolvedReference {
        /// The reference as written.
        reference: String,
    },
}

impl DocsError {
    /// A stable, machine-readable code for the error, such as `duplicate_route`.
    pub fn code(&self) -> &'static str {
        match self {
            DocsError::Syntax { .. } => "fragment_syntax",
            DocsError::UnexpectedKey { .. } => "unexpected_key",
            DocsError::DuplicateRoute { .. } => "duplicate_route",
            DocsError::DuplicateComponent { .. } => "duplicate_component",
            DocsError::UnresolvedReference { .. } => "unresolved_reference",
        }
    }
}
