//! Quotas under racing requests.

use ida_core::id::UploadId;
use ida_core::quota::{Quota, QuotaLimits};
use ida_core::tenancy::Plan;
use ida_core::upload::{FileFormat, FileName, ScanStatus, Upload, UploadStatus};
use ida_store::{TenantRepository, UploadRepository};
use time::OffsetDateTime;

use crate::env::TestEnv;

#[tokio::test]
async fn racing_uploads_never_exceed_the_quota() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Free).await?;
    let project = env.create_project(&a).await?;
    let mut limits = QuotaLimits::for_plan(Plan::Free);
    limits.upload_bytes = 10_000;
    env.store
        .records
        .set_quota_limits(&a.scope, limits, &a.ctx())
        .await?;

    // 25 uploads of 1,000 bytes race for a 10,000-byte quota: exactly 10 may win.
    let mut racers = Vec::new();
    for i in 0..25 {
        let (records, scope, ctx) = (env.store.records.clone(), a.scope.clone(), a.ctx());
        let now = OffsetDateTime::now_utc();
        let upload = Upload {
            id: UploadId::generate(),
            tenant: a.tenant.id.clone(),
            project: project.record.id.clone(),
            dataset: None,
            file_name: FileName::parse(&format!("part-{i}.csv"))?,
            format: FileFormat::Csv,
            declared_content_type: "text/csv".into(),
            declared_bytes: 1_000,
            status: UploadStatus::AwaitingBytes,
            scan: ScanStatus::NotScanned,
            created_by: a.owner.clone(),
            created_at: now,
            expires_at: now + time::Duration::hours(1),
        };
        racers.push(tokio::spawn(async move {
            records.create_upload(&scope, upload, &ctx).await
        }));
    }
    let (mut accepted, mut refused) = (0, 0);
    for racer in racers {
        match racer.await? {
            Ok(_) => accepted += 1,
            Err(error) => {
                assert_eq!(error.code(), "quota_exceeded", "{error}");
                refused += 1;
            }
        }
    }
    assert_eq!((accepted, refused), (10, 15));
    let state = env.store.records.get_quota(&a.scope).await?;
    assert_eq!(state.used(Quota::UploadBytes), 10_000);

    // A refused reservation moves nothing; a release makes room again.
    assert_eq!(
        env.store
            .records
            .reserve_quota(&a.scope, Quota::UploadBytes, 1)
            .await
            .unwrap_err()
            .code(),
        "quota_exceeded"
    );
    env.store
        .records
        .release_quota(&a.scope, Quota::UploadBytes, 1_000)
        .await?;
    let state = env
        .store
        .records
        .reserve_quota(&a.scope, Quota::UploadBytes, 1_000)
        .await?;
    assert_eq!(state.used(Quota::UploadBytes), 10_000);
    env.teardown().await
}

#[tokio::test]
async fn the_free_plan_refuses_a_fourth_project() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Free).await?;
    for _ in 0..3 {
        env.create_project(&a).await?;
    }
    let error = env.create_project(&a).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("quota projects exceeded: limit 3"),
        "{error}"
    );
    env.teardown().await
}
