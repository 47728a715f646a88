//! The test environment: a provisioned stack, the routes' state on it, and registered tenants
//! whose members act through principals as the authorizer hands them on.

use anyhow::Context;
use api_tenant::{RecordsSettings, TenantSettingsState, get_tenant, put_policy};
use ida_core::access::{AuthorizerContext, Subject};
use ida_core::id::{CorrelationId, UserId};
use ida_core::tenancy::{DisplayName, Plan, Tenant};
use ida_core::user::{Email, User, UserStatus};
use ida_core::{Principal, Role};
use ida_local::{LocalStack, ProvisionedStack};
use ida_runtime::http::GatewayRequest;
use ida_runtime::settings::Settings;
use ida_store::{DynamoStore, WriteContext};
use lambda_http::http::{HeaderMap, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;

pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub records: DynamoStore,
    pub state: TenantSettingsState,
}

/// A registered tenant.
pub struct Registered {
    pub tenant: Tenant,
    pub owner: Principal,
}

impl Registered {
    /// A principal of this tenant with `role`, as the authorizer would hand it on.
    pub fn as_role(&self, role: Role) -> anyhow::Result<Principal> {
        Ok(Principal::from_authorizer_context(AuthorizerContext {
            tenant: self.tenant.id.clone(),
            subject: Subject::User {
                user: UserId::generate(),
            },
            role,
            scopes: None,
        })?)
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: HeaderMap,
}

impl TestEnv {
    pub async fn start() -> anyhow::Result<TestEnv> {
        let stack = LocalStack::from_env()
            .await
            .provision()
            .await
            .context("provisioning infra/template.yaml")?;
        let environment = stack.function_environment.clone();
        let settings = RecordsSettings::from_lookup(|var| environment.get(var).cloned())?;
        let state = TenantSettingsState::on_aws(&stack.clients.dynamodb, &settings);
        let records = DynamoStore::new(
            stack.clients.dynamodb.clone(),
            settings.records_table.name(),
            settings.cursor_key.clone(),
        );
        Ok(TestEnv {
            stack,
            records,
            state,
        })
    }

    /// A new tenant with its owner, registered as `POST /auth/register` does.
    pub async fn register(&self, name: &str, email: &str) -> anyhow::Result<Registered> {
        let now = OffsetDateTime::now_utc();
        let tenant = Tenant::new(DisplayName::parse(name)?, Plan::Free, now);
        let owner = User {
            id: UserId::generate(),
            tenant: tenant.id.clone(),
            email: Email::parse(email)?,
            display_name: DisplayName::parse("Owner")?,
            role: Role::Owner,
            status: UserStatus::Active,
            created_at: now,
        };
        let principal = Principal::founding_owner(&tenant, &owner)?;
        let ctx = WriteContext::for_principal(&principal, CorrelationId::generate(), now);
        self.records
            .register_tenant(
                &principal.scope(),
                tenant.clone(),
                owner,
                "a long passphrase 42",
                &ctx,
            )
            .await?;
        Ok(Registered {
            tenant,
            owner: principal,
        })
    }

    pub async fn get(&self, principal: &Principal) -> anyhow::Result<Answer> {
        let request = GatewayRequest::to_route("GET", "/tenant").principal(principal);
        answer(get_tenant(&self.state, request.into_request()?).await?)
    }

    pub async fn put(
        &self,
        principal: &Principal,
        if_match: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<Answer> {
        let mut request = GatewayRequest::to_route("PUT", "/tenant/policy")
            .principal(principal)
            .json(body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        answer(put_policy(&self.state, request.into_request()?).await?)
    }

    pub async fn teardown(self) -> anyhow::Result<()> {
        self.stack.teardown().await.context("teardown")
    }
}

fn answer(response: lambda_http::Response<lambda_http::Body>) -> anyhow::Result<Answer> {
    let body = if response.body().as_ref().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(response.body().as_ref()).context("JSON body")?
    };
    Ok(Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body,
    })
}
