//! Lambda entry point of `POST /jobs/{job_id}/retry`: wires tracing, settings and AWS clients once per cold
//! start, then serves every invocation with [`api_jobs::retry_job`].

use api_jobs::{Jobs, JobsSettings, retry_job};
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::{LogLevel, Settings};
use ida_runtime::tracing::log_cold_start_failure;
use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = JobsSettings::from_env().inspect_err(log_cold_start_failure)?;
    let clients = AwsClients::from_env().await;
    let jobs = Jobs::on_aws(&clients.dynamodb, &clients.sfn, &settings);
    lambda_http::run(service_fn(|request| retry_job(&jobs, request))).await
}
