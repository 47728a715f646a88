//! The bodies the project routes take and return.

use ida_core::project::Project;
use ida_store::Stored;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `POST /projects` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectCreate {
    /// 1 to 100 characters, no control characters.
    pub name: String,
}

/// `PATCH /projects/{project_id}` body: each field present is changed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectUpdate {
    /// A new name.
    pub name: Option<String>,
    /// `ACTIVE` or `ARCHIVED`.
    pub status: Option<String>,
}

/// A project as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectView {
    /// `prj_...`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `ACTIVE` or `ARCHIVED`.
    pub status: String,
    /// The user who created it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The record's revision (the ETag is `"r<revision>"`).
    pub revision: u64,
}

impl From<&Stored<Project>> for ProjectView {
    fn from(stored: &Stored<Project>) -> Self {
        let project = &stored.record;
        Self {
            id: project.id.to_string(),
            name: project.name.as_str().to_owned(),
            status: project.status.as_str().to_owned(),
            created_by: project.created_by.to_string(),
            created_at: project.created_at,
            revision: stored.revision.get(),
        }
    }
}
