//! The test environment: a freshly provisioned stack, the routes' state on it, tenants with
//! verified principals, and typed helpers that call a route as API Gateway would.

use anyhow::Context;
use api_datasets::{Datasets, DatasetsSettings};
use ida_core::Role;
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::id::{CorrelationId, UserId};
use ida_core::tenancy::{DisplayName, Plan, Tenant};
use ida_local::{LocalStack, ProvisionedStack};
use ida_runtime::http::GatewayRequest;
use ida_runtime::settings::Settings;
use ida_store::{Store, TenantRepository, WriteContext};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::Value;
use time::OffsetDateTime;

pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub store: Store,
    pub state: Datasets,
}

/// A tenant and its owner.
pub struct Tenancy {
    pub tenant: Tenant,
    pub owner: Principal,
}

impl Tenancy {
    /// Another user of the same tenant with `role`.
    pub fn member(&self, role: Role) -> Principal {
        principal(&self.tenant, role)
    }
}

/// What a route answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub response: Response<Body>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    }
}

pub fn principal(tenant: &Tenant, role: Role) -> Principal {
    Principal::from_authorizer_context(AuthorizerContext {
        tenant: tenant.id.clone(),
        subject: Subject::User {
            user: UserId::generate(),
        },
        role,
        scopes: None,
    })
    .unwrap()
}

impl TestEnv {
    pub async fn start() -> anyhow::Result<TestEnv> {
        let stack = LocalStack::from_env()
            .await
            .provision()
            .await
            .context("provisioning infra/template.yaml")?;
        let environment = &stack.function_environment;
        let settings = DatasetsSettings::from_lookup(|var| environment.get(var).cloned())?;
        let store = Store::new(
            stack.clients.dynamodb.clone(),
            stack.clients.s3.clone(),
            settings.store,
        );
        let state = Datasets::new(store.clone());
        Ok(TestEnv {
            stack,
            store,
            state,
        })
    }

    pub async fn tenant(&self) -> anyhow::Result<Tenancy> {
        let tenant = Tenant::new(
            DisplayName::parse("Acme")?,
            Plan::Team,
            OffsetDateTime::now_utc(),
        );
        let owner = principal(&tenant, Role::Owner);
        let ctx = WriteContext::for_principal(
            &owner,
            CorrelationId::generate(),
            OffsetDateTime::now_utc(),
        );
        self.store
            .records
            .create_tenant(&owner.scope(), tenant.clone(), &ctx)
            .await?;
        Ok(Tenancy { tenant, owner })
    }

    pub async fn teardown(self) -> anyhow::Result<()> {
        self.stack.teardown().await.context("teardown")
    }
}

/// Turns a handler's response into an [`Answer`].
pub fn answer(response: Response<Body>) -> Answer {
    let body = match response.body() {
        Body::Empty => Value::Null,
        other => serde_json::from_slice(other.as_ref()).unwrap_or(Value::Null),
    };
    Answer {
        status: response.status(),
        body,
        response,
    }
}

/// A request as `principal` to a route.
pub fn as_principal(request: GatewayRequest, principal: &Principal) -> lambda_http::Request {
    request.principal(principal).into_request().unwrap()
}

/// A dataset of `Tenancy` with versions 1 and 2 (2 active) and some of their files.
pub struct Seeded {
    pub project: ida_core::id::ProjectId,
    pub dataset: ida_core::id::DatasetId,
    /// The bytes of each version's `data.parquet`.
    pub data: [Vec<u8>; 2],
}

impl TestEnv {
    pub fn ctx(&self, who: &Principal) -> WriteContext {
        WriteContext::for_principal(who, CorrelationId::generate(), OffsetDateTime::now_utc())
    }

    /// Sets the tenant's four-eyes rule.
    pub async fn four_eyes(&self, tenancy: &Tenancy, on: bool) -> anyhow::Result<()> {
        let scope = tenancy.owner.scope();
        let current = self.store.records.get_policy(&scope).await?;
        let mut policy = current.record;
        policy.four_eyes = on;
        self.store
            .records
            .set_policy(&scope, policy, current.revision, &self.ctx(&tenancy.owner))
            .await?;
        Ok(())
    }

    /// A project with a dataset whose versions 1 and 2 exist, 2 active; version 1 has data,
    /// schema and profile files, version 2 data, recipe and diff.
    pub async fn seed(&self, tenancy: &Tenancy, name: &str) -> anyhow::Result<Seeded> {
        use ida_core::dataset::{Dataset, DatasetStatus, VersionOrigin};
        use ida_core::id::{DatasetId, JobId, ProjectId, UploadId, VersionNo};
        use ida_core::project::{Project, ProjectStatus};
        use ida_store::datasets::NewVersion;
        use ida_store::{
            ArtifactKey, ArtifactStore, DatasetRepository, ProjectRepository, VersionFile,
        };
        use sha2::{Digest, Sha256};

        let owner = &tenancy.owner;
        let scope = owner.scope();
        let now = OffsetDateTime::now_utc();
        let project = Project {
            id: ProjectId::generate(),
            tenant: tenancy.tenant.id.clone(),
            name: DisplayName::parse("Sales")?,
            status: ProjectStatus::Active,
            created_by: owner.user().clone(),
            created_at: now,
        };
        let project = self
            .store
            .records
            .create_project(&scope, project, &self.ctx(owner))
            .await?
            .record
            .id;
        let dataset = Dataset {
            id: DatasetId::generate(),
            tenant: tenancy.tenant.id.clone(),
            project: project.clone(),
            name: DisplayName::parse(name)?,
            status: DatasetStatus::Active,
            active_version: None,
            latest_version: None,
            created_by: owner.user().clone(),
            created_at: now,
        };
        let id = dataset.id.clone();
        self.store
            .records
            .create_dataset(&scope, dataset, &self.ctx(owner))
            .await?;
        let data = [
            format!("PAR1 {name} version one").into_bytes(),
            format!("PAR1 {name} version two, cleaned").into_bytes(),
        ];
        let files = [
            [VersionFile::Data, VersionFile::Schema, VersionFile::Profile],
            [VersionFile::Data, VersionFile::Recipe, VersionFile::Diff],
        ];
        for (index, (bytes, files)) in data.iter().zip(files).enumerate() {
            let version = NewVersion {
                origin: VersionOrigin::Upload {
                    upload: UploadId::generate(),
                },
                job: JobId::generate(),
                data_sha256: hex::encode(Sha256::digest(bytes)),
                row_count: 10 + index as u64,
                column_count: 3,
                byte_size: bytes.len() as u64,
            };
            let written = self
                .store
                .records
                .add_version(&scope, &id, version, &self.ctx(owner))
                .await?;
            assert_eq!(written.version, VersionNo::new(index as u32 + 1)?);
            for file in files {
                let key = ArtifactKey::version_file(&scope, &id, written.version, file);
                let body = match file {
                    VersionFile::Data => bytes.clone(),
                    _ => b"{}".to_vec(),
                };
                self.store
                    .artifacts
                    .put_artifact(&scope, &key, body, file.content_type())
                    .await?;
            }
        }
        let current = self.store.records.get_dataset(&scope, &id).await?;
        let mut active = current.record.clone();
        active.activate(VersionNo::new(2)?)?;
        self.store
            .records
            .update_dataset(
                &scope,
                active,
                current.revision,
                ida_core::audit::AuditAction::VersionActivated,
                &self.ctx(owner),
            )
            .await?;
        Ok(Seeded {
            project,
            dataset: id,
            data,
        })
    }
}
