//! HTTP glue over `lambda_http`: the correlation id, JSON responses, and problem responses
//! (RFC 9457) built in one place from the [`Problem`] trait.
//!
//! Every route's handler runs inside [`respond`], which opens the request span, turns the
//! handler's error into `application/problem+json` without leaking its text, and puts
//! `X-Correlation-Id` on every response. Handlers never build an error response by hand.

mod correlation;
mod problem;
mod respond;
mod response;

pub use correlation::{CORRELATION_ID_HEADER, CorrelationId};
pub use problem::{PROBLEM_CONTENT_TYPE, Problem, problem_response};
pub use respond::{Invocation, respond};
pub use response::json_response;
