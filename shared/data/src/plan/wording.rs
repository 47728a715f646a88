//! How the planner writes numbers into rationales: short, exact enough to check against the
//! profile, and the same text for the same value on every machine.

/// A number with at most four decimals, trailing zeros removed (`37`, `12.5`, `0.2031`).
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let text = format!("{value:.4}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// A ratio as a percentage with one decimal (`0.124` -> `12.4%`).
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_exact_enough() {
        assert_eq!(number(37.0), "37");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(0.203_125), "0.2031");
        assert_eq!(number(-0.000_01), "0");
        assert_eq!(percent(0.124), "12.4%");
    }
}
