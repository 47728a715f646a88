//! Reading the tenant and replacing its policy under If-Match.

use crate::env::TestEnv;
use ida_core::Role;
use lambda_http::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_owner_reads_the_tenant_and_changes_the_policy_with_if_match() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@acme.example").await?;
    let read = env.get(&acme.owner).await?;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    assert_eq!(read.body["name"], "Acme");
    assert_eq!(read.body["plan"], "FREE");
    assert_eq!(read.body["status"], "ACTIVE");
    assert_eq!(
        read.body["policy"],
        json!({"approval_mode": "WHEN_RISKY", "four_eyes": true, "malware_scan_required": false})
    );
    assert_eq!(read.body["quotas"]["limits"]["users"], 3);
    assert_eq!(read.body["quotas"]["used"]["users"], 1);
    assert_eq!(read.headers["etag"], "\"r1\"");

    let change =
        json!({"approval_mode": "ALWAYS", "four_eyes": false, "malware_scan_required": true});
    let missing = env.put(&acme.owner, None, &change).await?;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
    let changed = env.put(&acme.owner, Some("\"r1\""), &change).await?;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body, change);
    assert_eq!(changed.headers["etag"], "\"r2\"");

    // A second writer still holding r1 is refused and changes nothing.
    let stale = env
        .put(
            &acme.as_role(Role::Admin)?,
            Some("\"r1\""),
            &json!({"approval_mode": "NEVER", "four_eyes": true, "malware_scan_required": false}),
        )
        .await?;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.body["code"], "precondition_failed");
    let again = env.get(&acme.owner).await?;
    assert_eq!(again.body["policy"], change);
    env.teardown().await
}

#[tokio::test]
async fn members_and_viewers_may_not_change_the_policy() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@members.example").await?;
    let change =
        json!({"approval_mode": "NEVER", "four_eyes": false, "malware_scan_required": false});
    for role in [Role::Viewer, Role::Member] {
        let refused = env.put(&acme.as_role(role)?, Some("*"), &change).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(refused.body["code"], "forbidden");
    }
    let viewer_read = env.get(&acme.as_role(Role::Viewer)?).await?;
    assert_eq!(viewer_read.status, StatusCode::OK);
    assert_eq!(viewer_read.body["policy"]["approval_mode"], "WHEN_RISKY");
    env.teardown().await
}

#[tokio::test]
async fn a_wrong_approval_mode_is_a_400_naming_the_field() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@modes.example").await?;
    let refused = env
        .put(&acme.owner, Some("\"r1\""), &json!({"approval_mode": "sometimes", "four_eyes": true, "malware_scan_required": false}))
        .await?;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["code"], "invalid_body");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("approval_mode"),
        "{}",
        refused.body
    );
    env.teardown().await
}

#[tokio::test]
async fn each_tenant_sees_only_itself() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let a = env.register("Tenant A", "owner@a.example").await?;
    let b = env.register("Tenant B", "owner@b.example").await?;
    let change =
        json!({"approval_mode": "NEVER", "four_eyes": false, "malware_scan_required": false});
    assert_eq!(
        env.put(&b.owner, Some("\"r1\""), &change).await?.status,
        StatusCode::OK
    );
    let a_view = env.get(&a.owner).await?;
    assert_eq!(a_view.body["name"], "Tenant A");
    assert_eq!(a_view.body["policy"]["approval_mode"], "WHEN_RISKY");
    assert_eq!(a_view.body["id"], a.tenant.id.to_string());
    env.teardown().await
}
