//! The test environment: a provisioned stack, the routes' state on it, and registered tenants
//! whose members act through principals as the authorizer hands them on.

use anyhow::Context;
use api_keys::{ApiKeys, RecordsSettings, create_key, list_keys, revoke_key, rotate_key};
use ida_core::access::{AuthorizerContext, Subject};
use ida_core::id::{CorrelationId, UserId};
use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing};
use ida_core::tenancy::{DisplayName, Plan, Tenant};
use ida_core::user::{Email, User, UserStatus};
use ida_core::{Principal, Role};
use ida_local::{LocalStack, ProvisionedStack};
use ida_runtime::auth::Authenticator;
use ida_runtime::http::GatewayRequest;
use ida_runtime::settings::Settings;
use ida_store::{DynamoStore, WriteContext};
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;

pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub records: DynamoStore,
    pub state: ApiKeys,
    pub authenticator: Authenticator<DynamoStore>,
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
        let state = ApiKeys::on_aws(&stack.clients.dynamodb, &settings);
        let records = DynamoStore::new(
            stack.clients.dynamodb.clone(),
            settings.records_table.name(),
            settings.cursor_key.clone(),
        );
        let ring = KeyRing::generate(OffsetDateTime::now_utc())?;
        let tokens = AccessTokens::new(AccessTokenConfig::new("ida:test", "ida-api"), &ring)?;
        Ok(TestEnv {
            stack,
            authenticator: Authenticator::new(tokens, records.clone()),
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

    pub async fn create(&self, principal: &Principal, body: &Value) -> anyhow::Result<Answer> {
        let request = GatewayRequest::to_route("POST", "/api-keys")
            .principal(principal)
            .json(body);
        answer(create_key(&self.state, request.into_request()?).await?)
    }

    pub async fn list(
        &self,
        principal: &Principal,
        query: &[(&str, &str)],
    ) -> anyhow::Result<Answer> {
        let mut request = GatewayRequest::to_route("GET", "/api-keys").principal(principal);
        for (name, value) in query {
            request = request.query(name, value);
        }
        answer(list_keys(&self.state, request.into_request()?).await?)
    }

    pub async fn rotate(&self, principal: &Principal, key_id: &str) -> anyhow::Result<Answer> {
        let request = GatewayRequest::new(
            "POST",
            "/api-keys/{key_id}/rotate",
            &format!("/api-keys/{key_id}/rotate"),
        )
        .path_parameter("key_id", key_id)
        .principal(principal);
        answer(rotate_key(&self.state, request.into_request()?).await?)
    }

    pub async fn revoke(&self, principal: &Principal, key_id: &str) -> anyhow::Result<Answer> {
        let request = GatewayRequest::new(
            "DELETE",
            "/api-keys/{key_id}",
            &format!("/api-keys/{key_id}"),
        )
        .path_parameter("key_id", key_id)
        .principal(principal);
        answer(revoke_key(&self.state, request.into_request()?).await?)
    }

    /// The principal the authorizer would hand on for this API key, or its refusal.
    pub async fn verify_key(&self, key: &str) -> anyhow::Result<Result<Principal, String>> {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_str(key)?);
        Ok(self
            .authenticator
            .authenticate(&headers, OffsetDateTime::now_utc())
            .await
            .map_err(|error| error.code().to_owned()))
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
