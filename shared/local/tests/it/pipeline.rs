//! The pipeline state machine end to end on LocalStack: every stage answered through its queue
//! by the real harness (`ida_runtime::worker::CallbackWorker`) under the pollers of
//! `ida_local::pipeline_host`, faults injected through the host's handler port.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use aws_sdk_sfn::types::ExecutionStatus;
use dead_letters::DeadLetters;
use ida_core::Role;
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::id::{DatasetId, JobId, TenantId, UploadId, UserId};
use ida_core::job::Stage;
use ida_core::pipeline::{ExecutionInput, PipelineState};
use ida_local::pipeline_host::{Fault, FaultyHandler, PipelineHost, QueueBinding};
use ida_local::{LocalStack, ParameterOverrides, PipelineQueue, ProvisionedStack};
use ida_runtime::worker::{CallbackWorker, QueueHandler, StageError};
use serde_json::{Value, json};

/// What a stage handler of these tests answers.
#[derive(Clone)]
enum Answer {
    Succeed(Value),
    Fail(StageError),
}

/// A stage that records each state it receives and answers as told.
#[derive(Clone)]
struct ScriptedStage {
    name: &'static str,
    answer: Answer,
    seen: Arc<Mutex<Vec<(&'static str, PipelineState)>>>,
}

impl ida_runtime::worker::Stage for ScriptedStage {
    async fn run(&self, state: PipelineState) -> Result<Value, StageError> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push((self.name, state));
        }
        match &self.answer {
            Answer::Succeed(value) => Ok(value.clone()),
            Answer::Fail(error) => Err(error.clone()),
        }
    }
}

/// A provisioned stack with pollers on every stage queue and dead-letters on every stage DLQ.
struct Pipeline {
    stack: ProvisionedStack,
    host: PipelineHost,
    seen: Arc<Mutex<Vec<(&'static str, PipelineState)>>>,
}

const STAGES: [(PipelineQueue, &str); 7] = [
    (PipelineQueue::Parse, "PARSE"),
    (PipelineQueue::Profile, "PROFILE"),
    (PipelineQueue::Plan, "PLAN"),
    (PipelineQueue::AwaitApproval, "AWAIT_APPROVAL"),
    (PipelineQueue::Transform, "TRANSFORM"),
    (PipelineQueue::Activate, "ACTIVATE"),
    (PipelineQueue::RecordFailure, "RECORD_FAILURE"),
];

/// How the test changes the default script: a stage's answer, or a fault around its handler.
#[derive(Default)]
struct Script {
    answers: BTreeMap<&'static str, Answer>,
    faults: BTreeMap<&'static str, (Fault, u32)>,
    needs_approval: bool,
}

impl Pipeline {
    async fn start(script: Script) -> anyhow::Result<Pipeline> {
        // Fast redelivery and redrive, so a poison message reaches its DLQ in seconds.
        let overrides = ParameterOverrides::new()
            .set("MaxReceiveCount", 2)
            .set("StageVisibilityTimeoutSeconds", 1);
        let local = LocalStack::from_env().await;
        let stack = local.provision_with(&overrides).await?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sfn = stack.clients.sfn.clone();
        let mut bindings = Vec::new();
        for (queue, name) in STAGES {
            let answer = script.answers.get(name).cloned().unwrap_or_else(|| {
                Answer::Succeed(match name {
                    "PLAN" => json!({"needs_approval": script.needs_approval}),
                    _ => json!({"stage": name}),
                })
            });
            let stage = ScriptedStage {
                name,
                answer,
                seen: Arc::clone(&seen),
            };
            let mut handler: Arc<dyn QueueHandler> =
                Arc::new(CallbackWorker::new(sfn.clone(), stage));
            if let Some((fault, times)) = script.faults.get(name) {
                handler = Arc::new(FaultyHandler::new(handler, fault.clone(), *times));
            }
            let provisioned = stack.queue(queue)?;
            bindings.push(QueueBinding::new(provisioned.queue.clone(), handler, 1));
            bindings.push(QueueBinding::new(
                provisioned.dead_letter.clone(),
                Arc::new(DeadLetters::new(sfn.clone())),
                10,
            ));
        }
        let host =
            PipelineHost::start(stack.clients.sqs.clone(), &local.endpoints.region, bindings);
        Ok(Pipeline { stack, host, seen })
    }

    /// Starts an execution with `input` and waits until it ends; returns its status and output.
    async fn run(&self, input: &Value) -> anyhow::Result<(ExecutionStatus, Value)> {
        let (status, output, _) = self.run_traced(input).await?;
        Ok((status, output))
    }

    /// Like [`Pipeline::run`], also returning the error names of the execution's failed tasks.
    async fn run_traced(
        &self,
        input: &Value,
    ) -> anyhow::Result<(ExecutionStatus, Value, Vec<String>)> {
        let started = self
            .stack
            .clients
            .sfn
            .start_execution()
            .state_machine_arn(self.stack.state_machine_arn()?)
            .name(format!("test-{}", UploadId::generate()))
            .input(input.to_string())
            .send()
            .await?;
        for _ in 0..120 {
            let described = self
                .stack
                .clients
                .sfn
                .describe_execution()
                .execution_arn(started.execution_arn())
                .send()
                .await?;
            if described.status != ExecutionStatus::Running {
                let output = described
                    .output
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()?
                    .unwrap_or(Value::Null);
                let history = self
                    .stack
                    .clients
                    .sfn
                    .get_execution_history()
                    .execution_arn(started.execution_arn())
                    .send()
                    .await?;
                let failed_tasks = history
                    .events()
                    .iter()
                    .filter_map(|event| event.task_failed_event_details())
                    .filter_map(|details| details.error().map(str::to_owned))
                    .collect();
                return Ok((described.status, output, failed_tasks));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        bail!("the execution was still running after 30 s")
    }

    /// The stages that ran, in order, with the state each received.
    fn seen(&self) -> Vec<(&'static str, PipelineState)> {
        self.seen
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_default()
    }

    fn stages_run(&self) -> Vec<&'static str> {
        self.seen().into_iter().map(|(name, _)| name).collect()
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.host.shutdown().await?;
        self.stack.teardown().await?;
        Ok(())
    }
}

fn input(resume_from: Stage) -> anyhow::Result<ExecutionInput> {
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
        resume_from,
    })
}

/// Runs `body` on a fresh pipeline and always tears it down.
async fn with_pipeline<F, Fut>(script: Script, body: F) -> anyhow::Result<()>
where
    F: FnOnce(Arc<Pipeline>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let pipeline = Arc::new(Pipeline::start(script).await?);
    let outcome = tokio::time::timeout(Duration::from_secs(90), body(Arc::clone(&pipeline))).await;
    let pipeline = Arc::try_unwrap(pipeline)
        .map_err(|_| anyhow::anyhow!("the test kept a handle on the pipeline"))?;
    pipeline.stop().await?;
    outcome.context("the test took over 90 s")?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_runs_every_stage_in_order_through_approval() -> anyhow::Result<()> {
    let script = Script {
        needs_approval: true,
        ..Script::default()
    };
    with_pipeline(script, |pipeline| async move {
        let input = input(Stage::Parse)?;
        let (status, output) = pipeline.run(&serde_json::to_value(&input)?).await?;
        assert_eq!(status, ExecutionStatus::Succeeded);
        assert_eq!(
            pipeline.stages_run(),
            [
                "PARSE",
                "PROFILE",
                "PLAN",
                "AWAIT_APPROVAL",
                "TRANSFORM",
                "ACTIVATE"
            ]
        );
        let state: PipelineState = serde_json::from_value(output)?;
        assert_eq!(state.input, input);
        assert_eq!(state.parse, Some(json!({"stage": "PARSE"})));
        assert_eq!(state.plan, Some(json!({"needs_approval": true})));
        assert_eq!(state.approval, Some(json!({"stage": "AWAIT_APPROVAL"})));
        assert_eq!(state.activate, Some(json!({"stage": "ACTIVATE"})));
        assert_eq!(state.failure, None);
        // Each stage sees the results of every stage before it.
        let seen = pipeline.seen();
        let transform = seen
            .iter()
            .find(|(name, _)| *name == "TRANSFORM")
            .context("transform ran")?;
        assert_eq!(transform.1.profile, Some(json!({"stage": "PROFILE"})));
        assert_eq!(transform.1.transform, None);
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipe_without_approval_skips_await_approval() -> anyhow::Result<()> {
    with_pipeline(Script::default(), |pipeline| async move {
        let (status, output) = pipeline
            .run(&serde_json::to_value(input(Stage::Parse)?)?)
            .await?;
        assert_eq!(status, ExecutionStatus::Succeeded);
        assert_eq!(
            pipeline.stages_run(),
            ["PARSE", "PROFILE", "PLAN", "TRANSFORM", "ACTIVATE"]
        );
        assert_eq!(output.get("approval"), None);
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_is_retried_and_the_execution_succeeds() -> anyhow::Result<()> {
    let script = Script {
        faults: BTreeMap::from([(
            "PROFILE",
            (
                Fault::Transient {
                    sfn: shared_sfn().await,
                },
                2,
            ),
        )]),
        ..Script::default()
    };
    with_pipeline(script, |pipeline| async move {
        let (status, _) = pipeline
            .run(&serde_json::to_value(input(Stage::Parse)?)?)
            .await?;
        assert_eq!(status, ExecutionStatus::Succeeded);
        // The two injected failures never reached the stage; the third attempt did.
        assert_eq!(
            pipeline.stages_run(),
            ["PARSE", "PROFILE", "PLAN", "TRANSFORM", "ACTIVATE"]
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_not_retried_and_goes_to_record_failure() -> anyhow::Result<()> {
    let invalid = StageError::InvalidInput {
        code: "csv_unterminated_quote".to_owned(),
        message: "line 3: a quote is never closed".to_owned(),
    };
    let script = Script {
        answers: BTreeMap::from([("PARSE", Answer::Fail(invalid))]),
        ..Script::default()
    };
    with_pipeline(script, |pipeline| async move {
        let (status, _) = pipeline
            .run(&serde_json::to_value(input(Stage::Parse)?)?)
            .await?;
        assert_eq!(status, ExecutionStatus::Failed);
        assert_eq!(pipeline.stages_run(), ["PARSE", "RECORD_FAILURE"]);
        let seen = pipeline.seen();
        let failure = seen
            .last()
            .and_then(|(_, state)| state.failure.clone())
            .context("RecordFailure receives $.failure")?;
        assert_eq!(failure.get("Error"), Some(&json!("Ida.InvalidInput")));
        let cause: Value = serde_json::from_str(
            failure
                .get("Cause")
                .and_then(Value::as_str)
                .context("a cause")?,
        )?;
        assert_eq!(
            cause,
            json!({"code": "csv_unterminated_quote", "message": "line 3: a quote is never closed"})
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_reaches_the_dlq_and_dead_letters_fails_its_task() -> anyhow::Result<()> {
    let script = Script {
        faults: BTreeMap::from([("PLAN", (Fault::Crash, u32::MAX))]),
        ..Script::default()
    };
    with_pipeline(script, |pipeline| async move {
        let (status, _) = pipeline
            .run(&serde_json::to_value(input(Stage::Parse)?)?)
            .await?;
        assert_eq!(status, ExecutionStatus::Failed);
        assert_eq!(
            pipeline.stages_run(),
            ["PARSE", "PROFILE", "RECORD_FAILURE"]
        );
        let seen = pipeline.seen();
        let failure = seen
            .last()
            .and_then(|(_, state)| state.failure.clone())
            .context("RecordFailure receives $.failure")?;
        assert_eq!(failure.get("Error"), Some(&json!("Ida.DeadLetter")));
        let cause = failure
            .get("Cause")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let plan_queue = &pipeline.stack.queue(PipelineQueue::Plan)?.queue.name;
        assert!(cause.contains(plan_queue.as_str()), "{cause}");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_from_starts_at_the_named_stage() -> anyhow::Result<()> {
    with_pipeline(Script::default(), |pipeline| async move {
        let mut retry = input(Stage::Transform)?;
        retry.attempt = 2;
        let (status, output) = pipeline.run(&serde_json::to_value(&retry)?).await?;
        assert_eq!(status, ExecutionStatus::Succeeded);
        assert_eq!(pipeline.stages_run(), ["TRANSFORM", "ACTIVATE"]);
        assert_eq!(output.get("attempt"), Some(&json!(2)));
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_naming_no_stage_fails_without_running_one() -> anyhow::Result<()> {
    with_pipeline(Script::default(), |pipeline| async move {
        let mut raw = serde_json::to_value(input(Stage::Parse)?)?;
        if let Some(fields) = raw.as_object_mut() {
            fields.insert("resume_from".to_owned(), json!("LAUNDER"));
        }
        let (status, _) = pipeline.run(&raw).await?;
        assert_eq!(status, ExecutionStatus::Failed);
        assert!(pipeline.stages_run().is_empty());
        Ok(())
    })
    .await
}

/// A Step Functions client for fault injection, made before the stack exists.
async fn shared_sfn() -> aws_sdk_sfn::Client {
    LocalStack::from_env().await.clients.sfn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_pollers_in_the_middle_of_a_long_poll() -> anyhow::Result<()> {
    let local = LocalStack::from_env().await;
    let stack = local.provision().await?;
    let bindings = PipelineQueue::ALL
        .into_iter()
        .map(|queue| {
            let handler: Arc<dyn QueueHandler> =
                Arc::new(DeadLetters::new(stack.clients.sfn.clone()));
            Ok(QueueBinding::new(
                stack.queue(queue)?.queue.clone(),
                handler,
                10,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let host = PipelineHost::start(stack.clients.sqs.clone(), &local.endpoints.region, bindings);
    assert_eq!(host.queues().len(), 8);
    // Let every poller enter its 10 s long poll.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let stopped = host.shutdown().await;
    let took = started.elapsed();
    stack.teardown().await?;
    stopped?;
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");
    Ok(())
}
