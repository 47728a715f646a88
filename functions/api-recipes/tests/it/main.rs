//! Integration tests of the recipe routes against the local emulators (`scripts/emulators up`).
//! Each test provisions its own stack from `infra/template.yaml` through `ida-local` and a small
//! state machine whose `AwaitApproval` state sends its task token to a queue, as the pipeline's
//! stage does; the token is stored on the recipe, so approve and reject answer a real waiting
//! task. Everything is torn down at the end.

// This binary is only tests: its helpers may fail loudly as the test functions do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod env;
mod recipes;
