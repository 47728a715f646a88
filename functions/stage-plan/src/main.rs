//! Lambda entry point of `stage-plan`: wires tracing, settings and AWS clients once per cold start,
//! then runs [`stage_plan::PlanStage`] on every SQS batch of its queue through the callback-worker harness.
// The worker's future nests the stage, the store and the SDK calls deeper than the default
// layout limit.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use ida_runtime::RuntimeError;
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::LogLevel;
use ida_runtime::tracing::log_cold_start_failure;
use ida_runtime::worker::CallbackWorker;
use ida_store::{Store, StoreSettings};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use stage_plan::PlanStage;

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = StoreSettings::from_env()
        .map_err(RuntimeError::from)
        .inspect_err(log_cold_start_failure)?;
    let clients = AwsClients::from_env().await;
    let store = Store::new(clients.dynamodb.clone(), clients.s3.clone(), settings);
    let worker = CallbackWorker::new(clients.sfn.clone(), PlanStage::new(store));
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(worker.handle(event.payload).await)
    }))
    .await
}
