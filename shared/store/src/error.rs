//! The one error type of the store. Every variant has a stable code (`StoreError::code`) and says
//! whether retrying can help (`StoreError::is_transient`). Messages name the record or object
//! concerned and never carry a secret, a record body or a cell value.

use ida_core::CoreError;

/// Everything that can go wrong reading or writing records and artifacts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such record (or object) in the caller's tenant.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of record, such as `dataset`.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// A conditional write failed: the record changed since it was read, already exists, or an
    /// idempotency key was reused with a different request.
    #[error("conflict on {entity} {id}: {reason}")]
    Conflict {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
        /// What conflicted, in words safe to show to the caller.
        reason: String,
    },
    /// A quota would be exceeded; the counter was not moved.
    #[error("quota {quota} exceeded: limit {limit}, requested {requested}")]
    QuotaExceeded {
        /// The quota's name, such as `upload_bytes`.
        quota: &'static str,
        /// The tenant's limit.
        limit: u64,
        /// What the request would add.
        requested: u64,
    },
    /// The caller's scope does not cover the record, object key or cursor it named.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Why, in words safe to show to the caller.
        reason: String,
    },
    /// A pagination cursor was malformed, forged or minted for another tenant or listing.
    #[error("invalid cursor: {reason}")]
    InvalidCursor {
        /// What check failed.
        reason: &'static str,
    },
    /// Credentials were refused (wrong password, unknown key, bad secret).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A refresh token was presented twice: its whole session family is now revoked.
    #[error("refresh token reuse detected: the session family is revoked")]
    RefreshTokenReused,
    /// The credential (API key, session) was revoked or has expired.
    #[error("credential revoked or expired")]
    CredentialRevoked,
    /// Too many failed logins for this account; the lock ends at `until` (RFC 3339).
    #[error("too many failed logins: locked until {until}")]
    LoginLocked {
        /// When logins are accepted again.
        until: String,
    },
    /// A domain rule refused the change.
    #[error(transparent)]
    Domain(#[from] CoreError),
    /// Throttling, a timeout or a network fault: the same call may succeed later.
    #[error("transient failure in {operation}: {message}")]
    Transient {
        /// The AWS operation, such as `TransactWriteItems`.
        operation: &'static str,
        /// What the SDK reported.
        message: String,
    },
    /// A stored item could not be read back (a missing attribute, a body that does not parse).
    #[error("corrupt record at {key}: {reason}")]
    CorruptRecord {
        /// The item's key, `pk/sk`.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Any other failure of DynamoDB or S3.
    #[error("{operation} failed: {message}")]
    Backend {
        /// The AWS operation.
        operation: &'static str,
        /// What the SDK reported.
        message: String,
    },
    /// Settings were missing or malformed.
    #[error("invalid setting {name}: {reason}")]
    Settings {
        /// The environment variable.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl StoreError {
    /// A stable, machine-readable code such as `not_found`.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. } => "not_found",
            StoreError::Conflict { .. } => "conflict",
            StoreError::QuotaExceeded { .. } => "quota_exceeded",
            StoreError::Forbidden { .. } => "forbidden",
            StoreError::InvalidCursor { .. } => "invalid_cursor",
            StoreError::InvalidCredentials => "invalid_credentials",
            StoreError::RefreshTokenReused => "refresh_token_reused",
            StoreError::CredentialRevoked => "credential_revoked",
            StoreError::LoginLocked { .. } => "login_locked",
            StoreError::Domain(inner) => inner.code(),
            StoreError::Transient { .. } => "transient",
            StoreError::CorruptRecord { .. } => "corrupt_record",
            StoreError::Backend { .. } => "backend_failure",
            StoreError::Settings { .. } => "invalid_settings",
        }
    }

    /// Whether the same call may succeed if retried later.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Transient { .. })
    }

    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn conflict(
        entity: &'static str,
        id: impl ToString,
        reason: impl Into<String>,
    ) -> Self {
        StoreError::Conflict {
            entity,
            id: id.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn corrupt(key: impl Into<String>, reason: impl Into<String>) -> Self {
        StoreError::CorruptRecord {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// Classifies an SDK error: throttling, timeouts and connection faults are transient.
    pub(crate) fn from_sdk<E, R>(
        operation: &'static str,
        error: aws_sdk_dynamodb::error::SdkError<E, R>,
    ) -> Self
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        use aws_sdk_dynamodb::error::SdkError;
        let message = aws_sdk_dynamodb::error::DisplayErrorContext(&error).to_string();
        let transient = match &error {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(service) => matches!(
                service.err().code(),
                Some(
                    "ThrottlingException"
                        | "ProvisionedThroughputExceededException"
                        | "RequestLimitExceeded"
                        | "InternalServerError"
                        | "ServiceUnavailable"
                        | "SlowDown"
                )
            ),
            _ => false,
        };
        if transient {
            StoreError::Transient { operation, message }
        } else {
            StoreError::Backend { operation, message }
        }
    }
}

/// Shorthand for results of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case() {
        let errors = [
            StoreError::not_found("dataset", "dst_1"),
            StoreError::conflict("dataset", "dst_1", "stale revision"),
            StoreError::QuotaExceeded {
                quota: "upload_bytes",
                limit: 10,
                requested: 11,
            },
            StoreError::InvalidCursor { reason: "forged" },
            StoreError::RefreshTokenReused,
            StoreError::Transient {
                operation: "Query",
                message: "throttled".into(),
            },
        ];
        let codes: Vec<_> = errors.iter().map(StoreError::code).collect();
        assert_eq!(
            codes,
            [
                "not_found",
                "conflict",
                "quota_exceeded",
                "invalid_cursor",
                "refresh_token_reused",
                "transient"
            ]
        );
        assert!(errors[5].is_transient());
        assert!(!errors[1].is_transient());
    }

    #[test]
    fn domain_errors_keep_their_code() {
        let error = StoreError::from(CoreError::invalid("email", "missing @"));
        assert_eq!(error.code(), "invalid_field");
        assert_eq!(error.to_string(), "invalid email: missing @");
    }
}
