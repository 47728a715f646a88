//! The in-process host behind `ida serve`: the REST API on 127.0.0.1, each request turned into
//! the API Gateway event its route receives when deployed and handed to that route's handler,
//! with the REQUEST authorizer (and API Gateway's result cache) in front of authorized routes
//! and API Gateway's own answers (401, 403, 404, 413, 504) as problem responses.
//!
//! It hosts what the function crates declare and nothing else: it never adds a route, reads a
//! credential itself, or listens anywhere but loopback.

mod authorization;
mod catalog;
mod error;
mod gateway_problem;
mod keys;
mod pipeline;
mod route_table;
mod server;
mod stack;

pub use authorization::{AuthorizerCache, AuthorizerStep, RouteAuthorizer};
pub use catalog::{
    LocalFunctions, Services, all_functions, all_routes, function_crates, local_environment,
};
pub use error::ServeError;
pub use gateway_problem::GatewayProblem;
pub use keys::{KEY_RING_FILE, key_ring_in};
pub use pipeline::{PipelineFunctions, QueueFunction};
pub use route_table::{MatchedRoute, RouteMatch, RouteTable};
pub use server::{
    API_GATEWAY_BODY_LIMIT, API_GATEWAY_TIMEOUT, BackgroundTask, RunningServe, Serve, ServeBuilder,
    Shutdown,
};
pub use stack::serve_stack;
