//! The one error type of the local host. Each variant has a stable code (`ServeError::code`).

/// Everything that stops the host from starting or stopping cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A hosted route's function is not triggered by a REST route.
    #[error("function {binary} is not a REST route and cannot be hosted as one")]
    NotARoute {
        /// The function's binary.
        binary: &'static str,
    },
    /// A route's template path does not have API Gateway's form.
    #[error("route path {path} is malformed: {reason}")]
    MalformedTemplate {
        /// The template path.
        path: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// Two routes declare the same method on the same path.
    #[error("{method} {path} is hosted twice")]
    DuplicateRoute {
        /// The method.
        method: &'static str,
        /// The template path.
        path: &'static str,
    },
    /// Two templates differ only in their parameter names, so no request can tell them apart.
    #[error("route paths {first} and {second} match the same requests")]
    AmbiguousTemplates {
        /// The first template.
        first: &'static str,
        /// The second one.
        second: &'static str,
    },
    /// An authorized route is hosted without an authorizer.
    #[error("route {binary} needs the authorizer, and none was given")]
    NoAuthorizer {
        /// The route's binary.
        binary: &'static str,
    },
    /// A result cache with a TTL but no identity source would share one answer between callers.
    #[error("an authorizer result cache needs at least one identity source header")]
    CacheWithoutIdentitySource,
    /// The listening socket could not be opened.
    #[error("cannot listen on 127.0.0.1:{port}: {message}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The system's message.
        message: String,
    },
    /// The signing key ring under the state folder is unreadable or cannot be written.
    #[error("signing key ring {path}: {message}")]
    KeyRing {
        /// The file.
        path: String,
        /// What went wrong; never key material.
        message: String,
    },
    /// A function's state could not be built from the stack's settings.
    #[error("{function} cannot start: {message}")]
    FunctionSetup {
        /// The function or crate.
        function: &'static str,
        /// Why.
        message: String,
    },
}

impl ServeError {
    /// A stable, machine-readable code for the error, such as `duplicate_route`.
    pub fn code(&self) -> &'static str {
        match self {
            ServeError::NotARoute { .. } => "not_a_route",
            ServeError::MalformedTemplate { .. } => "malformed_template",
            ServeError::DuplicateRoute { .. } => "duplicate_route",
            ServeError::AmbiguousTemplates { .. } => "ambiguous_templates",
            ServeError::NoAuthorizer { .. } => "no_authorizer",
            ServeError::CacheWithoutIdentitySource => "cache_without_identity_source",
            ServeError::Bind { .. } => "bind",
            ServeError::KeyRing { .. } => "key_ring",
            ServeError::FunctionSetup { .. } => "function_setup",
        }
    }
}
