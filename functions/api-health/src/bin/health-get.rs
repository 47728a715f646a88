//! Lambda entry point of `GET /health`: wires tracing, settings and AWS clients once per cold
//! start, then serves every invocation with [`api_health::get_health`].

use api_health::{Health, HealthSettings, get_health};
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::{LogLevel, Settings};
use ida_runtime::tracing::log_cold_start_failure;
use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = HealthSettings::from_env().inspect_err(log_cold_start_failure)?;
    let clients = AwsClients::from_env().await;
    let health = Health::on_aws(&clients.dynamodb, &clients.s3, &settings);
    lambda_http::run(service_fn(|request| get_health(&health, request))).await
}
