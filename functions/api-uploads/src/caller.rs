//! Who calls a route and what their writes carry: the verified principal the authorizer put on
//! the request (the only source of the tenant) and the audit context of each write.

use ida_core::Principal;
use ida_core::id::CorrelationId;
use ida_runtime::RuntimeError;
use ida_runtime::auth::principal_of;
use ida_runtime::http::{Invocation, store_idempotency};
use ida_store::WriteContext;
use lambda_http::Request;
use time::OffsetDateTime;

/// The principal of `request`, refused as unauthenticated without an authorizer context.
pub(crate) fn principal(request: &Request) -> Result<Principal, RuntimeError> {
    principal_of(request)
}

/// The audit context of a write made for `principal` in this invocation, carrying the request's
/// `Idempotency-Key` when it has one.
pub(crate) fn write_context(
    principal: &Principal,
    request: &Request,
    invocation: &Invocation,
) -> Result<WriteContext, RuntimeError> {
    let correlation = CorrelationId::parse(invocation.correlation_id.as_str())
        .unwrap_or_else(|_| CorrelationId::generate());
    let mut ctx = WriteContext::for_principal(principal, correlation, OffsetDateTime::now_utc());
    ctx.idempotency = store_idempotency(request)?;
    Ok(ctx)
}
