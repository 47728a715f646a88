//! Integration tests of the user routes against the local emulators: each test provisions its
//! own stack, registers tenants through the store, calls the handlers with API Gateway-shaped
//! requests, checks the records, and tears the stack down.

mod env;
mod users;
