//! Hard deletion of a tenant's data (GDPR erasure): every record in the tenant's partition
//! (batched deletes), the tenant's email guards, and every object version under
//! `tenants/{tenant}/` in both buckets. A receipt is left at `pk = ERASURE#{tenant}`, outside
//! the erased data, saying who asked, when, and how much was deleted.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use ida_core::TenantScope;
use ida_core::audit::Actor;
use ida_core::id::{CorrelationId, TenantId};
use ida_core::user::User;
use time::OffsetDateTime;

use crate::artifacts::{ArtifactKey, S3Artifacts};
use crate::context::WriteContext;
use crate::dynamo::{DynamoStore, backoff};
use crate::error::{Result, StoreError};
use crate::item::{self, Item, ItemBuilder, Revision, Stored, s};
use crate::keys;
use crate::ports::TenantErasure;

/// DynamoDB's BatchWriteItem limit.
const BATCH: usize = 25;
/// S3's DeleteObjects limit.
const OBJECT_BATCH: usize = 1000;

/// Proof that a tenant's data was erased.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErasureReceipt {
    /// The erased tenant.
    pub tenant: TenantId,
    /// Who asked.
    pub requested_by: Actor,
    /// The request.
    pub correlation_id: CorrelationId,
    /// Records deleted (tenant partition and guards).
    pub records_deleted: u64,
    /// Object versions deleted in both buckets.
    pub objects_deleted: u64,
    /// When the erasure finished.
    #[serde(with = "time::serde::rfc3339")]
    pub completed_at: OffsetDateTime,
}

/// Erases records and objects together.
#[derive(Debug, Clone)]
pub struct Eraser {
    /// The records.
    pub records: DynamoStore,
    /// The objects.
    pub artifacts: S3Artifacts,
}

impl DynamoStore {
    async fn batch_delete(&self, keys: Vec<(String, String)>) -> Result<u64> {
        let total = keys.len() as u64;
        for chunk in keys.chunks(BATCH) {
            let mut requests: Vec<WriteRequest> = Vec::with_capacity(chunk.len());
            for (pk, sk) in chunk {
                let delete = DeleteRequest::builder()
                    .key("pk", s(pk))
                    .key("sk", s(sk))
                    .build()
                    .map_err(|e| StoreError::Backend {
                        operation: "build DeleteRequest",
                        message: e.to_string(),
                    })?;
                requests.push(WriteRequest::builder().delete_request(delete).build());
            }
            let mut attempt = 0;
            while !requests.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| StoreError::from_sdk("BatchWriteItem", e))?;
                requests = output
                    .unprocessed_items
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default();
                if !requests.is_empty() {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
        Ok(total)
    }

    /// The erasure receipt of a tenant, if it was erased.
    pub async fn erasure_receipt(&self, tenant: &TenantId) -> Result<Option<ErasureReceipt>> {
        match self
            .get_item(&keys::erasure_pk(tenant), keys::RECEIPT_SK)
            .await?
        {
            Some(found) => Ok(Some(item::decode::<ErasureReceipt>(&found)?.record)),
            None => Ok(None),
        }
    }
}

impl S3Artifacts {
    /// Deletes every object version and delete marker under `prefix` in `bucket`.
    pub(crate) async fn delete_prefix(&self, bucket: &str, prefix: &str) -> Result<u64> {
        let mut deleted = 0_u64;
        loop {
            let listing = self
                .client
                .list_object_versions()
                .bucket(bucket)
                .prefix(prefix)
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("ListObjectVersions", e))?;
            let mut targets: Vec<ObjectIdentifier> = Vec::new();
            let versions = listing.versions().iter().map(|v| (v.key(), v.version_id()));
            let markers = listing
                .delete_markers()
                .iter()
                .map(|m| (m.key(), m.version_id()));
            for (key, version) in versions.chain(markers) {
                let Some(key) = key else { continue };
                let target = ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.map(str::to_owned))
                    .build()
                    .map_err(|e| StoreError::Backend {
                        operation: "build ObjectIdentifier",
                        message: e.to_string(),
                    })?;
                targets.push(target);
            }
            if targets.is_empty() {
                return Ok(deleted);
            }
            for chunk in targets.chunks(OBJECT_BATCH) {
                let delete = Delete::builder()
                    .set_objects(Some(chunk.to_vec()))
                    .quiet(true)
                    .build()
                    .map_err(|e| StoreError::Backend {
                        operation: "build Delete",
                        message: e.to_string(),
                    })?;
                let output = self
                    .client
                    .delete_objects()
                    .bucket(bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| StoreError::from_sdk("DeleteObjects", e))?;
                if let Some(failed) = output.errors().first() {
                    return Err(StoreError::Backend {
                        operation: "DeleteObjects",
                        message: format!(
                            "{} could not be deleted: {}",
                            failed.key().unwrap_or_default(),
                            failed.code().unwrap_or_default()
                        ),
                    });
                }
                deleted += chunk.len() as u64;
            }
        }
    }
}

impl TenantErasure for Eraser {
    async fn erase_tenant(
        &self,
        scope: &TenantScope,
        ctx: &WriteContext,
    ) -> Result<ErasureReceipt> {
        let pk = keys::tenant_pk(scope);
        let items: Vec<Item> = self.records.query_all(&pk, "").await?;
        let mut targets: Vec<(String, String)> = Vec::with_capacity(items.len());
        let mut guards: Vec<(String, String)> = Vec::new();
        for found in &items {
            targets.push((pk.clone(), item::string_attr(found, "sk")?.to_owned()));
            if item::string_attr(found, "kind").is_ok_and(|k| k == "user") {
                let user: Stored<User> = item::decode(found)?;
                guards.push((
                    keys::email_guard_pk(&user.record.email),
                    keys::GUARD_SK.to_owned(),
                ));
            }
        }
        let mut records_deleted = self.records.batch_delete(targets).await?;
        for (guard_pk, guard_sk) in guards {
            // A guard is deleted only if it still names this tenant.
            let outcome = self
                .records
                .client
                .delete_item()
                .table_name(&self.records.table)
                .key("pk", s(guard_pk))
                .key("sk", s(guard_sk))
                .condition_expression("tenant = :t")
                .expression_attribute_values(":t", s(scope.tenant().as_str()))
                .send()
                .await;
            match outcome {
                Ok(_) => records_deleted += 1,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|x| x.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(StoreError::from_sdk("DeleteItem", e)),
            }
        }
        let prefix = ArtifactKey::tenant_prefix(scope.tenant());
        let mut objects_deleted = 0;
        for bucket in [
            &self.artifacts.uploads_bucket,
            &self.artifacts.artifacts_bucket,
        ] {
            objects_deleted += self.artifacts.delete_prefix(bucket, &prefix).await?;
        }
        let receipt = ErasureReceipt {
            tenant: scope.tenant().clone(),
            requested_by: ctx.actor.clone(),
            correlation_id: ctx.correlation_id.clone(),
            records_deleted,
            objects_deleted,
            completed_at: ctx.at,
        };
        let item: HashMap<_, _> = ItemBuilder::new(
            &keys::erasure_pk(scope.tenant()),
            keys::RECEIPT_SK,
            "erasure_receipt",
            Revision::FIRST,
        )
        .body(&receipt)?
        .build();
        self.records
            .client
            .put_item()
            .table_name(&self.records.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("PutItem", e))?;
        Ok(receipt)
    }
}
