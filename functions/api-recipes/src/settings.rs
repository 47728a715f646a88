//! The settings the recipe routes read at cold start: the store's table, buckets, KMS key and
//! cursor key. Task tokens carry their execution, so no state machine setting is needed.

use ida_runtime::RuntimeError;
use ida_runtime::settings::Settings;
use ida_store::{StoreError, StoreSettings};

/// What the recipe functions read from their environment.
#[derive(Debug, Clone)]
pub struct RecipesSettings {
    /// The records table, buckets and cursor key.
    pub store: StoreSettings,
}

impl Settings for RecipesSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        let store = StoreSettings::from_lookup(lookup).map_err(|error| match error {
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
    fn a_missing_bucket_is_named() {
        let env = HashMap::from([
            ("IDA_RECORDS_TABLE", "ida-records".to_owned()),
            ("IDA_UPLOADS_BUCKET", "ida-uploads".to_owned()),
            (
                "IDA_KMS_KEY_ARN",
                "arn:aws:kms:eu-west-1:1:key/k".to_owned(),
            ),
            ("IDA_CURSOR_KEY", "cd".repeat(32)),
        ]);
        let error = RecipesSettings::from_lookup(|var| env.get(var).cloned()).unwrap_err();
        assert!(
            error.to_string().contains("IDA_ARTIFACTS_BUCKET"),
            "{error}"
        );
    }
}
