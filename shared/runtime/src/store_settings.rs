//! The two shapes of store settings the API functions read at cold start: the records table with
//! its cursor key ([`RecordsSettings`], the identity routes), and the store's whole set of
//! resources ([`StoreAccess`], the data routes). One definition each, so every function names a
//! missing or malformed variable the same way.
//!
//! It only reads and checks variables; it never builds a client nor copies a value into an error.

use crate::error::RuntimeError;
use crate::settings::{RecordsTable, Settings, required};
use ida_store::{CursorKey, StoreError, StoreSettings};

/// The variable holding the pagination cursor key (hex), set for every function.
const CURSOR_KEY_VAR: &str = "IDA_CURSOR_KEY";

/// The records table and the key its cursors are signed with.
#[derive(Debug, Clone)]
pub struct RecordsSettings {
    /// The records table.
    pub records_table: RecordsTable,
    /// Signs pagination cursors.
    pub cursor_key: CursorKey,
}

impl Settings for RecordsSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        let cursor_hex = lookup(CURSOR_KEY_VAR)
            .filter(|value| !value.is_empty())
            .ok_or(RuntimeError::MissingSetting {
                var: CURSOR_KEY_VAR,
            })?;
        let cursor_key =
            CursorKey::from_hex(&cursor_hex).map_err(|_| RuntimeError::MalformedSetting {
                var: CURSOR_KEY_VAR,
                reason: "32 to 64 bytes as lower-case hex".to_owned(),
            })?;
        Ok(Self {
            records_table: required(&lookup)?,
            cursor_key,
        })
    }
}

/// The store's records table, buckets, KMS key and cursor key.
#[derive(Debug, Clone)]
pub struct StoreAccess {
    /// The records table, buckets, KMS key and cursor key.
    pub store: StoreSettings,
}

impl Settings for StoreAccess {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        let store = StoreSettings::from_lookup(lookup).map_err(|error| match error {
            StoreError::Settings { name, reason } if reason == "is not set" => {
                RuntimeError::MissingSetting { var: name }
            }
            StoreError::Settings { name, reason } => {
                RuntimeError::MalformedSetting { var: name, reason }
            }
            // The only other error reading the settings gives is a cursor key it cannot decode.
            other => RuntimeError::MalformedSetting {
                var: CURSOR_KEY_VAR,
                reason: other.to_string(),
            },
        })?;
        Ok(Self { store })
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
    const UPLOADS: (&str, &str) = ("IDA_UPLOADS_BUCKET", "ida-uploads");
    const ARTIFACTS: (&str, &str) = ("IDA_ARTIFACTS_BUCKET", "ida-artifacts");
    const KMS: (&str, &str) = (
        "IDA_KMS_KEY_ARN",
        "arn:aws:kms:us-east-1:000000000000:key/k1",
    );

    #[test]
    fn reads_the_table_and_the_cursor_key() {
        let settings = RecordsSettings::from_lookup(lookup(&[TABLE, CURSOR])).unwrap();
        assert_eq!(settings.records_table.name(), "ida-records");
    }

    #[test]
    fn a_short_cursor_key_is_malformed_without_echoing_it() {
        let error =
            RecordsSettings::from_lookup(lookup(&[TABLE, ("IDA_CURSOR_KEY", "abcd")])).unwrap_err();
        assert_eq!(error.code(), "malformed_setting");
        assert!(!error.to_string().contains("abcd"));
    }

    #[test]
    fn the_store_reads_every_resource() {
        let access =
            StoreAccess::from_lookup(lookup(&[TABLE, UPLOADS, ARTIFACTS, KMS, CURSOR])).unwrap();
        assert_eq!(access.store.records_table, "ida-records");
        assert_eq!(access.store.uploads_bucket, "ida-uploads");
        assert_eq!(access.store.artifacts_bucket, "ida-artifacts");
        assert_eq!(
            access.store.kms_key_id,
            "arn:aws:kms:us-east-1:000000000000:key/k1"
        );
    }

    #[test]
    fn a_missing_store_variable_is_named() {
        let error =
            StoreAccess::from_lookup(lookup(&[TABLE, UPLOADS, ARTIFACTS, KMS])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable IDA_CURSOR_KEY is not set"
        );
        let error = StoreAccess::from_lookup(lookup(&[TABLE, UPLOADS, KMS, CURSOR])).unwrap_err();
        assert_eq!(error.code(), "missing_setting");
        assert!(
            error.to_string().contains("IDA_ARTIFACTS_BUCKET"),
            "{error}"
        );
    }

    #[test]
    fn a_short_store_cursor_key_is_malformed_without_echoing_it() {
        let error = StoreAccess::from_lookup(lookup(&[
            TABLE,
            UPLOADS,
            ARTIFACTS,
            KMS,
            ("IDA_CURSOR_KEY", "abcd"),
        ]))
        .unwrap_err();
        assert_eq!(error.code(), "malformed_setting");
        assert!(error.to_string().contains("IDA_CURSOR_KEY"), "{error}");
        assert!(!error.to_string().contains("abcd"), "{error}");
    }
}
