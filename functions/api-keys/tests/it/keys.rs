//! Creating, listing, rotating and revoking API keys, and who may.

use crate::env::TestEnv;
use ida_core::Role;
use ida_core::access::Subject;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn pipeline_key() -> Value {
    json!({"name": "nightly export", "role": "MEMBER", "scopes": ["upload:create", "job:read"]})
}

#[tokio::test]
async fn a_key_is_shown_once_verifies_rotates_and_is_revoked() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@keys.example").await?;
    let created = env.create(&acme.owner, &pipeline_key()).await?;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = text(&created.body["id"]);
    let first = text(&created.body["secret"]);
    assert!(first.starts_with(&format!("ida_{id}_")), "{first}");
    assert_eq!(created.body["role"], "MEMBER");
    assert_eq!(created.body["scopes"], json!(["upload:create", "job:read"]));
    assert!(
        !created.body.to_string().contains("sha256"),
        "{}",
        created.body
    );

    let principal = env.verify_key(&first).await?.map_err(anyhow::Error::msg)?;
    assert_eq!(principal.tenant(), &acme.tenant.id);
    assert!(matches!(principal.subject(), Subject::ApiKey { key, .. } if key.as_str() == id));
    assert_eq!(principal.role(), Role::Member);

    let rotated = env.rotate(&acme.owner, &id).await?;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let second = text(&rotated.body["secret"]);
    assert_ne!(second, first);
    assert_eq!(
        env.verify_key(&first).await?.unwrap_err(),
        "unauthenticated"
    );
    assert!(env.verify_key(&second).await?.is_ok());

    let revoked = env.revoke(&acme.owner, &id).await?;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{:?}", revoked.body);
    assert_eq!(
        env.verify_key(&second).await?.unwrap_err(),
        "unauthenticated"
    );
    let listed = env.list(&acme.owner, &[]).await?;
    assert!(
        listed.body["items"][0]["revoked_at"].is_string(),
        "{}",
        listed.body
    );
    env.teardown().await
}

#[tokio::test]
async fn the_list_pages_and_never_shows_a_secret() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@pages.example").await?;
    let mut secrets = Vec::new();
    for _ in 0..2 {
        let created = env.create(&acme.owner, &pipeline_key()).await?;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        secrets.push(text(&created.body["secret"]));
    }
    let first = env.list(&acme.owner, &[("limit", "1")]).await?;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(1));
    let cursor = text(&first.body["next_cursor"]);
    assert!(first.headers["link"].to_str()?.contains("rel=\"next\""));
    let second = env
        .list(&acme.owner, &[("limit", "1"), ("cursor", &cursor)])
        .await?;
    assert_eq!(second.body["items"].as_array().map(Vec::len), Some(1));
    assert_ne!(first.body["items"][0]["id"], second.body["items"][0]["id"]);
    for page in [&first.body, &second.body] {
        let body = page.to_string();
        assert!(
            !body.contains("secret") && !body.contains("sha256"),
            "{body}"
        );
        for secret in &secrets {
            assert!(!body.contains(secret.as_str()));
        }
    }
    env.teardown().await
}

#[tokio::test]
async fn a_key_never_outranks_its_creator_nor_its_role() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@ranks.example").await?;
    let admin = acme.as_role(Role::Admin)?;
    let above = env
        .create(
            &admin,
            &json!({"name": "too strong", "role": "OWNER", "scopes": ["dataset:read"]}),
        )
        .await?;
    assert_eq!(above.status, StatusCode::FORBIDDEN, "{:?}", above.body);
    let wider = env
        .create(
            &acme.owner,
            &json!({"name": "wide", "role": "VIEWER", "scopes": ["dataset:delete"]}),
        )
        .await?;
    assert_eq!(
        wider.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        wider.body
    );
    assert_eq!(wider.body["code"], "invalid_field");
    assert!(
        text(&wider.body["detail"]).contains("scopes"),
        "{}",
        wider.body
    );
    let past = env
        .create(&acme.owner, &json!({"name": "late", "role": "VIEWER", "scopes": ["dataset:read"], "expires_at": "2001-01-01T00:00:00Z"}))
        .await?;
    assert!(
        text(&past.body["detail"]).contains("expires_at"),
        "{}",
        past.body
    );
    let unknown_scope = env
        .create(
            &acme.owner,
            &json!({"name": "odd", "role": "VIEWER", "scopes": ["everything"]}),
        )
        .await?;
    assert_eq!(unknown_scope.status, StatusCode::BAD_REQUEST);
    assert!(
        text(&unknown_scope.body["detail"]).contains("scopes"),
        "{}",
        unknown_scope.body
    );
    env.teardown().await
}

#[tokio::test]
async fn viewers_and_members_cannot_manage_keys() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@viewers.example").await?;
    let created = env.create(&acme.owner, &pipeline_key()).await?;
    let id = text(&created.body["id"]);
    for role in [Role::Viewer, Role::Member] {
        let caller = acme.as_role(role)?;
        assert_eq!(
            env.create(&caller, &pipeline_key()).await?.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            env.rotate(&caller, &id).await?.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            env.revoke(&caller, &id).await?.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(env.list(&caller, &[]).await?.status, StatusCode::FORBIDDEN);
    }
    assert!(
        env.verify_key(&text(&created.body["secret"]))
            .await?
            .is_ok()
    );
    env.teardown().await
}

#[tokio::test]
async fn another_tenant_cannot_see_rotate_or_revoke_a_key() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let a = env.register("Tenant A", "owner@a-keys.example").await?;
    let b = env.register("Tenant B", "owner@b-keys.example").await?;
    let created = env.create(&a.owner, &pipeline_key()).await?;
    let id = text(&created.body["id"]);
    let rotate = env.rotate(&b.owner, &id).await?;
    assert_eq!(rotate.status, StatusCode::NOT_FOUND, "{:?}", rotate.body);
    assert_eq!(
        env.revoke(&b.owner, &id).await?.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(env.list(&b.owner, &[]).await?.body["items"], json!([]));
    assert!(
        env.verify_key(&text(&created.body["secret"]))
            .await?
            .is_ok()
    );
    env.teardown().await
}
