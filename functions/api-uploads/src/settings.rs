//! The settings the upload routes read at cold start: the store's resources.

use ida_runtime::RuntimeError;
use ida_runtime::settings::Settings;
use ida_store::{StoreError, StoreSettings};

/// What a project route reads from its environment.
#[derive(Debug, Clone)]
pub struct UploadsSettings {
    /// The records table, buckets, KMS key and cursor key.
    pub store: StoreSettings,
}

impl Settings for UploadsSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        let store = StoreSettings::from_lookup(lookup).map_err(|error| match error {
            StoreError::Settings { name, reason } if reason == "is not set" => {
                RuntimeError::MissingSetting { var: name }
            }
            StoreError::Settings { name, reason } => {
                RuntimeError::MalformedSetting { var: name, reason }
            }
            other => RuntimeError::MalformedSetting {
                var: "IDA_CURSOR_KEY",
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

    #[test]
    fn a_missing_cursor_key_is_named() {
        let env = HashMap::from([
            ("IDA_RECORDS_TABLE", "ida-records"),
            ("IDA_UPLOADS_BUCKET", "ida-uploads"),
            ("IDA_ARTIFACTS_BUCKET", "ida-artifacts"),
            (
                "IDA_KMS_KEY_ARN",
                "arn:aws:kms:us-east-1:000000000000:key/k1",
            ),
        ]);
        let error =
            UploadsSettings::from_lookup(|var| env.get(var).map(|v| (*v).to_owned())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable IDA_CURSOR_KEY is not set"
        );
    }
}
