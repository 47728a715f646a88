//! Integration tests of ida-data's recipe engine: reference fixtures, validation, determinism
//! across thread counts, diffs, the JSON Schema and properties.

// clippy.toml allows these inside #[test] functions only; the shared fixture helpers of this
// test binary are test code too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod determinism;
mod diff;
mod fixtures;
mod properties;
mod reference;
mod schema_agreement;
mod validation;
