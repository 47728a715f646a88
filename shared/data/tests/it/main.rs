//! Integration tests of ida-data, one module per area.

// clippy.toml allows these inside #[test] functions only; the shared fixture helpers of this
// test binary are test code too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod recipe;
