//! Step Functions callback tasks (`sqs:sendMessage.waitForTaskToken`) on LocalStack: a worker
//! ends the task with success or a named failure; a repeated start is a no-op; and two places
//! where LocalStack differs from AWS, named in the tests.

use std::time::{Duration, Instant};

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::ExecutionStatus;
use ida_local::PipelineQueue;

use crate::env::{TestEnv, fast_queue_parameters};

/// One callback task on the parse queue, as each pipeline stage will be.
fn callback_machine(queue_url: &str, heartbeat_seconds: Option<u32>) -> serde_json::Value {
    let mut task = serde_json::json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {
            "QueueUrl": queue_url,
            "MessageBody": {"taskToken.$": "$$.Task.Token", "input.$": "$"}
        },
        "TimeoutSeconds": 60,
        "End": true
    });
    if let Some(seconds) = heartbeat_seconds {
        task["HeartbeatSeconds"] = seconds.into();
    }
    serde_json::json!({"StartAt": "Parse", "States": {"Parse": task}})
}

struct Callback {
    token: String,
    input: serde_json::Value,
}

async fn next_callback(env: &TestEnv, queue_url: &str) -> anyhow::Result<Callback> {
    let message = env
        .receive(queue_url, Duration::from_secs(15))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no task message on the stage queue"))?;
    env.delete(queue_url, &message).await?;
    let body: serde_json::Value = serde_json::from_str(message.body().unwrap_or_default())?;
    Ok(Callback {
        token: body["taskToken"].as_str().unwrap_or_default().to_owned(),
        input: body["input"].clone(),
    })
}

async fn wait_until_ended(
    env: &TestEnv,
    execution_arn: &str,
) -> anyhow::Result<DescribeExecutionOutput> {
    let started = Instant::now();
    loop {
        let described = env
            .stack
            .clients
            .sfn
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await?;
        if *described.status() != ExecutionStatus::Running {
            return Ok(described);
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "execution still RUNNING after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_callback_task_succeeds_when_the_worker_sends_task_success() -> anyhow::Result<()> {
    let mut env = TestEnv::start(fast_queue_parameters()).await?;
    let queue = env.stack.queue(PipelineQueue::Parse)?.queue.url.clone();
    let machine = env
        .create_state_machine("ok", &callback_machine(&queue, None))
        .await?;
    let sfn = env.stack.clients.sfn.clone();
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("upload-u1")
        .input(r#"{"upload":"u1"}"#)
        .send()
        .await?;
    let callback = next_callback(&env, &queue).await?;
    assert_eq!(callback.input, serde_json::json!({"upload": "u1"}));
    sfn.send_task_success()
        .task_token(&callback.token)
        .output(r#"{"rows":2}"#)
        .send()
        .await?;

    let ended = wait_until_ended(&env, execution.execution_arn()).await?;
    assert_eq!(*ended.status(), ExecutionStatus::Succeeded);
    assert_eq!(ended.output(), Some(r#"{"rows":2}"#));
    env.finish().await
}

#[tokio::test]
async fn a_callback_task_fails_with_the_error_name_the_worker_sends() -> anyhow::Result<()> {
    let mut env = TestEnv::start(fast_queue_parameters()).await?;
    let queue = env.stack.queue(PipelineQueue::Parse)?.queue.url.clone();
    let machine = env
        .create_state_machine("fail", &callback_machine(&queue, None))
        .await?;
    let sfn = env.stack.clients.sfn.clone();
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("upload-u2")
        .input("{}")
        .send()
        .await?;
    let callback = next_callback(&env, &queue).await?;
    sfn.send_task_failure()
        .task_token(&callback.token)
        .error("Ida.InvalidInput")
        .cause("line 3, column age: not a number")
        .send()
        .await?;

    let ended = wait_until_ended(&env, execution.execution_arn()).await?;
    assert_eq!(*ended.status(), ExecutionStatus::Failed);
    assert_eq!(ended.error(), Some("Ida.InvalidInput"));
    assert_eq!(ended.cause(), Some("line 3, column age: not a number"));
    env.finish().await
}

#[tokio::test]
async fn a_second_start_with_the_same_name_and_input_starts_nothing_new() -> anyhow::Result<()> {
    let mut env = TestEnv::start(fast_queue_parameters()).await?;
    let queue = env.stack.queue(PipelineQueue::Parse)?.queue.url.clone();
    let machine = env
        .create_state_machine("once", &callback_machine(&queue, None))
        .await?;
    let sfn = env.stack.clients.sfn.clone();
    let start = || {
        sfn.start_execution()
            .state_machine_arn(&machine)
            .name("upload-u3")
            .input(r#"{"upload":"u3"}"#)
            .send()
    };
    let first = start().await?;
    let second = start().await?;
    assert_eq!(first.execution_arn(), second.execution_arn());
    let listed = sfn
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await?;
    assert_eq!(listed.executions().len(), 1);

    let callback = next_callback(&env, &queue).await?;
    sfn.send_task_success()
        .task_token(&callback.token)
        .output("{}")
        .send()
        .await?;
    assert!(
        env.receive(&queue, Duration::from_secs(1)).await?.is_none(),
        "only one task was sent"
    );
    wait_until_ended(&env, first.execution_arn()).await?;
    env.finish().await
}

// AWS ends the execution as ABORTED at once; LocalStack leaves a task that waits for its token
// RUNNING until the worker answers or a timeout fires. Cancellation must not rely on StopExecution.
#[tokio::test]
async fn stop_execution_leaves_a_waiting_callback_task_running_on_localstack_unlike_aws()
-> anyhow::Result<()> {
    let mut env = TestEnv::start(fast_queue_parameters()).await?;
    let queue = env.stack.queue(PipelineQueue::Parse)?.queue.url.clone();
    let machine = env
        .create_state_machine("stop", &callback_machine(&queue, None))
        .await?;
    let sfn = env.stack.clients.sfn.clone();
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("upload-u4")
        .input("{}")
        .send()
        .await?;
    let callback = next_callback(&env, &queue).await?;

    sfn.stop_execution()
        .execution_arn(execution.execution_arn())
        .error("Ida.Cancelled")
        .send()
        .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let described = sfn
        .describe_execution()
        .execution_arn(execution.execution_arn())
        .send()
        .await?;
    assert_eq!(*described.status(), ExecutionStatus::Running);

    // The worker, seeing the job cancelled, ends its task; then the execution ends.
    sfn.send_task_failure()
        .task_token(&callback.token)
        .error("Ida.Cancelled")
        .send()
        .await?;
    let ended = wait_until_ended(&env, execution.execution_arn()).await?;
    assert_ne!(*ended.status(), ExecutionStatus::Succeeded);
    env.finish().await
}

// AWS fails a task whose heartbeat lapses with States.HeartbeatTimeout; LocalStack says
// States.Timeout. Retry and Catch must name both.
#[tokio::test]
async fn a_lapsed_heartbeat_fails_with_states_timeout_on_localstack_not_heartbeat_timeout()
-> anyhow::Result<()> {
    let mut env = TestEnv::start(fast_queue_parameters()).await?;
    let queue = env.stack.queue(PipelineQueue::Parse)?.queue.url.clone();
    let machine = env
        .create_state_machine("heartbeat", &callback_machine(&queue, Some(1)))
        .await?;
    let sfn = env.stack.clients.sfn.clone();
    let execution = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("upload-u5")
        .input("{}")
        .send()
        .await?;
    // The worker takes the task and then goes silent.
    next_callback(&env, &queue).await?;

    let ended = wait_until_ended(&env, execution.execution_arn()).await?;
    assert_eq!(*ended.status(), ExecutionStatus::Failed);
    assert_eq!(ended.error(), Some("States.Timeout"));
    env.finish().await
}
