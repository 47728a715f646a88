//! The authorizer step before every authorized route, as API Gateway runs it: the identity
//! source check, the result cache keyed by the identity source values, the call to the
//! authorizer (the `api-authorizer` crate's, in process, behind the [`RouteAuthorizer`] port),
//! and the outcome as the route's authorizer context or a gateway problem.

use crate::serve::error::ServeError;
use crate::serve::gateway_problem::GatewayProblem;
use api_authorizer::{Authorizer, AuthorizerError, allows};
use futures::future::BoxFuture;
use ida_runtime::auth::ApiKeyVerifier;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
};
use lambda_http::http::{HeaderMap, HeaderName};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The port the host asks before an authorized route: the deployed authorizer's logic.
pub trait RouteAuthorizer: Send + Sync {
    /// API Gateway's question for one request.
    fn authorize<'a>(
        &'a self,
        event: &'a ApiGatewayCustomAuthorizerRequestTypeRequest,
    ) -> BoxFuture<'a, Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError>>;
}

impl<L: ApiKeyVerifier + Send + Sync> RouteAuthorizer for Authorizer<L> {
    fn authorize<'a>(
        &'a self,
        event: &'a ApiGatewayCustomAuthorizerRequestTypeRequest,
    ) -> BoxFuture<'a, Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError>> {
        Box::pin(Authorizer::authorize(
            self,
            event,
            OffsetDateTime::now_utc(),
        ))
    }
}

/// API Gateway's authorizer result cache: its TTL (`ReauthorizeEvery`) and the identity source
/// headers whose values key it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerCache {
    ttl: Duration,
    identity_headers: Vec<HeaderName>,
}

impl AuthorizerCache {
    /// No cache and no identity source: the authorizer runs for every request, which is what
    /// the template configures (either of two headers may carry the credentials, and API
    /// Gateway requires every identity source to be present).
    pub fn disabled() -> Self {
        Self {
            ttl: Duration::ZERO,
            identity_headers: Vec::new(),
        }
    }

    /// Answers are kept for `ttl` per value of `identity_headers`; a request lacking one of
    /// them is refused with 401 before the authorizer runs.
    pub fn new(ttl: Duration, identity_headers: Vec<HeaderName>) -> Result<Self, ServeError> {
        if !ttl.is_zero() && identity_headers.is_empty() {
            return Err(ServeError::CacheWithoutIdentitySource);
        }
        Ok(Self {
            ttl,
            identity_headers,
        })
    }
}

/// What the authorizer decided for one identity.
#[derive(Debug, Clone)]
enum Decision {
    /// Allowed, with the context routes receive.
    Allow(Map<String, Value>),
    /// A Deny policy.
    Deny,
}

/// The authorizer behind its cache.
pub struct AuthorizerStep {
    authorizer: std::sync::Arc<dyn RouteAuthorizer>,
    cache: AuthorizerCache,
    decisions: Mutex<HashMap<Vec<String>, (Instant, Decision)>>,
}

impl AuthorizerStep {
    /// `authorizer` behind `cache`.
    pub fn new(authorizer: std::sync::Arc<dyn RouteAuthorizer>, cache: AuthorizerCache) -> Self {
        Self {
            authorizer,
            cache,
            decisions: Mutex::new(HashMap::new()),
        }
    }

    /// The authorizer context for a request with `headers` on `method_arn`, or the gateway's
    /// refusal.
    pub async fn context_for(
        &self,
        event: &ApiGatewayCustomAuthorizerRequestTypeRequest,
        headers: &HeaderMap,
    ) -> Result<Map<String, Value>, GatewayProblem> {
        let key = self.cache_key(headers)?;
        if let Some(decision) = key.as_ref().and_then(|key| self.cached(key)) {
            return decided(decision);
        }
        let decision = match self.authorizer.authorize(event).await {
            Ok(response) => decision_of(&response),
            Err(AuthorizerError::Unauthorized { .. }) => return Err(GatewayProblem::Unauthorized),
            Err(error) => {
                tracing::error!(code = error.code(), %error, "authorizer failed");
                return Err(GatewayProblem::AuthorizerFailure);
            }
        };
        if let Some(key) = key
            && let Ok(mut decisions) = self.decisions.lock()
        {
            decisions.insert(key, (Instant::now() + self.cache.ttl, decision.clone()));
        }
        decided(decision)
    }

    /// The identity source values, `None` when caching is off; a missing source is a 401.
    fn cache_key(&self, headers: &HeaderMap) -> Result<Option<Vec<String>>, GatewayProblem> {
        let values = self
            .cache
            .identity_headers
            .iter()
            .map(|name| {
                headers
                    .get(name)
                    .and_then(|value| value.to_str().ok())
                    .filter(|value| !value.is_empty())
                    .map(str::to_owned)
                    .ok_or(GatewayProblem::Unauthorized)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((!self.cache.ttl.is_zero()).then_some(values))
    }

    fn cached(&self, key: &[String]) -> Option<Decision> {
        let mut decisions = self.decisions.lock().ok()?;
        match decisions.get(key) {
            Some((expires, decision)) if *expires > Instant::now() => Some(decision.clone()),
            Some(_) => {
                decisions.remove(key);
                None
            }
            None => None,
        }
    }
}

fn decision_of(response: &ApiGatewayCustomAuthorizerResponse) -> Decision {
    match (&response.context, allows(response)) {
        (Value::Object(context), true) => Decision::Allow(context.clone()),
        (Value::Null, true) => Decision::Allow(Map::new()),
        _ => Decision::Deny,
    }
}

fn decided(decision: Decision) -> Result<Map<String, Value>, GatewayProblem> {
    match decision {
        Decision::Allow(context) => Ok(context),
        Decision::Deny => Err(GatewayProblem::AccessDenied),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Allows a request whose `authorization` is `allow`, denies `deny`, refuses the rest, and
    /// counts its calls.
    #[derive(Default)]
    struct Scripted {
        calls: AtomicUsize,
    }

    impl RouteAuthorizer for Scripted {
        fn authorize<'a>(
            &'a self,
            event: &'a ApiGatewayCustomAuthorizerRequestTypeRequest,
        ) -> BoxFuture<'a, Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let value = event
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Box::pin(async move {
                let mut response = ApiGatewayCustomAuthorizerResponse::default();
                let mut statement =
                    lambda_http::aws_lambda_events::iam::IamPolicyStatement::default();
                statement.effect = match value.as_deref() {
                    Some("allow") => lambda_http::aws_lambda_events::iam::IamPolicyEffect::Allow,
                    Some("deny") => lambda_http::aws_lambda_events::iam::IamPolicyEffect::Deny,
                    _ => {
                        return Err(AuthorizerError::Unauthorized {
                            reason_code: "invalid_token",
                        });
                    }
                };
                response.policy_document.statement = vec![statement];
                response.context = serde_json::json!({"tenant_id": "ten_x"});
                Ok(response)
            })
        }
    }

    fn request(value: Option<&str>) -> (ApiGatewayCustomAuthorizerRequestTypeRequest, HeaderMap) {
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert("authorization", HeaderValue::from_str(value).unwrap());
        }
        let mut event = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
        event.headers = headers.clone();
        (event, headers)
    }

    async fn ask(
        step: &AuthorizerStep,
        value: Option<&str>,
    ) -> Result<Map<String, Value>, GatewayProblem> {
        let (event, headers) = request(value);
        step.context_for(&event, &headers).await
    }

    #[tokio::test]
    async fn a_cached_answer_is_reused_per_identity_value_until_it_expires() {
        let scripted = Arc::new(Scripted::default());
        let cache = AuthorizerCache::new(
            Duration::from_millis(300),
            vec![HeaderName::from_static("authorization")],
        )
        .unwrap();
        let step = AuthorizerStep::new(scripted.clone(), cache);
        assert_eq!(
            ask(&step, Some("allow")).await.unwrap()["tenant_id"],
            "ten_x"
        );
        assert_eq!(
            ask(&step, Some("allow")).await.unwrap()["tenant_id"],
            "ten_x"
        );
        assert_eq!(
            ask(&step, Some("deny")).await,
            Err(GatewayProblem::AccessDenied)
        );
        assert_eq!(
            ask(&step, Some("deny")).await,
            Err(GatewayProblem::AccessDenied)
        );
        assert_eq!(scripted.calls.load(Ordering::SeqCst), 2);
        // A missing identity source never reaches the authorizer.
        assert_eq!(ask(&step, None).await, Err(GatewayProblem::Unauthorized));
        assert_eq!(scripted.calls.load(Ordering::SeqCst), 2);
        tokio::time::sleep(Duration::from_millis(350)).await;
        ask(&step, Some("allow")).await.unwrap();
        assert_eq!(scripted.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn without_a_cache_every_request_runs_the_authorizer() {
        let scripted = Arc::new(Scripted::default());
        let step = AuthorizerStep::new(scripted.clone(), AuthorizerCache::disabled());
        for _ in 0..3 {
            ask(&step, Some("allow")).await.unwrap();
        }
        assert_eq!(ask(&step, None).await, Err(GatewayProblem::Unauthorized));
        assert_eq!(
            ask(&step, Some("bad")).await,
            Err(GatewayProblem::Unauthorized)
        );
        assert_eq!(scripted.calls.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn a_cache_needs_an_identity_source() {
        let error = AuthorizerCache::new(Duration::from_secs(300), Vec::new()).unwrap_err();
        assert_eq!(error.code(), "cache_without_identity_source");
        assert!(AuthorizerCache::new(Duration::ZERO, Vec::new()).is_ok());
    }
}
