//! Identity storage: refresh-token rotation and reuse, failed-login limiting, API keys and
//! globally unique emails.

use std::collections::BTreeSet;

use ida_core::id::CorrelationId;
use ida_core::tenancy::{DisplayName, Plan};
use ida_core::{Permission, Role};
use ida_store::identity::{MAX_FAILED_LOGINS, NewApiKey};
use ida_store::{ApiKeyRepository, AuditLog, PageRequest, SessionRepository, UserRepository};
use time::OffsetDateTime;

use crate::env::TestEnv;

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn refresh_token_reuse_revokes_the_whole_family() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let (a, owner) = env
        .tenant_with_owner("owner@reuse.example.com", PASSWORD)
        .await?;
    let records = &env.store.records;
    let correlation = CorrelationId::generate();
    let now = OffsetDateTime::now_utc();
    let first = records
        .start_session(&a.scope, &owner.record.id, &a.ctx())
        .await?;

    let second = records
        .refresh_session(&first.token, &correlation, now)
        .await?;
    assert_eq!(
        (second.tenant.clone(), second.user.clone(), second.role),
        (a.tenant.id.clone(), owner.record.id.clone(), Role::Owner)
    );
    assert_eq!(second.issued.family, first.family);
    assert_ne!(second.issued.token, first.token);

    // The first token is presented again (stolen and replayed): reuse revokes the family...
    let reused = records
        .refresh_session(&first.token, &correlation, now)
        .await
        .unwrap_err();
    assert_eq!(reused.code(), "refresh_token_reused");
    // ...so the legitimate holder's newer token is dead too.
    let after = records
        .refresh_session(&second.issued.token, &correlation, now)
        .await
        .unwrap_err();
    assert_eq!(after.code(), "credential_revoked");

    let events = records
        .list_audit_events(&a.scope, &PageRequest::first(100))
        .await?
        .items;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.ends_with(&[
            "auth.login_succeeded",
            "auth.session_refreshed",
            "auth.refresh_reuse_detected"
        ]),
        "{actions:?}"
    );
    assert_eq!(
        records
            .refresh_session("rt_unknown", &correlation, now)
            .await
            .unwrap_err()
            .code(),
        "invalid_credentials"
    );
    env.teardown().await
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_account_and_are_audited() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let (a, owner) = env
        .tenant_with_owner("owner@lock.example.com", PASSWORD)
        .await?;
    let records = &env.store.records;
    let correlation = CorrelationId::generate();
    let now = OffsetDateTime::now_utc();

    let ok = records
        .login("Owner@Lock.example.com", PASSWORD, &correlation, now)
        .await?;
    assert_eq!(
        (ok.tenant, ok.user, ok.role),
        (a.tenant.id.clone(), owner.record.id.clone(), Role::Owner)
    );
    for attempt in 1..MAX_FAILED_LOGINS {
        let error = records
            .login(
                "owner@lock.example.com",
                "wrong password!",
                &correlation,
                now,
            )
            .await
            .unwrap_err();
        assert_eq!(error.code(), "invalid_credentials", "attempt {attempt}");
    }
    let locked = records
        .login(
            "owner@lock.example.com",
            "wrong password!",
            &correlation,
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(locked.code(), "login_locked");
    // Even the right password is refused while locked (the counter lives in DynamoDB, so
    // another instance sees the same lock).
    let other_instance = env.store.records.clone();
    let still = other_instance
        .login("owner@lock.example.com", PASSWORD, &correlation, now)
        .await
        .unwrap_err();
    assert_eq!(still.code(), "login_locked");
    // After the lock, the right password works again.
    let later = now + ida_store::identity::LOGIN_LOCK + time::Duration::seconds(1);
    records
        .login("owner@lock.example.com", PASSWORD, &correlation, later)
        .await?;

    let events = records
        .list_audit_events(&a.scope, &PageRequest::first(100))
        .await?
        .items;
    let failed = events
        .iter()
        .filter(|e| e.action.as_str() == "auth.login_failed")
        .count() as u64;
    assert_eq!(failed, MAX_FAILED_LOGINS);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action.as_str() == "auth.login_locked")
            .count(),
        1
    );
    assert_eq!(
        records
            .login("nobody@lock.example.com", PASSWORD, &correlation, now)
            .await
            .unwrap_err()
            .code(),
        "invalid_credentials"
    );
    env.teardown().await
}

#[tokio::test]
async fn api_keys_authenticate_rotate_with_grace_and_revoke() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let records = &env.store.records;
    let new_key = NewApiKey {
        name: DisplayName::parse("pipeline")?,
        owner: a.owner.clone(),
        role: Role::Member,
        scopes: BTreeSet::from([Permission::UploadCreate, Permission::DatasetRead]),
        expires_at: None,
    };
    let (key, secret) = records
        .create_api_key(&a.scope, new_key.clone(), &a.ctx())
        .await?;
    let now = OffsetDateTime::now_utc();
    let auth = records.authenticate_api_key(secret.expose(), now).await?;
    assert_eq!(
        (auth.tenant.clone(), auth.key.clone(), auth.role),
        (a.tenant.id.clone(), key.record.id.clone(), Role::Member)
    );
    assert_eq!(auth.scopes, new_key.scopes);
    let used = records.get_api_key(&a.scope, &key.record.id).await?;
    assert_eq!(
        used.record.last_used_at.map(|t| t.unix_timestamp()),
        Some(now.unix_timestamp())
    );

    let wrong = format!("{}0", &secret.expose()[..secret.expose().len() - 1]);
    assert_eq!(
        records
            .authenticate_api_key(&wrong, now)
            .await
            .unwrap_err()
            .code(),
        "invalid_credentials"
    );

    let (rotated, new_secret) = records
        .rotate_api_key(
            &a.scope,
            &key.record.id,
            time::Duration::minutes(10),
            key.revision,
            &a.ctx(),
        )
        .await?;
    records
        .authenticate_api_key(new_secret.expose(), now)
        .await?;
    records.authenticate_api_key(secret.expose(), now).await?; // within the grace period
    let after_grace = now + time::Duration::minutes(11);
    assert_eq!(
        records
            .authenticate_api_key(secret.expose(), after_grace)
            .await
            .unwrap_err()
            .code(),
        "invalid_credentials"
    );
    records
        .authenticate_api_key(new_secret.expose(), after_grace)
        .await?;

    records
        .revoke_api_key(&a.scope, &key.record.id, rotated.revision, &a.ctx())
        .await?;
    assert_eq!(
        records
            .authenticate_api_key(new_secret.expose(), now)
            .await
            .unwrap_err()
            .code(),
        "credential_revoked"
    );

    let wider = NewApiKey {
        scopes: BTreeSet::from([Permission::RecipeApprove]),
        ..new_key
    };
    assert_eq!(
        records
            .create_api_key(&a.scope, wider, &a.ctx())
            .await
            .unwrap_err()
            .code(),
        "invalid_field"
    );
    env.teardown().await
}

#[tokio::test]
async fn an_email_is_unique_across_tenants_and_found_only_in_its_own() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let b = env.tenant(Plan::Team).await?;
    let records = &env.store.records;
    let ada = records
        .create_user(
            &a.scope,
            a.user("ada@shared.example.com", Role::Member),
            None,
            &a.ctx(),
        )
        .await?;
    let taken = records
        .create_user(
            &b.scope,
            b.user("ada@shared.example.com", Role::Member),
            None,
            &b.ctx(),
        )
        .await
        .unwrap_err();
    assert_eq!(taken.code(), "conflict");
    assert_eq!(
        records
            .find_user_by_email(&a.scope, &ada.record.email)
            .await?,
        ada
    );
    assert_eq!(
        records
            .find_user_by_email(&b.scope, &ada.record.email)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    env.teardown().await
}
