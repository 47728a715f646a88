//! Lambda entry point of the REQUEST authorizer: wires tracing, settings, the key ring and the
//! records table once per cold start, then answers every invocation with
//! [`api_authorizer::handle`].

use api_authorizer::{Authorizer, AuthorizerSettings, access_tokens, handle};
use aws_config::BehaviorVersion;
use ida_runtime::settings::{LogLevel, Settings};
use ida_runtime::tracing::log_cold_start_failure;
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = AuthorizerSettings::from_env().inspect_err(log_cold_start_failure)?;
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let tokens = access_tokens(&settings.tokens, &secrets)
        .await
        .inspect_err(log_cold_start_failure)?;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let authorizer = Authorizer::on_aws(tokens, dynamodb, &settings.records_table)
        .inspect_err(log_cold_start_failure)?;
    lambda_runtime::run(service_fn(|event| handle(&authorizer, event))).await
}
