//! Who is calling: the principal handed from the Lambda authorizer to routes through API
//! Gateway's request context, the bearer-token and API-key authentication the authorizer (and
//! `ida serve`) performs, and the token key set it verifies with.
//!
//! Routes read the principal only from the authorizer context ([`principal_of`]); they never
//! look at credentials or take a tenant from a path, query, header or body.

mod context;
mod credentials;
mod keys;

pub use context::{AUTHORIZER_FIELDS, authorizer_fields, authorizer_response, principal_of};
pub use credentials::{API_KEY_HEADER, ApiKeyVerifier, Authenticator};
pub use keys::{
    KeyFile, KeyRingLocation, KeyRingSource, SecretsManagerKeyRing, SigningKeysFile,
    SigningKeysSecretId, TokenAudience, TokenIssuer, TokenSettings,
};
