//! Client file names made safe for an object key: every character outside letters, digits,
//! space, `.`, `-`, `_`, `(` and `)` becomes `_`, leading dots go, and the name is cut to
//! [`FileName::MAX_LEN`] bytes keeping its extension.

use ida_core::CoreError;
use ida_core::upload::FileName;

/// The sanitised name, refused (naming `filename`) when nothing usable is left.
pub fn sanitise(raw: &str) -> Result<FileName, CoreError> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    name = name.trim().trim_start_matches('.').to_owned();
    if name.len() > FileName::MAX_LEN {
        let extension = name
            .rsplit_once('.')
            .map(|(_, ext)| format!(".{ext}"))
            .filter(|ext| ext.len() < 16)
            .unwrap_or_default();
        name.truncate(FileName::MAX_LEN - extension.len());
        name = format!("{}{extension}", name.trim_end_matches('.'));
    }
    FileName::parse(&name).map_err(|error| match error {
        CoreError::InvalidField { reason, .. } => CoreError::invalid("filename", reason),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unsafe_characters_become_underscores() {
        assert_eq!(
            sanitise("Sales Q1 (final).csv").unwrap().as_str(),
            "Sales Q1 (final).csv"
        );
        assert_eq!(
            sanitise("../../etc/passwd.csv").unwrap().as_str(),
            "passwd.csv"
        );
        assert_eq!(
            sanitise("C:\\data\\år 2024.csv").unwrap().as_str(),
            "_r 2024.csv"
        );
        assert_eq!(sanitise("..hidden.json").unwrap().as_str(), "hidden.json");
        assert_eq!(sanitise("a;b&c.csv").unwrap().as_str(), "a_b_c.csv");
    }

    #[test]
    fn nothing_left_is_an_error_naming_filename() {
        let error = sanitise("...").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid filename: must be 1 to 255 bytes"
        );
    }

    #[test]
    fn long_names_keep_their_extension() {
        let name = sanitise(&format!("{}.parquet", "x".repeat(400))).unwrap();
        assert_eq!(name.as_str().len(), FileName::MAX_LEN);
        assert!(name.as_str().ends_with(".parquet"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn every_sanitised_name_is_a_valid_file_name(raw in "\\PC{1,300}") {
            if let Ok(name) = sanitise(&raw) {
                prop_assert!(FileName::parse(name.as_str()).is_ok());
                prop_assert!(!name.as_str().contains('/'));
            }
        }

        #[test]
        fn safe_names_are_kept_as_they_are(raw in "[a-zA-Z0-9][a-zA-Z0-9 _()-]{0,40}\\.csv") {
            let kept = raw.trim().to_owned();
            let name = sanitise(&raw).unwrap();
            prop_assert_eq!(name.as_str(), kept.as_str());
        }
    }
}
