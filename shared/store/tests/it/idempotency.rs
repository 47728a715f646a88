//! Idempotent creates.

use ida_core::tenancy::Plan;
use ida_store::{AuditLog, IdempotencyKey, PageRequest, ProjectRepository, TenantRepository};

use crate::env::TestEnv;

#[tokio::test]
async fn an_idempotent_create_replayed_returns_the_first_result_and_creates_nothing()
-> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let records = &env.store.records;
    let key = IdempotencyKey::parse("create-project-7f3a")?;
    let ctx = a.ctx().with_idempotency(key.clone(), "a".repeat(64));
    let first = records
        .create_project(&a.scope, a.project("Sales"), &ctx)
        .await?;
    let events_after_first = records
        .list_audit_events(&a.scope, &PageRequest::first(100))
        .await?
        .items
        .len();

    // The client retries with the same key and body (a new id would be minted by the route).
    let replay = records
        .create_project(&a.scope, a.project("Sales"), &ctx)
        .await?;
    assert_eq!(replay, first);
    let projects = records
        .list_projects(&a.scope, &PageRequest::first(100))
        .await?
        .items;
    assert_eq!(projects, vec![first.clone()]);
    assert_eq!(
        records
            .list_audit_events(&a.scope, &PageRequest::first(100))
            .await?
            .items
            .len(),
        events_after_first
    );
    assert_eq!(
        records
            .get_quota(&a.scope)
            .await?
            .used(ida_core::quota::Quota::Projects),
        1
    );

    // The same key with another request is a conflict and creates nothing.
    let other = a.ctx().with_idempotency(key, "b".repeat(64));
    let error = records
        .create_project(&a.scope, a.project("Marketing"), &other)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "conflict");
    assert_eq!(
        records
            .list_projects(&a.scope, &PageRequest::first(100))
            .await?
            .items
            .len(),
        1
    );
    env.teardown().await
}

#[tokio::test]
async fn an_expired_idempotency_record_is_ignored_on_read() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let records = &env.store.records;
    let key = IdempotencyKey::parse("old-key")?;
    let mut long_ago = a.ctx().with_idempotency(key.clone(), "a".repeat(64));
    long_ago.at -= ida_store::IDEMPOTENCY_TTL + time::Duration::minutes(1);
    records
        .create_project(&a.scope, a.project("Old"), &long_ago)
        .await?;
    // DynamoDB has not deleted the record yet; it is past its TTL, so a new request proceeds.
    let fresh = a.ctx().with_idempotency(key, "b".repeat(64));
    let created = records
        .create_project(&a.scope, a.project("New"), &fresh)
        .await?;
    assert_eq!(created.record.name.as_str(), "New");
    assert_eq!(
        records
            .list_projects(&a.scope, &PageRequest::first(100))
            .await?
            .items
            .len(),
        2
    );
    env.teardown().await
}
