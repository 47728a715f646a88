//! The approval routes on a provisioned stack: four-eyes, performing the action exactly once,
//! rejection with a reason, expiry, listing and another tenant's ids.

use crate::emulators::{Answer, Seeded, Tenancy, TestEnv, answer, as_principal};
use api_approvals::{Approvals, approve_approval, get_approval, list_approvals, reject_approval};
use ida_core::approval::{ApprovalRequest, DestructiveAction};
use ida_core::audit::AuditAction;
use ida_core::id::VersionNo;
use ida_core::{Principal, Role};
use ida_runtime::http::GatewayRequest;
use ida_store::{
    ApprovalRepository, ArtifactInventory, ArtifactKey, AuditLog, DatasetRepository, PageRequest,
    VersionFile,
};
use lambda_http::http::StatusCode;
use serde_json::json;
use time::{Duration, OffsetDateTime};

fn on(method: &str, id: &str, verb: &str) -> GatewayRequest {
    let (resource, path) = if verb.is_empty() {
        (
            "/approvals/{approval_id}".to_owned(),
            format!("/approvals/{id}"),
        )
    } else {
        (
            format!("/approvals/{{approval_id}}/{verb}"),
            format!("/approvals/{id}/{verb}"),
        )
    };
    GatewayRequest::new(method, &resource, &path).path_parameter("approval_id", id)
}

async fn approve(state: &Approvals, id: &str, who: &Principal) -> Answer {
    answer(
        approve_approval(state, as_principal(on("POST", id, "approve"), who))
            .await
            .unwrap(),
    )
}

async fn reject(state: &Approvals, id: &str, reason: &str, who: &Principal) -> Answer {
    let request = on("POST", id, "reject").json(&json!({ "reason": reason }));
    answer(
        reject_approval(state, as_principal(request, who))
            .await
            .unwrap(),
    )
}

async fn read(state: &Approvals, id: &str, who: &Principal) -> Answer {
    answer(
        get_approval(state, as_principal(on("GET", id, ""), who))
            .await
            .unwrap(),
    )
}

/// Files an approval request for `action` by `requester`, created `age` ago.
async fn request(
    env: &TestEnv,
    requester: &Principal,
    action: DestructiveAction,
    age: Duration,
) -> anyhow::Result<String> {
    let approval = ApprovalRequest::new(
        requester,
        action,
        "cleanup",
        OffsetDateTime::now_utc() - age,
        Duration::hours(1),
    )?;
    let stored = env
        .store
        .records
        .create_approval(&requester.scope(), approval, &env.ctx(requester))
        .await?;
    Ok(stored.record.id.to_string())
}

async fn count(env: &TestEnv, tenancy: &Tenancy, action: AuditAction) -> anyhow::Result<usize> {
    let events = env
        .store
        .records
        .list_audit_events(&tenancy.owner.scope(), &PageRequest::first(100))
        .await?;
    Ok(events.items.iter().filter(|e| e.action == action).count())
}

fn rollback_to_one(seeded: &Seeded) -> anyhow::Result<DestructiveAction> {
    Ok(DestructiveAction::Rollback {
        dataset: seeded.dataset.clone(),
        to: VersionNo::new(1)?,
    })
}

#[tokio::test]
async fn a_second_admin_approves_a_rollback_and_it_runs_exactly_once() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let seeded = env.seed(&acme, "cars").await?;
    let requester = acme.member(Role::Admin);
    let id = request(&env, &requester, rollback_to_one(&seeded)?, Duration::ZERO).await?;

    let own = approve(&env.state, &id, &requester).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    assert_eq!(own.body["code"], "self_approval");
    let viewer = approve(&env.state, &id, &acme.member(Role::Viewer)).await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN);
    assert_eq!(viewer.body["code"], "forbidden");
    let member = approve(&env.state, &id, &acme.member(Role::Member)).await;
    assert_eq!(member.status, StatusCode::FORBIDDEN);

    // Two admins approve at the same moment: one wins, the other is told it was decided.
    let (first, second) = (acme.member(Role::Admin), acme.member(Role::Admin));
    let (a, b) = futures::join!(
        approve(&env.state, &id, &first),
        approve(&env.state, &id, &second)
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    let won = if a.status == StatusCode::OK { &a } else { &b };
    assert_eq!(won.body["approval"]["status"], "APPROVED");
    assert_eq!(won.body["outcome"]["type"], "dataset");
    assert_eq!(won.body["outcome"]["active_version"], 1);
    assert_eq!(count(&env, &acme, AuditAction::VersionRolledBack).await?, 1);
    let dataset = env
        .store
        .records
        .get_dataset(&acme.owner.scope(), &seeded.dataset)
        .await?;
    assert_eq!(dataset.record.active_version, Some(VersionNo::new(1)?));

    let later = approve(&env.state, &id, &acme.owner).await;
    assert_eq!(later.status, StatusCode::CONFLICT);
    assert_eq!(count(&env, &acme, AuditAction::VersionRolledBack).await?, 1);
    let shown = read(&env.state, &id, &acme.member(Role::Viewer)).await;
    assert_eq!(shown.body["status"], "APPROVED");
    assert_eq!(shown.body["decided_by"], won.body["approval"]["decided_by"]);
    env.teardown().await
}

#[tokio::test]
async fn an_approved_deletion_deletes_the_dataset_and_its_files() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let seeded = env.seed(&acme, "orders").await?;
    let action = DestructiveAction::DeleteDataset {
        dataset: seeded.dataset.clone(),
    };
    let id = request(&env, &acme.owner, action, Duration::ZERO).await?;
    let approved = approve(&env.state, &id, &acme.member(Role::Admin)).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.body["outcome"]["status"], "DELETED");
    assert!(approved.header("x-correlation-id").is_some());
    let scope = acme.owner.scope();
    let dataset = env
        .store
        .records
        .get_dataset(&scope, &seeded.dataset)
        .await?;
    assert_eq!(dataset.record.status.as_str(), "DELETED");
    let key = ArtifactKey::version_file(
        &scope,
        &seeded.dataset,
        VersionNo::new(2)?,
        VersionFile::Data,
    );
    assert!(!env.store.artifacts.artifact_exists(&scope, &key).await?);
    assert_eq!(count(&env, &acme, AuditAction::DatasetDeleted).await?, 1);
    assert_eq!(count(&env, &acme, AuditAction::ApprovalDecided).await?, 1);
    env.teardown().await
}

#[tokio::test]
async fn rejections_expiry_listing_and_other_tenants() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let globex = env.tenant().await?;
    let seeded = env.seed(&acme, "invoices").await?;
    let admin = acme.member(Role::Admin);
    let rejected = request(&env, &acme.owner, rollback_to_one(&seeded)?, Duration::ZERO).await?;
    let expired = request(
        &env,
        &acme.owner,
        rollback_to_one(&seeded)?,
        Duration::hours(2),
    )
    .await?;
    let pending = request(&env, &acme.owner, rollback_to_one(&seeded)?, Duration::ZERO).await?;

    let blank = reject(&env.state, &rejected, "  ", &admin).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.body["detail"].as_str().unwrap().contains("reason"));
    let done = reject(&env.state, &rejected, "version 2 is the right one", &admin).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["status"], "REJECTED");
    assert_eq!(done.body["decision_reason"], "version 2 is the right one");
    let dataset = env
        .store
        .records
        .get_dataset(&acme.owner.scope(), &seeded.dataset)
        .await?;
    assert_eq!(dataset.record.active_version, Some(VersionNo::new(2)?));

    let late = approve(&env.state, &expired, &admin).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    assert_eq!(late.body["code"], "approval_expired");
    assert_eq!(
        read(&env.state, &expired, &admin).await.body["status"],
        "EXPIRED"
    );

    let list = |status: Option<&str>, limit: &str| {
        let mut request = GatewayRequest::to_route("GET", "/approvals").query("limit", limit);
        if let Some(status) = status {
            request = request.query("status", status);
        }
        request
    };
    let viewer = acme.member(Role::Viewer);
    let default =
        answer(list_approvals(&env.state, as_principal(list(None, "100"), &viewer)).await?);
    let ids: Vec<&str> = default.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [pending.as_str()]);
    let all =
        answer(list_approvals(&env.state, as_principal(list(Some("ALL"), "2"), &viewer)).await?);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    assert!(all.body["next_cursor"].is_string());
    let only_rejected = answer(
        list_approvals(
            &env.state,
            as_principal(list(Some("REJECTED"), "100"), &viewer),
        )
        .await?,
    );
    assert_eq!(only_rejected.body["items"][0]["id"], rejected.as_str());
    let bad =
        answer(list_approvals(&env.state, as_principal(list(Some("MAYBE"), "10"), &viewer)).await?);
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let intruder = &globex.owner;
    assert_eq!(
        read(&env.state, &pending, intruder).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        approve(&env.state, &pending, intruder).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        reject(&env.state, &pending, "mine now", intruder)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let theirs =
        answer(list_approvals(&env.state, as_principal(list(Some("ALL"), "100"), intruder)).await?);
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 0);
    env.teardown().await
}
