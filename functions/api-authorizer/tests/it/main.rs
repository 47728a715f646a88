//! Integration tests of the authorizer on the local emulators (`scripts/emulators up`): real
//! access tokens from ida-core's key ring, real API keys stored in a freshly provisioned
//! records table, and the key ring loaded from a file as `ida serve` does.

mod authorize;
