//! The test environment: a freshly provisioned stack, the routes' state on it, tenants with
//! verified principals, and typed helpers that call a route as API Gateway would.

use anyhow::Context;
use api_uploads::{Uploads, UploadsSettings};
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
    pub state: Uploads,
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
        let settings = UploadsSettings::from_lookup(|var| environment.get(var).cloned())?;
        let store = Store::new(
            stack.clients.dynamodb.clone(),
            stack.clients.s3.clone(),
            settings.store,
        );
        let state = Uploads::new(store.clone());
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

impl TestEnv {
    pub fn ctx(&self, who: &Principal) -> WriteContext {
        WriteContext::for_principal(who, CorrelationId::generate(), OffsetDateTime::now_utc())
    }

    /// A project of the tenant.
    pub async fn project(&self, tenancy: &Tenancy) -> anyhow::Result<ida_core::id::ProjectId> {
        use ida_core::id::ProjectId;
        use ida_core::project::{Project, ProjectStatus};
        use ida_store::ProjectRepository;
        let project = Project {
            id: ProjectId::generate(),
            tenant: tenancy.tenant.id.clone(),
            name: DisplayName::parse("Sales")?,
            status: ProjectStatus::Active,
            created_by: tenancy.owner.user().clone(),
            created_at: OffsetDateTime::now_utc(),
        };
        Ok(self
            .store
            .records
            .create_project(&tenancy.owner.scope(), project, &self.ctx(&tenancy.owner))
            .await?
            .record
            .id)
    }

    /// Sets the tenant's upload-bytes quota.
    pub async fn upload_quota(&self, tenancy: &Tenancy, bytes: u64) -> anyhow::Result<()> {
        let scope = tenancy.owner.scope();
        let mut limits = self.store.records.get_quota(&scope).await?.limits;
        limits.upload_bytes = bytes;
        self.store
            .records
            .set_quota_limits(&scope, limits, &self.ctx(&tenancy.owner))
            .await?;
        Ok(())
    }
}
