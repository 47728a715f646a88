//! Lambda entry point of `PATCH /users/{user_id}`: wires tracing, settings and the records table once per
//! cold start, then serves every invocation with [`api_users::update_user`].

use api_users::{RecordsSettings, Users, update_user};
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::{LogLevel, Settings};
use ida_runtime::tracing::log_cold_start_failure;
use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = RecordsSettings::from_env().inspect_err(log_cold_start_failure)?;
    let clients = AwsClients::from_env().await;
    let state = Users::on_aws(&clients.dynamodb, &settings);
    lambda_http::run(service_fn(|request| update_user(&state, request))).await
}
