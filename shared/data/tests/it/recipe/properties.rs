//! Properties over generated frames: applying is deterministic, row-preserving steps keep the
//! row count, and validation refuses bad recipes without running anything.

use ida_data::DataError;
use ida_data::recipe::Recipe;
use ida_data::transform::{apply, apply_parquet_bytes};
use polars::prelude::*;
use proptest::prelude::*;

fn frame(values: &[(Option<i64>, Option<String>)]) -> DataFrame {
    let numbers: Vec<Option<i64>> = values.iter().map(|(n, _)| *n).collect();
    let texts: Vec<Option<String>> = values.iter().map(|(_, t)| t.clone()).collect();
    df!("n" => numbers, "t" => texts).unwrap()
}

fn rows() -> impl Strategy<Value = Vec<(Option<i64>, Option<String>)>> {
    prop::collection::vec(
        (
            prop::option::of(-1000i64..1000),
            prop::option::of("[ a-cA-C]{0,5}"),
        ),
        1..60,
    )
}

const ROW_PRESERVING: &str = r#"{"recipe_version": 1, "steps": [
    {"op": "trim_whitespace", "columns": ["t"], "rationale": "spaces"},
    {"op": "normalize_case", "columns": ["t"], "case": "upper", "rationale": "case"},
    {"op": "impute", "columns": ["t"], "strategy": "forward_fill", "rationale": "gaps"},
    {"op": "impute", "columns": ["n"], "strategy": "constant", "value": 0, "rationale": "gaps"},
    {"op": "clip_outliers", "columns": ["n"], "method": "mad", "rationale": "outliers"}
]}"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn applying_twice_gives_the_same_bytes(values in rows()) {
        let mut input = frame(&values);
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut input).unwrap();
        let recipe = Recipe::from_json(r#"{"recipe_version": 1, "steps": [
            {"op": "impute", "columns": ["n"], "strategy": "mean", "rationale": "gaps"},
            {"op": "deduplicate", "rationale": "repeats"},
            {"op": "one_hot", "column": "t", "max_categories": 3, "rationale": "encode"}
        ]}"#).unwrap();
        let (first, _) = apply_parquet_bytes(&bytes, &recipe).unwrap();
        let (second, _) = apply_parquet_bytes(&bytes, &recipe).unwrap();
        prop_assert!(first == second);
    }

    #[test]
    fn row_preserving_steps_keep_every_row(values in rows()) {
        let input = frame(&values);
        let applied = apply(&input, &Recipe::from_json(ROW_PRESERVING).unwrap()).unwrap();
        prop_assert_eq!(applied.frame.height(), input.height());
        prop_assert_eq!(applied.frame.column("n").unwrap().null_count(), 0);
        for step in &applied.recipe.steps {
            prop_assert_eq!(step.impact.as_ref().unwrap().rows_removed, 0);
        }
    }

    #[test]
    fn bad_recipes_are_refused_before_any_step_runs(values in rows(), column in "[x-z]{1,3}") {
        let input = frame(&values);
        let before = input.clone();
        let recipe = Recipe::from_json(&format!(r#"{{"recipe_version": 1, "steps": [
            {{"op": "drop_columns", "columns": ["n"], "rationale": "valid on its own"}},
            {{"op": "log1p", "columns": ["{column}"], "rationale": "unknown column"}}
        ]}}"#)).unwrap();
        match apply(&input, &recipe) {
            Err(DataError::RecipeInvalid { problems }) => prop_assert_eq!(problems.len(), 1),
            other => prop_assert!(false, "expected RecipeInvalid, got {:?}", other.map(|a| a.frame)),
        }
        prop_assert!(input.equals_missing(&before));
    }
}

/// Found by the properties above: a column without any value made mean imputation fail.
#[test]
fn imputing_the_mean_of_a_column_without_values_leaves_it_null() {
    let input = frame(&[(None, None), (None, Some("a".to_owned()))]);
    let recipe = Recipe::from_json(
        r#"{"recipe_version": 1, "steps": [
            {"op": "impute", "columns": ["n"], "strategy": "mean", "rationale": "gaps"}
        ]}"#,
    )
    .unwrap();
    let applied = apply(&input, &recipe).unwrap();
    assert_eq!(applied.frame.column("n").unwrap().null_count(), 2);
    let impact = applied.recipe.steps[0].impact.as_ref().unwrap();
    assert_eq!(impact.statistics["n"]["mean"], serde_json::Value::Null);
}
