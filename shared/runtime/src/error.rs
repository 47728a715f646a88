//! The one error type of the Lambda glue. Each variant has a stable code (`RuntimeError::code`)
//! for logs; clients only ever see it as a generic internal problem (see [`crate::http`]).

use crate::http::Problem;
use lambda_http::http::StatusCode;

/// Everything that can go wrong while a function starts or builds a response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// A required environment variable is not set, or is set to the empty string.
    #[error("environment variable {var} is not set")]
    MissingSetting {
        /// The variable's name, e.g. `IDA_RECORDS_TABLE`.
        var: &'static str,
    },
    /// An environment variable is set to a value that does not parse. The value itself is not
    /// repeated, so a future secret setting can never leak through this message.
    #[error("environment variable {var} is malformed: {reason}")]
    MalformedSetting {
        /// The variable's name, e.g. `IDA_KMS_KEY_ARN`.
        var: &'static str,
        /// What the value must look like.
        reason: String,
    },
    /// The global tracing subscriber could not be installed, usually because one already is.
    #[error("tracing could not start: {0}")]
    Tracing(#[from] tracing_subscriber::util::TryInitError),
    /// A response body could not be serialised to JSON.
    #[error("response body could not be serialised: {0}")]
    ResponseBody(#[from] serde_json::Error),
}

impl RuntimeError {
    /// A stable, machine-readable code for the error, such as `missing_setting`.
    pub fn code(&self) -> &'static str {
        match self {
            RuntimeError::MissingSetting { .. } => "missing_setting",
            RuntimeError::MalformedSetting { .. } => "malformed_setting",
            RuntimeError::Tracing(_) => "tracing_unavailable",
            RuntimeError::ResponseBody(_) => "response_body_unserialisable",
        }
    }
}

/// Every runtime error reaching a client is a fault of the function, never of the request, so
/// it is reported as one generic internal problem; the specific code and text go to the log.
impl Problem for RuntimeError {
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn problem_code(&self) -> &'static str {
        "internal_error"
    }

    fn title(&self) -> &'static str {
        "Internal server error"
    }

    fn log_code(&self) -> &'static str {
        self.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_setting_names_the_variable() {
        let error = RuntimeError::MissingSetting {
            var: "IDA_RECORDS_TABLE",
        };
        assert_eq!(
            error.to_string(),
            "environment variable IDA_RECORDS_TABLE is not set"
        );
        assert_eq!(error.code(), "missing_setting");
    }

    #[test]
    fn runtime_errors_reach_clients_as_one_internal_problem() {
        let error = RuntimeError::MalformedSetting {
            var: "IDA_LOG_LEVEL",
            reason: "x".into(),
        };
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.problem_code(), "internal_error");
        assert_eq!(error.log_code(), "malformed_setting");
        assert_eq!(error.public_detail(), None);
    }
}
