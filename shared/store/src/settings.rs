//! The store's settings: resource names from the template (through the functions' environment),
//! the KMS key every object is encrypted with, and the key that signs pagination cursors.
//! Read once at start-up; the cursor key is never logged or formatted.

use std::fmt;

use crate::error::{Result, StoreError};

/// Shortest accepted cursor-signing key, in bytes.
pub const MIN_CURSOR_KEY_BYTES: usize = 32;

/// The secret that signs pagination cursors (HMAC-SHA256). Its `Debug` output hides the bytes.
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl CursorKey {
    /// A key from raw bytes, refusing keys shorter than [`MIN_CURSOR_KEY_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < MIN_CURSOR_KEY_BYTES {
            return Err(StoreError::Settings {
                name: "IDA_CURSOR_KEY",
                reason: format!("must be at least {MIN_CURSOR_KEY_BYTES} bytes"),
            });
        }
        Ok(CursorKey(bytes))
    }

    /// A key from hex digits, as the environment carries it.
    pub fn from_hex(text: &str) -> Result<Self> {
        let bytes = hex::decode(text.trim()).map_err(|e| StoreError::Settings {
            name: "IDA_CURSOR_KEY",
            reason: format!("must be hex: {e}"),
        })?;
        Self::new(bytes)
    }

    /// A fresh random key (for tests and for `ida serve`, whose cursors need not survive it).
    pub fn generate() -> Result<Self> {
        let mut bytes = vec![0_u8; MIN_CURSOR_KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Settings {
            name: "IDA_CURSOR_KEY",
            reason: format!("random source failed: {e}"),
        })?;
        Self::new(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// Where the store keeps things and how it protects them.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// The records table (`IDA_RECORDS_TABLE`).
    pub records_table: String,
    /// The bucket clients upload into (`IDA_UPLOADS_BUCKET`).
    pub uploads_bucket: String,
    /// The bucket of dataset versions and their documents (`IDA_ARTIFACTS_BUCKET`).
    pub artifacts_bucket: String,
    /// The KMS key every object is encrypted with (`IDA_KMS_KEY_ARN`).
    pub kms_key_id: String,
    /// Signs pagination cursors (`IDA_CURSOR_KEY`, hex).
    pub cursor_key: CursorKey,
}

impl StoreSettings {
    /// Reads the settings from the functions' environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings from any variable lookup.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let read = |name: &'static str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .ok_or(StoreError::Settings {
                    name,
                    reason: "is not set".to_owned(),
                })
        };
        Ok(StoreSettings {
            records_table: read("IDA_RECORDS_TABLE")?,
            uploads_bucket: read("IDA_UPLOADS_BUCKET")?,
            artifacts_bucket: read("IDA_ARTIFACTS_BUCKET")?,
            kms_key_id: read("IDA_KMS_KEY_ARN")?,
            cursor_key: CursorKey::from_hex(&read("IDA_CURSOR_KEY")?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn settings_name_the_missing_variable() {
        let vars = HashMap::from([("IDA_RECORDS_TABLE", "t"), ("IDA_UPLOADS_BUCKET", "u")]);
        let err = StoreSettings::from_lookup(|n| vars.get(n).map(|v| (*v).to_owned())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting IDA_ARTIFACTS_BUCKET: is not set"
        );
    }

    #[test]
    fn cursor_keys_must_be_long_and_stay_hidden() {
        assert!(CursorKey::from_hex("00ff").is_err());
        let key = CursorKey::from_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(format!("{key:?}"), "CursorKey(..)");
    }
}
