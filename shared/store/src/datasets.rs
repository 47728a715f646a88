//! Datasets and their immutable versions. A new version takes the number after the dataset's
//! `latest_version`, moved by a conditional write on the dataset's revision in the same
//! transaction as the version item and its audit event: concurrent writers get distinct,
//! gap-free numbers (a loser re-reads and takes the next one).

use ida_core::TenantScope;
use ida_core::audit::{AuditAction, AuditDiff, EntityKind, EntityRef};
use ida_core::dataset::{Dataset, DatasetStatus, DatasetVersion, VersionOrigin, check_sha256_hex};
use ida_core::id::{DatasetId, JobId, VersionNo};
use ida_core::quota::Quota;

use crate::context::{WriteContext, audit_json};
use crate::cursor::{MAX_PAGE_SIZE, Page, PageRequest};
use crate::dynamo::{DynamoStore, backoff};
use crate::error::{Result, StoreError};
use crate::item::{self, ItemBuilder, Revision, Stored};
use crate::keys::{self, sk};
use crate::ports::DatasetRepository;
use crate::records::{ItemAttributes, RecordSpec};

/// How many times a version write is retried after another writer took the number.
const VERSION_ATTEMPTS: u32 = 200;

/// What a stage knows about a version it wrote; the store gives it its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    /// Where the version came from.
    pub origin: VersionOrigin,
    /// The job that wrote it.
    pub job: JobId,
    /// SHA-256 (hex) of its `data.parquet`.
    pub data_sha256: String,
    /// Rows.
    pub row_count: u64,
    /// Columns.
    pub column_count: u32,
    /// Size of `data.parquet` in bytes.
    pub byte_size: u64,
}

fn dataset_spec(dataset: &Dataset, action: AuditAction) -> RecordSpec<'_> {
    RecordSpec {
        sk: sk::dataset(&dataset.id),
        kind: "dataset",
        entity: EntityKind::Dataset,
        id: dataset.id.to_string(),
        owner: &dataset.tenant,
        action,
    }
}

impl DatasetRepository for DynamoStore {
    async fn create_dataset(
        &self,
        scope: &TenantScope,
        dataset: Dataset,
        ctx: &WriteContext,
    ) -> Result<Stored<Dataset>> {
        let quota = self.quota_write(scope, Quota::Datasets, 1).await?;
        self.create_record(
            scope,
            dataset_spec(&dataset, AuditAction::DatasetCreated),
            dataset.clone(),
            ItemAttributes::default(),
            vec![quota],
            ctx,
        )
        .await
    }

    async fn get_dataset(&self, scope: &TenantScope, id: &DatasetId) -> Result<Stored<Dataset>> {
        self.get_record(scope, &sk::dataset(id), "dataset", id)
            .await
    }

    async fn list_datasets(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> Result<Page<Stored<Dataset>>> {
        self.list_records(scope, "datasets", "DATASET#", "dataset", page)
            .await
    }

    async fn update_dataset(
        &self,
        scope: &TenantScope,
        dataset: Dataset,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> Result<Stored<Dataset>> {
        self.replace_record(
            scope,
            dataset_spec(&dataset, action),
            dataset.clone(),
            expected,
            vec![],
            ctx,
        )
        .await
    }

    async fn add_version(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
        version: NewVersion,
        ctx: &WriteContext,
    ) -> Result<DatasetVersion> {
        check_sha256_hex(&version.data_sha256, "data_sha256")?;
        let pk = keys::tenant_pk(scope);
        for attempt in 0..VERSION_ATTEMPTS {
            let current = self.get_dataset(scope, dataset).await?;
            if current.record.status != DatasetStatus::Active {
                return Err(StoreError::conflict(
                    "dataset",
                    dataset,
                    format!("dataset is {}", current.record.status),
                ));
            }
            let number = current.record.next_version()?;
            let mut updated = current.record.clone();
            updated.latest_version = Some(number);
            let record = DatasetVersion {
                dataset: dataset.clone(),
                tenant: scope.tenant().clone(),
                version: number,
                origin: version.origin.clone(),
                job: version.job.clone(),
                data_sha256: version.data_sha256.clone(),
                row_count: version.row_count,
                column_count: version.column_count,
                byte_size: version.byte_size,
                created_at: ctx.at,
            };
            let version_id = format!("{dataset}#V{number}");
            let writes = vec![
                self.replace_write(
                    scope,
                    &sk::dataset(dataset),
                    "dataset",
                    dataset,
                    &updated,
                    current.revision,
                )?,
                self.put_new(
                    ItemBuilder::new(
                        &pk,
                        &sk::version(dataset, number),
                        "version",
                        Revision::FIRST,
                    )
                    .body(&record)?
                    .build(),
                    "version",
                    &version_id,
                )?,
            ];
            let entry = ctx.entry(
                AuditAction::VersionCreated,
                EntityRef::new(EntityKind::Version, &version_id),
                AuditDiff::created(audit_json(&record)?),
            );
            match self.commit(scope, writes, vec![entry]).await {
                Ok(_) => return Ok(record),
                // Another writer took this number: read again and take the next one.
                Err(StoreError::Conflict { .. }) => tokio::time::sleep(backoff(attempt)).await,
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::Transient {
            operation: "add_version",
            message: format!("lost the version-number race {VERSION_ATTEMPTS} times"),
        })
    }

    async fn get_version(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
        version: VersionNo,
    ) -> Result<DatasetVersion> {
        let stored: Stored<DatasetVersion> = self
            .get_record(
                scope,
                &sk::version(dataset, version),
                "version",
                format!("{dataset}#V{version}"),
            )
            .await?;
        Ok(stored.record)
    }

    async fn find_version(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
        origin: &VersionOrigin,
    ) -> Result<Option<DatasetVersion>> {
        let mut page = PageRequest::first(MAX_PAGE_SIZE);
        loop {
            let found = self.list_versions(scope, dataset, &page).await?;
            if let Some(version) = found.items.into_iter().find(|v| &v.origin == origin) {
                return Ok(Some(version));
            }
            match found.next_cursor {
                Some(cursor) => page = PageRequest::after(MAX_PAGE_SIZE, cursor),
                None => return Ok(None),
            }
        }
    }

    async fn list_versions(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
        page: &PageRequest,
    ) -> Result<Page<DatasetVersion>> {
        let listing = format!("versions:{dataset}");
        let raw = self
            .list_items(scope, &listing, &sk::versions_of(dataset), "version", page)
            .await?;
        let items = raw
            .items
            .iter()
            .map(|found| item::decode::<DatasetVersion>(found).map(|s| s.record))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor: raw.next_cursor,
        })
    }
}
