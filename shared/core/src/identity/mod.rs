//! Identity primitives: password hashing, access tokens, refresh tokens, API keys and the
//! login-throttling policy. All CPU-only: the store persists what these functions return, and
//! secrets exist in clear only in the values handed back once to the caller.
//!
//! Nothing here logs or formats a secret; `Debug` of secret-bearing types is redacted.

pub mod access_token;
pub mod api_key;
pub mod login_throttle;
pub mod password;
pub mod refresh_token;
mod secret;

pub use access_token::{AccessClaims, AccessTokenConfig, AccessTokens, KeyRing, VerifiedAccess};
pub use api_key::{ApiKeyRecord, IssuedApiKey, PresentedApiKey};
pub use login_throttle::{LoginAttempts, LoginThrottlePolicy};
pub use password::{Password, PasswordCredential, PasswordHashing};
pub use refresh_token::{IssuedRefreshToken, RefreshDecision, RefreshTokenRecord};
