//! What the auth functions read at cold start: the records table with its cursor key, and for
//! the functions that sign tokens, the token settings.

use ida_runtime::RuntimeError;
use ida_runtime::auth::TokenSettings;
use ida_runtime::settings::Settings;
use ida_runtime::store_settings::RecordsSettings;

/// The records and the token settings: what login and refresh read.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// The records table.
    pub records: RecordsSettings,
    /// Issuer, audience and key ring location of access tokens.
    pub tokens: TokenSettings,
}

impl Settings for SessionSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        Ok(Self {
            records: RecordsSettings::from_lookup(&lookup)?,
            tokens: TokenSettings::from_lookup(&lookup)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(env: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let env: HashMap<&str, &str> = env.iter().copied().collect();
        move |var| env.get(var).map(|v| (*v).to_owned())
    }

    const TABLE: (&str, &str) = ("IDA_RECORDS_TABLE", "ida-records");
    const CURSOR: (&str, &str) = (
        "IDA_CURSOR_KEY",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    );

    #[test]
    fn the_session_settings_need_the_key_ring_location() {
        let error = SessionSettings::from_lookup(lookup(&[
            TABLE,
            CURSOR,
            ("IDA_TOKEN_ISSUER", "ida"),
            ("IDA_TOKEN_AUDIENCE", "ida-api"),
        ]))
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable IDA_SIGNING_KEYS_SECRET_ID is not set"
        );
        let settings = SessionSettings::from_lookup(lookup(&[
            TABLE,
            CURSOR,
            ("IDA_TOKEN_ISSUER", "ida"),
            ("IDA_TOKEN_AUDIENCE", "ida-api"),
            ("IDA_SIGNING_KEYS_FILE", "keys.json"),
        ]))
        .unwrap();
        assert_eq!(settings.records.records_table.name(), "ida-records");
    }
}
