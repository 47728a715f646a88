//! Lambda entry point of `GET /audit/verify`: wires tracing, settings and the DynamoDB client once per
//! cold start, then serves every invocation with [`api_audit::verify_audit`].

use api_audit::{Audit, AuditSettings, verify_audit};
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::{LogLevel, Settings};
use ida_runtime::tracing::log_cold_start_failure;
use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = AuditSettings::from_env().inspect_err(log_cold_start_failure)?;
    let clients = AwsClients::from_env().await;
    let audit = Audit::on_aws(&clients.dynamodb, &settings);
    lambda_http::run(service_fn(|request| verify_audit(&audit, request))).await
}
