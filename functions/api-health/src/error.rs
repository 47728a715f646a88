//! Why a dependency check failed. The variant's code is what `/health` reports; the text inside
//! (SDK messages) is only ever logged.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::time::Duration;

/// A dependency that did not answer as expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The table or bucket does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The function's role may not describe the resource.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// The resource exists but cannot serve requests yet (a table being created or deleted).
    #[error("not ready: {0}")]
    NotReady(String),
    /// The service could not be reached (connection, DNS, TLS or SDK timeout).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The service answered with something else.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
    /// No answer within the check's time budget.
    #[error("no answer within {} ms", .0.as_millis())]
    TimedOut(Duration),
}

impl ProbeError {
    /// A stable, machine-readable code for the failure, reported as the dependency's `reason`.
    pub fn code(&self) -> &'static str {
        match self {
            ProbeError::NotFound(_) => "not_found",
            ProbeError::AccessDenied(_) => "access_denied",
            ProbeError::NotReady(_) => "not_ready",
            ProbeError::Unreachable(_) => "unreachable",
            ProbeError::Unexpected(_) => "unexpected_answer",
            ProbeError::TimedOut(_) => "timed_out",
        }
    }

    /// Classifies an SDK failure that the operation's own error type did not already explain:
    /// transport failures are `Unreachable`, 403s and denial codes `AccessDenied`, 404s
    /// `NotFound`, anything else `Unexpected`.
    pub fn from_sdk<E>(error: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let text = DisplayErrorContext(error).to_string();
        let SdkError::ServiceError(service_error) = error else {
            return match error {
                SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                    ProbeError::Unreachable(text)
                }
                _ => ProbeError::Unexpected(text),
            };
        };
        // HeadBucket answers without a body, so its status is the only clue; DynamoDB answers
        // 400 with a code.
        match (service_error.raw().status().as_u16(), error.code()) {
            (403, _) | (_, Some("AccessDeniedException" | "UnrecognizedClientException")) => {
                ProbeError::AccessDenied(text)
            }
            (404, _) | (_, Some("ResourceNotFoundException")) => ProbeError::NotFound(text),
            _ => ProbeError::Unexpected(text),
        }
    }
}
