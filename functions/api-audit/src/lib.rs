//! The audit routes: `GET /audit` (the tenant's audit events, oldest first, filtered by action,
//! actor, entity and time) and `GET /audit/verify` (the hash chain checked end to end).
//!
//! Both need `audit:read` (ADMIN, OWNER and the platform operator). The tenant is only ever the
//! principal's. Events are shown as the store chained them, except that secrets a diff may hold
//! (task tokens, digests) are cut out; nothing here writes.

mod filter;
mod view;

pub use filter::{AuditFilter, EntityFilter};
pub use view::{VerificationView, redacted};

use ida_core::{Permission, authorize};
use ida_runtime::RuntimeError;
use ida_runtime::auth::principal_of;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{PageRequest, json_response, page_response, respond};
use ida_runtime::settings::Settings;
use ida_store::{AuditLog, DynamoStore};
use lambda_http::http::HeaderValue;
use lambda_http::http::StatusCode;
use lambda_http::http::header::CACHE_CONTROL;
use lambda_http::{Body, Request, Response};
use std::convert::Infallible;
use std::sync::Arc;

/// What the audit functions read from their environment: the store's resources.
pub type AuditSettings = ida_runtime::store_settings::StoreAccess;

/// The audit routes' state, built once per cold start.
#[derive(Debug, Clone)]
pub struct Audit {
    records: DynamoStore,
}

impl Audit {
    /// The audit log of `records`.
    pub fn new(records: DynamoStore) -> Self {
        Self { records }
    }

    /// The real adapter on DynamoDB.
    pub fn on_aws(dynamodb: &aws_sdk_dynamodb::Client, settings: &AuditSettings) -> Self {
        Self::new(DynamoStore::new(
            dynamodb.clone(),
            settings.store.records_table.clone(),
            settings.store.cursor_key.clone(),
        ))
    }
}

/// `GET /audit`.
pub static LIST_AUDIT: FunctionSpec = FunctionSpec {
    binary: "audit-list",
    trigger: Trigger::Route {
        method: "GET",
        path: "/audit",
        access: Access::Authorized,
    },
    settings: |lookup| AuditSettings::from_lookup(lookup).map(drop),
};

/// `GET /audit/verify`.
pub static VERIFY_AUDIT: FunctionSpec = FunctionSpec {
    binary: "audit-verify",
    trigger: Trigger::Route {
        method: "GET",
        path: "/audit/verify",
        access: Access::Authorized,
    },
    settings: |lookup| AuditSettings::from_lookup(lookup).map(drop),
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 2] = [&LIST_AUDIT, &VERIFY_AUDIT];

/// The routes of this crate bound to `audit`, for the local host.
pub fn routes(audit: Arc<Audit>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(
            &LIST_AUDIT,
            Arc::clone(&audit),
            |audit, request| async move { list_audit(&audit, request).await },
        ),
        HostedRoute::new(&VERIFY_AUDIT, audit, |audit, request| async move {
            verify_audit(&audit, request).await
        }),
    ]
}

/// Handles `GET /audit`: a page of events in chain order (oldest first). Filters apply to each
/// stored page, so a page may hold fewer than `limit` events while `next_cursor` leads on.
pub async fn list_audit(audit: &Audit, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::AuditRead)?;
        let filter = AuditFilter::from_request(&request)?;
        let page = PageRequest::from_request(&request)?;
        let found = audit
            .records
            .list_audit_events(
                &principal.scope(),
                &ida_store::PageRequest {
                    limit: u32::from(page.limit()),
                    cursor: page.cursor().map(str::to_owned),
                },
            )
            .await?;
        let items: Vec<_> = found
            .items
            .into_iter()
            .filter(|event| filter.admits(event))
            .map(redacted)
            .collect();
        page_response(&request, &page, &items, found.next_cursor.as_deref())
    })
    .await
}

/// Handles `GET /audit/verify`: 200 with `{valid, checked, head_seq | first_bad_seq, break}`.
/// A broken chain is a finding, not a failure of the request, so it is a 200 too.
pub async fn verify_audit(audit: &Audit, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::AuditRead)?;
        let verdict = audit.records.verify_audit_chain(&principal.scope()).await?;
        let mut response = json_response(StatusCode::OK, &VerificationView::of(&verdict))?;
        // A cached "valid" would hide tampering done since.
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok::<_, RuntimeError>(response)
    })
    .await
}
