//! Stories across the domain crate's modules, as the API and pipeline will use them: register,
//! log in, act under a tenant scope, approve with four eyes, and audit every step in a chain
//! that verifies.

mod destructive_actions;
mod onboarding;
