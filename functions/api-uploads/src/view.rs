//! The bodies the upload routes take and return.

use ida_core::job::Job;
use ida_core::upload::Upload;
use ida_store::Stored;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// `POST /uploads` body: exactly one of `dataset_name` and `dataset_id`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadCreate {
    /// The project the data goes into.
    pub project_id: String,
    /// The client's file name; its extension picks the format.
    pub filename: String,
    /// The MIME type the client will send; it must agree with the extension.
    pub content_type: String,
    /// The exact size the client will send, in bytes.
    pub size_bytes: u64,
    /// The name of a new dataset the file becomes version 1 of.
    pub dataset_name: Option<String>,
    /// An existing dataset of the project the file becomes a new version of.
    pub dataset_id: Option<String>,
}

/// The 201 answer of `POST /uploads`: where and how to PUT the bytes.
#[derive(Debug, Clone, Serialize)]
pub struct UploadTicket {
    /// `upl_...`.
    pub upload_id: String,
    /// The dataset the file will become a version of.
    pub dataset_id: String,
    /// The project.
    pub project_id: String,
    /// `AWAITING_BYTES`.
    pub status: String,
    /// The object key's file name after sanitising.
    pub filename: String,
    /// The presigned URL.
    pub upload_url: String,
    /// `PUT`.
    pub upload_method: String,
    /// Headers the PUT must carry unchanged (content type and length, SSE-KMS).
    pub upload_headers: BTreeMap<String, String>,
    /// When the URL stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// An upload as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct UploadView {
    /// `upl_...`.
    pub upload_id: String,
    /// The project.
    pub project_id: String,
    /// The dataset it becomes a version of.
    pub dataset_id: Option<String>,
    /// The file name (sanitised).
    pub filename: String,
    /// `csv`, `xlsx`, `json` or `parquet`.
    pub format: String,
    /// The MIME type declared.
    pub content_type: String,
    /// The size declared.
    pub size_bytes: u64,
    /// `AWAITING_BYTES`, `RECEIVED`, `ACCEPTED`, `REJECTED` or `EXPIRED`.
    pub status: String,
    /// `not_scanned`, `pending`, `clean` or `infected`.
    pub scan: String,
    /// Who asked for the URL.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the URL expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The pipeline job of the upload once its bytes arrived (also when they were rejected:
    /// the job then carries the failure's code and message).
    pub job: Option<UploadJobView>,
}

/// The pipeline job an upload started, as the upload's status shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadJobView {
    /// `job_...`: details at `GET /jobs/{job_id}`.
    pub job_id: String,
    /// The job's status (`RUNNING`, `FAILED`, ...).
    pub status: String,
    /// The stage it is at.
    pub stage: String,
    /// Why it failed, when it did: the stable code and its message.
    pub failure: Option<UploadFailureView>,
}

/// A failed job's stable code and message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadFailureView {
    /// Stable error code, e.g. `format_mismatch`.
    pub code: String,
    /// What is wrong and where.
    pub message: String,
}

impl From<&Job> for UploadJobView {
    fn from(job: &Job) -> Self {
        Self {
            job_id: job.id.to_string(),
            status: job.status.as_str().to_owned(),
            stage: job.stage.as_str().to_owned(),
            failure: job.failure.as_ref().map(|failure| UploadFailureView {
                code: failure.code.clone(),
                message: failure.message.clone(),
            }),
        }
    }
}

impl From<&Stored<Upload>> for UploadView {
    fn from(stored: &Stored<Upload>) -> Self {
        let upload = &stored.record;
        Self {
            upload_id: upload.id.to_string(),
            project_id: upload.project.to_string(),
            dataset_id: upload.dataset.as_ref().map(ToString::to_string),
            filename: upload.file_name.as_str().to_owned(),
            format: upload.format.as_str().to_owned(),
            content_type: upload.declared_content_type.clone(),
            size_bytes: upload.declared_bytes,
            status: upload.status.as_str().to_owned(),
            scan: upload.scan.as_str().to_owned(),
            created_by: upload.created_by.to_string(),
            created_at: upload.created_at,
            expires_at: upload.expires_at,
            job: None,
        }
    }
}
