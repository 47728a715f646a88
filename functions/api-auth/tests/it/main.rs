//! Integration tests of the auth routes against the local emulators (`scripts/emulators up`).
//! Each test provisions its own stack from `infra/template.yaml` through `ida-local` under a
//! unique prefix, calls the handlers with API Gateway-shaped requests, verifies the tokens it
//! gets with the runtime's `Authenticator`, and tears the stack down.

mod env;
mod flows;
