//! Fault injection for tests, through the host's port: a handler wrapper that misbehaves a set
//! number of times before passing batches on to the real handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use ida_core::pipeline::{StageMessage, TRANSIENT};
use ida_runtime::worker::{QueueFuture, QueueHandler, batch_item_failure};

/// How the wrapped function misbehaves.
#[derive(Debug, Clone)]
pub enum Fault {
    /// It crashes: every message of the batch is left on the queue, as when a Lambda
    /// invocation fails, so it comes back after the visibility timeout and, after
    /// `maxReceiveCount` receives, lands in the dead-letter queue.
    Crash,
    /// It reports `Ida.Transient` for each stage message, as a stage does when a dependency is
    /// briefly down, so the state machine's Retry runs.
    Transient {
        /// Where the failure is reported.
        sfn: aws_sdk_sfn::Client,
    },
}

/// A handler that misbehaves for its first `times` batches, then behaves like `inner`.
pub struct FaultyHandler {
    inner: Arc<dyn QueueHandler>,
    fault: Fault,
    remaining: AtomicU32,
    injected: AtomicU32,
}

impl FaultyHandler {
    /// Wraps `inner` so its first `times` batches meet `fault`.
    pub fn new(inner: Arc<dyn QueueHandler>, fault: Fault, times: u32) -> Self {
        Self {
            inner,
            fault,
            remaining: AtomicU32::new(times),
            injected: AtomicU32::new(0),
        }
    }

    /// How many batches met the fault so far.
    pub fn injected(&self) -> u32 {
        self.injected.load(Ordering::SeqCst)
    }

    fn take_one(&self) -> bool {
        self.remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    async fn misbehave(&self, event: SqsEvent) -> SqsBatchResponse {
        self.injected.fetch_add(1, Ordering::SeqCst);
        let mut response = SqsBatchResponse::default();
        for message in event.records {
            let id = message.message_id.clone().unwrap_or_default();
            let reported = match &self.fault {
                Fault::Crash => false,
                Fault::Transient { sfn } => {
                    let stage: Option<StageMessage> = message
                        .body
                        .as_deref()
                        .and_then(|body| serde_json::from_str(body).ok());
                    match stage {
                        Some(stage) => sfn
                            .send_task_failure()
                            .task_token(stage.task_token)
                            .error(TRANSIENT)
                            .cause(
                                serde_json::json!({
                                    "code": "injected_fault",
                                    "message": "a fault injected by the test host"
                                })
                                .to_string(),
                            )
                            .send()
                            .await
                            .is_ok(),
                        None => false,
                    }
                }
            };
            if !reported {
                response.batch_item_failures.push(batch_item_failure(id));
            }
        }
        response
    }
}

impl QueueHandler for FaultyHandler {
    fn handle(&self, event: SqsEvent) -> QueueFuture<'_> {
        Box::pin(async move {
            if self.take_one() {
                self.misbehave(event).await
            } else {
                self.inner.handle(event).await
            }
        })
    }
}
