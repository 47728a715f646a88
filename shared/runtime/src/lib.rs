//! Lambda glue shared by every IDA function: settings read from the environment and validated at
//! cold start, AWS clients built once, JSON tracing with correlation ids, and HTTP helpers that
//! turn errors into problem responses in one place.
//!
//! It holds no business rules (those live in `ida-core`, `ida-data` and `ida-store`), never logs
//! a request body, and never sends internal error text to a client.

pub mod auth;
pub mod aws;
pub mod error;
pub mod function;
pub mod http;
pub mod pipeline_settings;
pub mod settings;
pub mod stage_artifacts;
pub mod stage_job;
mod store_errors;
pub mod store_settings;
pub mod tracing;
pub mod worker;

pub use error::RuntimeError;
