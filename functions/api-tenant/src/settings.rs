//! What the tenant functions read at cold start: the records table with its cursor key.

use ida_runtime::RuntimeError;
use ida_runtime::settings::{RecordsTable, Settings, required};
use ida_store::CursorKey;

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
}
