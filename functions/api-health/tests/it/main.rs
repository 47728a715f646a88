//! Integration tests of `GET /health` against the local emulators (`scripts/emulators up`).
//! Each test provisions its own stack from `infra/template.yaml` through `ida-local`, under a
//! unique prefix, calls the handler with the sample event from `events/`, and tears the stack
//! down, so the tests run in parallel.

mod emulators;
mod get_health;
