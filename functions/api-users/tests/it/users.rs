//! Inviting, listing, changing roles and removing users, and who may.

use crate::env::TestEnv;
use ida_core::Role;
use ida_core::id::{ApiKeyId, ApprovalId, CorrelationId, UserId};
use ida_core::quota::Quota;
use ida_core::tenancy::{ApprovalMode, DisplayName, TenantPolicy};
use ida_store::identity::NewApiKey;
use ida_store::{
    ApiKeyRepository, ApprovalRepository, TenantRepository, UserRepository, WriteContext,
};
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_invited_user_logs_in_with_the_one_time_password_and_is_active() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@invite.example").await?;
    let invited = env
        .invite(&acme.owner, "Bob@Invite.example", "MEMBER")
        .await?;
    assert_eq!(invited.status, StatusCode::CREATED, "{:?}", invited.body);
    assert_eq!(invited.body["user"]["status"], "INVITED");
    assert_eq!(invited.body["user"]["email"], "bob@invite.example");
    assert_eq!(invited.body["user"]["role"], "MEMBER");
    let password = text(&invited.body["one_time_password"]);
    assert_eq!(password.len(), 64);
    let id = text(&invited.body["user"]["id"]);

    let outcome = env
        .records
        .login(
            "bob@invite.example",
            &password,
            &CorrelationId::generate(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    assert_eq!(outcome.user.as_str(), id);
    assert_eq!(outcome.role, Role::Member);
    let read = env.get(&acme.owner, &id).await?;
    assert_eq!(read.body["status"], "ACTIVE");
    // The list never shows a password or its hash.
    let listed = env.list(&acme.owner, &[]).await?;
    assert!(!listed.body.to_string().contains(&password));
    assert!(!listed.body.to_string().contains("argon2"));
    env.teardown().await
}

#[tokio::test]
async fn a_role_change_needs_the_current_etag() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@roles.example").await?;
    let invited = env
        .invite(&acme.owner, "carol@roles.example", "VIEWER")
        .await?;
    let id = text(&invited.body["user"]["id"]);
    let read = env.get(&acme.owner, &id).await?;
    assert_eq!(read.headers["etag"], "\"r1\"");
    let missing = env.patch(&acme.owner, &id, None, "ADMIN").await?;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
    let changed = env.patch(&acme.owner, &id, Some("\"r1\""), "ADMIN").await?;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["role"], "ADMIN");
    assert_eq!(changed.headers["etag"], "\"r2\"");
    let stale = env
        .patch(&acme.owner, &id, Some("\"r1\""), "MEMBER")
        .await?;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let stored = env
        .records
        .get_user(&acme.owner.scope(), &UserId::parse(&id)?)
        .await?;
    assert_eq!(stored.record.role, Role::Admin);
    env.teardown().await
}

#[tokio::test]
async fn the_last_owner_stays_and_an_admin_cannot_make_owners() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@last.example").await?;
    let owner_id = acme.owner.user().to_string();
    let demote = env
        .patch(&acme.owner, &owner_id, Some("\"r1\""), "ADMIN")
        .await?;
    assert_eq!(
        demote.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        demote.body
    );
    assert!(
        text(&demote.body["detail"]).contains("role"),
        "{}",
        demote.body
    );
    let admin = acme.as_role(Role::Admin)?;
    let remove_owner = env.remove(&admin, &owner_id).await?;
    assert_eq!(
        remove_owner.status,
        StatusCode::FORBIDDEN,
        "{:?}",
        remove_owner.body
    );
    let make_owner = env.invite(&admin, "dave@last.example", "OWNER").await?;
    assert_eq!(make_owner.status, StatusCode::FORBIDDEN);
    let yourself = env.remove(&acme.owner, &owner_id).await?;
    assert_eq!(yourself.status, StatusCode::CONFLICT, "{:?}", yourself.body);
    env.teardown().await
}

#[tokio::test]
async fn with_four_eyes_a_removal_waits_for_approval() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@foureyes.example").await?;
    let invited = env
        .invite(&acme.owner, "erin@foureyes.example", "MEMBER")
        .await?;
    let id = text(&invited.body["user"]["id"]);
    let asked = env.remove(&acme.owner, &id).await?;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{:?}", asked.body);
    let approval_id = ApprovalId::parse(&text(&asked.body["approval_id"]))?;
    let approval = env
        .records
        .get_approval(&acme.owner.scope(), &approval_id)
        .await?;
    assert_eq!(approval.record.requested_by, *acme.owner.user());
    assert_eq!(
        serde_json::to_value(&approval.record.action)?,
        json!({"type": "remove_user", "user": id})
    );
    let still = env.get(&acme.owner, &id).await?;
    assert_eq!(still.body["status"], "INVITED");
    env.teardown().await
}

#[tokio::test]
async fn without_four_eyes_a_removal_disables_the_user_frees_the_seat_and_revokes_their_keys()
-> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@direct.example").await?;
    let scope = acme.owner.scope();
    let ctx = || {
        WriteContext::for_principal(
            &acme.owner,
            CorrelationId::generate(),
            OffsetDateTime::now_utc(),
        )
    };
    let policy = env.records.get_policy(&scope).await?;
    let open = TenantPolicy {
        approval_mode: ApprovalMode::WhenRisky,
        four_eyes: false,
        malware_scan_required: false,
    };
    env.records
        .set_policy(&scope, open, policy.revision, &ctx())
        .await?;

    let invited = env
        .invite(&acme.owner, "frank@direct.example", "ADMIN")
        .await?;
    let id = UserId::parse(&text(&invited.body["user"]["id"]))?;
    let password = text(&invited.body["one_time_password"]);
    let now = OffsetDateTime::now_utc();
    env.records
        .login(
            "frank@direct.example",
            &password,
            &CorrelationId::generate(),
            now,
        )
        .await?;
    let frank = acme.as_user(&id, Role::Admin)?;
    let (key, _) = env
        .records
        .create_api_key(
            &scope,
            &frank,
            NewApiKey {
                name: DisplayName::parse("frank's key")?,
                role: Role::Member,
                scopes: [ida_core::Permission::JobRead].into(),
                expires_at: None,
            },
            &ctx(),
        )
        .await?;

    assert_eq!(env.records.get_quota(&scope).await?.used(Quota::Users), 2);
    let removed = env.remove(&acme.owner, id.as_str()).await?;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{:?}", removed.body);
    let stored = env.records.get_user(&scope, &id).await?;
    assert_eq!(serde_json::to_value(stored.record.status)?, "REMOVED");
    assert_eq!(env.records.get_quota(&scope).await?.used(Quota::Users), 1);
    let key: ApiKeyId = key.record.id;
    assert!(
        env.records
            .get_api_key(&scope, &key)
            .await?
            .record
            .revoked_at
            .is_some()
    );
    let login = env
        .records
        .login(
            "frank@direct.example",
            &password,
            &CorrelationId::generate(),
            OffsetDateTime::now_utc(),
        )
        .await;
    assert_eq!(login.unwrap_err().code(), "invalid_credentials");
    env.teardown().await
}

#[tokio::test]
async fn viewers_and_members_cannot_manage_users() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@viewer.example").await?;
    let owner_id = acme.owner.user().to_string();
    for role in [Role::Viewer, Role::Member] {
        let caller = acme.as_role(role)?;
        assert_eq!(
            env.invite(&caller, "gina@viewer.example", "VIEWER")
                .await?
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            env.patch(&caller, &owner_id, Some("*"), "VIEWER")
                .await?
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            env.remove(&caller, &owner_id).await?.status,
            StatusCode::FORBIDDEN
        );
        // Reading the tenant's users is open to every role.
        assert_eq!(env.get(&caller, &owner_id).await?.status, StatusCode::OK);
    }
    env.teardown().await
}

#[tokio::test]
async fn another_tenants_users_are_not_found_and_lists_page() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let a = env.register("Tenant A", "owner@a-users.example").await?;
    let b = env.register("Tenant B", "owner@b-users.example").await?;
    env.invite(&a.owner, "hana@a-users.example", "MEMBER")
        .await?;
    let a_owner = a.owner.user().to_string();
    assert_eq!(
        env.get(&b.owner, &a_owner).await?.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.patch(&b.owner, &a_owner, Some("*"), "VIEWER")
            .await?
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.remove(&b.owner, &a_owner).await?.status,
        StatusCode::NOT_FOUND
    );
    let password = env
        .change_password(
            &b.owner,
            &a_owner,
            "a long passphrase 42",
            "b's attempt at a's",
        )
        .await?;
    assert_eq!(
        password.status,
        StatusCode::NOT_FOUND,
        "{:?}",
        password.body
    );
    let b_list = env.list(&b.owner, &[]).await?;
    assert_eq!(b_list.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(b_list.body["items"][0]["email"], "owner@b-users.example");

    let first = env.list(&a.owner, &[("limit", "1")]).await?;
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(1));
    let cursor = text(&first.body["next_cursor"]);
    let second = env
        .list(&a.owner, &[("limit", "1"), ("cursor", &cursor)])
        .await?;
    assert_eq!(second.body["items"].as_array().map(Vec::len), Some(1));
    assert_ne!(first.body["items"][0]["id"], second.body["items"][0]["id"]);
    let bad = env.list(&a.owner, &[("limit", "0")]).await?;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    env.teardown().await
}

#[tokio::test]
async fn an_invited_user_replaces_the_one_time_password_and_only_they_may() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.register("Acme", "owner@password.example").await?;
    let invited = env
        .invite(&acme.owner, "ivy@password.example", "MEMBER")
        .await?;
    let id = UserId::parse(&text(&invited.body["user"]["id"]))?;
    let one_time = text(&invited.body["one_time_password"]);
    let login = |password: String| {
        let records = env.records.clone();
        async move {
            records
                .login(
                    "ivy@password.example",
                    &password,
                    &CorrelationId::generate(),
                    OffsetDateTime::now_utc(),
                )
                .await
        }
    };
    login(one_time.clone()).await?;
    let ivy = acme.as_user(&id, Role::Member)?;

    let by_owner = env
        .change_password(&acme.owner, id.as_str(), &one_time, "the owner's choice 1")
        .await?;
    assert_eq!(
        by_owner.status,
        StatusCode::FORBIDDEN,
        "{:?}",
        by_owner.body
    );
    let wrong = env
        .change_password(
            &ivy,
            id.as_str(),
            "not the password",
            "ivy's own passphrase",
        )
        .await?;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{:?}", wrong.body);
    let short = env
        .change_password(&ivy, id.as_str(), &one_time, "short")
        .await?;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        short.body
    );
    assert!(
        text(&short.body["detail"]).contains("password"),
        "{}",
        short.body
    );

    let changed = env
        .change_password(&ivy, id.as_str(), &one_time, "ivy's own passphrase")
        .await?;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    assert_eq!(
        login(one_time).await.unwrap_err().code(),
        "invalid_credentials"
    );
    assert_eq!(login("ivy's own passphrase".to_owned()).await?.user, id);
    env.teardown().await
}
