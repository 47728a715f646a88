//! Tenant isolation: every repository method is called with tenant B's scope on tenant A's
//! data, and must refuse it (not found, forbidden, invalid cursor) or touch only B. The table
//! below lists every method of every port; a unit test in `ports.rs` fails when a method is
//! added there and not listed here, and the walk fails on a listed name it does not handle.

use std::collections::BTreeSet;
use std::time::Duration;

use ida_core::Role;
use ida_core::approval::{ApprovalRequest, DestructiveAction};
use ida_core::audit::AuditAction;
use ida_core::dataset::{Dataset, DatasetStatus, VersionOrigin};
use ida_core::id::{DatasetId, JobId, RecipeId, UploadId, VersionNo};
use ida_core::job::{Job, JobStatus, Stage};
use ida_core::quota::{FeatureFlags, FlagName, Quota, QuotaLimits};
use ida_core::recipe::{Recipe, RecipeStatus};
use ida_core::tenancy::{DisplayName, Plan, RecipeRisk, TenantPolicy};
use ida_core::upload::{FileFormat, FileName, ScanStatus, Upload, UploadStatus};
use ida_store::datasets::NewVersion;
use ida_store::identity::NewApiKey;
use ida_store::tenants::UsageField;
use ida_store::*;
use time::OffsetDateTime;

use crate::env::{Acting, TestEnv};

/// Every port method, in the order the walk calls them (erasure last: it deletes B).
const WALK: &[&str] = &[
    "create_tenant",
    "get_tenant",
    "update_tenant",
    "get_policy",
    "set_policy",
    "get_flags",
    "set_flags",
    "get_quota",
    "set_quota_limits",
    "reserve_quota",
    "release_quota",
    "add_usage",
    "get_usage",
    "create_project",
    "get_project",
    "list_projects",
    "update_project",
    "create_dataset",
    "get_dataset",
    "list_datasets",
    "update_dataset",
    "add_version",
    "get_version",
    "find_version",
    "list_versions",
    "create_upload",
    "get_upload",
    "update_upload",
    "create_job",
    "get_job",
    "list_jobs",
    "update_job",
    "create_recipe",
    "get_recipe",
    "update_recipe",
    "create_approval",
    "get_approval",
    "list_approvals",
    "update_approval",
    "create_user",
    "get_user",
    "find_user_by_email",
    "list_users",
    "update_user",
    "change_password",
    "start_session",
    "revoke_session",
    "end_session_of_token",
    "create_api_key",
    "get_api_key",
    "list_api_keys",
    "rotate_api_key",
    "revoke_api_key",
    "list_audit_events",
    "verify_audit_chain",
    "put_artifact",
    "get_artifact",
    "presign_upload",
    "presign_download",
    "artifact_exists",
    "delete_dataset_artifacts",
    "scan_status",
    "erase_tenant",
];

/// Asserts that a call was refused as another tenant's data would be.
fn refused<T: std::fmt::Debug>(method: &str, outcome: Result<T>) {
    match outcome {
        Err(error) => assert!(
            matches!(error.code(), "not_found" | "forbidden" | "invalid_cursor"),
            "{method}: refused with an unexpected error {error:?}"
        ),
        Ok(value) => panic!("{method}: B's scope reached A's data: {value:?}"),
    }
}

/// Everything tenant A owns.
struct World {
    project: Stored<ida_core::project::Project>,
    dataset: Stored<Dataset>,
    upload: Stored<Upload>,
    job: Stored<Job>,
    recipe: Stored<Recipe>,
    approval: Stored<ApprovalRequest>,
    user: Stored<ida_core::user::User>,
    key: Stored<ida_store::identity::ApiKeyRecord>,
    family: ida_core::id::SessionFamilyId,
    refresh_token: String,
    object: ArtifactKey,
    cursors: Vec<(&'static str, String)>,
}

async fn build_world(env: &TestEnv, a: &Acting) -> anyhow::Result<World> {
    let records = &env.store.records;
    let now = OffsetDateTime::now_utc();
    let project = env.create_project(a).await?;
    // A second project of each listed kind, so a first page of one item has a cursor.
    records
        .create_project(&a.scope, a.project("Second"), &a.ctx())
        .await?;
    let dataset = Dataset {
        id: DatasetId::generate(),
        tenant: a.tenant.id.clone(),
        project: project.record.id.clone(),
        name: DisplayName::parse("cars")?,
        status: DatasetStatus::Active,
        active_version: None,
        latest_version: None,
        created_by: a.owner.clone(),
        created_at: now,
    };
    records
        .create_dataset(&a.scope, dataset.clone(), &a.ctx())
        .await?;
    let upload_id = UploadId::generate();
    let job = Job {
        id: JobId::generate(),
        tenant: a.tenant.id.clone(),
        upload: upload_id.clone(),
        dataset: dataset.id.clone(),
        recipe: None,
        stage: Stage::Parse,
        status: JobStatus::Queued,
        failure: None,
        created_by: a.owner.clone(),
        created_at: now,
        updated_at: now,
        progress: Default::default(),
    };
    let job = records.create_job(&a.scope, job, &a.ctx()).await?;
    for _ in 0..2 {
        records
            .add_version(&a.scope, &dataset.id, new_version(&job.record.id), &a.ctx())
            .await?;
    }
    let dataset = records.get_dataset(&a.scope, &dataset.id).await?;
    let upload = Upload {
        id: upload_id,
        tenant: a.tenant.id.clone(),
        project: project.record.id.clone(),
        dataset: Some(dataset.record.id.clone()),
        file_name: FileName::parse("cars.csv")?,
        format: FileFormat::Csv,
        declared_content_type: "text/csv".into(),
        declared_bytes: 1_000,
        status: UploadStatus::AwaitingBytes,
        scan: ScanStatus::NotScanned,
        created_by: a.owner.clone(),
        created_at: now,
        expires_at: now + time::Duration::hours(1),
    };
    let upload = records.create_upload(&a.scope, upload, &a.ctx()).await?;
    let recipe = Recipe {
        id: RecipeId::generate(),
        tenant: a.tenant.id.clone(),
        dataset: dataset.record.id.clone(),
        base_version: VersionNo::FIRST,
        job: job.record.id.clone(),
        document: serde_json::json!({"steps": [{"op": "trim", "column": "name"}]}),
        document_sha256: "a".repeat(64),
        risk: RecipeRisk::default(),
        status: RecipeStatus::Draft,
        requested_by: a.owner.clone(),
        decision: None,
        task_token: None,
        created_at: now,
    };
    let recipe = records.create_recipe(&a.scope, recipe, &a.ctx()).await?;
    let approval = ApprovalRequest::new(
        &a.principal,
        DestructiveAction::DeleteDataset {
            dataset: dataset.record.id.clone(),
        },
        "duplicate upload",
        now,
        ApprovalRequest::DEFAULT_TTL,
    )?;
    let approval = records
        .create_approval(&a.scope, approval, &a.ctx())
        .await?;
    let user = records
        .create_user(
            &a.scope,
            a.user("ada@a.example.com", Role::Member),
            Some("a long enough password"),
            &a.ctx(),
        )
        .await?;
    records
        .create_user(
            &a.scope,
            a.user("bob@a.example.com", Role::Viewer),
            None,
            &a.ctx(),
        )
        .await?;
    let (key, _secret) = records
        .create_api_key(&a.scope, &a.principal, api_key(), &a.ctx())
        .await?;
    records
        .create_api_key(&a.scope, &a.principal, api_key(), &a.ctx())
        .await?;
    let session = records
        .start_session(&a.scope, &user.record.id, &a.ctx())
        .await?;
    let object = ArtifactKey::version_file(
        &a.scope,
        &dataset.record.id,
        VersionNo::FIRST,
        VersionFile::Schema,
    );
    env.store
        .artifacts
        .put_artifact(&a.scope, &object, b"{}".to_vec(), "application/json")
        .await?;

    let mut cursors = Vec::new();
    let one = PageRequest::first(1);
    cursors.push((
        "projects",
        records
            .list_projects(&a.scope, &one)
            .await?
            .next_cursor
            .expect("cursor"),
    ));
    cursors.push((
        "users",
        records
            .list_users(&a.scope, &one)
            .await?
            .next_cursor
            .expect("cursor"),
    ));
    cursors.push((
        "api_keys",
        records
            .list_api_keys(&a.scope, &one)
            .await?
            .next_cursor
            .expect("cursor"),
    ));
    cursors.push((
        "audit",
        records
            .list_audit_events(&a.scope, &one)
            .await?
            .next_cursor
            .expect("cursor"),
    ));
    cursors.push((
        "versions",
        records
            .list_versions(&a.scope, &dataset.record.id, &one)
            .await?
            .next_cursor
            .expect("cursor"),
    ));
    Ok(World {
        project,
        dataset,
        upload,
        job,
        recipe,
        approval,
        user,
        key,
        family: session.family,
        refresh_token: session.token,
        object,
        cursors,
    })
}

fn new_version(job: &JobId) -> NewVersion {
    NewVersion {
        origin: VersionOrigin::Upload {
            upload: UploadId::generate(),
        },
        job: job.clone(),
        data_sha256: "b".repeat(64),
        row_count: 406,
        column_count: 9,
        byte_size: 20_480,
    }
}

fn api_key() -> NewApiKey {
    NewApiKey {
        name: DisplayName::parse("ci").unwrap(),
        role: Role::Member,
        scopes: BTreeSet::from([ida_core::Permission::DatasetRead]),
        expires_at: None,
    }
}

fn cursor<'a>(world: &'a World, listing: &str) -> &'a str {
    &world
        .cursors
        .iter()
        .find(|(l, _)| *l == listing)
        .expect("cursor kept")
        .1
}

/// The same record moved into B's tenant (so only the id still points at A's item).
macro_rules! as_b {
    ($record:expr, $b:expr) => {{
        let mut copy = $record.clone();
        copy.tenant = $b.tenant.id.clone();
        copy
    }};
}

#[test]
fn every_repository_method_refuses_tenant_b_on_tenant_a_data() -> anyhow::Result<()> {
    // The walk is one long async function over every port; unoptimised SDK futures make its
    // state machine larger than a test thread's default stack, so it runs on a bigger one.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(walk())
        })?
        .join()
        .map_err(|_| anyhow::anyhow!("the walk panicked"))?
}

async fn walk() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let b = env.tenant(Plan::Team).await?;
    let w = build_world(&env, &a).await?;
    let r = &env.store.records;
    let s3 = &env.store.artifacts;
    let bs = &b.scope;
    let quota_before = r.get_quota(&a.scope).await?;
    let chain_before = r.verify_audit_chain(&a.scope).await?;
    let today = OffsetDateTime::now_utc().date();

    for method in WALK {
        let name = *method;
        match name {
            "create_tenant" => refused(name, r.create_tenant(bs, a.tenant.clone(), &b.ctx()).await),
            "get_tenant" => assert_eq!(r.get_tenant(bs).await?.record.id, b.tenant.id),
            "update_tenant" => {
                let own = r.get_tenant(bs).await?;
                refused(
                    name,
                    r.update_tenant(
                        bs,
                        a.tenant.clone(),
                        own.revision,
                        AuditAction::TenantSuspended,
                        &b.ctx(),
                    )
                    .await,
                );
            }
            "get_policy" | "set_policy" => {
                let own = r.get_policy(bs).await?;
                let stricter = TenantPolicy {
                    malware_scan_required: true,
                    ..own.record
                };
                r.set_policy(bs, stricter, own.revision, &b.ctx()).await?;
                assert!(
                    !r.get_policy(&a.scope).await?.record.malware_scan_required,
                    "{name}"
                );
            }
            "get_flags" | "set_flags" => {
                let own = r.get_flags(bs).await?;
                let mut flags = FeatureFlags::default();
                flags.set(FlagName::parse("beta")?, true);
                r.set_flags(bs, flags, own.revision, &b.ctx()).await?;
                assert!(
                    r.get_flags(&a.scope).await?.record.flags.is_empty(),
                    "{name}"
                );
            }
            "get_quota" | "set_quota_limits" | "reserve_quota" | "release_quota" => {
                let mut limits = QuotaLimits::for_plan(Plan::Free);
                limits.projects = 1;
                r.set_quota_limits(bs, limits, &b.ctx()).await?;
                r.reserve_quota(bs, Quota::Projects, 1).await?;
                r.release_quota(bs, Quota::Projects, 1).await?;
                assert_eq!(r.get_quota(&a.scope).await?, quota_before, "{name}");
            }
            "add_usage" | "get_usage" => {
                let before = r.get_usage(bs, today).await?.api_requests;
                r.add_usage(bs, today, UsageField::ApiRequests, 7).await?;
                assert_eq!(r.get_usage(bs, today).await?.api_requests, before + 7);
                assert_eq!(
                    r.get_usage(&a.scope, today).await?.api_requests,
                    0,
                    "{name}"
                );
            }
            "create_project" => refused(
                name,
                r.create_project(bs, w.project.record.clone(), &b.ctx())
                    .await,
            ),
            "get_project" => refused(name, r.get_project(bs, &w.project.record.id).await),
            "list_projects" => {
                refused(
                    name,
                    r.list_projects(bs, &PageRequest::after(10, cursor(&w, "projects")))
                        .await,
                );
                assert!(
                    r.list_projects(bs, &PageRequest::first(100))
                        .await?
                        .items
                        .is_empty()
                );
            }
            "update_project" => {
                refused(
                    name,
                    r.update_project(bs, w.project.record.clone(), w.project.revision, &b.ctx())
                        .await,
                );
                refused(
                    name,
                    r.update_project(bs, as_b!(w.project.record, b), w.project.revision, &b.ctx())
                        .await,
                );
            }
            "create_dataset" => refused(
                name,
                r.create_dataset(bs, w.dataset.record.clone(), &b.ctx())
                    .await,
            ),
            "get_dataset" => refused(name, r.get_dataset(bs, &w.dataset.record.id).await),
            "list_datasets" => {
                refused(
                    name,
                    r.list_datasets(bs, &PageRequest::after(10, cursor(&w, "projects")))
                        .await,
                );
                assert!(
                    r.list_datasets(bs, &PageRequest::first(100))
                        .await?
                        .items
                        .is_empty()
                );
            }
            "update_dataset" => {
                refused(
                    name,
                    r.update_dataset(
                        bs,
                        w.dataset.record.clone(),
                        w.dataset.revision,
                        AuditAction::DatasetDeletionStarted,
                        &b.ctx(),
                    )
                    .await,
                );
                refused(
                    name,
                    r.update_dataset(
                        bs,
                        as_b!(w.dataset.record, b),
                        w.dataset.revision,
                        AuditAction::DatasetDeletionStarted,
                        &b.ctx(),
                    )
                    .await,
                );
            }
            "add_version" => refused(
                name,
                r.add_version(
                    bs,
                    &w.dataset.record.id,
                    new_version(&w.job.record.id),
                    &b.ctx(),
                )
                .await,
            ),
            "get_version" => refused(
                name,
                r.get_version(bs, &w.dataset.record.id, VersionNo::FIRST)
                    .await,
            ),
            "find_version" => {
                let written = r
                    .list_versions(&a.scope, &w.dataset.record.id, &PageRequest::first(1))
                    .await?
                    .items;
                let origin = &written.first().expect("A wrote versions").origin;
                assert_eq!(
                    r.find_version(&a.scope, &w.dataset.record.id, origin)
                        .await?
                        .as_ref(),
                    written.first()
                );
                assert!(
                    r.find_version(bs, &w.dataset.record.id, origin)
                        .await?
                        .is_none(),
                    "{name}"
                );
            }
            "list_versions" => {
                refused(
                    name,
                    r.list_versions(
                        bs,
                        &w.dataset.record.id,
                        &PageRequest::after(10, cursor(&w, "versions")),
                    )
                    .await,
                );
                assert!(
                    r.list_versions(bs, &w.dataset.record.id, &PageRequest::first(100))
                        .await?
                        .items
                        .is_empty()
                );
            }
            "create_upload" => refused(
                name,
                r.create_upload(bs, w.upload.record.clone(), &b.ctx()).await,
            ),
            "get_upload" => refused(name, r.get_upload(bs, &w.upload.record.id).await),
            "update_upload" => {
                refused(
                    name,
                    r.update_upload(
                        bs,
                        w.upload.record.clone(),
                        w.upload.revision,
                        AuditAction::UploadRejected,
                        &b.ctx(),
                    )
                    .await,
                );
                refused(
                    name,
                    r.update_upload(
                        bs,
                        as_b!(w.upload.record, b),
                        w.upload.revision,
                        AuditAction::UploadRejected,
                        &b.ctx(),
                    )
                    .await,
                );
            }
            "create_job" => refused(name, r.create_job(bs, w.job.record.clone(), &b.ctx()).await),
            "get_job" => refused(name, r.get_job(bs, &w.job.record.id).await),
            "list_jobs" => {
                refused(
                    name,
                    r.list_jobs(bs, &PageRequest::after(10, cursor(&w, "projects")))
                        .await,
                );
                assert!(
                    r.list_jobs(bs, &PageRequest::first(100))
                        .await?
                        .items
                        .is_empty()
                );
            }
            "update_job" => {
                refused(
                    name,
                    r.update_job(bs, w.job.record.clone(), w.job.revision, &b.ctx())
                        .await,
                );
                refused(
                    name,
                    r.update_job(bs, as_b!(w.job.record, b), w.job.revision, &b.ctx())
                        .await,
                );
            }
            "create_recipe" => refused(
                name,
                r.create_recipe(bs, w.recipe.record.clone(), &b.ctx()).await,
            ),
            "get_recipe" => refused(name, r.get_recipe(bs, &w.recipe.record.id).await),
            "update_recipe" => {
                refused(
                    name,
                    r.update_recipe(
                        bs,
                        w.recipe.record.clone(),
                        w.recipe.revision,
                        AuditAction::RecipeDecided,
                        &b.ctx(),
                    )
                    .await,
                );
                refused(
                    name,
                    r.update_recipe(
                        bs,
                        as_b!(w.recipe.record, b),
                        w.recipe.revision,
                        AuditAction::RecipeDecided,
                        &b.ctx(),
                    )
                    .await,
                );
            }
            "create_approval" => refused(
                name,
                r.create_approval(bs, w.approval.record.clone(), &b.ctx())
                    .await,
            ),
            "get_approval" => refused(name, r.get_approval(bs, &w.approval.record.id).await),
            "list_approvals" => {
                refused(
                    name,
                    r.list_approvals(bs, &PageRequest::after(10, cursor(&w, "projects")))
                        .await,
                );
                assert!(
                    r.list_approvals(bs, &PageRequest::first(100))
                        .await?
                        .items
                        .is_empty()
                );
            }
            "update_approval" => {
                refused(
                    name,
                    r.update_approval(bs, w.approval.record.clone(), w.approval.revision, &b.ctx())
                        .await,
                );
                refused(
                    name,
                    r.update_approval(
                        bs,
                        as_b!(w.approval.record, b),
                        w.approval.revision,
                        &b.ctx(),
                    )
                    .await,
                );
            }
            "create_user" => refused(
                name,
                r.create_user(bs, w.user.record.clone(), None, &b.ctx())
                    .await,
            ),
            "get_user" => refused(name, r.get_user(bs, &w.user.record.id).await),
            "find_user_by_email" => {
                refused(name, r.find_user_by_email(bs, &w.user.record.email).await)
            }
            "list_users" => {
                refused(
                    name,
                    r.list_users(bs, &PageRequest::after(10, cursor(&w, "users")))
                        .await,
                );
                assert!(
                    r.list_users(bs, &PageRequest::first(100))
                        .await?
                        .items
                        .is_empty()
                );
            }
            "update_user" => {
                refused(
                    name,
                    r.update_user(
                        bs,
                        w.user.record.clone(),
                        w.user.revision,
                        AuditAction::UserDisabled,
                        &b.ctx(),
                    )
                    .await,
                );
                refused(
                    name,
                    r.update_user(
                        bs,
                        as_b!(w.user.record, b),
                        w.user.revision,
                        AuditAction::UserDisabled,
                        &b.ctx(),
                    )
                    .await,
                );
            }
            "start_session" => {
                refused(name, r.start_session(bs, &w.user.record.id, &b.ctx()).await)
            }
            "revoke_session" => refused(name, r.revoke_session(bs, &w.family, &b.ctx()).await),
            "change_password" => refused(
                name,
                r.change_password(
                    bs,
                    &w.user.record.id,
                    "a long enough password",
                    "another long enough password",
                    &b.ctx(),
                )
                .await,
            ),
            "end_session_of_token" => refused(
                name,
                r.end_session_of_token(bs, &w.user.record.id, &w.refresh_token, &b.ctx())
                    .await,
            ),
            "create_api_key" => {
                // A's principal cannot create a key in B's scope; B's own key belongs to B.
                let refused_key = r
                    .create_api_key(bs, &a.principal, api_key(), &b.ctx())
                    .await;
                assert_eq!(refused_key.unwrap_err().code(), "forbidden");
                let (made, _) = r
                    .create_api_key(bs, &b.principal, api_key(), &b.ctx())
                    .await?;
                assert_eq!(made.record.tenant, b.tenant.id);
                assert_eq!(
                    r.list_api_keys(&a.scope, &PageRequest::first(100))
                        .await?
                        .items
                        .len(),
                    2
                );
            }
            "get_api_key" => refused(name, r.get_api_key(bs, &w.key.record.id).await),
            "list_api_keys" => {
                refused(
                    name,
                    r.list_api_keys(bs, &PageRequest::after(10, cursor(&w, "api_keys")))
                        .await,
                );
                let own = r.list_api_keys(bs, &PageRequest::first(100)).await?.items;
                assert!(own.iter().all(|k| k.record.tenant == b.tenant.id));
            }
            "rotate_api_key" => refused(
                name,
                r.rotate_api_key(
                    bs,
                    &w.key.record.id,
                    time::Duration::hours(1),
                    w.key.revision,
                    &b.ctx(),
                )
                .await
                .map(|(k, _)| k),
            ),
            "revoke_api_key" => refused(
                name,
                r.revoke_api_key(bs, &w.key.record.id, w.key.revision, &b.ctx())
                    .await,
            ),
            "list_audit_events" => {
                refused(
                    name,
                    r.list_audit_events(bs, &PageRequest::after(10, cursor(&w, "audit")))
                        .await,
                );
                let own = r
                    .list_audit_events(bs, &PageRequest::first(100))
                    .await?
                    .items;
                assert!(!own.is_empty() && own.iter().all(|e| e.tenant == b.tenant.id));
            }
            "verify_audit_chain" => {
                assert!(matches!(
                    r.verify_audit_chain(bs).await?,
                    AuditVerification::Intact { .. }
                ));
            }
            "put_artifact" => refused(
                name,
                s3.put_artifact(bs, &w.object, b"x".to_vec(), "application/json")
                    .await,
            ),
            "get_artifact" => refused(name, s3.get_artifact(bs, &w.object).await),
            "presign_upload" => refused(
                name,
                s3.presign_upload(
                    bs,
                    &w.object,
                    2,
                    "application/json",
                    Duration::from_secs(60),
                )
                .await,
            ),
            "presign_download" => refused(
                name,
                s3.presign_download(bs, &w.object, Duration::from_secs(60))
                    .await,
            ),
            "artifact_exists" => {
                refused(name, s3.artifact_exists(bs, &w.object).await);
                assert!(s3.artifact_exists(&a.scope, &w.object).await?);
            }
            "delete_dataset_artifacts" => {
                // B's scope names only B's prefix: A's object stays (checked at the end).
                assert_eq!(
                    s3.delete_dataset_artifacts(bs, &w.dataset.record.id)
                        .await?,
                    0
                );
            }
            "scan_status" => {
                let scanner = ida_store::scan::GuardDutyTagScanner::new(s3.clone());
                refused(name, scanner.scan_status(bs, &w.object).await);
            }
            "erase_tenant" => {
                let receipt = env.store.eraser().erase_tenant(bs, &b.ctx()).await?;
                assert_eq!(receipt.tenant, b.tenant.id);
            }
            other => panic!("{other} is listed but not walked"),
        }
    }

    // A's data is untouched: same revisions, same chain, same quota, same object.
    assert_eq!(
        r.get_project(&a.scope, &w.project.record.id).await?,
        w.project
    );
    assert_eq!(
        r.get_dataset(&a.scope, &w.dataset.record.id).await?,
        w.dataset
    );
    assert_eq!(r.get_upload(&a.scope, &w.upload.record.id).await?, w.upload);
    assert_eq!(r.get_job(&a.scope, &w.job.record.id).await?, w.job);
    assert_eq!(r.get_recipe(&a.scope, &w.recipe.record.id).await?, w.recipe);
    assert_eq!(
        r.get_approval(&a.scope, &w.approval.record.id).await?,
        w.approval
    );
    assert_eq!(r.get_user(&a.scope, &w.user.record.id).await?, w.user);
    assert_eq!(
        r.get_api_key(&a.scope, &w.key.record.id).await?.revision,
        w.key.revision
    );
    assert_eq!(r.get_quota(&a.scope).await?, quota_before);
    assert_eq!(r.verify_audit_chain(&a.scope).await?, chain_before);
    assert_eq!(s3.get_artifact(&a.scope, &w.object).await?, b"{}");
    env.teardown().await
}
