//! Executes a destructive action (delete a dataset, roll back its active version, remove a user,
//! erase the tenant) through the store's ports, each change audited in its own transaction.
//! The direct routes call it when the tenant's policy lets the action run at once, and the
//! approval route calls it once an approval request is approved.
//!
//! It never checks who may act (the caller authorises, and a decided approval request is the
//! proof for deferred actions) and never accepts a tenant id: everything is read and written
//! inside the given scope.

use ida_core::approval::DestructiveAction;
use ida_core::audit::AuditAction;
use ida_core::dataset::{Dataset, DatasetEvent, DatasetStatus};
use ida_core::id::{DatasetId, UserId, VersionNo};
use ida_core::quota::Quota;
use ida_core::transition::StateMachine;
use ida_core::user::{User, UserEvent};
use ida_core::{CoreError, TenantScope};

use crate::Store;
use crate::context::WriteContext;
use crate::erasure::ErasureReceipt;
use crate::error::Result;
use crate::item::Stored;
use crate::ports::{
    ArtifactInventory, DatasetRepository, TenantErasure, TenantRepository, UserRepository,
};

/// What a performed action changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Performed {
    /// The dataset as it is now: `DELETED` after a deletion, or with its new active version
    /// after a rollback.
    Dataset(Stored<Dataset>),
    /// The removed user.
    User(Stored<User>),
    /// The tenant's erasure receipt.
    TenantErased(ErasureReceipt),
}

/// Performs `action` in `scope`, recording `ctx` as the actor of every change.
pub async fn perform(
    store: &Store,
    scope: &TenantScope,
    action: &DestructiveAction,
    ctx: &WriteContext,
) -> Result<Performed> {
    match action {
        DestructiveAction::DeleteDataset { dataset } => delete_dataset(store, scope, dataset, ctx)
            .await
            .map(Performed::Dataset),
        DestructiveAction::Rollback { dataset, to } => roll_back(store, scope, dataset, *to, ctx)
            .await
            .map(Performed::Dataset),
        DestructiveAction::RemoveUser { user } => remove_user(store, scope, user, ctx)
            .await
            .map(Performed::User),
        DestructiveAction::EraseTenant => store
            .eraser()
            .erase_tenant(scope, ctx)
            .await
            .map(Performed::TenantErased),
    }
}

/// ACTIVE -> DELETING (audited), the dataset's objects removed, then DELETING -> DELETED
/// (audited) and its `datasets` quota slot released. A deletion interrupted after the first
/// step resumes from DELETING; the version records stay for the audit trail.
async fn delete_dataset(
    store: &Store,
    scope: &TenantScope,
    id: &DatasetId,
    ctx: &WriteContext,
) -> Result<Stored<Dataset>> {
    let mut current = store.records.get_dataset(scope, id).await?;
    if current.record.status == DatasetStatus::Active {
        let mut deleting = current.record.clone();
        deleting.status = deleting
            .status
            .apply(DatasetEvent::StartDeletion)
            .map_err(CoreError::from)?;
        current = store
            .records
            .update_dataset(
                scope,
                deleting,
                current.revision,
                AuditAction::DatasetDeletionStarted,
                ctx,
            )
            .await?;
    }
    let mut deleted = current.record.clone();
    deleted.status = deleted
        .status
        .apply(DatasetEvent::CompleteDeletion)
        .map_err(CoreError::from)?;
    let objects = store.artifacts.delete_dataset_artifacts(scope, id).await?;
    tracing::info!(dataset = %id, objects, "dataset objects deleted");
    let deleted = store
        .records
        .update_dataset(
            scope,
            deleted,
            current.revision,
            AuditAction::DatasetDeleted,
            ctx,
        )
        .await?;
    store
        .records
        .release_quota(scope, Quota::Datasets, 1)
        .await?;
    Ok(deleted)
}

/// Moves the active pointer back to `to`, which must be an existing, older version.
async fn roll_back(
    store: &Store,
    scope: &TenantScope,
    id: &DatasetId,
    to: VersionNo,
    ctx: &WriteContext,
) -> Result<Stored<Dataset>> {
    let current = store.records.get_dataset(scope, id).await?;
    store.records.get_version(scope, id, to).await?;
    let mut rolled = current.record.clone();
    rolled.roll_back_to(to)?;
    store
        .records
        .update_dataset(
            scope,
            rolled,
            current.revision,
            AuditAction::VersionRolledBack,
            ctx,
        )
        .await
}

/// Marks the user REMOVED, refusing to remove the tenant's last active owner.
async fn remove_user(
    store: &Store,
    scope: &TenantScope,
    id: &UserId,
    ctx: &WriteContext,
) -> Result<Stored<User>> {
    let current = store.records.get_user(scope, id).await?;
    let active_owners = count_active_owners(store, scope).await?;
    ida_core::user::ensure_an_owner_remains(active_owners, &current.record, false)?;
    let mut removed = current.record.clone();
    removed.status = removed
        .status
        .apply(UserEvent::Remove)
        .map_err(CoreError::from)?;
    store
        .records
        .update_user(
            scope,
            removed,
            current.revision,
            AuditAction::UserRemoved,
            ctx,
        )
        .await
}

async fn count_active_owners(store: &Store, scope: &TenantScope) -> Result<u32> {
    let mut owners = 0_u32;
    let mut page = crate::cursor::PageRequest::first(crate::cursor::MAX_PAGE_SIZE);
    loop {
        let listed = store.records.list_users(scope, &page).await?;
        owners += listed
            .items
            .iter()
            .filter(|user| {
                user.record.role == ida_core::Role::Owner
                    && user.record.status == ida_core::user::UserStatus::Active
            })
            .count() as u32;
        match listed.next_cursor {
            Some(cursor) => page = crate::cursor::PageRequest::after(page.limit, cursor),
            None => return Ok(owners),
        }
    }
}
