//! The pollers: one task per bound queue, stopped together by [`PipelineHost::shutdown`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use ida_runtime::worker::QueueHandler;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{LocalError, Result};
use crate::provision::QueueHandle;

/// Seconds one ReceiveMessage waits for messages (SQS allows up to 20). Shutdown does not wait
/// for it: the pending receive is dropped.
const LONG_POLL_SECONDS: i32 = 10;

/// Pause after a failed ReceiveMessage (an emulator restarting), so a down endpoint is not
/// hammered.
const RECEIVE_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// One queue and the function its event source mapping feeds.
#[derive(Clone)]
pub struct QueueBinding {
    /// The queue to drain.
    pub queue: QueueHandle,
    /// The function's handler.
    pub handler: Arc<dyn QueueHandler>,
    /// The mapping's `BatchSize` (1 to 10).
    pub batch_size: i32,
}

impl QueueBinding {
    /// Binds `handler` to `queue` with the mapping's batch size.
    pub fn new(queue: QueueHandle, handler: Arc<dyn QueueHandler>, batch_size: i32) -> Self {
        Self {
            queue,
            handler,
            batch_size: batch_size.clamp(1, 10),
        }
    }
}

impl std::fmt::Debug for QueueBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueBinding")
            .field("queue", &self.queue.name)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

/// The running pollers.
#[derive(Debug)]
pub struct PipelineHost {
    stop: watch::Sender<bool>,
    pollers: Vec<(String, JoinHandle<()>)>,
}

impl PipelineHost {
    /// Starts one poller per binding on the current tokio runtime.
    pub fn start(sqs: aws_sdk_sqs::Client, region: &str, bindings: Vec<QueueBinding>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let pollers = bindings
            .into_iter()
            .map(|binding| {
                let name = binding.queue.name.clone();
                let poller = Poller {
                    sqs: sqs.clone(),
                    region: region.to_owned(),
                    binding,
                };
                let task = tokio::spawn(poller.run(stopped.clone()));
                (name, task)
            })
            .collect();
        Self { stop, pollers }
    }

    /// The names of the queues being drained.
    pub fn queues(&self) -> Vec<&str> {
        self.pollers.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// Stops every poller: a receive in flight is dropped (its messages, if any, come back
    /// after the visibility timeout), a batch being handled finishes first. Reports the first
    /// poller that ended abnormally.
    pub async fn shutdown(self) -> Result<()> {
        // Receivers may all be gone already if every poller ended; that is a stop too.
        let _ = self.stop.send(true);
        let mut first_error = None;
        for (name, task) in self.pollers {
            if let Err(error) = task.await {
                first_error.get_or_insert(LocalError::Emulator {
                    operation: "poll",
                    resource: name,
                    message: error.to_string(),
                });
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

struct Poller {
    sqs: aws_sdk_sqs::Client,
    region: String,
    binding: QueueBinding,
}

impl Poller {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let queue = &self.binding.queue;
        loop {
            if *stopped.borrow() {
                return;
            }
            let receive = self
                .sqs
                .receive_message()
                .queue_url(&queue.url)
                .max_number_of_messages(self.binding.batch_size)
                .wait_time_seconds(LONG_POLL_SECONDS)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send();
            let received = tokio::select! {
                _ = stopped.changed() => return,
                received = receive => received,
            };
            let messages = match received {
                Ok(output) => output.messages.unwrap_or_default(),
                Err(error) => {
                    tracing::warn!(
                        queue = %queue.name,
                        error = %aws_sdk_sqs::error::DisplayErrorContext(&error),
                        "ReceiveMessage failed"
                    );
                    tokio::time::sleep(RECEIVE_ERROR_PAUSE).await;
                    continue;
                }
            };
            if messages.is_empty() {
                continue;
            }
            self.deliver(messages).await;
        }
    }

    /// Hands one batch to the function and deletes what it processed.
    async fn deliver(&self, messages: Vec<Message>) {
        let queue = &self.binding.queue;
        let receipts: HashMap<String, String> = messages
            .iter()
            .filter_map(|m| Some((m.message_id.clone()?, m.receipt_handle.clone()?)))
            .collect();
        let mut event = SqsEvent::default();
        event.records = messages
            .into_iter()
            .map(|message| lambda_record(message, &queue.arn, &self.region))
            .collect();
        let response = self.binding.handler.handle(event).await;
        let failed: HashSet<String> = response
            .batch_item_failures
            .into_iter()
            .map(|failure| failure.item_identifier)
            .collect();
        let entries: Vec<DeleteMessageBatchRequestEntry> = receipts
            .iter()
            .filter(|(id, _)| !failed.contains(*id))
            .enumerate()
            .filter_map(|(index, (_, receipt))| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("m{index}"))
                    .receipt_handle(receipt)
                    .build()
                    .ok()
            })
            .collect();
        if entries.is_empty() {
            return;
        }
        match self
            .sqs
            .delete_message_batch()
            .queue_url(&queue.url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(output) if output.failed.is_empty() => {}
            Ok(output) => tracing::warn!(
                queue = %queue.name,
                failed = output.failed.len(),
                "some processed messages were not deleted and will be delivered again"
            ),
            Err(error) => tracing::warn!(
                queue = %queue.name,
                error = %aws_sdk_sqs::error::DisplayErrorContext(&error),
                "DeleteMessageBatch failed; the batch will be delivered again"
            ),
        }
    }
}

/// The record Lambda builds for one SQS message.
fn lambda_record(message: Message, queue_arn: &str, region: &str) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = message.message_id;
    record.receipt_handle = message.receipt_handle;
    record.body = message.body;
    record.md5_of_body = message.md5_of_body;
    record.md5_of_message_attributes = message.md5_of_message_attributes;
    record.attributes = message
        .attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| (name.as_str().to_owned(), value))
        .collect();
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(queue_arn.to_owned());
    record.aws_region = Some(region.to_owned());
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_carries_the_message_and_its_system_attributes_as_lambda_names_them() {
        let message = Message::builder()
            .message_id("m-1")
            .receipt_handle("r-1")
            .body("{\"a\":1}")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "3")
            .build();
        let record = lambda_record(message, "arn:aws:sqs:us-east-1:000000000000:q", "us-east-1");
        assert_eq!(record.message_id.as_deref(), Some("m-1"));
        assert_eq!(record.receipt_handle.as_deref(), Some("r-1"));
        assert_eq!(record.body.as_deref(), Some("{\"a\":1}"));
        assert_eq!(record.attributes["ApproximateReceiveCount"], "3");
        assert_eq!(record.event_source.as_deref(), Some("aws:sqs"));
        assert_eq!(
            record.event_source_arn.as_deref(),
            Some("arn:aws:sqs:us-east-1:000000000000:q")
        );
    }
}
