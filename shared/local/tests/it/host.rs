//! The local host on a freshly provisioned stack, called over real HTTP on 127.0.0.1.

use anyhow::Context;
use ida_core::Role;
use ida_core::identity::{AccessTokenConfig, AccessTokens};
use ida_local::LocalStack;
use ida_local::serve::{
    API_GATEWAY_BODY_LIMIT, AuthorizerCache, LocalFunctions, RouteAuthorizer, RunningServe, Serve,
    ServeBuilder,
};
use ida_runtime::auth::principal_of;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{json_response, respond};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
};
use lambda_http::{RequestExt, http::HeaderName};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// A test-only authorized route that answers with the principal it was handed.
static WHOAMI: FunctionSpec = FunctionSpec {
    binary: "test-whoami",
    trigger: Trigger::Route {
        method: "GET",
        path: "/test/whoami/{probe_id}",
        access: Access::Authorized,
    },
    settings: |_| Ok(()),
};

/// A test-only public route that answers with the size of the body it received.
static ECHO: FunctionSpec = FunctionSpec {
    binary: "test-echo",
    trigger: Trigger::Route {
        method: "POST",
        path: "/test/echo",
        access: Access::Public,
    },
    settings: |_| Ok(()),
};

/// A test-only public route slower than the test's integration timeout.
static SLOW: FunctionSpec = FunctionSpec {
    binary: "test-slow",
    trigger: Trigger::Route {
        method: "GET",
        path: "/test/slow",
        access: Access::Public,
    },
    settings: |_| Ok(()),
};

fn test_routes() -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(&WHOAMI, Arc::new(()), |_, request| async move {
            respond(request, |request, _| async move {
                let principal = principal_of(&request)?;
                let probe = request
                    .path_parameters_ref()
                    .and_then(|p| p.first("probe_id"))
                    .map(str::to_owned);
                let query = request
                    .query_string_parameters_ref()
                    .and_then(|q| q.first("q"))
                    .map(str::to_owned);
                json_response(
                    lambda_http::http::StatusCode::OK,
                    &json!({
                        "tenant_id": principal.tenant().as_str(),
                        "user_id": principal.user().as_str(),
                        "role": principal.role().as_str(),
                        "probe_id": probe,
                        "q": query,
                    }),
                )
            })
            .await
        }),
        HostedRoute::new(&ECHO, Arc::new(()), |_, request| async move {
            respond(request, |request, _| async move {
                json_response(
                    lambda_http::http::StatusCode::OK,
                    &json!({"bytes": request.body().len()}),
                )
            })
            .await
        }),
        HostedRoute::new(&SLOW, Arc::new(()), |_, request| async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            respond(request, |_, _| async {
                json_response(lambda_http::http::StatusCode::OK, &json!({}))
            })
            .await
        }),
    ]
}

/// The real authorizer, counting how often the host asks it.
struct Counting {
    inner: Arc<dyn RouteAuthorizer>,
    calls: AtomicUsize,
}

impl RouteAuthorizer for Counting {
    fn authorize<'a>(
        &'a self,
        event: &'a ApiGatewayCustomAuthorizerRequestTypeRequest,
    ) -> futures::future::BoxFuture<
        'a,
        Result<ApiGatewayCustomAuthorizerResponse, api_authorizer::AuthorizerError>,
    > {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.authorize(event)
    }
}

/// A host on an ephemeral port over a fresh stack, with the test routes.
struct Host {
    running: RunningServe,
    tokens: AccessTokens,
    authorizer: Arc<Counting>,
    stopped: Arc<AtomicBool>,
    state_dir: PathBuf,
    http: reqwest::Client,
}

impl Host {
    async fn start(configure: impl FnOnce(ServeBuilder) -> ServeBuilder) -> anyhow::Result<Host> {
        let stack = LocalStack::from_env()
            .await
            .provision()
            .await
            .context("provisioning (is `scripts/emulators up` running?)")?;
        let state_dir = std::env::temp_dir().join(format!("{}-serve", stack.prefix));
        let functions = LocalFunctions::for_stack(&stack, &state_dir)?;
        let setting = |var: &str| {
            functions
                .environment
                .get(var)
                .cloned()
                .with_context(|| format!("the local environment sets {var}"))
        };
        let (issuer, audience) = (setting("IDA_TOKEN_ISSUER")?, setting("IDA_TOKEN_AUDIENCE")?);
        let tokens = AccessTokens::new(
            AccessTokenConfig::new(issuer, audience),
            &functions.key_ring,
        )?;
        let authorizer = Arc::new(Counting {
            inner: Arc::clone(&functions.authorizer),
            calls: AtomicUsize::new(0),
        });
        let stopped = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stopped);
        let builder = Serve::builder()
            .stack(stack)
            .routes(functions.routes())
            .routes(test_routes())
            .authorizer(authorizer.clone())
            .background(|mut shutdown| async move {
                shutdown.requested().await;
                flag.store(true, Ordering::SeqCst);
            });
        let running = configure(builder).start().await?;
        Ok(Host {
            running,
            tokens,
            authorizer,
            stopped,
            state_dir,
            http: reqwest::Client::new(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    fn token(&self, role: Role) -> anyhow::Result<String> {
        Ok(self
            .tokens
            .issue(
                &ida_core::id::TenantId::generate(),
                &ida_core::id::UserId::generate(),
                role,
                time::OffsetDateTime::now_utc(),
            )?
            .token)
    }

    async fn whoami(&self, authorization: Option<&str>) -> anyhow::Result<(u16, Value)> {
        let mut request = self.http.get(self.url("/test/whoami/prb%201?q=a%26b"));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, serde_json::from_slice(&response.bytes().await?)?))
    }

    async fn stop(self) -> anyhow::Result<()> {
        let stack = self.running.shutdown().await;
        assert!(
            self.stopped.load(Ordering::SeqCst),
            "background task told to stop"
        );
        std::fs::remove_dir_all(&self.state_dir).ok();
        stack
            .context("the host hands its stack back")?
            .teardown()
            .await?;
        Ok(())
    }
}

fn problem_code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("no code")
}

#[tokio::test]
async fn health_and_the_document_are_served_over_http_with_correlation_ids() -> anyhow::Result<()> {
    let host = Host::start(|builder| builder).await?;
    assert!(host.running.address().ip().is_loopback());

    let health = host
        .http
        .get(host.url("/health"))
        .header("X-Correlation-Id", "serve-it-1")
        .send()
        .await?;
    assert_eq!(health.status(), 200);
    assert_eq!(health.headers()["x-correlation-id"], "serve-it-1");
    let body: Value = serde_json::from_slice(&health.bytes().await?)?;
    assert_eq!(body["status"], "up", "{body}");

    let docs = host.http.get(host.url("/openapi.json")).send().await?;
    assert_eq!(docs.status(), 200);
    assert!(docs.headers().contains_key("x-correlation-id"));
    assert!(docs.headers().contains_key("etag"));
    let document: Value = serde_json::from_slice(&docs.bytes().await?)?;
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(
        document["paths"]["/health"]["get"]["operationId"],
        "health-get"
    );
    host.stop().await
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405_as_problems() -> anyhow::Result<()> {
    let host = Host::start(|builder| builder).await?;
    let missing = host
        .http
        .get(host.url("/no/such/route"))
        .header("X-Correlation-Id", "serve-it-404")
        .send()
        .await?;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(missing.headers()["x-correlation-id"], "serve-it-404");
    let body: Value = serde_json::from_slice(&missing.bytes().await?)?;
    assert_eq!(problem_code(&body), "not_found");
    assert_eq!(body["correlation_id"], "serve-it-404");

    let wrong_method = host.http.delete(host.url("/health")).send().await?;
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(wrong_method.headers()["allow"], "GET");
    let body: Value = serde_json::from_slice(&wrong_method.bytes().await?)?;
    assert_eq!(problem_code(&body), "method_not_allowed");
    host.stop().await
}

#[tokio::test]
async fn an_authorized_route_needs_a_real_token_and_sees_its_principal() -> anyhow::Result<()> {
    let host = Host::start(|builder| builder).await?;
    let (status, body) = host.whoami(None).await?;
    assert_eq!((status, problem_code(&body)), (401, "unauthenticated"));
    let (status, body) = host.whoami(Some("Bearer forged.token.value")).await?;
    assert_eq!((status, problem_code(&body)), (401, "unauthenticated"));

    let token = host.token(Role::Viewer)?;
    let verified = host
        .tokens
        .verify(&token, time::OffsetDateTime::now_utc())?
        .principal;
    let (status, body) = host.whoami(Some(&format!("Bearer {token}"))).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tenant_id"], verified.tenant().as_str());
    assert_eq!(body["user_id"], verified.user().as_str());
    assert_eq!(body["role"], "VIEWER");
    assert_eq!(body["probe_id"], "prb 1");
    assert_eq!(body["q"], "a&b");
    // No result cache by default, as the template configures: every request is checked.
    assert_eq!(host.authorizer.calls.load(Ordering::SeqCst), 3);
    host.stop().await
}

#[tokio::test]
async fn the_result_cache_skips_the_authorizer_within_its_ttl() -> anyhow::Result<()> {
    let cache = AuthorizerCache::new(
        Duration::from_secs(60),
        vec![HeaderName::from_static("authorization")],
    )?;
    let host = Host::start(|builder| builder.authorizer_cache(cache)).await?;
    let first = format!("Bearer {}", host.token(Role::Member)?);
    let second = format!("Bearer {}", host.token(Role::Admin)?);
    assert_eq!(host.whoami(Some(&first)).await?.0, 200);
    assert_eq!(host.whoami(Some(&first)).await?.0, 200);
    assert_eq!(host.authorizer.calls.load(Ordering::SeqCst), 1);
    let (status, body) = host.whoami(Some(&second)).await?;
    assert_eq!((status, body["role"].as_str()), (200, Some("ADMIN")));
    assert_eq!(host.authorizer.calls.load(Ordering::SeqCst), 2);
    // Without the identity source API Gateway answers 401 and never asks the authorizer.
    assert_eq!(host.whoami(None).await?.0, 401);
    assert_eq!(host.authorizer.calls.load(Ordering::SeqCst), 2);
    host.stop().await
}

#[tokio::test]
async fn a_body_over_api_gateways_limit_is_413_and_a_slow_route_504() -> anyhow::Result<()> {
    let host = Host::start(|builder| builder.timeout(Duration::from_millis(300))).await?;
    let small = host
        .http
        .post(host.url("/test/echo"))
        .body(vec![7u8; 1000])
        .send()
        .await?;
    assert_eq!(small.status(), 200);
    let body: Value = serde_json::from_slice(&small.bytes().await?)?;
    assert_eq!(body["bytes"], 1000);

    let large = host
        .http
        .post(host.url("/test/echo"))
        .body(vec![b'a'; API_GATEWAY_BODY_LIMIT + 1])
        .send()
        .await?;
    assert_eq!(large.status(), 413);
    let body: Value = serde_json::from_slice(&large.bytes().await?)?;
    assert_eq!(problem_code(&body), "body_too_large");

    let slow = host.http.get(host.url("/test/slow")).send().await?;
    assert_eq!(slow.status(), 504);
    let body: Value = serde_json::from_slice(&slow.bytes().await?)?;
    assert_eq!(problem_code(&body), "integration_timeout");
    host.stop().await
}
