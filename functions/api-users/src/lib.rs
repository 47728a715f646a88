//! The user routes of a tenant: `GET /users`, `POST /users` (invite), `GET /users/{user_id}`,
//! `PATCH /users/{user_id}` (change the role, under `If-Match`) and `DELETE /users/{user_id}`
//! (remove now, or ask for a second person's approval when the tenant's policy has four-eyes)
//! and `POST /users/{user_id}/password` (a user replaces their own password).
//!
//! Every route acts in the caller's own tenant only (another tenant's user is not found);
//! writes need `user:manage` (a password change only the user themself), and nobody grants or takes away a role above their own. The
//! tenant always keeps an active OWNER. An invitation's one-time password is in the 201 body
//! once and never again; only its argon2id hash is stored.

mod removal;

pub use ida_runtime::store_settings::RecordsSettings;
pub use removal::remove_user_now;

use ida_core::access::{Permission, Subject, authorize};
use ida_core::approval::{ApprovalRequest, DestructiveAction};
use ida_core::audit::AuditAction;
use ida_core::id::{ApprovalId, CorrelationId, UserId};
use ida_core::tenancy::DisplayName;
use ida_core::user::{Email, User, UserStatus, ensure_an_owner_remains};
use ida_core::{Principal, Role, TenantScope};
use ida_runtime::RuntimeError;
use ida_runtime::auth::principal_of;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{
    ETag, Invocation, PageRequest, check_if_match, json_body, json_response, page_response,
    respond, with_etag,
};
use ida_runtime::settings::Settings;
use ida_store::{
    ApprovalRepository, DynamoStore, Stored, TenantRepository, UserRepository, WriteContext,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;
use time::OffsetDateTime;

/// Bytes of randomness in an invitation's one-time password (64 hex characters).
const ONE_TIME_PASSWORD_BYTES: usize = 32;

/// Users read per page while counting the tenant's active owners.
const OWNER_PAGE: u32 = 100;

/// The routes' state: the records table.
#[derive(Debug, Clone)]
pub struct Users {
    records: DynamoStore,
}

impl Users {
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

/// `GET /users`: served by `users-list`.
pub static LIST_USERS: FunctionSpec = route("users-list", "GET", "/users");
/// `POST /users`: served by `users-invite`.
pub static INVITE_USER: FunctionSpec = route("users-invite", "POST", "/users");
/// `GET /users/{user_id}`: served by `users-get`.
pub static GET_USER: FunctionSpec = route("users-get", "GET", "/users/{user_id}");
/// `PATCH /users/{user_id}`: served by `users-update`.
pub static UPDATE_USER: FunctionSpec = route("users-update", "PATCH", "/users/{user_id}");
/// `DELETE /users/{user_id}`: served by `users-remove`.
pub static REMOVE_USER: FunctionSpec = route("users-remove", "DELETE", "/users/{user_id}");
/// `POST /users/{user_id}/password`: served by `users-password-change`.
pub static CHANGE_PASSWORD: FunctionSpec =
    route("users-password-change", "POST", "/users/{user_id}/password");

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 6] = [
    &LIST_USERS,
    &INVITE_USER,
    &GET_USER,
    &UPDATE_USER,
    &REMOVE_USER,
    &CHANGE_PASSWORD,
];

/// The routes of this crate bound to `state`, for the local host.
pub fn routes(state: Arc<Users>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(
            &LIST_USERS,
            Arc::clone(&state),
            |state, request| async move { list_users(&state, request).await },
        ),
        HostedRoute::new(
            &INVITE_USER,
            Arc::clone(&state),
            |state, request| async move { invite_user(&state, request).await },
        ),
        HostedRoute::new(&GET_USER, Arc::clone(&state), |state, request| async move {
            get_user(&state, request).await
        }),
        HostedRoute::new(
            &UPDATE_USER,
            Arc::clone(&state),
            |state, request| async move { update_user(&state, request).await },
        ),
        HostedRoute::new(
            &REMOVE_USER,
            Arc::clone(&state),
            |state, request| async move { remove_user(&state, request).await },
        ),
        HostedRoute::new(&CHANGE_PASSWORD, state, |state, request| async move {
            change_password(&state, request).await
        }),
    ]
}

/// The body of `POST /users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInvite {
    /// The invitee's email, unique across the platform.
    pub email: String,
    /// Their role; an ADMIN cannot grant OWNER.
    pub role: Role,
    /// The name shown for them; the email's local part when absent.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// What `POST /users` answers: the user and the one-time password, shown once.
#[derive(Debug, Serialize)]
pub struct UserInvited {
    /// The invited user (status `INVITED` until their first login).
    pub user: User,
    /// The password of their first login, which activates the account.
    pub one_time_password: String,
}

/// The body of `PATCH /users/{user_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// The new role.
    pub role: Role,
}

/// The body of `POST /users/{user_id}/password`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use now (for an invited user, the one-time password).
    pub current_password: String,
    /// The new password (12 to 128 characters).
    pub new_password: String,
}

/// What `DELETE /users/{user_id}` answers when the removal waits for approval.
#[derive(Debug, Serialize)]
pub struct RemovalRequested {
    /// The approval request a second person decides.
    pub approval_id: ApprovalId,
}

fn write_context(principal: &Principal, invocation: &Invocation) -> WriteContext {
    let correlation = CorrelationId::parse(invocation.correlation_id.as_str())
        .unwrap_or_else(|_| CorrelationId::generate());
    WriteContext::for_principal(principal, correlation, OffsetDateTime::now_utc())
}

/// The `{user_id}` of the path; an id that cannot exist is simply not found.
fn user_id(request: &Request) -> Result<UserId, RuntimeError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("user_id"))
        .and_then(|text| UserId::parse(text).ok())
        .ok_or(RuntimeError::NotFound { entity: "user" })
}

/// The caller, who must hold `user:manage`.
fn user_manager(request: &Request) -> Result<Principal, RuntimeError> {
    let principal = principal_of(request)?;
    authorize(&principal, Permission::UserManage)?;
    Ok(principal)
}

/// Refuses a caller who may not give (or take away) `role`: nobody acts above their own rank.
fn ensure_may_grant(principal: &Principal, role: Role) -> Result<(), RuntimeError> {
    if principal.role().may_grant(role) {
        Ok(())
    } else {
        Err(ida_core::error::AccessDenied {
            reason: format!(
                "role {} cannot manage a user with role {role}",
                principal.role()
            ),
        }
        .into())
    }
}

fn one_time_password() -> Result<String, RuntimeError> {
    let mut bytes = [0_u8; ONE_TIME_PASSWORD_BYTES];
    getrandom::fill(&mut bytes).map_err(|error| RuntimeError::Dependency {
        dependency: "random_source",
        reason: error.to_string(),
    })?;
    Ok(hex::encode(bytes))
}

/// How many active OWNERs the tenant has now.
async fn active_owners(records: &DynamoStore, scope: &TenantScope) -> Result<u32, RuntimeError> {
    let mut count = 0_u32;
    let mut page = ida_store::PageRequest::first(OWNER_PAGE);
    loop {
        let found = records.list_users(scope, &page).await?;
        count += found
            .items
            .iter()
            .filter(|user| {
                user.record.role == Role::Owner && user.record.status == UserStatus::Active
            })
            .fold(0, |sum, _| sum + 1);
        match found.next_cursor {
            Some(cursor) => page = ida_store::PageRequest::after(OWNER_PAGE, cursor),
            None => return Ok(count),
        }
    }
}

fn user_response(
    status: StatusCode,
    request: &Request,
    stored: &Stored<User>,
) -> Result<Response<Body>, RuntimeError> {
    let response = json_response(status, &stored.record)?;
    Ok(with_etag(
        request.headers(),
        response,
        &ETag::from_revision(stored.revision.get()),
    ))
}

/// Handles `GET /users`: a page of the tenant's users, oldest first (any role may read).
pub async fn list_users(state: &Users, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = principal_of(&request)?;
        let page = PageRequest::from_request(&request)?;
        let store_page = match page.cursor() {
            None => ida_store::PageRequest::first(page.limit().into()),
            Some(cursor) => ida_store::PageRequest::after(page.limit().into(), cursor),
        };
        let found = state
            .records
            .list_users(&principal.scope(), &store_page)
            .await?;
        let items: Vec<User> = found
            .items
            .into_iter()
            .map(|stored| stored.record)
            .collect();
        page_response(&request, &page, &items, found.next_cursor.as_deref())
    })
    .await
}

/// Handles `POST /users`: 201 with the invited user and their one-time password (shown once).
/// It does not honour `Idempotency-Key`: the password is never stored, so a replay could not
/// show it.
pub async fn invite_user(state: &Users, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = user_manager(&request)?;
        let body: UserInvite = json_body(&request)?;
        ensure_may_grant(&principal, body.role)?;
        let email = Email::parse(&body.email)?;
        let display_name = match &body.display_name {
            Some(name) => DisplayName::parse_field(name, "display_name")?,
            None => DisplayName::parse_field(
                email.as_str().split('@').next().unwrap_or_default(),
                "email",
            )?,
        };
        let ctx = write_context(&principal, &invocation);
        let user = User {
            id: UserId::generate(),
            tenant: principal.tenant().clone(),
            email,
            display_name,
            role: body.role,
            status: UserStatus::Invited,
            created_at: ctx.at,
        };
        let password = one_time_password()?;
        let stored = state
            .records
            .create_user(&principal.scope(), user, Some(&password), &ctx)
            .await?;
        let invited = UserInvited {
            user: stored.record,
            one_time_password: password,
        };
        let mut response = json_response(StatusCode::CREATED, &invited)?;
        response.headers_mut().insert(
            lambda_http::http::header::CACHE_CONTROL,
            lambda_http::http::HeaderValue::from_static("no-store"),
        );
        Ok::<_, RuntimeError>(response)
    })
    .await
}

/// Handles `GET /users/{user_id}`: the user with its ETag.
pub async fn get_user(state: &Users, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = principal_of(&request)?;
        let id = user_id(&request)?;
        let stored = state.records.get_user(&principal.scope(), &id).await?;
        user_response(StatusCode::OK, &request, &stored)
    })
    .await
}

/// Handles `PATCH /users/{user_id}`: changes the role under `If-Match`; the last active OWNER
/// cannot be demoted (422 naming `role`).
pub async fn update_user(state: &Users, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = user_manager(&request)?;
        let id = user_id(&request)?;
        let body: UserUpdate = json_body(&request)?;
        let scope = principal.scope();
        let stored = state.records.get_user(&scope, &id).await?;
        check_if_match(
            request.headers(),
            &ETag::from_revision(stored.revision.get()),
        )?;
        ensure_may_grant(&principal, stored.record.role)?;
        ensure_may_grant(&principal, body.role)?;
        let owners = active_owners(&state.records, &scope).await?;
        ensure_an_owner_remains(owners, &stored.record, body.role == Role::Owner)?;
        let mut changed = stored.record.clone();
        changed.role = body.role;
        let ctx = write_context(&principal, &invocation);
        let updated = state
            .records
            .update_user(
                &scope,
                changed,
                stored.revision,
                AuditAction::UserRoleChanged,
                &ctx,
            )
            .await?;
        user_response(StatusCode::OK, &request, &updated)
    })
    .await
}

/// Handles `DELETE /users/{user_id}`: with four-eyes on, 202 with the approval request a second
/// person decides; otherwise the user is removed now (204). Nobody removes themselves or the
/// last active OWNER.
pub async fn remove_user(state: &Users, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = user_manager(&request)?;
        let id = user_id(&request)?;
        let scope = principal.scope();
        let stored = state.records.get_user(&scope, &id).await?;
        if principal.user() == &id {
            return Err(RuntimeError::Conflict {
                reason: "you cannot remove yourself: ask another admin".to_owned(),
            });
        }
        ensure_may_grant(&principal, stored.record.role)?;
        let owners = active_owners(&state.records, &scope).await?;
        ensure_an_owner_remains(owners, &stored.record, false)?;
        let ctx = write_context(&principal, &invocation);
        let policy = state.records.get_policy(&scope).await?.record;
        if policy.destructive_action_needs_approval() {
            let approval = ApprovalRequest::new(
                &principal,
                DestructiveAction::RemoveUser { user: id.clone() },
                &format!("remove user {id}"),
                ctx.at,
                ApprovalRequest::DEFAULT_TTL,
            )?;
            let stored = state
                .records
                .create_approval(&scope, approval, &ctx)
                .await?;
            return json_response(
                StatusCode::ACCEPTED,
                &RemovalRequested {
                    approval_id: stored.record.id,
                },
            );
        }
        remove_user_now(&state.records, &scope, stored, &ctx).await?;
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok(response)
    })
    .await
}

/// Handles `POST /users/{user_id}/password`: a user replaces their own password, proving the
/// current one (204). Nobody else may, whatever their role, and an API key may not either.
pub async fn change_password(
    state: &Users,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = principal_of(&request)?;
        let id = user_id(&request)?;
        // Another tenant's user is not found, as on every route, before anything else is said.
        state.records.get_user(&principal.scope(), &id).await?;
        let own_session = matches!(principal.subject(), Subject::User { user } if user == &id);
        if !own_session {
            return Err(RuntimeError::from(ida_core::error::AccessDenied {
                reason: "only a user, logged in, changes their own password".to_owned(),
            }));
        }
        let body: PasswordChange = json_body(&request)?;
        let ctx = write_context(&principal, &invocation);
        state
            .records
            .change_password(
                &principal.scope(),
                &id,
                &body.current_password,
                &body.new_password,
                &ctx,
            )
            .await?;
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok(response)
    })
    .await
}
