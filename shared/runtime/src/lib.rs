//! Lambda glue shared by every IDA function: settings read from the environment and validated at
//! cold start, AWS clients built once, JSON tracing with correlation ids, and HTTP helpers.
//!
//! It holds no business rules: those live in `ida-core`, `ida-data` and `ida-store`.
