//! Editing a recipe's steps: the new steps are parsed and validated by the data engine against
//! the columns of the dataset version the recipe applies to, every problem reported with its
//! field. Impacts are the engine's measurements, never the client's: an edited step loses its
//! impact, an unchanged one keeps it. The hash and the risk are computed again, so the record
//! always describes the recipe that will be applied.

use ida_core::tenancy::RecipeRisk;
use ida_data::recipe::{ColumnTypes, Operation, RECIPE_VERSION, Recipe, validate};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::FieldProblem;

/// The body of `PUT /recipes/{recipe_id}`: the whole new list of steps.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeEdit {
    /// The steps, in order, in the recipe document's step format.
    pub steps: Vec<Value>,
    /// A sentence saying what the recipe is for; the stored one is kept when absent.
    #[serde(default)]
    pub description: Option<String>,
}

/// An edit that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct EditedRecipe {
    /// The recipe document to store.
    pub document: Value,
    /// SHA-256 of its canonical form.
    pub sha256: String,
    /// What it would do that may need review.
    pub risk: RecipeRisk,
}

/// Applies `edit` to the stored document, validating it against `columns`.
pub fn apply_edit(
    edit: &RecipeEdit,
    stored: &Value,
    columns: &ColumnTypes,
) -> Result<EditedRecipe, Vec<FieldProblem>> {
    let steps: Vec<Value> = edit
        .steps
        .iter()
        .map(|step| {
            let mut step = step.clone();
            if let Some(fields) = step.as_object_mut() {
                fields.remove("impact");
            }
            step
        })
        .collect();
    let description = edit.description.clone().or_else(|| {
        stored
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let mut document = json!({"recipe_version": RECIPE_VERSION, "steps": steps});
    if let (Some(text), Some(fields)) = (description, document.as_object_mut()) {
        fields.insert("description".to_owned(), Value::String(text));
    }
    let mut recipe = Recipe::from_json(&document.to_string()).map_err(|error| {
        vec![FieldProblem {
            field: "steps".to_owned(),
            message: error.to_string(),
        }]
    })?;
    validate(&recipe, columns).map_err(|problems| {
        problems
            .into_iter()
            .map(|problem| FieldProblem {
                field: format!("steps[{}]", problem.step),
                message: match &problem.column {
                    Some(column) => {
                        format!("{}, column '{column}': {}", problem.op, problem.message)
                    }
                    None => format!("{}: {}", problem.op, problem.message),
                },
            })
            .collect::<Vec<_>>()
    })?;
    keep_unchanged_impacts(&mut recipe, stored);
    let unhashable = |error: ida_data::DataError| {
        vec![FieldProblem {
            field: "steps".to_owned(),
            message: error.to_string(),
        }]
    };
    let sha256 = recipe.hash().map_err(unhashable)?;
    let document = serde_json::to_value(&recipe).map_err(|error| {
        vec![FieldProblem {
            field: "steps".to_owned(),
            message: error.to_string(),
        }]
    })?;
    Ok(EditedRecipe {
        document,
        sha256,
        risk: risk_of(&recipe),
    })
}

/// Gives each step that is the same as the stored step at its position (impact aside) the
/// stored impact back.
fn keep_unchanged_impacts(recipe: &mut Recipe, stored: &Value) {
    let Ok(before) = serde_json::from_value::<Recipe>(stored.clone()) else {
        return;
    };
    for (step, old) in recipe.steps.iter_mut().zip(&before.steps) {
        let mut bare = old.clone();
        bare.impact = None;
        if *step == bare {
            step.impact.clone_from(&old.impact);
        }
    }
}

/// What the recipe's operations would do, read from the steps alone: rows go with
/// `drop_nulls`, `deduplicate` and `filter_rows`, columns with `drop_columns` and
/// `drop_constant_columns`.
pub fn risk_of(recipe: &Recipe) -> RecipeRisk {
    let mut risk = RecipeRisk::default();
    for step in &recipe.steps {
        risk.needs_review |= step.needs_review;
        match step.operation {
            Operation::DropNulls { .. }
            | Operation::Deduplicate { .. }
            | Operation::FilterRows { .. } => risk.drops_rows = true,
            Operation::DropColumns { .. } | Operation::DropConstantColumns { .. } => {
                risk.drops_columns = true;
            }
            _ => {}
        }
    }
    risk
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_data::LogicalType;

    fn columns() -> ColumnTypes {
        ColumnTypes {
            columns: vec![
                ("city".to_owned(), LogicalType::String),
                ("amount".to_owned(), LogicalType::Float),
            ],
        }
    }

    fn stored() -> Value {
        json!({
            "recipe_version": 1,
            "description": "Tidy the sales file.",
            "steps": [
                {"op": "trim_whitespace", "columns": ["city"], "rationale": "Padded names.",
                 "impact": {"rows_before": 3, "rows_after": 3, "rows_removed": 0,
                            "cells_affected": 2, "nulls_before": {"city": 0},
                            "nulls_after": {"city": 0}}},
                {"op": "drop_columns", "columns": ["amount"], "rationale": "Unused.",
                 "needs_review": true}
            ]
        })
    }

    fn edit(steps: Value) -> RecipeEdit {
        serde_json::from_value(json!({ "steps": steps })).unwrap()
    }

    #[test]
    fn an_unchanged_step_keeps_its_impact_and_an_edited_one_loses_it() {
        let edited = apply_edit(
            &edit(json!([
                {"op": "trim_whitespace", "columns": ["city"], "rationale": "Padded names.",
                 "impact": {"rows_before": 9}},
                {"op": "impute", "columns": ["amount"], "strategy": "median",
                 "rationale": "Fill gaps instead of dropping."}
            ])),
            &stored(),
            &columns(),
        )
        .unwrap();
        assert_eq!(edited.document["steps"][0]["impact"]["cells_affected"], 2);
        assert!(edited.document["steps"][1].get("impact").is_none());
        assert_eq!(edited.document["description"], "Tidy the sales file.");
        assert_eq!(edited.risk, RecipeRisk::default());
        let recipe = Recipe::from_json(&edited.document.to_string()).unwrap();
        assert_eq!(edited.sha256, recipe.hash().unwrap());
        assert_eq!(edited.sha256.len(), 64);
    }

    #[test]
    fn every_problem_is_named_by_its_step() {
        let problems = apply_edit(
            &edit(json!([
                {"op": "drop_columns", "columns": ["price"], "rationale": "x"},
                {"op": "trim_whitespace", "columns": ["city"], "rationale": "y"},
                {"op": "log1p", "columns": ["zip"], "rationale": "z"}
            ])),
            &stored(),
            &columns(),
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["steps[0]", "steps[2]"]);
        assert!(problems[0].message.contains("'price'"), "{problems:?}");
    }

    #[test]
    fn an_unknown_operation_is_a_problem_of_the_steps() {
        let problems = apply_edit(
            &edit(json!([{"op": "teleport", "rationale": "x"}])),
            &stored(),
            &columns(),
        )
        .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "steps");
    }

    #[test]
    fn risk_follows_the_operations() {
        let edited = apply_edit(
            &edit(json!([
                {"op": "drop_nulls", "rationale": "x"},
                {"op": "drop_columns", "columns": ["amount"], "rationale": "y"}
            ])),
            &stored(),
            &columns(),
        )
        .unwrap();
        assert!(edited.risk.drops_rows && edited.risk.drops_columns);
        assert!(!edited.risk.needs_review);
    }
}
