//! A message received more than `maxReceiveCount` times moves to its queue's DLQ.

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::MessageSystemAttributeName;
use ida_local::PipelineQueue;

use crate::env::{TestEnv, fast_queue_parameters};

#[tokio::test]
async fn a_message_received_too_many_times_moves_to_its_dead_letter_queue() -> anyhow::Result<()> {
    let env = TestEnv::start(fast_queue_parameters()).await?;
    let parse = env.stack.queue(PipelineQueue::Parse)?.clone();
    assert_eq!(parse.max_receive_count, 2);
    env.stack
        .clients
        .sqs
        .send_message()
        .queue_url(&parse.queue.url)
        .message_body(r#"{"poison":true}"#)
        .send()
        .await?;

    // A worker that fails every time: it receives and never deletes.
    let started = Instant::now();
    let mut receives = 0;
    let dead = loop {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "no dead letter after 30 s"
        );
        if env
            .receive(&parse.queue.url, Duration::from_secs(1))
            .await?
            .is_some()
        {
            receives += 1;
        }
        if let Some(dead) = env
            .receive(&parse.dead_letter.url, Duration::from_secs(1))
            .await?
        {
            break dead;
        }
    };
    assert_eq!(receives, 2);
    assert_eq!(dead.body(), Some(r#"{"poison":true}"#));
    let source = dead
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::DeadLetterQueueSourceArn))
        .cloned();
    assert_eq!(source, Some(parse.queue.arn.clone()));
    env.finish().await
}
