//! Pairwise association between columns: Pearson and Spearman over numeric columns (pandas
//! `DataFrame.corr`, pairwise-complete rows, average ranks for ties) and Cramér's V over
//! low-cardinality categorical columns (scipy `contingency.association`, no bias correction).
//!
//! Ranks come from each column's single sort; a pair is re-ranked only over its own complete
//! rows when its two columns have nulls in different rows (as pandas does). Undefined
//! coefficients (fewer than 2 complete rows, zero variance) are `None`, never NaN.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::AnalysedColumn;
use super::categorical::CategoryCodes;
use super::config::ProfileConfig;
use super::numeric::NumericData;

/// The three association matrices of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correlations {
    /// Pearson's r over integer and float columns.
    pub pearson: CorrelationMatrix,
    /// Spearman's rho over integer and float columns.
    pub spearman: CorrelationMatrix,
    /// Cramér's V over string and boolean columns with few distinct values.
    pub cramers_v: CorrelationMatrix,
}

/// A symmetric matrix of coefficients; `matrix[i][j]` pairs `columns[i]` with `columns[j]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelationMatrix {
    /// The columns, in dataset order.
    pub columns: Vec<String>,
    /// Coefficients, null where undefined.
    pub matrix: Vec<Vec<Option<f64>>>,
}

impl CorrelationMatrix {
    /// The coefficient of two columns by position, if defined.
    pub fn get(&self, row: usize, column: usize) -> Option<f64> {
        self.matrix.get(row)?.get(column).copied().flatten()
    }
}

/// All three matrices for the analysed columns.
pub(crate) fn correlations(columns: &[AnalysedColumn], config: &ProfileConfig) -> Correlations {
    let numeric: Vec<(&str, &NumericData)> = columns
        .iter()
        .filter_map(|c| Some((c.profile.name.as_str(), c.numeric.as_ref()?)))
        .collect();
    let categorical: Vec<(&str, &CategoryCodes)> = columns
        .iter()
        .filter(|c| c.profile.distinct_count <= config.cramers_v_max_distinct)
        .filter_map(|c| Some((c.profile.name.as_str(), c.codes.as_ref()?)))
        .collect();

    let prepared: Vec<Prepared> = numeric
        .par_iter()
        .map(|(_, data)| Prepared::of(data))
        .collect();
    Correlations {
        pearson: symmetric(names(&numeric), numeric.len(), |i, j| {
            pearson_pair(prepared.get(i)?, prepared.get(j)?)
        }),
        spearman: symmetric(names(&numeric), numeric.len(), |i, j| {
            let (x, y) = (prepared.get(i)?, prepared.get(j)?);
            spearman_pair(x, y)
        }),
        cramers_v: symmetric(names(&categorical), categorical.len(), |i, j| {
            cramers_v(categorical.get(i)?.1, categorical.get(j)?.1)
        }),
    }
}

fn names<T>(list: &[(&str, T)]) -> Vec<String> {
    list.iter().map(|(name, _)| (*name).to_owned()).collect()
}

/// Fills a symmetric matrix by computing each unordered pair once, in parallel.
fn symmetric(
    columns: Vec<String>,
    size: usize,
    pair: impl Fn(usize, usize) -> Option<f64> + Sync,
) -> CorrelationMatrix {
    let pairs: Vec<(usize, usize)> = (0..size)
        .flat_map(|i| (i..size).map(move |j| (i, j)))
        .collect();
    let values: Vec<Option<f64>> = pairs.par_iter().map(|&(i, j)| pair(i, j)).collect();
    let mut matrix = vec![vec![None; size]; size];
    for (&(i, j), value) in pairs.iter().zip(values) {
        if let Some(cell) = matrix.get_mut(i).and_then(|row| row.get_mut(j)) {
            *cell = value;
        }
        if let Some(cell) = matrix.get_mut(j).and_then(|row| row.get_mut(i)) {
            *cell = value;
        }
    }
    CorrelationMatrix { columns, matrix }
}

/// A numeric column's values and ranks, centred once for the null-free fast path.
struct Prepared<'a> {
    data: &'a NumericData,
    /// Which rows hold a value, one bit per row.
    present: RowSet,
    /// Average ranks (1-based) in row order, NaN for null rows.
    ranks: Vec<f64>,
    /// Values minus their mean (empty when the column has nulls: pairs then centre themselves).
    centred_values: Vec<f64>,
    /// Ranks minus their mean (empty when the column has nulls).
    centred_ranks: Vec<f64>,
    /// Sums of squares of the centred values and ranks.
    squares: (f64, f64),
}

impl<'a> Prepared<'a> {
    fn of(data: &'a NumericData) -> Self {
        let present = RowSet::of(&data.values);
        let mut ranks = vec![f64::NAN; data.values.len()];
        assign_average_ranks(&data.sorted, &data.order, |_| true, &mut ranks);
        let (centred_values, centred_ranks) = if data.has_nulls() {
            (Vec::new(), Vec::new())
        } else {
            (centre(&data.values), centre(&ranks))
        };
        let squares = (
            dot(&centred_values, &centred_values),
            dot(&centred_ranks, &centred_ranks),
        );
        Prepared {
            data,
            present,
            ranks,
            centred_values,
            centred_ranks,
            squares,
        }
    }

    /// Ranks over the rows where `partner` also has a value: the global ranks when that is
    /// every row of this column, otherwise a re-ranking that walks the existing sort order.
    fn ranks_within<'s>(&'s self, partner: &Prepared<'_>) -> std::borrow::Cow<'s, [f64]> {
        if !partner.data.has_nulls() {
            return std::borrow::Cow::Borrowed(&self.ranks);
        }
        let mut ranks = vec![f64::NAN; self.data.values.len()];
        assign_average_ranks(
            &self.data.sorted,
            &self.data.order,
            |row| partner.present.contains(row),
            &mut ranks,
        );
        std::borrow::Cow::Owned(ranks)
    }
}

/// A set of row numbers as a bitmap: small enough to stay in cache while a sort order is
/// walked in random row order.
struct RowSet {
    words: Vec<u64>,
}

impl RowSet {
    /// The rows whose value is not NaN.
    fn of(values: &[f64]) -> Self {
        let mut words = vec![0_u64; values.len().div_ceil(64)];
        for (word, chunk) in words.iter_mut().zip(values.chunks(64)) {
            for (bit, value) in chunk.iter().enumerate() {
                if !value.is_nan() {
                    *word |= 1 << bit;
                }
            }
        }
        RowSet { words }
    }

    fn contains(&self, row: usize) -> bool {
        self.words
            .get(row / 64)
            .is_some_and(|word| word >> (row % 64) & 1 == 1)
    }
}

fn centre(values: &[f64]) -> Vec<f64> {
    let mean = super::summation::pairwise_sum(values) / values.len() as f64;
    values.iter().map(|x| x - mean).collect()
}

/// Writes 1-based average ranks into `ranks` for the rows `keep` accepts, walking the column's
/// ascending `sorted` values and their row numbers `order` once.
fn assign_average_ranks(
    sorted: &[f64],
    order: &[u32],
    keep: impl Fn(usize) -> bool,
    ranks: &mut [f64],
) {
    let mut below = 0_usize;
    let mut start = 0;
    while start < sorted.len() {
        let value = sorted.get(start).copied();
        let mut end = start + 1;
        while end < sorted.len() && sorted.get(end).copied() == value {
            end += 1;
        }
        let rows = order.get(start..end).unwrap_or_default();
        let kept = rows.iter().filter(|&&row| keep(row as usize)).count();
        if kept > 0 {
            // The tie occupies ranks below+1 ..= below+kept; each gets their mean.
            let rank = below as f64 + (kept as f64 + 1.0) / 2.0;
            for &row in rows.iter().filter(|&&row| keep(row as usize)) {
                if let Some(slot) = ranks.get_mut(row as usize) {
                    *slot = rank;
                }
            }
        }
        below += kept;
        start = end;
    }
}

/// Pearson's r of two numeric columns over their complete rows.
fn pearson_pair(x: &Prepared<'_>, y: &Prepared<'_>) -> Option<f64> {
    if !x.data.has_nulls() && !y.data.has_nulls() {
        if x.data.sorted.len() < 2 || is_constant(&x.data.sorted) || is_constant(&y.data.sorted) {
            return None;
        }
        return coefficient(
            x.squares.0,
            y.squares.0,
            dot(&x.centred_values, &y.centred_values),
        );
    }
    pearson_complete_rows(&x.data.values, &y.data.values)
}

/// Spearman's rho: Pearson's r of average ranks, re-ranked over the pair's complete rows when
/// the two columns have nulls in different rows.
fn spearman_pair(x: &Prepared<'_>, y: &Prepared<'_>) -> Option<f64> {
    if !x.data.has_nulls() && !y.data.has_nulls() {
        if x.data.sorted.len() < 2 || is_constant(&x.data.sorted) || is_constant(&y.data.sorted) {
            return None;
        }
        return coefficient(
            x.squares.1,
            y.squares.1,
            dot(&x.centred_ranks, &y.centred_ranks),
        );
    }
    if x.present.words == y.present.words {
        return pearson_complete_rows(&x.ranks, &y.ranks);
    }
    pearson_complete_rows(&x.ranks_within(y), &y.ranks_within(x))
}

/// Two-pass Pearson's r over the rows where neither value is NaN.
fn pearson_complete_rows(x: &[f64], y: &[f64]) -> Option<f64> {
    let complete = || x.iter().zip(y).filter(|(a, b)| !a.is_nan() && !b.is_nan());
    let mut n = 0_usize;
    let (mut sum_x, mut sum_y) = (0.0, 0.0);
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (&a, &b) in complete() {
        n += 1;
        sum_x += a;
        sum_y += b;
        min_x = min_x.min(a);
        max_x = max_x.max(a);
        min_y = min_y.min(b);
        max_y = max_y.max(b);
    }
    if n < 2 || min_x == max_x || min_y == max_y {
        return None;
    }
    let (mean_x, mean_y) = (sum_x / n as f64, sum_y / n as f64);
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (&a, &b) in complete() {
        let (dx, dy) = (a - mean_x, b - mean_y);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    coefficient(sxx, syy, sxy)
}

fn coefficient(sxx: f64, syy: f64, sxy: f64) -> Option<f64> {
    let divisor = (sxx * syy).sqrt();
    (divisor != 0.0 && divisor.is_finite()).then(|| (sxy / divisor).clamp(-1.0, 1.0))
}

fn is_constant(sorted: &[f64]) -> bool {
    sorted.first() == sorted.last()
}

/// A dot product summed in blocks, so long columns keep their precision.
fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.chunks(1024)
        .zip(y.chunks(1024))
        .map(|(a, b)| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>())
        .sum()
}

/// Cramér's V of two coded columns over their complete rows, from the chi-squared statistic of
/// the observed contingency table (categories with no complete row are left out, as `crosstab`
/// leaves them out).
fn cramers_v(x: &CategoryCodes, y: &CategoryCodes) -> Option<f64> {
    let width = y.distinct;
    let mut table = vec![0_u64; x.distinct.checked_mul(width)?];
    for (&a, &b) in x.rows.iter().zip(&y.rows) {
        if a == CategoryCodes::NULL || b == CategoryCodes::NULL {
            continue;
        }
        if let Some(cell) = table.get_mut(a as usize * width + b as usize) {
            *cell += 1;
        }
    }
    let row_sums: Vec<u64> = table
        .chunks(width.max(1))
        .map(|row| row.iter().sum())
        .collect();
    let column_sums: Vec<u64> = (0..width)
        .map(|j| table.iter().skip(j).step_by(width).sum())
        .collect();
    let n: u64 = row_sums.iter().sum();
    let rows = row_sums.iter().filter(|&&s| s > 0).count();
    let columns = column_sums.iter().filter(|&&s| s > 0).count();
    let smaller = rows.min(columns);
    if n < 2 || smaller < 2 {
        return None;
    }
    let total = n as f64;
    let mut chi2 = 0.0;
    for (i, &row_sum) in row_sums.iter().enumerate().filter(|(_, s)| **s > 0) {
        for (j, &column_sum) in column_sums.iter().enumerate().filter(|(_, s)| **s > 0) {
            let observed = table.get(i * width + j).copied().unwrap_or(0) as f64;
            let expected = row_sum as f64 * column_sum as f64 / total;
            chi2 += (observed - expected) * (observed - expected) / expected;
        }
    }
    Some((chi2 / total / (smaller - 1) as f64).sqrt().min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_get_the_average_of_their_ranks() {
        // values by row: 10, 20, 10, 30, 10
        let sorted = [10.0, 10.0, 10.0, 20.0, 30.0];
        let order = [0, 2, 4, 1, 3];
        let mut ranks = vec![f64::NAN; 5];
        assign_average_ranks(&sorted, &order, |_| true, &mut ranks);
        assert_eq!(ranks, vec![2.0, 4.0, 2.0, 5.0, 2.0]);
        let mut without_row_2 = vec![f64::NAN; 5];
        assign_average_ranks(&sorted, &order, |row| row != 2, &mut without_row_2);
        assert_eq!(without_row_2[..2], [1.5, 3.0]);
        assert!(without_row_2[2].is_nan());
        assert_eq!(without_row_2[3..], [4.0, 1.5]);
    }

    #[test]
    fn a_perfect_association_has_cramers_v_one() {
        let x = CategoryCodes {
            rows: vec![0, 1, 0, 1],
            distinct: 2,
        };
        let y = CategoryCodes {
            rows: vec![1, 0, 1, 0],
            distinct: 2,
        };
        assert_eq!(cramers_v(&x, &y), Some(1.0));
    }

    #[test]
    fn a_constant_pair_has_no_coefficient() {
        assert_eq!(
            pearson_complete_rows(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]),
            None
        );
        assert_eq!(pearson_complete_rows(&[1.0, f64::NAN], &[1.0, 2.0]), None);
    }
}
