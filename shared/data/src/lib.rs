//! IDA's data engine: read a tabular file into a typed dataset with an inferred schema, profile
//! it, plan a cleaning recipe, apply the recipe and diff versions.
//!
//! Files and frames go in, values come out. This crate never sees AWS or tenants; the pipeline
//! stages and the `ida` command call exactly the same functions.

pub mod dataset;
pub mod diff;
pub mod error;
pub mod infer;
pub mod plan;
pub mod profile;
pub mod read;
pub mod recipe;
pub mod report;
pub mod schema;
pub mod transform;

pub use error::{DataError, Result};
pub use infer::{InferOptions, describe_typed, infer};
pub use schema::{ColumnSchema, DatasetSchema, LogicalType, SemanticType, SourceFormat};
