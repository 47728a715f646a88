//! IDA's domain: ids, tenants, users, roles and permissions, projects, datasets and their
//! versions, jobs, recipes, approvals and audit events, with the rules that govern them.
//!
//! This crate never performs I/O and never depends on AWS: it is plain types and pure functions,
//! so every rule is tested without a network.
