//! Authentication of a request's credentials, for the Lambda authorizer and `ida serve`: a
//! bearer access token (`Authorization: Bearer <jwt>`) verified with `ida-core`'s verifier, or
//! an API key (`X-Api-Key: ida_<keyid>_<secret>`) whose form `ida-core` checks before an
//! [`ApiKeyVerifier`] (the store) compares its secret with the stored hash. Routes never call
//! this: they read the authorizer context.

use crate::error::RuntimeError;
use ida_core::Principal;
use ida_core::access::{AuthorizerContext, Subject};
use ida_core::identity::{AccessTokens, PresentedApiKey};
use lambda_http::http::HeaderMap;
use lambda_http::http::header::{AUTHORIZATION, HeaderName};
use time::OffsetDateTime;

/// The header that carries an API key.
pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// Verifies a presented API key against the stored one; the store implements it.
pub trait ApiKeyVerifier {
    /// The principal of the key `presented` (already checked to have the `ida_<keyid>_<secret>`
    /// form) at `now`; an unknown key or a wrong secret is `invalid credentials`.
    fn verify_api_key(
        &self,
        presented: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Principal, RuntimeError>> + Send;
}

/// The records table verifies keys by their stored secret hash and records their last use.
impl ApiKeyVerifier for ida_store::DynamoStore {
    async fn verify_api_key(
        &self,
        presented: &str,
        now: OffsetDateTime,
    ) -> Result<Principal, RuntimeError> {
        let verified = self.authenticate_api_key(presented, now).await?;
        Ok(Principal::from_authorizer_context(AuthorizerContext {
            tenant: verified.tenant,
            subject: Subject::ApiKey {
                key: verified.key,
                owner: verified.owner,
            },
            role: verified.role,
            scopes: Some(verified.scopes),
        })?)
    }
}

/// Verifies the credentials of a request.
#[derive(Debug)]
pub struct Authenticator<L> {
    tokens: AccessTokens,
    api_keys: L,
}

impl<L: ApiKeyVerifier> Authenticator<L> {
    /// An authenticator verifying tokens with `tokens` and API keys with `api_keys`.
    pub fn new(tokens: AccessTokens, api_keys: L) -> Self {
        Self { tokens, api_keys }
    }

    /// The principal named by the request's credentials at `now`. Exactly one of a bearer
    /// token and an API key must be present; anything else is unauthenticated (401).
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        now: OffsetDateTime,
    ) -> Result<Principal, RuntimeError> {
        let bearer = single_header(headers, &AUTHORIZATION)?;
        let api_key = single_header(headers, &API_KEY_HEADER)?;
        match (bearer, api_key) {
            (Some(authorization), None) => {
                let token = bearer_token(authorization)?;
                Ok(self.tokens.verify(token, now)?.principal)
            }
            (None, Some(key)) => {
                PresentedApiKey::parse(key)?;
                self.api_keys.verify_api_key(key, now).await
            }
            (Some(_), Some(_)) => Err(RuntimeError::Unauthenticated {
                reason: "send either a bearer token or an API key, not both",
            }),
            (None, None) => Err(RuntimeError::Unauthenticated {
                reason: "credentials are required",
            }),
        }
    }
}

/// The header's value when it appears once as visible ASCII; repeated or binary values are
/// refused, since two credentials leave it unclear which one was meant.
fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a str>, RuntimeError> {
    let mut values = headers.get_all(name).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return if headers.contains_key(name) {
            Err(RuntimeError::Unauthenticated {
                reason: "credentials must be sent once",
            })
        } else {
            Ok(None)
        };
    };
    value
        .to_str()
        .map(Some)
        .map_err(|_| RuntimeError::Unauthenticated {
            reason: "credentials must be visible ASCII",
        })
}

/// The token of `Bearer <token>`; the scheme is matched in any case (RFC 9110).
fn bearer_token(authorization: &str) -> Result<&str, RuntimeError> {
    authorization
        .split_once(' ')
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
        .map(|(_, token)| token.trim())
        .ok_or(RuntimeError::Unauthenticated {
            reason: "the Authorization header must be a bearer token",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_matches_in_any_case() {
        assert_eq!(bearer_token("Bearer abc").unwrap(), "abc");
        assert_eq!(bearer_token("bearer abc").unwrap(), "abc");
        assert!(bearer_token("Basic abc").is_err());
        assert!(bearer_token("Bearer").is_err());
        assert!(bearer_token("Bearer ").is_err());
    }
}
