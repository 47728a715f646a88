//! HTTP glue over `lambda_http`: the correlation id, JSON responses, problem responses
//! (RFC 9457) built in one place from the [`Problem`] trait, and the helpers every API route
//! shares: typed JSON bodies, pagination, idempotency keys and conditional requests.
//!
//! Every route's handler runs inside [`respond`], which opens the request span, turns the
//! handler's error into `application/problem+json` without leaking its text, and puts
//! `X-Correlation-Id` on every response. Handlers never build an error response by hand.

mod body;
mod conditional;
mod correlation;
mod gateway;
mod idempotency;
mod pagination;
mod problem;
mod respond;
mod response;

pub use body::{DEFAULT_BODY_LIMIT, json_body, json_body_within};
pub use conditional::{ETag, check_if_match, if_none_match, with_body_etag, with_etag};
pub use idempotency::{
    Claim, IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, IdempotencyKey, IdempotencyRecords,
    RequestFingerprint, StoredResponse, run_idempotent, store_idempotency,
};
pub use pagination::{Page, PageRequest, page_response};

pub use correlation::{CORRELATION_ID_HEADER, CorrelationId};
pub use gateway::{API_STAGE, GatewayRequest};
pub use problem::{PROBLEM_CONTENT_TYPE, Problem, problem_response};
pub use respond::{Invocation, respond};
pub use response::json_response;
