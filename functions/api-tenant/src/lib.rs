//! The tenant settings routes: `GET /tenant` (name, plan, status, approval policy, quota limits
//! with what is in use, today's usage, feature flags) and `PUT /tenant/policy` (replace the
//! approval policy under `If-Match`, for OWNERs and ADMINs).
//!
//! The tenant is always the caller's own, taken from the verified principal; no tenant id is
//! read from the request. The policy's ETag is its record revision (`"r<n>"`), so a write based
//! on a stale read is refused with 412 and never overwrites someone else's change.

pub use ida_runtime::store_settings::RecordsSettings;

use ida_core::access::{Permission, authorize};
use ida_core::id::CorrelationId;
use ida_core::quota::{FeatureFlags, Quota, QuotaLimits, UsageCounters};
use ida_core::tenancy::{Plan, TenantPolicy, TenantStatus};
use ida_runtime::RuntimeError;
use ida_runtime::auth::principal_of;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{
    ETag, Invocation, check_if_match, json_body, json_response, respond, with_etag,
};
use ida_runtime::settings::Settings;
use ida_store::{DynamoStore, TenantRepository, WriteContext};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use time::OffsetDateTime;

/// The routes' state: the records table.
#[derive(Debug, Clone)]
pub struct TenantSettingsState {
    records: DynamoStore,
}

impl TenantSettingsState {
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

/// `GET /tenant`: served by `tenant-get`.
pub static GET_TENANT: FunctionSpec = FunctionSpec {
    binary: "tenant-get",
    trigger: Trigger::Route {
        method: "GET",
        path: "/tenant",
        access: Access::Authorized,
    },
    settings: |lookup| RecordsSettings::from_lookup(lookup).map(drop),
};

/// `PUT /tenant/policy`: served by `tenant-policy-put`.
pub static PUT_POLICY: FunctionSpec = FunctionSpec {
    binary: "tenant-policy-put",
    trigger: Trigger::Route {
        method: "PUT",
        path: "/tenant/policy",
        access: Access::Authorized,
    },
    settings: |lookup| RecordsSettings::from_lookup(lookup).map(drop),
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 2] = [&GET_TENANT, &PUT_POLICY];

/// The routes of this crate bound to `state`, for the local host.
pub fn routes(state: Arc<TenantSettingsState>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(
            &GET_TENANT,
            Arc::clone(&state),
            |state, request| async move { get_tenant(&state, request).await },
        ),
        HostedRoute::new(&PUT_POLICY, state, |state, request| async move {
            put_policy(&state, request).await
        }),
    ]
}

/// What `GET /tenant` answers.
#[derive(Debug, Serialize)]
pub struct TenantView {
    /// The tenant id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its plan.
    pub plan: Plan,
    /// Its lifecycle status.
    pub status: TenantStatus,
    /// The approval policy (its ETag is the response's).
    pub policy: TenantPolicy,
    /// Quota limits and what is in use.
    pub quotas: QuotaView,
    /// Today's (UTC) usage counters.
    pub usage: UsageCounters,
    /// Feature flags explicitly set.
    pub flags: FeatureFlags,
}

/// Quota limits and use, per quota name.
#[derive(Debug, Serialize)]
pub struct QuotaView {
    /// The limits.
    pub limits: QuotaLimits,
    /// What is in use, per quota name (`users`, `api_keys`, ...).
    pub used: BTreeMap<&'static str, u64>,
}

/// The body of `PUT /tenant/policy`: the whole policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyUpdate {
    /// `ALWAYS`, `WHEN_RISKY` or `NEVER`.
    pub approval_mode: ida_core::tenancy::ApprovalMode,
    /// Whether a second person must approve.
    pub four_eyes: bool,
    /// Whether uploads must be scanned clean first.
    pub malware_scan_required: bool,
}

fn correlation(invocation: &Invocation) -> CorrelationId {
    CorrelationId::parse(invocation.correlation_id.as_str())
        .unwrap_or_else(|_| CorrelationId::generate())
}

/// Handles `GET /tenant`: 200 with the tenant's settings; its ETag is the policy's revision.
pub async fn get_tenant(
    state: &TenantSettingsState,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = principal_of(&request)?;
        let scope = principal.scope();
        let records = &state.records;
        let today = OffsetDateTime::now_utc().date();
        let (tenant, policy, quota, usage, flags) = tokio::try_join!(
            records.get_tenant(&scope),
            records.get_policy(&scope),
            records.get_quota(&scope),
            records.get_usage(&scope, today),
            records.get_flags(&scope),
        )
        .map_err(RuntimeError::from)?;
        let view = TenantView {
            id: tenant.record.id.to_string(),
            name: tenant.record.name.to_string(),
            plan: tenant.record.plan,
            status: tenant.record.status,
            policy: policy.record,
            quotas: QuotaView {
                limits: quota.limits,
                used: Quota::ALL
                    .iter()
                    .map(|q| (q.as_str(), quota.used(*q)))
                    .collect(),
            },
            usage,
            flags: flags.record,
        };
        let etag = ETag::from_revision(policy.revision.get());
        let response = json_response(StatusCode::OK, &view)?;
        Ok::<_, RuntimeError>(with_etag(request.headers(), response, &etag))
    })
    .await
}

/// Handles `PUT /tenant/policy`: 200 with the new policy and its ETag; 428 without `If-Match`,
/// 412 when it names an older revision, 403 below ADMIN.
pub async fn put_policy(
    state: &TenantSettingsState,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = principal_of(&request)?;
        // The policy decides who must approve what: administering it is administering the
        // tenant's people, which OWNERs and ADMINs do.
        authorize(&principal, Permission::UserManage)?;
        let update: PolicyUpdate = json_body(&request)?;
        let scope = principal.scope();
        let current = state.records.get_policy(&scope).await?;
        check_if_match(
            request.headers(),
            &ETag::from_revision(current.revision.get()),
        )?;
        let policy = TenantPolicy {
            approval_mode: update.approval_mode,
            four_eyes: update.four_eyes,
            malware_scan_required: update.malware_scan_required,
        };
        let ctx = WriteContext::for_principal(
            &principal,
            correlation(&invocation),
            OffsetDateTime::now_utc(),
        );
        let stored = state
            .records
            .set_policy(&scope, policy, current.revision, &ctx)
            .await?;
        let etag = ETag::from_revision(stored.revision.get());
        let response = json_response(StatusCode::OK, &stored.record)?;
        Ok::<_, RuntimeError>(with_etag(request.headers(), response, &etag))
    })
    .await
}
