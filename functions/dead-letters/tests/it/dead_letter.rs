//! A dead letter's task is failed with `Ida.DeadLetter`, and the execution goes straight to
//! RecordFailure with the queue's name in the cause.

use anyhow::Context;
use aws_lambda_events::sqs::SqsMessage;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use dead_letters::{DeadLetters, Disposal};
use ida_core::Role;
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::id::{DatasetId, JobId, TenantId, UploadId, UserId};
use ida_core::job::Stage;
use ida_core::pipeline::{ExecutionInput, StageMessage, upload_execution_name};
use ida_local::{LocalStack, PipelineQueue, ProvisionedStack};
use serde_json::json;
use std::time::Duration;

fn execution_input() -> anyhow::Result<ExecutionInput> {
    let principal = Principal::from_authorizer_context(AuthorizerContext {
        tenant: TenantId::generate(),
        subject: Subject::User {
            user: UserId::generate(),
        },
        role: Role::Member,
        scopes: None,
    })?;
    Ok(ExecutionInput {
        ticket: principal.scope().pipeline_ticket(JobId::generate()),
        upload: UploadId::generate(),
        dataset: DatasetId::generate(),
        attempt: 1,
        resume_from: Stage::Parse,
    })
}

/// Waits for one message on `queue` and returns it with its system attributes.
async fn receive(
    stack: &ProvisionedStack,
    queue: &str,
) -> anyhow::Result<aws_sdk_sqs::types::Message> {
    for _ in 0..20 {
        let received = stack
            .clients
            .sqs
            .receive_message()
            .queue_url(queue)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await?;
        if let Some(message) = received.messages.unwrap_or_default().into_iter().next() {
            return Ok(message);
        }
    }
    anyhow::bail!("no message arrived on {queue}")
}

async fn run(stack: &ProvisionedStack) -> anyhow::Result<()> {
    let input = execution_input()?;
    stack
        .clients
        .sfn
        .start_execution()
        .state_machine_arn(stack.state_machine_arn()?)
        .name(upload_execution_name(&input.upload))
        .input(serde_json::to_string(&input)?)
        .send()
        .await?;
    let parse = stack.queue(PipelineQueue::Parse)?;
    let sent = receive(stack, &parse.queue.url).await?;
    // What Lambda hands the function after the redrive: the body, the DLQ as the source of the
    // event, the stage queue in DeadLetterQueueSourceArn.
    let mut dead = SqsMessage::default();
    dead.message_id = sent.message_id.clone();
    dead.body = sent.body.clone();
    dead.event_source_arn = Some(parse.dead_letter.arn.clone());
    dead.attributes
        .insert("DeadLetterQueueSourceArn".into(), parse.queue.arn.clone());
    dead.attributes
        .insert("ApproximateReceiveCount".into(), "5".into());

    let dead_letters = DeadLetters::new(stack.clients.sfn.clone());
    assert_eq!(dead_letters.dispose(&dead).await, Disposal::TaskFailed);

    let record_failure = stack.queue(PipelineQueue::RecordFailure)?;
    let message = receive(stack, &record_failure.queue.url).await?;
    let stage: StageMessage =
        serde_json::from_str(message.body().context("a RecordFailure body")?)?;
    assert_eq!(stage.state.input, input);
    let failure = stage.state.failure.context("the Catch stores $.failure")?;
    assert_eq!(failure.get("Error"), Some(&json!("Ida.DeadLetter")));
    let cause: serde_json::Value = serde_json::from_str(
        failure
            .get("Cause")
            .and_then(|cause| cause.as_str())
            .context("a Cause text")?,
    )?;
    assert_eq!(cause.get("code"), Some(&json!("dead_letter")));
    assert_eq!(
        cause
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_owned),
        Some(format!(
            "the stage message on queue {} was received 5 times without an answer and moved to its dead-letter queue",
            parse.queue.name
        ))
    );

    // A second delivery of the same dead letter is acknowledged, never left to loop. AWS
    // answers TaskTimedOut for the ended task; LocalStack accepts the second failure silently.
    let again = dead_letters.dispose(&dead).await;
    assert!(
        matches!(again, Disposal::TaskGone | Disposal::TaskFailed),
        "{again:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_dead_letter_fails_its_task_and_the_execution_records_the_failure() -> anyhow::Result<()>
{
    let stack = LocalStack::from_env().await.provision().await?;
    let outcome = tokio::time::timeout(Duration::from_secs(60), run(&stack)).await;
    stack.teardown().await?;
    outcome.context("the test took over 60 s")?
}
