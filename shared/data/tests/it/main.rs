//! Integration tests of the data engine: one binary, one module per area.
//!
//! Test helpers may unwrap: a failed fixture load is a failed test, reported with its cause.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod profile_alerts;
mod profile_fixtures;
mod profile_frames;
mod profile_properties;
mod report_browser;
