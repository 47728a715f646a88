//! Register, log in, refresh and log out, with real tokens and the refusals each step owes.

use crate::env::TestEnv;
use ida_core::Role;
use lambda_http::http::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "a long passphrase 42";

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_owner_registers_logs_in_refreshes_and_logs_out() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let registered = env
        .register("Acme Analytics", "Grace@Acme.example", PASSWORD)
        .await?;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{:?}",
        registered.body
    );
    let tenant_id = text(&registered.body["tenant_id"]).to_owned();
    let user_id = text(&registered.body["user_id"]).to_owned();
    assert!(tenant_id.starts_with("ten_"), "{tenant_id}");
    assert!(registered.headers.contains_key("x-correlation-id"));

    let login = env.login("grace@acme.example", PASSWORD).await?;
    assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);
    assert_eq!(login.headers["cache-control"], "no-store");
    let principal = env.verify(text(&login.body["access_token"])).await?;
    assert_eq!(principal.tenant().as_str(), tenant_id);
    assert_eq!(principal.user().as_str(), user_id);
    assert_eq!(principal.role(), Role::Owner);

    let first_refresh = text(&login.body["refresh_token"]).to_owned();
    let refreshed = env.refresh(&first_refresh).await?;
    assert_eq!(refreshed.status, StatusCode::OK, "{:?}", refreshed.body);
    let second_refresh = text(&refreshed.body["refresh_token"]).to_owned();
    assert_ne!(second_refresh, first_refresh);
    let again = env.verify(text(&refreshed.body["access_token"])).await?;
    assert_eq!(again.user().as_str(), user_id);

    // Logging out ends the family: its live refresh token stops working.
    let out = env.logout(&principal, &second_refresh).await?;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{:?}", out.body);
    let after = env.refresh(&second_refresh).await?;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.body["code"], "unauthenticated");
    env.teardown().await
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_whole_family() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let login = env.owner_session("reuse@acme.example", PASSWORD).await?;
    let first = text(&login["refresh_token"]).to_owned();
    let rotated = env.refresh(&first).await?;
    assert_eq!(rotated.status, StatusCode::OK);
    let successor = text(&rotated.body["refresh_token"]).to_owned();

    let reused = env.refresh(&first).await?;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reused.body["code"], "unauthenticated");
    // The thief's replay also killed the successor the legitimate client holds.
    let successor_answer = env.refresh(&successor).await?;
    assert_eq!(successor_answer.status, StatusCode::UNAUTHORIZED);
    env.teardown().await
}

#[tokio::test]
async fn an_email_registers_once_whatever_its_case() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let first = env.register("Acme", "ada@acme.example", PASSWORD).await?;
    assert_eq!(first.status, StatusCode::CREATED);
    let second = env.register("Other", "ADA@acme.example", PASSWORD).await?;
    assert_eq!(second.status, StatusCode::CONFLICT, "{:?}", second.body);
    assert_eq!(second.body["code"], "email_unavailable");
    assert!(!second.body.to_string().contains("ada@"), "{}", second.body);
    // The refused registration left nothing behind: the first owner still logs in alone.
    let login = env.login("ada@acme.example", PASSWORD).await?;
    let principal = env.verify(text(&login.body["access_token"])).await?;
    assert_eq!(principal.tenant().as_str(), text(&first.body["tenant_id"]));
    env.teardown().await
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    env.owner_session("known@acme.example", PASSWORD).await?;
    let wrong = env
        .login("known@acme.example", "not the passphrase")
        .await?;
    let unknown = env.login("nobody@acme.example", PASSWORD).await?;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let without_id = |body: &Value| {
        let mut body = body.clone();
        if let Some(fields) = body.as_object_mut() {
            fields.remove("correlation_id");
        }
        body
    };
    assert_eq!(without_id(&wrong.body), without_id(&unknown.body));
    assert_eq!(wrong.body["code"], "unauthenticated");
    assert_eq!(
        wrong.headers["www-authenticate"],
        unknown.headers["www-authenticate"]
    );
    env.teardown().await
}

#[tokio::test]
async fn registration_names_the_field_it_refuses() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let short = env
        .register("Acme", "short@acme.example", "too short")
        .await?;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        short.body
    );
    assert_eq!(short.body["code"], "invalid_field");
    assert!(
        text(&short.body["detail"]).contains("password"),
        "{}",
        short.body
    );
    let bad_email = env.register("Acme", "not-an-email", PASSWORD).await?;
    assert!(
        text(&bad_email.body["detail"]).contains("email"),
        "{}",
        bad_email.body
    );
    let no_name = env.register("   ", "name@acme.example", PASSWORD).await?;
    assert!(
        text(&no_name.body["detail"]).contains("tenant_name"),
        "{}",
        no_name.body
    );
    env.teardown().await
}

#[tokio::test]
async fn another_tenants_refresh_token_cannot_be_logged_out() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let a = env.owner_session("a@tenant-a.example", PASSWORD).await?;
    let b = env.owner_session("b@tenant-b.example", PASSWORD).await?;
    let b_principal = env.verify(text(&b["access_token"])).await?;
    let refused = env.logout(&b_principal, text(&a["refresh_token"])).await?;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{:?}", refused.body);
    // A's session is untouched.
    let still = env.refresh(text(&a["refresh_token"])).await?;
    assert_eq!(still.status, StatusCode::OK);
    env.teardown().await
}
