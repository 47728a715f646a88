//! API keys through the store on the emulators: the authenticator accepts a key the store
//! issued and refuses a wrong secret, and a cursor the store made for another tenant is a
//! problem, not a page.

use super::emulators::require_listening;
use ida_core::access::{AuthorizerContext, Subject};
use ida_core::id::{CorrelationId, UserId};
use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing};
use ida_core::tenancy::{DisplayName, Plan, Tenant};
use ida_core::{Permission, Principal, Role};
use ida_local::{Endpoints, LocalStack};
use ida_runtime::RuntimeError;
use ida_runtime::auth::Authenticator;
use ida_runtime::http::Problem;
use ida_store::identity::NewApiKey;
use ida_store::{
    ApiKeyRepository, CursorKey, PageRequest, Store, StoreSettings, TenantRepository, WriteContext,
};
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use std::collections::BTreeSet;
use time::OffsetDateTime;

fn owner_of(tenant: &Tenant, owner: &UserId) -> Principal {
    Principal::from_authorizer_context(AuthorizerContext {
        tenant: tenant.id.clone(),
        subject: Subject::User {
            user: owner.clone(),
        },
        role: Role::Owner,
        scopes: None,
    })
    .unwrap()
}

fn ctx(principal: &Principal) -> WriteContext {
    WriteContext::for_principal(
        principal,
        CorrelationId::generate(),
        OffsetDateTime::now_utc(),
    )
}

#[tokio::test]
async fn a_key_the_store_issued_authenticates_and_a_wrong_secret_does_not() -> anyhow::Result<()> {
    let endpoints = Endpoints::from_env();
    require_listening(&endpoints.aws);
    require_listening(&endpoints.dynamodb);
    let local = LocalStack::connect(endpoints).await;
    let stack = local.provision().await?;
    let store = Store::new(
        stack.clients.dynamodb.clone(),
        stack.clients.s3.clone(),
        StoreSettings {
            records_table: stack.records_table.clone(),
            uploads_bucket: stack.uploads_bucket.clone(),
            artifacts_bucket: stack.artifacts_bucket.clone(),
            kms_key_id: stack.kms_key_arn.clone(),
            cursor_key: CursorKey::generate()?,
        },
    );
    let tenant = Tenant::new(
        DisplayName::parse("Acme")?,
        Plan::Team,
        OffsetDateTime::now_utc(),
    );
    let owner = UserId::generate();
    let principal = owner_of(&tenant, &owner);
    store
        .records
        .create_tenant(&principal.scope(), tenant.clone(), &ctx(&principal))
        .await?;
    let (key, secret) = store
        .records
        .create_api_key(
            &principal.scope(),
            &principal,
            NewApiKey {
                name: DisplayName::parse("ci")?,
                role: Role::Member,
                scopes: BTreeSet::from([Permission::DatasetRead]),
                expires_at: None,
            },
            &ctx(&principal),
        )
        .await?;

    let ring = KeyRing::generate(OffsetDateTime::now_utc())?;
    let tokens = AccessTokens::new(
        AccessTokenConfig::new("https://api.ida.test", "ida-api"),
        &ring,
    )?;
    let authenticator = Authenticator::new(tokens, store.records.clone());
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", HeaderValue::from_str(secret.expose())?);
    let verified = authenticator
        .authenticate(&headers, OffsetDateTime::now_utc())
        .await?;
    assert_eq!(verified.tenant(), &tenant.id);
    assert!(
        matches!(verified.subject(), Subject::ApiKey { key: id, owner: o } if *id == key.record.id && *o == owner)
    );
    assert!(verified.holds(Permission::DatasetRead));
    assert!(!verified.holds(Permission::DatasetWrite));

    let exposed = secret.expose();
    let (kept, last) = exposed.split_at(exposed.len() - 1);
    let wrong = format!("{kept}{}", if last == "0" { "1" } else { "0" });
    headers.insert("x-api-key", HeaderValue::from_str(&wrong)?);
    let refused = authenticator
        .authenticate(&headers, OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    // A cursor made for one tenant, presented by another, is refused through the problem mapping.
    let other = Tenant::new(
        DisplayName::parse("Other")?,
        Plan::Team,
        OffsetDateTime::now_utc(),
    );
    let other_owner = owner_of(&other, &UserId::generate());
    store
        .records
        .create_tenant(&other_owner.scope(), other, &ctx(&other_owner))
        .await?;
    for _ in 0..2 {
        store
            .records
            .create_api_key(
                &principal.scope(),
                &principal,
                NewApiKey {
                    name: DisplayName::parse("more")?,
                    role: Role::Viewer,
                    scopes: BTreeSet::from([Permission::DatasetRead]),
                    expires_at: None,
                },
                &ctx(&principal),
            )
            .await?;
    }
    let first = store
        .records
        .list_api_keys(&principal.scope(), &PageRequest::first(1))
        .await?;
    let cursor = first
        .next_cursor
        .clone()
        .expect("three keys make more than one page of one");
    let foreign = store
        .records
        .list_api_keys(&other_owner.scope(), &PageRequest::after(1, cursor))
        .await
        .map_err(RuntimeError::from)
        .unwrap_err();
    assert!(foreign.status().is_client_error(), "{foreign}");

    stack.teardown().await?;
    Ok(())
}
