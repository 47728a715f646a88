//! Projects: named groups of datasets inside a tenant.

use time::OffsetDateTime;

use crate::id::{ProjectId, TenantId, UserId};
use crate::tenancy::DisplayName;
use crate::transition::StateMachine;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// A project's lifecycle.
    pub enum ProjectStatus: "project_status" {
        /// In use.
        Active => "ACTIVE",
        /// Read-only: no new uploads or jobs.
        Archived => "ARCHIVED",
    }
}

wire_enum! {
    /// Events of a project.
    pub enum ProjectEvent: "project_event" {
        /// Make read-only.
        Archive => "archive",
        /// Make writable again.
        Restore => "restore",
    }
}

impl StateMachine for ProjectStatus {
    type Event = ProjectEvent;
    const ENTITY: &'static str = "project";
    const TRANSITIONS: &'static [(Self, Self::Event, Self)] = &[
        (Self::Active, ProjectEvent::Archive, Self::Archived),
        (Self::Archived, ProjectEvent::Restore, Self::Active),
    ];
    const STATES: &'static [Self] = Self::ALL;
    const EVENTS: &'static [Self::Event] = ProjectEvent::ALL;
    fn state_name(self) -> &'static str {
        self.as_str()
    }
    fn event_name(event: ProjectEvent) -> &'static str {
        event.as_str()
    }
}

/// A project record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Project {
    /// The project.
    pub id: ProjectId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its name.
    pub name: DisplayName,
    /// Status.
    pub status: ProjectStatus,
    /// Who created it.
    pub created_by: UserId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::machine_laws;

    #[test]
    fn project_lifecycle_table_holds() {
        machine_laws::table_is_exhaustive_and_deterministic::<ProjectStatus>();
        machine_laws::random_walks_stay_in_table(ProjectStatus::Active);
        assert!(ProjectStatus::Active.apply(ProjectEvent::Restore).is_err());
    }
}
