//! The knobs of schema inference, with the defaults the engine documents.

/// How inference reads text values.
#[derive(Debug, Clone, PartialEq)]
pub struct InferOptions {
    /// Values that mean "missing", compared exactly (case-sensitive) after trimming whitespace.
    /// An empty or whitespace-only cell is always missing, whatever this list says.
    pub null_tokens: Vec<String>,
    /// Share of the non-null values of a column (0.0..=1.0) that must fit a type for the column
    /// to take it; the values that do not fit become null and are counted as invalid.
    pub min_type_share: f64,
    /// How many non-fitting values are kept per column as examples.
    pub max_invalid_examples: usize,
}

/// The null tokens listed in the issue: `NA`, `N/A`, `null`, `NULL`, `None`, `NaN` and `-`.
pub const DEFAULT_NULL_TOKENS: [&str; 7] = ["NA", "N/A", "null", "NULL", "None", "NaN", "-"];

/// Default of [`InferOptions::min_type_share`]: 95 % of the non-null values.
pub const DEFAULT_MIN_TYPE_SHARE: f64 = 0.95;

impl Default for InferOptions {
    fn default() -> Self {
        Self {
            null_tokens: DEFAULT_NULL_TOKENS
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            min_type_share: DEFAULT_MIN_TYPE_SHARE,
            max_invalid_examples: 5,
        }
    }
}

/// The null tokens prepared for fast matching of trimmed cell text.
#[derive(Debug, Clone)]
pub(crate) struct NullTokens {
    tokens: Vec<String>,
    longest: usize,
}

impl NullTokens {
    /// Prepares the tokens of `options`.
    pub(crate) fn new(options: &InferOptions) -> Self {
        let tokens: Vec<String> = options
            .null_tokens
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        let longest = tokens.iter().map(String::len).max().unwrap_or(0);
        Self { tokens, longest }
    }

    /// The trimmed text of a cell, or `None` when the cell is missing (null, blank or a token).
    #[inline]
    pub(crate) fn value<'a>(&self, cell: Option<&'a str>) -> Option<&'a str> {
        let trimmed = cell?.trim();
        if trimmed.is_empty() || self.is_token(trimmed) {
            None
        } else {
            Some(trimmed)
        }
    }

    #[inline]
    fn is_token(&self, trimmed: &str) -> bool {
        trimmed.len() <= self.longest && self.tokens.iter().any(|t| t == trimmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tokens_blank_and_whitespace_are_missing() {
        let tokens = NullTokens::new(&InferOptions::default());
        for cell in ["", "   ", "NA", " N/A ", "null", "NULL", "None", "NaN", "-"] {
            assert_eq!(tokens.value(Some(cell)), None, "{cell:?}");
        }
        assert_eq!(tokens.value(None), None);
    }

    #[test]
    fn values_are_trimmed_and_tokens_are_case_sensitive() {
        let tokens = NullTokens::new(&InferOptions::default());
        assert_eq!(tokens.value(Some("  42 ")), Some("42"));
        assert_eq!(tokens.value(Some("na")), Some("na"));
        assert_eq!(tokens.value(Some("--")), Some("--"));
    }

    #[test]
    fn custom_tokens_replace_the_defaults() {
        let options = InferOptions {
            null_tokens: vec!["?".to_owned()],
            ..InferOptions::default()
        };
        let tokens = NullTokens::new(&options);
        assert_eq!(tokens.value(Some("?")), None);
        assert_eq!(tokens.value(Some("NA")), Some("NA"));
    }
}
