//! The API-key routes: `POST /api-keys` (the full key `ida_<keyid>_<secret>` is in the 201 body
//! once and never again), `GET /api-keys`, `POST /api-keys/{key_id}/rotate` (a new secret shown
//! once; the old one stops working at once) and `DELETE /api-keys/{key_id}` (revoke).
//!
//! Every route needs `apikey:manage` and acts in the caller's own tenant only; a key of another
//! tenant is not found. A key never gets a role above its creator's, nor scopes its role does
//! not grant (ida-core decides). Responses are built from [`ApiKeyView`], which has no field
//! for the secret's digest, so no response can carry it.

pub use ida_runtime::store_settings::RecordsSettings;

use ida_core::access::{Permission, authorize};
use ida_core::id::{ApiKeyId, CorrelationId};
use ida_core::identity::ApiKeyRecord;
use ida_core::tenancy::DisplayName;
use ida_core::{Principal, Role};
use ida_runtime::RuntimeError;
use ida_runtime::auth::principal_of;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{
    Invocation, PageRequest, json_body, json_response, page_response, respond,
};
use ida_runtime::settings::Settings;
use ida_store::identity::NewApiKey;
use ida_store::{ApiKeyRepository, DynamoStore, WriteContext};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;
use time::OffsetDateTime;

/// The routes' state: the records table.
#[derive(Debug, Clone)]
pub struct ApiKeys {
    records: DynamoStore,
}

impl ApiKeys {
    /// The state over `records`.
    pub fn new(records: DynamoStore) -> Self {
        Self { records }
    }

    /// The state on the table named by `settings`.
    pub fn on_aws(dynamodb: &aws_sdk_dynamodb::Client, settings: &RecordsSettings) -> Self {
        Self::new(DynamoStore::new(
            dynamodb.clone(),
            settings.records_table.name(),
            settings.cursor_key.clone(),
        ))
    }
}

const fn route(binary: &'static str, method: &'static str, path: &'static str) -> FunctionSpec {
    FunctionSpec {
        binary,
        trigger: Trigger::Route {
            method,
            path,
            access: Access::Authorized,
        },
        settings: |lookup| RecordsSettings::from_lookup(lookup).map(drop),
    }
}

/// `POST /api-keys`: served by `api-keys-create`.
pub static CREATE_KEY: FunctionSpec = route("api-keys-create", "POST", "/api-keys");
/// `GET /api-keys`: served by `api-keys-list`.
pub static LIST_KEYS: FunctionSpec = route("api-keys-list", "GET", "/api-keys");
/// `POST /api-keys/{key_id}/rotate`: served by `api-keys-rotate`.
pub static ROTATE_KEY: FunctionSpec = route("api-keys-rotate", "POST", "/api-keys/{key_id}/rotate");
/// `DELETE /api-keys/{key_id}`: served by `api-keys-revoke`.
pub static REVOKE_KEY: FunctionSpec = route("api-keys-revoke", "DELETE", "/api-keys/{key_id}");

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 4] = [&CREATE_KEY, &LIST_KEYS, &ROTATE_KEY, &REVOKE_KEY];

/// The routes of this crate bound to `state`, for the local host.
pub fn routes(state: Arc<ApiKeys>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(
            &CREATE_KEY,
            Arc::clone(&state),
            |state, request| async move { create_key(&state, request).await },
        ),
        HostedRoute::new(
            &LIST_KEYS,
            Arc::clone(&state),
            |state, request| async move { list_keys(&state, request).await },
        ),
        HostedRoute::new(
            &ROTATE_KEY,
            Arc::clone(&state),
            |state, request| async move { rotate_key(&state, request).await },
        ),
        HostedRoute::new(&REVOKE_KEY, state, |state, request| async move {
            revoke_key(&state, request).await
        }),
    ]
}

/// The body of `POST /api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyCreate {
    /// A name for humans.
    pub name: String,
    /// Its role; never above the caller's.
    pub role: Role,
    /// Its permissions; each must be granted by the role.
    pub scopes: BTreeSet<Permission>,
    /// When it stops working (RFC 3339), if ever.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// A key as every response shows it: no secret, no digest.
#[derive(Debug, Serialize)]
pub struct ApiKeyView {
    /// The key id (`key_...`), also the middle part of the full key.
    pub id: ApiKeyId,
    /// Its name.
    pub name: DisplayName,
    /// Its role.
    pub role: Role,
    /// Its scopes.
    pub scopes: BTreeSet<Permission>,
    /// The user accountable for it.
    pub created_by: ida_core::id::UserId,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops working, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// When it last authenticated a request.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<ApiKeyRecord> for ApiKeyView {
    fn from(record: ApiKeyRecord) -> Self {
        ApiKeyView {
            id: record.id,
            name: record.name,
            role: record.role,
            scopes: record.scopes,
            created_by: record.created_by,
            created_at: record.created_at,
            expires_at: record.expires_at,
            revoked_at: record.revoked_at,
            last_used_at: record.last_used_at,
        }
    }
}

/// A key with its full secret, in the one answer that shows it.
#[derive(Debug, Serialize)]
pub struct IssuedKeyView {
    /// The key's record.
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The full key, `ida_<keyid>_<secret>`: store it now, it is never shown again.
    pub secret: String,
}

fn correlation(invocation: &Invocation) -> CorrelationId {
    CorrelationId::parse(invocation.correlation_id.as_str())
        .unwrap_or_else(|_| CorrelationId::generate())
}

fn write_context(principal: &Principal, invocation: &Invocation) -> WriteContext {
    WriteContext::for_principal(
        principal,
        correlation(invocation),
        OffsetDateTime::now_utc(),
    )
}

/// The `{key_id}` of the path; an id that cannot exist is simply not found.
fn key_id(request: &Request) -> Result<ApiKeyId, RuntimeError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("key_id"))
        .and_then(|text| ApiKeyId::parse(text).ok())
        .ok_or(RuntimeError::NotFound { entity: "api_key" })
}

/// The caller, who must hold `apikey:manage`.
fn key_manager(request: &Request) -> Result<Principal, RuntimeError> {
    let principal = principal_of(request)?;
    authorize(&principal, Permission::ApiKeyManage)?;
    Ok(principal)
}

/// Handles `POST /api-keys`: 201 with the key and its full secret, shown this once. It does
/// not honour `Idempotency-Key`: the secret is never stored, so a replay could not show it.
pub async fn create_key(state: &ApiKeys, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = key_manager(&request)?;
        let body: ApiKeyCreate = json_body(&request)?;
        let key = NewApiKey {
            name: DisplayName::parse(&body.name)?,
            role: body.role,
            scopes: body.scopes,
            expires_at: body.expires_at,
        };
        let ctx = write_context(&principal, &invocation);
        let (stored, secret) = state
            .records
            .create_api_key(&principal.scope(), &principal, key, &ctx)
            .await?;
        let issued = IssuedKeyView {
            key: stored.record.into(),
            secret: secret.expose().to_owned(),
        };
        json_response(StatusCode::CREATED, &issued)
    })
    .await
}

/// Handles `GET /api-keys`: a page of the tenant's keys, oldest first.
pub async fn list_keys(state: &ApiKeys, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = key_manager(&request)?;
        let page = PageRequest::from_request(&request)?;
        let store_page = match page.cursor() {
            None => ida_store::PageRequest::first(page.limit().into()),
            Some(cursor) => ida_store::PageRequest::after(page.limit().into(), cursor),
        };
        let found = state
            .records
            .list_api_keys(&principal.scope(), &store_page)
            .await?;
        let items: Vec<ApiKeyView> = found
            .items
            .into_iter()
            .map(|stored| stored.record.into())
            .collect();
        page_response(&request, &page, &items, found.next_cursor.as_deref())
    })
    .await
}

/// Handles `POST /api-keys/{key_id}/rotate`: 200 with the new full secret, shown once; the old
/// secret stops working at once.
pub async fn rotate_key(state: &ApiKeys, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = key_manager(&request)?;
        let id = key_id(&request)?;
        let scope = principal.scope();
        let current = state.records.get_api_key(&scope, &id).await?;
        let ctx = write_context(&principal, &invocation);
        let (stored, secret) = state
            .records
            .rotate_api_key(&scope, &id, time::Duration::ZERO, current.revision, &ctx)
            .await?;
        let issued = IssuedKeyView {
            key: stored.record.into(),
            secret: secret.expose().to_owned(),
        };
        json_response(StatusCode::OK, &issued)
    })
    .await
}

/// Handles `DELETE /api-keys/{key_id}`: revokes the key at once (204).
pub async fn revoke_key(state: &ApiKeys, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = key_manager(&request)?;
        let id = key_id(&request)?;
        let scope = principal.scope();
        let current = state.records.get_api_key(&scope, &id).await?;
        let ctx = write_context(&principal, &invocation);
        state
            .records
            .revoke_api_key(&scope, &id, current.revision, &ctx)
            .await?;
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok::<_, RuntimeError>(response)
    })
    .await
}
