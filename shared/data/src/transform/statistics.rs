//! Reductions whose result does not depend on how the data is chunked or how many threads run:
//! compensated sequential sums in row order, exact quantiles from sorted values, modes with a
//! fixed tie-break. Steps use these so the same input gives the same bytes everywhere.

use polars::prelude::*;

use crate::error::Result;

/// The non-null, non-NaN values of a numeric column as f64, in row order.
pub fn finite_values(series: &Series) -> Result<Vec<f64>> {
    let floats = series.cast(&DataType::Float64)?;
    let ca = floats.f64()?;
    let mut out = Vec::with_capacity(ca.len() - ca.null_count());
    for array in ca.downcast_iter() {
        out.extend(array.iter().flatten().copied().filter(|v| !v.is_nan()));
    }
    Ok(out)
}

/// Neumaier's compensated sum, taken strictly in slice order.
pub fn compensated_sum(values: &[f64]) -> f64 {
    let mut sum = 0.0f64;
    let mut compensation = 0.0f64;
    for &v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            compensation += (sum - t) + v;
        } else {
            compensation += (v - t) + sum;
        }
        sum = t;
    }
    sum + compensation
}

/// Mean of the values, or `None` when there are none.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(compensated_sum(values) / values.len() as f64)
    }
}

/// Sample standard deviation (n - 1), two-pass, or `None` with fewer than two values.
pub fn sample_std(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let squares: Vec<f64> = values.iter().map(|v| (v - m) * (v - m)).collect();
    Some((compensated_sum(&squares) / (values.len() - 1) as f64).sqrt())
}

/// The values sorted ascending (total order, so the result is exact and unique).
pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_unstable_by(f64::total_cmp);
    values
}

/// Quantile `q` of sorted values with linear interpolation (pandas' and numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = q.clamp(0.0, 1.0) * last as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let low = *sorted.get(below)?;
    let high = *sorted.get(above)?;
    Some(low + (high - low) * (position - below as f64))
}

/// Median absolute deviation from the median, unscaled.
pub fn median_absolute_deviation(sorted_values: &[f64], median: f64) -> Option<f64> {
    let deviations = sorted(sorted_values.iter().map(|v| (v - median).abs()).collect());
    quantile(&deviations, 0.5)
}

/// The most frequent non-null value of a column as a one-row series; ties go to the smallest
/// value in the column's sort order. `None` when the column has no values.
pub fn mode(series: &Series) -> Result<Option<Series>> {
    let values = series
        .drop_nulls()
        .sort(SortOptions::default().with_maintain_order(true))?;
    if values.is_empty() {
        return Ok(None);
    }
    let mut best_start = 0usize;
    let mut best_len = 0usize;
    let mut run_start = 0usize;
    let mut previous: Option<AnyValue> = None;
    for (index, value) in values.iter().enumerate() {
        if previous.as_ref() != Some(&value) {
            run_start = index;
        }
        let run_len = index + 1 - run_start;
        if run_len > best_len {
            best_len = run_len;
            best_start = run_start;
        }
        previous = Some(value);
    }
    Ok(Some(values.slice(best_start as i64, 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values checked by hand (numpy.quantile with the default linear method agrees).
    #[test]
    fn quantiles_interpolate_linearly() {
        let v = sorted(vec![4.0, 1.0, 3.0, 2.0]);
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&v, 1.0), Some(4.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn compensated_sum_keeps_small_terms() {
        let values = [1.0e16, 1.0, -1.0e16, 1.0];
        assert_eq!(compensated_sum(&values), 2.0);
    }

    #[test]
    fn sample_std_of_a_known_series() {
        // 2,4,4,4,5,5,7,9: mean 5, sum of squares 32, sample variance 32/7.
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&v), Some(5.0));
        assert!((sample_std(&v).unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn mode_breaks_ties_by_smallest_value() {
        let s = Series::new(
            "c".into(),
            &[Some("b"), Some("a"), None, Some("b"), Some("a")],
        );
        let m = mode(&s).unwrap().unwrap();
        assert_eq!(m.str().unwrap().get(0), Some("a"));
    }
}
