//! GDPR erasure of a tenant.

use ida_core::Role;
use ida_core::id::{DatasetId, UploadId, VersionNo};
use ida_core::tenancy::Plan;
use ida_core::upload::FileName;
use ida_store::{
    ArtifactKey, ArtifactStore, PageRequest, ProjectRepository, TenantErasure, TenantRepository,
    UserRepository, VersionFile,
};

use crate::env::TestEnv;

#[tokio::test]
async fn erasure_deletes_every_record_and_object_and_leaves_a_receipt() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let keep = env.tenant(Plan::Team).await?;
    let records = &env.store.records;
    let artifacts = &env.store.artifacts;
    env.create_project(&a).await?;
    env.create_project(&keep).await?;
    let user = records
        .create_user(
            &a.scope,
            a.user("gone@erase.example.com", Role::Member),
            None,
            &a.ctx(),
        )
        .await?;
    let dataset = DatasetId::generate();
    let objects = [
        ArtifactKey::upload(&a.scope, &UploadId::generate(), &FileName::parse("in.csv")?),
        ArtifactKey::version_file(&a.scope, &dataset, VersionNo::FIRST, VersionFile::Data),
        ArtifactKey::version_file(&a.scope, &dataset, VersionNo::FIRST, VersionFile::Report),
    ];
    for key in &objects {
        artifacts
            .put_artifact(&a.scope, key, b"bytes".to_vec(), "application/octet-stream")
            .await?;
    }
    // Overwrite one so the versioned artifacts bucket holds two versions of it.
    artifacts
        .put_artifact(
            &a.scope,
            &objects[1],
            b"bytes v2".to_vec(),
            "application/octet-stream",
        )
        .await?;
    let kept_key =
        ArtifactKey::version_file(&keep.scope, &dataset, VersionNo::FIRST, VersionFile::Data);
    artifacts
        .put_artifact(
            &keep.scope,
            &kept_key,
            b"kept".to_vec(),
            "application/octet-stream",
        )
        .await?;

    let receipt = env.store.eraser().erase_tenant(&a.scope, &a.ctx()).await?;
    assert_eq!(receipt.tenant, a.tenant.id);
    assert_eq!(receipt.objects_deleted, 4);
    assert!(receipt.records_deleted >= 8, "{receipt:?}");

    assert_eq!(
        records.get_tenant(&a.scope).await.unwrap_err().code(),
        "not_found"
    );
    assert!(
        records
            .list_projects(&a.scope, &PageRequest::first(100))
            .await?
            .items
            .is_empty()
    );
    for key in &objects {
        assert_eq!(
            artifacts
                .get_artifact(&a.scope, key)
                .await
                .unwrap_err()
                .code(),
            "not_found"
        );
    }
    let versions = env
        .stack
        .clients
        .s3
        .list_object_versions()
        .bucket(&env.stack.artifacts_bucket)
        .prefix(format!("tenants/{}/", a.tenant.id))
        .send()
        .await?;
    assert!(versions.versions().is_empty() && versions.delete_markers().is_empty());
    // The email is free again, and the receipt survives outside the erased data.
    records
        .create_user(
            &keep.scope,
            keep.user(user.record.email.as_str(), Role::Member),
            None,
            &keep.ctx(),
        )
        .await?;
    assert_eq!(records.erasure_receipt(&a.tenant.id).await?, Some(receipt));
    // The other tenant is untouched.
    assert_eq!(
        records
            .list_projects(&keep.scope, &PageRequest::first(100))
            .await?
            .items
            .len(),
        1
    );
    assert_eq!(
        artifacts.get_artifact(&keep.scope, &kept_key).await?,
        b"kept"
    );
    env.teardown().await
}
