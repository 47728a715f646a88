//! End-to-end suite against the local emulators (`scripts/emulators up`). Each test provisions
//! its own stack from `infra/template.yaml` through ida-local, under a unique prefix, and tears
//! it down, so tests run in parallel. Where LocalStack behaves unlike AWS, the test name says so
//! and docs/operations.md lists the difference.

#![cfg(test)]

mod api;
mod dead_letters;
mod env;
mod pipeline_faults;
mod pipeline_flow;
mod provisioning;
mod records;
mod route_walk;
mod served;
mod state_machine;
mod uploads;
