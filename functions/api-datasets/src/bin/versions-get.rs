//! Lambda entry point of `GET /datasets/{dataset_id}/versions/{version}`: wires tracing, settings and the store once per cold
//! start, then serves every invocation with [`api_datasets::get_version`].

use api_datasets::{Datasets, DatasetsSettings, get_version};
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::{LogLevel, Settings};
use ida_runtime::tracing::log_cold_start_failure;
use ida_store::Store;
use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = DatasetsSettings::from_env().inspect_err(log_cold_start_failure)?;
    let clients = AwsClients::from_env().await;
    let store = Store::new(clients.dynamodb.clone(), clients.s3.clone(), settings.store);
    let state = Datasets::new(store);
    lambda_http::run(service_fn(|request| get_version(&state, request))).await
}
