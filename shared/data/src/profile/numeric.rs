//! Statistics of integer and float columns: moments, quantiles, outlier fences, MAD.
//!
//! Each column is sorted once; quantiles, distinct counts, the histogram, the fences and the MAD
//! all read the sorted values, and the correlations reuse the sort order for ranks. Definitions
//! follow numpy (quantiles, histogram) and pandas (std, skewness, kurtosis); this module must
//! never return NaN or infinity in a statistic (undefined values are `None`).

use polars::prelude::{DataType, Series};
use serde::{Deserialize, Serialize};

use super::config::ProfileConfig;
use super::histogram::{self, Histogram};
use super::summation::{pairwise_sum, pairwise_sum_by};
use crate::error::Result;

/// The statistics of a numeric column with at least one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericProfile {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (ddof = 1); null below 2 values.
    pub std: Option<f64>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// First quartile (numpy's linear interpolation).
    pub p25: f64,
    /// Median (numpy's linear interpolation).
    pub p50: f64,
    /// Third quartile (numpy's linear interpolation).
    pub p75: f64,
    /// Bias-corrected skewness as pandas `Series.skew()`; null below 3 values or zero variance.
    pub skewness: Option<f64>,
    /// Bias-corrected excess kurtosis as pandas `Series.kurt()`; null below 4 values or zero
    /// variance.
    pub kurtosis: Option<f64>,
    /// Number of values equal to zero.
    pub zeros: u64,
    /// Number of values below zero.
    pub negatives: u64,
    /// Value distribution as `numpy.histogram` computes it.
    pub histogram: Histogram,
    /// Values outside the Tukey fences.
    pub outliers_iqr: IqrOutliers,
    /// Values with a modified z-score above 3.5.
    pub outliers_mad: MadOutliers,
}

/// Tukey's fences: p25 - 1.5 IQR and p75 + 1.5 IQR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IqrOutliers {
    /// p25 - 1.5 (p75 - p25).
    pub lower_fence: f64,
    /// p75 + 1.5 (p75 - p25).
    pub upper_fence: f64,
    /// Values strictly below the lower or above the upper fence.
    pub count: u64,
}

/// Iglewicz and Hoaglin's modified z-score outliers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MadOutliers {
    /// Median of the values (numpy's `median`).
    pub median: f64,
    /// Median absolute deviation from the median.
    pub mad: f64,
    /// Values with |0.6745 (x - median) / mad| > 3.5; 0 when `mad` is 0.
    pub count: u64,
}

/// A numeric column prepared once for every statistic that needs it.
pub(crate) struct NumericData {
    /// Values in row order, NaN where the row is null.
    pub(crate) values: Vec<f64>,
    /// The non-null values, ascending.
    pub(crate) sorted: Vec<f64>,
    /// Row indices of `sorted`, in the same order.
    pub(crate) order: Vec<u32>,
    /// Whether the source was an integer column (numpy then widens narrow FD bins to 1).
    pub(crate) integer: bool,
}

impl NumericData {
    /// Reads an integer or float series; NaN counts as null, as pandas treats it.
    pub(crate) fn from_series(series: &Series, integer: bool) -> Result<Self> {
        let floats = series.cast(&DataType::Float64)?;
        let floats = floats.f64()?;
        let mut values = Vec::with_capacity(floats.len());
        let mut pairs = Vec::with_capacity(floats.len() - floats.null_count());
        for (row, value) in floats.iter().enumerate() {
            match value {
                Some(x) if !x.is_nan() => {
                    values.push(x);
                    pairs.push((x, row as u32));
                }
                _ => values.push(f64::NAN),
            }
        }
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (sorted, order) = pairs.into_iter().unzip();
        Ok(NumericData {
            values,
            sorted,
            order,
            integer,
        })
    }

    /// Runs of equal values in the sorted column (-0.0 equals 0.0, as in pandas).
    pub(crate) fn runs(&self) -> Runs {
        let mut runs = Runs::default();
        let mut previous: Option<f64> = None;
        let mut current = 0;
        for &x in &self.sorted {
            if previous == Some(x) {
                current += 1;
            } else {
                runs.distinct += 1;
                current = 1;
                previous = Some(x);
            }
            runs.longest = runs.longest.max(current);
        }
        runs
    }

    /// Whether any row is null.
    pub(crate) fn has_nulls(&self) -> bool {
        self.sorted.len() != self.values.len()
    }
}

/// Distinct values and the count of the most frequent one.
#[derive(Debug, Default)]
pub(crate) struct Runs {
    /// Number of distinct values.
    pub(crate) distinct: u64,
    /// Count of the most frequent value.
    pub(crate) longest: u64,
}

/// The statistics of a prepared column, `None` when it has no value.
pub(crate) fn profile(data: &NumericData, config: &ProfileConfig) -> Option<NumericProfile> {
    let sorted = &data.sorted;
    let min = *sorted.first()?;
    let max = *sorted.last()?;
    let n = sorted.len() as f64;
    let mean = pairwise_sum(sorted) / n;
    let moments = CentralMoments::of(sorted, mean);
    // Identical values can leave rounding noise in the moments; pandas reports them undefined.
    let zero_variance = min == max;
    let std = (sorted.len() >= 2).then(|| (moments.m2 / (n - 1.0)).sqrt());
    let skewness = (sorted.len() >= 3 && !zero_variance && moments.m2 != 0.0)
        .then(|| (n * (n - 1.0).sqrt() / (n - 2.0)) * (moments.m3 / moments.m2.powf(1.5)));
    let kurtosis = (sorted.len() >= 4 && !zero_variance && moments.m2 != 0.0).then(|| {
        let numerator = n * (n + 1.0) * (n - 1.0) * moments.m4;
        let denominator = (n - 2.0) * (n - 3.0) * moments.m2 * moments.m2;
        let adjustment = 3.0 * (n - 1.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0));
        numerator / denominator - adjustment
    });
    let p25 = quantile(sorted, 0.25)?;
    let p50 = quantile(sorted, 0.5)?;
    let p75 = quantile(sorted, 0.75)?;
    let histogram = histogram::histogram(sorted, data.integer, p25, p75, config.max_histogram_bins);
    Some(NumericProfile {
        mean,
        std,
        min,
        max,
        p25,
        p50,
        p75,
        skewness,
        kurtosis,
        zeros: sorted.iter().filter(|&&x| x == 0.0).count() as u64,
        negatives: sorted.partition_point(|&x| x < 0.0) as u64,
        histogram,
        outliers_iqr: iqr_outliers(sorted, p25, p75),
        outliers_mad: mad_outliers(sorted)?,
    })
}

/// Sums of the second, third and fourth powers of deviations from the mean.
struct CentralMoments {
    m2: f64,
    m3: f64,
    m4: f64,
}

impl CentralMoments {
    fn of(values: &[f64], mean: f64) -> Self {
        CentralMoments {
            m2: pairwise_sum_by(values, &|x| {
                let d = x - mean;
                d * d
            }),
            m3: pairwise_sum_by(values, &|x| {
                let d = x - mean;
                d * d * d
            }),
            m4: pairwise_sum_by(values, &|x| {
                let d = x - mean;
                let d2 = d * d;
                d2 * d2
            }),
        }
    }
}

/// The `q` quantile of ascending `sorted` values as `numpy.quantile(method='linear')` computes it.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let virtual_index = last as f64 * q;
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    let below = below as usize;
    let a = *sorted.get(below)?;
    let b = *sorted.get((below + 1).min(last))?;
    Some(lerp(a, b, gamma))
}

/// numpy's `_lerp`: interpolates from the nearer end so that t = 1 gives exactly `b`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// numpy's `median`: the middle value, or the mean of the two middle values.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted.get(n / 2).copied()
    } else {
        let a = *sorted.get(n / 2 - 1)?;
        let b = *sorted.get(n / 2)?;
        Some((a + b) / 2.0)
    }
}

fn iqr_outliers(sorted: &[f64], p25: f64, p75: f64) -> IqrOutliers {
    let iqr = p75 - p25;
    let lower_fence = p25 - 1.5 * iqr;
    let upper_fence = p75 + 1.5 * iqr;
    let below = sorted.partition_point(|&x| x < lower_fence);
    let above = sorted.len() - sorted.partition_point(|&x| x <= upper_fence);
    IqrOutliers {
        lower_fence,
        upper_fence,
        count: (below + above) as u64,
    }
}

fn mad_outliers(sorted: &[f64]) -> Option<MadOutliers> {
    let median = median(sorted)?;
    let mad = median_absolute_deviation(sorted, median)?;
    let count = if mad == 0.0 {
        0
    } else {
        sorted
            .iter()
            .filter(|&&x| (0.6745 * (x - median) / mad).abs() > 3.5)
            .count() as u64
    };
    Some(MadOutliers { median, mad, count })
}

/// The median of |x - median| without sorting again: the deviations below and above the median
/// are each already ordered in `sorted`, so a merge walk finds the middle ones in O(n).
fn median_absolute_deviation(sorted: &[f64], median: f64) -> Option<f64> {
    let n = sorted.len();
    let split = sorted.partition_point(|&x| x < median);
    let (below, above) = sorted.split_at(split);
    let mut below = below.iter().rev().map(|&x| (x - median).abs()).peekable();
    let mut above = above.iter().map(|&x| (x - median).abs()).peekable();
    let upper_middle = n / 2;
    let mut lower_value = 0.0;
    let mut upper_value = 0.0;
    for _ in 0..=upper_middle {
        let next = match (below.peek(), above.peek()) {
            (Some(&b), Some(&a)) if b <= a => below.next(),
            (Some(_), Some(_)) | (None, _) => above.next(),
            (Some(_), None) => below.next(),
        };
        lower_value = upper_value;
        upper_value = next?;
    }
    if n % 2 == 1 {
        Some(upper_value)
    } else {
        Some((lower_value + upper_value) / 2.0)
    }
}
