//! `destructive::perform` on the emulators: each action changes exactly what it names, audited,
//! and refuses what its rules forbid.

use ida_core::Role;
use ida_core::approval::DestructiveAction;
use ida_core::audit::AuditAction;
use ida_core::dataset::{Dataset, DatasetStatus, VersionOrigin};
use ida_core::id::{DatasetId, JobId, UploadId, VersionNo};
use ida_core::quota::Quota;
use ida_core::tenancy::{DisplayName, Plan};
use ida_core::user::UserStatus;
use ida_store::datasets::NewVersion;
use ida_store::destructive::{Performed, perform};
use ida_store::*;
use time::OffsetDateTime;

use crate::env::{Acting, TestEnv};

/// A dataset of `a` with versions 1 and 2, 2 active, and a data file for each.
async fn dataset_with_two_versions(env: &TestEnv, a: &Acting) -> anyhow::Result<DatasetId> {
    let records = &env.store.records;
    let project = env.create_project(a).await?;
    let dataset = Dataset {
        id: DatasetId::generate(),
        tenant: a.tenant.id.clone(),
        project: project.record.id.clone(),
        name: DisplayName::parse("cars")?,
        status: DatasetStatus::Active,
        active_version: None,
        latest_version: None,
        created_by: a.owner.clone(),
        created_at: OffsetDateTime::now_utc(),
    };
    let id = dataset.id.clone();
    records.create_dataset(&a.scope, dataset, &a.ctx()).await?;
    for _ in 0..2 {
        let version = NewVersion {
            origin: VersionOrigin::Upload {
                upload: UploadId::generate(),
            },
            job: JobId::generate(),
            data_sha256: "c".repeat(64),
            row_count: 3,
            column_count: 2,
            byte_size: 4,
        };
        let written = records
            .add_version(&a.scope, &id, version, &a.ctx())
            .await?;
        let key = ArtifactKey::version_file(&a.scope, &id, written.version, VersionFile::Data);
        env.store
            .artifacts
            .put_artifact(
                &a.scope,
                &key,
                b"PAR1".to_vec(),
                "application/vnd.apache.parquet",
            )
            .await?;
    }
    let current = records.get_dataset(&a.scope, &id).await?;
    let mut active = current.record.clone();
    active.activate(VersionNo::new(2)?)?;
    records
        .update_dataset(
            &a.scope,
            active,
            current.revision,
            AuditAction::VersionActivated,
            &a.ctx(),
        )
        .await?;
    Ok(id)
}

async fn audited(env: &TestEnv, a: &Acting, action: AuditAction) -> anyhow::Result<usize> {
    let events = env
        .store
        .records
        .list_audit_events(&a.scope, &PageRequest::first(100))
        .await?;
    Ok(events.items.iter().filter(|e| e.action == action).count())
}

#[tokio::test]
async fn a_rollback_moves_the_pointer_back_once() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let id = dataset_with_two_versions(&env, &a).await?;
    let action = DestructiveAction::Rollback {
        dataset: id.clone(),
        to: VersionNo::new(1)?,
    };
    let Performed::Dataset(dataset) = perform(&env.store, &a.scope, &action, &a.ctx()).await?
    else {
        panic!("a rollback changes a dataset");
    };
    assert_eq!(dataset.record.active_version, Some(VersionNo::new(1)?));
    let again = perform(&env.store, &a.scope, &action, &a.ctx()).await;
    assert_eq!(again.unwrap_err().code(), "invalid_field");
    let missing = DestructiveAction::Rollback {
        dataset: id,
        to: VersionNo::new(7)?,
    };
    let error = perform(&env.store, &a.scope, &missing, &a.ctx())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "not_found");
    assert_eq!(audited(&env, &a, AuditAction::VersionRolledBack).await?, 1);
    env.teardown().await
}

#[tokio::test]
async fn a_deletion_removes_the_files_and_frees_the_quota_slot() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let b = env.tenant(Plan::Team).await?;
    let id = dataset_with_two_versions(&env, &a).await?;
    let before = env
        .store
        .records
        .get_quota(&a.scope)
        .await?
        .used(Quota::Datasets);
    let action = DestructiveAction::DeleteDataset {
        dataset: id.clone(),
    };

    // Another tenant's scope names nothing of A's.
    let foreign = perform(&env.store, &b.scope, &action, &b.ctx()).await;
    assert_eq!(foreign.unwrap_err().code(), "not_found");

    let Performed::Dataset(dataset) = perform(&env.store, &a.scope, &action, &a.ctx()).await?
    else {
        panic!("a deletion changes a dataset");
    };
    assert_eq!(dataset.record.status, DatasetStatus::Deleted);
    for version in [1, 2] {
        let key =
            ArtifactKey::version_file(&a.scope, &id, VersionNo::new(version)?, VersionFile::Data);
        assert!(!env.store.artifacts.artifact_exists(&a.scope, &key).await?);
    }
    let after = env
        .store
        .records
        .get_quota(&a.scope)
        .await?
        .used(Quota::Datasets);
    assert_eq!(after, before - 1);
    assert_eq!(
        audited(&env, &a, AuditAction::DatasetDeletionStarted).await?,
        1
    );
    assert_eq!(audited(&env, &a, AuditAction::DatasetDeleted).await?, 1);
    let again = perform(&env.store, &a.scope, &action, &a.ctx()).await;
    assert_eq!(again.unwrap_err().code(), "invalid_transition");
    env.teardown().await
}

#[tokio::test]
async fn removing_users_keeps_the_last_owner_and_erasure_leaves_a_receipt() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let (a, owner) = env
        .tenant_with_owner("owner@acme.example", "correct horse battery")
        .await?;
    let admin = env
        .store
        .records
        .create_user(
            &a.scope,
            a.user("admin@acme.example", Role::Admin),
            None,
            &a.ctx(),
        )
        .await?;
    let remove_admin = DestructiveAction::RemoveUser {
        user: admin.record.id.clone(),
    };
    let Performed::User(removed) = perform(&env.store, &a.scope, &remove_admin, &a.ctx()).await?
    else {
        panic!("a removal changes a user");
    };
    assert_eq!(removed.record.status, UserStatus::Removed);
    let remove_owner = DestructiveAction::RemoveUser {
        user: owner.record.id.clone(),
    };
    let refused = perform(&env.store, &a.scope, &remove_owner, &a.ctx()).await;
    assert_eq!(refused.unwrap_err().code(), "invalid_field");
    assert_eq!(audited(&env, &a, AuditAction::UserRemoved).await?, 1);

    let Performed::TenantErased(receipt) = perform(
        &env.store,
        &a.scope,
        &DestructiveAction::EraseTenant,
        &a.ctx(),
    )
    .await?
    else {
        panic!("an erasure returns its receipt");
    };
    assert_eq!(receipt.tenant, a.tenant.id);
    assert!(receipt.records_deleted > 0);
    assert_eq!(
        env.store
            .records
            .get_tenant(&a.scope)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    env.teardown().await
}
