//! Validation rejects bad recipes with every problem listed, before any data is touched.

use ida_data::DataError;
use ida_data::recipe::{ColumnTypes, Recipe, validate};
use ida_data::schema::LogicalType;
use ida_data::transform::apply;

use super::fixtures::input;

fn columns() -> ColumnTypes {
    ColumnTypes {
        columns: vec![
            ("id".into(), LogicalType::Integer),
            ("name".into(), LogicalType::String),
            ("city".into(), LogicalType::String),
            ("amount".into(), LogicalType::Float),
            ("joined".into(), LogicalType::String),
        ],
    }
}

fn recipe(steps: &str) -> Recipe {
    Recipe::from_json(&format!(r#"{{"recipe_version": 1, "steps": [{steps}]}}"#)).unwrap()
}

#[test]
fn a_later_step_may_use_a_column_renamed_earlier() {
    let r = recipe(
        r#"{"op": "rename", "mapping": {"city": "town"}, "rationale": "clearer"},
           {"op": "trim_whitespace", "columns": ["town"], "rationale": "stray spaces"},
           {"op": "filter_rows", "predicate": "town != 'X' and amount > 0", "rationale": "junk"}"#,
    );
    let out = validate(&r, &columns()).unwrap();
    assert!(out.columns.iter().any(|(n, _)| n == "town"));
}

#[test]
fn every_problem_is_listed_with_step_op_and_column() {
    let r = recipe(
        r#"{"op": "rename", "mapping": {"city": "town"}, "rationale": "clearer"},
           {"op": "trim_whitespace", "columns": ["city", "amount"], "rationale": "old name"},
           {"op": "standardize", "columns": ["name"], "rationale": "text is not numeric"},
           {"op": "drop_nulls", "subset": ["id"], "threshold": 3, "rationale": "too high"},
           {"op": "filter_rows", "predicate": "amount >", "rationale": "broken"},
           {"op": "filter_rows", "predicate": "amount = 'ten'", "rationale": "wrong literal"},
           {"op": "clip_outliers", "columns": ["amount"], "method": "quantile", "lower": 0.9, "upper": 0.1, "rationale": "reversed"},
           {"op": "impute", "columns": ["id"], "strategy": "constant", "value": "zero", "rationale": "wrong type"},
           {"op": "drop_columns", "columns": ["ghost"], "rationale": "missing"}"#,
    );
    let problems = validate(&r, &columns()).unwrap_err();
    let summary: Vec<(usize, &str, Option<&str>)> = problems
        .iter()
        .map(|p| (p.step, p.op.as_str(), p.column.as_deref()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "trim_whitespace", Some("city")),
            (1, "trim_whitespace", Some("amount")),
            (2, "standardize", Some("name")),
            (3, "drop_nulls", None),
            (4, "filter_rows", None),
            (5, "filter_rows", Some("amount")),
            (6, "clip_outliers", None),
            (7, "impute", Some("id")),
            (8, "drop_columns", Some("ghost")),
        ]
    );
    assert!(
        problems[0].message.contains("renamed to 'town' by step 0"),
        "{}",
        problems[0].message
    );
    assert!(
        problems[1].message.contains("needs a string column"),
        "{}",
        problems[1].message
    );
    assert!(
        problems[4].message.contains("at character 8"),
        "{}",
        problems[4].message
    );
}

#[test]
fn columns_made_by_one_hot_and_dropped_columns_are_tracked() {
    let r = recipe(
        r#"{"op": "one_hot", "column": "city", "max_categories": 3, "rationale": "encode"},
           {"op": "drop_columns", "columns": ["city_other", "joined"], "rationale": "unused"},
           {"op": "trim_whitespace", "columns": ["joined"], "rationale": "already gone"},
           {"op": "drop_constant_columns", "columns": ["name"], "rationale": "constant?"},
           {"op": "normalize_case", "columns": ["name"], "case": "lower", "rationale": "may be gone"}"#,
    );
    let problems = validate(&r, &columns()).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].message.contains("dropped by step 1"));
    assert!(
        problems[1]
            .message
            .contains("may be dropped as constant by step 3")
    );
}

#[test]
fn apply_refuses_an_invalid_recipe_before_running_any_step() {
    let r = recipe(
        r#"{"op": "drop_columns", "columns": ["name"], "rationale": "fine"},
           {"op": "log1p", "columns": ["nope"], "rationale": "unknown column"}"#,
    );
    match apply(&input(), &r) {
        Err(DataError::RecipeInvalid { problems }) => {
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].step, 1);
        }
        other => panic!("expected RecipeInvalid, got {other:?}"),
    }
}

#[test]
fn data_problems_found_while_applying_name_the_step_column_and_row() {
    let r = recipe(r#"{"op": "log1p", "columns": ["amount"], "rationale": "skewed"}"#);
    let error = apply(&input(), &r).unwrap_err();
    assert_eq!(error.code(), "step_failed");
    // Row 13 of the fixture holds -80.0.
    assert_eq!(
        error.to_string(),
        "step 0 (log1p), column 'amount': negative value at source row 13; log1p needs values >= 0"
    );
}

#[test]
fn parse_errors_say_where() {
    let error = Recipe::from_json(r#"{"recipe_version": 1, "steps": [}"#).unwrap_err();
    assert_eq!(error.code(), "recipe_parse");
    assert!(error.to_string().contains("line 1, column 33"), "{error}");
    let unknown = Recipe::from_json(
        r#"{"recipe_version": 1, "steps": [{"op": "log1p", "columns": ["a"], "colour": 1, "rationale": "x"}]}"#,
    )
    .unwrap_err();
    assert!(unknown.to_string().contains("steps[0].colour"), "{unknown}");
}

#[test]
fn the_recipe_hash_ignores_impacts_and_key_order() {
    let a = Recipe::from_json(
        r#"{"steps": [{"rationale": "r", "columns": ["a"], "op": "log1p"}], "recipe_version": 1}"#,
    )
    .unwrap();
    let mut b = Recipe::from_json(
        r#"{"recipe_version": 1, "steps": [{"op": "log1p", "columns": ["a"], "rationale": "r"}]}"#,
    )
    .unwrap();
    b.steps[0].impact = Some(Default::default());
    assert_eq!(a.hash().unwrap(), b.hash().unwrap());
    assert_eq!(
        a.canonical_json().unwrap(),
        r#"{"recipe_version":1,"steps":[{"columns":["a"],"needs_review":false,"op":"log1p","rationale":"r"}]}"#
    );
}

#[test]
fn a_date_literal_that_does_not_read_as_a_date_is_refused() {
    let mut types = columns();
    types.columns.push(("day".into(), LogicalType::Date));
    let good = recipe(
        r#"{"op": "filter_rows", "predicate": "day >= '2024-02-29'", "rationale": "recent"}"#,
    );
    assert!(validate(&good, &types).is_ok());
    let bad = recipe(
        r#"{"op": "filter_rows", "predicate": "day >= '29/02/2024'", "rationale": "recent"}"#,
    );
    let problems = validate(&bad, &types).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .message
            .starts_with("'29/02/2024' is not a date"),
        "{}",
        problems[0].message
    );
}

#[test]
fn a_date_filter_keeps_the_rows_on_and_after_the_day() {
    let text =
        std::fs::read_to_string(super::fixtures::recipe_dir().join("parse_dates.recipe.json"))
            .unwrap();
    let mut r = Recipe::from_json(&text).unwrap();
    let filter = recipe(
        r#"{"op": "filter_rows", "predicate": "joined >= '2024-03-01'", "rationale": "recent"}"#,
    );
    r.steps.extend(filter.steps);
    let applied = apply(&input(), &r).unwrap();
    // Per ten input rows: 01/03, 05/05, 10/10 and 11/11/2024 are on or after 1 March 2024.
    assert_eq!(applied.frame.height(), 12);
}
