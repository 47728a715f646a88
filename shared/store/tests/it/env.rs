//! The test environment: a freshly provisioned stack, the store's adapters on it, and tenants
//! with verified principals to act as.

use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::id::{CorrelationId, ProjectId, UserId};
use ida_core::project::{Project, ProjectStatus};
use ida_core::tenancy::{DisplayName, Plan, Tenant};
use ida_core::user::{Email, User, UserStatus};
use ida_core::{Role, TenantScope};
use ida_local::{LocalStack, ProvisionedStack};
use ida_store::{
    CursorKey, ProjectRepository, Store, StoreSettings, Stored, TenantRepository, UserRepository,
    WriteContext,
};
use time::OffsetDateTime;

pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub store: Store,
}

/// A tenant with its owner, acting through a verified principal.
pub struct Acting {
    pub tenant: Tenant,
    pub principal: Principal,
    pub scope: TenantScope,
    pub owner: UserId,
}

impl Acting {
    pub fn ctx(&self) -> WriteContext {
        WriteContext::for_principal(
            &self.principal,
            CorrelationId::generate(),
            OffsetDateTime::now_utc(),
        )
    }

    pub fn project(&self, name: &str) -> Project {
        Project {
            id: ProjectId::generate(),
            tenant: self.tenant.id.clone(),
            name: DisplayName::parse(name).unwrap(),
            status: ProjectStatus::Active,
            created_by: self.owner.clone(),
            created_at: OffsetDateTime::now_utc(),
        }
    }

    pub fn user(&self, email: &str, role: Role) -> User {
        User {
            id: UserId::generate(),
            tenant: self.tenant.id.clone(),
            email: Email::parse(email).unwrap(),
            display_name: DisplayName::parse("Test User").unwrap(),
            role,
            status: UserStatus::Active,
            created_at: OffsetDateTime::now_utc(),
        }
    }
}

/// A verified principal as the authorizer hands it to routes.
pub fn principal_for(tenant: &Tenant, user: &UserId, role: Role) -> Principal {
    Principal::from_authorizer_context(AuthorizerContext {
        tenant: tenant.id.clone(),
        subject: Subject::User { user: user.clone() },
        role,
        scopes: None,
    })
    .unwrap()
}

impl TestEnv {
    pub async fn new() -> anyhow::Result<TestEnv> {
        let local = LocalStack::from_env().await;
        let stack = local.provision().await?;
        let settings = StoreSettings {
            records_table: stack.records_table.clone(),
            uploads_bucket: stack.uploads_bucket.clone(),
            artifacts_bucket: stack.artifacts_bucket.clone(),
            kms_key_id: stack.kms_key_arn.clone(),
            cursor_key: CursorKey::generate()?,
        };
        let store = Store::new(
            stack.clients.dynamodb.clone(),
            stack.clients.s3.clone(),
            settings,
        );
        Ok(TestEnv { stack, store })
    }

    /// A new tenant on `plan`, created by its owner.
    pub async fn tenant(&self, plan: Plan) -> anyhow::Result<Acting> {
        let tenant = Tenant::new(DisplayName::parse("Acme")?, plan, OffsetDateTime::now_utc());
        let owner = UserId::generate();
        let principal = principal_for(&tenant, &owner, Role::Owner);
        let scope = principal.scope();
        let acting = Acting {
            tenant: tenant.clone(),
            principal,
            scope,
            owner,
        };
        self.store
            .records
            .create_tenant(&acting.scope, tenant, &acting.ctx())
            .await?;
        Ok(acting)
    }

    /// A tenant whose owner is a stored user with a password.
    pub async fn tenant_with_owner(
        &self,
        email: &str,
        password: &str,
    ) -> anyhow::Result<(Acting, Stored<User>)> {
        let acting = self.tenant(Plan::Team).await?;
        let mut owner = acting.user(email, Role::Owner);
        owner.id = acting.owner.clone();
        let stored = self
            .store
            .records
            .create_user(&acting.scope, owner, Some(password), &acting.ctx())
            .await?;
        Ok((acting, stored))
    }

    pub async fn create_project(&self, acting: &Acting) -> anyhow::Result<Stored<Project>> {
        Ok(self
            .store
            .records
            .create_project(&acting.scope, acting.project("Sales"), &acting.ctx())
            .await?)
    }

    pub async fn teardown(self) -> anyhow::Result<()> {
        self.stack.teardown().await?;
        Ok(())
    }
}
