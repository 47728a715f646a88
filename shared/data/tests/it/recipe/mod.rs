//! Recipes: reference fixtures, validation, determinism across thread counts, diffs, the JSON
//! Schema and properties.

mod determinism;
mod diff;
mod fixtures;
mod properties;
mod reference;
mod schema_agreement;
mod validation;
