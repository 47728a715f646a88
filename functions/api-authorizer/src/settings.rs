//! What the authorizer reads at cold start: the token settings (issuer, audience, where the
//! key ring lives) and the records table that holds API keys.

use ida_runtime::RuntimeError;
use ida_runtime::auth::TokenSettings;
use ida_runtime::settings::{RecordsTable, Settings, required};

/// The authorizer's settings.
#[derive(Debug, Clone)]
pub struct AuthorizerSettings {
    /// Issuer, audience and key ring location of access tokens.
    pub tokens: TokenSettings,
    /// The table whose API-key items verify `X-Api-Key`.
    pub records_table: RecordsTable,
}

impl Settings for AuthorizerSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        Ok(Self {
            tokens: TokenSettings::from_lookup(&lookup)?,
            records_table: required(&lookup)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_runtime::auth::KeyRingLocation;
    use std::collections::HashMap;

    fn read(env: &[(&str, &str)]) -> Result<AuthorizerSettings, RuntimeError> {
        let env: HashMap<&str, &str> = env.iter().copied().collect();
        AuthorizerSettings::from_lookup(|var| env.get(var).map(|v| (*v).to_owned()))
    }

    #[test]
    fn reads_the_token_settings_and_the_table() {
        let settings = read(&[
            ("IDA_TOKEN_ISSUER", "ida"),
            ("IDA_TOKEN_AUDIENCE", "ida-api"),
            ("IDA_SIGNING_KEYS_SECRET_ID", "ida/signing-keys"),
            ("IDA_RECORDS_TABLE", "ida-records"),
        ])
        .unwrap();
        assert_eq!(settings.records_table.name(), "ida-records");
        assert!(matches!(settings.tokens.keys, KeyRingLocation::Secret(_)));
    }

    #[test]
    fn a_missing_table_is_named() {
        let error = read(&[
            ("IDA_TOKEN_ISSUER", "ida"),
            ("IDA_TOKEN_AUDIENCE", "ida-api"),
            ("IDA_SIGNING_KEYS_FILE", "keys.json"),
        ])
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable IDA_RECORDS_TABLE is not set"
        );
    }
}
