//! The authorizer's one error type. Its `Display` is what the Lambda returns as the error
//! message, and API Gateway reads exactly that text: `Unauthorized` becomes a 401, any other
//! message a 500 (`AUTHORIZER_FAILURE`). Credentials and key material never appear in it.

use ida_runtime::RuntimeError;

/// Why the authorizer allowed nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizerError {
    /// No credentials, or credentials that do not verify; API Gateway answers 401.
    #[error("Unauthorized")]
    Unauthorized {
        /// The specific refusal, for the log only (e.g. `invalid_token`).
        reason_code: &'static str,
    },
    /// The authorizer could not decide (key ring, records table); API Gateway answers 500.
    #[error("authorizer failure: {code}")]
    Failed {
        /// The stable code of the underlying failure.
        code: &'static str,
        /// The underlying failure; logged, never sent.
        #[source]
        source: RuntimeError,
    },
}

impl AuthorizerError {
    /// A stable, machine-readable code: `unauthorized` or `authorizer_failure`.
    pub fn code(&self) -> &'static str {
        match self {
            AuthorizerError::Unauthorized { .. } => "unauthorized",
            AuthorizerError::Failed { .. } => "authorizer_failure",
        }
    }

    /// A failure of the authorizer itself.
    pub fn failed(source: RuntimeError) -> Self {
        AuthorizerError::Failed {
            code: source.code(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_the_word_api_gateway_maps_to_401() {
        let error = AuthorizerError::Unauthorized {
            reason_code: "invalid_token",
        };
        assert_eq!(error.to_string(), "Unauthorized");
        assert_eq!(error.code(), "unauthorized");
    }

    #[test]
    fn a_failure_never_reads_unauthorized() {
        let error = AuthorizerError::failed(RuntimeError::KeySet {
            source_name: "keys.json".into(),
            reason: "NotFound".into(),
        });
        assert_eq!(error.to_string(), "authorizer failure: key_set_unavailable");
        assert_eq!(error.code(), "authorizer_failure");
    }
}
