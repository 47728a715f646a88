//! Integration tests of the job routes against the local emulators (`scripts/emulators up`).
//! Each test provisions its own stack from `infra/template.yaml` through `ida-local` and its own
//! small state machine on LocalStack's Step Functions (a `Parse` state that waits), so cancel and
//! retry act on real executions; it calls the handlers with API Gateway events and tears
//! everything down.

// This binary is only tests: its helpers may fail loudly as the test functions do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod env;
mod jobs;
