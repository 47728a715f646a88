//! Text for the report: HTML escaping and short number formats.
//!
//! Every piece of user data (column names, values, messages that quote them) passes through
//! [`escape`] before it reaches the page; this module must never return unescaped input.

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A number for people: up to 6 significant digits, scientific only when very large or small.
pub(crate) fn number(value: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    if !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs().log10().floor();
    if !(-4.0..15.0).contains(&magnitude) {
        return format!("{value:.4e}");
    }
    let decimals = (5.0 - magnitude).clamp(0.0, 10.0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// An optional number, or an em dash when undefined.
pub(crate) fn maybe_number(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), number)
}

/// A ratio as a percentage with one decimal.
pub(crate) fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape("<script>alert('x\")</script> & co"),
            "&lt;script&gt;alert(&#39;x&quot;)&lt;/script&gt; &amp; co"
        );
    }

    #[test]
    fn numbers_are_short_and_readable() {
        assert_eq!(number(1234.5678), "1234.57");
        assert_eq!(number(0.000123456), "0.000123456");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-2.5e20), "-2.5000e20");
    }
}
