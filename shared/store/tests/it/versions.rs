//! Version numbering under concurrency.

use ida_core::dataset::{Dataset, DatasetStatus, VersionOrigin};
use ida_core::id::{DatasetId, JobId, UploadId};
use ida_core::tenancy::{DisplayName, Plan};
use ida_store::datasets::NewVersion;
use ida_store::{AuditLog, AuditVerification, DatasetRepository, PageRequest};
use time::OffsetDateTime;

use crate::env::TestEnv;

#[tokio::test]
async fn twenty_concurrent_writers_get_twenty_distinct_gap_free_versions() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let project = env.create_project(&a).await?;
    let dataset = Dataset {
        id: DatasetId::generate(),
        tenant: a.tenant.id.clone(),
        project: project.record.id,
        name: DisplayName::parse("weather")?,
        status: DatasetStatus::Active,
        active_version: None,
        latest_version: None,
        created_by: a.owner.clone(),
        created_at: OffsetDateTime::now_utc(),
    };
    env.store
        .records
        .create_dataset(&a.scope, dataset.clone(), &a.ctx())
        .await?;

    let mut writers = Vec::new();
    for _ in 0..20 {
        let (records, scope, ctx, id) = (
            env.store.records.clone(),
            a.scope.clone(),
            a.ctx(),
            dataset.id.clone(),
        );
        writers.push(tokio::spawn(async move {
            let version = NewVersion {
                origin: VersionOrigin::Upload {
                    upload: UploadId::generate(),
                },
                job: JobId::generate(),
                data_sha256: "c".repeat(64),
                row_count: 1,
                column_count: 1,
                byte_size: 1,
            };
            records.add_version(&scope, &id, version, &ctx).await
        }));
    }
    let mut numbers = Vec::new();
    for writer in writers {
        numbers.push(writer.await??.version.get());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<u32>>());

    let stored = env.store.records.get_dataset(&a.scope, &dataset.id).await?;
    assert_eq!(stored.record.latest_version.map(|v| v.get()), Some(20));
    let listed = env
        .store
        .records
        .list_versions(&a.scope, &dataset.id, &PageRequest::first(100))
        .await?;
    let listed: Vec<u32> = listed.items.iter().map(|v| v.version.get()).collect();
    assert_eq!(listed, (1..=20).collect::<Vec<u32>>());
    // Tenant, project, dataset and 20 versions: 23 events, chained without a gap.
    match env.store.records.verify_audit_chain(&a.scope).await? {
        AuditVerification::Intact { events, .. } => assert_eq!(events, 23),
        broken => panic!("{broken:?}"),
    }
    env.teardown().await
}
