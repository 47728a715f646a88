//! Identity storage: refresh-token rotation and reuse, failed-login limiting, API keys and
//! globally unique emails.

use std::collections::BTreeSet;

use ida_core::id::CorrelationId;
use ida_core::identity::LoginThrottlePolicy;
use ida_core::tenancy::{DisplayName, Plan};
use ida_core::{Permission, Role};
use ida_store::identity::NewApiKey;
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
    assert!(
        first.token.starts_with("idr_"),
        "ida-core's refresh-token format"
    );
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
    let policy = LoginThrottlePolicy::default();
    let max_failures = u64::from(policy.max_failures);

    let ok = records
        .login("Owner@Lock.example.com", PASSWORD, &correlation, now)
        .await?;
    assert_eq!(
        (ok.tenant, ok.user, ok.role),
        (a.tenant.id.clone(), owner.record.id.clone(), Role::Owner)
    );
    for attempt in 1..max_failures {
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
    let later = now + policy.lockout + time::Duration::seconds(1);
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
    assert_eq!(failed, max_failures);
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
async fn racing_failed_logins_on_many_instances_are_each_counted_once() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let (a, _owner) = env
        .tenant_with_owner("owner@race.example.com", PASSWORD)
        .await?;
    let now = OffsetDateTime::now_utc();
    let policy = LoginThrottlePolicy::default();
    // Four wrong passwords arrive at once on four instances: one below the lock.
    let mut racers = Vec::new();
    for _ in 1..policy.max_failures {
        let records = env.store.records.clone();
        racers.push(tokio::spawn(async move {
            records
                .login(
                    "owner@race.example.com",
                    "wrong password!",
                    &CorrelationId::generate(),
                    now,
                )
                .await
        }));
    }
    for racer in racers {
        assert_eq!(racer.await?.unwrap_err().code(), "invalid_credentials");
    }
    // Each was counted: the next failure is the one that locks.
    let locked = env
        .store
        .records
        .login(
            "owner@race.example.com",
            "wrong password!",
            &CorrelationId::generate(),
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(locked.code(), "login_locked");
    let events = env
        .store
        .records
        .list_audit_events(&a.scope, &PageRequest::first(100))
        .await?
        .items;
    let count = |action: &str| {
        events
            .iter()
            .filter(|e| e.action.as_str() == action)
            .count()
    };
    assert_eq!(count("auth.login_failed"), policy.max_failures as usize);
    assert_eq!(count("auth.login_locked"), 1);
    env.teardown().await
}

#[tokio::test]
async fn api_keys_authenticate_rotate_with_grace_and_revoke() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let records = &env.store.records;
    let new_key = NewApiKey {
        name: DisplayName::parse("pipeline")?,
        role: Role::Member,
        scopes: BTreeSet::from([Permission::UploadCreate, Permission::DatasetRead]),
        expires_at: None,
    };
    let (key, secret) = records
        .create_api_key(&a.scope, &a.principal, new_key.clone(), &a.ctx())
        .await?;
    assert_eq!(key.record.created_by, a.owner);
    assert!(!key.record.secret_sha256.is_empty());
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

    // Change the secret's last digit (to another digit: a fixed '0' was the same key 1 time in 16).
    let full = secret.expose();
    let last = if full.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &full[..full.len() - 1]);
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

    let used_later = records.get_api_key(&a.scope, &key.record.id).await?;
    assert_eq!(
        used_later.record.last_used_at.map(|t| t.unix_timestamp()),
        Some(after_grace.unix_timestamp())
    );
    assert_eq!(
        used_later.revision, rotated.revision,
        "recording a use does not change the key's revision"
    );
    let revoked = records
        .revoke_api_key(&a.scope, &key.record.id, rotated.revision, &a.ctx())
        .await?;
    assert_eq!(
        revoked.record.last_used_at.map(|t| t.unix_timestamp()),
        Some(after_grace.unix_timestamp())
    );
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
        ..new_key.clone()
    };
    assert_eq!(
        records
            .create_api_key(&a.scope, &a.principal, wider, &a.ctx())
            .await
            .unwrap_err()
            .code(),
        "invalid_field"
    );
    // A principal of another tenant cannot create a key in this one.
    let b = env.tenant(Plan::Team).await?;
    assert_eq!(
        records
            .create_api_key(&a.scope, &b.principal, new_key.clone(), &a.ctx())
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    // The digests of the secrets live in the record, never in the audit log.
    let events = records
        .list_audit_events(&a.scope, &PageRequest::first(100))
        .await?
        .items;
    let rotated_event = events
        .iter()
        .find(|e| e.action.as_str() == "apikey.rotated")
        .expect("the rotation is audited");
    let logged = serde_json::to_string(&events)?;
    assert!(!logged.contains("sha256"), "{logged}");
    assert!(!logged.contains(&key.record.secret_sha256));
    assert!(rotated_event.diff.after.is_some());
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
