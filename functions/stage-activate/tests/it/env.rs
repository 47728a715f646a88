//! The test environment: a provisioned stack, the store on it, one tenant acting through a
//! verified principal, and uploads seeded as the upload route and upload-events leave them.

use std::time::Duration;

use anyhow::Context;
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::dataset::{Dataset, DatasetStatus};
use ida_core::id::{CorrelationId, DatasetId, JobId, ProjectId, UploadId, UserId, VersionNo};
use ida_core::job::{Job, JobStatus, Stage};
use ida_core::pipeline::{ExecutionInput, PipelineState};
use ida_core::project::{Project, ProjectStatus};
use ida_core::tenancy::{ApprovalMode, DisplayName, Plan, Tenant};
use ida_core::upload::{FileFormat, FileName, ScanStatus, Upload, UploadStatus};
use ida_core::{Role, TenantScope};
use ida_local::{LocalStack, ProvisionedStack};
use ida_runtime::stage_artifacts::VersionFiles;
use ida_store::{
    ArtifactKey, ArtifactStore, DatasetRepository, JobRepository, ProjectRepository, Store,
    StoreSettings, TenantRepository, UploadRepository, VersionFile, WriteContext,
};
use time::OffsetDateTime;

pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub store: Store,
    pub principal: Principal,
    pub scope: TenantScope,
    pub owner: UserId,
    pub project: ProjectId,
}

impl TestEnv {
    /// A fresh stack with one tenant whose policy uses `approval_mode`.
    pub async fn start(approval_mode: ApprovalMode) -> anyhow::Result<TestEnv> {
        let stack = LocalStack::from_env()
            .await
            .provision()
            .await
            .context("provisioning infra/template.yaml (are the emulators up?)")?;
        let environment = stack.function_environment.clone();
        let settings = StoreSettings::from_lookup(|var| environment.get(var).cloned())?;
        let store = Store::new(
            stack.clients.dynamodb.clone(),
            stack.clients.s3.clone(),
            settings,
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
        let mut env = TestEnv {
            stack,
            store,
            principal,
            scope,
            owner,
            project: ProjectId::generate(),
        };
        let records = &env.store.records;
        records
            .create_tenant(&env.scope, tenant.clone(), &env.ctx())
            .await?;
        let policy = records.get_policy(&env.scope).await?;
        let mut wanted = policy.record;
        wanted.approval_mode = approval_mode;
        records
            .set_policy(&env.scope, wanted, policy.revision, &env.ctx())
            .await?;
        let project = Project {
            id: ProjectId::generate(),
            tenant: tenant.id.clone(),
            name: DisplayName::parse("Sales")?,
            status: ProjectStatus::Active,
            created_by: env.owner.clone(),
            created_at: OffsetDateTime::now_utc(),
        };
        env.project = records
            .create_project(&env.scope, project, &env.ctx())
            .await?
            .record
            .id;
        Ok(env)
    }

    pub fn ctx(&self) -> WriteContext {
        WriteContext::for_principal(
            &self.principal,
            CorrelationId::generate(),
            OffsetDateTime::now_utc(),
        )
    }

    /// Seeds a new dataset, an accepted upload of `bytes` named `file_name` (in the uploads
    /// bucket) and its queued job; returns the state the first stage receives.
    pub async fn upload(&self, file_name: &str, bytes: Vec<u8>) -> anyhow::Result<PipelineState> {
        self.upload_scanned(file_name, bytes, ScanStatus::NotScanned)
            .await
    }

    /// [`TestEnv::upload`] with the malware scan's verdict.
    pub async fn upload_scanned(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
        scan: ScanStatus,
    ) -> anyhow::Result<PipelineState> {
        let records = &self.store.records;
        let now = OffsetDateTime::now_utc();
        let dataset = Dataset {
            id: DatasetId::generate(),
            tenant: self.scope.tenant().clone(),
            project: self.project.clone(),
            name: DisplayName::parse(file_name)?,
            status: DatasetStatus::Active,
            active_version: None,
            latest_version: None,
            created_by: self.owner.clone(),
            created_at: now,
        };
        let dataset = records
            .create_dataset(&self.scope, dataset, &self.ctx())
            .await?
            .record;
        let name = FileName::parse(file_name)?;
        let format = FileFormat::from_file_name(&name)?;
        let upload = Upload {
            id: UploadId::generate(),
            tenant: self.scope.tenant().clone(),
            project: self.project.clone(),
            dataset: Some(dataset.id.clone()),
            file_name: name.clone(),
            format,
            declared_content_type: format
                .accepted_mime_types()
                .first()
                .copied()
                .unwrap_or_default()
                .to_owned(),
            declared_bytes: bytes.len() as u64,
            status: UploadStatus::Accepted,
            scan,
            created_by: self.owner.clone(),
            created_at: now,
            expires_at: now + Duration::from_secs(900),
        };
        let upload = records
            .create_upload(&self.scope, upload, &self.ctx())
            .await?
            .record;
        self.store
            .artifacts
            .put_artifact(
                &self.scope,
                &ArtifactKey::upload(&self.scope, &upload.id, &name),
                bytes,
                &upload.declared_content_type,
            )
            .await?;
        let job = Job {
            id: JobId::generate(),
            tenant: self.scope.tenant().clone(),
            upload: upload.id.clone(),
            dataset: dataset.id.clone(),
            recipe: None,
            stage: Stage::Parse,
            status: JobStatus::Queued,
            failure: None,
            created_by: self.owner.clone(),
            created_at: now,
            updated_at: now,
            progress: Default::default(),
        };
        let job = records
            .create_job(&self.scope, job, &self.ctx())
            .await?
            .record;
        Ok(PipelineState {
            input: ExecutionInput {
                ticket: self.scope.pipeline_ticket(job.id),
                upload: upload.id,
                dataset: dataset.id,
                attempt: 1,
                resume_from: Stage::Parse,
            },
            parse: None,
            profile: None,
            plan: None,
            approval: None,
            transform: None,
            activate: None,
            failure: None,
        })
    }

    /// A file of version `n` of the state's dataset.
    pub async fn version_file(
        &self,
        state: &PipelineState,
        n: u32,
        file: VersionFile,
    ) -> anyhow::Result<Vec<u8>> {
        let files = VersionFiles::new(
            &self.store.artifacts,
            &self.scope,
            &state.input.dataset,
            VersionNo::new(n)?,
        );
        Ok(files.get(file).await?)
    }

    pub async fn job(&self, state: &PipelineState) -> anyhow::Result<Job> {
        Ok(self
            .store
            .records
            .get_job(&self.scope, state.input.ticket.job())
            .await?
            .record)
    }

    pub async fn version_count(&self, state: &PipelineState) -> anyhow::Result<usize> {
        Ok(self
            .store
            .records
            .list_versions(
                &self.scope,
                &state.input.dataset,
                &ida_store::PageRequest::first(100),
            )
            .await?
            .items
            .len())
    }

    pub async fn teardown(self) -> anyhow::Result<()> {
        self.stack.teardown().await?;
        Ok(())
    }
}

/// A file from the repository's `examples/` folder.
pub fn example(name: &str) -> anyhow::Result<Vec<u8>> {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).with_context(|| format!("reading {path}"))
}

/// A file from the data engine's test fixtures.
pub fn fixture(name: &str) -> anyhow::Result<Vec<u8>> {
    let path = format!(
        "{}/../../shared/data/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).with_context(|| format!("reading {path}"))
}
