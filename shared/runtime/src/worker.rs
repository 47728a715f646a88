//! The SQS callback-worker harness every pipeline stage runs in. The state machine puts a
//! [`StageMessage`] (task token + execution state) on the stage's queue; the harness runs the
//! stage on it while sending heartbeats, then reports the outcome to Step Functions:
//! SendTaskSuccess with the stage's result, or SendTaskFailure with a named error the state
//! machine retries ([`TRANSIENT`]) or catches ([`INVALID_INPUT`]).
//!
//! A stage may also keep its task open ([`StageOutcome::Deferred`]): AwaitApproval stores the
//! token on the recipe and the approve/reject routes end the task later, so the harness
//! reports nothing and deletes the message.
//!
//! A message is deleted (reported as processed) once Step Functions has the outcome. Only when
//! the outcome could not be delivered, or the message is not a stage message at all, is it left
//! for SQS to deliver again, so repeated trouble moves it to the dead-letter queue.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sfn::error::{DisplayErrorContext, SdkError};
use ida_core::pipeline::{INVALID_INPUT, PipelineState, StageMessage, TRANSIENT};
use ida_store::StoreError;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tracing::Instrument;

/// Why a stage did not produce its result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    /// The input can never succeed (corrupt file, a recipe that does not fit): not retried.
    #[error("{code}: {message}")]
    InvalidInput {
        /// Stable code shown on the job, e.g. `csv_unterminated_quote`.
        code: String,
        /// What is wrong and where (file, line, column, field).
        message: String,
    },
    /// A failure worth retrying (throttling, a network error).
    #[error("transient: {message}")]
    Transient {
        /// What failed; shown on the job if retries run out.
        message: String,
    },
}

impl StageError {
    /// An error classified by its source: `InvalidInput` with `code` when the input is at
    /// fault, `Transient` otherwise (a fault of the machine or the engine, worth retrying).
    pub fn classified(invalid_input: bool, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        if invalid_input {
            StageError::InvalidInput {
                code: code.to_owned(),
                message,
            }
        } else {
            StageError::Transient {
                message: format!("{code}: {message}"),
            }
        }
    }

    /// The error name reported to Step Functions.
    pub fn error_name(&self) -> &'static str {
        match self {
            StageError::InvalidInput { .. } => INVALID_INPUT,
            StageError::Transient { .. } => TRANSIENT,
        }
    }

    /// The cause reported to Step Functions: `{"code": ..., "message": ...}` as JSON text, which
    /// RecordFailure puts on the job.
    pub fn cause(&self) -> String {
        let (code, message) = match self {
            StageError::InvalidInput { code, message } => (code.as_str(), message.as_str()),
            StageError::Transient { message } => ("transient", message.as_str()),
        };
        serde_json::json!({ "code": code, "message": message }).to_string()
    }
}

/// A store error met by a stage: throttling, network faults and lost optimistic-concurrency
/// races are worth retrying; a missing record or a domain rule is the input's fault.
impl From<StoreError> for StageError {
    fn from(error: StoreError) -> Self {
        let retry = error.is_transient()
            || matches!(
                error,
                StoreError::Conflict { .. }
                    | StoreError::Backend { .. }
                    | StoreError::CorruptRecord { .. }
            );
        StageError::classified(!retry, error.code(), error.to_string())
    }
}

/// What a stage hands the harness.
#[derive(Debug, Clone, PartialEq)]
pub enum StageOutcome {
    /// Report this result with SendTaskSuccess.
    Report(Value),
    /// Report nothing: the task stays open until someone else ends it with the token the stage
    /// stored (AwaitApproval).
    Deferred,
}

/// One pipeline stage: the execution state in, the stage's result out.
pub trait Stage: Send + Sync {
    /// Runs the stage on `state`.
    fn run(&self, state: PipelineState) -> impl Future<Output = Result<Value, StageError>> + Send;

    /// Runs the stage for the harness, given the task's token. By default the result of
    /// [`Stage::run`] is reported; a stage that hands its task to someone else overrides this
    /// and returns [`StageOutcome::Deferred`].
    fn outcome(
        &self,
        state: PipelineState,
        task_token: &str,
    ) -> impl Future<Output = Result<StageOutcome, StageError>> + Send {
        let _ = task_token;
        async move { self.run(state).await.map(StageOutcome::Report) }
    }
}

/// Step Functions refuses a cause longer than this many characters.
const MAX_CAUSE_CHARS: usize = 32_768;

/// How often a running stage tells Step Functions it is alive; the state machine's
/// `HeartbeatSeconds` for the stage must be comfortably longer.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(60);

/// Runs a [`Stage`] over SQS batches and reports each outcome to Step Functions.
#[derive(Debug, Clone)]
pub struct CallbackWorker<S> {
    sfn: aws_sdk_sfn::Client,
    stage: S,
    heartbeat_interval: Duration,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOutcome {
    /// Step Functions has the stage's result.
    Succeeded,
    /// The stage kept the task open for someone else to end (AwaitApproval).
    Deferred,
    /// Step Functions has the stage's named failure.
    Failed {
        /// The error name reported.
        error: &'static str,
    },
    /// The task no longer exists (execution stopped or timed out): the work was dropped.
    TaskGone,
    /// The message must come back: it is not a stage message, or the outcome was not delivered.
    Retry {
        /// Why.
        reason: String,
    },
}

impl<S: Stage> CallbackWorker<S> {
    /// A worker running `stage`, reporting with `sfn`, heartbeating every
    /// [`DEFAULT_HEARTBEAT_INTERVAL`].
    pub fn new(sfn: aws_sdk_sfn::Client, stage: S) -> Self {
        Self {
            sfn,
            stage,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
        }
    }

    /// The same worker with another heartbeat interval.
    pub fn with_heartbeat_interval(self, heartbeat_interval: Duration) -> Self {
        Self {
            heartbeat_interval,
            ..self
        }
    }

    /// The stage this worker runs.
    pub fn stage(&self) -> &S {
        &self.stage
    }

    /// Handles one SQS batch: every message whose outcome is [`MessageOutcome::Retry`] is
    /// returned as a batch item failure (the event source mapping must enable
    /// `ReportBatchItemFailures`).
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for message in &event.records {
            if let MessageOutcome::Retry { reason } = self.handle_message(message).await {
                let id = message.message_id.clone().unwrap_or_default();
                tracing::warn!(message_id = %id, %reason, "stage message left for redelivery");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
        response
    }

    /// Handles one message.
    pub async fn handle_message(&self, message: &SqsMessage) -> MessageOutcome {
        let Some(body) = message.body.as_deref() else {
            return MessageOutcome::Retry {
                reason: "message has no body".to_owned(),
            };
        };
        let task: StageMessage = match serde_json::from_str(body) {
            Ok(task) => task,
            Err(error) => {
                return MessageOutcome::Retry {
                    reason: format!("not a stage message: {error}"),
                };
            }
        };
        let span = tracing::info_span!("stage", job = %task.state.input.ticket.job());
        let outcome = match self.run_with_heartbeats(&task).instrument(span).await {
            Heartbeated::Gone => return MessageOutcome::TaskGone,
            Heartbeated::Done(outcome) => outcome,
        };
        match outcome {
            Ok(StageOutcome::Deferred) => MessageOutcome::Deferred,
            Ok(StageOutcome::Report(output)) => self.report(&task.task_token, Ok(output)).await,
            Err(error) => self.report(&task.task_token, Err(error)).await,
        }
    }

    async fn run_with_heartbeats(&self, task: &StageMessage) -> Heartbeated {
        let work = self.stage.outcome(task.state.clone(), &task.task_token);
        tokio::pin!(work);
        let mut ticker = tokio::time::interval(self.heartbeat_interval);
        ticker.tick().await;
        loop {
            tokio::select! {
                outcome = &mut work => return Heartbeated::Done(outcome),
                _ = ticker.tick() => {
                    if self.heartbeat(&task.task_token).await == TaskState::Gone {
                        return Heartbeated::Gone;
                    }
                }
            }
        }
    }

    async fn heartbeat(&self, token: &str) -> TaskState {
        match self
            .sfn
            .send_task_heartbeat()
            .task_token(token)
            .send()
            .await
        {
            Ok(_) => TaskState::Alive,
            Err(error) if task_is_gone(&error) => TaskState::Gone,
            Err(error) => {
                // A lost heartbeat is not fatal: the next one may pass, and the state machine's
                // heartbeat timeout is several intervals long.
                tracing::warn!(error = %DisplayErrorContext(&error), "heartbeat failed");
                TaskState::Alive
            }
        }
    }

    async fn report(&self, token: &str, outcome: Result<Value, StageError>) -> MessageOutcome {
        match outcome {
            Ok(output) => {
                let sent = self
                    .sfn
                    .send_task_success()
                    .task_token(token)
                    .output(output.to_string())
                    .send()
                    .await;
                delivered(sent.map(drop), MessageOutcome::Succeeded)
            }
            Err(error) => {
                tracing::warn!(error = %error, name = error.error_name(), "stage failed");
                let sent = self
                    .sfn
                    .send_task_failure()
                    .task_token(token)
                    .error(error.error_name())
                    .cause(truncate_chars(&error.cause(), MAX_CAUSE_CHARS))
                    .send()
                    .await;
                delivered(
                    sent.map(drop),
                    MessageOutcome::Failed {
                        error: error.error_name(),
                    },
                )
            }
        }
    }
}

/// The future a [`QueueHandler`] returns.
pub type QueueFuture<'a> = Pin<Box<dyn Future<Output = SqsBatchResponse> + Send + 'a>>;

/// A function fed by an SQS event source mapping: one batch in, the messages to leave on the
/// queue out (every other one is deleted). The local host's pollers call it exactly as Lambda's
/// event source mapping does, so a queue function crate hands the host one of these.
pub trait QueueHandler: Send + Sync {
    /// Handles one batch.
    fn handle(&self, event: SqsEvent) -> QueueFuture<'_>;
}

impl<S: Stage> QueueHandler for CallbackWorker<S> {
    fn handle(&self, event: SqsEvent) -> QueueFuture<'_> {
        Box::pin(CallbackWorker::handle(self, event))
    }
}

/// The SQS attribute holding how many times a message was received.
pub const RECEIVE_COUNT_ATTRIBUTE: &str = "ApproximateReceiveCount";

/// How many times SQS delivered the message (1 when the attribute is absent).
pub fn receive_count(message: &SqsMessage) -> u32 {
    message
        .attributes
        .get(RECEIVE_COUNT_ATTRIBUTE)
        .and_then(|count| count.parse().ok())
        .unwrap_or(1)
}

/// A batch item failure naming one message, so it stays on the queue.
pub fn batch_item_failure(message_id: impl Into<String>) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = message_id.into();
    failure
}

/// `outcome` once the report reached Step Functions; otherwise what the message becomes.
fn delivered<E, R>(sent: Result<(), SdkError<E, R>>, outcome: MessageOutcome) -> MessageOutcome
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match sent {
        Ok(()) => outcome,
        Err(error) if task_is_gone(&error) => MessageOutcome::TaskGone,
        Err(error) => MessageOutcome::Retry {
            reason: format!(
                "outcome not delivered to Step Functions: {}",
                DisplayErrorContext(&error)
            ),
        },
    }
}

enum Heartbeated {
    Done(Result<StageOutcome, StageError>),
    Gone,
}

#[derive(PartialEq, Eq)]
enum TaskState {
    Alive,
    Gone,
}

/// Whether Step Functions says the task no longer exists or already ended.
fn task_is_gone<E, R>(error: &SdkError<E, R>) -> bool
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| matches!(code, "TaskDoesNotExist" | "TaskTimedOut" | "InvalidToken"))
}

fn truncate_chars(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_their_state_machine_name_and_a_json_cause() {
        let invalid = StageError::InvalidInput {
            code: "csv_unterminated_quote".to_owned(),
            message: "line 3: quote never closed".to_owned(),
        };
        assert_eq!(invalid.error_name(), "Ida.InvalidInput");
        let cause: Value = serde_json::from_str(&invalid.cause()).unwrap();
        assert_eq!(cause["code"], "csv_unterminated_quote");
        assert_eq!(cause["message"], "line 3: quote never closed");
        let transient = StageError::Transient {
            message: "throttled".to_owned(),
        };
        assert_eq!(transient.error_name(), "Ida.Transient");
    }

    #[test]
    fn store_errors_are_retried_only_when_retrying_can_help() {
        let throttled = StoreError::Transient {
            operation: "TransactWriteItems",
            message: "throttled".to_owned(),
        };
        assert_eq!(StageError::from(throttled).error_name(), "Ida.Transient");
        let missing = StoreError::NotFound {
            entity: "upload",
            id: "upl_1".to_owned(),
        };
        assert_eq!(
            StageError::from(missing),
            StageError::InvalidInput {
                code: "not_found".to_owned(),
                message: "upload upl_1 not found".to_owned()
            }
        );
    }

    /// A stage that hands its task to someone else, as AwaitApproval does.
    struct Holding;

    impl Stage for Holding {
        async fn run(&self, _state: PipelineState) -> Result<Value, StageError> {
            Ok(serde_json::json!({"reported": true}))
        }

        async fn outcome(
            &self,
            _state: PipelineState,
            task_token: &str,
        ) -> Result<StageOutcome, StageError> {
            assert_eq!(task_token, "token-1");
            Ok(StageOutcome::Deferred)
        }
    }

    #[tokio::test]
    async fn a_deferred_outcome_reports_nothing_and_consumes_the_message() {
        // Nothing may reach Step Functions: the client points at a closed port.
        let config = aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let worker = CallbackWorker::new(aws_sdk_sfn::Client::from_conf(config), Holding);
        use ida_core::access::{AuthorizerContext, Principal, Subject};
        let principal = Principal::from_authorizer_context(AuthorizerContext {
            tenant: ida_core::id::TenantId::generate(),
            subject: Subject::User {
                user: ida_core::id::UserId::generate(),
            },
            role: ida_core::Role::Member,
            scopes: None,
        })
        .unwrap();
        let ticket = principal
            .scope()
            .pipeline_ticket(ida_core::id::JobId::generate());
        let state = serde_json::json!({
            "ticket": ticket,
            "upload": ida_core::id::UploadId::generate(),
            "dataset": ida_core::id::DatasetId::generate(),
            "attempt": 1,
            "resume_from": "AWAIT_APPROVAL"
        });
        let mut message = SqsMessage::default();
        message.message_id = Some("m-1".to_owned());
        message.body =
            Some(serde_json::json!({"taskToken": "token-1", "state": state}).to_string());
        assert_eq!(
            worker.handle_message(&message).await,
            MessageOutcome::Deferred
        );
        let mut event = SqsEvent::default();
        event.records = vec![message];
        assert!(worker.handle(event).await.batch_item_failures.is_empty());
    }

    #[test]
    fn the_receive_count_comes_from_the_sqs_attribute() {
        let mut message = SqsMessage::default();
        assert_eq!(receive_count(&message), 1);
        message
            .attributes
            .insert(RECEIVE_COUNT_ATTRIBUTE.to_owned(), "4".to_owned());
        assert_eq!(receive_count(&message), 4);
        assert_eq!(batch_item_failure("m-1").item_identifier, "m-1");
    }

    #[test]
    fn causes_are_cut_at_a_character_boundary() {
        assert_eq!(truncate_chars("ééé", 2), "éé");
    }
}
