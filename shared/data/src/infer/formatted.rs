//! Numbers written for people: currency symbols (`$1,234.50`, `-€5`, `(£5)`, `5 ¥`),
//! thousands separators (`1,234,567.89`, European `1.234.567,89`) and percentages (`12.5%`).
//!
//! A value is read under one separator convention at a time; the column decides which one
//! holds. This module never rounds: the digits are handed to the float parser as written.

/// Which characters separate thousands and decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separators {
    /// `1,234,567.89`.
    CommaThousands,
    /// `1.234.567,89`.
    DotThousands,
}

impl Separators {
    /// The thousands separator.
    pub(crate) fn thousands(self) -> char {
        match self {
            Separators::CommaThousands => ',',
            Separators::DotThousands => '.',
        }
    }

    /// The decimal separator.
    pub(crate) fn decimal(self) -> char {
        match self {
            Separators::CommaThousands => '.',
            Separators::DotThousands => ',',
        }
    }
}

/// The currency symbols recognised, prefix or suffix.
pub(crate) const CURRENCY_SYMBOLS: [char; 4] = ['$', '€', '£', '¥'];

/// One value read as a formatted number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FormattedNumber {
    /// The number, negative when written with `-` or in parentheses.
    pub(crate) value: f64,
    /// The value as an integer, when no decimal part was written and it fits i64.
    pub(crate) integer: Option<i64>,
    /// The currency symbol written, if any.
    pub(crate) symbol: Option<char>,
    /// Whether a trailing `%` was written.
    pub(crate) percent: bool,
    /// Whether a thousands separator was written.
    pub(crate) grouped: bool,
    /// Whether a decimal separator was written.
    pub(crate) decimal: bool,
}

/// Longest number of digits and separators accepted; more cannot be an amount.
const MAX_LEN: usize = 64;

/// Reads `text` (already trimmed) as a formatted number under `separators`.
pub(crate) fn parse_formatted(text: &str, separators: Separators) -> Option<FormattedNumber> {
    if text.len() > MAX_LEN {
        return None;
    }
    let mut body = text;
    let mut negative = false;
    if let Some(inner) = body.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
        negative = true;
        body = inner.trim();
    }
    let mut symbol = None;
    let mut percent = false;
    let mut signed = false;
    // Sign and symbol may come in either order before the digits: `-$5` and `$-5`.
    for _ in 0..2 {
        if let Some(rest) = body.strip_prefix(['-', '+']) {
            if signed || negative {
                return None;
            }
            signed = true;
            negative = body.starts_with('-');
            body = rest.trim_start();
        } else if let Some(found) = CURRENCY_SYMBOLS.iter().find(|s| body.starts_with(**s)) {
            if symbol.is_some() {
                return None;
            }
            symbol = Some(*found);
            body = body.get(found.len_utf8()..)?.trim_start();
        }
    }
    if let Some(rest) = body.strip_suffix('%') {
        percent = true;
        body = rest.trim_end();
    } else if let Some(found) = CURRENCY_SYMBOLS.iter().find(|s| body.ends_with(**s)) {
        if symbol.is_some() {
            return None;
        }
        symbol = Some(*found);
        body = body.get(..body.len() - found.len_utf8())?.trim_end();
    }
    if percent && symbol.is_some() {
        return None;
    }
    let mut buffer = [0u8; MAX_LEN + 1];
    let (length, grouped, decimal) = plain_digits(body, separators, negative, &mut buffer)?;
    let plain = std::str::from_utf8(buffer.get(..length)?).ok()?;
    let value = plain.parse::<f64>().ok()?;
    let integer = if decimal {
        None
    } else {
        plain.parse::<i64>().ok()
    };
    Some(FormattedNumber {
        value,
        integer,
        symbol,
        percent,
        grouped,
        decimal,
    })
}

/// Writes the digits of `body` into `buffer` without thousands separators, with `.` as decimal
/// point and a leading `-` when `negative`; returns the length written, whether a thousands
/// separator and whether a decimal separator were seen. Groups after the first must have exactly
/// three digits; the first has one to three. The buffer keeps the hot path free of allocation.
fn plain_digits(
    body: &str,
    separators: Separators,
    negative: bool,
    buffer: &mut [u8],
) -> Option<(usize, bool, bool)> {
    let (whole, fraction) = match body.split_once(separators.decimal()) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let mut length = 0;
    let mut put = |bytes: &[u8]| -> Option<()> {
        buffer
            .get_mut(length..length + bytes.len())?
            .copy_from_slice(bytes);
        length += bytes.len();
        Some(())
    };
    if negative {
        put(b"-")?;
    }
    let mut grouped = false;
    for (index, group) in whole.split(separators.thousands()).enumerate() {
        let valid = group.bytes().all(|b| b.is_ascii_digit())
            && match index {
                0 => !group.is_empty(),
                _ => group.len() == 3,
            };
        if !valid {
            return None;
        }
        grouped = index > 0;
        put(group.as_bytes())?;
    }
    if grouped && whole.split(separators.thousands()).next()?.len() > 3 {
        return None;
    }
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        put(b".")?;
        put(fraction.as_bytes())?;
    }
    Some((length, grouped, fraction.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(text: &str) -> Option<FormattedNumber> {
        parse_formatted(text, Separators::CommaThousands)
    }

    fn eu(text: &str) -> Option<FormattedNumber> {
        parse_formatted(text, Separators::DotThousands)
    }

    #[test]
    fn currency_prefix_suffix_and_negative_forms() {
        let amount = us("$1,234.50").unwrap();
        assert_eq!(amount.value, 1234.5);
        assert_eq!(amount.symbol, Some('$'));
        assert!(amount.grouped && amount.decimal);
        assert_eq!(us("-$5").unwrap().value, -5.0);
        assert_eq!(us("$-5").unwrap().value, -5.0);
        assert_eq!(us("($5)").unwrap().value, -5.0);
        assert_eq!(us("($5)").unwrap().integer, Some(-5));
        assert_eq!(us("5 €").unwrap().symbol, Some('€'));
        assert_eq!(us("£ 12.25").unwrap().value, 12.25);
        assert_eq!(us("¥1000").unwrap().integer, Some(1000));
    }

    #[test]
    fn percentages_keep_percent_units() {
        let share = us("12.5%").unwrap();
        assert_eq!(share.value, 12.5);
        assert!(share.percent);
        assert_eq!(us("-3 %").unwrap().value, -3.0);
    }

    #[test]
    fn european_separators() {
        let amount = eu("1.234.567,89").unwrap();
        assert_eq!(amount.value, 1_234_567.89);
        assert!(amount.grouped && amount.decimal);
        assert_eq!(eu("€1.234").unwrap().integer, Some(1234));
        assert!(eu("1,234.5").is_none());
    }

    #[test]
    fn malformed_groups_and_mixed_marks_are_rejected() {
        for text in [
            "1,23", "1234,567", ",123", "1,,234", "$", "%", "$5%", "$5$", "--5", "(-5)", "1.2.3",
            "5.", "abc", "$ab", "1 234",
        ] {
            assert!(us(text).is_none(), "{text:?}");
        }
    }
}
