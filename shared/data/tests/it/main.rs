//! Integration tests of the data engine, one binary with one module per area: the readers
//! (fixture files for every reader behaviour, bad input with its error code and place,
//! properties over arbitrary bytes), profiling (reference statistics, alerts, the report) and
//! recipes.
//!
//! Test helpers may unwrap: a failed fixture load is a failed test, reported with its cause.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod bad_input;
mod csv;
mod dataset;
#[cfg(test)]
mod fixtures;
mod json;
mod plan;
mod plan_properties;
mod profile_alerts;
mod profile_fixtures;
mod profile_frames;
mod profile_properties;
mod properties;
mod recipe;
mod report_browser;
mod workbook;
