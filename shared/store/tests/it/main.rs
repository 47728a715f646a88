//! Integration tests of ida-store against the local emulators (DynamoDB Local and LocalStack
//! S3). Each test provisions its own stack from infra/template.yaml under a unique prefix and
//! tears it down; run `scripts/emulators up` first.

// This binary is only tests: its helpers may fail loudly as the test functions do (clippy.toml
// allows these in test functions, not in the helpers beside them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod artifacts;
mod audit;
mod destructive;
mod env;
mod erasure;
mod idempotency;
mod identity;
mod isolation;
mod quota;
mod versions;
