//! The stages inside the callback harness with a real task token: a one-state machine on
//! LocalStack sends `{taskToken, state}` to a stage queue, the test receives the message and
//! hands it to `CallbackWorker::handle`, as the Lambda event source mapping would.

use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sfn::types::ExecutionStatus;
use ida_core::id::RecipeId;
use ida_core::job::JobStatus;
use ida_core::pipeline::PipelineState;
use ida_core::recipe::RecipeStatus;
use ida_core::tenancy::ApprovalMode;
use ida_local::PipelineQueue;
use ida_runtime::worker::{CallbackWorker, MessageOutcome, Stage};
use ida_store::RecipeRepository;
use stage_await_approval::AwaitApprovalStage;
use stage_parse::ParseStage;
use stage_plan::PlanStage;
use stage_profile::ProfileStage;

use crate::env::TestEnv;

/// A state machine with one callback task on `queue_url`, for the test's lifetime.
struct OneTaskMachine {
    arn: String,
    role: String,
}

impl OneTaskMachine {
    async fn create(env: &TestEnv, name: &str, queue_url: &str) -> anyhow::Result<Self> {
        let clients = &env.stack.clients;
        let role = format!("{}-{name}", env.stack.prefix);
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        });
        let created_role = clients
            .iam
            .create_role()
            .role_name(&role)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await?;
        let definition = serde_json::json!({
            "StartAt": "Stage",
            "States": {"Stage": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": queue_url,
                    "MessageBody": {"taskToken.$": "$$.Task.Token", "state.$": "$"}
                },
                "TimeoutSeconds": 120,
                "End": true
            }}
        });
        let machine = clients
            .sfn
            .create_state_machine()
            .name(&role)
            .definition(definition.to_string())
            .role_arn(
                created_role
                    .role()
                    .map(|r| r.arn().to_owned())
                    .unwrap_or_default(),
            )
            .send()
            .await?;
        Ok(OneTaskMachine {
            arn: machine.state_machine_arn().to_owned(),
            role,
        })
    }

    async fn start(&self, env: &TestEnv, state: &PipelineState) -> anyhow::Result<String> {
        let started = env
            .stack
            .clients
            .sfn
            .start_execution()
            .state_machine_arn(&self.arn)
            .name(state.input.upload.as_str())
            .input(serde_json::to_string(&state.input)?)
            .send()
            .await?;
        Ok(started.execution_arn().to_owned())
    }

    async fn delete(self, env: &TestEnv) -> anyhow::Result<()> {
        let clients = &env.stack.clients;
        clients
            .sfn
            .delete_state_machine()
            .state_machine_arn(&self.arn)
            .send()
            .await?;
        clients
            .iam
            .delete_role()
            .role_name(&self.role)
            .send()
            .await?;
        Ok(())
    }
}

/// The next message on `queue_url` as the SQS event a Lambda receives.
async fn next_event(env: &TestEnv, queue_url: &str) -> anyhow::Result<SqsEvent> {
    let started = Instant::now();
    loop {
        let received = env
            .stack
            .clients
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .wait_time_seconds(2)
            .send()
            .await?;
        if let Some(message) = received.messages().first() {
            let mut record = SqsMessage::default();
            record.message_id = message.message_id().map(str::to_owned);
            record.receipt_handle = message.receipt_handle().map(str::to_owned);
            record.body = message.body().map(str::to_owned);
            let mut event = SqsEvent::default();
            event.records = vec![record];
            return Ok(event);
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(20),
            "no task message on the stage queue"
        );
    }
}

async fn status_after(
    env: &TestEnv,
    execution: &str,
    wait: Duration,
) -> anyhow::Result<aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput> {
    let started = Instant::now();
    loop {
        let described = env
            .stack
            .clients
            .sfn
            .describe_execution()
            .execution_arn(execution)
            .send()
            .await?;
        if *described.status() != ExecutionStatus::Running || started.elapsed() > wait {
            return Ok(described);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_worker_reports_parses_result_to_the_waiting_execution() -> anyhow::Result<()> {
    let env = TestEnv::start(ApprovalMode::Never).await?;
    let queue = env.stack.queue(PipelineQueue::Parse)?.queue.url.clone();
    let machine = OneTaskMachine::create(&env, "parse", &queue).await?;
    let state = env
        .upload("small.csv", b"id,name\n1,ann\n2,bob\n".to_vec())
        .await?;
    let execution = machine.start(&env, &state).await?;
    let worker = CallbackWorker::new(
        env.stack.clients.sfn.clone(),
        ParseStage::new(env.store.clone()),
    );
    let event = next_event(&env, &queue).await?;
    let message = event.records.first().cloned().unwrap_or_default();
    let response = worker.handle(event).await;
    assert!(response.batch_item_failures.is_empty());

    let ended = status_after(&env, &execution, Duration::from_secs(30)).await?;
    assert_eq!(*ended.status(), ExecutionStatus::Succeeded);
    let output: serde_json::Value = serde_json::from_str(ended.output().unwrap_or_default())?;
    assert_eq!(output["version"], 1);
    assert_eq!(output["rows"], 2);
    assert_eq!(output["columns"], 2);
    // The same message delivered again (SQS is at-least-once) finds the task ended.
    assert_eq!(
        worker.handle_message(&message).await,
        MessageOutcome::TaskGone
    );
    assert_eq!(env.version_count(&state).await?, 1);
    machine.delete(&env).await?;
    env.teardown().await
}

#[tokio::test]
async fn await_approval_keeps_the_task_open_with_its_token_on_the_recipe() -> anyhow::Result<()> {
    let env = TestEnv::start(ApprovalMode::Always).await?;
    let queue = env
        .stack
        .queue(PipelineQueue::AwaitApproval)?
        .queue
        .url
        .clone();
    let machine = OneTaskMachine::create(&env, "await", &queue).await?;
    let state = env
        .upload("small.csv", b"id,name\n1,ann\n2,bob\n".to_vec())
        .await?;
    ParseStage::new(env.store.clone())
        .run(state.clone())
        .await?;
    ProfileStage::new(env.store.clone())
        .run(state.clone())
        .await?;
    let planned = PlanStage::new(env.store.clone()).run(state.clone()).await?;
    assert_eq!(planned["needs_approval"], true);

    let execution = machine.start(&env, &state).await?;
    let worker = CallbackWorker::new(
        env.stack.clients.sfn.clone(),
        AwaitApprovalStage::new(env.store.clone()),
    );
    let event = next_event(&env, &queue).await?;
    let message = event.records.first().cloned().unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(message.body.as_deref().unwrap_or("{}"))?;
    let token = body["taskToken"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        worker.handle_message(&message).await,
        MessageOutcome::Deferred
    );

    let recipe_id = RecipeId::for_job(state.input.ticket.job());
    let recipe = env
        .store
        .records
        .get_recipe(&env.scope, &recipe_id)
        .await?
        .record;
    assert_eq!(recipe.status, RecipeStatus::PendingApproval);
    assert_eq!(recipe.task_token.as_deref(), Some(token.as_str()));
    assert_eq!(env.job(&state).await?.status, JobStatus::AwaitingApproval);
    let waiting = status_after(&env, &execution, Duration::from_secs(2)).await?;
    assert_eq!(*waiting.status(), ExecutionStatus::Running);

    // What the approve route does with the stored token ends the task.
    env.stack
        .clients
        .sfn
        .send_task_success()
        .task_token(&token)
        .output(r#"{"approved":true}"#)
        .send()
        .await?;
    let ended = status_after(&env, &execution, Duration::from_secs(30)).await?;
    assert_eq!(*ended.status(), ExecutionStatus::Succeeded);
    // The stage without the harness has no token to store.
    let direct = AwaitApprovalStage::new(env.store.clone())
        .run(state.clone())
        .await;
    assert_eq!(direct.unwrap_err().error_name(), "Ida.InvalidInput");
    machine.delete(&env).await?;
    env.teardown().await
}
