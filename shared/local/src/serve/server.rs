//! The HTTP/1.1 server of `ida serve`: bound to 127.0.0.1 only, it turns each request into the
//! API Gateway event its route receives when deployed, runs the authorizer step first on
//! authorized routes, applies API Gateway's 10 MB body limit and 29 s integration timeout, and
//! copies the route's response back. Background tasks (the pipeline's queue pollers) run beside
//! it and stop with it.

use crate::pipeline_host::PipelineHost;
use crate::provision::ProvisionedStack;
use crate::serve::authorization::{AuthorizerCache, AuthorizerStep, RouteAuthorizer};
use crate::serve::error::ServeError;
use crate::serve::gateway_problem::GatewayProblem;
use crate::serve::route_table::{MatchedRoute, RouteMatch, RouteTable};
use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use ida_runtime::function::{Access, HostedRoute};
use ida_runtime::http::{CorrelationId, GatewayRequest, problem_response};
use lambda_http::aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_http::http::header::CONTENT_LENGTH;
use lambda_http::http::request::Parts;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// API Gateway's largest request body (10 MB).
pub const API_GATEWAY_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// API Gateway's integration timeout for REST APIs.
pub const API_GATEWAY_TIMEOUT: Duration = Duration::from_secs(29);

/// How long a shutdown waits for requests in flight before dropping them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// A task that runs beside the server until the shutdown signal.
pub type BackgroundTask = Box<dyn FnOnce(Shutdown) -> BoxFuture<'static, ()> + Send>;

/// The shutdown signal handed to background tasks.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Resolves once the host is shutting down.
    pub async fn requested(&mut self) {
        // An error means the host is gone, which is a shutdown too.
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }

    /// Whether the host is shutting down.
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }
}

/// The local host; see [`Serve::builder`].
#[derive(Debug)]
pub struct Serve;

impl Serve {
    /// A host with no routes on an ephemeral port, API Gateway's limits and no result cache.
    pub fn builder() -> ServeBuilder {
        ServeBuilder {
            stack: None,
            routes: Vec::new(),
            authorizer: None,
            cache: AuthorizerCache::disabled(),
            port: 0,
            background: Vec::new(),
            body_limit: API_GATEWAY_BODY_LIMIT,
            timeout: API_GATEWAY_TIMEOUT,
        }
    }
}

/// What the host serves and how.
pub struct ServeBuilder {
    stack: Option<ProvisionedStack>,
    routes: Vec<HostedRoute>,
    authorizer: Option<Arc<dyn RouteAuthorizer>>,
    cache: AuthorizerCache,
    port: u16,
    background: Vec<BackgroundTask>,
    body_limit: usize,
    timeout: Duration,
}

impl ServeBuilder {
    /// The stack the routes' state was built on; the host keeps it and hands it back at
    /// shutdown, for the caller to tear down or keep.
    pub fn stack(mut self, stack: ProvisionedStack) -> Self {
        self.stack = Some(stack);
        self
    }

    /// Adds routes.
    pub fn routes(mut self, routes: impl IntoIterator<Item = HostedRoute>) -> Self {
        self.routes.extend(routes);
        self
    }

    /// The authorizer every authorized route goes through.
    pub fn authorizer(mut self, authorizer: Arc<dyn RouteAuthorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// API Gateway's result cache for the authorizer.
    pub fn authorizer_cache(mut self, cache: AuthorizerCache) -> Self {
        self.cache = cache;
        self
    }

    /// The port on 127.0.0.1; 0 picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// A task started with the server and told to stop with it.
    pub fn background<F, Fut>(mut self, task: F) -> Self
    where
        F: FnOnce(Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.background
            .push(Box::new(move |shutdown| Box::pin(task(shutdown))));
        self
    }

    /// Runs the pipeline's queue pollers with the server: they stop when it stops.
    pub fn pipeline(self, host: PipelineHost) -> Self {
        self.background(move |mut shutdown| async move {
            shutdown.requested().await;
            if let Err(error) = host.shutdown().await {
                tracing::warn!(%error, "a queue poller ended abnormally");
            }
        })
    }

    /// Another request body limit than API Gateway's.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Another integration timeout than API Gateway's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Binds the port and starts serving and the background tasks.
    pub async fn start(self) -> Result<RunningServe, ServeError> {
        let unguarded = self.routes.iter().find(|route| {
            matches!(
                route.spec.trigger,
                ida_runtime::function::Trigger::Route {
                    access: Access::Authorized,
                    ..
                }
            )
        });
        if let (None, Some(route)) = (&self.authorizer, unguarded) {
            return Err(ServeError::NoAuthorizer {
                binary: route.spec.binary,
            });
        }
        let table = RouteTable::new(self.routes)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))
            .await
            .map_err(|error| ServeError::Bind {
                port: self.port,
                message: error.to_string(),
            })?;
        let address = listener.local_addr().map_err(|error| ServeError::Bind {
            port: self.port,
            message: error.to_string(),
        })?;
        let dispatcher = Arc::new(Dispatcher {
            table,
            authorizer: self
                .authorizer
                .map(|authorizer| AuthorizerStep::new(authorizer, self.cache)),
            body_limit: self.body_limit,
            timeout: self.timeout,
        });
        let (signal, receiver) = watch::channel(false);
        let server = tokio::spawn(accept(listener, dispatcher, Shutdown(receiver.clone())));
        let background = self
            .background
            .into_iter()
            .map(|task| tokio::spawn(task(Shutdown(receiver.clone()))))
            .collect();
        tracing::info!(%address, "local host listening");
        Ok(RunningServe {
            address,
            signal,
            server,
            background,
            stack: self.stack,
        })
    }
}

/// A started host.
#[derive(Debug)]
pub struct RunningServe {
    address: SocketAddr,
    signal: watch::Sender<bool>,
    server: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
    stack: Option<ProvisionedStack>,
}

impl RunningServe {
    /// The bound address (127.0.0.1 and the port).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The stack the host was given.
    pub fn stack(&self) -> Option<&ProvisionedStack> {
        self.stack.as_ref()
    }

    /// Stops accepting, lets requests in flight finish (up to 30 s), stops the background
    /// tasks, and hands the stack back.
    pub async fn shutdown(self) -> Option<ProvisionedStack> {
        // Nobody listening means everything has stopped already.
        let _ = self.signal.send(true);
        if let Err(error) = self.server.await {
            tracing::warn!(%error, "the server task ended abnormally");
        }
        for task in self.background {
            if let Err(error) = task.await {
                tracing::warn!(%error, "a background task ended abnormally");
            }
        }
        self.stack
    }
}

async fn accept(listener: TcpListener, dispatcher: Arc<Dispatcher>, mut shutdown: Shutdown) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        continue;
                    }
                };
                let dispatcher = Arc::clone(&dispatcher);
                let service = service_fn(move |request| Arc::clone(&dispatcher).dispatch(request, peer));
                let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                });
            }
            () = shutdown.requested() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the drain timeout were dropped");
    }
}

/// Everything a request needs: the routes, the authorizer step and API Gateway's limits.
struct Dispatcher {
    table: RouteTable,
    authorizer: Option<AuthorizerStep>,
    body_limit: usize,
    timeout: Duration,
}

impl Dispatcher {
    async fn dispatch(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
        peer: SocketAddr,
    ) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
        let correlation_id = CorrelationId::from_headers(request.headers());
        let response = match self.serve(request, peer).await {
            Ok(response) => response,
            Err(problem) => problem_response(&problem, &correlation_id),
        };
        let (parts, body) = response.into_parts();
        Ok(hyper::Response::from_parts(
            parts,
            Full::new(Bytes::copy_from_slice(body.as_ref())),
        ))
    }

    async fn serve(
        &self,
        request: hyper::Request<Incoming>,
        peer: SocketAddr,
    ) -> Result<lambda_http::Response<lambda_http::Body>, GatewayProblem> {
        let (parts, body) = request.into_parts();
        let matched = match self.table.find(parts.method.as_str(), parts.uri.path()) {
            RouteMatch::Found(matched) => matched,
            RouteMatch::MethodNotAllowed { allow } => {
                return Err(GatewayProblem::MethodNotAllowed { allow });
            }
            RouteMatch::NotFound => return Err(GatewayProblem::NotFound),
        };
        let too_large = GatewayProblem::RequestTooLarge {
            limit: self.body_limit,
        };
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > self.body_limit as u64) {
            return Err(too_large);
        }
        let body = Limited::new(body, self.body_limit)
            .collect()
            .await
            .map_err(|_| too_large)?
            .to_bytes();
        let context = match (matched.access, &self.authorizer) {
            (Access::Public, _) => None,
            (Access::Authorized, None) => return Err(GatewayProblem::AuthorizerFailure),
            (Access::Authorized, Some(step)) => {
                let event = Self::authorizer_event(&parts, &matched);
                Some(step.context_for(&event, &parts.headers).await?)
            }
        };
        let mut gateway =
            GatewayRequest::new(parts.method.as_str(), matched.resource, parts.uri.path())
                .source_ip(&peer.ip().to_string());
        for (name, value) in &matched.parameters {
            gateway = gateway.path_parameter(name, value);
        }
        if let Some(query) = parts.uri.query() {
            for (name, value) in form_urlencoded::parse(query.as_bytes()) {
                gateway = gateway.query(&name, &value);
            }
        }
        for (name, value) in &parts.headers {
            gateway = gateway.header(name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
        }
        if !body.is_empty() {
            gateway = gateway.body(body.to_vec());
        }
        if let Some(context) = context {
            gateway = gateway.authorizer_context(context);
        }
        let request = gateway.into_request().map_err(|error| {
            tracing::error!(%error, "the request could not become an API Gateway event");
            GatewayProblem::BadGateway
        })?;
        match tokio::time::timeout(self.timeout, (matched.route.handler)(request)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(never)) => match never {},
            Err(_) => {
                tracing::warn!(
                    route = matched.route.spec.binary,
                    "the route did not answer within the integration timeout"
                );
                Err(GatewayProblem::IntegrationTimeout)
            }
        }
    }

    /// The REQUEST authorizer's event for this request, as API Gateway sends it.
    fn authorizer_event(
        parts: &Parts,
        matched: &MatchedRoute<'_>,
    ) -> ApiGatewayCustomAuthorizerRequestTypeRequest {
        let mut event = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
        event.type_ = Some("REQUEST".to_owned());
        event.method_arn = Some(format!(
            "arn:aws:execute-api:{}:{}:local/{}/{}{}",
            crate::DEFAULT_REGION,
            crate::LOCAL_ACCOUNT_ID,
            ida_runtime::http::API_STAGE,
            parts.method,
            parts.uri.path()
        ));
        event.resource = Some(matched.resource.to_owned());
        event.path = Some(parts.uri.path().to_owned());
        event.http_method = Some(parts.method.clone());
        event.headers = parts.headers.clone();
        event.multi_value_headers = parts.headers.clone();
        event.path_parameters = matched
            .parameters
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect();
        event
    }
}
