//! The bodies the dataset and version routes take and return.

use ida_core::approval::ApprovalRequest;
use ida_core::dataset::{Dataset, DatasetVersion, VersionOrigin};
use ida_store::Stored;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A dataset as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetView {
    /// `dst_...`.
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Its name.
    pub name: String,
    /// `ACTIVE`, `DELETING` or `DELETED`.
    pub status: String,
    /// The version reads return; `null` until one is activated.
    pub active_version: Option<u32>,
    /// The highest version written; `null` before the first.
    pub latest_version: Option<u32>,
    /// The user who created it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The record's revision (the ETag is `"r<revision>"`).
    pub revision: u64,
}

impl From<&Stored<Dataset>> for DatasetView {
    fn from(stored: &Stored<Dataset>) -> Self {
        let dataset = &stored.record;
        Self {
            id: dataset.id.to_string(),
            project_id: dataset.project.to_string(),
            name: dataset.name.as_str().to_owned(),
            status: dataset.status.as_str().to_owned(),
            active_version: dataset.active_version.map(|v| v.get()),
            latest_version: dataset.latest_version.map(|v| v.get()),
            created_by: dataset.created_by.to_string(),
            created_at: dataset.created_at,
            revision: stored.revision.get(),
        }
    }
}

/// A version as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    /// The dataset.
    pub dataset_id: String,
    /// The version number, from 1.
    pub version: u32,
    /// Where it came from: `{"type": "upload", "upload": ...}` or
    /// `{"type": "recipe", "recipe": ..., "parent": n}`.
    pub origin: VersionOrigin,
    /// The job that wrote it.
    pub job_id: String,
    /// SHA-256 (hex) of its `data.parquet`.
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

impl From<&DatasetVersion> for VersionView {
    fn from(version: &DatasetVersion) -> Self {
        Self {
            dataset_id: version.dataset.to_string(),
            version: version.version.get(),
            origin: version.origin.clone(),
            job_id: version.job.to_string(),
            data_sha256: version.data_sha256.clone(),
            row_count: version.row_count,
            column_count: version.column_count,
            byte_size: version.byte_size,
            created_at: version.created_at,
        }
    }
}

/// A presigned download link.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactLink {
    /// The presigned GET URL.
    pub url: String,
    /// When it stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A version with links to each of its files that exists.
#[derive(Debug, Clone, Serialize)]
pub struct VersionDetail {
    /// The version.
    #[serde(flatten)]
    pub version: VersionView,
    /// `data`, `schema`, `profile`, `report`, `recipe`, `diff`: each file that exists.
    pub links: BTreeMap<&'static str, ArtifactLink>,
}

/// `POST /datasets/{dataset_id}/rollback` body (optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// The version to make active; the one before the active version when absent.
    pub to_version: Option<u32>,
    /// Why (kept on the approval request when one is needed).
    pub reason: Option<String>,
}

/// The 202 answer of a destructive request that waits for a second person.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalPending {
    /// `apr_...`: approve or reject it at `/approvals/{approval_id}`.
    pub approval_id: String,
    /// `PENDING`.
    pub status: String,
    /// After this instant it can no longer be approved.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl From<&Stored<ApprovalRequest>> for ApprovalPending {
    fn from(stored: &Stored<ApprovalRequest>) -> Self {
        Self {
            approval_id: stored.record.id.to_string(),
            status: stored.record.status.as_str().to_owned(),
            expires_at: stored.record.expires_at,
        }
    }
}
