//! The shared shape of creating and replacing one tenant record with its audit event: the
//! record must name the scope's tenant, a create refuses an existing item, a replace names the
//! revision it read, and the audit diff is computed from what was stored.

use ida_core::TenantScope;
use ida_core::audit::{AuditAction, AuditDiff, EntityKind, EntityRef};
use ida_core::id::TenantId;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::{WriteContext, audit_json};
use crate::dynamo::{DynamoStore, Write};
use crate::error::{Result, StoreError};
use crate::item::{ItemBuilder, Revision, Stored};
use crate::keys;

/// Where and what a record is.
pub(crate) struct RecordSpec<'a> {
    /// Its sort key.
    pub(crate) sk: String,
    /// The item kind (also the listing filter).
    pub(crate) kind: &'static str,
    /// The audit entity kind.
    pub(crate) entity: EntityKind,
    /// Its id as text.
    pub(crate) id: String,
    /// The tenant the record names.
    pub(crate) owner: &'a TenantId,
    /// What the change is called in the audit log.
    pub(crate) action: AuditAction,
}

/// Attributes of a new item besides its record: a global look-up key and others kept outside
/// the body (secret hashes), so they never reach an audit diff or a response.
#[derive(Default)]
pub(crate) struct ItemAttributes {
    pub(crate) lookup: Option<(String, &'static str)>,
    pub(crate) others: Vec<(&'static str, aws_sdk_dynamodb::types::AttributeValue)>,
}

/// Refuses a record naming another tenant than the scope's.
pub(crate) fn ensure_owned(
    scope: &TenantScope,
    owner: &TenantId,
    entity: &'static str,
) -> Result<()> {
    if owner == scope.tenant() {
        Ok(())
    } else {
        tracing::warn!(tenant = %scope.tenant(), entity, "security: a write named another tenant's record; refused");
        Err(StoreError::Forbidden {
            reason: format!("the {entity} belongs to another tenant"),
        })
    }
}

impl DynamoStore {
    /// Creates a record with `extra` writes (quota counters, guards) and its audit event.
    pub(crate) async fn create_record<T>(
        &self,
        scope: &TenantScope,
        spec: RecordSpec<'_>,
        record: T,
        attributes: ItemAttributes,
        extra: Vec<Write>,
        ctx: &WriteContext,
    ) -> Result<Stored<T>>
    where
        T: Serialize + DeserializeOwned,
    {
        ensure_owned(scope, spec.owner, spec.kind)?;
        let mut builder = ItemBuilder::new(
            &keys::tenant_pk(scope),
            &spec.sk,
            spec.kind,
            Revision::FIRST,
        )
        .body(&record)?;
        if let Some((gsi1pk, gsi1sk)) = attributes.lookup {
            builder = builder.lookup(gsi1pk, gsi1sk);
        }
        for (name, value) in attributes.others {
            builder = builder.attribute(name, value);
        }
        let mut writes = vec![self.put_new(builder.build(), spec.kind, &spec.id)?];
        writes.extend(extra);
        let entry = ctx.entry(
            spec.action,
            EntityRef::new(spec.entity, &spec.id),
            AuditDiff::created(audit_json(&record)?),
        );
        let stored = Stored {
            record,
            revision: Revision::FIRST,
        };
        self.commit_create(scope, ctx, writes, vec![entry], stored)
            .await
    }

    /// Replaces a record's body if `expected` is current, with `extra` writes and its audit event.
    pub(crate) async fn replace_record<T>(
        &self,
        scope: &TenantScope,
        spec: RecordSpec<'_>,
        record: T,
        expected: Revision,
        extra: Vec<Write>,
        ctx: &WriteContext,
    ) -> Result<Stored<T>>
    where
        T: Serialize + DeserializeOwned,
    {
        ensure_owned(scope, spec.owner, spec.kind)?;
        let before: Stored<serde_json::Value> = self
            .get_record(scope, &spec.sk, spec.kind, &spec.id)
            .await?;
        let mut writes =
            vec![self.replace_write(scope, &spec.sk, spec.kind, &spec.id, &record, expected)?];
        writes.extend(extra);
        let entry = ctx.entry(
            spec.action,
            EntityRef::new(spec.entity, &spec.id),
            AuditDiff::between(&before.record, &audit_json(&record)?),
        );
        self.commit(scope, writes, vec![entry]).await?;
        Ok(Stored {
            record,
            revision: expected.next(),
        })
    }
}
