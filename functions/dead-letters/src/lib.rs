//! `dead-letters`: drains the dead-letter queues of the pipeline stages. A message there
//! exhausted its receives (its worker crashed or could not answer, again and again), so nobody
//! will ever answer its task; this function answers it with SendTaskFailure(`Ida.DeadLetter`),
//! naming the queue and the receive count, so the execution goes to RecordFailure at once
//! instead of waiting for the stage's timeout.
//!
//! It never runs a stage, never retries one, and never sends a message body anywhere: the cause
//! holds only the queue's name and counts.

use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use ida_core::pipeline::{DEAD_LETTER, StageMessage};
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::worker::{QueueFuture, QueueHandler, batch_item_failure, receive_count};

/// The SQS attribute naming the queue a dead letter came from.
pub const SOURCE_QUEUE_ATTRIBUTE: &str = "DeadLetterQueueSourceArn";

/// The stable code of a dead-lettered stage on the job.
pub const DEAD_LETTER_CODE: &str = "dead_letter";

/// Declares the dead-letters function for one stage's dead-letter queue: one binary, several
/// SQS triggers (one spec each). It reads no settings of its own.
macro_rules! dead_letter_spec {
    ($(#[$meta:meta])* $name:ident, $queue:literal) => {
        $(#[$meta])*
        pub static $name: FunctionSpec = FunctionSpec {
            binary: "dead-letters",
            trigger: Trigger::Queue { queue: $queue },
            settings: |_| Ok(()),
        };
    };
}

dead_letter_spec!(
    /// Dead letters of the Parse stage.
    PARSE_DEAD_LETTERS,
    "ParseDeadLetterQueue"
);
dead_letter_spec!(
    /// Dead letters of the Profile stage.
    PROFILE_DEAD_LETTERS,
    "ProfileDeadLetterQueue"
);
dead_letter_spec!(
    /// Dead letters of the Plan stage.
    PLAN_DEAD_LETTERS,
    "PlanDeadLetterQueue"
);
dead_letter_spec!(
    /// Dead letters of the AwaitApproval stage.
    AWAIT_APPROVAL_DEAD_LETTERS,
    "AwaitApprovalDeadLetterQueue"
);
dead_letter_spec!(
    /// Dead letters of the Transform stage.
    TRANSFORM_DEAD_LETTERS,
    "TransformDeadLetterQueue"
);
dead_letter_spec!(
    /// Dead letters of the Activate stage.
    ACTIVATE_DEAD_LETTERS,
    "ActivateDeadLetterQueue"
);
dead_letter_spec!(
    /// Dead letters of RecordFailure.
    RECORD_FAILURE_DEAD_LETTERS,
    "RecordFailureDeadLetterQueue"
);

/// Every function this crate deploys (one binary, one trigger per stage dead-letter queue).
pub static FUNCTIONS: [&FunctionSpec; 7] = [
    &PARSE_DEAD_LETTERS,
    &PROFILE_DEAD_LETTERS,
    &PLAN_DEAD_LETTERS,
    &AWAIT_APPROVAL_DEAD_LETTERS,
    &TRANSFORM_DEAD_LETTERS,
    &ACTIVATE_DEAD_LETTERS,
    &RECORD_FAILURE_DEAD_LETTERS,
];

/// What became of one dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposal {
    /// Its task was failed with `Ida.DeadLetter`.
    TaskFailed,
    /// Its task had ended already (answered late, timed out, execution stopped).
    TaskGone,
    /// The body is not a stage message: there is no task to fail. Acknowledged, and logged
    /// with the message id so an operator can find it in the queue's metrics.
    NotAStageMessage,
    /// Step Functions did not take the failure: the message stays for another receive.
    Retry,
}

/// The handler's state, built once per cold start.
#[derive(Debug, Clone)]
pub struct DeadLetters {
    sfn: aws_sdk_sfn::Client,
}

impl DeadLetters {
    /// Fails tasks through `sfn`.
    pub fn new(sfn: aws_sdk_sfn::Client) -> Self {
        Self { sfn }
    }

    /// Handles one batch of dead letters; only messages whose failure was not delivered stay.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for message in &event.records {
            if self.dispose(message).await == Disposal::Retry {
                response.batch_item_failures.push(batch_item_failure(
                    message.message_id.clone().unwrap_or_default(),
                ));
            }
        }
        response
    }

    /// Fails the task of one dead letter.
    pub async fn dispose(&self, message: &SqsMessage) -> Disposal {
        let message_id = message.message_id.as_deref().unwrap_or_default();
        let queue = dead_letter_queue_name(message);
        let stage: StageMessage = match message
            .body
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
        {
            Ok(Some(stage)) => stage,
            Ok(None) | Err(_) => {
                tracing::error!(%message_id, %queue, "a dead letter without a stage message: nothing to fail");
                return Disposal::NotAStageMessage;
            }
        };
        let job = stage.state.input.ticket.job().to_string();
        let cause = dead_letter_cause(&queue, message);
        let sent = self
            .sfn
            .send_task_failure()
            .task_token(&stage.task_token)
            .error(DEAD_LETTER)
            .cause(cause.to_string())
            .send()
            .await;
        match sent {
            Ok(_) => {
                tracing::warn!(%job, %queue, "stage message dead-lettered; its task was failed");
                Disposal::TaskFailed
            }
            Err(error) => {
                let code = aws_sdk_sfn::error::ProvideErrorMetadata::code(&error);
                if code.is_some_and(|code| {
                    matches!(code, "TaskDoesNotExist" | "TaskTimedOut" | "InvalidToken")
                }) {
                    tracing::info!(%job, %queue, "dead letter of a task that had already ended");
                    Disposal::TaskGone
                } else {
                    tracing::warn!(
                        %job,
                        %queue,
                        error = %aws_sdk_sfn::error::DisplayErrorContext(&error),
                        "SendTaskFailure failed; the dead letter stays for another receive"
                    );
                    Disposal::Retry
                }
            }
        }
    }
}

impl QueueHandler for DeadLetters {
    fn handle(&self, event: SqsEvent) -> QueueFuture<'_> {
        Box::pin(DeadLetters::handle(self, event))
    }
}

/// The handler for the local host.
pub fn queue_handler(dead_letters: Arc<DeadLetters>) -> Arc<dyn QueueHandler> {
    dead_letters
}

/// The name of the queue the message was dead-lettered from (from `DeadLetterQueueSourceArn`),
/// or else of the dead-letter queue itself.
fn dead_letter_queue_name(message: &SqsMessage) -> String {
    message
        .attributes
        .get(SOURCE_QUEUE_ATTRIBUTE)
        .or(message.event_source_arn.as_ref())
        .and_then(|arn| arn.rsplit(':').next())
        .unwrap_or("an unnamed queue")
        .to_owned()
}

/// The `Cause` of the failure: code `dead_letter` and a message naming the queue and the
/// receive count, in the JSON shape RecordFailure copies onto the job.
fn dead_letter_cause(queue: &str, message: &SqsMessage) -> serde_json::Value {
    serde_json::json!({
        "code": DEAD_LETTER_CODE,
        "message": format!(
            "the stage message on queue {queue} was received {} times without an answer and moved to its dead-letter queue",
            receive_count(message)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dead_letter(source: Option<&str>, count: &str) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.event_source_arn =
            Some("arn:aws:sqs:us-east-1:000000000000:ida-x-parse-dlq".into());
        if let Some(source) = source {
            message
                .attributes
                .insert(SOURCE_QUEUE_ATTRIBUTE.into(), source.into());
        }
        message
            .attributes
            .insert("ApproximateReceiveCount".into(), count.into());
        message
    }

    #[test]
    fn the_cause_names_the_source_queue_and_the_receive_count() {
        let message = dead_letter(Some("arn:aws:sqs:us-east-1:000000000000:ida-x-parse"), "3");
        let queue = dead_letter_queue_name(&message);
        assert_eq!(queue, "ida-x-parse");
        assert_eq!(
            dead_letter_cause(&queue, &message),
            serde_json::json!({
                "code": "dead_letter",
                "message": "the stage message on queue ida-x-parse was received 3 times without an answer and moved to its dead-letter queue"
            })
        );
    }

    #[test]
    fn without_a_source_attribute_the_dead_letter_queue_is_named() {
        assert_eq!(
            dead_letter_queue_name(&dead_letter(None, "1")),
            "ida-x-parse-dlq"
        );
    }

    #[test]
    fn one_spec_per_stage_dead_letter_queue_all_on_one_binary() {
        let queues: Vec<&str> = FUNCTIONS
            .iter()
            .map(|spec| match spec.trigger {
                Trigger::Queue { queue } => queue,
                _ => "",
            })
            .collect();
        assert_eq!(
            queues,
            [
                "ParseDeadLetterQueue",
                "ProfileDeadLetterQueue",
                "PlanDeadLetterQueue",
                "AwaitApprovalDeadLetterQueue",
                "TransformDeadLetterQueue",
                "ActivateDeadLetterQueue",
                "RecordFailureDeadLetterQueue"
            ]
        );
        assert!(FUNCTIONS.iter().all(|spec| spec.binary == "dead-letters"));
        assert!(
            FUNCTIONS
                .iter()
                .all(|spec| (spec.settings)(&|_| None).is_ok())
        );
    }

    #[test]
    fn the_sample_dead_letter_is_a_parse_stage_message_received_six_times() {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/dead-letters/sqs-parse-dead-letter.json"
        ));
        let event: SqsEvent = serde_json::from_str(text).unwrap();
        let message = &event.records[0];
        let stage: StageMessage = serde_json::from_str(message.body.as_deref().unwrap()).unwrap();
        assert_eq!(stage.state.input.attempt, 1);
        assert_eq!(
            dead_letter_cause(&dead_letter_queue_name(message), message)["message"],
            "the stage message on queue ida-parse was received 6 times without an answer and moved to its dead-letter queue"
        );
    }

    #[tokio::test]
    async fn a_body_that_is_no_stage_message_is_acknowledged_without_a_call() {
        let config = aws_sdk_sfn::Config::builder()
            .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
            .region(aws_sdk_sfn::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let dead_letters = DeadLetters::new(aws_sdk_sfn::Client::from_conf(config));
        let mut message = dead_letter(None, "6");
        message.message_id = Some("m-1".into());
        message.body = Some("not json".into());
        assert_eq!(
            dead_letters.dispose(&message).await,
            Disposal::NotAStageMessage
        );
        let mut event = SqsEvent::default();
        event.records = vec![message];
        assert!(
            dead_letters
                .handle(event)
                .await
                .batch_item_failures
                .is_empty()
        );
    }
}
