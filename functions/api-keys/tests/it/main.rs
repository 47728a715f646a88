//! Integration tests of the API-key routes against the local emulators: each test provisions
//! its own stack, registers tenants through the store, calls the handlers with API
//! Gateway-shaped requests, verifies keys with the runtime's `Authenticator`, and tears down.

mod env;
mod keys;
