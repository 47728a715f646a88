//! Loading the signing key ring once per cold start, from Secrets Manager in AWS or from a
//! local file for `ida serve` and tests, as the token settings say.

use ida_core::identity::{AccessTokens, KeyRing};
use ida_runtime::RuntimeError;
use ida_runtime::auth::{
    KeyFile, KeyRingLocation, KeyRingSource, SecretsManagerKeyRing, TokenSettings,
};

/// The key ring named by `settings`.
pub async fn load_key_ring(settings: &TokenSettings) -> Result<KeyRing, RuntimeError> {
    match &settings.keys {
        KeyRingLocation::File(file) => KeyFile::from_setting(file).load().await,
        KeyRingLocation::Secret(secret) => {
            let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let client = aws_sdk_secretsmanager::Client::new(&config);
            SecretsManagerKeyRing::new(client, secret).load().await
        }
    }
}

/// The signer and verifier of access tokens for `settings`, with its key ring loaded.
pub async fn access_tokens(settings: &TokenSettings) -> Result<AccessTokens, RuntimeError> {
    let ring = load_key_ring(settings).await?;
    settings.access_tokens(&ring)
}
