//! The audit chain: written with each change in one transaction, and tampering detected.

use aws_sdk_dynamodb::types::AttributeValue;
use ida_core::Role;
use ida_core::audit::ChainBreak;
use ida_core::quota::Quota;
use ida_core::tenancy::{DisplayName, Plan};
use ida_store::{
    AuditLog, AuditVerification, PageRequest, ProjectRepository, TenantRepository, UserRepository,
};

use crate::env::TestEnv;

#[tokio::test]
async fn a_tampered_audit_event_is_detected_at_its_sequence_number() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let records = &env.store.records;
    let project = env.create_project(&a).await?;
    let mut renamed = project.record.clone();
    renamed.name = DisplayName::parse("Sales EMEA")?;
    records
        .update_project(&a.scope, renamed, project.revision, &a.ctx())
        .await?;
    let events = records
        .list_audit_events(&a.scope, &PageRequest::first(100))
        .await?
        .items;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["tenant.created", "project.created", "project.updated"]
    );
    assert!(matches!(
        records.verify_audit_chain(&a.scope).await?,
        AuditVerification::Intact { events: 3, .. }
    ));

    // Someone with table access rewrites what the second event says was created.
    let dynamodb = &env.stack.clients.dynamodb;
    let key = [
        (
            "pk".to_owned(),
            AttributeValue::S(format!("TENANT#{}", a.tenant.id)),
        ),
        (
            "sk".to_owned(),
            AttributeValue::S("AUDIT#000000000002".into()),
        ),
    ];
    let stored = dynamodb
        .get_item()
        .table_name(&env.stack.records_table)
        .set_key(Some(key.into_iter().collect()))
        .send()
        .await?
        .item
        .expect("event 2 stored");
    let body = stored["body"]
        .as_s()
        .unwrap()
        .replace("\"Sales\"", "\"Payroll\"");
    assert!(body.contains("Payroll"));
    let mut edited = stored.clone();
    edited.insert("body".into(), AttributeValue::S(body));
    dynamodb
        .put_item()
        .table_name(&env.stack.records_table)
        .set_item(Some(edited))
        .send()
        .await?;

    assert_eq!(
        records.verify_audit_chain(&a.scope).await?,
        AuditVerification::Broken(ChainBreak::Altered { seq: 2 })
    );
    env.teardown().await
}

#[tokio::test]
async fn a_failed_transaction_leaves_neither_the_change_nor_its_audit_event() -> anyhow::Result<()>
{
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let records = &env.store.records;
    let project = env.create_project(&a).await?;
    let events_before = records
        .list_audit_events(&a.scope, &PageRequest::first(100))
        .await?
        .items;

    // A stale revision: the condition fails, so neither the rename nor its event exists.
    let mut renamed = project.record.clone();
    renamed.name = DisplayName::parse("Renamed")?;
    let first = records
        .update_project(&a.scope, renamed.clone(), project.revision, &a.ctx())
        .await?;
    let stale = records
        .update_project(&a.scope, project.record.clone(), project.revision, &a.ctx())
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict", "{stale}");
    assert_eq!(
        records.get_project(&a.scope, &project.record.id).await?,
        first
    );

    // An email taken in the same tenant: no user, no event, no quota moved.
    records
        .create_user(
            &a.scope,
            a.user("ops@a.example.com", Role::Admin),
            None,
            &a.ctx(),
        )
        .await?;
    let used = records.get_quota(&a.scope).await?.used(Quota::Users);
    let events_mid = records
        .list_audit_events(&a.scope, &PageRequest::first(100))
        .await?
        .items
        .len();
    let taken = records
        .create_user(
            &a.scope,
            a.user("OPS@a.example.com", Role::Viewer),
            None,
            &a.ctx(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        taken.to_string(),
        "conflict on email ops@a.example.com: is already registered"
    );
    assert_eq!(records.get_quota(&a.scope).await?.used(Quota::Users), used);
    assert_eq!(
        records
            .list_audit_events(&a.scope, &PageRequest::first(100))
            .await?
            .items
            .len(),
        events_mid
    );
    assert_eq!(events_mid, events_before.len() + 2);
    assert!(matches!(
        records.verify_audit_chain(&a.scope).await?,
        AuditVerification::Intact { .. }
    ));
    env.teardown().await
}

#[tokio::test]
async fn pages_follow_signed_cursors_and_refuse_another_tenants_cursor() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let b = env.tenant(Plan::Team).await?;
    let records = &env.store.records;
    for _ in 0..3 {
        env.create_project(&a).await?;
    }
    let first = records
        .list_projects(&a.scope, &PageRequest::first(2))
        .await?;
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.clone().expect("a second page");
    let second = records
        .list_projects(&a.scope, &PageRequest::after(2, cursor.clone()))
        .await?;
    assert_eq!(second.items.len(), 1);
    assert!(
        first
            .items
            .iter()
            .all(|p| p.record.id != second.items[0].record.id)
    );

    let refused = records
        .list_projects(&b.scope, &PageRequest::after(2, cursor.clone()))
        .await
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "invalid cursor: made for another tenant"
    );
    let forged = format!("{}0", cursor);
    assert_eq!(
        records
            .list_projects(&a.scope, &PageRequest::after(2, forged))
            .await
            .unwrap_err()
            .code(),
        "invalid_cursor"
    );
    env.teardown().await
}
