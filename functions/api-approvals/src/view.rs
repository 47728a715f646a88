//! The bodies the approval routes take and return.

use ida_core::approval::{ApprovalRequest, DestructiveAction};
use ida_store::Stored;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An approval request as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalView {
    /// `apr_...`.
    pub id: String,
    /// What would be done: `{"type": "delete_dataset", "dataset": ...}`,
    /// `{"type": "rollback", "dataset": ..., "to": n}`, `{"type": "remove_user", "user": ...}`
    /// or `{"type": "erase_tenant"}`.
    pub action: DestructiveAction,
    /// `PENDING`, `APPROVED`, `REJECTED`, `EXPIRED` or `CANCELLED`.
    pub status: String,
    /// Why it was asked for.
    pub reason: String,
    /// Who asked.
    pub requested_by: String,
    /// Who decided, once decided.
    pub decided_by: Option<String>,
    /// Why it was rejected.
    pub decision_reason: Option<String>,
    /// When it was asked for.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// After this instant it can no longer be approved.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it was decided.
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    /// The record's revision.
    pub revision: u64,
}

impl From<&Stored<ApprovalRequest>> for ApprovalView {
    fn from(stored: &Stored<ApprovalRequest>) -> Self {
        let approval = &stored.record;
        Self {
            id: approval.id.to_string(),
            action: approval.action.clone(),
            status: approval.status.as_str().to_owned(),
            reason: approval.reason.clone(),
            requested_by: approval.requested_by.to_string(),
            decided_by: approval.decided_by.as_ref().map(ToString::to_string),
            decision_reason: approval.decision_reason.clone(),
            created_at: approval.created_at,
            expires_at: approval.expires_at,
            decided_at: approval.decided_at,
            revision: stored.revision.get(),
        }
    }
}

/// `POST /approvals/{approval_id}/reject` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalReject {
    /// Why, 1 to 500 characters.
    pub reason: String,
}

/// What an approved action changed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionOutcome {
    /// A dataset deleted or rolled back: its state now.
    Dataset {
        /// The dataset.
        dataset_id: String,
        /// `DELETED` after a deletion, `ACTIVE` after a rollback.
        status: String,
        /// The active version after a rollback.
        active_version: Option<u32>,
    },
    /// A user removed.
    User {
        /// The user.
        user_id: String,
        /// `REMOVED`.
        status: String,
    },
    /// The tenant erased.
    TenantErased {
        /// Records deleted.
        records_deleted: u64,
        /// Objects deleted.
        objects_deleted: u64,
    },
}

/// The 200 answer of an approval: the decided request and what its action changed.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalDecided {
    /// The request, now `APPROVED`.
    pub approval: ApprovalView,
    /// What the action changed.
    pub outcome: ActionOutcome,
}
