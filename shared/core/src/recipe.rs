//! Cleaning recipes as records: their status from draft to applied, the risk summary the
//! approval policy reads, and the approval decision with the four-eyes rule. The recipe's steps
//! are the data engine's document, carried here as JSON so the domain does not depend on it.

use time::OffsetDateTime;

use crate::access::{Permission, Principal, authorize};
use crate::error::{CoreError, Result};
use crate::id::{DatasetId, JobId, RecipeId, TenantId, UserId, VersionNo};
use crate::tenancy::{RecipeRisk, TenantPolicy};
use crate::transition::StateMachine;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// A recipe's status.
    pub enum RecipeStatus: "recipe_status" {
        /// Planned, not yet submitted.
        Draft => "DRAFT",
        /// Waiting for a person's decision.
        PendingApproval => "PENDING_APPROVAL",
        /// Approved (by a person, or by policy when no approval is needed).
        Approved => "APPROVED",
        /// Rejected by a person.
        Rejected => "REJECTED",
        /// Applied: the version it produced exists.
        Applied => "APPLIED",
    }
}

wire_enum! {
    /// Events of a recipe.
    pub enum RecipeEvent: "recipe_event" {
        /// Ask for approval.
        Submit => "submit",
        /// Approved by policy: the tenant's approval mode does not require a person.
        AutoApprove => "auto_approve",
        /// A person approved.
        Approve => "approve",
        /// A person rejected.
        Reject => "reject",
        /// The transform wrote the new version.
        Apply => "apply",
    }
}

impl StateMachine for RecipeStatus {
    type Event = RecipeEvent;
    const ENTITY: &'static str = "recipe";
    const TRANSITIONS: &'static [(Self, Self::Event, Self)] = &[
        (Self::Draft, RecipeEvent::Submit, Self::PendingApproval),
        (Self::Draft, RecipeEvent::AutoApprove, Self::Approved),
        (Self::PendingApproval, RecipeEvent::Approve, Self::Approved),
        (Self::PendingApproval, RecipeEvent::Reject, Self::Rejected),
        (Self::Approved, RecipeEvent::Apply, Self::Applied),
    ];
    const STATES: &'static [Self] = Self::ALL;
    const EVENTS: &'static [Self::Event] = RecipeEvent::ALL;
    fn state_name(self) -> &'static str {
        self.as_str()
    }
    fn event_name(event: RecipeEvent) -> &'static str {
        event.as_str()
    }
}

/// A person's decision on a recipe.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecipeDecision {
    /// Who decided.
    pub by: UserId,
    /// Approved or not.
    pub approved: bool,
    /// The reason given.
    pub reason: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A recipe record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recipe {
    /// The recipe.
    pub id: RecipeId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The dataset it applies to.
    pub dataset: DatasetId,
    /// The version it applies to.
    pub base_version: VersionNo,
    /// The job that planned it.
    pub job: JobId,
    /// The data engine's recipe document.
    pub document: serde_json::Value,
    /// SHA-256 (hex) of the canonical recipe document: with the input hash, names the output.
    pub document_sha256: String,
    /// What the recipe would do that may need review.
    pub risk: RecipeRisk,
    /// Status.
    pub status: RecipeStatus,
    /// The user on whose behalf it was planned (the uploader): the requester for four-eyes.
    pub requested_by: UserId,
    /// The person's decision, once made.
    pub decision: Option<RecipeDecision>,
    /// The Step Functions task token of the waiting AwaitApproval state.
    pub task_token: Option<String>,
    /// When it was planned.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Recipe {
    /// Leaves draft: to PENDING_APPROVAL when the policy needs a person, else APPROVED.
    pub fn submit(&mut self, policy: &TenantPolicy) -> Result<RecipeStatus> {
        let event = if policy.recipe_needs_approval(self.risk) {
            RecipeEvent::Submit
        } else {
            RecipeEvent::AutoApprove
        };
        self.status = self.status.apply(event)?;
        Ok(self.status)
    }

    /// Records a person's decision: requires `recipe:approve`, and under four-eyes the
    /// requester may not decide on their own recipe.
    pub fn decide(
        &mut self,
        decider: &Principal,
        approved: bool,
        reason: Option<String>,
        policy: &TenantPolicy,
        now: OffsetDateTime,
    ) -> Result<()> {
        authorize(decider, Permission::RecipeApprove)?;
        if decider.tenant() != &self.tenant {
            return Err(crate::error::AccessDenied {
                reason: "the recipe belongs to another tenant".into(),
            }
            .into());
        }
        if policy.four_eyes && decider.user() == &self.requested_by {
            return Err(CoreError::SelfApproval);
        }
        let event = if approved {
            RecipeEvent::Approve
        } else {
            RecipeEvent::Reject
        };
        self.status = self.status.apply(event)?;
        self.decision = Some(RecipeDecision {
            by: decider.user().clone(),
            approved,
            reason,
            at: now,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::access::tests::principal;
    use crate::tenancy::ApprovalMode;
    use crate::transition::machine_laws;

    fn recipe(tenant: &TenantId, requested_by: &UserId, risk: RecipeRisk) -> Recipe {
        Recipe {
            id: RecipeId::generate(),
            tenant: tenant.clone(),
            dataset: DatasetId::generate(),
            base_version: VersionNo::FIRST,
            job: JobId::generate(),
            document: serde_json::json!({"steps": []}),
            document_sha256: "0".repeat(64),
            risk,
            status: RecipeStatus::Draft,
            requested_by: requested_by.clone(),
            decision: None,
            task_token: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn recipe_status_table_holds() {
        machine_laws::table_is_exhaustive_and_deterministic::<RecipeStatus>();
        machine_laws::random_walks_stay_in_table(RecipeStatus::Draft);
        assert!(RecipeStatus::Applied.is_terminal());
        assert!(RecipeStatus::Rejected.is_terminal());
    }

    #[test]
    fn submit_follows_the_approval_mode() {
        let admin = principal(Role::Admin);
        let risky = RecipeRisk {
            drops_columns: true,
            ..RecipeRisk::default()
        };
        let policy = TenantPolicy::default();
        let mut r = recipe(admin.tenant(), admin.user(), risky);
        assert_eq!(r.submit(&policy).unwrap(), RecipeStatus::PendingApproval);
        let mut calm = recipe(admin.tenant(), admin.user(), RecipeRisk::default());
        assert_eq!(calm.submit(&policy).unwrap(), RecipeStatus::Approved);
        let never = TenantPolicy {
            approval_mode: ApprovalMode::Never,
            ..policy
        };
        let mut r = recipe(admin.tenant(), admin.user(), risky);
        assert_eq!(r.submit(&never).unwrap(), RecipeStatus::Approved);
    }

    #[test]
    fn four_eyes_forbids_approving_ones_own_recipe() {
        let admin = principal(Role::Admin);
        let policy = TenantPolicy {
            approval_mode: ApprovalMode::Always,
            four_eyes: true,
            ..TenantPolicy::default()
        };
        let mut r = recipe(admin.tenant(), admin.user(), RecipeRisk::default());
        r.submit(&policy).unwrap();
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            r.decide(&admin, true, None, &policy, now).unwrap_err(),
            CoreError::SelfApproval
        );
        assert_eq!(r.status, RecipeStatus::PendingApproval);

        // Without four-eyes the requester may approve.
        let relaxed = TenantPolicy {
            four_eyes: false,
            ..policy
        };
        r.decide(&admin, true, Some("ok".into()), &relaxed, now)
            .unwrap();
        assert_eq!(r.status, RecipeStatus::Approved);
        assert_eq!(r.decision.as_ref().unwrap().by, *admin.user());
    }

    #[test]
    fn members_cannot_approve_and_decisions_need_a_pending_recipe() {
        let admin = principal(Role::Admin);
        let member = principal(Role::Member);
        let policy = TenantPolicy::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut r = recipe(member.tenant(), member.user(), RecipeRisk::default());
        assert_eq!(
            r.decide(&member, true, None, &policy, now)
                .unwrap_err()
                .code(),
            "access_denied"
        );
        // Another tenant's admin is refused.
        assert_eq!(
            r.decide(&admin, false, None, &policy, now)
                .unwrap_err()
                .code(),
            "access_denied"
        );
    }
}
