//! Integration tests of the tenant settings routes against the local emulators: each test
//! provisions its own stack, registers tenants through the store, calls the handlers with
//! API Gateway-shaped requests and tears the stack down.

mod env;
mod policy;
