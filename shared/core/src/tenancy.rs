//! Tenants: their plan, lifecycle status and policy (when recipes need approval, whether a
//! second person must approve, whether uploads must be malware-scanned).

use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::id::TenantId;
use crate::transition::StateMachine;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// The commercial plan, which sets the default quotas.
    pub enum Plan: "plan" {
        /// Evaluation use with small limits.
        Free => "FREE",
        /// A team.
        Team => "TEAM",
        /// A large organisation with negotiated limits.
        Enterprise => "ENTERPRISE",
    }
}

wire_enum! {
    /// A tenant's lifecycle.
    pub enum TenantStatus: "tenant_status" {
        /// In normal use.
        Active => "ACTIVE",
        /// Blocked by the platform (unpaid, abuse); data kept, every request refused.
        Suspended => "SUSPENDED",
        /// Erasure requested and approved; deletion of data under way.
        Erasing => "ERASING",
        /// All data deleted; only the erasure receipt remains.
        Erased => "ERASED",
    }
}

wire_enum! {
    /// Events of the tenant lifecycle.
    pub enum TenantEvent: "tenant_event" {
        /// Block the tenant.
        Suspend => "suspend",
        /// Lift a suspension.
        Reactivate => "reactivate",
        /// Start erasing all data.
        StartErasure => "start_erasure",
        /// All data is gone.
        CompleteErasure => "complete_erasure",
    }
}

impl StateMachine for TenantStatus {
    type Event = TenantEvent;
    const ENTITY: &'static str = "tenant";
    const TRANSITIONS: &'static [(Self, Self::Event, Self)] = &[
        (Self::Active, TenantEvent::Suspend, Self::Suspended),
        (Self::Suspended, TenantEvent::Reactivate, Self::Active),
        (Self::Active, TenantEvent::StartErasure, Self::Erasing),
        (Self::Suspended, TenantEvent::StartErasure, Self::Erasing),
        (Self::Erasing, TenantEvent::CompleteErasure, Self::Erased),
    ];
    const STATES: &'static [Self] = Self::ALL;
    const EVENTS: &'static [Self::Event] = TenantEvent::ALL;
    fn state_name(self) -> &'static str {
        self.as_str()
    }
    fn event_name(event: TenantEvent) -> &'static str {
        event.as_str()
    }
}

wire_enum! {
    /// When a planned recipe must wait for a person's approval before it is applied.
    pub enum ApprovalMode: "approval_mode" {
        /// Every recipe waits for approval.
        Always => "ALWAYS",
        /// Only a recipe with a step needing review or one that drops rows or columns waits.
        WhenRisky => "WHEN_RISKY",
        /// Recipes are applied as planned.
        Never => "NEVER",
    }
}

/// What a planned recipe would do that a person may want to look at first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecipeRisk {
    /// At least one step is marked `needs_review` by the planner.
    pub needs_review: bool,
    /// The recipe removes rows.
    pub drops_rows: bool,
    /// The recipe removes columns.
    pub drops_columns: bool,
}

impl RecipeRisk {
    /// Whether any risk is present.
    pub fn is_risky(self) -> bool {
        self.needs_review || self.drops_rows || self.drops_columns
    }
}

/// A tenant's rules for approvals and uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TenantPolicy {
    /// When recipes need approval.
    pub approval_mode: ApprovalMode,
    /// Whether a second person must approve: the requester of a recipe or of a destructive
    /// action may not approve it, and destructive actions wait for an approval request.
    pub four_eyes: bool,
    /// Whether an upload must be scanned clean before it is used.
    pub malware_scan_required: bool,
}

impl Default for TenantPolicy {
    /// Safe defaults: approval when risky, four-eyes on, scans not required (the scan hook is
    /// an optional integration and a tenant cannot require what is not deployed).
    fn default() -> Self {
        TenantPolicy {
            approval_mode: ApprovalMode::WhenRisky,
            four_eyes: true,
            malware_scan_required: false,
        }
    }
}

impl TenantPolicy {
    /// Whether a recipe with `risk` must wait for approval.
    pub fn recipe_needs_approval(&self, risk: RecipeRisk) -> bool {
        match self.approval_mode {
            ApprovalMode::Always => true,
            ApprovalMode::WhenRisky => risk.is_risky(),
            ApprovalMode::Never => false,
        }
    }

    /// Whether a destructive action (delete dataset, rollback, user removal, tenant erasure)
    /// must wait for a second person's approval request rather than run at once.
    pub fn destructive_action_needs_approval(&self) -> bool {
        self.four_eyes
    }
}

/// A tenant display name: 1 to 100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Parses a name for `field`, trimming surrounding whitespace.
    pub fn parse_field(text: &str, field: &'static str) -> Result<Self> {
        let trimmed = text.trim();
        let chars = trimmed.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(CoreError::invalid(
                field,
                format!("must be 1 to {} characters", Self::MAX_CHARS),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(CoreError::invalid(
                field,
                "may not contain control characters",
            ));
        }
        Ok(DisplayName(trimmed.to_owned()))
    }

    /// Parses a name (field `name`).
    pub fn parse(text: &str) -> Result<Self> {
        Self::parse_field(text, "name")
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DisplayName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DisplayName {
    type Error = CoreError;
    fn try_from(text: String) -> Result<Self> {
        Self::parse(&text)
    }
}

impl From<DisplayName> for String {
    fn from(name: DisplayName) -> String {
        name.0
    }
}

/// A tenant record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tenant {
    /// The tenant.
    pub id: TenantId,
    /// Its display name.
    pub name: DisplayName,
    /// The plan.
    pub plan: Plan,
    /// The lifecycle status.
    pub status: TenantStatus,
    /// Approval and upload rules.
    pub policy: TenantPolicy,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Tenant {
    /// A new active tenant with the default policy.
    pub fn new(name: DisplayName, plan: Plan, now: OffsetDateTime) -> Self {
        Tenant {
            id: TenantId::generate(),
            name,
            plan,
            status: TenantStatus::Active,
            policy: TenantPolicy::default(),
            created_at: now,
        }
    }

    /// Refuses every request to a tenant that is not active.
    pub fn ensure_active(&self) -> Result<()> {
        if self.status == TenantStatus::Active {
            Ok(())
        } else {
            Err(crate::error::AccessDenied {
                reason: format!("tenant is {}", self.status),
            }
            .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::machine_laws;

    #[test]
    fn tenant_lifecycle_table_holds() {
        machine_laws::table_is_exhaustive_and_deterministic::<TenantStatus>();
        machine_laws::random_walks_stay_in_table(TenantStatus::Active);
        assert!(TenantStatus::Erased.is_terminal());
        let err = TenantStatus::Erased
            .apply(TenantEvent::Reactivate)
            .unwrap_err();
        assert_eq!(err.to_string(), "tenant: cannot reactivate when ERASED");
    }

    #[test]
    fn approval_modes_decide_by_risk() {
        let risky = RecipeRisk {
            drops_rows: true,
            ..RecipeRisk::default()
        };
        let calm = RecipeRisk::default();
        let policy = |approval_mode| TenantPolicy {
            approval_mode,
            ..TenantPolicy::default()
        };
        assert!(policy(ApprovalMode::Always).recipe_needs_approval(calm));
        assert!(policy(ApprovalMode::WhenRisky).recipe_needs_approval(risky));
        assert!(!policy(ApprovalMode::WhenRisky).recipe_needs_approval(calm));
        assert!(!policy(ApprovalMode::Never).recipe_needs_approval(risky));
        for flag in [
            RecipeRisk {
                needs_review: true,
                ..calm
            },
            RecipeRisk {
                drops_columns: true,
                ..calm
            },
        ] {
            assert!(flag.is_risky());
        }
    }

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(DisplayName::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
        assert!(DisplayName::parse(&"é".repeat(101)).is_err());
        let err = DisplayName::parse_field("a\u{7}b", "project_name").unwrap_err();
        assert!(err.to_string().starts_with("invalid project_name"));
    }

    #[test]
    fn only_active_tenants_are_served() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut tenant = Tenant::new(DisplayName::parse("Acme").unwrap(), Plan::Team, now);
        assert!(tenant.ensure_active().is_ok());
        tenant.status = TenantStatus::Suspended;
        assert_eq!(tenant.ensure_active().unwrap_err().code(), "access_denied");
        let json = serde_json::to_value(&tenant).unwrap();
        assert_eq!(json["policy"]["approval_mode"], "WHEN_RISKY");
        assert_eq!(serde_json::from_value::<Tenant>(json).unwrap(), tenant);
    }
}
