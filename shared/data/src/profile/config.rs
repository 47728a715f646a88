//! The thresholds and clock of a profile run, with documented defaults.
//!
//! Every alert threshold lives here so a run is reproducible from its configuration; nothing
//! in the profiler may read the system clock itself.

use serde::{Deserialize, Serialize};

/// Settings of one profile run. `ProfileConfig::default()` gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileConfig {
    /// "Now" in milliseconds since 1970-01-01 UTC: dates after it are in the future. Default 0
    /// disables the future-date check; the CLI passes the current time.
    pub now_epoch_ms: i64,
    /// Histograms asking for more Freedman-Diaconis bins than this fall back to this many
    /// equal-width bins (`fd_capped`). Default 200.
    pub max_histogram_bins: usize,
    /// Number of most frequent values kept per categorical column. Default 10.
    pub top_values: usize,
    /// Categorical columns with more distinct values are left out of Cramér's V. Default 100.
    pub cramers_v_max_distinct: u64,
    /// One value making up at least this share of non-null values is near-constant. Default 0.95.
    pub near_constant_ratio: f64,
    /// A null ratio at or above this raises `high_null_ratio`. Default 0.5.
    pub high_null_ratio: f64,
    /// A null ratio grown by at least this much since the previous profile raises `null_spike`.
    /// Default 0.1 (ten percentage points).
    pub null_spike_increase: f64,
    /// A string column with at least this share of distinct non-null values (and more than
    /// `high_cardinality_min_distinct` of them) raises `high_cardinality`. Default 0.5.
    pub high_cardinality_ratio: f64,
    /// The smallest distinct count for `high_cardinality`. Default 50.
    pub high_cardinality_min_distinct: u64,
    /// |Pearson r| at or above this raises `high_correlation`. Default 0.9.
    pub high_correlation: f64,
    /// |skewness| at or above this raises `skewed`. Default 2.
    pub skewness: f64,
    /// A share of zeros at or above this raises `many_zeros`. Default 0.1.
    pub zeros_ratio: f64,
    /// A share of values outside the IQR fences at or above this raises `outliers`. Default 0.01.
    pub outlier_ratio: f64,
    /// Negative values in a column whose other values are all >= 0 are suspect when they are at
    /// most this share of the values. Default 0.01.
    pub stray_negative_ratio: f64,
    /// Dates before this year are suspect. Default 1900.
    pub earliest_plausible_year: i32,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            now_epoch_ms: 0,
            max_histogram_bins: 200,
            top_values: 10,
            cramers_v_max_distinct: 100,
            near_constant_ratio: 0.95,
            high_null_ratio: 0.5,
            null_spike_increase: 0.1,
            high_cardinality_ratio: 0.5,
            high_cardinality_min_distinct: 50,
            high_correlation: 0.9,
            skewness: 2.0,
            zeros_ratio: 0.1,
            outlier_ratio: 0.01,
            stray_negative_ratio: 0.01,
            earliest_plausible_year: 1900,
        }
    }
}
