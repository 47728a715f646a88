//! The approval routes, each its own Lambda: list and read a tenant's approval requests for
//! destructive actions, approve one (which performs the action through
//! `ida_store::destructive`) or reject it.
//!
//! Approving first moves the request from PENDING to APPROVED with a conditional write on its
//! revision, and only the request that won that write performs the action: a double approve
//! (two admins at once, or a retried call) performs it exactly once and the other answers 409.
//! Under four-eyes the requester may not decide their own request (403 `self_approval`); the
//! decider needs the action's own permission. The tenant comes only from the principal.

mod caller;
mod view;

/// What a approval route reads at cold start: the store's resources.
pub type ApprovalsSettings = ida_runtime::store_settings::StoreAccess;
pub use view::{ActionOutcome, ApprovalDecided, ApprovalReject, ApprovalView};

use ida_core::approval::{ApprovalEvent, ApprovalRequest, ApprovalStatus};
use ida_core::id::ApprovalId;
use ida_core::{CoreError, Permission, Principal, StateMachine, TenantScope, authorize};
use ida_runtime::RuntimeError;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{PageRequest, json_body, json_response, page_response, respond};
use ida_runtime::settings::Settings;
use ida_store::destructive::{Performed, perform};
use ida_store::{ApprovalRepository, Store, StoreError, Stored, TenantRepository, WriteContext};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use std::convert::Infallible;
use std::sync::Arc;
use time::OffsetDateTime;

/// The state of every approval route, built once per cold start.
pub struct Approvals {
    store: Store,
}

impl Approvals {
    /// The routes' state over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn settings(lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), RuntimeError> {
    ApprovalsSettings::from_lookup(lookup).map(drop)
}

const fn route(binary: &'static str, method: &'static str, path: &'static str) -> FunctionSpec {
    FunctionSpec {
        binary,
        trigger: Trigger::Route {
            method,
            path,
            access: Access::Authorized,
        },
        settings,
    }
}

/// `GET /approvals`: a page of approval requests, filtered by `status` (default `PENDING`).
pub static LIST_APPROVALS: FunctionSpec = route("approvals-list", "GET", "/approvals");
/// `GET /approvals/{approval_id}`: one approval request.
pub static GET_APPROVAL: FunctionSpec = route("approvals-get", "GET", "/approvals/{approval_id}");
/// `POST /approvals/{approval_id}/approve`: approves and performs the action once.
pub static APPROVE_APPROVAL: FunctionSpec = route(
    "approvals-approve",
    "POST",
    "/approvals/{approval_id}/approve",
);
/// `POST /approvals/{approval_id}/reject`: rejects with a reason.
pub static REJECT_APPROVAL: FunctionSpec = route(
    "approvals-reject",
    "POST",
    "/approvals/{approval_id}/reject",
);

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 4] = [
    &LIST_APPROVALS,
    &GET_APPROVAL,
    &APPROVE_APPROVAL,
    &REJECT_APPROVAL,
];

/// The routes of this crate bound to `state`, for the local host.
pub fn routes(state: Arc<Approvals>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(&LIST_APPROVALS, Arc::clone(&state), |s, r| async move {
            list_approvals(&s, r).await
        }),
        HostedRoute::new(&GET_APPROVAL, Arc::clone(&state), |s, r| async move {
            get_approval(&s, r).await
        }),
        HostedRoute::new(&APPROVE_APPROVAL, Arc::clone(&state), |s, r| async move {
            approve_approval(&s, r).await
        }),
        HostedRoute::new(&REJECT_APPROVAL, state, |s, r| async move {
            reject_approval(&s, r).await
        }),
    ]
}

/// The `approval_id` path parameter; one that does not parse names no request (404).
fn approval_id(request: &Request) -> Result<ApprovalId, RuntimeError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("approval_id"))
        .and_then(|text| ApprovalId::parse(text).ok())
        .ok_or(RuntimeError::NotFound { entity: "approval" })
}

/// Handles `GET /approvals` with `status` = `PENDING` (default), `APPROVED`, `REJECTED`,
/// `EXPIRED`, `CANCELLED` or `ALL`. The filter applies to each page the store returns, so a
/// filtered page may hold fewer than `limit` items while `next_cursor` still leads on.
pub async fn list_approvals(
    state: &Approvals,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::DatasetRead)?;
        let page = PageRequest::from_request(&request)?;
        let wanted =
            match request
                .query_string_parameters_ref()
                .and_then(|query| query.first("status"))
            {
                None => Some(ApprovalStatus::Pending),
                Some("ALL") => None,
                Some(text) => Some(ApprovalStatus::parse(text).map_err(|_| {
                    RuntimeError::InvalidParameter {
                        parameter: "status",
                        reason: "PENDING, APPROVED, REJECTED, EXPIRED, CANCELLED or ALL",
                    }
                })?),
            };
        let listed = state
            .store
            .records
            .list_approvals(
                &principal.scope(),
                &ida_store::PageRequest {
                    limit: u32::from(page.limit()),
                    cursor: page.cursor().map(str::to_owned),
                },
            )
            .await?;
        let items: Vec<ApprovalView> = listed
            .items
            .iter()
            .filter(|stored| wanted.is_none_or(|status| stored.record.status == status))
            .map(ApprovalView::from)
            .collect();
        page_response(&request, &page, &items, listed.next_cursor.as_deref())
    })
    .await
}

/// Handles `GET /approvals/{approval_id}`.
pub async fn get_approval(
    state: &Approvals,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::DatasetRead)?;
        let id = approval_id(&request)?;
        let stored = state
            .store
            .records
            .get_approval(&principal.scope(), &id)
            .await?;
        json_response(StatusCode::OK, &ApprovalView::from(&stored))
    })
    .await
}

/// Handles `POST /approvals/{approval_id}/approve`: 200 with the request and what its action
/// changed; 403 for the requester under four-eyes or without the action's permission; 409 when
/// it is no longer pending (decided, or expired: it is then marked EXPIRED).
pub async fn approve_approval(
    state: &Approvals,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = caller::principal(&request)?;
        let id = approval_id(&request)?;
        let scope = principal.scope();
        let ctx = caller::write_context(&principal, &request, &invocation)?;
        let current = state.store.records.get_approval(&scope, &id).await?;
        let decided = decide(state, &principal, &scope, current, true, &ctx).await?;
        let performed = perform(&state.store, &scope, &decided.record.action, &ctx).await?;
        let outcome = match performed {
            Performed::Dataset(dataset) => ActionOutcome::Dataset {
                dataset_id: dataset.record.id.to_string(),
                status: dataset.record.status.as_str().to_owned(),
                active_version: dataset.record.active_version.map(|v| v.get()),
            },
            Performed::User(user) => ActionOutcome::User {
                user_id: user.record.id.to_string(),
                status: user.record.status.as_str().to_owned(),
            },
            Performed::TenantErased(receipt) => ActionOutcome::TenantErased {
                records_deleted: receipt.records_deleted,
                objects_deleted: receipt.objects_deleted,
            },
        };
        json_response(
            StatusCode::OK,
            &ApprovalDecided {
                approval: ApprovalView::from(&decided),
                outcome,
            },
        )
    })
    .await
}

/// Handles `POST /approvals/{approval_id}/reject` with `{reason}`: 200 with the request, now
/// REJECTED; the action never runs.
pub async fn reject_approval(
    state: &Approvals,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = caller::principal(&request)?;
        let id = approval_id(&request)?;
        let body: ApprovalReject = json_body(&request)?;
        let reason = body.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(CoreError::invalid("reason", "must be 1 to 500 characters").into());
        }
        let scope = principal.scope();
        let ctx = caller::write_context(&principal, &request, &invocation)?;
        let mut current = state.store.records.get_approval(&scope, &id).await?;
        current.record.decision_reason = Some(reason.to_owned());
        let decided = decide(state, &principal, &scope, current, false, &ctx).await?;
        json_response(StatusCode::OK, &ApprovalView::from(&decided))
    })
    .await
}

/// Records the decision with a conditional write on the revision read, so of two deciders
/// only one succeeds. A request past its expiry is marked EXPIRED and refused.
async fn decide(
    state: &Approvals,
    principal: &Principal,
    scope: &TenantScope,
    current: Stored<ApprovalRequest>,
    approve: bool,
    ctx: &WriteContext,
) -> Result<Stored<ApprovalRequest>, RuntimeError> {
    let now = OffsetDateTime::now_utc();
    if current.record.is_overdue(now) {
        let mut expired = current.record.clone();
        expired.decision_reason = None;
        expired.status = expired
            .status
            .apply(ApprovalEvent::Expire)
            .map_err(CoreError::from)?;
        // Another request may mark it first; either way it is expired.
        match state
            .store
            .records
            .update_approval(scope, expired, current.revision, ctx)
            .await
        {
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        return Err(CoreError::ApprovalExpired {
            approval: current.record.id.to_string(),
        }
        .into());
    }
    let four_eyes = state
        .store
        .records
        .get_policy(scope)
        .await?
        .record
        .four_eyes;
    let mut decided = current.record.clone();
    decided.decide(principal, approve, four_eyes, now)?;
    state
        .store
        .records
        .update_approval(scope, decided, current.revision, ctx)
        .await
        .map_err(|error| match error {
            StoreError::Conflict { .. } => RuntimeError::Conflict {
                reason: "the approval request was decided by another request".into(),
            },
            other => other.into(),
        })
}
