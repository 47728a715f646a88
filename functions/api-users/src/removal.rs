//! Removing a user now: the account moves to REMOVED (audited), its seat is given back to the
//! `users` quota, and every API key the user created is revoked. Sessions need no write: a refresh of a user who may no longer log in is
//! refused by the store, and access tokens expire within their short lifetime.
//!
//! It is one function on purpose, so the approved path (`ida_store::destructive::perform` for
//! `DestructiveAction::RemoveUser`) and the direct path can share it.

use ida_core::TenantScope;
use ida_core::audit::AuditAction;
use ida_core::id::UserId;
use ida_core::quota::Quota;
use ida_core::transition::StateMachine;
use ida_core::user::{User, UserEvent};
use ida_store::{
    ApiKeyRepository, DynamoStore, PageRequest, Result, StoreError, Stored, TenantRepository,
    UserRepository, WriteContext,
};

/// Keys read per page while looking for the removed user's keys.
const KEY_PAGE: u32 = 100;

/// Removes `user` (read at revision `stored.revision`), releases their seat and revokes the
/// API keys they created.
pub async fn remove_user_now(
    records: &DynamoStore,
    scope: &TenantScope,
    stored: Stored<User>,
    ctx: &WriteContext,
) -> Result<Stored<User>> {
    let mut removed = stored.record.clone();
    removed.status = stored
        .record
        .status
        .apply(UserEvent::Remove)
        .map_err(|transition| StoreError::Domain(transition.into()))?;
    let removed = records
        .update_user(
            scope,
            removed,
            stored.revision,
            AuditAction::UserRemoved,
            ctx,
        )
        .await?;
    records.release_quota(scope, Quota::Users, 1).await?;
    revoke_keys_of(records, scope, &removed.record.id, ctx).await?;
    Ok(removed)
}

async fn revoke_keys_of(
    records: &DynamoStore,
    scope: &TenantScope,
    user: &UserId,
    ctx: &WriteContext,
) -> Result<()> {
    let mut page = PageRequest::first(KEY_PAGE);
    loop {
        let found = records.list_api_keys(scope, &page).await?;
        for key in found.items {
            if &key.record.created_by == user && key.record.revoked_at.is_none() {
                records
                    .revoke_api_key(scope, &key.record.id, key.revision, ctx)
                    .await?;
            }
        }
        match found.next_cursor {
            Some(cursor) => page = PageRequest::after(KEY_PAGE, cursor),
            None => return Ok(()),
        }
    }
}
