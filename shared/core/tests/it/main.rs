//! Stories across the domain crate's modules, as the API and pipeline will use them: register,
//! log in, act under a tenant scope, approve with four eyes, and audit every step in a chain
//! that verifies.

// Test code may unwrap and index (the workspace policy allows it in tests); helpers outside
// `#[test]` functions are not recognised as test code by clippy, hence the crate-level allow.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod destructive_actions;
mod onboarding;
