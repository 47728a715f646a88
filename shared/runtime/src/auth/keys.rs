//! The token settings and key set: issuer and audience of access tokens, and where the signing
//! key ring (`ida-core`'s `KeyRing` as JSON) comes from: a Secrets Manager secret in the cloud,
//! a file locally. Loading sits behind [`KeyRingSource`] so the authorizer and `ida serve` are
//! tested without AWS. Key material is never logged nor copied into an error.

use crate::error::RuntimeError;
use crate::settings::{Setting, Settings, required};
use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing};
use std::path::PathBuf;

/// The `iss` of access tokens (`IDA_TOKEN_ISSUER`), e.g. `https://api.example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenIssuer(String);

impl Setting for TokenIssuer {
    const VAR: &'static str = "IDA_TOKEN_ISSUER";

    fn parse(raw: &str) -> Result<Self, String> {
        check_claim_text(raw).map(|()| Self(raw.to_owned()))
    }
}

/// The `aud` of access tokens (`IDA_TOKEN_AUDIENCE`), e.g. `ida-api`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAudience(String);

impl Setting for TokenAudience {
    const VAR: &'static str = "IDA_TOKEN_AUDIENCE";

    fn parse(raw: &str) -> Result<Self, String> {
        check_claim_text(raw).map(|()| Self(raw.to_owned()))
    }
}

/// The Secrets Manager secret holding the key ring (`IDA_SIGNING_KEYS_SECRET_ID`): a name or ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeysSecretId(String);

impl Setting for SigningKeysSecretId {
    const VAR: &'static str = "IDA_SIGNING_KEYS_SECRET_ID";

    fn parse(raw: &str) -> Result<Self, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-:".contains(c);
        if raw.len() <= 2048 && raw.chars().all(allowed) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("a secret name or ARN: up to 2048 of A-Z a-z 0-9 / _ + = . @ - :".to_owned())
        }
    }
}

/// The local file holding the key ring (`IDA_SIGNING_KEYS_FILE`), for `ida serve` and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeysFile(PathBuf);

impl Setting for SigningKeysFile {
    const VAR: &'static str = "IDA_SIGNING_KEYS_FILE";

    fn parse(raw: &str) -> Result<Self, String> {
        Ok(Self(PathBuf::from(raw)))
    }
}

fn check_claim_text(raw: &str) -> Result<(), String> {
    if raw.len() <= 256 && raw.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("1-256 visible ASCII characters without spaces".to_owned())
    }
}

/// Where the key ring comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRingLocation {
    /// A Secrets Manager secret whose string is the key ring's JSON.
    Secret(SigningKeysSecretId),
    /// A file holding the key ring's JSON.
    File(SigningKeysFile),
}

/// Issuer, audience and key ring location, read once at cold start. Exactly one of
/// `IDA_SIGNING_KEYS_SECRET_ID` and `IDA_SIGNING_KEYS_FILE` must be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// The tokens' issuer.
    pub issuer: TokenIssuer,
    /// The tokens' audience.
    pub audience: TokenAudience,
    /// Where the key ring is loaded from.
    pub keys: KeyRingLocation,
}

impl Settings for TokenSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        let set = |var: &str| lookup(var).is_some_and(|value| !value.is_empty());
        let keys = match (set(SigningKeysSecretId::VAR), set(SigningKeysFile::VAR)) {
            (true, false) => KeyRingLocation::Secret(required(&lookup)?),
            (false, true) => KeyRingLocation::File(required(&lookup)?),
            (true, true) => {
                return Err(RuntimeError::MalformedSetting {
                    var: SigningKeysFile::VAR,
                    reason: format!("set either it or {}, not both", SigningKeysSecretId::VAR),
                });
            }
            (false, false) => {
                return Err(RuntimeError::MissingSetting {
                    var: SigningKeysSecretId::VAR,
                });
            }
        };
        Ok(Self {
            issuer: required(&lookup)?,
            audience: required(&lookup)?,
            keys,
        })
    }
}

impl TokenSettings {
    /// The verifier and signer for these settings with the keys of `ring`.
    pub fn access_tokens(&self, ring: &KeyRing) -> Result<AccessTokens, RuntimeError> {
        let config = AccessTokenConfig::new(self.issuer.0.clone(), self.audience.0.clone());
        AccessTokens::new(config, ring).map_err(|error| RuntimeError::KeySet {
            source_name: "key ring".to_owned(),
            reason: error.code().to_owned(),
        })
    }
}

/// Loads the token key ring.
pub trait KeyRingSource {
    /// The current key ring.
    fn load(&self) -> impl Future<Output = Result<KeyRing, RuntimeError>> + Send;
}

/// The key ring in a local JSON file.
#[derive(Debug, Clone)]
pub struct KeyFile(PathBuf);

impl KeyFile {
    /// The key ring at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }

    /// The file named by the settings.
    pub fn from_setting(setting: &SigningKeysFile) -> Self {
        Self(setting.0.clone())
    }
}

impl KeyRingSource for KeyFile {
    async fn load(&self) -> Result<KeyRing, RuntimeError> {
        let source_name = self.0.display().to_string();
        let text = std::fs::read_to_string(&self.0).map_err(|error| RuntimeError::KeySet {
            source_name: source_name.clone(),
            reason: error.kind().to_string(),
        })?;
        parse_key_ring(&text, source_name)
    }
}

/// The key ring in a Secrets Manager secret's string.
#[derive(Debug, Clone)]
pub struct SecretsManagerKeyRing {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

impl SecretsManagerKeyRing {
    /// The key ring in `secret_id`, read with `client`.
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: &SigningKeysSecretId) -> Self {
        Self {
            client,
            secret_id: secret_id.0.clone(),
        }
    }
}

impl KeyRingSource for SecretsManagerKeyRing {
    async fn load(&self) -> Result<KeyRing, RuntimeError> {
        let unavailable = |reason: String| RuntimeError::KeySet {
            source_name: self.secret_id.clone(),
            reason,
        };
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|error| {
                unavailable(format!(
                    "GetSecretValue failed: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&error)
                ))
            })?;
        let text = output
            .secret_string()
            .ok_or_else(|| unavailable("the secret has no string value".to_owned()))?;
        parse_key_ring(text, self.secret_id.clone())
    }
}

/// Parses the key ring's JSON; the error names the line and column, never the content.
fn parse_key_ring(text: &str, source_name: String) -> Result<KeyRing, RuntimeError> {
    serde_json::from_str(text).map_err(|error| RuntimeError::KeySet {
        source_name,
        reason: format!(
            "not a key ring (JSON {:?} error at line {}, column {})",
            error.classify(),
            error.line(),
            error.column()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(env: &[(&str, &str)]) -> Result<TokenSettings, RuntimeError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        TokenSettings::from_lookup(|var| env.get(var).cloned())
    }

    const ISSUER: (&str, &str) = ("IDA_TOKEN_ISSUER", "https://api.ida.example");
    const AUDIENCE: (&str, &str) = ("IDA_TOKEN_AUDIENCE", "ida-api");

    #[test]
    fn a_secret_id_selects_secrets_manager() {
        let settings = read(&[
            ISSUER,
            AUDIENCE,
            ("IDA_SIGNING_KEYS_SECRET_ID", "ida/prod/keys"),
        ])
        .unwrap();
        assert_eq!(
            settings.keys,
            KeyRingLocation::Secret(SigningKeysSecretId("ida/prod/keys".into()))
        );
        assert_eq!(
            settings.issuer,
            TokenIssuer("https://api.ida.example".into())
        );
    }

    #[test]
    fn a_file_selects_the_file() {
        let settings = read(&[ISSUER, AUDIENCE, ("IDA_SIGNING_KEYS_FILE", "keys.json")]).unwrap();
        assert_eq!(
            settings.keys,
            KeyRingLocation::File(SigningKeysFile("keys.json".into()))
        );
    }

    #[test]
    fn exactly_one_key_location_is_required() {
        let neither = read(&[ISSUER, AUDIENCE]).unwrap_err();
        assert_eq!(neither.code(), "missing_setting");
        let both = read(&[
            ISSUER,
            AUDIENCE,
            ("IDA_SIGNING_KEYS_SECRET_ID", "s"),
            ("IDA_SIGNING_KEYS_FILE", "f"),
        ])
        .unwrap_err();
        assert_eq!(both.code(), "malformed_setting");
    }

    #[test]
    fn an_audience_with_spaces_is_malformed() {
        let error = read(&[
            ISSUER,
            ("IDA_TOKEN_AUDIENCE", "ida api"),
            ("IDA_SIGNING_KEYS_FILE", "f"),
        ])
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable IDA_TOKEN_AUDIENCE is malformed: 1-256 visible ASCII characters without spaces"
        );
    }

    #[test]
    fn a_corrupt_key_ring_is_named_without_its_content() {
        let error = parse_key_ring("{\"current\": \"secret-ish\"", "keys.json".into()).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("keys.json"), "{text}");
        assert!(!text.contains("secret-ish"), "{text}");
    }
}
