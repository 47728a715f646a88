//! What every write carries besides its change: who makes it, for which request, when, and an
//! optional idempotency key. The store turns it into the audit entry written in the same
//! transaction as the change.

use std::net::IpAddr;

use ida_core::Principal;
use ida_core::audit::{Actor, AuditAction, AuditDiff, AuditEntry, EntityRef};
use ida_core::id::{CorrelationId, JobId};
use time::OffsetDateTime;

use crate::error::{Result, StoreError};

/// A client's `Idempotency-Key`: 1 to 255 ASCII letters, digits, `-`, `_`, `.` or `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Longest accepted key.
    pub const MAX_LEN: usize = 255;

    /// Parses a key, naming the header on refusal.
    pub fn parse(text: &str) -> Result<Self> {
        let valid = (1..=Self::MAX_LEN).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if valid {
            Ok(IdempotencyKey(text.to_owned()))
        } else {
            Err(ida_core::CoreError::invalid(
                "idempotency_key",
                "must be 1 to 255 ASCII letters, digits, '-', '_', '.' or ':'",
            )
            .into())
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An idempotency key with the hash of the request it came with: a replay with the same hash
/// gets the first result; the same key with another hash is a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The client's key.
    pub key: IdempotencyKey,
    /// SHA-256 (hex) of the canonical request (method, route and body), made by the caller.
    pub request_hash: String,
}

/// Who writes, for which request, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteContext {
    /// Who.
    pub actor: Actor,
    /// The request or execution.
    pub correlation_id: CorrelationId,
    /// The caller's IP address, for API requests.
    pub source_ip: Option<IpAddr>,
    /// The caller's user agent, for API requests.
    pub user_agent: Option<String>,
    /// When (the caller's clock, so one request has one time).
    pub at: OffsetDateTime,
    /// Present when the client sent an `Idempotency-Key` (honoured by create methods).
    pub idempotency: Option<Idempotency>,
}

impl WriteContext {
    /// A context for `actor`.
    pub fn new(actor: Actor, correlation_id: CorrelationId, at: OffsetDateTime) -> Self {
        WriteContext {
            actor,
            correlation_id,
            source_ip: None,
            user_agent: None,
            at,
            idempotency: None,
        }
    }

    /// A context for a verified principal.
    pub fn for_principal(
        principal: &Principal,
        correlation_id: CorrelationId,
        at: OffsetDateTime,
    ) -> Self {
        Self::new(Actor::from(principal), correlation_id, at)
    }

    /// A context for a pipeline stage working for `job` in execution `attempt`: audited as the
    /// system component (`stage-parse for job_...`), correlated by the job and attempt, so every
    /// write of one execution shares its correlation id.
    pub fn for_pipeline(
        component: &str,
        job: &JobId,
        attempt: u32,
        at: OffsetDateTime,
    ) -> Result<Self> {
        let correlation_id = CorrelationId::parse(&format!("{job}-attempt-{attempt}"))?;
        let actor = Actor::System {
            component: format!("{component} for {job}"),
        };
        Ok(Self::new(actor, correlation_id, at))
    }

    /// The same context with an idempotency key.
    pub fn with_idempotency(
        mut self,
        key: IdempotencyKey,
        request_hash: impl Into<String>,
    ) -> Self {
        self.idempotency = Some(Idempotency {
            key,
            request_hash: request_hash.into(),
        });
        self
    }

    /// The audit entry describing `action` on `entity`.
    pub(crate) fn entry(
        &self,
        action: AuditAction,
        entity: EntityRef,
        diff: AuditDiff,
    ) -> AuditEntry {
        AuditEntry {
            actor: self.actor.clone(),
            action,
            entity,
            diff,
            correlation_id: self.correlation_id.clone(),
            source_ip: self.source_ip,
            user_agent: self.user_agent.clone(),
            at: self.at,
        }
    }
}

/// The JSON of a record for an audit diff.
///
/// Digests of secrets (top-level fields named `*_sha256`, as in ida-core's API-key and
/// refresh-token records) and Step Functions task tokens (a recipe's `task_token`, which can
/// end the waiting execution) are left out: the audit log is read by tenant admins and
/// exported, and neither has any business there.
pub(crate) fn audit_json<T: serde::Serialize>(record: &T) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(record).map_err(|e| StoreError::Backend {
        operation: "encode audit diff",
        message: e.to_string(),
    })?;
    if let serde_json::Value::Object(fields) = &mut value {
        fields.retain(|name, _| !name.ends_with("_sha256") && name != "task_token");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_tokens_and_digests_stay_out_of_audit_diffs() {
        let json = audit_json(&serde_json::json!({
            "status": "PENDING_APPROVAL",
            "task_token": "AAAA",
            "secret_sha256": "ab"
        }))
        .unwrap();
        assert_eq!(json, serde_json::json!({"status": "PENDING_APPROVAL"}));
    }

    #[test]
    fn pipeline_writes_are_audited_as_the_stage_acting_for_the_job() {
        let job = JobId::generate();
        let ctx =
            WriteContext::for_pipeline("stage-parse", &job, 2, OffsetDateTime::UNIX_EPOCH).unwrap();
        assert_eq!(
            ctx.actor,
            Actor::System {
                component: format!("stage-parse for {job}")
            }
        );
        assert_eq!(ctx.correlation_id.to_string(), format!("{job}-attempt-2"));
    }

    #[test]
    fn idempotency_keys_are_bounded_and_printable() {
        assert!(IdempotencyKey::parse("3f1c-22:a.b_c").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("a b").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
    }
}
