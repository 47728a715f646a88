//! Users of a tenant: validated, normalised email addresses, role and account status.

use time::OffsetDateTime;

use crate::access::Role;
use crate::error::{CoreError, Result};
use crate::id::{TenantId, UserId};
use crate::tenancy::DisplayName;
use crate::transition::StateMachine;
use crate::wire_enum::wire_enum;

/// An email address, validated (RFC 5321 shape) and normalised: trimmed and lowercased, so one
/// mailbox has one spelling and the global uniqueness guard cannot be bypassed by case.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Longest accepted address (RFC 5321 path limit).
    pub const MAX_LEN: usize = 254;

    /// Validates and normalises an address.
    pub fn parse(text: &str) -> Result<Self> {
        let normalised = text.trim().to_lowercase();
        if normalised.len() > Self::MAX_LEN {
            return Err(CoreError::invalid(
                "email",
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        email_address::EmailAddress::parse_with_options(
            &normalised,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal()
                // A deliverable address needs a dotted domain: `user@localhost` is refused.
                .with_required_tld(),
        )
        .map_err(|e| CoreError::invalid("email", e.to_string()))?;
        Ok(Email(normalised))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = CoreError;
    fn try_from(text: String) -> Result<Self> {
        Self::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

wire_enum! {
    /// A user account's lifecycle.
    pub enum UserStatus: "user_status" {
        /// Invited, has not yet set a password.
        Invited => "INVITED",
        /// May log in.
        Active => "ACTIVE",
        /// Temporarily blocked by an admin.
        Disabled => "DISABLED",
        /// Removed from the tenant; kept only for the audit trail.
        Removed => "REMOVED",
    }
}

wire_enum! {
    /// Events of a user account.
    pub enum UserEvent: "user_event" {
        /// The invitation was accepted and a password set.
        Activate => "activate",
        /// Block logins.
        Disable => "disable",
        /// Lift a block.
        Enable => "enable",
        /// Remove from the tenant (destructive: may need approval).
        Remove => "remove",
    }
}

impl StateMachine for UserStatus {
    type Event = UserEvent;
    const ENTITY: &'static str = "user";
    const TRANSITIONS: &'static [(Self, Self::Event, Self)] = &[
        (Self::Invited, UserEvent::Activate, Self::Active),
        (Self::Invited, UserEvent::Remove, Self::Removed),
        (Self::Active, UserEvent::Disable, Self::Disabled),
        (Self::Active, UserEvent::Remove, Self::Removed),
        (Self::Disabled, UserEvent::Enable, Self::Active),
        (Self::Disabled, UserEvent::Remove, Self::Removed),
    ];
    const STATES: &'static [Self] = Self::ALL;
    const EVENTS: &'static [Self::Event] = UserEvent::ALL;
    fn state_name(self) -> &'static str {
        self.as_str()
    }
    fn event_name(event: UserEvent) -> &'static str {
        event.as_str()
    }
}

/// A user record. The password hash is kept in a separate credential record so that reading a
/// user never reads a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct User {
    /// The user.
    pub id: UserId,
    /// The tenant the user belongs to.
    pub tenant: TenantId,
    /// The normalised email, unique across the platform.
    pub email: Email,
    /// The name shown in the UI and audit views.
    pub display_name: DisplayName,
    /// The role in the tenant.
    pub role: Role,
    /// The account status.
    pub status: UserStatus,
    /// When the account was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl User {
    /// Whether the account may log in.
    pub fn may_log_in(&self) -> bool {
        self.status == UserStatus::Active
    }
}

/// Refuses a change that would leave the tenant without an active owner.
///
/// `active_owners` is the number of active owners before the change; `target` is the user whose
/// role or status changes, and `becomes_owner` whether it remains an active owner afterwards.
pub fn ensure_an_owner_remains(
    active_owners: u32,
    target: &User,
    becomes_owner: bool,
) -> Result<()> {
    let target_counts = target.role == Role::Owner && target.status == UserStatus::Active;
    if target_counts && !becomes_owner && active_owners <= 1 {
        return Err(CoreError::invalid(
            "role",
            "the tenant's last active owner cannot be demoted, disabled or removed",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::machine_laws;
    use proptest::prelude::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
        assert_eq!(
            serde_json::to_string(&email).unwrap(),
            "\"ada.lovelace@example.com\""
        );
    }

    #[test]
    fn malformed_emails_are_refused_naming_the_field() {
        for bad in [
            "",
            "no-at-sign",
            "@example.com",
            "a@",
            "a@@example.com",
            "a@localhost",
            "Ada <ada@example.com>",
            "a@[127.0.0.1]",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(err.to_string().starts_with("invalid email"), "{bad}: {err}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn user_lifecycle_table_holds() {
        machine_laws::table_is_exhaustive_and_deterministic::<UserStatus>();
        machine_laws::random_walks_stay_in_table(UserStatus::Invited);
        assert!(UserStatus::Removed.is_terminal());
    }

    #[test]
    fn the_last_owner_cannot_leave() {
        let owner = User {
            id: UserId::generate(),
            tenant: TenantId::generate(),
            email: Email::parse("o@example.com").unwrap(),
            display_name: DisplayName::parse("O").unwrap(),
            role: Role::Owner,
            status: UserStatus::Active,
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert!(ensure_an_owner_remains(1, &owner, false).is_err());
        assert!(ensure_an_owner_remains(2, &owner, false).is_ok());
        assert!(ensure_an_owner_remains(1, &owner, true).is_ok());
        let admin = User {
            role: Role::Admin,
            ..owner
        };
        assert!(ensure_an_owner_remains(1, &admin, false).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn parsed_emails_are_normal_and_stable(text in "[A-Za-z0-9._%+-]{1,20}@[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,6}") {
            if let Ok(email) = Email::parse(&text) {
                prop_assert_eq!(email.as_str(), text.to_lowercase());
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
            }
        }
    }
}
