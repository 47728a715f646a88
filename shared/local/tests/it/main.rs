//! Integration tests of ida-local on the emulators: the `ida serve` host, the pipeline state
//! machine provisioned from the template and driven by the queue pollers (with stage handlers
//! written here running in the real callback-worker harness), and the workspace's consistency
//! checks between the function crates' declarations, the OpenAPI document and
//! `infra/template.yaml`.

mod consistency;
mod host;
mod pipeline;
