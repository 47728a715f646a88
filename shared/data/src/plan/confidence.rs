//! The confidence formulas of the planner: each turns the evidence a step rests on into a
//! number between 0 and 1 (see `docs/planner.md`, "Confidence").
//!
//! Every formula reads only profile figures, so the same profile always gives the same
//! confidence; none is a constant per operation.

/// Lowest confidence the planner writes: a proposed step is never presented as worthless.
pub const FLOOR: f64 = 0.05;
/// Highest confidence the planner writes: evidence from one profile is never certainty.
pub const CEILING: f64 = 0.99;

/// Clamps to [`FLOOR`, `CEILING`] and rounds to three decimals so the JSON stays short and
/// the bytes do not depend on the last bits of a float.
pub fn finish(raw: f64) -> f64 {
    let clamped = if raw.is_finite() {
        raw.clamp(FLOOR, CEILING)
    } else {
        FLOOR
    };
    (clamped * 1000.0).round() / 1000.0
}

/// `trim_whitespace`: `0.9 + 0.1 * share`, where `share` is the padded share of non-null values.
/// Edge whitespace is almost never meant; the more values have it, the surer the fix.
pub fn trim(padded: u64, non_null: u64) -> f64 {
    finish(0.9 + 0.1 * ratio(padded, non_null))
}

/// `normalize_case`: `0.5 + 0.5 * (1 - variant_groups / distinct)`. Few case clashes among many
/// categories look like typing noise; many clashes may be meaningful spellings.
pub fn normalize_case(variant_groups: u64, distinct: u64) -> f64 {
    finish(0.5 + 0.5 * (1.0 - ratio(variant_groups, distinct)))
}

/// Steps that remove rows (`deduplicate`, `drop_nulls`): `1 - 2 * removed_share`. A few
/// removed rows are clearly accidental; removing many rows is a judgement call.
pub fn remove_rows(removed: u64, rows: u64) -> f64 {
    finish(1.0 - 2.0 * ratio(removed, rows))
}

/// `impute` with the median or mean: `(1 - null_ratio) * (1 - min(|skewness|, 1) / 4)` for the
/// mean and `1 - null_ratio` for the median. The fill stands for fewer rows as nulls grow, and a
/// mean is a poorer centre the more skewed the values are.
pub fn impute_numeric(null_ratio: f64, skewness: Option<f64>, uses_mean: bool) -> f64 {
    let fit = if uses_mean {
        1.0 - skewness.map_or(1.0, |s| s.abs().min(1.0)) / 4.0
    } else {
        1.0
    };
    finish((1.0 - null_ratio) * fit)
}

/// `impute` with the mode: `(1 - null_ratio) * (0.5 + 0.5 * mode_share)`, where `mode_share`
/// is the mode's share of non-null values: a dominant value is a safer guess.
pub fn impute_mode(null_ratio: f64, mode_count: u64, non_null: u64) -> f64 {
    finish((1.0 - null_ratio) * (0.5 + 0.5 * ratio(mode_count, non_null)))
}

/// Dropping a column with nulls only or mostly: its null ratio (1 for an empty column).
pub fn drop_sparse_column(null_ratio: f64) -> f64 {
    finish(null_ratio)
}

/// `drop_constant_columns`: `1 - 1 / rows`: one value across many rows is surely constant.
pub fn drop_constant(rows: u64) -> f64 {
    finish(1.0 - 1.0 / (rows.max(1) as f64))
}

/// `clip_outliers` (IQR fences): `1 - outlier_share / 0.1`. At 1% outliers clipping is routine;
/// at 10% or more the "outliers" are likely a real part of the distribution.
pub fn clip(outliers: u64, non_null: u64) -> f64 {
    finish(1.0 - ratio(outliers, non_null) / 0.1)
}

/// `log1p`: `|skewness| / (|skewness| + 1)`: the stronger the skew, the more a log helps.
pub fn log_transform(skewness: f64) -> f64 {
    let s = skewness.abs();
    finish(s / (s + 1.0))
}

/// `standardize`: `1 / (1 + |skewness| / 2)`: z-scores describe symmetric columns well and
/// skewed ones poorly.
pub fn standardize(skewness: Option<f64>) -> f64 {
    finish(1.0 / (1.0 + skewness.map_or(0.0, f64::abs) / 2.0))
}

/// `one_hot`: `covered * (1 - null_ratio)`, where `covered` is the share of non-null values
/// that fall in the kept categories.
pub fn one_hot(covered: u64, non_null: u64, null_ratio: f64) -> f64 {
    finish(ratio(covered, non_null) * (1.0 - null_ratio))
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_the_documented_formulas() {
        assert_eq!(trim(5, 10), 0.95);
        assert_eq!(normalize_case(1, 4), 0.875);
        assert_eq!(remove_rows(10, 100), 0.8);
        assert_eq!(impute_numeric(0.1, Some(3.0), false), 0.9);
        assert_eq!(impute_numeric(0.2, Some(0.4), true), 0.72);
        assert_eq!(impute_mode(0.5, 3, 4), 0.438);
        assert_eq!(clip(2, 100), 0.8);
        assert_eq!(log_transform(3.0), 0.75);
        assert_eq!(standardize(Some(2.0)), 0.5);
        assert_eq!(one_hot(9, 10, 0.0), 0.9);
        assert_eq!(drop_constant(100), 0.99);
    }

    #[test]
    fn confidence_stays_between_floor_and_ceiling() {
        assert_eq!(trim(10, 10), CEILING);
        assert_eq!(clip(50, 100), FLOOR);
        assert_eq!(finish(f64::NAN), FLOOR);
    }
}
