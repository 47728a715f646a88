//! The recipe planner: from a dataset's profile, propose a cleaning recipe with one step per
//! finding, each with a rationale quoting the evidence, a confidence computed from it, and the
//! alert it answers; then preview the recipe by really applying it.
//!
//! Two presets: `conservative` (whitespace, exact duplicates, empty rows, obvious nulls; never
//! drops a column) and `ml` (also sparse and constant columns, case, skew and outliers,
//! scaling, encoding). The planner never hands out a recipe that fails validation, and a step
//! that removes more than 5% of the rows or any identifier column is always marked
//! `needs_review`. It never reads the clock: the same input gives the same recipe bytes.

pub mod confidence;
pub mod preview;
pub mod rules;
pub mod wording;

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::profile::ProfileReport;
use crate::recipe::{RECIPE_VERSION, Recipe};
use crate::transform::statistics::{compensated_sum, finite_values};
use crate::transform::{Applied, ENGINE_VERSION};

pub use preview::{Preview, REVIEW_ROW_SHARE};

/// Which kind of cleaning the planner proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Fix what is plainly wrong; never drop a column or many rows.
    Conservative,
    /// Also prepare the data for machine learning: outliers, scaling, encoding.
    Ml,
}

impl Preset {
    /// The preset's name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Conservative => "conservative",
            Preset::Ml => "ml",
        }
    }
}

/// A planned recipe with its preview.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The recipe, every step's `impact` filled in by the preview.
    pub recipe: Recipe,
    /// Dataset-wide figures before and after the whole recipe.
    pub preview: Preview,
    /// The result of applying the recipe (its frame can be written as the next version).
    pub applied: Applied,
    /// Steps the rules proposed that the data refused when applied, with the reason; they are
    /// left out of the recipe.
    pub withdrawn: Vec<String>,
}

/// Plans a recipe for `frame` from its profile and previews it by applying it.
pub fn plan(frame: &DataFrame, profile: &ProfileReport, preset: Preset) -> Result<Plan> {
    let mut log_skewness = BTreeMap::new();
    for column in &profile.columns {
        if preset == Preset::Ml && rules::log_candidate(profile, column) {
            let values = finite_values(frame.column(&column.name)?.as_materialized_series())?;
            let logged: Vec<f64> = values.iter().map(|v| v.ln_1p()).collect();
            if let Some(skewness) = sample_skewness(&logged) {
                log_skewness.insert(column.name.clone(), skewness);
            }
        }
    }
    let evidence = rules::Evidence {
        profile,
        empty_rows: empty_rows(frame)?,
        log_skewness,
    };
    let recipe = Recipe {
        recipe_version: RECIPE_VERSION,
        description: Some(format!(
            "Planned by {ENGINE_VERSION} with the {} preset from the profile of {} rows x {} columns.",
            preset.name(),
            profile.row_count,
            profile.column_count
        )),
        steps: rules::propose(&evidence, preset),
    };
    preview::run(frame, recipe)
}

/// Rows in which every column is null.
pub fn empty_rows(frame: &DataFrame) -> Result<u64> {
    let mut all_null: Option<BooleanChunked> = None;
    for column in frame.columns() {
        let nulls = column.is_null();
        all_null = Some(match all_null {
            Some(previous) => &previous & &nulls,
            None => nulls,
        });
    }
    Ok(all_null.map_or(0, |mask| mask.sum().map_or(0, u64::from)))
}

/// Bias-corrected sample skewness, as pandas `Series.skew()` and the profile compute it; `None`
/// below three values or without spread.
pub fn sample_skewness(values: &[f64]) -> Option<f64> {
    if values.len() < 3 {
        return None;
    }
    let n = values.len() as f64;
    let mean = compensated_sum(values) / n;
    let squares: Vec<f64> = values.iter().map(|v| (v - mean).powi(2)).collect();
    let cubes: Vec<f64> = values.iter().map(|v| (v - mean).powi(3)).collect();
    let m2 = compensated_sum(&squares);
    let m3 = compensated_sum(&cubes);
    (m2 > 0.0).then(|| (n * (n - 1.0).sqrt() / (n - 2.0)) * (m3 / m2.powf(1.5)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skewness_is_the_bias_corrected_sample_skewness() {
        // n * sqrt(n - 1) / (n - 2) * m3 / m2^1.5 for [1, 2, 3, 10], evaluated in Python.
        let skewness = sample_skewness(&[1.0, 2.0, 3.0, 10.0]).unwrap();
        assert!((skewness - 1.763_632_614_803_888).abs() < 1e-12);
        assert_eq!(sample_skewness(&[2.0, 2.0, 2.0]), None);
    }
}
