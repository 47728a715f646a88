//! IDA's records and artifacts: the DynamoDB single table and the S3 buckets, behind small
//! repository traits ([`ports`]) with one real adapter each ([`DynamoStore`], [`S3Artifacts`]).
//!
//! Every repository call takes a [`ida_core::TenantScope`], which only a verified principal can
//! produce, and builds its keys from it: this crate never accepts a tenant id from request data
//! and never hands one tenant's item or object to another tenant's scope. Every state change is
//! written in one DynamoDB transaction together with its hash-chained audit event, so a change
//! without its audit event (or the reverse) cannot exist. It never talks to anything but
//! DynamoDB and S3, and never logs record bodies or secrets.

pub mod artifacts;
pub mod audit_log;
pub mod context;
pub mod cursor;
pub mod datasets;
pub mod destructive;
mod dynamo;
pub mod erasure;
pub mod error;
pub mod identity;
mod item;
mod keys;
pub mod ports;
mod records;
pub mod scan;
pub mod settings;
pub mod tenants;
mod workflow;

pub use artifacts::{
    ArtifactKey, BucketKind, PresignedUrl, S3Artifacts, UploadObjectKey, VersionFile,
};
pub use audit_log::AuditVerification;
pub use context::{Idempotency, IdempotencyKey, WriteContext};
pub use cursor::{Page, PageRequest};
pub use dynamo::{DynamoStore, IDEMPOTENCY_TTL};
pub use erasure::{Eraser, ErasureReceipt};
pub use error::{Result, StoreError};
pub use item::{Revision, Stored};
pub use ports::{
    ApiKeyRepository, ApprovalRepository, ArtifactInventory, ArtifactStore, AuditLog,
    DatasetRepository, JobRepository, MalwareScanner, ProjectRepository, RecipeRepository,
    SessionRepository, TenantErasure, TenantRepository, UploadRepository, UserRepository,
};
pub use settings::{CursorKey, StoreSettings};

/// Both adapters built from one set of settings.
#[derive(Debug, Clone)]
pub struct Store {
    /// Records on DynamoDB.
    pub records: DynamoStore,
    /// Objects on S3.
    pub artifacts: S3Artifacts,
}

impl Store {
    /// Builds the adapters from SDK clients and settings.
    pub fn new(
        dynamodb: aws_sdk_dynamodb::Client,
        s3: aws_sdk_s3::Client,
        settings: StoreSettings,
    ) -> Self {
        Store {
            records: DynamoStore::new(dynamodb, settings.records_table, settings.cursor_key),
            artifacts: S3Artifacts::new(
                s3,
                settings.uploads_bucket,
                settings.artifacts_bucket,
                settings.kms_key_id,
            ),
        }
    }

    /// The eraser over both adapters.
    pub fn eraser(&self) -> Eraser {
        Eraser {
            records: self.records.clone(),
            artifacts: self.artifacts.clone(),
        }
    }
}
