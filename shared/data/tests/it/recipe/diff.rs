//! Diffs of transforms (aligned by source row) and standalone diffs (by key or position).
//! Expected counts are small enough to check by hand from the frames built here.

use ida_data::diff::{Alignment, diff_frames};
use ida_data::recipe::Recipe;
use ida_data::transform::apply;
use polars::prelude::*;

fn frame() -> DataFrame {
    df!(
        "id" => [1i64, 2, 3, 4, 5],
        "city" => [Some(" Paris"), None, Some("Lyon"), Some("Lyon "), Some("Nice")],
        "amount" => [Some(1.0), Some(2.0), None, Some(4.0), Some(100.0)],
    )
    .unwrap()
}

#[test]
fn imputing_the_mean_of_an_integer_column_affects_only_the_filled_cells() {
    // Regression: the column becomes float, and every cell once counted as changed.
    let frame = df!("age" => [Some(30i64), None, Some(40), Some(50), None]).unwrap();
    let recipe = Recipe::from_json(
        r#"{"recipe_version": 1, "steps": [
            {"op": "impute", "columns": ["age"], "strategy": "mean", "rationale": "gaps"}
        ]}"#,
    )
    .unwrap();
    let applied = apply(&frame, &recipe).unwrap();
    let impact = applied.recipe.steps[0].impact.as_ref().unwrap();
    assert_eq!(impact.cells_affected, 2);
    let age = applied
        .diff
        .columns
        .iter()
        .find(|c| c.column == "age")
        .unwrap();
    assert_eq!(age.filled, 2);
}

#[test]
fn transform_diff_counts_changes_by_source_row() {
    let recipe = Recipe::from_json(
        r#"{"recipe_version": 1, "steps": [
            {"op": "rename", "mapping": {"city": "town"}, "rationale": "clearer"},
            {"op": "trim_whitespace", "columns": ["town"], "rationale": "spaces"},
            {"op": "filter_rows", "predicate": "amount < 50 or amount is null", "rationale": "outlier"},
            {"op": "impute", "columns": ["amount"], "strategy": "median", "rationale": "gap"},
            {"op": "replace_values", "column": "town", "mapping": {"Lyon": null}, "rationale": "unknown"}
        ]}"#,
    )
    .unwrap();
    let applied = apply(&frame(), &recipe).unwrap();
    let diff = &applied.diff;
    assert_eq!(diff.alignment, Alignment::SourceRow);
    assert_eq!(
        (diff.rows_before, diff.rows_after, diff.rows_removed),
        (5, 4, 1)
    );
    assert_eq!(diff.schema.renamed.len(), 1);
    assert_eq!(diff.schema.renamed[0].to, "town");
    let town = diff.columns.iter().find(|c| c.column == "town").unwrap();
    // " Paris" -> "Paris" changed; "Lyon" and "Lyon " -> null (trimmed, then replaced).
    assert_eq!((town.changed, town.nulled, town.filled), (1, 2, 0));
    let amount = diff.columns.iter().find(|c| c.column == "amount").unwrap();
    // Row 3's null is filled with the median of 1, 2, 4 (the rows left after the filter).
    assert_eq!((amount.changed, amount.nulled, amount.filled), (0, 0, 1));
    assert_eq!(
        applied
            .frame
            .column("amount")
            .unwrap()
            .f64()
            .unwrap()
            .get(2),
        Some(2.0)
    );
    assert_eq!(diff.removed_rows_sample[0]["source_row"], 4);
    assert_eq!(diff.rows_removed_by_step[2].rows_removed, 1);
    assert_eq!(diff.changed_rows_sample.len(), 3);
    assert!(
        applied.frame.column("__ida_source_row").is_err(),
        "the hidden column leaked"
    );
    let json = serde_json::to_value(diff).unwrap();
    assert_eq!(json["diff_version"], 1);
}

#[test]
fn standalone_diff_by_key_pairs_rows_regardless_of_order() {
    let before = frame();
    let after = df!(
        "id" => [5i64, 4, 3, 1, 9],
        "city" => [Some("Nice"), Some("Lyon"), Some("Lyon"), Some(" Paris"), Some("Metz")],
        "amount" => [Some(100.0), Some(4.0), Some(3.0), Some(1.0), None],
        "extra" => [1i64, 2, 3, 4, 5],
    )
    .unwrap();
    let diff = diff_frames(&before, &after, &["id".to_owned()]).unwrap();
    assert_eq!(
        diff.alignment,
        Alignment::Key {
            columns: vec!["id".into()]
        }
    );
    assert_eq!((diff.rows_removed, diff.rows_added), (1, 1));
    assert_eq!(diff.schema.added[0].name, "extra");
    let city = diff.columns.iter().find(|c| c.column == "city").unwrap();
    assert_eq!((city.changed, city.nulled, city.filled), (1, 0, 0));
    let amount = diff.columns.iter().find(|c| c.column == "amount").unwrap();
    assert_eq!((amount.changed, amount.nulled, amount.filled), (0, 0, 1));
    assert_eq!(diff.removed_rows_sample[0]["id"], 2);
    assert_eq!(diff.changed_rows_sample[0].row["id"], 3);
}

#[test]
fn standalone_diff_without_key_aligns_by_position() {
    let before = frame();
    let after = frame().slice(0, 3);
    let diff = diff_frames(&before, &after, &[]).unwrap();
    assert_eq!(diff.alignment, Alignment::Position);
    assert_eq!((diff.rows_removed, diff.rows_added), (2, 0));
    assert!(
        diff.columns
            .iter()
            .all(|c| c.changed + c.nulled + c.filled == 0)
    );
}

#[test]
fn a_repeated_key_is_refused_with_a_clear_error() {
    let before = df!("id" => [1i64, 1, 2]).unwrap();
    let error = diff_frames(&before, &before, &["id".to_owned()]).unwrap_err();
    assert_eq!(error.code(), "diff_key");
    assert!(error.to_string().contains("before has 1 row(s)"), "{error}");
}
