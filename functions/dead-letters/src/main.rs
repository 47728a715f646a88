//! Lambda entry point of `dead-letters`: wires tracing and the Step Functions client once per
//! cold start, then fails the task of every dead letter with [`dead_letters::DeadLetters`].

use aws_lambda_events::sqs::SqsEvent;
use dead_letters::DeadLetters;
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::LogLevel;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let clients = AwsClients::from_env().await;
    let dead_letters = DeadLetters::new(clients.sfn);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let dead_letters = &dead_letters;
        async move { Ok::<_, Error>(dead_letters.handle(event.payload).await) }
    }))
    .await
}
