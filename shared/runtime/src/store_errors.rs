//! How the store's errors reach clients: mapped once onto [`RuntimeError`], whose problem
//! mapping then applies (conflict 409, quota 429, transient 503 with `Retry-After`). Store
//! internals (operations, SDK messages, record keys) stay in the log.

use crate::error::RuntimeError;
use ida_core::CoreError;
use ida_core::error::AccessDenied;
use ida_store::StoreError;

/// Seconds a client waits before retrying after a transient store failure.
const RETRY_AFTER_SECS: u32 = 1;

/// The entity name the store gives idempotency-key conflicts.
const IDEMPOTENCY_ENTITY: &str = "idempotency_key";

impl From<StoreError> for RuntimeError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { entity, .. } => RuntimeError::NotFound { entity },
            // A key still held by a running request has no id in the error (the store
            // reports the race without it); a reuse with another request names the key.
            StoreError::Conflict { entity, id, .. } if entity == IDEMPOTENCY_ENTITY => {
                if id.is_empty() {
                    RuntimeError::IdempotencyInProgress
                } else {
                    RuntimeError::IdempotencyKeyReused
                }
            }
            StoreError::Conflict { reason, .. } => RuntimeError::Conflict { reason },
            StoreError::QuotaExceeded {
                quota,
                limit,
                requested,
            } => RuntimeError::QuotaExceeded {
                quota,
                limit,
                requested,
            },
            StoreError::Forbidden { reason } => RuntimeError::Forbidden(AccessDenied { reason }),
            StoreError::InvalidCursor { .. } => RuntimeError::InvalidParameter {
                parameter: "cursor",
                reason: "the next_cursor of a previous page of the same listing, unchanged",
            },
            StoreError::InvalidCredentials => CoreError::InvalidCredentials.into(),
            StoreError::CredentialRevoked => CoreError::CredentialRevoked.into(),
            StoreError::RefreshTokenReused => CoreError::RefreshTokenReused.into(),
            StoreError::LoginLocked { until } => CoreError::LoginLocked { until }.into(),
            StoreError::Domain(core) => core.into(),
            transient @ StoreError::Transient { .. } => RuntimeError::Unavailable {
                dependency: "store",
                reason: transient.to_string(),
                retry_after_secs: RETRY_AFTER_SECS,
            },
            other => RuntimeError::Dependency {
                dependency: "store",
                reason: format!("{} ({})", other, other.code()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Problem;
    use lambda_http::http::StatusCode;
    use lambda_http::http::header::RETRY_AFTER;

    fn problem(error: StoreError) -> (StatusCode, &'static str, Option<String>) {
        let error = RuntimeError::from(error);
        (error.status(), error.problem_code(), error.public_detail())
    }

    #[test]
    fn conflicts_are_409_with_the_safe_reason() {
        let (status, code, detail) = problem(StoreError::Conflict {
            entity: "dataset",
            id: "ds_1".into(),
            reason: "the record changed since it was read".into(),
        });
        assert_eq!((status, code), (StatusCode::CONFLICT, "conflict"));
        assert_eq!(
            detail.as_deref(),
            Some("the record changed since it was read.")
        );
    }

    #[test]
    fn idempotency_conflicts_keep_their_own_codes() {
        let reused = problem(StoreError::Conflict {
            entity: "idempotency_key",
            id: "k1".into(),
            reason: "the key was used with a different request".into(),
        });
        assert_eq!(reused.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reused.1, "idempotency_key_reused");
        let running = problem(StoreError::Conflict {
            entity: "idempotency_key",
            id: String::new(),
            reason: "a concurrent request holds this key".into(),
        });
        assert_eq!(
            (running.0, running.1),
            (StatusCode::CONFLICT, "idempotency_in_progress")
        );
    }

    #[test]
    fn quota_is_429_quota_exceeded() {
        let (status, code, detail) = problem(StoreError::QuotaExceeded {
            quota: "upload_bytes",
            limit: 1000,
            requested: 2000,
        });
        assert_eq!(
            (status, code),
            (StatusCode::TOO_MANY_REQUESTS, "quota_exceeded")
        );
        assert_eq!(
            detail.as_deref(),
            Some("Quota upload_bytes exceeded: limit 1000, requested 2000.")
        );
    }

    #[test]
    fn transient_failures_are_503_with_retry_after_and_no_sdk_text() {
        let error = RuntimeError::from(StoreError::Transient {
            operation: "TransactWriteItems",
            message: "ProvisionedThroughputExceededException".into(),
        });
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.public_detail(), None);
        assert!(
            error
                .headers()
                .iter()
                .any(|(name, value)| *name == RETRY_AFTER && value == "1")
        );
    }

    #[test]
    fn backend_faults_are_one_internal_problem() {
        let error = RuntimeError::from(StoreError::Backend {
            operation: "GetItem",
            message: "table ida-records-x not found".into(),
        });
        assert_eq!(error.problem_code(), "internal_error");
        assert_eq!(error.public_detail(), None);
        assert_eq!(error.log_code(), "dependency_failed");
    }

    #[test]
    fn not_found_and_bad_cursors_and_credentials() {
        assert_eq!(
            problem(StoreError::NotFound {
                entity: "dataset",
                id: "ds_9".into()
            }),
            (
                StatusCode::NOT_FOUND,
                "not_found",
                Some("No such dataset.".into())
            )
        );
        assert_eq!(
            problem(StoreError::InvalidCursor { reason: "bad mac" }).0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(problem(StoreError::InvalidCredentials).1, "unauthenticated");
        assert_eq!(
            problem(StoreError::Forbidden {
                reason: "another tenant's cursor".into()
            })
            .0,
            StatusCode::FORBIDDEN
        );
    }
}
