//! What a deployable function is, declared once by the crate that implements it: its binary
//! name, what triggers it, and the settings it reads at cold start. The local host dispatches
//! from these declarations, and a test checks them against `infra/template.yaml` (every binary
//! has its resource, the resource's trigger matches, every variable the settings read is set).

use crate::error::RuntimeError;
use lambda_http::{Body, Request, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Reads a function's settings from a variable lookup, so a test can run it over the
/// environment the template gives the function.
pub type SettingsReader = fn(&dyn Fn(&str) -> Option<String>) -> Result<(), RuntimeError>;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials: the route is deployed without the authorizer.
    Public,
    /// The authorizer runs first and hands the principal to the route.
    Authorized,
}

/// What makes a function run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// An API Gateway REST route. `path` uses the template's form: `/projects/{project_id}`.
    Route {
        /// Upper-case HTTP method.
        method: &'static str,
        /// Resource path with `{name}` parameters.
        path: &'static str,
        /// Whether the authorizer guards it.
        access: Access,
    },
    /// An SQS event source mapping on the queue with this logical id in the template.
    Queue {
        /// Logical id of the queue resource, e.g. `ParseQueue`.
        queue: &'static str,
    },
    /// The API's REQUEST authorizer.
    Authorizer,
}

/// One deployable function.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSpec {
    /// The binary's name (`src/bin/<binary>.rs`, or the crate's name for `src/main.rs`), also the
    /// template resource's `BuildProperties.Binary`.
    pub binary: &'static str,
    /// What triggers it.
    pub trigger: Trigger,
    /// The settings it reads at cold start.
    pub settings: SettingsReader,
}

/// The future a hosted route returns.
pub type RouteFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

/// A route's handler with its state bound, callable by the local host.
pub type RouteHandler = Arc<dyn Fn(Request) -> RouteFuture + Send + Sync>;

/// A route ready to serve: its declaration and its handler with state bound.
#[derive(Clone)]
pub struct HostedRoute {
    /// The function's declaration; its trigger is a [`Trigger::Route`].
    pub spec: &'static FunctionSpec,
    /// Calls the function's handler with an API Gateway-shaped request.
    pub handler: RouteHandler,
}

impl HostedRoute {
    /// Binds `handler` to `state`: the host calls `handler(state, request)` for each request.
    pub fn new<S, H, F>(spec: &'static FunctionSpec, state: Arc<S>, handler: H) -> Self
    where
        S: Send + Sync + 'static,
        H: Fn(Arc<S>, Request) -> F + Send + Sync + 'static,
        F: Future<Output = Result<Response<Body>, Infallible>> + Send + 'static,
    {
        let handler: RouteHandler = Arc::new(move |request| {
            let state = Arc::clone(&state);
            Box::pin(handler(state, request))
        });
        Self { spec, handler }
    }
}

impl std::fmt::Debug for HostedRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedRoute")
            .field("spec", self.spec)
            .finish_non_exhaustive()
    }
}
