//! IDA's domain: ids, tenants, users, roles and permissions, projects, datasets and their
//! versions, jobs, recipes, approvals and audit events, with the rules that govern them.
//!
//! This crate never performs I/O and never depends on AWS: it is plain types and pure functions,
//! so every rule is tested without a network. Its only contact with the outside world is the
//! operating system's random source, used to make ids, salts, token secrets and signing keys.
//! Time is always passed in (`now`), never read from a clock, so rules are deterministic.

pub mod access;
pub mod approval;
pub mod audit;
pub mod dataset;
pub mod error;
pub mod id;
pub mod identity;
pub mod job;
pub mod pipeline;
pub mod project;
pub mod quota;
pub mod recipe;
pub mod tenancy;
pub mod transition;
pub mod upload;
pub mod user;
mod wire_enum;

pub use access::{Permission, Principal, Role, TenantScope, authorize};
pub use error::{CoreError, ErrorKind, Result};
pub use transition::{InvalidTransition, StateMachine};
