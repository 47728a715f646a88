//! Integration tests of ida-runtime: API Gateway REST proxy events from `events/runtime/`
//! through the authorizer context and problem responses, bearer-token and API-key
//! authentication, and the key ring and API keys on the local emulators (`scripts/emulators up`).

// Test code may unwrap, expect, panic and index (the workspace policy allows it in tests);
// helpers outside `#[test]` functions are not recognised as test code by clippy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod api_keys;
mod authorizer_context;
mod bearer_tokens;
mod emulators;
mod key_ring;
