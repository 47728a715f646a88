//! The repositories (ports) the functions program against. Every method takes the caller's
//! [`TenantScope`], which only a verified principal can produce, and reads or writes only inside
//! that tenant: no method accepts a tenant id from request data. Every state change is written
//! with its audit event in one transaction. [`crate::DynamoStore`] is the one real implementation.
//!
//! The isolation test walks every method listed here with another tenant's scope; a unit test
//! below fails when a method is added here and not walked there.

use std::future::Future;

use ida_core::approval::ApprovalRequest;
use ida_core::audit::{AuditAction, AuditEvent};
use ida_core::dataset::{Dataset, DatasetVersion, VersionOrigin};
use ida_core::id::{
    ApiKeyId, ApprovalId, DatasetId, JobId, ProjectId, RecipeId, SessionFamilyId, UploadId, UserId,
    VersionNo,
};
use ida_core::job::Job;
use ida_core::project::Project;
use ida_core::quota::{FeatureFlags, Quota, QuotaLimits, UsageCounters};
use ida_core::recipe::Recipe;
use ida_core::tenancy::{Tenant, TenantPolicy};
use ida_core::upload::Upload;
use ida_core::user::{Email, User};
use ida_core::{Principal, TenantScope};
use time::Date;

use crate::artifacts::{ArtifactKey, PresignedUrl};
use crate::audit_log::AuditVerification;
use crate::context::WriteContext;
use crate::cursor::{Page, PageRequest};
use crate::datasets::NewVersion;
use crate::erasure::ErasureReceipt;
use crate::error::Result;
use crate::identity::{ApiKeyRecord, ApiKeySecret, IssuedRefreshToken, NewApiKey};
use crate::item::{Revision, Stored};
use crate::scan::ScanVerdict;
use crate::tenants::{QuotaState, UsageField};

/// The tenant record, its policy, quotas, flags and usage.
pub trait TenantRepository {
    /// Creates the tenant named by the scope with its policy, plan quotas and empty flags.
    fn create_tenant(
        &self,
        scope: &TenantScope,
        tenant: Tenant,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Tenant>>> + Send;
    /// The tenant.
    fn get_tenant(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<Stored<Tenant>>> + Send;
    /// Replaces the tenant record (status, plan, name) if `expected` is still current.
    fn update_tenant(
        &self,
        scope: &TenantScope,
        tenant: Tenant,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Tenant>>> + Send;
    /// The approval policy.
    fn get_policy(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<Stored<TenantPolicy>>> + Send;
    /// Replaces the approval policy.
    fn set_policy(
        &self,
        scope: &TenantScope,
        policy: TenantPolicy,
        expected: Revision,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<TenantPolicy>>> + Send;
    /// The feature flags.
    fn get_flags(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<Stored<FeatureFlags>>> + Send;
    /// Replaces the feature flags.
    fn set_flags(
        &self,
        scope: &TenantScope,
        flags: FeatureFlags,
        expected: Revision,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<FeatureFlags>>> + Send;
    /// Quota limits and what is in use.
    fn get_quota(&self, scope: &TenantScope) -> impl Future<Output = Result<QuotaState>> + Send;
    /// Sets the quota limits (counters are kept).
    fn set_quota_limits(
        &self,
        scope: &TenantScope,
        limits: QuotaLimits,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<QuotaState>> + Send;
    /// Moves a counter up by `amount`, refused atomically when it would pass the limit.
    fn reserve_quota(
        &self,
        scope: &TenantScope,
        quota: Quota,
        amount: u64,
    ) -> impl Future<Output = Result<QuotaState>> + Send;
    /// Moves a counter down by `amount` (never below zero).
    fn release_quota(
        &self,
        scope: &TenantScope,
        quota: Quota,
        amount: u64,
    ) -> impl Future<Output = Result<QuotaState>> + Send;
    /// Adds to a daily usage counter.
    fn add_usage(
        &self,
        scope: &TenantScope,
        day: Date,
        field: UsageField,
        amount: u64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A day's usage counters (zero when nothing was recorded).
    fn get_usage(
        &self,
        scope: &TenantScope,
        day: Date,
    ) -> impl Future<Output = Result<UsageCounters>> + Send;
}

/// Projects.
pub trait ProjectRepository {
    /// Creates a project, counting it against the `projects` quota.
    fn create_project(
        &self,
        scope: &TenantScope,
        project: Project,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Project>>> + Send;
    /// One project.
    fn get_project(
        &self,
        scope: &TenantScope,
        id: &ProjectId,
    ) -> impl Future<Output = Result<Stored<Project>>> + Send;
    /// A page of projects, oldest first.
    fn list_projects(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Stored<Project>>>> + Send;
    /// Replaces a project if `expected` is still current.
    fn update_project(
        &self,
        scope: &TenantScope,
        project: Project,
        expected: Revision,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Project>>> + Send;
}

/// Datasets and their immutable versions.
pub trait DatasetRepository {
    /// Creates a dataset, counting it against the `datasets` quota.
    fn create_dataset(
        &self,
        scope: &TenantScope,
        dataset: Dataset,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Dataset>>> + Send;
    /// One dataset.
    fn get_dataset(
        &self,
        scope: &TenantScope,
        id: &DatasetId,
    ) -> impl Future<Output = Result<Stored<Dataset>>> + Send;
    /// A page of datasets, oldest first.
    fn list_datasets(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Stored<Dataset>>>> + Send;
    /// Replaces a dataset (active pointer, status) if `expected` is still current.
    fn update_dataset(
        &self,
        scope: &TenantScope,
        dataset: Dataset,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Dataset>>> + Send;
    /// Adds the next version: numbers are distinct and gap-free under concurrent writers.
    fn add_version(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
        version: NewVersion,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<DatasetVersion>> + Send;
    /// One version.
    fn get_version(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
        version: VersionNo,
    ) -> impl Future<Output = Result<DatasetVersion>> + Send;
    /// The dataset's version with this origin (the one an upload or a recipe made), if written:
    /// how a re-run stage finds the version it already wrote instead of adding another.
    fn find_version(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
        origin: &VersionOrigin,
    ) -> impl Future<Output = Result<Option<DatasetVersion>>> + Send;
    /// A page of a dataset's versions, in order.
    fn list_versions(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<DatasetVersion>>> + Send;
}

/// Uploads.
pub trait UploadRepository {
    /// Creates an upload, reserving its declared bytes against the `upload_bytes` quota in the
    /// same transaction.
    fn create_upload(
        &self,
        scope: &TenantScope,
        upload: Upload,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Upload>>> + Send;
    /// One upload.
    fn get_upload(
        &self,
        scope: &TenantScope,
        id: &UploadId,
    ) -> impl Future<Output = Result<Stored<Upload>>> + Send;
    /// Replaces an upload (status, scan) if `expected` is still current. Moving it to
    /// `REJECTED` or `EXPIRED` releases its reserved `upload_bytes` in the same transaction.
    fn update_upload(
        &self,
        scope: &TenantScope,
        upload: Upload,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Upload>>> + Send;
}

/// Pipeline jobs.
pub trait JobRepository {
    /// Creates a job.
    fn create_job(
        &self,
        scope: &TenantScope,
        job: Job,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Job>>> + Send;
    /// One job.
    fn get_job(
        &self,
        scope: &TenantScope,
        id: &JobId,
    ) -> impl Future<Output = Result<Stored<Job>>> + Send;
    /// A page of jobs, oldest first.
    fn list_jobs(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Stored<Job>>>> + Send;
    /// Replaces a job (stage, status) if `expected` is still current.
    fn update_job(
        &self,
        scope: &TenantScope,
        job: Job,
        expected: Revision,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Job>>> + Send;
}

/// Recipes.
pub trait RecipeRepository {
    /// Creates a recipe.
    fn create_recipe(
        &self,
        scope: &TenantScope,
        recipe: Recipe,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Recipe>>> + Send;
    /// One recipe.
    fn get_recipe(
        &self,
        scope: &TenantScope,
        id: &RecipeId,
    ) -> impl Future<Output = Result<Stored<Recipe>>> + Send;
    /// Replaces a recipe (status, decision, task token) if `expected` is still current.
    fn update_recipe(
        &self,
        scope: &TenantScope,
        recipe: Recipe,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<Recipe>>> + Send;
}

/// Approval requests for destructive actions.
pub trait ApprovalRepository {
    /// Creates an approval request.
    fn create_approval(
        &self,
        scope: &TenantScope,
        approval: ApprovalRequest,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<ApprovalRequest>>> + Send;
    /// One approval request.
    fn get_approval(
        &self,
        scope: &TenantScope,
        id: &ApprovalId,
    ) -> impl Future<Output = Result<Stored<ApprovalRequest>>> + Send;
    /// A page of approval requests, oldest first.
    fn list_approvals(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Stored<ApprovalRequest>>>> + Send;
    /// Replaces an approval request (decision) if `expected` is still current.
    fn update_approval(
        &self,
        scope: &TenantScope,
        approval: ApprovalRequest,
        expected: Revision,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<ApprovalRequest>>> + Send;
}

/// Users of a tenant. Passwords are stored only as argon2id hashes, outside the record.
pub trait UserRepository {
    /// Creates a user with a globally unique email (guard item in the same transaction),
    /// counting it against the `users` quota. With a password the user is registered, without
    /// one invited.
    fn create_user(
        &self,
        scope: &TenantScope,
        user: User,
        password: Option<&str>,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<User>>> + Send;
    /// One user.
    fn get_user(
        &self,
        scope: &TenantScope,
        id: &UserId,
    ) -> impl Future<Output = Result<Stored<User>>> + Send;
    /// The scope's user with this email (another tenant's user is never returned).
    fn find_user_by_email(
        &self,
        scope: &TenantScope,
        email: &Email,
    ) -> impl Future<Output = Result<Stored<User>>> + Send;
    /// A page of users, oldest first.
    fn list_users(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Stored<User>>>> + Send;
    /// Replaces a user (role, status, name; the email cannot change) if `expected` is current.
    fn update_user(
        &self,
        scope: &TenantScope,
        user: User,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<User>>> + Send;
    /// Replaces `user`'s password after checking `current` against the stored argon2id hash
    /// (a wrong one is `invalid_credentials`); the new one must follow ida-core's rule.
    fn change_password(
        &self,
        scope: &TenantScope,
        user: &UserId,
        current: &str,
        new: &str,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Login sessions: refresh-token families.
pub trait SessionRepository {
    /// Starts a session family for a user and issues its first refresh token.
    fn start_session(
        &self,
        scope: &TenantScope,
        user: &UserId,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<IssuedRefreshToken>> + Send;
    /// Revokes the session family of `refresh_token`, a token of `user` (logout); another
    /// user's or tenant's token is not found.
    fn end_session_of_token(
        &self,
        scope: &TenantScope,
        user: &UserId,
        refresh_token: &str,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<SessionFamilyId>> + Send;
    /// Revokes a session family (logout).
    fn revoke_session(
        &self,
        scope: &TenantScope,
        family: &SessionFamilyId,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// API keys: `ida_<keyid>_<secret>`, stored as SHA-256 of the secret.
pub trait ApiKeyRepository {
    /// Creates a key with ida-core's `ApiKeyRecord::issue` on behalf of `creator` (a user of
    /// the scope's tenant, accountable for the key), counting it against the `api_keys` quota;
    /// the secret is shown once.
    fn create_api_key(
        &self,
        scope: &TenantScope,
        creator: &Principal,
        key: NewApiKey,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<(Stored<ApiKeyRecord>, ApiKeySecret)>> + Send;
    /// One key (without its secret).
    fn get_api_key(
        &self,
        scope: &TenantScope,
        id: &ApiKeyId,
    ) -> impl Future<Output = Result<Stored<ApiKeyRecord>>> + Send;
    /// A page of keys, oldest first.
    fn list_api_keys(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Stored<ApiKeyRecord>>>> + Send;
    /// Issues a new secret; the old one keeps working for `grace`.
    fn rotate_api_key(
        &self,
        scope: &TenantScope,
        id: &ApiKeyId,
        grace: time::Duration,
        expected: Revision,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<(Stored<ApiKeyRecord>, ApiKeySecret)>> + Send;
    /// Revokes a key at once.
    fn revoke_api_key(
        &self,
        scope: &TenantScope,
        id: &ApiKeyId,
        expected: Revision,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<Stored<ApiKeyRecord>>> + Send;
}

/// The audit log.
pub trait AuditLog {
    /// A page of audit events, in chain order.
    fn list_audit_events(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<AuditEvent>>> + Send;
    /// Reads the whole chain and checks it with ida-core's verification, naming the first break.
    fn verify_audit_chain(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<AuditVerification>> + Send;
}

/// Hard deletion of a tenant's data (GDPR erasure).
pub trait TenantErasure {
    /// Deletes every record and object of the scope's tenant and leaves a receipt outside them.
    fn erase_tenant(
        &self,
        scope: &TenantScope,
        ctx: &WriteContext,
    ) -> impl Future<Output = Result<ErasureReceipt>> + Send;
}

/// Objects on S3 under the tenant's prefix, encrypted with SSE-KMS.
pub trait ArtifactStore {
    /// Writes an object (SSE-KMS with the configured key).
    fn put_artifact(
        &self,
        scope: &TenantScope,
        key: &ArtifactKey,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Reads an object.
    fn get_artifact(
        &self,
        scope: &TenantScope,
        key: &ArtifactKey,
    ) -> impl Future<Output = Result<Vec<u8>>> + Send;
    /// A presigned PUT with its expiry, exact length, content type and SSE-KMS signed.
    fn presign_upload(
        &self,
        scope: &TenantScope,
        key: &ArtifactKey,
        content_length: u64,
        content_type: &str,
        expires_in: std::time::Duration,
    ) -> impl Future<Output = Result<PresignedUrl>> + Send;
    /// A presigned GET with its expiry signed.
    fn presign_download(
        &self,
        scope: &TenantScope,
        key: &ArtifactKey,
        expires_in: std::time::Duration,
    ) -> impl Future<Output = Result<PresignedUrl>> + Send;
}

/// What exists under a tenant's prefix, and removal of a dataset's objects.
pub trait ArtifactInventory {
    /// Whether the object exists (HeadObject); another tenant's key is refused.
    fn artifact_exists(
        &self,
        scope: &TenantScope,
        key: &ArtifactKey,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Deletes every object of every version of the scope's dataset (all object versions),
    /// returning how many were deleted; only `tenants/{scope}/datasets/{dataset}/` is touched.
    fn delete_dataset_artifacts(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
    ) -> impl Future<Output = Result<u64>> + Send;
}

/// The malware-scan verdict on an uploaded object.
pub trait MalwareScanner {
    /// The scan status of the object, as the scanner reports it now.
    fn scan_status(
        &self,
        scope: &TenantScope,
        key: &ArtifactKey,
    ) -> impl Future<Output = Result<ScanVerdict>> + Send;
}

#[cfg(test)]
mod tests {
    /// The method names declared by the traits in this file.
    fn declared_methods() -> Vec<String> {
        include_str!("ports.rs")
            .lines()
            .filter_map(|line| line.trim_start().strip_prefix("fn "))
            .filter_map(|rest| rest.split('(').next())
            .filter(|name| {
                !name.is_empty()
                    && *name != "declared_methods"
                    && *name != "every_port_method_is_walked_by_the_isolation_test"
            })
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_port_method_is_walked_by_the_isolation_test() {
        let walk = include_str!("../tests/it/isolation.rs");
        let methods = declared_methods();
        assert!(methods.len() > 40, "found only {methods:?}");
        for method in methods {
            assert!(
                walk.contains(&format!("\"{method}\"")),
                "{method} is not walked by tests/it/isolation.rs"
            );
        }
    }
}
