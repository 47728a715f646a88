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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
    use aws_sdk_s3::operation::head_bucket::HeadBucketError;
    use aws_sdk_s3::primitives::SdkBody;

    fn answer(status: u16) -> HttpResponse {
        HttpResponse::new(status.try_into().unwrap(), SdkBody::empty())
    }

    fn head_bucket_answered(status: u16) -> ProbeError {
        let error = HeadBucketError::generic(ErrorMetadata::builder().build());
        ProbeError::from_sdk(&SdkError::service_error(error, answer(status)))
    }

    fn describe_table_answered(status: u16, code: &str) -> ProbeError {
        let error = DescribeTableError::generic(ErrorMetadata::builder().code(code).build());
        ProbeError::from_sdk(&SdkError::service_error(error, answer(status)))
    }

    #[test]
    fn a_bodiless_head_bucket_answer_is_classified_by_its_status() {
        assert_eq!(head_bucket_answered(403).code(), "access_denied");
        assert_eq!(head_bucket_answered(404).code(), "not_found");
        assert_eq!(head_bucket_answered(500).code(), "unexpected_answer");
    }

    #[test]
    fn a_dynamodb_answer_is_classified_by_its_error_code() {
        assert_eq!(
            describe_table_answered(400, "AccessDeniedException").code(),
            "access_denied"
        );
        assert_eq!(
            describe_table_answered(400, "UnrecognizedClientException").code(),
            "access_denied"
        );
        assert_eq!(
            describe_table_answered(400, "ResourceNotFoundException").code(),
            "not_found"
        );
        assert_eq!(
            describe_table_answered(400, "ValidationException").code(),
            "unexpected_answer"
        );
    }

    #[test]
    fn transport_failures_are_unreachable() {
        let refused = ConnectorError::io("connection refused".into());
        let dispatch = SdkError::<DescribeTableError, HttpResponse>::dispatch_failure(refused);
        assert_eq!(ProbeError::from_sdk(&dispatch).code(), "unreachable");
        let timeout = SdkError::<DescribeTableError, HttpResponse>::timeout_error("read timed out");
        assert_eq!(ProbeError::from_sdk(&timeout).code(), "unreachable");
    }
}
