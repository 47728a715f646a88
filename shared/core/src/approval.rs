//! Approval requests for destructive actions (delete a dataset, roll back a version, remove a
//! user, erase the tenant): who asked, who may decide, the four-eyes rule and expiry.

use time::{Duration, OffsetDateTime};

use crate::access::{Permission, Principal, authorize};
use crate::error::{AccessDenied, CoreError, Result};
use crate::id::{ApprovalId, DatasetId, TenantId, UserId, VersionNo};
use crate::transition::StateMachine;
use crate::wire_enum::wire_enum;

/// A destructive action that may wait for a second person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DestructiveAction {
    /// Delete a dataset and all its versions.
    DeleteDataset {
        /// The dataset.
        dataset: DatasetId,
    },
    /// Move a dataset's active version back.
    Rollback {
        /// The dataset.
        dataset: DatasetId,
        /// The version to make active.
        to: VersionNo,
    },
    /// Remove a user from the tenant.
    RemoveUser {
        /// The user.
        user: UserId,
    },
    /// Erase the whole tenant.
    EraseTenant,
}

impl DestructiveAction {
    /// The permission needed both to request and to approve the action.
    pub fn permission(&self) -> Permission {
        match self {
            DestructiveAction::DeleteDataset { .. } => Permission::DatasetDelete,
            DestructiveAction::Rollback { .. } => Permission::VersionRollback,
            DestructiveAction::RemoveUser { .. } => Permission::UserManage,
            DestructiveAction::EraseTenant => Permission::TenantErase,
        }
    }
}

wire_enum! {
    /// An approval request's status.
    pub enum ApprovalStatus: "approval_status" {
        /// Waiting for a decision.
        Pending => "PENDING",
        /// Approved: the action may run.
        Approved => "APPROVED",
        /// Rejected: the action does not run.
        Rejected => "REJECTED",
        /// Not decided before its expiry.
        Expired => "EXPIRED",
        /// Withdrawn by the requester.
        Cancelled => "CANCELLED",
    }
}

wire_enum! {
    /// Events of an approval request.
    pub enum ApprovalEvent: "approval_event" {
        /// A second person approved.
        Approve => "approve",
        /// A second person rejected.
        Reject => "reject",
        /// The expiry passed.
        Expire => "expire",
        /// The requester withdrew it.
        Cancel => "cancel",
    }
}

impl StateMachine for ApprovalStatus {
    type Event = ApprovalEvent;
    const ENTITY: &'static str = "approval";
    const TRANSITIONS: &'static [(Self, Self::Event, Self)] = &[
        (Self::Pending, ApprovalEvent::Approve, Self::Approved),
        (Self::Pending, ApprovalEvent::Reject, Self::Rejected),
        (Self::Pending, ApprovalEvent::Expire, Self::Expired),
        (Self::Pending, ApprovalEvent::Cancel, Self::Cancelled),
    ];
    const STATES: &'static [Self] = Self::ALL;
    const EVENTS: &'static [Self::Event] = ApprovalEvent::ALL;
    fn state_name(self) -> &'static str {
        self.as_str()
    }
    fn event_name(event: ApprovalEvent) -> &'static str {
        event.as_str()
    }
}

/// An approval request record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApprovalRequest {
    /// The request.
    pub id: ApprovalId,
    /// Its tenant.
    pub tenant: TenantId,
    /// What would be done.
    pub action: DestructiveAction,
    /// Who asked.
    pub requested_by: UserId,
    /// Why.
    pub reason: String,
    /// Status.
    pub status: ApprovalStatus,
    /// Who decided, once decided.
    pub decided_by: Option<UserId>,
    /// When it was asked.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// After this instant it can no longer be approved.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it was decided.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    /// Why the decider rejected it (absent on approval and on records written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
}

impl ApprovalRequest {
    /// How long a request stays open by default.
    pub const DEFAULT_TTL: Duration = Duration::days(7);

    /// A pending request by `requester`, who must hold the action's permission.
    pub fn new(
        requester: &Principal,
        action: DestructiveAction,
        reason: &str,
        now: OffsetDateTime,
        ttl: Duration,
    ) -> Result<Self> {
        authorize(requester, action.permission())?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(CoreError::invalid("reason", "must be 1 to 500 characters"));
        }
        if ttl <= Duration::ZERO {
            return Err(CoreError::invalid("ttl", "must be positive"));
        }
        Ok(ApprovalRequest {
            id: ApprovalId::generate(),
            tenant: requester.tenant().clone(),
            action,
            requested_by: requester.user().clone(),
            reason: reason.to_owned(),
            status: ApprovalStatus::Pending,
            decided_by: None,
            created_at: now,
            expires_at: now + ttl,
            decided_at: None,
            decision_reason: None,
        })
    }

    /// Records a decision. The decider needs the action's permission, must be in the same
    /// tenant, may not be the requester when `four_eyes` is on, and must decide before expiry
    /// (after it, the store applies [`ApprovalEvent::Expire`]).
    pub fn decide(
        &mut self,
        decider: &Principal,
        approve: bool,
        four_eyes: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        authorize(decider, self.action.permission())?;
        if decider.tenant() != &self.tenant {
            return Err(AccessDenied {
                reason: "the approval request belongs to another tenant".into(),
            }
            .into());
        }
        if four_eyes && decider.user() == &self.requested_by {
            return Err(CoreError::SelfApproval);
        }
        if self.status == ApprovalStatus::Pending && now >= self.expires_at {
            return Err(CoreError::ApprovalExpired {
                approval: self.id.to_string(),
            });
        }
        let event = if approve {
            ApprovalEvent::Approve
        } else {
            ApprovalEvent::Reject
        };
        self.status = self.status.apply(event)?;
        self.decided_by = Some(decider.user().clone());
        self.decided_at = Some(now);
        Ok(())
    }

    /// Whether the request is pending past its expiry (the store then marks it expired).
    pub fn is_overdue(&self, now: OffsetDateTime) -> bool {
        self.status == ApprovalStatus::Pending && now >= self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::tests::principal;
    use crate::access::{AuthorizerContext, Role, Subject};
    use crate::transition::machine_laws;

    fn colleague_of(p: &Principal, role: Role) -> Principal {
        Principal::from_authorizer_context(AuthorizerContext {
            tenant: p.tenant().clone(),
            subject: Subject::User {
                user: UserId::generate(),
            },
            role,
            scopes: None,
        })
        .unwrap()
    }

    fn t(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(seconds)
    }

    #[test]
    fn approval_status_table_holds() {
        machine_laws::table_is_exhaustive_and_deterministic::<ApprovalStatus>();
        machine_laws::random_walks_stay_in_table(ApprovalStatus::Pending);
    }

    #[test]
    fn a_second_admin_approves_a_dataset_deletion() {
        let requester = principal(Role::Admin);
        let action = DestructiveAction::DeleteDataset {
            dataset: DatasetId::generate(),
        };
        let mut request =
            ApprovalRequest::new(&requester, action, "duplicate", t(0), Duration::hours(1))
                .unwrap();
        assert_eq!(
            request.decide(&requester, true, true, t(1)).unwrap_err(),
            CoreError::SelfApproval
        );
        let second = colleague_of(&requester, Role::Admin);
        request.decide(&second, true, true, t(2)).unwrap();
        assert_eq!(request.status, ApprovalStatus::Approved);
        assert_eq!(request.decided_by.as_ref(), Some(second.user()));
        // A decided request cannot be decided again.
        assert_eq!(
            request
                .decide(&second, false, true, t(3))
                .unwrap_err()
                .code(),
            "invalid_transition"
        );
    }

    #[test]
    fn expired_requests_cannot_be_approved() {
        let requester = principal(Role::Owner);
        let mut request = ApprovalRequest::new(
            &requester,
            DestructiveAction::EraseTenant,
            "closing the account",
            t(0),
            Duration::hours(1),
        )
        .unwrap();
        let second = colleague_of(&requester, Role::Owner);
        assert!(!request.is_overdue(t(3599)));
        assert!(request.is_overdue(t(3600)));
        assert_eq!(
            request
                .decide(&second, true, true, t(3600))
                .unwrap_err()
                .code(),
            "approval_expired"
        );
        request.status = request.status.apply(ApprovalEvent::Expire).unwrap();
        assert_eq!(request.status, ApprovalStatus::Expired);
    }

    #[test]
    fn deciders_need_the_actions_permission() {
        let requester = principal(Role::Owner);
        let mut request = ApprovalRequest::new(
            &requester,
            DestructiveAction::EraseTenant,
            "closing",
            t(0),
            ApprovalRequest::DEFAULT_TTL,
        )
        .unwrap();
        let admin = colleague_of(&requester, Role::Admin);
        assert_eq!(
            request.decide(&admin, true, true, t(1)).unwrap_err().code(),
            "access_denied"
        );
        let member = principal(Role::Member);
        let rollback = DestructiveAction::Rollback {
            dataset: DatasetId::generate(),
            to: VersionNo::FIRST,
        };
        assert!(ApprovalRequest::new(&member, rollback, "x", t(0), Duration::hours(1)).is_err());
    }

    #[test]
    fn actions_serialise_with_a_type_tag() {
        let action = DestructiveAction::RemoveUser {
            user: UserId::parse("usr_0123456789abcdef0123456789abcdef").unwrap(),
        };
        assert_eq!(
            serde_json::to_value(&action).unwrap(),
            serde_json::json!({"type": "remove_user", "user": "usr_0123456789abcdef0123456789abcdef"})
        );
    }
}
