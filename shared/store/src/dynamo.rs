//! The DynamoDB adapter's engine: reads, conditional writes, listings with signed cursors, and
//! the one commit path that puts a change and its hash-chained audit events in a single
//! TransactWriteItems. If any condition fails, nothing of the change nor of its audit exists.
//!
//! The audit chain head (`AUDITHEAD`: last sequence number and hash) is moved by a conditional
//! write in the same transaction; when two writers race for the same sequence number one loses
//! the condition and its whole transaction is retried on the new head, with jittered backoff.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use ida_core::TenantScope;
use ida_core::audit::{AuditEntry, AuditEvent, ChainHead};
use ida_core::id::AuditSeq;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::context::WriteContext;
use crate::cursor::{self, Page, PageRequest};
use crate::error::{Result, StoreError};
use crate::item::{self, Item, ItemBuilder, Revision, Stored, n, s};
use crate::keys::{self, sk};
use crate::settings::CursorKey;

/// How many times a transaction is retried after losing a race for the audit chain head.
const COMMIT_ATTEMPTS: u32 = 200;

/// How long an idempotency record answers replays.
pub const IDEMPOTENCY_TTL: time::Duration = time::Duration::hours(24);

/// The records adapter: DynamoDB single table, every call scoped by a verified tenant.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) table: String,
    pub(crate) cursor_key: CursorKey,
}

/// What a failed condition on one write of a transaction means.
#[derive(Debug, Clone)]
pub(crate) enum OnFailed {
    /// Report this error.
    Error(StoreErrorTemplate),
    /// The item is missing (not found) or its revision is stale (conflict): read to tell.
    StaleOrMissing {
        entity: &'static str,
        id: String,
        sk: String,
    },
}

/// An error to report, rebuilt on demand because `StoreError` holds non-cloneable SDK text.
#[derive(Debug, Clone)]
pub(crate) enum StoreErrorTemplate {
    Conflict {
        entity: &'static str,
        id: String,
        reason: String,
    },
    NotFound {
        entity: &'static str,
        id: String,
    },
    QuotaExceeded {
        quota: &'static str,
        limit: u64,
        requested: u64,
    },
    RefreshReused,
}

impl StoreErrorTemplate {
    fn build(&self) -> StoreError {
        match self {
            StoreErrorTemplate::Conflict { entity, id, reason } => {
                StoreError::conflict(entity, id, reason.clone())
            }
            StoreErrorTemplate::NotFound { entity, id } => StoreError::not_found(entity, id),
            StoreErrorTemplate::QuotaExceeded {
                quota,
                limit,
                requested,
            } => StoreError::QuotaExceeded {
                quota,
                limit: *limit,
                requested: *requested,
            },
            StoreErrorTemplate::RefreshReused => StoreError::RefreshTokenReused,
        }
    }
}

/// One write of a transaction and what its failed condition means.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    pub(crate) op: TransactWriteItem,
    pub(crate) on_failed: OnFailed,
}

/// The idempotency record written with a create.
struct IdempotencyPut {
    item: Item,
}

/// Why a commit did not happen.
enum CommitFailure {
    Store(StoreError),
    /// Another request with the same idempotency key committed first.
    IdempotencyRace,
}

impl From<StoreError> for CommitFailure {
    fn from(error: StoreError) -> Self {
        CommitFailure::Store(error)
    }
}

fn build_error(operation: &'static str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend {
        operation,
        message: error.to_string(),
    }
}

impl DynamoStore {
    /// The adapter for `table`, signing cursors with `cursor_key`.
    pub fn new(client: Client, table: impl Into<String>, cursor_key: CursorKey) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            cursor_key,
        }
    }

    /// A Put of `item` under a condition (none when `condition` is `None`).
    pub(crate) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
        values: &[(&str, AttributeValue)],
        on_failed: OnFailed,
    ) -> Result<Write> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(condition) = condition {
            put = put.condition_expression(condition);
        }
        for (name, value) in values {
            put = put.expression_attribute_values(*name, value.clone());
        }
        let put = put.build().map_err(|e| build_error("build Put", e))?;
        Ok(Write {
            op: TransactWriteItem::builder().put(put).build(),
            on_failed,
        })
    }

    /// A Put that creates an item, refused when it exists.
    pub(crate) fn put_new(
        &self,
        item: Item,
        entity: &'static str,
        id: impl ToString,
    ) -> Result<Write> {
        self.put(
            item,
            Some("attribute_not_exists(pk)"),
            &[],
            OnFailed::Error(StoreErrorTemplate::Conflict {
                entity,
                id: id.to_string(),
                reason: "already exists".to_owned(),
            }),
        )
    }

    /// An UpdateItem on `pk/sk`.
    #[expect(
        clippy::too_many_arguments,
        reason = "mirrors UpdateItem's own parts: key, expression, condition, names, values"
    )]
    pub(crate) fn update(
        &self,
        pk: &str,
        sk: &str,
        expression: &str,
        condition: Option<&str>,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
        on_failed: OnFailed,
    ) -> Result<Write> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(expression);
        if let Some(condition) = condition {
            update = update.condition_expression(condition);
        }
        for (name, value) in names {
            update = update.expression_attribute_names(*name, *value);
        }
        for (name, value) in values {
            update = update.expression_attribute_values(*name, value.clone());
        }
        let update = update.build().map_err(|e| build_error("build Update", e))?;
        Ok(Write {
            op: TransactWriteItem::builder().update(update).build(),
            on_failed,
        })
    }

    /// Replaces a record's body if its revision is still `expected`, keeping every other
    /// attribute (secret hashes, look-up keys).
    pub(crate) fn replace_write<T: Serialize>(
        &self,
        scope: &TenantScope,
        sort_key: &str,
        entity: &'static str,
        id: impl ToString,
        record: &T,
        expected: Revision,
    ) -> Result<Write> {
        let body = serde_json::to_string(record).map_err(|e| build_error("encode", e))?;
        self.update(
            &keys::tenant_pk(scope),
            sort_key,
            "SET body = :body, revision = :next",
            Some("attribute_exists(pk) AND revision = :expected"),
            &[],
            &[
                (":body", s(body)),
                (":next", expected.next().attribute()),
                (":expected", expected.attribute()),
            ],
            OnFailed::StaleOrMissing {
                entity,
                id: id.to_string(),
                sk: sort_key.to_owned(),
            },
        )
    }

    /// Reads one item with a strongly consistent read.
    pub(crate) async fn get_item(&self, pk: &str, sort_key: &str) -> Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sort_key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("GetItem", e))?;
        Ok(output.item)
    }

    /// Reads one of the scope's records.
    pub(crate) async fn get_record<T: DeserializeOwned>(
        &self,
        scope: &TenantScope,
        sort_key: &str,
        entity: &'static str,
        id: impl ToString,
    ) -> Result<Stored<T>> {
        match self.get_item(&keys::tenant_pk(scope), sort_key).await? {
            Some(found) => item::decode(&found),
            None => Err(StoreError::not_found(entity, id)),
        }
    }

    /// One page of the scope's items whose sort key starts with `prefix` and whose kind is `kind`.
    pub(crate) async fn list_items(
        &self,
        scope: &TenantScope,
        listing: &str,
        prefix: &str,
        kind: &str,
        page: &PageRequest,
    ) -> Result<Page<Item>> {
        let pk = keys::tenant_pk(scope);
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .filter_expression("kind = :kind")
            .expression_attribute_values(":pk", s(&pk))
            .expression_attribute_values(":prefix", s(prefix))
            .expression_attribute_values(":kind", s(kind))
            .limit(page.effective_limit())
            .consistent_read(true);
        if let Some(text) = &page.cursor {
            let after = cursor::open(&self.cursor_key, scope, listing, text)?;
            query = query
                .exclusive_start_key("pk", s(&pk))
                .exclusive_start_key("sk", s(after));
        }
        let output = query
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("Query", e))?;
        let next_cursor = match output.last_evaluated_key.as_ref().and_then(|k| k.get("sk")) {
            Some(AttributeValue::S(last)) => {
                Some(cursor::seal(&self.cursor_key, scope, listing, last)?)
            }
            _ => None,
        };
        Ok(Page {
            items: output.items.unwrap_or_default(),
            next_cursor,
        })
    }

    /// One page of the scope's records of one kind.
    pub(crate) async fn list_records<T: DeserializeOwned>(
        &self,
        scope: &TenantScope,
        listing: &str,
        prefix: &str,
        kind: &str,
        page: &PageRequest,
    ) -> Result<Page<Stored<T>>> {
        let raw = self.list_items(scope, listing, prefix, kind, page).await?;
        let items = raw
            .items
            .iter()
            .map(item::decode)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor: raw.next_cursor,
        })
    }

    /// Every item in a partition whose sort key starts with `prefix` (all items when it is
    /// empty), following pages.
    pub(crate) async fn query_all(&self, pk: &str, prefix: &str) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut query = self.client.query().table_name(&self.table);
            query = if prefix.is_empty() {
                query.key_condition_expression("pk = :pk")
            } else {
                query
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix))
            };
            let output = query
                .expression_attribute_values(":pk", s(pk))
                .set_exclusive_start_key(start.take())
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("Query", e))?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// Items on the global look-up index under `gsi1pk`.
    pub(crate) async fn lookup(&self, gsi1pk: &str) -> Result<Vec<Item>> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :g")
            .expression_attribute_values(":g", s(gsi1pk))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("Query gsi1", e))?;
        Ok(output.items.unwrap_or_default())
    }

    /// The one of `found` that lives in the scope's partition. Items of other tenants are never
    /// handed back; meeting one is logged as a cross-tenant attempt.
    pub(crate) fn owned_by_scope(
        scope: &TenantScope,
        found: Vec<Item>,
        entity: &'static str,
        id: &str,
    ) -> Result<Item> {
        let own = keys::tenant_pk(scope);
        let mut foreign = false;
        for candidate in found {
            if item::string_attr(&candidate, "pk")? == own {
                return Ok(candidate);
            }
            foreign = true;
        }
        if foreign {
            tracing::warn!(
                tenant = %scope.tenant(),
                entity,
                "security: a tenant-scoped look-up matched another tenant's item; refused"
            );
        }
        Err(StoreError::not_found(entity, id))
    }

    /// The stored result of an earlier request with the same idempotency key, if any.
    pub(crate) async fn replay<T: DeserializeOwned>(
        &self,
        scope: &TenantScope,
        ctx: &WriteContext,
    ) -> Result<Option<T>> {
        let Some(idempotency) = &ctx.idempotency else {
            return Ok(None);
        };
        let Some(found) = self
            .get_item(
                &keys::tenant_pk(scope),
                &sk::idempotency(idempotency.key.as_str()),
            )
            .await?
        else {
            return Ok(None);
        };
        // DynamoDB deletes expired items late: an expired record is treated as absent.
        if item::optional_number_attr(&found, "expires_at")
            .is_some_and(|at| at <= ctx.at.unix_timestamp())
        {
            return Ok(None);
        }
        if item::string_attr(&found, "request_hash")? != idempotency.request_hash {
            return Err(StoreError::conflict(
                "idempotency_key",
                idempotency.key.as_str(),
                "the key was used with a different request",
            ));
        }
        let response = item::string_attr(&found, "body")?;
        serde_json::from_str(response).map(Some).map_err(|e| {
            StoreError::corrupt(
                item::key_text(&found),
                format!("stored response does not parse: {e}"),
            )
        })
    }

    /// Commits a create: the writes, the audit entries and, with an idempotency key, the
    /// stored result, all in one transaction. A replay returns the first result.
    pub(crate) async fn commit_create<T: Serialize + DeserializeOwned>(
        &self,
        scope: &TenantScope,
        ctx: &WriteContext,
        writes: Vec<Write>,
        entries: Vec<AuditEntry>,
        result: T,
    ) -> Result<T> {
        if let Some(prior) = self.replay(scope, ctx).await? {
            return Ok(prior);
        }
        let idempotency = match &ctx.idempotency {
            None => None,
            Some(idem) => {
                let body = serde_json::to_string(&result).map_err(|e| build_error("encode", e))?;
                let item = ItemBuilder::new(
                    &keys::tenant_pk(scope),
                    &sk::idempotency(idem.key.as_str()),
                    "idempotency",
                    Revision::FIRST,
                )
                .attribute("body", s(body))
                .attribute("request_hash", s(&idem.request_hash))
                .expires_at((ctx.at + IDEMPOTENCY_TTL).unix_timestamp())
                .build();
                Some(IdempotencyPut { item })
            }
        };
        match self
            .commit_inner(scope, writes, entries, idempotency, ctx.at)
            .await
        {
            Ok(_) => Ok(result),
            Err(CommitFailure::Store(error)) => Err(error),
            Err(CommitFailure::IdempotencyRace) => {
                self.replay(scope, ctx).await?.ok_or_else(|| {
                    StoreError::conflict(
                        "idempotency_key",
                        "",
                        "a concurrent request holds this key",
                    )
                })
            }
        }
    }

    /// Commits a change with its audit entries in one transaction.
    pub(crate) async fn commit(
        &self,
        scope: &TenantScope,
        writes: Vec<Write>,
        entries: Vec<AuditEntry>,
    ) -> Result<Vec<AuditEvent>> {
        let now = entries
            .first()
            .map(|e| e.at)
            .unwrap_or_else(OffsetDateTime::now_utc);
        match self.commit_inner(scope, writes, entries, None, now).await {
            Ok(events) => Ok(events),
            Err(CommitFailure::Store(error)) => Err(error),
            Err(CommitFailure::IdempotencyRace) => {
                Err(StoreError::conflict("idempotency_key", "", "raced"))
            }
        }
    }

    /// The chain head as stored.
    pub(crate) async fn chain_head(&self, scope: &TenantScope) -> Result<Option<ChainHead>> {
        let Some(found) = self
            .get_item(&keys::tenant_pk(scope), sk::AUDIT_HEAD)
            .await?
        else {
            return Ok(None);
        };
        let seq = AuditSeq::new(item::number_attr(&found, "seq")?)
            .map_err(|e| StoreError::corrupt(item::key_text(&found), e.to_string()))?;
        let hash = item::string_attr(&found, "hash")?.to_owned();
        Ok(Some(ChainHead { seq, hash }))
    }

    async fn commit_inner(
        &self,
        scope: &TenantScope,
        writes: Vec<Write>,
        entries: Vec<AuditEntry>,
        idempotency: Option<IdempotencyPut>,
        now: OffsetDateTime,
    ) -> Result<Vec<AuditEvent>, CommitFailure> {
        let pk = keys::tenant_pk(scope);
        let change_count = writes.len();
        for attempt in 0..COMMIT_ATTEMPTS {
            let head = self.chain_head(scope).await?;
            let mut ops: Vec<TransactWriteItem> = writes.iter().map(|w| w.op.clone()).collect();
            let idempotency_index = match &idempotency {
                Some(put) => {
                    ops.push(
                        self.put(
                            put.item.clone(),
                            Some("attribute_not_exists(pk) OR expires_at <= :now"),
                            &[(":now", n(now.unix_timestamp()))],
                            OnFailed::Error(StoreErrorTemplate::Conflict {
                                entity: "idempotency_key",
                                id: String::new(),
                                reason: String::new(),
                            }),
                        )?
                        .op,
                    );
                    Some(ops.len() - 1)
                }
                None => None,
            };
            let mut events = Vec::with_capacity(entries.len());
            let mut previous = head.clone();
            for entry in &entries {
                let event = AuditEvent::append(scope, previous.as_ref(), entry.clone())
                    .map_err(StoreError::from)?;
                previous = Some(event.head());
                let item = ItemBuilder::new(&pk, &sk::audit(event.seq), "audit", Revision::FIRST)
                    .body(&event)?
                    .build();
                ops.push(self.put_new(item, "audit_event", event.seq)?.op);
                events.push(event);
            }
            if let Some(new_head) = &previous
                && !entries.is_empty()
            {
                let head_item =
                    ItemBuilder::new(&pk, sk::AUDIT_HEAD, "audit_head", Revision::FIRST)
                        .attribute("seq", n(new_head.seq.get()))
                        .attribute("hash", s(&new_head.hash))
                        .build();
                let write = match &head {
                    None => self.put_new(head_item, "audit_head", scope.tenant())?,
                    Some(old) => self.put(
                        head_item,
                        Some("seq = :seq"),
                        &[(":seq", n(old.seq.get()))],
                        OnFailed::Error(StoreErrorTemplate::Conflict {
                            entity: "audit_head",
                            id: scope.tenant().to_string(),
                            reason: "moved".to_owned(),
                        }),
                    )?,
                };
                ops.push(write.op);
            }
            if ops.is_empty() {
                return Ok(events);
            }
            let outcome = self
                .client
                .transact_write_items()
                .set_transact_items(Some(ops))
                .send()
                .await;
            let error = match outcome {
                Ok(_) => return Ok(events),
                Err(error) => error,
            };
            let retry = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let mut retry = false;
                    for (index, reason) in cancelled.cancellation_reasons().iter().enumerate() {
                        match reason.code() {
                            Some("ConditionalCheckFailed") => {
                                if let Some(write) = writes.get(index) {
                                    return Err(self.explain(scope, &write.on_failed).await.into());
                                }
                                if Some(index) == idempotency_index {
                                    return Err(CommitFailure::IdempotencyRace);
                                }
                                // The audit head moved (or an event slot was taken): retry.
                                retry = true;
                            }
                            Some("TransactionConflict") => retry = true,
                            _ => {}
                        }
                    }
                    retry
                }
                _ => false,
            };
            if !retry {
                return Err(StoreError::from_sdk("TransactWriteItems", error).into());
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(StoreError::Transient {
            operation: "TransactWriteItems",
            message: format!(
                "lost the audit chain race {COMMIT_ATTEMPTS} times ({change_count} writes)"
            ),
        }
        .into())
    }

    async fn explain(&self, scope: &TenantScope, on_failed: &OnFailed) -> StoreError {
        match on_failed {
            OnFailed::Error(template) => template.build(),
            OnFailed::StaleOrMissing { entity, id, sk } => {
                match self.get_item(&keys::tenant_pk(scope), sk).await {
                    Ok(Some(_)) => StoreError::conflict(
                        entity,
                        id,
                        "stale revision: the record changed since it was read",
                    ),
                    Ok(None) => StoreError::not_found(entity, id),
                    Err(error) => error,
                }
            }
        }
    }
}

/// Jittered exponential backoff, capped at 100 ms.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let ceiling = 5_u64.saturating_mul(1 << attempt.min(5)).min(100);
    let mut byte = [0_u8; 2];
    let jitter = match getrandom::fill(&mut byte) {
        Ok(()) => u64::from(u16::from_le_bytes(byte)) % ceiling.max(1),
        Err(_) => ceiling / 2,
    };
    Duration::from_millis(1 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_cap() {
        for attempt in 0..40 {
            assert!(backoff(attempt) <= Duration::from_millis(101));
        }
    }
}
