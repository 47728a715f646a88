//! The REST API's Lambda REQUEST authorizer: it verifies the caller's credentials, either
//! `Authorization: Bearer <access token>` (EdDSA JWT checked with the signing key ring loaded
//! once per cold start) or `X-Api-Key: ida_<keyid>_<secret>` (checked against the stored hash
//! in the records table), and answers API Gateway with a policy and the principal as the
//! authorizer context every route reads.
//!
//! No or unverifiable credentials end in the error `Unauthorized` (API Gateway's 401), a
//! principal the checks refuse in a Deny policy (403). It never logs or returns a credential,
//! and it never decides what a principal may do on a route: routes authorize their own action.

mod error;
mod settings;

pub use error::AuthorizerError;
pub use settings::AuthorizerSettings;

use ida_runtime::RuntimeError;
use ida_runtime::auth::{
    ApiKeyVerifier, Authenticator, KeyFile, KeyRingLocation, KeyRingSource, SecretsManagerKeyRing,
    TokenSettings, authorizer_response,
};
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::http::Problem;
use ida_runtime::settings::{RecordsTable, Settings};
use ida_store::{CursorKey, DynamoStore};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse,
};
use lambda_http::aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use lambda_http::http::StatusCode;
use lambda_runtime::{Diagnostic, LambdaEvent};
use time::OffsetDateTime;

/// The API's REQUEST authorizer, served by the `api-authorizer` binary.
pub static AUTHORIZER: FunctionSpec = FunctionSpec {
    binary: "api-authorizer",
    trigger: Trigger::Authorizer,
    settings: |lookup| AuthorizerSettings::from_lookup(lookup).map(drop),
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&AUTHORIZER];

/// The authorizer's state, built once per cold start.
#[derive(Debug)]
pub struct Authorizer<L> {
    authenticator: Authenticator<L>,
}

impl<L: ApiKeyVerifier + Sync> Authorizer<L> {
    /// An authorizer verifying credentials with `authenticator`.
    pub fn new(authenticator: Authenticator<L>) -> Self {
        Self { authenticator }
    }

    /// API Gateway's question for one request at `now`: an Allow policy with the principal's
    /// context, a Deny policy, or `Unauthorized`.
    pub async fn authorize(
        &self,
        event: &ApiGatewayCustomAuthorizerRequestTypeRequest,
        now: OffsetDateTime,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
        // API Gateway fills both maps; the multi-value one shows a repeated header, which the
        // authenticator refuses as ambiguous.
        let headers = if event.multi_value_headers.is_empty() {
            &event.headers
        } else {
            &event.multi_value_headers
        };
        let method_arn = event.method_arn.as_deref().unwrap_or_default();
        match self.authenticator.authenticate(headers, now).await {
            Ok(principal) => Ok(authorizer_response(&principal, method_arn)),
            Err(error) => match error.status() {
                StatusCode::UNAUTHORIZED => Err(AuthorizerError::Unauthorized {
                    reason_code: error.code(),
                }),
                StatusCode::FORBIDDEN => Ok(deny(method_arn)),
                _ => Err(AuthorizerError::failed(error)),
            },
        }
    }
}

impl Authorizer<DynamoStore> {
    /// The deployed authorizer: tokens verified with `tokens`, API keys looked up in `table`.
    pub fn on_aws(
        tokens: ida_core::identity::AccessTokens,
        dynamodb: aws_sdk_dynamodb::Client,
        table: &RecordsTable,
    ) -> Result<Self, RuntimeError> {
        // The store signs pagination cursors with this key; the authorizer never lists, so a
        // key of its own spares it the stack's cursor secret.
        let cursor_key = CursorKey::generate().map_err(|error| RuntimeError::Dependency {
            dependency: "cursor_key",
            reason: error.to_string(),
        })?;
        let store = DynamoStore::new(dynamodb, table.name(), cursor_key);
        Ok(Self::new(Authenticator::new(tokens, store)))
    }
}

/// Loads the key ring where the settings say (Secrets Manager or a file) and builds the token
/// verifier from it; done once per cold start.
pub async fn access_tokens(
    settings: &TokenSettings,
    secrets: &aws_sdk_secretsmanager::Client,
) -> Result<ida_core::identity::AccessTokens, RuntimeError> {
    let ring = match &settings.keys {
        KeyRingLocation::Secret(secret) => {
            SecretsManagerKeyRing::new(secrets.clone(), secret)
                .load()
                .await?
        }
        KeyRingLocation::File(file) => KeyFile::from_setting(file).load().await?,
    };
    settings.access_tokens(&ring)
}

/// The Lambda handler: one authorizer event in, API Gateway's answer out; the outcome is logged
/// with its code, never with the credentials.
pub async fn handle<L: ApiKeyVerifier + Sync>(
    authorizer: &Authorizer<L>,
    event: LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest>,
) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
    let outcome = authorizer
        .authorize(&event.payload, OffsetDateTime::now_utc())
        .await;
    match &outcome {
        Ok(response) => tracing::info!(allowed = allows(response), "authorizer decided"),
        Err(AuthorizerError::Unauthorized { reason_code }) => {
            tracing::info!(code = reason_code, "credentials refused");
        }
        Err(error) => tracing::error!(code = error.code(), %error, "authorizer failed"),
    }
    outcome
}

/// Whether an authorizer answer allows the request.
pub fn allows(response: &ApiGatewayCustomAuthorizerResponse) -> bool {
    !response.policy_document.statement.is_empty()
        && response
            .policy_document
            .statement
            .iter()
            .all(|statement| statement.effect == IamPolicyEffect::Allow)
}

/// A Deny policy for the whole stage: the caller is known but refused.
fn deny(method_arn: &str) -> ApiGatewayCustomAuthorizerResponse {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = IamPolicyEffect::Deny;
    statement.resource = vec![method_arn.to_owned()];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some("denied".to_owned());
    response.policy_document = policy;
    response
}

impl From<AuthorizerError> for Diagnostic {
    fn from(error: AuthorizerError) -> Self {
        Diagnostic {
            error_type: error.code().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_core::Principal;
    use ida_core::id::{ApiKeyId, TenantId, UserId};
    use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing};
    use ida_core::{Role, error::AccessDenied};
    use lambda_http::http::{HeaderMap, HeaderValue};

    /// API keys refused or granted by the test; counts nothing, touches no table.
    struct FixedKeys(Result<(), &'static str>);

    impl ApiKeyVerifier for FixedKeys {
        async fn verify_api_key(
            &self,
            _presented: &str,
            _now: OffsetDateTime,
        ) -> Result<Principal, RuntimeError> {
            match self.0 {
                Ok(()) => Err(RuntimeError::Unauthenticated {
                    reason: "unknown key",
                }),
                Err(reason) => Err(RuntimeError::Forbidden(AccessDenied {
                    reason: reason.into(),
                })),
            }
        }
    }

    const ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:api/v1/GET/projects";

    fn tokens() -> AccessTokens {
        let ring = KeyRing::generate(OffsetDateTime::now_utc()).unwrap();
        AccessTokens::new(AccessTokenConfig::new("ida", "ida-api"), &ring).unwrap()
    }

    fn event(headers: &[(&'static str, &str)]) -> ApiGatewayCustomAuthorizerRequestTypeRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        let mut event = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
        event.method_arn = Some(ARN.to_owned());
        event.headers = map.clone();
        event.multi_value_headers = map;
        event
    }

    #[tokio::test]
    async fn a_valid_token_is_allowed_with_the_principal_as_context() {
        let tokens = tokens();
        let now = OffsetDateTime::now_utc();
        let (tenant, user) = (TenantId::generate(), UserId::generate());
        let token = tokens
            .issue(&tenant, &user, Role::Viewer, now)
            .unwrap()
            .token;
        let authorizer = Authorizer::new(Authenticator::new(tokens, FixedKeys(Ok(()))));
        let response = authorizer
            .authorize(
                &event(&[("authorization", &format!("Bearer {token}"))]),
                now,
            )
            .await
            .unwrap();
        assert!(allows(&response));
        assert_eq!(response.principal_id.as_deref(), Some(user.as_str()));
        assert_eq!(response.context["tenant_id"], tenant.as_str());
        assert_eq!(response.context["role"], "VIEWER");
    }

    #[tokio::test]
    async fn no_credentials_or_a_forged_token_is_unauthorized() {
        let authorizer = Authorizer::new(Authenticator::new(tokens(), FixedKeys(Ok(()))));
        let now = OffsetDateTime::now_utc();
        let other = tokens()
            .issue(&TenantId::generate(), &UserId::generate(), Role::Owner, now)
            .unwrap()
            .token;
        let foreign = format!("Bearer {other}");
        for headers in [
            vec![],
            vec![("authorization", "Bearer not-a-jwt")],
            vec![("authorization", foreign.as_str())],
            vec![("authorization", "Basic dXNlcjpwdw==")],
        ] {
            let error = authorizer
                .authorize(&event(&headers), now)
                .await
                .unwrap_err();
            assert_eq!(error.to_string(), "Unauthorized", "{headers:?}");
        }
    }

    #[tokio::test]
    async fn a_refused_principal_gets_a_deny_policy() {
        let authorizer = Authorizer::new(Authenticator::new(
            tokens(),
            FixedKeys(Err("tenant suspended")),
        ));
        let key = format!("ida_{}_{}", ApiKeyId::generate(), "ab".repeat(32));
        let response = authorizer
            .authorize(&event(&[("x-api-key", &key)]), OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert!(!allows(&response));
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert_eq!(json["policyDocument"]["Statement"][0]["Resource"][0], ARN);
        assert_eq!(json["context"], serde_json::Value::Null);
    }

    /// Accepts every key as a MEMBER key of one tenant allowed to read datasets.
    struct AcceptingKeys;

    impl ApiKeyVerifier for AcceptingKeys {
        async fn verify_api_key(
            &self,
            presented: &str,
            _now: OffsetDateTime,
        ) -> Result<Principal, RuntimeError> {
            let key = ida_core::identity::PresentedApiKey::parse(presented)?;
            Ok(Principal::from_authorizer_context(
                ida_core::access::AuthorizerContext {
                    tenant: TenantId::generate(),
                    subject: ida_core::access::Subject::ApiKey {
                        key: key.id().clone(),
                        owner: UserId::generate(),
                    },
                    role: Role::Member,
                    scopes: Some([ida_core::Permission::DatasetRead].into()),
                },
            )?)
        }
    }

    #[tokio::test]
    async fn the_sample_api_gateway_event_is_read_and_allowed_for_the_whole_stage() {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/api-authorizer/request-with-api-key.json"
        ));
        let event: ApiGatewayCustomAuthorizerRequestTypeRequest =
            serde_json::from_str(text).unwrap();
        let authorizer = Authorizer::new(Authenticator::new(tokens(), AcceptingKeys));
        let response = authorizer
            .authorize(&event, OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert!(allows(&response));
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(
            json["policyDocument"]["Statement"][0]["Resource"][0],
            "arn:aws:execute-api:eu-west-1:123456789012:k3x9q2m1ab/v1/*/*"
        );
        assert_eq!(json["principalId"], "key_0193a1b2c3d4e5f60718293a4b5c6d7e");
        assert_eq!(json["context"]["subject_type"], "api_key");
        assert_eq!(json["context"]["scopes"], "dataset:read");
    }

    #[test]
    fn the_lambda_error_message_is_what_api_gateway_matches() {
        let diagnostic = Diagnostic::from(AuthorizerError::Unauthorized {
            reason_code: "invalid_token",
        });
        assert_eq!(diagnostic.error_message, "Unauthorized");
    }

    #[test]
    fn an_empty_policy_allows_nothing() {
        assert!(!allows(&ApiGatewayCustomAuthorizerResponse::default()));
    }
}
