//! The one error type of the local stack. Each variant has a stable code (`LocalError::code`) so
//! scripts and tests can tell a template mismatch from an emulator that is down.

/// Everything that can go wrong while reading the template or provisioning on the emulators.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// The template is not valid YAML or lacks its `Resources` map.
    #[error("infra/template.yaml: {message}")]
    TemplateSyntax {
        /// What is wrong and where.
        message: String,
    },
    /// The template declares a resource type that the local stack does not know how to host.
    #[error(
        "infra/template.yaml: resource {logical_id} has type {resource_type}, which the local stack does not provision"
    )]
    UnsupportedResource {
        /// The resource's logical id.
        logical_id: String,
        /// Its CloudFormation type.
        resource_type: String,
    },
    /// The template declares a resource whose role the local stack does not know.
    #[error(
        "infra/template.yaml: resource {logical_id} ({resource_type}) has no counterpart in the local stack; teach ida-local its role"
    )]
    UnmappedResource {
        /// The resource's logical id.
        logical_id: String,
        /// Its CloudFormation type.
        resource_type: String,
    },
    /// The local stack needs a resource that the template does not declare (or declares with
    /// another type).
    #[error(
        "infra/template.yaml: the local stack needs resource {logical_id} of type {resource_type}, which the template lacks"
    )]
    TemplateLacks {
        /// The logical id the local stack looks for.
        logical_id: String,
        /// The CloudFormation type it expects.
        resource_type: String,
    },
    /// A resource property that the local stack neither applies nor knowingly skips.
    #[error(
        "infra/template.yaml: property {property} of {logical_id} is not understood by the local stack"
    )]
    UnknownProperty {
        /// The resource's logical id.
        logical_id: String,
        /// The property name.
        property: String,
    },
    /// A property is present but malformed, or a required one is missing.
    #[error("infra/template.yaml: {logical_id}.{property}: {message}")]
    InvalidProperty {
        /// The resource's logical id.
        logical_id: String,
        /// The property path.
        property: String,
        /// What is wrong.
        message: String,
    },
    /// An intrinsic function could not be resolved.
    #[error("infra/template.yaml: cannot resolve {expression}: {message}")]
    Unresolvable {
        /// The expression, as written.
        expression: String,
        /// Why it cannot be resolved.
        message: String,
    },
    /// A parameter override names no template parameter, or a parameter has neither a default
    /// nor an override.
    #[error("infra/template.yaml: parameter {name}: {message}")]
    Parameter {
        /// The parameter name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// An emulator refused or failed a call.
    #[error("{operation} on {resource} failed: {message}")]
    Emulator {
        /// The AWS operation, such as `CreateQueue`.
        operation: &'static str,
        /// The resource concerned (a name or logical id).
        resource: String,
        /// The SDK error with its source chain.
        message: String,
    },
}

impl LocalError {
    /// A stable, machine-readable code for the error, such as `template_lacks`.
    pub fn code(&self) -> &'static str {
        match self {
            LocalError::TemplateSyntax { .. } => "template_syntax",
            LocalError::UnsupportedResource { .. } => "unsupported_resource",
            LocalError::UnmappedResource { .. } => "unmapped_resource",
            LocalError::TemplateLacks { .. } => "template_lacks",
            LocalError::UnknownProperty { .. } => "unknown_property",
            LocalError::InvalidProperty { .. } => "invalid_property",
            LocalError::Unresolvable { .. } => "unresolvable",
            LocalError::Parameter { .. } => "parameter",
            LocalError::Emulator { .. } => "emulator",
        }
    }

    /// Wraps an SDK error with the operation and the resource it concerned, keeping the whole
    /// source chain in the message (the SDK's Display alone says only "service error").
    pub(crate) fn emulator(
        operation: &'static str,
        resource: impl Into<String>,
        error: impl std::error::Error,
    ) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        LocalError::Emulator {
            operation,
            resource: resource.into(),
            message,
        }
    }
}

/// Shorthand for results of the local stack.
pub type Result<T, E = LocalError> = std::result::Result<T, E>;
