//! Integration tests of the pipeline stages on the local emulators (`scripts/emulators up`):
//! each test provisions its own stack with `ida-local`, seeds the records an upload makes,
//! puts a real file in the uploads bucket, and runs the stages in order, as the state machine
//! does, asserting the records and the artifacts' bytes. The harness tests run a real
//! `sqs:sendMessage.waitForTaskToken` task on LocalStack and hand its message to the worker.

mod chain;
mod env;
mod failures;
mod harness;
