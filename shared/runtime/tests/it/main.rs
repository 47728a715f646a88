//! Integration tests of ida-runtime.
