//! Lambda entry point of `upload-events`: wires tracing, settings and AWS clients once per cold
//! start, then handles every SQS batch of S3 notifications with [`upload_events::UploadEvents`].

use aws_lambda_events::sqs::SqsEvent;
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::{LogLevel, Settings};
use ida_runtime::tracing::log_cold_start_failure;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use upload_events::{UploadEvents, UploadEventsSettings};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = UploadEventsSettings::from_env().inspect_err(log_cold_start_failure)?;
    let clients = AwsClients::from_env().await;
    let upload_events = UploadEvents::new(&clients, settings);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let upload_events = &upload_events;
        async move { Ok::<_, Error>(upload_events.handle(event.payload).await) }
    }))
    .await
}
