//! Integration tests of `GET /health` against the local emulators.
