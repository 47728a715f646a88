//! Integration tests of the data engine: the readers (fixture files for every reader behaviour,
//! bad input with its error code and place, properties over arbitrary bytes) and recipes.

// clippy.toml allows these inside #[test] functions only; the shared fixture helpers of this
// test binary are test code too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod bad_input;
mod csv;
mod dataset;
#[cfg(test)]
mod fixtures;
mod json;
mod properties;
mod recipe;
mod workbook;
