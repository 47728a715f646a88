//! A new tenant's owner registers, logs in, refreshes the session and hands a scoped API key to
//! a pipeline; every step is audited.

use ida_core::access::{AuthorizerContext, Permission, Role, authorize};
use ida_core::audit::{
    Actor, AuditAction, AuditDiff, AuditEntry, AuditEvent, EntityKind, EntityRef, verify_chain,
    verify_head,
};
use ida_core::id::{CorrelationId, UserId};
use ida_core::identity::refresh_token::RefreshDecision;
use ida_core::identity::{
    AccessTokenConfig, AccessTokens, ApiKeyRecord, KeyRing, LoginAttempts, LoginThrottlePolicy,
    Password, PasswordHashing, PresentedApiKey, RefreshTokenRecord,
};
use ida_core::tenancy::{DisplayName, Plan, Tenant};
use ida_core::user::{Email, User, UserStatus};
use ida_core::{CoreError, Principal};
use time::{Duration, OffsetDateTime};

fn at(minutes: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(20_400) + Duration::minutes(minutes)
}

#[test]
fn an_owner_registers_logs_in_and_delegates_uploads_to_a_pipeline_key() {
    let hashing = PasswordHashing::FAST_INSECURE_FOR_TESTS;
    let throttle = LoginThrottlePolicy::default();

    // Registration.
    let tenant = Tenant::new(
        DisplayName::parse("Acme Analytics").unwrap(),
        Plan::Team,
        at(0),
    );
    let owner = User {
        id: UserId::generate(),
        tenant: tenant.id.clone(),
        email: Email::parse("Grace@Acme.example").unwrap(),
        display_name: DisplayName::parse("Grace").unwrap(),
        role: Role::Owner,
        status: UserStatus::Active,
        created_at: at(0),
    };
    let stored_hash = hashing
        .hash(&Password::new_for_registration("a long passphrase 42").unwrap())
        .unwrap();
    assert_eq!(owner.email.as_str(), "grace@acme.example");

    // One failed login, then a good one.
    let mut attempts = LoginAttempts::default();
    let typo = Password::presented("a long passphrase 43").unwrap();
    assert_eq!(
        hashing.verify(&typo, &stored_hash).unwrap_err(),
        CoreError::InvalidCredentials
    );
    attempts = throttle.record_failure(&attempts, at(1));
    throttle.check(&attempts, at(2)).unwrap();
    hashing
        .verify(
            &Password::presented("a long passphrase 42").unwrap(),
            &stored_hash,
        )
        .unwrap();
    assert!(owner.may_log_in());

    // Tokens.
    let ring = KeyRing::generate(at(0)).unwrap();
    let tokens =
        AccessTokens::new(AccessTokenConfig::new("https://ida.test", "ida-api"), &ring).unwrap();
    let access = tokens
        .issue(&tenant.id, &owner.id, owner.role, at(2))
        .unwrap();
    let session =
        RefreshTokenRecord::issue(&tenant.id, &owner.id, None, at(2), Duration::days(14)).unwrap();

    // The authorizer verifies and hands the principal to the route through the context.
    let verified = tokens.verify(&access.token, at(3)).unwrap();
    let context = serde_json::to_value(verified.principal.to_authorizer_context()).unwrap();
    let context: AuthorizerContext = serde_json::from_value(context).unwrap();
    let principal = Principal::from_authorizer_context(context).unwrap();
    let scope = principal.scope();
    assert_eq!(scope.tenant(), &tenant.id);
    authorize(&principal, Permission::ApiKeyManage).unwrap();

    // Refresh once; replaying the old refresh token revokes the family.
    let RefreshDecision::Rotate {
        used,
        next,
        verified,
    } = session
        .record
        .redeem(&session.token, false, at(20), Duration::days(14))
        .unwrap()
    else {
        panic!("a fresh refresh token rotates");
    };
    assert!(matches!(
        used.redeem(&session.token, false, at(21), Duration::days(14)),
        Ok(RefreshDecision::RevokeFamily { .. })
    ));
    assert_eq!(next.record.family, session.record.family);
    let refreshed = Principal::from_verified_credential(verified, Role::Owner);
    assert_eq!(refreshed.scope(), scope);

    // A pipeline key that may only upload and read jobs.
    let key = ApiKeyRecord::issue(
        &principal,
        DisplayName::parse("nightly export").unwrap(),
        Role::Member,
        [Permission::UploadCreate, Permission::JobRead].into(),
        Some(at(60 * 24 * 90)),
        at(30),
    )
    .unwrap();
    let pipeline = key
        .record
        .authenticate(&PresentedApiKey::parse(&key.key).unwrap(), at(31))
        .unwrap();
    assert_eq!(pipeline.scope(), scope);
    authorize(&pipeline, Permission::UploadCreate).unwrap();
    assert!(authorize(&pipeline, Permission::DatasetDelete).is_err());
    assert!(authorize(&pipeline, Permission::DatasetWrite).is_err());

    // Every step is audited in one chain.
    let steps = [
        (
            AuditAction::TenantCreated,
            EntityRef::new(EntityKind::Tenant, &tenant.id),
        ),
        (
            AuditAction::UserRegistered,
            EntityRef::new(EntityKind::User, &owner.id),
        ),
        (
            AuditAction::LoginFailed,
            EntityRef::new(EntityKind::User, &owner.id),
        ),
        (
            AuditAction::LoginSucceeded,
            EntityRef::new(EntityKind::User, &owner.id),
        ),
        (
            AuditAction::SessionRefreshed,
            EntityRef::new(EntityKind::Session, &session.record.family),
        ),
        (
            AuditAction::ApiKeyCreated,
            EntityRef::new(EntityKind::ApiKey, &key.record.id),
        ),
    ];
    let mut chain: Vec<AuditEvent> = Vec::new();
    for (i, (action, entity)) in steps.into_iter().enumerate() {
        let entry = AuditEntry {
            actor: Actor::from(&principal),
            action,
            entity,
            diff: AuditDiff::none(),
            correlation_id: CorrelationId::parse(&format!("req-{i}")).unwrap(),
            source_ip: Some("198.51.100.4".parse().unwrap()),
            user_agent: Some("integration-test".into()),
            at: at(i as i64),
        };
        let head = chain.last().map(AuditEvent::head);
        chain.push(AuditEvent::append(&scope, head.as_ref(), entry).unwrap());
    }
    let head = verify_chain(&chain).unwrap().unwrap();
    assert_eq!(head.seq.get(), 6);
    verify_head(Some(&head), &chain[5].head()).unwrap();
}
