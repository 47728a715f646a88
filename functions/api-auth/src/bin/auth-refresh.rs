//! Lambda entry point of `POST /auth/refresh`: wires tracing, settings, the records table and the
//! signing key ring once per cold start, then serves every invocation with
//! [`api_auth::refresh`].

use api_auth::{SessionSettings, Sessions, access_tokens, records_store, refresh};
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::{LogLevel, Settings};
use ida_runtime::tracing::log_cold_start_failure;
use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = SessionSettings::from_env().inspect_err(log_cold_start_failure)?;
    let tokens = access_tokens(&settings.tokens)
        .await
        .inspect_err(log_cold_start_failure)?;
    let clients = AwsClients::from_env().await;
    let sessions = Sessions::new(records_store(&clients.dynamodb, &settings.records), tokens);
    lambda_http::run(service_fn(|request| refresh(&sessions, request))).await
}
