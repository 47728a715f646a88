//! Datasets and their immutable versions. A dataset points at one active version; applying a
//! recipe adds version N+1 and moves the pointer; rollback moves the pointer back. Versions are
//! never rewritten.

use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::id::{DatasetId, JobId, ProjectId, RecipeId, TenantId, UploadId, UserId, VersionNo};
use crate::tenancy::DisplayName;
use crate::transition::{InvalidTransition, StateMachine};
use crate::wire_enum::wire_enum;

wire_enum! {
    /// A dataset's lifecycle.
    pub enum DatasetStatus: "dataset_status" {
        /// In use.
        Active => "ACTIVE",
        /// Deletion approved; artifacts being removed.
        Deleting => "DELETING",
        /// Gone; the record stays for the audit trail.
        Deleted => "DELETED",
    }
}

wire_enum! {
    /// Events of a dataset.
    pub enum DatasetEvent: "dataset_event" {
        /// Start deleting (after approval where the policy requires it).
        StartDeletion => "start_deletion",
        /// All artifacts removed.
        CompleteDeletion => "complete_deletion",
    }
}

impl StateMachine for DatasetStatus {
    type Event = DatasetEvent;
    const ENTITY: &'static str = "dataset";
    const TRANSITIONS: &'static [(Self, Self::Event, Self)] = &[
        (Self::Active, DatasetEvent::StartDeletion, Self::Deleting),
        (
            Self::Deleting,
            DatasetEvent::CompleteDeletion,
            Self::Deleted,
        ),
    ];
    const STATES: &'static [Self] = Self::ALL;
    const EVENTS: &'static [Self::Event] = DatasetEvent::ALL;
    fn state_name(self) -> &'static str {
        self.as_str()
    }
    fn event_name(event: DatasetEvent) -> &'static str {
        event.as_str()
    }
}

/// A dataset record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dataset {
    /// The dataset.
    pub id: DatasetId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its project.
    pub project: ProjectId,
    /// Its name.
    pub name: DisplayName,
    /// Status.
    pub status: DatasetStatus,
    /// The version reads return; `None` until the first version is activated.
    pub active_version: Option<VersionNo>,
    /// The highest version written; `None` before the first.
    pub latest_version: Option<VersionNo>,
    /// Who created it.
    pub created_by: UserId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Dataset {
    /// The number the next written version gets.
    pub fn next_version(&self) -> Result<VersionNo> {
        match self.latest_version {
            None => Ok(VersionNo::FIRST),
            Some(latest) => latest.next(),
        }
    }

    /// Moves the active pointer to a newly written version, which must be the latest one.
    pub fn activate(&mut self, version: VersionNo) -> Result<()> {
        self.ensure_active("activate")?;
        if Some(version) != self.latest_version {
            return Err(CoreError::invalid(
                "version",
                format!("only the latest version can be activated, not {version}"),
            ));
        }
        self.active_version = Some(version);
        Ok(())
    }

    /// Moves the active pointer back to an earlier existing version.
    pub fn roll_back_to(&mut self, version: VersionNo) -> Result<()> {
        self.ensure_active("roll_back")?;
        let Some(active) = self.active_version else {
            return Err(CoreError::invalid(
                "version",
                "the dataset has no active version",
            ));
        };
        if version >= active {
            return Err(CoreError::invalid(
                "version",
                format!("rollback target {version} must be older than the active version {active}"),
            ));
        }
        self.active_version = Some(version);
        Ok(())
    }

    fn ensure_active(&self, event: &'static str) -> Result<()> {
        if self.status == DatasetStatus::Active {
            Ok(())
        } else {
            Err(InvalidTransition::new("dataset", self.status.as_str(), event).into())
        }
    }
}

/// Where a version came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VersionOrigin {
    /// Parsed from an upload (version 1, or a fresh upload into an existing dataset).
    Upload {
        /// The upload.
        upload: UploadId,
    },
    /// Made by applying a recipe to a parent version.
    Recipe {
        /// The recipe.
        recipe: RecipeId,
        /// The version it was applied to.
        parent: VersionNo,
    },
}

/// A dataset version record: immutable once written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DatasetVersion {
    /// The dataset.
    pub dataset: DatasetId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The version number.
    pub version: VersionNo,
    /// Where it came from.
    pub origin: VersionOrigin,
    /// The job that wrote it.
    pub job: JobId,
    /// SHA-256 (hex) of `data.parquet`: the input hash of any transform applied to it.
    pub data_sha256: String,
    /// Rows.
    pub row_count: u64,
    /// Columns.
    pub column_count: u32,
    /// Size of `data.parquet` in bytes.
    pub byte_size: u64,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Checks a SHA-256 digest in lowercase hex (64 characters), naming `field`.
pub fn check_sha256_hex(text: &str, field: &'static str) -> Result<()> {
    if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(CoreError::invalid(field, "must be 64 lowercase hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::machine_laws;

    fn dataset() -> Dataset {
        Dataset {
            id: DatasetId::generate(),
            tenant: TenantId::generate(),
            project: ProjectId::generate(),
            name: DisplayName::parse("sales").unwrap(),
            status: DatasetStatus::Active,
            active_version: None,
            latest_version: None,
            created_by: UserId::generate(),
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn v(n: u32) -> VersionNo {
        VersionNo::new(n).unwrap()
    }

    #[test]
    fn dataset_lifecycle_table_holds() {
        machine_laws::table_is_exhaustive_and_deterministic::<DatasetStatus>();
        machine_laws::random_walks_stay_in_table(DatasetStatus::Active);
    }

    #[test]
    fn versions_are_numbered_from_one_and_only_the_latest_activates() {
        let mut d = dataset();
        assert_eq!(d.next_version().unwrap(), v(1));
        d.latest_version = Some(v(1));
        d.activate(v(1)).unwrap();
        assert_eq!(d.next_version().unwrap(), v(2));
        d.latest_version = Some(v(2));
        assert!(d.activate(v(1)).is_err());
        d.activate(v(2)).unwrap();
        assert_eq!(d.active_version, Some(v(2)));
    }

    #[test]
    fn rollback_moves_only_backwards() {
        let mut d = dataset();
        assert!(d.roll_back_to(v(1)).is_err());
        d.latest_version = Some(v(3));
        d.active_version = Some(v(3));
        d.roll_back_to(v(1)).unwrap();
        assert_eq!(d.active_version, Some(v(1)));
        assert!(d.roll_back_to(v(1)).is_err());
        assert!(d.roll_back_to(v(2)).is_err());
        d.status = DatasetStatus::Deleting;
        d.active_version = Some(v(3));
        assert_eq!(
            d.roll_back_to(v(1)).unwrap_err().to_string(),
            "dataset: cannot roll_back when DELETING"
        );
    }

    #[test]
    fn sha256_hex_is_checked() {
        assert!(check_sha256_hex(&"ab".repeat(32), "data_sha256").is_ok());
        assert!(check_sha256_hex(&"AB".repeat(32), "data_sha256").is_err());
        assert!(check_sha256_hex("abc", "data_sha256").is_err());
    }
}
