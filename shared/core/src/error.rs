//! The one error type of the domain crate. Every variant has a stable code (`CoreError::code`)
//! and a kind (`CoreError::kind`) that the HTTP layer maps to a status and the pipeline to a
//! Step Functions error name. Messages name the field or entity concerned and never carry a
//! secret (passwords, tokens and key secrets are never formatted into an error).

use crate::transition::InvalidTransition;

/// The broad class of an error, for mapping to HTTP statuses and pipeline error names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller sent a malformed or out-of-range value.
    InvalidInput,
    /// The caller could not be authenticated (bad or expired credentials).
    Unauthenticated,
    /// The caller is authenticated but not allowed to do this.
    Forbidden,
    /// The request conflicts with the current state of an entity.
    Conflict,
    /// A quota or rate limit refuses the request.
    LimitExceeded,
    /// A fault of this system (crypto backend, serialisation), not of the caller.
    Internal,
}

/// Why an authorisation check refused a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("access denied: {reason}")]
pub struct AccessDenied {
    /// What the caller lacks, in words safe to show to the caller.
    pub reason: String,
}

/// Everything that can go wrong in the domain rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A value failed validation; `field` names it as the API spells it.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field, such as `tenant_id` or `email`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An authorisation check refused the principal.
    #[error(transparent)]
    AccessDenied(#[from] AccessDenied),
    /// A status change that the entity's state machine does not allow.
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    /// A quota would be exceeded by the request.
    #[error("quota {quota} exceeded: limit {limit}, in use {used}, requested {requested}")]
    QuotaExceeded {
        /// The quota's name, such as `projects`.
        quota: &'static str,
        /// The tenant's limit.
        limit: u64,
        /// What is already in use.
        used: u64,
        /// What the request would add.
        requested: u64,
    },
    /// An upload cannot be used because of its malware-scan status.
    #[error("upload {upload}: {reason}")]
    UploadNotUsable {
        /// The upload id.
        upload: String,
        /// Why it cannot be used.
        reason: &'static str,
    },
    /// Someone tried to approve their own request while the tenant requires four-eyes.
    #[error("four-eyes policy: the requester may not approve their own request")]
    SelfApproval,
    /// An approval request was decided after its expiry.
    #[error("approval {approval} expired")]
    ApprovalExpired {
        /// The approval request id.
        approval: String,
    },
    /// Credentials did not match (wrong password, unknown or wrong API key secret).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A token was malformed, badly signed, for another audience or issuer, or expired.
    #[error("invalid token: {reason}")]
    InvalidToken {
        /// What check failed, in words safe to show to the caller.
        reason: &'static str,
    },
    /// A refresh token that was already rotated was presented again: its family is revoked.
    #[error("refresh token reuse detected: the session family is revoked")]
    RefreshTokenReused,
    /// An API key or refresh token has been revoked.
    #[error("credential revoked")]
    CredentialRevoked,
    /// Too many failed logins: the account is locked until the given time.
    #[error("too many failed logins: locked until {until}")]
    LoginLocked {
        /// RFC 3339 time at which logins are accepted again.
        until: String,
    },
    /// The crypto backend or the system random source failed.
    #[error("crypto failure: {0}")]
    Crypto(String),
    /// A value could not be encoded (JSON for hashing, PEM or DER for keys).
    #[error("encoding failure: {0}")]
    Encoding(String),
}

impl CoreError {
    /// Shorthand for an [`CoreError::InvalidField`] error.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        CoreError::InvalidField {
            field,
            reason: reason.into(),
        }
    }

    /// A stable, machine-readable code such as `invalid_field`.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidField { .. } => "invalid_field",
            CoreError::AccessDenied(_) => "access_denied",
            CoreError::InvalidTransition(_) => "invalid_transition",
            CoreError::QuotaExceeded { .. } => "quota_exceeded",
            CoreError::UploadNotUsable { .. } => "upload_not_usable",
            CoreError::SelfApproval => "self_approval",
            CoreError::ApprovalExpired { .. } => "approval_expired",
            CoreError::InvalidCredentials => "invalid_credentials",
            CoreError::InvalidToken { .. } => "invalid_token",
            CoreError::RefreshTokenReused => "refresh_token_reused",
            CoreError::CredentialRevoked => "credential_revoked",
            CoreError::LoginLocked { .. } => "login_locked",
            CoreError::Crypto(_) => "crypto_failure",
            CoreError::Encoding(_) => "encoding_failure",
        }
    }

    /// The broad class of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            CoreError::InvalidField { .. } => ErrorKind::InvalidInput,
            CoreError::AccessDenied(_) | CoreError::SelfApproval => ErrorKind::Forbidden,
            CoreError::InvalidTransition(_)
            | CoreError::UploadNotUsable { .. }
            | CoreError::ApprovalExpired { .. } => ErrorKind::Conflict,
            CoreError::QuotaExceeded { .. } | CoreError::LoginLocked { .. } => {
                ErrorKind::LimitExceeded
            }
            CoreError::InvalidCredentials
            | CoreError::InvalidToken { .. }
            | CoreError::RefreshTokenReused
            | CoreError::CredentialRevoked => ErrorKind::Unauthenticated,
            CoreError::Crypto(_) | CoreError::Encoding(_) => ErrorKind::Internal,
        }
    }
}

/// Shorthand for results of the domain rules.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case() {
        let all = [
            CoreError::invalid("email", "missing @"),
            CoreError::AccessDenied(AccessDenied { reason: "x".into() }),
            CoreError::SelfApproval,
            CoreError::InvalidCredentials,
            CoreError::RefreshTokenReused,
            CoreError::Crypto("x".into()),
        ];
        let codes: Vec<_> = all.iter().map(CoreError::code).collect();
        assert_eq!(
            codes,
            [
                "invalid_field",
                "access_denied",
                "self_approval",
                "invalid_credentials",
                "refresh_token_reused",
                "crypto_failure"
            ]
        );
    }

    #[test]
    fn invalid_field_names_the_field() {
        let e = CoreError::invalid("email", "missing @");
        assert_eq!(e.to_string(), "invalid email: missing @");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}
