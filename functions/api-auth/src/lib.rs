//! The identity routes a client calls to get in and out: `POST /auth/register` (a new tenant
//! with its OWNER), `POST /auth/login` (argon2id password check under the login throttle, then
//! an access token and a refresh token), `POST /auth/refresh` (rotate-on-use; a reused token
//! revokes its family) and `POST /auth/logout` (ends the session of a refresh token).
//!
//! The first three are public; the tenant of every write comes from the new tenant (register)
//! or from the verified credential (login, refresh), never from the request. A wrong password
//! and an unknown email give the same 401. Tokens and passwords are never logged or stored in
//! clear: the store keeps argon2id hashes and refresh-token digests only.

mod key_ring;
mod problem;
mod settings;

pub use ida_runtime::store_settings::RecordsSettings;
pub use key_ring::{access_tokens, load_key_ring};
pub use problem::AuthError;
pub use settings::SessionSettings;

use ida_core::Principal;
use ida_core::Role;
use ida_core::id::{CorrelationId, TenantId, UserId};
use ida_core::identity::access_token::IssuedAccessToken;
use ida_core::identity::{AccessTokens, Password};
use ida_core::tenancy::{DisplayName, Plan, Tenant};
use ida_core::user::{Email, User, UserStatus};
use ida_runtime::RuntimeError;
use ida_runtime::auth::principal_of;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{Invocation, json_body, json_response, respond};
use ida_runtime::settings::Settings;
use ida_store::{DynamoStore, SessionRepository, WriteContext};
use lambda_http::http::header::{CACHE_CONTROL, PRAGMA};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;
use time::OffsetDateTime;

/// The state of the routes that write accounts without signing tokens (register, logout).
#[derive(Debug, Clone)]
pub struct Accounts {
    records: DynamoStore,
}

impl Accounts {
    /// The routes' state over the records table.
    pub fn new(records: DynamoStore) -> Self {
        Self { records }
    }

    /// The state on the table named by `settings`.
    pub fn on_aws(dynamodb: &aws_sdk_dynamodb::Client, settings: &RecordsSettings) -> Self {
        Self::new(records_store(dynamodb, settings))
    }
}

/// The state of the routes that sign tokens (login, refresh): the records and the signer,
/// whose key ring is loaded once per cold start.
#[derive(Debug)]
pub struct Sessions {
    records: DynamoStore,
    tokens: AccessTokens,
}

impl Sessions {
    /// The routes' state over the records table, signing with `tokens`.
    pub fn new(records: DynamoStore, tokens: AccessTokens) -> Self {
        Self { records, tokens }
    }
}

/// The records store on the table named by `settings`.
pub fn records_store(
    dynamodb: &aws_sdk_dynamodb::Client,
    settings: &RecordsSettings,
) -> DynamoStore {
    DynamoStore::new(
        dynamodb.clone(),
        settings.records_table.name(),
        settings.cursor_key.clone(),
    )
}

/// `POST /auth/register`: public, served by `auth-register`.
pub static REGISTER: FunctionSpec = FunctionSpec {
    binary: "auth-register",
    trigger: Trigger::Route {
        method: "POST",
        path: "/auth/register",
        access: Access::Public,
    },
    settings: |lookup| RecordsSettings::from_lookup(lookup).map(drop),
};

/// `POST /auth/login`: public, served by `auth-login`.
pub static LOGIN: FunctionSpec = FunctionSpec {
    binary: "auth-login",
    trigger: Trigger::Route {
        method: "POST",
        path: "/auth/login",
        access: Access::Public,
    },
    settings: |lookup| SessionSettings::from_lookup(lookup).map(drop),
};

/// `POST /auth/refresh`: public, served by `auth-refresh`.
pub static REFRESH: FunctionSpec = FunctionSpec {
    binary: "auth-refresh",
    trigger: Trigger::Route {
        method: "POST",
        path: "/auth/refresh",
        access: Access::Public,
    },
    settings: |lookup| SessionSettings::from_lookup(lookup).map(drop),
};

/// `POST /auth/logout`: authorized, served by `auth-logout`.
pub static LOGOUT: FunctionSpec = FunctionSpec {
    binary: "auth-logout",
    trigger: Trigger::Route {
        method: "POST",
        path: "/auth/logout",
        access: Access::Authorized,
    },
    settings: |lookup| RecordsSettings::from_lookup(lookup).map(drop),
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 4] = [&REGISTER, &LOGIN, &REFRESH, &LOGOUT];

/// The routes of this crate bound to their state, for the local host.
pub fn routes(accounts: Arc<Accounts>, sessions: Arc<Sessions>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(
            &REGISTER,
            Arc::clone(&accounts),
            |state, request| async move { register(&state, request).await },
        ),
        HostedRoute::new(&LOGIN, Arc::clone(&sessions), |state, request| async move {
            login(&state, request).await
        }),
        HostedRoute::new(&REFRESH, sessions, |state, request| async move {
            refresh(&state, request).await
        }),
        HostedRoute::new(&LOGOUT, accounts, |state, request| async move {
            logout(&state, request).await
        }),
    ]
}

/// The body of `POST /auth/register`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The new tenant's display name.
    pub tenant_name: String,
    /// The owner's email, unique across the platform.
    pub email: String,
    /// The owner's password (12 to 128 characters).
    pub password: String,
}

/// What `POST /auth/register` answers.
#[derive(Debug, Serialize)]
pub struct Registered {
    /// The new tenant.
    pub tenant_id: TenantId,
    /// Its OWNER.
    pub user_id: UserId,
}

/// The body of `POST /auth/login`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email.
    pub email: String,
    /// Its password.
    pub password: String,
}

/// The body of `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the session.
    pub refresh_token: String,
}

/// What login and refresh answer (RFC 6749 §5.1 names).
#[derive(Debug, Serialize)]
pub struct TokenPair {
    /// The bearer access token (a JWT).
    pub access_token: String,
    /// The refresh token; it works once.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Always `Bearer`.
    pub token_type: &'static str,
}

/// The store's correlation id for this request (the runtime's, or a fresh one when the edge's
/// id does not fit the audit log's alphabet).
fn correlation(invocation: &Invocation) -> CorrelationId {
    CorrelationId::parse(invocation.correlation_id.as_str())
        .unwrap_or_else(|_| CorrelationId::generate())
}

/// A response that caches must not keep: it carries credentials (RFC 6749 §5.1).
fn credentials_response<T: Serialize>(
    status: StatusCode,
    body: &T,
) -> Result<Response<Body>, RuntimeError> {
    let mut response = json_response(status, body)?;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

fn token_pair(access: IssuedAccessToken, refresh_token: String, now: OffsetDateTime) -> TokenPair {
    TokenPair {
        access_token: access.token,
        refresh_token,
        expires_in: (access.expires_at - now).whole_seconds(),
        token_type: "Bearer",
    }
}

/// The owner's display name until they set one: the email's local part.
fn initial_display_name(email: &Email) -> Result<DisplayName, ida_core::CoreError> {
    let local = email.as_str().split('@').next().unwrap_or_default();
    DisplayName::parse_field(local, "email")
}

/// Handles `POST /auth/register`: 201 with the new tenant and its owner; 409
/// `email_unavailable` when the email is registered already (nothing is written then).
pub async fn register(state: &Accounts, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let body: RegisterRequest = json_body(&request)?;
        let tenant_name = DisplayName::parse_field(&body.tenant_name, "tenant_name")?;
        let email = Email::parse(&body.email)?;
        Password::new_for_registration(&body.password)?;
        let now = OffsetDateTime::now_utc();
        let tenant = Tenant::new(tenant_name, Plan::Free, now);
        let owner = User {
            id: UserId::generate(),
            tenant: tenant.id.clone(),
            display_name: initial_display_name(&email)?,
            email,
            role: Role::Owner,
            status: UserStatus::Active,
            created_at: now,
        };
        let founder = Principal::founding_owner(&tenant, &owner)?;
        let ctx = WriteContext::for_principal(&founder, correlation(&invocation), now);
        let registered = Registered {
            tenant_id: tenant.id.clone(),
            user_id: owner.id.clone(),
        };
        state
            .records
            .register_tenant(&founder.scope(), tenant, owner, &body.password, &ctx)
            .await?;
        Ok::<_, AuthError>(credentials_response(StatusCode::CREATED, &registered)?)
    })
    .await
}

/// Handles `POST /auth/login`: 200 with a token pair; every refusal of the credentials is the
/// same 401, and a locked account is 429 `login_locked`.
pub async fn login(state: &Sessions, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let body: LoginRequest = json_body(&request)?;
        let now = OffsetDateTime::now_utc();
        let correlation_id = correlation(&invocation);
        let outcome = state
            .records
            .login(&body.email, &body.password, &correlation_id, now)
            .await?;
        let access = state
            .tokens
            .issue(&outcome.tenant, &outcome.user, outcome.role, now)?;
        // The principal comes from verifying the token just signed, the same check every
        // later request passes, so the session is started in the verified tenant only.
        let principal = state.tokens.verify(&access.token, now)?.principal;
        let ctx = WriteContext::for_principal(&principal, correlation_id, now);
        let session = state
            .records
            .start_session(&principal.scope(), principal.user(), &ctx)
            .await?;
        credentials_response(StatusCode::OK, &token_pair(access, session.token, now))
    })
    .await
}

/// Handles `POST /auth/refresh`: 200 with a new pair; the presented token stops working. A
/// token presented again after it was rotated revokes its whole family (401).
pub async fn refresh(state: &Sessions, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let body: RefreshRequest = json_body(&request)?;
        let now = OffsetDateTime::now_utc();
        let outcome = state
            .records
            .refresh_session(&body.refresh_token, &correlation(&invocation), now)
            .await
            .map_err(RuntimeError::from)?;
        let access = state
            .tokens
            .issue(&outcome.tenant, &outcome.user, outcome.role, now)?;
        credentials_response(
            StatusCode::OK,
            &token_pair(access, outcome.issued.token, now),
        )
    })
    .await
}

/// Handles `POST /auth/logout`: revokes the session family of the caller's refresh token
/// (204). The caller's access token runs out on its own within its short lifetime.
pub async fn logout(state: &Accounts, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = principal_of(&request)?;
        let body: RefreshRequest = json_body(&request)?;
        let ctx = WriteContext::for_principal(
            &principal,
            correlation(&invocation),
            OffsetDateTime::now_utc(),
        );
        state
            .records
            .end_session_of_token(
                &principal.scope(),
                principal.user(),
                &body.refresh_token,
                &ctx,
            )
            .await
            .map_err(RuntimeError::from)?;
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok::<_, RuntimeError>(response)
    })
    .await
}
