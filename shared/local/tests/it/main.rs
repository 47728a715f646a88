//! Integration tests of ida-local: the `ida serve` host on the emulators (`scripts/emulators
//! up`), and the workspace's consistency checks between the function crates' declarations, the
//! OpenAPI document and `infra/template.yaml`.

mod consistency;
mod host;
