//! The authorizer context: the one definition of the fields a Lambda REQUEST authorizer returns
//! as `context` and API Gateway (REST) hands to routes in `requestContext.authorizer`.
//!
//! API Gateway accepts only strings, numbers and booleans there (no objects or arrays), so the
//! principal is flattened into string fields:
//!
//! | field          | value                                                    |
//! |----------------|----------------------------------------------------------|
//! | `tenant_id`    | the tenant id                                            |
//! | `subject_type` | `user` or `api_key`                                      |
//! | `user_id`      | the user, or the API key's owner                         |
//! | `api_key_id`   | the key id (API keys only)                               |
//! | `role`         | the role's wire name, e.g. `MEMBER`                      |
//! | `scopes`       | space-separated permissions (API keys only)              |
//!
//! API Gateway adds `principalId` and `integrationLatency` of its own; they are ignored.

use crate::error::RuntimeError;
use ida_core::access::{AuthorizerContext, Subject};
use ida_core::id::{ApiKeyId, TenantId, UserId};
use ida_core::{Permission, Principal, Role};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerResponse,
};
use lambda_http::aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

const TENANT_ID: &str = "tenant_id";
const SUBJECT_TYPE: &str = "subject_type";
const USER_ID: &str = "user_id";
const API_KEY_ID: &str = "api_key_id";
const ROLE: &str = "role";
const SCOPES: &str = "scopes";

/// Every field name the authorizer context may carry, in the order of the table above.
pub const AUTHORIZER_FIELDS: [&str; 6] =
    [TENANT_ID, SUBJECT_TYPE, USER_ID, API_KEY_ID, ROLE, SCOPES];

const SUBJECT_USER: &str = "user";
const SUBJECT_API_KEY: &str = "api_key";

/// The refusal for every missing or malformed context: the route sees no verified caller.
const NO_PRINCIPAL: RuntimeError = RuntimeError::Unauthenticated {
    reason: "no verified principal in the request context",
};

/// The authorizer side: the principal as the flat `context` map of the authorizer's answer.
pub fn authorizer_fields(principal: &Principal) -> Map<String, Value> {
    let context = principal.to_authorizer_context();
    let mut fields = Map::new();
    let mut put = |name: &str, value: String| {
        fields.insert(name.to_owned(), Value::String(value));
    };
    put(TENANT_ID, context.tenant.to_string());
    match &context.subject {
        Subject::User { user } => {
            put(SUBJECT_TYPE, SUBJECT_USER.to_owned());
            put(USER_ID, user.to_string());
        }
        Subject::ApiKey { key, owner } => {
            put(SUBJECT_TYPE, SUBJECT_API_KEY.to_owned());
            put(USER_ID, owner.to_string());
            put(API_KEY_ID, key.to_string());
        }
    }
    put(ROLE, context.role.as_str().to_owned());
    if let Some(scopes) = &context.scopes {
        let names: Vec<&str> = scopes.iter().map(|scope| scope.as_str()).collect();
        put(SCOPES, names.join(" "));
    }
    fields
}

/// The authorizer's whole answer to API Gateway: allow `execute-api:Invoke` on every method of
/// the stage `method_arn` belongs to (so a cached answer serves the caller's next routes too),
/// with the principal's context.
pub fn authorizer_response(
    principal: &Principal,
    method_arn: &str,
) -> ApiGatewayCustomAuthorizerResponse {
    let principal_id = match principal.subject() {
        Subject::User { user } => user.to_string(),
        Subject::ApiKey { key, .. } => key.to_string(),
    };
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = IamPolicyEffect::Allow;
    statement.resource = vec![stage_wildcard(method_arn)];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(principal_id);
    response.policy_document = policy;
    response.context = Value::Object(authorizer_fields(principal));
    response
}

/// `arn:...:api-id/stage/GET/datasets/x` becomes `arn:...:api-id/stage/*/*`.
fn stage_wildcard(method_arn: &str) -> String {
    let mut parts = method_arn.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}/*/*"),
        _ => method_arn.to_owned(),
    }
}

/// The route side: the verified principal API Gateway attached to `request`. A request without
/// an authorizer context, or with one that does not parse, is refused as unauthenticated.
pub fn principal_of(request: &Request) -> Result<Principal, RuntimeError> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => {
            principal_from_fields(&context.authorizer.fields)
        }
        _ => Err(NO_PRINCIPAL),
    }
}

fn principal_from_fields(fields: &HashMap<String, Value>) -> Result<Principal, RuntimeError> {
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    let required = |name: &str| text(name).ok_or(NO_PRINCIPAL);
    let tenant = TenantId::parse(required(TENANT_ID)?).map_err(|_| NO_PRINCIPAL)?;
    let user = UserId::parse(required(USER_ID)?).map_err(|_| NO_PRINCIPAL)?;
    let role = Role::parse(required(ROLE)?).map_err(|_| NO_PRINCIPAL)?;
    let (subject, scopes) = match required(SUBJECT_TYPE)? {
        SUBJECT_USER if text(API_KEY_ID).is_none() && text(SCOPES).is_none() => {
            (Subject::User { user }, None)
        }
        SUBJECT_API_KEY => {
            let key = ApiKeyId::parse(required(API_KEY_ID)?).map_err(|_| NO_PRINCIPAL)?;
            let scopes = required(SCOPES)?
                .split(' ')
                .map(Permission::parse)
                .collect::<Result<BTreeSet<_>, _>>()
                .map_err(|_| NO_PRINCIPAL)?;
            (Subject::ApiKey { key, owner: user }, Some(scopes))
        }
        _ => return Err(NO_PRINCIPAL),
    };
    Principal::from_authorizer_context(AuthorizerContext {
        tenant,
        subject,
        role,
        scopes,
    })
    .map_err(|_| NO_PRINCIPAL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing};
    use proptest::prelude::*;
    use time::OffsetDateTime;

    fn user_principal(role: Role) -> Principal {
        let now = OffsetDateTime::now_utc();
        let ring = KeyRing::generate(now).unwrap();
        let tokens = AccessTokens::new(AccessTokenConfig::new("iss", "aud"), &ring).unwrap();
        let issued = tokens
            .issue(&TenantId::generate(), &UserId::generate(), role, now)
            .unwrap();
        tokens.verify(&issued.token, now).unwrap().principal
    }

    fn as_map(fields: Map<String, Value>) -> HashMap<String, Value> {
        fields.into_iter().collect()
    }

    #[test]
    fn a_user_principal_round_trips_through_the_fields() {
        let principal = user_principal(Role::Admin);
        let fields = authorizer_fields(&principal);
        assert_eq!(fields[ROLE], "ADMIN");
        assert_eq!(fields[SUBJECT_TYPE], "user");
        assert!(!fields.contains_key(SCOPES));
        assert_eq!(principal_from_fields(&as_map(fields)).unwrap(), principal);
    }

    #[test]
    fn every_field_is_a_string_as_api_gateway_requires() {
        let fields = authorizer_fields(&user_principal(Role::Viewer));
        assert!(fields.values().all(Value::is_string));
        assert!(
            fields
                .keys()
                .all(|name| AUTHORIZER_FIELDS.contains(&name.as_str()))
        );
    }

    #[test]
    fn a_missing_or_broken_field_is_unauthenticated_not_a_panic() {
        let fields = as_map(authorizer_fields(&user_principal(Role::Member)));
        for name in [TENANT_ID, SUBJECT_TYPE, USER_ID, ROLE] {
            let mut without = fields.clone();
            without.remove(name);
            assert_eq!(
                principal_from_fields(&without).unwrap_err().code(),
                "unauthenticated"
            );
            let mut broken = fields.clone();
            broken.insert(name.to_owned(), Value::String("x y".into()));
            assert_eq!(
                principal_from_fields(&broken).unwrap_err().code(),
                "unauthenticated"
            );
            let mut not_text = fields.clone();
            not_text.insert(name.to_owned(), Value::Bool(true));
            assert!(principal_from_fields(&not_text).is_err());
        }
        assert!(principal_from_fields(&HashMap::new()).is_err());
    }

    #[test]
    fn a_user_context_carrying_scopes_is_refused() {
        let mut fields = as_map(authorizer_fields(&user_principal(Role::Member)));
        fields.insert(SCOPES.to_owned(), Value::String("dataset:read".into()));
        assert!(principal_from_fields(&fields).is_err());
    }

    #[test]
    fn the_policy_allows_the_whole_stage_and_carries_the_context() {
        let principal = user_principal(Role::Member);
        let response = authorizer_response(
            &principal,
            "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/v1/GET/datasets/ds_1",
        );
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["principalId"], principal.user().to_string());
        assert_eq!(json["policyDocument"]["Statement"][0]["Effect"], "Allow");
        assert_eq!(
            json["policyDocument"]["Statement"][0]["Resource"][0],
            "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/v1/*/*"
        );
        assert_eq!(json["context"][TENANT_ID], principal.tenant().to_string());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_api_key_principal_round_trips(
            role_index in 0usize..4,
            scope_mask in 1u32..(1 << 8),
        ) {
            let role = [Role::Viewer, Role::Member, Role::Admin, Role::Owner][role_index];
            let granted: Vec<Permission> = role.permissions().to_vec();
            let scopes: BTreeSet<Permission> = granted
                .iter()
                .enumerate()
                .filter(|(index, _)| scope_mask & (1 << (index % 8)) != 0)
                .map(|(_, permission)| *permission)
                .collect();
            prop_assume!(!scopes.is_empty());
            let context = AuthorizerContext {
                tenant: TenantId::generate(),
                subject: Subject::ApiKey { key: ApiKeyId::generate(), owner: UserId::generate() },
                role,
                scopes: Some(scopes),
            };
            let principal = Principal::from_authorizer_context(context).unwrap();
            let fields = as_map(authorizer_fields(&principal));
            prop_assert_eq!(principal_from_fields(&fields).unwrap(), principal);
        }
    }
}
