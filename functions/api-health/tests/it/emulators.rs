//! The test environment: a freshly provisioned stack on the emulators and typed helpers to call
//! `GET /health` as API Gateway would.

use anyhow::Context;
use api_health::{Health, HealthSettings, get_health};
use ida_local::{Endpoints, LocalStack, ProvisionedStack};
use ida_runtime::settings::Settings;
use lambda_http::http::StatusCode;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The API Gateway event a deployed `GET /health` receives.
const GET_HEALTH_EVENT: &str = include_str!("../../../../events/api-health/get-health.json");

/// One provisioned stack and the emulators it lives on.
pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub local: LocalStack,
}

/// What `GET /health` answered.
pub struct HealthAnswer {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub correlation_id: String,
}

impl TestEnv {
    /// Provisions the template on the emulators; fails at once, saying how to start them, when
    /// they do not answer.
    pub async fn start() -> anyhow::Result<TestEnv> {
        let endpoints = Endpoints::from_env();
        require_listening(&endpoints.aws);
        require_listening(&endpoints.dynamodb);
        let local = LocalStack::connect(endpoints).await;
        let stack = local
            .provision()
            .await
            .context("provisioning infra/template.yaml")?;
        Ok(TestEnv { stack, local })
    }

    /// The health settings exactly as the template's function environment sets them.
    pub fn settings(&self) -> anyhow::Result<HealthSettings> {
        self.settings_with(|_| None)
    }

    /// The template's settings with some variables replaced.
    pub fn settings_with(
        &self,
        replace: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<HealthSettings> {
        let environment = &self.stack.function_environment;
        HealthSettings::from_lookup(|var| replace(var).or_else(|| environment.get(var).cloned()))
            .context("the template's function environment must satisfy the health settings")
    }

    /// The production checks, on the emulators' clients.
    pub fn health(&self, settings: &HealthSettings) -> Health {
        Health::on_aws(
            &self.stack.clients.dynamodb,
            &self.stack.clients.s3,
            settings,
        )
    }

    /// Deletes everything the stack made.
    pub async fn teardown(self) -> anyhow::Result<()> {
        self.stack
            .teardown()
            .await
            .context("teardown of the provisioned stack")
    }
}

/// Calls the handler with the sample API Gateway event.
pub async fn call_health(health: &Health) -> anyhow::Result<HealthAnswer> {
    let request = lambda_http::request::from_str(GET_HEALTH_EVENT).context("sample event")?;
    let response = get_health(health, request).await?;
    let correlation_id = response
        .headers()
        .get("x-correlation-id")
        .context("every response carries X-Correlation-Id")?
        .to_str()?
        .to_owned();
    Ok(HealthAnswer {
        status: response.status(),
        body: serde_json::from_slice(response.body().as_ref()).context("JSON body")?,
        correlation_id,
    })
}

/// Fails with instructions when nothing listens at `url` (an `http://host:port` endpoint).
fn require_listening(url: &str) {
    let authority = url
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let authority = authority.split('/').next().unwrap_or(authority);
    let reachable = authority.to_socket_addrs().is_ok_and(|mut addresses| {
        addresses
            .any(|address| TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok())
    });
    assert!(
        reachable,
        "no emulator answers at {url}: start them with `scripts/emulators up` \
         (AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_DYNAMODB choose other endpoints)"
    );
}
