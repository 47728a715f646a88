//! Byte-level tests and parsers for booleans, plain integers and plain floats.
//!
//! These run on every value of a column, so they avoid allocation and regex engines; they must
//! never accept a value they cannot convert exactly as documented in `docs/inference.md`.

/// What a trimmed value is as an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntegerText {
    /// Not written as an integer (letters, a decimal point, nothing but a sign).
    No,
    /// An integer that fits in i64.
    Fits(i64),
    /// Written as an integer but beyond the i64 range: converting would lose exactness.
    TooLarge,
}

/// Parses `text` written as an optional sign followed by ASCII digits.
#[inline]
pub(crate) fn parse_integer(text: &str) -> IntegerText {
    let bytes = text.as_bytes();
    let digits = match bytes.first() {
        Some(b'+' | b'-') => bytes.get(1..).unwrap_or_default(),
        _ => bytes,
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return IntegerText::No;
    }
    match text.parse::<i64>() {
        Ok(value) => IntegerText::Fits(value),
        Err(_) => IntegerText::TooLarge,
    }
}

/// Whether an integer text has a leading zero that a number would drop (`007`, `-01`).
#[inline]
pub(crate) fn has_leading_zero(text: &str) -> bool {
    let digits = text.trim_start_matches(['+', '-']);
    digits.len() > 1 && digits.starts_with('0')
}

/// Parses a plain decimal float: digits with an optional sign, point and exponent, or the
/// words `inf`, `infinity` and `nan` in any case. Thousands separators are not plain.
#[inline]
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let numeric = bytes
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if numeric {
        if !bytes.iter().any(u8::is_ascii_digit) {
            return None;
        }
        return text.parse::<f64>().ok();
    }
    let unsigned = text.trim_start_matches(['+', '-']);
    let word = ["inf", "infinity", "nan"]
        .iter()
        .any(|w| unsigned.eq_ignore_ascii_case(w));
    if word && text.len() - unsigned.len() <= 1 {
        text.parse::<f64>().ok()
    } else {
        None
    }
}

/// Parses the boolean words `true/false`, `yes/no`, `t/f` and `y/n` in any case.
#[inline]
pub(crate) fn parse_boolean(text: &str) -> Option<bool> {
    if text.len() > 5 {
        return None;
    }
    const TRUE: [&str; 4] = ["true", "yes", "t", "y"];
    const FALSE: [&str; 4] = ["false", "no", "f", "n"];
    if TRUE.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if FALSE.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_fit_overflow_or_are_not_integers() {
        assert_eq!(parse_integer("42"), IntegerText::Fits(42));
        assert_eq!(
            parse_integer("-9223372036854775808"),
            IntegerText::Fits(i64::MIN)
        );
        assert_eq!(parse_integer("+7"), IntegerText::Fits(7));
        assert_eq!(parse_integer("9223372036854775808"), IntegerText::TooLarge);
        for text in ["", "-", "+", "1.0", "1e3", "12a", "--1", "1 2"] {
            assert_eq!(parse_integer(text), IntegerText::No, "{text:?}");
        }
    }

    #[test]
    fn leading_zeros_are_detected() {
        assert!(has_leading_zero("007"));
        assert!(has_leading_zero("-01"));
        assert!(!has_leading_zero("0"));
        assert!(!has_leading_zero("10"));
    }

    #[test]
    fn floats_accept_decimal_forms_and_reject_separators() {
        assert_eq!(parse_float("1.5"), Some(1.5));
        assert_eq!(parse_float("-2.5e3"), Some(-2500.0));
        assert_eq!(parse_float(".5"), Some(0.5));
        assert_eq!(parse_float("3"), Some(3.0));
        assert_eq!(parse_float("inf"), Some(f64::INFINITY));
        assert_eq!(parse_float("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_float("NaN").is_some_and(f64::is_nan));
        for text in [
            "1,5", "1,234.5", "e", ".", "-", "1.2.3", "abc", "$5", "--inf",
        ] {
            assert_eq!(parse_float(text), None, "{text:?}");
        }
    }

    #[test]
    fn booleans_accept_words_in_any_case() {
        assert_eq!(parse_boolean("TRUE"), Some(true));
        assert_eq!(parse_boolean("no"), Some(false));
        assert_eq!(parse_boolean("Y"), Some(true));
        assert_eq!(parse_boolean("1"), None);
        assert_eq!(parse_boolean("truth"), None);
    }
}
