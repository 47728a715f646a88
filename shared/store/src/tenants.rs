//! The tenant record, its approval policy, feature flags, quota limits with their counters, and
//! daily usage counters. A quota counter moves only by a conditional UpdateItem whose condition
//! holds the limit, so racing requests can never push it past the limit.

use std::collections::BTreeMap;

use ida_core::TenantScope;
use ida_core::audit::{AuditAction, AuditDiff, EntityKind, EntityRef};
use ida_core::quota::{FeatureFlags, Quota, QuotaLimits, UsageCounters};
use ida_core::tenancy::{Tenant, TenantPolicy};
use time::Date;

use crate::context::{WriteContext, audit_json};
use crate::dynamo::{DynamoStore, OnFailed, StoreErrorTemplate, Write};
use crate::error::{Result, StoreError};
use crate::item::{self, Item, ItemBuilder, Revision, Stored, n};
use crate::keys::{self, sk};
use crate::ports::TenantRepository;
use crate::records::{ItemAttributes, RecordSpec, ensure_owned};

/// A tenant's quota limits and what is in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaState {
    /// The limits.
    pub limits: QuotaLimits,
    /// What is in use, per quota.
    pub used: BTreeMap<Quota, u64>,
}

impl QuotaState {
    /// What is in use of one quota.
    pub fn used(&self, quota: Quota) -> u64 {
        self.used.get(&quota).copied().unwrap_or(0)
    }
}

/// A daily usage counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageField {
    /// Uploads created.
    Uploads,
    /// Bytes uploaded.
    UploadBytes,
    /// Jobs started.
    JobsStarted,
    /// Rows processed by stages.
    RowsProcessed,
    /// API requests served.
    ApiRequests,
}

impl UsageField {
    fn attribute(self) -> &'static str {
        match self {
            UsageField::Uploads => "uploads",
            UsageField::UploadBytes => "upload_bytes",
            UsageField::JobsStarted => "jobs_started",
            UsageField::RowsProcessed => "rows_processed",
            UsageField::ApiRequests => "api_requests",
        }
    }
}

fn limit_attr(quota: Quota) -> String {
    format!("limit_{}", quota.as_str())
}

pub(crate) fn used_attr(quota: Quota) -> String {
    format!("used_{}", quota.as_str())
}

pub(crate) fn quota_item(pk: &str, limits: &QuotaLimits) -> Result<ItemBuilder> {
    let mut builder = ItemBuilder::new(pk, sk::QUOTA, "quota", Revision::FIRST).body(limits)?;
    for quota in Quota::ALL {
        builder = builder.attribute(&limit_attr(*quota), n(limits.limit(*quota)));
    }
    Ok(builder)
}

fn decode_quota(found: &Item) -> Result<QuotaState> {
    let limits: Stored<QuotaLimits> = item::decode(found)?;
    let used = Quota::ALL
        .iter()
        .map(|q| {
            (
                *q,
                item::optional_number_attr(found, &used_attr(*q))
                    .unwrap_or(0)
                    .max(0)
                    .unsigned_abs(),
            )
        })
        .collect();
    Ok(QuotaState {
        limits: limits.record,
        used,
    })
}

fn tenant_spec(tenant: &Tenant, action: AuditAction) -> RecordSpec<'_> {
    RecordSpec {
        sk: sk::TENANT.to_owned(),
        kind: "tenant",
        entity: EntityKind::Tenant,
        id: tenant.id.to_string(),
        owner: &tenant.id,
        action,
    }
}

/// A single tenant-level item (policy, flags) and how its change is audited.
struct Setting {
    sort_key: &'static str,
    kind: &'static str,
    entity: EntityKind,
    action: AuditAction,
}

impl DynamoStore {
    /// The conditional counter move that reserves `amount` of `quota`, for a transaction.
    pub(crate) async fn quota_write(
        &self,
        scope: &TenantScope,
        quota: Quota,
        amount: u64,
    ) -> Result<Write> {
        let pk = keys::tenant_pk(scope);
        let found = self
            .get_item(&pk, sk::QUOTA)
            .await?
            .ok_or_else(|| StoreError::not_found("tenant", scope.tenant()))?;
        let limit = decode_quota(&found)?.limits.limit(quota);
        let exceeded = StoreErrorTemplate::QuotaExceeded {
            quota: quota.as_str(),
            limit,
            requested: amount,
        };
        let Some(max_before) = limit.checked_sub(amount) else {
            return Err(StoreError::QuotaExceeded {
                quota: quota.as_str(),
                limit,
                requested: amount,
            });
        };
        let (used, limit_name) = (used_attr(quota), limit_attr(quota));
        self.update(
            &pk,
            sk::QUOTA,
            "ADD #used :amount",
            Some("#limit = :limit AND (attribute_not_exists(#used) OR #used <= :max)"),
            &[("#used", used.as_str()), ("#limit", limit_name.as_str())],
            &[
                (":amount", n(amount)),
                (":limit", n(limit)),
                (":max", n(max_before)),
            ],
            OnFailed::Error(exceeded),
        )
    }

    /// The conditional counter move that gives back `amount` of `quota`, for a transaction;
    /// it fails rather than let the counter go below zero.
    pub(crate) fn quota_release_write(
        &self,
        scope: &TenantScope,
        quota: Quota,
        amount: u64,
    ) -> Result<Write> {
        let used = used_attr(quota);
        let amount = i64::try_from(amount)
            .map_err(|_| ida_core::CoreError::invalid("amount", "is too large"))?;
        self.update(
            &keys::tenant_pk(scope),
            sk::QUOTA,
            "ADD #used :minus",
            Some("#used >= :amount"),
            &[("#used", used.as_str())],
            &[(":minus", n(-amount)), (":amount", n(amount))],
            OnFailed::Error(StoreErrorTemplate::Conflict {
                entity: "quota",
                id: quota.as_str().to_owned(),
                reason: "release is larger than what is in use".to_owned(),
            }),
        )
    }

    /// The audited replacement of a single tenant-level item (policy, flags).
    async fn replace_setting<T>(
        &self,
        scope: &TenantScope,
        setting: Setting,
        record: T,
        expected: Revision,
        extra: Vec<Write>,
        ctx: &WriteContext,
    ) -> Result<Stored<T>>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let Setting {
            sort_key,
            kind,
            entity,
            action,
        } = setting;
        let before: Stored<serde_json::Value> = self
            .get_record(scope, sort_key, kind, scope.tenant())
            .await?;
        let mut writes =
            vec![self.replace_write(scope, sort_key, kind, scope.tenant(), &record, expected)?];
        writes.extend(extra);
        let entry = ctx.entry(
            action,
            EntityRef::new(entity, scope.tenant()),
            AuditDiff::between(&before.record, &audit_json(&record)?),
        );
        self.commit(scope, writes, vec![entry]).await?;
        Ok(Stored {
            record,
            revision: expected.next(),
        })
    }
}

impl TenantRepository for DynamoStore {
    async fn create_tenant(
        &self,
        scope: &TenantScope,
        tenant: Tenant,
        ctx: &WriteContext,
    ) -> Result<Stored<Tenant>> {
        ensure_owned(scope, &tenant.id, "tenant")?;
        let pk = keys::tenant_pk(scope);
        let extra = vec![
            self.put_new(
                ItemBuilder::new(&pk, sk::POLICY, "policy", Revision::FIRST)
                    .body(&tenant.policy)?
                    .build(),
                "policy",
                &tenant.id,
            )?,
            self.put_new(
                quota_item(&pk, &QuotaLimits::for_plan(tenant.plan))?.build(),
                "quota",
                &tenant.id,
            )?,
            self.put_new(
                ItemBuilder::new(&pk, sk::FLAGS, "flags", Revision::FIRST)
                    .body(&FeatureFlags::default())?
                    .build(),
                "flags",
                &tenant.id,
            )?,
        ];
        self.create_record(
            scope,
            tenant_spec(&tenant, AuditAction::TenantCreated),
            tenant.clone(),
            ItemAttributes::default(),
            extra,
            ctx,
        )
        .await
    }

    async fn get_tenant(&self, scope: &TenantScope) -> Result<Stored<Tenant>> {
        self.get_record(scope, sk::TENANT, "tenant", scope.tenant())
            .await
    }

    async fn update_tenant(
        &self,
        scope: &TenantScope,
        mut tenant: Tenant,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> Result<Stored<Tenant>> {
        // The policy changes only through set_policy, which keeps POLICY and the tenant in step.
        tenant.policy = self.get_policy(scope).await?.record;
        self.replace_record(
            scope,
            tenant_spec(&tenant, action),
            tenant.clone(),
            expected,
            vec![],
            ctx,
        )
        .await
    }

    async fn get_policy(&self, scope: &TenantScope) -> Result<Stored<TenantPolicy>> {
        self.get_record(scope, sk::POLICY, "policy", scope.tenant())
            .await
    }

    async fn set_policy(
        &self,
        scope: &TenantScope,
        policy: TenantPolicy,
        expected: Revision,
        ctx: &WriteContext,
    ) -> Result<Stored<TenantPolicy>> {
        let tenant = self.get_tenant(scope).await?;
        let mut record = tenant.record;
        record.policy = policy;
        let tenant_write = self.replace_write(
            scope,
            sk::TENANT,
            "tenant",
            scope.tenant(),
            &record,
            tenant.revision,
        )?;
        self.replace_setting(
            scope,
            Setting {
                sort_key: sk::POLICY,
                kind: "policy",
                entity: EntityKind::Tenant,
                action: AuditAction::TenantPolicyChanged,
            },
            policy,
            expected,
            vec![tenant_write],
            ctx,
        )
        .await
    }

    async fn get_flags(&self, scope: &TenantScope) -> Result<Stored<FeatureFlags>> {
        self.get_record(scope, sk::FLAGS, "flags", scope.tenant())
            .await
    }

    async fn set_flags(
        &self,
        scope: &TenantScope,
        flags: FeatureFlags,
        expected: Revision,
        ctx: &WriteContext,
    ) -> Result<Stored<FeatureFlags>> {
        self.replace_setting(
            scope,
            Setting {
                sort_key: sk::FLAGS,
                kind: "flags",
                entity: EntityKind::Flags,
                action: AuditAction::FlagChanged,
            },
            flags,
            expected,
            vec![],
            ctx,
        )
        .await
    }

    async fn get_quota(&self, scope: &TenantScope) -> Result<QuotaState> {
        let found = self
            .get_item(&keys::tenant_pk(scope), sk::QUOTA)
            .await?
            .ok_or_else(|| StoreError::not_found("tenant", scope.tenant()))?;
        decode_quota(&found)
    }

    async fn set_quota_limits(
        &self,
        scope: &TenantScope,
        limits: QuotaLimits,
        ctx: &WriteContext,
    ) -> Result<QuotaState> {
        let before = self.get_quota(scope).await?;
        let body = serde_json::to_string(&limits).map_err(|e| StoreError::Backend {
            operation: "encode",
            message: e.to_string(),
        })?;
        let mut expression = String::from("SET body = :body");
        let mut names: Vec<(String, String)> = Vec::new();
        let mut values = vec![(":body".to_owned(), item::s(body))];
        for (i, quota) in Quota::ALL.iter().enumerate() {
            expression.push_str(&format!(", #l{i} = :l{i}"));
            names.push((format!("#l{i}"), limit_attr(*quota)));
            values.push((format!(":l{i}"), n(limits.limit(*quota))));
        }
        let names_ref: Vec<(&str, &str)> = names
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let values_ref: Vec<(&str, _)> = values
            .iter()
            .map(|(a, b)| (a.as_str(), b.clone()))
            .collect();
        let write = self.update(
            &keys::tenant_pk(scope),
            sk::QUOTA,
            &expression,
            Some("attribute_exists(pk)"),
            &names_ref,
            &values_ref,
            OnFailed::Error(StoreErrorTemplate::NotFound {
                entity: "tenant",
                id: scope.tenant().to_string(),
            }),
        )?;
        let entry = ctx.entry(
            AuditAction::QuotaChanged,
            EntityRef::new(EntityKind::Quota, scope.tenant()),
            AuditDiff::between(&audit_json(&before.limits)?, &audit_json(&limits)?),
        );
        self.commit(scope, vec![write], vec![entry]).await?;
        self.get_quota(scope).await
    }

    async fn reserve_quota(
        &self,
        scope: &TenantScope,
        quota: Quota,
        amount: u64,
    ) -> Result<QuotaState> {
        let write = self.quota_write(scope, quota, amount).await?;
        self.commit(scope, vec![write], vec![]).await?;
        self.get_quota(scope).await
    }

    async fn release_quota(
        &self,
        scope: &TenantScope,
        quota: Quota,
        amount: u64,
    ) -> Result<QuotaState> {
        let write = self.quota_release_write(scope, quota, amount)?;
        self.commit(scope, vec![write], vec![]).await?;
        self.get_quota(scope).await
    }

    async fn add_usage(
        &self,
        scope: &TenantScope,
        day: Date,
        field: UsageField,
        amount: u64,
    ) -> Result<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", item::s(keys::tenant_pk(scope)))
            .key("sk", item::s(sk::usage(day)))
            .update_expression("ADD #f :amount SET kind = :kind")
            .expression_attribute_names("#f", field.attribute())
            .expression_attribute_values(":amount", n(amount))
            .expression_attribute_values(":kind", item::s("usage"))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    async fn get_usage(&self, scope: &TenantScope, day: Date) -> Result<UsageCounters> {
        let mut counters = UsageCounters::new(day);
        if let Some(found) = self
            .get_item(&keys::tenant_pk(scope), &sk::usage(day))
            .await?
        {
            let read = |field: UsageField| {
                item::optional_number_attr(&found, field.attribute())
                    .unwrap_or(0)
                    .max(0)
                    .unsigned_abs()
            };
            counters.uploads = read(UsageField::Uploads);
            counters.upload_bytes = read(UsageField::UploadBytes);
            counters.jobs_started = read(UsageField::JobsStarted);
            counters.rows_processed = read(UsageField::RowsProcessed);
            counters.api_requests = read(UsageField::ApiRequests);
        }
        Ok(counters)
    }
}
