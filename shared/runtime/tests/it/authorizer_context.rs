//! Routes read the principal from the authorizer context API Gateway attaches; the samples in
//! `events/runtime/` are REST proxy events as a deployed route receives them.

use ida_core::access::Subject;
use ida_core::{Permission, Role, authorize};
use ida_runtime::auth::{authorizer_fields, principal_of};
use ida_runtime::http::{json_response, respond};
use lambda_http::http::StatusCode;
use lambda_http::http::header::WWW_AUTHENTICATE;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

const VIEWER_POST: &str = include_str!("../../../../events/runtime/post-projects-as-viewer.json");
const API_KEY_GET: &str = include_str!("../../../../events/runtime/get-datasets-as-api-key.json");
const NO_AUTHORIZER: &str = include_str!("../../../../events/api-health/get-health.json");

fn event(text: &str) -> Request {
    lambda_http::request::from_str(text).unwrap()
}

/// A write route as the API functions will write it: principal, permission, answer.
async fn create_project(request: Request) -> Response<Body> {
    respond(request, |request, _| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::ProjectWrite)?;
        json_response(
            StatusCode::CREATED,
            &serde_json::json!({"tenant": principal.tenant().to_string()}),
        )
    })
    .await
    .unwrap()
}

fn body(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

#[test]
fn a_user_context_gives_the_user_principal() {
    let principal = principal_of(&event(VIEWER_POST)).unwrap();
    assert_eq!(
        principal.tenant().as_str(),
        "ten_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    );
    assert_eq!(
        principal.user().as_str(),
        "usr_5f0c2e8d4a4f3b9e6c2a7d1b8c0f9312"
    );
    assert_eq!(principal.role(), Role::Viewer);
    assert_eq!(principal.scopes(), None);
    assert_eq!(principal.scope().tenant(), principal.tenant());
}

#[test]
fn an_api_key_context_gives_the_key_with_its_scopes() {
    let principal = principal_of(&event(API_KEY_GET)).unwrap();
    assert!(
        matches!(principal.subject(), Subject::ApiKey { key, .. } if key.as_str() == "key_9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a41")
    );
    assert_eq!(principal.role(), Role::Member);
    assert!(principal.holds(Permission::DatasetRead));
    assert!(
        !principal.holds(Permission::ProjectWrite),
        "scopes narrow the role"
    );
}

#[test]
fn the_sample_context_is_exactly_what_the_authorizer_side_builds() {
    let request = event(API_KEY_GET);
    let principal = principal_of(&request).unwrap();
    let sample: Value = serde_json::from_str(API_KEY_GET).unwrap();
    let mut context = sample["requestContext"]["authorizer"]
        .as_object()
        .unwrap()
        .clone();
    context.remove("principalId");
    context.remove("integrationLatency");
    assert_eq!(authorizer_fields(&principal), context);
}

#[tokio::test]
async fn a_viewer_on_a_write_route_gets_a_403_problem() {
    let response = create_project(event(VIEWER_POST)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        body(&response),
        serde_json::json!({
            "type": "/problems/forbidden",
            "title": "Forbidden",
            "status": 403,
            "detail": "role VIEWER does not grant project:write.",
            "code": "forbidden",
            "correlation_id": "runtime-sample-0001",
        })
    );
}

#[tokio::test]
async fn a_route_without_an_authorizer_context_answers_401_not_a_panic() {
    let response = create_project(event(NO_AUTHORIZER)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer realm=\"ida\"");
    assert_eq!(body(&response)["code"], "unauthenticated");
}

#[tokio::test]
async fn a_tampered_context_answers_401() {
    let tampered = VIEWER_POST.replace("\"role\": \"VIEWER\"", "\"role\": \"SUPERUSER\"");
    assert_ne!(tampered, VIEWER_POST);
    let response = create_project(event(&tampered)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_member_context_passes_the_same_route() {
    let member = VIEWER_POST.replace("\"role\": \"VIEWER\"", "\"role\": \"MEMBER\"");
    let response = create_project(event(&member)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        body(&response)["tenant"],
        "ten_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    );
}

/// The whole hand-over: the authorizer verifies a bearer token and answers API Gateway; API
/// Gateway copies the answer's `context` into the route's event; the route reads the same
/// principal back.
#[tokio::test]
async fn what_the_authorizer_answers_is_what_the_route_reads() {
    use ida_core::id::{TenantId, UserId};
    use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing};
    use ida_runtime::auth::{ApiKeyVerifier, Authenticator, authorizer_response};
    use lambda_http::http::{HeaderMap, HeaderValue};
    use time::OffsetDateTime;

    struct NoApiKeys;
    impl ApiKeyVerifier for NoApiKeys {
        async fn verify_api_key(
            &self,
            _: &str,
            _: OffsetDateTime,
        ) -> Result<ida_core::Principal, ida_runtime::RuntimeError> {
            Err(ida_core::CoreError::InvalidCredentials.into())
        }
    }

    let now = OffsetDateTime::now_utc();
    let ring = KeyRing::generate(now).unwrap();
    let config = AccessTokenConfig::new("https://api.ida.test", "ida-api");
    let issued = AccessTokens::new(config.clone(), &ring)
        .unwrap()
        .issue(&TenantId::generate(), &UserId::generate(), Role::Admin, now)
        .unwrap();
    let authenticator = Authenticator::new(AccessTokens::new(config, &ring).unwrap(), NoApiKeys);
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {}", issued.token)).unwrap(),
    );
    let verified = authenticator.authenticate(&headers, now).await.unwrap();

    let answer = serde_json::to_value(authorizer_response(
        &verified,
        "arn:aws:execute-api:eu-west-1:123456789012:k3x9q2m1ab/v1/POST/projects",
    ))
    .unwrap();
    let mut route_event: Value = serde_json::from_str(VIEWER_POST).unwrap();
    let mut context = answer["context"].as_object().unwrap().clone();
    context.insert("principalId".into(), answer["principalId"].clone());
    context.insert("integrationLatency".into(), Value::from(12));
    route_event["requestContext"]["authorizer"] = Value::Object(context);

    let request = event(&route_event.to_string());
    assert_eq!(principal_of(&request).unwrap(), verified);
    let response = create_project(request).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(body(&response)["tenant"], verified.tenant().to_string());
}
