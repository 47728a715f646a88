//! Pairwise summation of floats, the way numpy sums arrays.
//!
//! Naive left-to-right sums lose digits on long columns; pairwise summation keeps the error at
//! O(log n) ulps, which is what lets these statistics agree with numpy to ~1e-12. It must never
//! reorder or skip values.

/// Below this length a plain loop is as accurate as splitting further.
const BLOCK: usize = 128;

/// The sum of `values` by recursive halving.
pub(crate) fn pairwise_sum(values: &[f64]) -> f64 {
    if values.len() <= BLOCK {
        return values.iter().sum();
    }
    let (left, right) = values.split_at(values.len() / 2);
    pairwise_sum(left) + pairwise_sum(right)
}

/// The sum of `f(x)` over `values` by recursive halving, without allocating the mapped values.
pub(crate) fn pairwise_sum_by(values: &[f64], f: &impl Fn(f64) -> f64) -> f64 {
    if values.len() <= BLOCK {
        return values.iter().map(|&x| f(x)).sum();
    }
    let (left, right) = values.split_at(values.len() / 2);
    pairwise_sum_by(left, f) + pairwise_sum_by(right, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_of_many_tenths_is_closer_than_a_naive_loop() {
        let values = vec![0.1; 1_000_000];
        let naive: f64 = values.iter().sum();
        let pairwise = pairwise_sum(&values);
        assert!((pairwise - 100_000.0).abs() < (naive - 100_000.0).abs());
        assert!((pairwise - 100_000.0).abs() < 1e-8);
    }

    #[test]
    fn mapped_sum_equals_sum_of_mapped_values() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let squares: Vec<f64> = values.iter().map(|x| x * x).collect();
        assert_eq!(pairwise_sum_by(&values, &|x| x * x), pairwise_sum(&squares));
    }
}
