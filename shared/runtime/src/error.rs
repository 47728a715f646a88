//! The one error type of the Lambda glue. Each variant has a stable code (`RuntimeError::code`)
//! for logs, and one place ([`Problem`] below) decides what a client sees: request errors become
//! 4xx problems naming the field, parameter or header at fault; domain errors of `ida-core` map
//! by their kind; every fault of the function itself is one generic `500 internal_error`.

use crate::http::Problem;
use ida_core::{CoreError, ErrorKind, error::AccessDenied};
use lambda_http::http::header::{HeaderName, RETRY_AFTER, WWW_AUTHENTICATE};
use lambda_http::http::{HeaderValue, StatusCode};

/// Everything that can go wrong while a function starts, reads a request or builds a response.
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
    /// The token key set could not be loaded or does not hold usable keys.
    #[error("token key set unavailable from {source_name}: {reason}")]
    KeySet {
        /// Where the keys were read from (a secret id or a file path), never the keys.
        source_name: String,
        /// What went wrong.
        reason: String,
    },
    /// A dependency (store, AWS service) failed in a way that retrying will not fix.
    #[error("{dependency} failed: {reason}")]
    Dependency {
        /// The dependency, e.g. `records_table`.
        dependency: &'static str,
        /// What it answered; logged, never sent.
        reason: String,
    },
    /// A dependency is briefly unavailable (throttled, timed out); the client may retry.
    #[error("{dependency} temporarily unavailable: {reason}")]
    Unavailable {
        /// The dependency, e.g. `records_table`.
        dependency: &'static str,
        /// What it answered; logged, never sent.
        reason: String,
        /// Seconds the client should wait, sent as `Retry-After`.
        retry_after_secs: u32,
    },
    /// The request carries no usable credentials, or a route has no authorizer context.
    #[error("unauthenticated: {reason}")]
    Unauthenticated {
        /// What is missing or wrong, in words safe to show to the caller.
        reason: &'static str,
    },
    /// An authorisation check refused the principal.
    #[error(transparent)]
    Forbidden(#[from] AccessDenied),
    /// A rule of the domain refused the request.
    #[error(transparent)]
    Domain(#[from] CoreError),
    /// The request body is not JSON of the expected shape.
    #[error("invalid JSON body at {field} (line {line}, column {column}): {category}")]
    InvalidBody {
        /// The path of the offending field, such as `columns[2].name`, or `.` for the root.
        field: String,
        /// The line of the body where parsing stopped.
        line: usize,
        /// The column of the body where parsing stopped.
        column: usize,
        /// `syntax`, `data` (wrong type or missing field) or `truncated`.
        category: &'static str,
        /// The parser's message; it may quote the caller's data, so it is sent, never logged.
        message: String,
    },
    /// The request body exceeds the route's limit.
    #[error("request body of {size} bytes exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The request body is not declared as JSON.
    #[error("request content type is not JSON")]
    UnsupportedMediaType,
    /// A query parameter is malformed or out of range.
    #[error("invalid query parameter {parameter}: {reason}")]
    InvalidParameter {
        /// The parameter, e.g. `limit`.
        parameter: &'static str,
        /// What a valid value looks like.
        reason: &'static str,
    },
    /// A request header is malformed.
    #[error("invalid header {header}: {reason}")]
    InvalidHeader {
        /// The header, e.g. `Idempotency-Key`.
        header: &'static str,
        /// What a valid value looks like.
        reason: &'static str,
    },
    /// The entity does not exist in the caller's tenant (or the caller may not know it does).
    #[error("{entity} not found")]
    NotFound {
        /// The kind of entity, e.g. `dataset`.
        entity: &'static str,
    },
    /// The request conflicts with the entity's current state (a concurrent write, a duplicate).
    #[error("conflict: {reason}")]
    Conflict {
        /// What conflicts, in words safe to show to the caller.
        reason: String,
    },
    /// A tenant quota would be exceeded by the request.
    #[error("quota {quota} exceeded: limit {limit}, requested {requested}")]
    QuotaExceeded {
        /// The quota's name, e.g. `upload_bytes`.
        quota: &'static str,
        /// The tenant's limit.
        limit: u64,
        /// What the request would add.
        requested: u64,
    },
    /// An update's `If-Match` does not name the entity's current ETag.
    #[error("If-Match does not match the current ETag")]
    PreconditionFailed,
    /// An update came without `If-Match`.
    #[error("If-Match is required on this update")]
    PreconditionRequired,
    /// An `Idempotency-Key` was reused with a different request.
    #[error("Idempotency-Key reused with a different request")]
    IdempotencyKeyReused,
    /// The first request with this `Idempotency-Key` is still being processed.
    #[error("a request with this Idempotency-Key is in progress")]
    IdempotencyInProgress,
}

impl RuntimeError {
    /// A stable, machine-readable code for the error, such as `missing_setting`.
    pub fn code(&self) -> &'static str {
        match self {
            RuntimeError::MissingSetting { .. } => "missing_setting",
            RuntimeError::MalformedSetting { .. } => "malformed_setting",
            RuntimeError::Tracing(_) => "tracing_unavailable",
            RuntimeError::ResponseBody(_) => "response_body_unserialisable",
            RuntimeError::KeySet { .. } => "key_set_unavailable",
            RuntimeError::Dependency { .. } => "dependency_failed",
            RuntimeError::Unavailable { .. } => "temporarily_unavailable",
            RuntimeError::Unauthenticated { .. } => "unauthenticated",
            RuntimeError::Forbidden(_) => "forbidden",
            RuntimeError::Domain(error) => domain_code(error),
            RuntimeError::InvalidBody { .. } => "invalid_body",
            RuntimeError::BodyTooLarge { .. } => "body_too_large",
            RuntimeError::UnsupportedMediaType => "unsupported_media_type",
            RuntimeError::InvalidParameter { .. } => "invalid_parameter",
            RuntimeError::InvalidHeader { .. } => "invalid_header",
            RuntimeError::NotFound { .. } => "not_found",
            RuntimeError::Conflict { .. } => "conflict",
            RuntimeError::QuotaExceeded { .. } => "quota_exceeded",
            RuntimeError::PreconditionFailed => "precondition_failed",
            RuntimeError::PreconditionRequired => "precondition_required",
            RuntimeError::IdempotencyKeyReused => "idempotency_key_reused",
            RuntimeError::IdempotencyInProgress => "idempotency_in_progress",
        }
    }
}

/// The public code of a domain error: its own code, except that every credential failure is
/// one `unauthenticated` (clients react to all of them the same way: authenticate again), every
/// refusal of a role is `forbidden`, and faults of the system are `internal_error`.
fn domain_code(error: &CoreError) -> &'static str {
    match error.kind() {
        ErrorKind::Unauthenticated => "unauthenticated",
        ErrorKind::Forbidden if matches!(error, CoreError::AccessDenied(_)) => "forbidden",
        ErrorKind::Internal => "internal_error",
        _ => error.code(),
    }
}

fn domain_status(error: &CoreError) -> StatusCode {
    match error.kind() {
        ErrorKind::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::LimitExceeded => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The `WWW-Authenticate` challenge of every 401 (RFC 6750).
const BEARER_CHALLENGE: &str = "Bearer realm=\"ida\"";

impl Problem for RuntimeError {
    fn status(&self) -> StatusCode {
        match self {
            RuntimeError::MissingSetting { .. }
            | RuntimeError::MalformedSetting { .. }
            | RuntimeError::Tracing(_)
            | RuntimeError::ResponseBody(_)
            | RuntimeError::KeySet { .. }
            | RuntimeError::Dependency { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            RuntimeError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            RuntimeError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            RuntimeError::Forbidden(_) => StatusCode::FORBIDDEN,
            RuntimeError::Domain(error) => domain_status(error),
            RuntimeError::InvalidBody { .. }
            | RuntimeError::InvalidParameter { .. }
            | RuntimeError::InvalidHeader { .. } => StatusCode::BAD_REQUEST,
            RuntimeError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            RuntimeError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RuntimeError::NotFound { .. } => StatusCode::NOT_FOUND,
            RuntimeError::Conflict { .. } | RuntimeError::IdempotencyInProgress => {
                StatusCode::CONFLICT
            }
            RuntimeError::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            RuntimeError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            RuntimeError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            RuntimeError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn problem_code(&self) -> &'static str {
        if self.status() == StatusCode::INTERNAL_SERVER_ERROR {
            return "internal_error";
        }
        self.code()
    }

    fn title(&self) -> &'static str {
        match self.problem_code() {
            "internal_error" => "Internal server error",
            "temporarily_unavailable" => "Temporarily unavailable",
            "unauthenticated" => "Authentication required",
            "forbidden" | "self_approval" => "Forbidden",
            "invalid_body" => "Invalid request body",
            "body_too_large" => "Request body too large",
            "unsupported_media_type" => "Unsupported media type",
            "invalid_parameter" => "Invalid query parameter",
            "invalid_header" => "Invalid header",
            "invalid_field" => "Validation failed",
            "not_found" => "Not found",
            "precondition_failed" => "Precondition failed",
            "precondition_required" => "Precondition required",
            "idempotency_key_reused" => "Idempotency key reused",
            "idempotency_in_progress" => "Request in progress",
            "quota_exceeded" => "Quota exceeded",
            "login_locked" => "Too many failed logins",
            _ => "Conflict",
        }
    }

    fn public_detail(&self) -> Option<String> {
        match self {
            RuntimeError::Unauthenticated { reason } => Some(format!("{reason}.")),
            RuntimeError::Forbidden(denied) => Some(format!("{}.", denied.reason)),
            RuntimeError::Domain(error) => domain_detail(error),
            RuntimeError::InvalidBody {
                field,
                line,
                column,
                message,
                ..
            } => Some(format!(
                "Field {field} (line {line}, column {column}): {message}."
            )),
            RuntimeError::BodyTooLarge { limit, .. } => {
                Some(format!("The body must not exceed {limit} bytes."))
            }
            RuntimeError::UnsupportedMediaType => {
                Some("Send the body as application/json.".to_owned())
            }
            RuntimeError::InvalidParameter { parameter, reason } => {
                Some(format!("Query parameter {parameter}: {reason}."))
            }
            RuntimeError::InvalidHeader { header, reason } => {
                Some(format!("Header {header}: {reason}."))
            }
            RuntimeError::NotFound { entity } => Some(format!("No such {entity}.")),
            RuntimeError::Conflict { reason } => Some(format!("{reason}.")),
            RuntimeError::QuotaExceeded {
                quota,
                limit,
                requested,
            } => Some(format!(
                "Quota {quota} exceeded: limit {limit}, requested {requested}."
            )),
            RuntimeError::PreconditionFailed => Some(
                "The resource changed since it was read: read it again and retry with its ETag."
                    .to_owned(),
            ),
            RuntimeError::PreconditionRequired => {
                Some("Send If-Match with the ETag of the resource as read.".to_owned())
            }
            RuntimeError::IdempotencyKeyReused => Some(
                "This Idempotency-Key was used with a different request: use a new key.".to_owned(),
            ),
            RuntimeError::IdempotencyInProgress => Some(
                "The first request with this Idempotency-Key is still running: retry later."
                    .to_owned(),
            ),
            _ => None,
        }
    }

    fn log_code(&self) -> &'static str {
        match self {
            RuntimeError::Domain(error) => error.code(),
            _ => self.code(),
        }
    }

    fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        match self {
            RuntimeError::Unauthenticated { .. } => {
                vec![(WWW_AUTHENTICATE, HeaderValue::from_static(BEARER_CHALLENGE))]
            }
            RuntimeError::Domain(error) if error.kind() == ErrorKind::Unauthenticated => {
                vec![(WWW_AUTHENTICATE, HeaderValue::from_static(BEARER_CHALLENGE))]
            }
            RuntimeError::Unavailable {
                retry_after_secs, ..
            } => vec![(RETRY_AFTER, HeaderValue::from(*retry_after_secs))],
            _ => Vec::new(),
        }
    }
}

/// What a client may read about a domain error. Core messages name fields and entities and
/// never carry secrets; credential failures stay vague on purpose (which check failed helps an
/// attacker more than a user), except a token's expiry, which tells the client to refresh.
fn domain_detail(error: &CoreError) -> Option<String> {
    match error {
        CoreError::InvalidToken { reason: "expired" } => Some("The token has expired.".to_owned()),
        _ => match error.kind() {
            ErrorKind::Unauthenticated | ErrorKind::Internal => None,
            _ => Some(format!("{error}.")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_core::Role;

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

    #[test]
    fn access_denied_is_a_403_forbidden_problem_with_its_reason() {
        let error = RuntimeError::from(AccessDenied {
            reason: format!("role {} does not grant dataset:write", Role::Viewer),
        });
        assert_eq!(error.status(), StatusCode::FORBIDDEN);
        assert_eq!(error.problem_code(), "forbidden");
        assert_eq!(
            error.public_detail().as_deref(),
            Some("role VIEWER does not grant dataset:write.")
        );
    }

    #[test]
    fn validation_is_a_422_naming_the_field() {
        let error = RuntimeError::from(CoreError::invalid("email", "must contain @"));
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.problem_code(), "invalid_field");
        assert_eq!(
            error.public_detail().as_deref(),
            Some("invalid email: must contain @.")
        );
    }

    #[test]
    fn quota_is_a_429_quota_exceeded() {
        let error = RuntimeError::from(CoreError::QuotaExceeded {
            quota: "projects",
            limit: 10,
            used: 10,
            requested: 1,
        });
        assert_eq!(error.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.problem_code(), "quota_exceeded");
    }

    #[test]
    fn credential_failures_are_one_vague_401_with_a_bearer_challenge() {
        for core in [
            CoreError::InvalidCredentials,
            CoreError::CredentialRevoked,
            CoreError::InvalidToken {
                reason: "bad signature",
            },
        ] {
            let error = RuntimeError::from(core);
            assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(error.problem_code(), "unauthenticated");
            assert_eq!(error.public_detail(), None);
            assert_eq!(
                error.headers(),
                vec![(WWW_AUTHENTICATE, HeaderValue::from_static(BEARER_CHALLENGE))]
            );
        }
    }

    #[test]
    fn an_expired_token_says_so_so_the_client_refreshes() {
        let error = RuntimeError::from(CoreError::InvalidToken { reason: "expired" });
        assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            error.public_detail().as_deref(),
            Some("The token has expired.")
        );
    }

    #[test]
    fn crypto_faults_are_internal_and_keep_their_text_out_of_the_body() {
        let error = RuntimeError::from(CoreError::Crypto("rng failed".into()));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.problem_code(), "internal_error");
        assert_eq!(error.log_code(), "crypto_failure");
        assert_eq!(error.public_detail(), None);
    }

    #[test]
    fn unavailable_dependencies_are_a_503_with_retry_after() {
        let error = RuntimeError::Unavailable {
            dependency: "records_table",
            reason: "ProvisionedThroughputExceededException".into(),
            retry_after_secs: 2,
        };
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.problem_code(), "temporarily_unavailable");
        assert_eq!(error.public_detail(), None);
        assert_eq!(
            error.headers(),
            vec![(RETRY_AFTER, HeaderValue::from(2u32))]
        );
    }

    #[test]
    fn a_body_error_sends_the_parser_message_but_never_logs_it() {
        let error = RuntimeError::InvalidBody {
            field: "name".into(),
            line: 1,
            column: 12,
            category: "data",
            message: "invalid type: integer `42`, expected a string".into(),
        };
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert!(!error.to_string().contains("42"), "{error}");
        assert!(error.public_detail().unwrap_or_default().contains("name"));
    }
}
