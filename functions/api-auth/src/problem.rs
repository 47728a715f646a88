//! The auth routes' one error: the runtime's problems, plus an email that cannot be registered,
//! answered with its own stable code and nothing about the account that holds it.

use ida_runtime::RuntimeError;
use ida_runtime::http::Problem;
use ida_store::StoreError;
use lambda_http::http::{HeaderName, HeaderValue, StatusCode};

/// Why an auth route refused a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The email is already registered (to any tenant); 409 `email_unavailable`.
    #[error("the email cannot be registered")]
    EmailUnavailable,
    /// Any other refusal or fault, as the runtime maps it.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict {
                entity: "email", ..
            } => AuthError::EmailUnavailable,
            other => AuthError::Runtime(other.into()),
        }
    }
}

impl From<ida_core::CoreError> for AuthError {
    fn from(error: ida_core::CoreError) -> Self {
        AuthError::Runtime(error.into())
    }
}

impl Problem for AuthError {
    fn status(&self) -> StatusCode {
        match self {
            AuthError::EmailUnavailable => StatusCode::CONFLICT,
            AuthError::Runtime(error) => error.status(),
        }
    }

    fn problem_code(&self) -> &'static str {
        match self {
            AuthError::EmailUnavailable => "email_unavailable",
            AuthError::Runtime(error) => error.problem_code(),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AuthError::EmailUnavailable => "Email unavailable",
            AuthError::Runtime(error) => error.title(),
        }
    }

    fn public_detail(&self) -> Option<String> {
        match self {
            AuthError::EmailUnavailable => {
                Some("This email cannot be used to register: log in, or use another.".to_owned())
            }
            AuthError::Runtime(error) => error.public_detail(),
        }
    }

    fn log_code(&self) -> &'static str {
        match self {
            AuthError::EmailUnavailable => "email_unavailable",
            AuthError::Runtime(error) => error.log_code(),
        }
    }

    fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        match self {
            AuthError::EmailUnavailable => Vec::new(),
            AuthError::Runtime(error) => error.headers(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_email_is_409_email_unavailable_without_naming_the_account() {
        let error = AuthError::from(StoreError::Conflict {
            entity: "email",
            id: "grace@acme.example".to_owned(),
            reason: "is already registered".to_owned(),
        });
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(error.problem_code(), "email_unavailable");
        assert!(!error.public_detail().unwrap().contains("grace"));
    }

    #[test]
    fn other_store_errors_keep_the_runtime_mapping() {
        let error = AuthError::from(StoreError::InvalidCredentials);
        assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error.problem_code(), "unauthenticated");
    }
}
