//! Whether a destructive action runs now or waits for a second person: the tenant's policy
//! decides. With four-eyes on, an approval request is stored and the route answers 202 with its
//! id; otherwise the action is performed at once through `ida_store::destructive`.

use ida_core::Principal;
use ida_core::approval::{ApprovalRequest, DestructiveAction};
use ida_runtime::RuntimeError;
use ida_store::destructive::{Performed, perform};
use ida_store::{ApprovalRepository, Store, Stored, TenantRepository, WriteContext};

/// What became of a destructive request.
pub(crate) enum Decision {
    /// The tenant requires a second person: this request waits for one.
    AwaitsApproval(Stored<ApprovalRequest>),
    /// The action ran.
    Performed(Performed),
}

/// Runs `action` for `principal` (who must already be authorised for it), or files an approval
/// request with `reason` when the tenant's policy requires four eyes.
pub(crate) async fn request_or_perform(
    store: &Store,
    principal: &Principal,
    action: DestructiveAction,
    reason: &str,
    ctx: &WriteContext,
) -> Result<Decision, RuntimeError> {
    let scope = principal.scope();
    let policy = store.records.get_policy(&scope).await?.record;
    if policy.destructive_action_needs_approval() {
        let approval = ApprovalRequest::new(
            principal,
            action,
            reason,
            ctx.at,
            ApprovalRequest::DEFAULT_TTL,
        )?;
        let stored = store.records.create_approval(&scope, approval, ctx).await?;
        Ok(Decision::AwaitsApproval(stored))
    } else {
        Ok(Decision::Performed(
            perform(store, &scope, &action, ctx).await?,
        ))
    }
}
