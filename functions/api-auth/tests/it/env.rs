//! The test environment: a provisioned stack, the auth routes' state on it with a fresh key
//! ring, and typed helpers that call the handlers as API Gateway would.

use anyhow::Context;
use api_auth::{
    Accounts, RecordsSettings, Sessions, login, logout, records_store, refresh, register,
};
use ida_core::Principal;
use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing};
use ida_local::{LocalStack, ProvisionedStack};
use ida_runtime::auth::Authenticator;
use ida_runtime::http::GatewayRequest;
use ida_runtime::settings::Settings;
use ida_store::DynamoStore;
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;

pub const ISSUER: &str = "ida:test";
pub const AUDIENCE: &str = "ida-api";

pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub accounts: Accounts,
    pub sessions: Sessions,
    pub authenticator: Authenticator<DynamoStore>,
}

/// What a route answered.
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
        let records = records_store(&stack.clients.dynamodb, &settings);
        let ring = KeyRing::generate(OffsetDateTime::now_utc())?;
        let tokens = || AccessTokens::new(AccessTokenConfig::new(ISSUER, AUDIENCE), &ring);
        Ok(TestEnv {
            accounts: Accounts::new(records.clone()),
            sessions: Sessions::new(records.clone(), tokens()?),
            authenticator: Authenticator::new(tokens()?, records),
            stack,
        })
    }

    pub async fn register(
        &self,
        tenant: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<Answer> {
        let body = json!({"tenant_name": tenant, "email": email, "password": password});
        let request = GatewayRequest::to_route("POST", "/auth/register").json(&body);
        answer(register(&self.accounts, request.into_request()?).await?)
    }

    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<Answer> {
        let body = json!({"email": email, "password": password});
        let request = GatewayRequest::to_route("POST", "/auth/login").json(&body);
        answer(login(&self.sessions, request.into_request()?).await?)
    }

    pub async fn refresh(&self, refresh_token: &str) -> anyhow::Result<Answer> {
        let request = GatewayRequest::to_route("POST", "/auth/refresh")
            .json(&json!({"refresh_token": refresh_token}));
        answer(refresh(&self.sessions, request.into_request()?).await?)
    }

    pub async fn logout(
        &self,
        principal: &Principal,
        refresh_token: &str,
    ) -> anyhow::Result<Answer> {
        let request = GatewayRequest::to_route("POST", "/auth/logout")
            .principal(principal)
            .json(&json!({"refresh_token": refresh_token}));
        answer(logout(&self.accounts, request.into_request()?).await?)
    }

    /// The principal the authorizer would hand on for this access token.
    pub async fn verify(&self, access_token: &str) -> anyhow::Result<Principal> {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {access_token}"))?,
        );
        Ok(self
            .authenticator
            .authenticate(&headers, OffsetDateTime::now_utc())
            .await?)
    }

    /// Registers a tenant and logs its owner in; returns the login answer's body.
    pub async fn owner_session(&self, email: &str, password: &str) -> anyhow::Result<Value> {
        let registered = self.register("Acme", email, password).await?;
        anyhow::ensure!(registered.status == StatusCode::CREATED, "{:?}", registered);
        let login = self.login(email, password).await?;
        anyhow::ensure!(login.status == StatusCode::OK, "{:?}", login);
        Ok(login.body)
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
