//! Every operation against outputs computed independently with pandas (and DuckDB for the SQL
//! semantics of the row filter) by scripts/reference/recipe_fixtures.py.

use ida_data::transform::apply;
use polars::prelude::*;

use super::fixtures::{case_names, input, read_parquet, recipe, recipe_dir};

fn assert_same(case: &str, actual: &DataFrame, expected: &DataFrame) {
    assert_eq!(
        actual.get_column_names(),
        expected.get_column_names(),
        "{case}: column names"
    );
    assert_eq!(actual.height(), expected.height(), "{case}: row count");
    for column in expected.columns() {
        let name = column.name();
        let want = column.as_materialized_series();
        let got = actual.column(name).unwrap().as_materialized_series();
        if want.dtype().is_float() {
            assert!(
                got.dtype().is_float(),
                "{case}.{name}: type {} is not float",
                got.dtype()
            );
            let (w, g) = (want.f64().unwrap(), got.cast(&DataType::Float64).unwrap());
            for (row, (w, g)) in w.iter().zip(g.f64().unwrap().iter()).enumerate() {
                match (w, g) {
                    (Some(w), Some(g)) => assert!(
                        (w - g).abs() <= 1e-9 * w.abs().max(1.0),
                        "{case}.{name} row {row}: expected {w}, got {g}"
                    ),
                    (None, None) => {}
                    _ => panic!("{case}.{name} row {row}: expected {w:?}, got {g:?}"),
                }
            }
        } else {
            assert_eq!(got.dtype(), want.dtype(), "{case}.{name}: type");
            assert!(
                got.equal_missing(want).unwrap().all(),
                "{case}.{name}: values differ\nexpected {want}\ngot {got}"
            );
        }
    }
}

#[test]
fn every_reference_case_matches_pandas() {
    let names = case_names();
    assert!(names.len() >= 25, "found only {} cases", names.len());
    let input = input();
    for name in names {
        let text =
            std::fs::read_to_string(recipe_dir().join(format!("{name}.recipe.json"))).unwrap();
        let applied = apply(&input, &recipe(&text)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = read_parquet(&recipe_dir().join(format!("{name}.expected.parquet")));
        assert_same(&name, &applied.frame, &expected);
    }
}

#[test]
fn impacts_record_the_statistics_a_step_used() {
    let text = std::fs::read_to_string(recipe_dir().join("clip_iqr.recipe.json")).unwrap();
    let applied = apply(&input(), &recipe(&text)).unwrap();
    let impact = applied.recipe.steps[0].impact.as_ref().unwrap();
    let stats = &impact.statistics["amount"];
    // Checked by hand: the 25 sorted values hold 11.75 at position 6 (= 0.25 * 24) and 13.25 at
    // position 18 (= 0.75 * 24), so no interpolation is needed; pandas agrees.
    assert_eq!(stats["q1"], 11.75);
    assert_eq!(stats["q3"], 13.25);
    assert_eq!(stats["lower_fence"], 11.75 - 1.5 * 1.5);
    assert_eq!(stats["upper_fence"], 13.25 + 1.5 * 1.5);
    assert_eq!(impact.rows_before, 30);
    assert_eq!(impact.rows_removed, 0);
    assert!(impact.cells_affected > 0);
    let shift = &impact.numeric["amount"];
    assert!(shift.std_after.unwrap() < shift.std_before.unwrap());
}

#[test]
fn multi_step_impacts_count_rows_per_step() {
    let text = std::fs::read_to_string(recipe_dir().join("multi_step.recipe.json")).unwrap();
    let input = input();
    let applied = apply(&input, &recipe(&text)).unwrap();
    let removed: u64 = applied
        .recipe
        .steps
        .iter()
        .map(|s| s.impact.as_ref().unwrap().rows_removed)
        .sum();
    assert_eq!(removed as usize, input.height() - applied.frame.height());
    assert_eq!(applied.diff.rows_removed, removed);
    let by_step: Vec<u64> = applied
        .diff
        .rows_removed_by_step
        .iter()
        .map(|s| s.rows_removed)
        .collect();
    assert_eq!(by_step.iter().sum::<u64>(), removed);
    assert!(
        by_step[3] > 0 && by_step[5] > 0,
        "filter and deduplicate remove rows: {by_step:?}"
    );
}
