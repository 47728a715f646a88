//! The queue side of `ida serve` and of the end-to-end tests: one poller per queue function,
//! draining its queue exactly as a Lambda SQS event source mapping does (long-poll
//! ReceiveMessage, a batch of at most the mapping's size, an `SqsEvent` with the real message
//! attributes such as `ApproximateReceiveCount`, the function's handler, then DeleteMessage for
//! every message the handler did not name as a batch item failure). A failed message is left
//! alone: it comes back after the queue's visibility timeout, and the queue's redrive moves it
//! to the dead-letter queue after `maxReceiveCount` receives, as on AWS.
//!
//! The host knows no function crate: the caller binds each queue to an
//! `Arc<dyn QueueHandler>`. It never changes a message and never decides an outcome; faults for
//! tests are injected by wrapping a handler ([`FaultyHandler`]), never by a flag in a function.

mod fault;
mod poller;

pub use fault::{Fault, FaultyHandler};
pub use poller::{PipelineHost, QueueBinding};
