//! The test environment: a provisioned stack, a tenant with a project and a dataset, and the
//! `upload-events` handler drained from the real upload-events queue by the local host.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use ida_core::Role;
use ida_core::TenantScope;
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::dataset::{Dataset, DatasetStatus};
use ida_core::id::{CorrelationId, DatasetId, JobId, ProjectId, UploadId, UserId};
use ida_core::job::Job;
use ida_core::project::{Project, ProjectStatus};
use ida_core::tenancy::{DisplayName, Plan, Tenant};
use ida_core::upload::{FileFormat, FileName, ScanStatus, Upload, UploadStatus};
use ida_local::pipeline_host::{PipelineHost, QueueBinding};
use ida_local::{LocalStack, PipelineQueue, ProvisionedStack};
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::Settings;
use ida_store::ports::{
    DatasetRepository, JobRepository, ProjectRepository, TenantRepository, UploadRepository,
};
use ida_store::{ArtifactKey, Store, StoreError, StoreSettings, WriteContext};
use time::OffsetDateTime;
use upload_events::{UploadEvents, UploadEventsSettings, job_for_upload};

pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub store: Store,
    pub handler: Arc<UploadEvents>,
    host: Option<PipelineHost>,
    pub principal: Principal,
    pub scope: TenantScope,
    pub dataset: DatasetId,
    project: ProjectId,
}

impl TestEnv {
    pub async fn start() -> anyhow::Result<TestEnv> {
        let local = LocalStack::from_env().await;
        let stack = local.provision().await?;
        let environment = stack.environment_of("UploadEventsFunction")?;
        let settings = UploadEventsSettings::from_lookup(|var| environment.get(var).cloned())
            .context("the template's environment of UploadEventsFunction")?;
        let clients = AwsClients {
            s3: stack.clients.s3.clone(),
            dynamodb: stack.clients.dynamodb.clone(),
            sqs: stack.clients.sqs.clone(),
            sfn: stack.clients.sfn.clone(),
        };
        let store = Store::new(
            clients.dynamodb.clone(),
            clients.s3.clone(),
            StoreSettings::from_lookup(|var| environment.get(var).cloned())?,
        );
        let handler = Arc::new(UploadEvents::new(&clients, settings));
        let queue = stack.queue(PipelineQueue::UploadEvents)?.queue.clone();
        let host = PipelineHost::start(
            stack.clients.sqs.clone(),
            &local.endpoints.region,
            vec![QueueBinding::new(
                queue,
                upload_events::queue_handler(Arc::clone(&handler)),
                10,
            )],
        );

        let tenant = Tenant::new(
            DisplayName::parse("Acme")?,
            Plan::Team,
            OffsetDateTime::now_utc(),
        );
        let owner = UserId::generate();
        let principal = Principal::from_authorizer_context(AuthorizerContext {
            tenant: tenant.id.clone(),
            subject: Subject::User {
                user: owner.clone(),
            },
            role: Role::Owner,
            scopes: None,
        })?;
        let scope = principal.scope();
        let ctx = context(&principal);
        store
            .records
            .create_tenant(&scope, tenant.clone(), &ctx)
            .await?;
        let project = Project {
            id: ProjectId::generate(),
            tenant: tenant.id.clone(),
            name: DisplayName::parse("Sales")?,
            status: ProjectStatus::Active,
            created_by: owner.clone(),
            created_at: OffsetDateTime::now_utc(),
        };
        store
            .records
            .create_project(&scope, project.clone(), &ctx)
            .await?;
        let dataset = Dataset {
            id: DatasetId::generate(),
            tenant: tenant.id.clone(),
            project: project.id.clone(),
            name: DisplayName::parse("Orders")?,
            status: DatasetStatus::Active,
            active_version: None,
            latest_version: None,
            created_by: owner.clone(),
            created_at: OffsetDateTime::now_utc(),
        };
        store
            .records
            .create_dataset(&scope, dataset.clone(), &ctx)
            .await?;
        Ok(TestEnv {
            stack,
            store,
            handler,
            host: Some(host),
            principal,
            scope,
            dataset: dataset.id,
            project: project.id,
        })
    }

    /// Creates an upload record as `POST /uploads` does, then puts `bytes` at its key (the
    /// client's presigned PUT); S3 notifies the upload-events queue.
    pub async fn upload(
        &self,
        file: &str,
        content_type: &str,
        declared_bytes: u64,
        bytes: Vec<u8>,
    ) -> anyhow::Result<Upload> {
        let file_name = FileName::parse(file)?;
        let now = OffsetDateTime::now_utc();
        let upload = Upload {
            id: UploadId::generate(),
            tenant: self.scope.tenant().clone(),
            project: self.project.clone(),
            dataset: Some(self.dataset.clone()),
            format: FileFormat::from_file_name(&file_name)?,
            file_name: file_name.clone(),
            declared_content_type: content_type.to_owned(),
            declared_bytes,
            status: UploadStatus::AwaitingBytes,
            scan: ScanStatus::NotScanned,
            created_by: self.principal.user().clone(),
            created_at: now,
            expires_at: now + time::Duration::minutes(15),
        };
        self.store
            .records
            .create_upload(&self.scope, upload.clone(), &context(&self.principal))
            .await?;
        let key = ArtifactKey::upload(&self.scope, &upload.id, &file_name);
        self.stack
            .clients
            .s3
            .put_object()
            .bucket(&self.stack.uploads_bucket)
            .key(key.as_str())
            .content_type(content_type)
            .body(bytes.into())
            .send()
            .await?;
        Ok(upload)
    }

    /// The upload's job once upload-events has decided it (waits for the notification).
    pub async fn decided_job(&self, upload: &UploadId) -> anyhow::Result<Job> {
        let job = job_for_upload(upload)?;
        for _ in 0..80 {
            match self.store.records.get_job(&self.scope, &job).await {
                Ok(stored) if stored.record.status != ida_core::job::JobStatus::Queued => {
                    return Ok(stored.record);
                }
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        bail!("no decided job for {upload} after 20 s")
    }

    pub async fn upload_record(&self, upload: &UploadId) -> anyhow::Result<Upload> {
        Ok(self
            .store
            .records
            .get_upload(&self.scope, upload)
            .await?
            .record)
    }

    /// The names of the state machine's executions.
    pub async fn executions(&self) -> anyhow::Result<Vec<String>> {
        let listed = self
            .stack
            .clients
            .sfn
            .list_executions()
            .state_machine_arn(self.stack.state_machine_arn()?)
            .send()
            .await?;
        Ok(listed
            .executions()
            .iter()
            .map(|e| e.name().to_owned())
            .collect())
    }

    pub fn job_id(&self, upload: &UploadId) -> anyhow::Result<JobId> {
        Ok(job_for_upload(upload)?)
    }

    pub async fn teardown(mut self) -> anyhow::Result<()> {
        if let Some(host) = self.host.take() {
            host.shutdown().await?;
        }
        self.stack.teardown().await?;
        Ok(())
    }
}

fn context(principal: &Principal) -> WriteContext {
    WriteContext::for_principal(
        principal,
        CorrelationId::generate(),
        OffsetDateTime::now_utc(),
    )
}
