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

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::profile::ProfileReport;
use crate::recipe::{RECIPE_VERSION, Recipe};
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
    let evidence = rules::Evidence {
        profile,
        empty_rows: empty_rows(frame)?,
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
