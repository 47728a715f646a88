//! The impact preview: the planned recipe is really applied (with `transform::apply`), each
//! step's impact is kept, steps that remove too many rows are marked for review, and the
//! dataset-wide figures before and after are gathered.
//!
//! A step the data refuses (say, standardizing a column that became constant) is withdrawn
//! and the rest applied again, so the planner only hands out recipes that apply. The preview
//! never changes what a step does: its output is exactly what applying the recipe gives.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::Plan;
use super::wording::percent;
use crate::error::{DataError, Result};
use crate::recipe::{NumericShift, Recipe};
use crate::transform::apply;

/// A step removing more than this share of its input rows is marked `needs_review`.
pub const REVIEW_ROW_SHARE: f64 = 0.05;

/// Dataset-wide figures before and after the whole recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// Rows before.
    pub rows_before: u64,
    /// Rows after.
    pub rows_after: u64,
    /// Null count of every input column.
    pub nulls_before: BTreeMap<String, u64>,
    /// Null count of every output column.
    pub nulls_after: BTreeMap<String, u64>,
    /// Mean and standard deviation of the numeric columns whose statistics changed.
    pub numeric: BTreeMap<String, NumericShift>,
}

/// Applies `recipe` to `frame`, withdrawing steps the data refuses, and returns the plan.
pub fn run(frame: &DataFrame, mut recipe: Recipe) -> Result<Plan> {
    let mut withdrawn = Vec::new();
    let mut applied = loop {
        match apply(frame, &recipe) {
            Ok(applied) => break applied,
            Err(DataError::StepFailed {
                step,
                op,
                column,
                reason,
            }) if step < recipe.steps.len() => {
                recipe.steps.remove(step);
                let column = column.map(|c| format!(" on `{c}`")).unwrap_or_default();
                withdrawn.push(format!("{op}{column}: {reason}"));
            }
            Err(error) => return Err(error),
        }
    };
    for step in &mut applied.recipe.steps {
        let Some(impact) = &step.impact else { continue };
        let share = if impact.rows_before == 0 {
            0.0
        } else {
            impact.rows_removed as f64 / impact.rows_before as f64
        };
        if share > REVIEW_ROW_SHARE && !step.needs_review {
            step.needs_review = true;
            step.rationale.push_str(&format!(
                " Marked for review: it removes {} of {} rows ({}), more than {}.",
                impact.rows_removed,
                impact.rows_before,
                percent(share),
                percent(REVIEW_ROW_SHARE)
            ));
        }
    }
    let preview = Preview {
        rows_before: frame.height() as u64,
        rows_after: applied.frame.height() as u64,
        nulls_before: null_counts(frame),
        nulls_after: null_counts(&applied.frame),
        numeric: applied
            .diff
            .columns
            .iter()
            .filter_map(|change| {
                let numeric = change.numeric.as_ref()?;
                let moved = numeric.mean_before != numeric.mean_after
                    || numeric.std_before != numeric.std_after;
                moved.then(|| {
                    (
                        change.column.clone(),
                        NumericShift {
                            mean_before: numeric.mean_before,
                            mean_after: numeric.mean_after,
                            std_before: numeric.std_before,
                            std_after: numeric.std_after,
                        },
                    )
                })
            })
            .collect(),
    };
    Ok(Plan {
        recipe: applied.recipe.clone(),
        preview,
        applied,
        withdrawn,
    })
}

fn null_counts(frame: &DataFrame) -> BTreeMap<String, u64> {
    frame
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.null_count() as u64))
        .collect()
}
