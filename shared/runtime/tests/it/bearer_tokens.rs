//! Bearer access tokens as the authorizer checks them: accepted, expired, for another
//! audience, unsigned (`alg: none`), all through `Authenticator` and the problem mapping.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ida_core::id::{TenantId, UserId};
use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing};
use ida_core::{CoreError, Principal, Role};
use ida_runtime::RuntimeError;
use ida_runtime::auth::{ApiKeyVerifier, Authenticator};
use ida_runtime::http::Problem;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use time::{Duration, OffsetDateTime};

const ISSUER: &str = "https://api.ida.test";
const AUDIENCE: &str = "ida-api";

/// Bearer-only tests: any API key is unknown.
struct NoApiKeys;

impl ApiKeyVerifier for NoApiKeys {
    async fn verify_api_key(&self, _: &str, _: OffsetDateTime) -> Result<Principal, RuntimeError> {
        Err(CoreError::InvalidCredentials.into())
    }
}

struct Keys {
    ring: KeyRing,
    authenticator: Authenticator<NoApiKeys>,
}

fn keys() -> Keys {
    let ring = KeyRing::generate(OffsetDateTime::now_utc()).unwrap();
    let tokens = AccessTokens::new(AccessTokenConfig::new(ISSUER, AUDIENCE), &ring).unwrap();
    Keys {
        authenticator: Authenticator::new(tokens, NoApiKeys),
        ring,
    }
}

fn issue(ring: &KeyRing, audience: &str, role: Role, at: OffsetDateTime) -> String {
    let tokens = AccessTokens::new(AccessTokenConfig::new(ISSUER, audience), ring).unwrap();
    tokens
        .issue(&TenantId::generate(), &UserId::generate(), role, at)
        .unwrap()
        .token
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

#[tokio::test]
async fn a_valid_token_names_its_user_and_tenant() {
    let keys = keys();
    let now = OffsetDateTime::now_utc();
    let token = issue(&keys.ring, AUDIENCE, Role::Admin, now);
    let principal = keys
        .authenticator
        .authenticate(&bearer(&token), now)
        .await
        .unwrap();
    assert_eq!(principal.role(), Role::Admin);
    assert_eq!(principal.scopes(), None);
}

#[tokio::test]
async fn an_expired_token_is_a_401_saying_so() {
    let keys = keys();
    let now = OffsetDateTime::now_utc();
    let token = issue(&keys.ring, AUDIENCE, Role::Member, now - Duration::hours(1));
    let error = keys
        .authenticator
        .authenticate(&bearer(&token), now)
        .await
        .unwrap_err();
    assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error.problem_code(), "unauthenticated");
    assert_eq!(
        error.public_detail().as_deref(),
        Some("The token has expired.")
    );
}

#[tokio::test]
async fn a_token_for_another_audience_is_a_401() {
    let keys = keys();
    let now = OffsetDateTime::now_utc();
    let token = issue(&keys.ring, "another-api", Role::Member, now);
    let error = keys
        .authenticator
        .authenticate(&bearer(&token), now)
        .await
        .unwrap_err();
    assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error.log_code(), "invalid_token");
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_a_401() {
    let keys = keys();
    let now = OffsetDateTime::now_utc();
    let genuine = issue(&keys.ring, AUDIENCE, Role::Owner, now);
    let claims = genuine.split('.').nth(1).unwrap();
    let header = URL_SAFE_NO_PAD.encode(format!(
        "{{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"{}\"}}",
        keys.ring.current.kid
    ));
    for unsigned in [format!("{header}.{claims}."), format!("{header}.{claims}")] {
        let error = keys
            .authenticator
            .authenticate(&bearer(&unsigned), now)
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::UNAUTHORIZED, "{unsigned}");
    }
}

#[tokio::test]
async fn a_token_signed_by_an_unknown_ring_is_a_401() {
    let keys = keys();
    let other = KeyRing::generate(OffsetDateTime::now_utc()).unwrap();
    let now = OffsetDateTime::now_utc();
    let token = issue(&other, AUDIENCE, Role::Member, now);
    assert!(
        keys.authenticator
            .authenticate(&bearer(&token), now)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn no_credentials_or_both_kinds_are_a_401() {
    let keys = keys();
    let now = OffsetDateTime::now_utc();
    let none = keys
        .authenticator
        .authenticate(&HeaderMap::new(), now)
        .await
        .unwrap_err();
    assert_eq!(
        none.to_string(),
        "unauthenticated: credentials are required"
    );
    let mut both = bearer(&issue(&keys.ring, AUDIENCE, Role::Member, now));
    both.insert("x-api-key", HeaderValue::from_static("ida_key_x"));
    let error = keys
        .authenticator
        .authenticate(&both, now)
        .await
        .unwrap_err();
    assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
    let mut basic = HeaderMap::new();
    basic.insert(
        AUTHORIZATION,
        HeaderValue::from_static("Basic dXNlcjpwYXNz"),
    );
    assert!(keys.authenticator.authenticate(&basic, now).await.is_err());
}

#[tokio::test]
async fn a_malformed_api_key_is_refused_before_any_lookup() {
    let keys = keys();
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", HeaderValue::from_static("not-an-ida-key"));
    let error = keys
        .authenticator
        .authenticate(&headers, OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert_eq!(error.log_code(), "invalid_credentials");
}
