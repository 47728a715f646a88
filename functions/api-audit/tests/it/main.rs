//! Integration tests of the audit routes against the local emulators (`scripts/emulators up`).
//! Each test provisions its own stack from `infra/template.yaml` through `ida-local`, makes
//! audited changes through the store as the other routes do, calls the handlers with API
//! Gateway events, and tears the stack down.

// This binary is only tests: its helpers may fail loudly as the test functions do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod audit;
