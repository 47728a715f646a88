//! Integration tests of the upload routes against the local emulators
//! (`scripts/emulators up`): each test provisions its own stack from `infra/template.yaml`
//! through `ida-local`, calls the handlers with API Gateway events built by `GatewayRequest`,
//! and tears the stack down.

// This binary is only tests: its helpers may fail loudly as the test functions do (clippy.toml
// allows these in test functions, not in the helpers beside them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod emulators;
mod uploads;
