//! `ida apply` and `ida diff` as a user runs them, on the recipe fixtures.

use std::path::PathBuf;

use crate::invocation::{ida, repo_path, scratch, text};

fn fixture(name: &str) -> PathBuf {
    repo_path("shared/data/tests/fixtures/recipe").join(name)
}

#[test]
fn apply_writes_the_version_its_recipe_and_its_diff() {
    let dir = scratch("apply");
    let out = dir.join("v2.parquet");
    let diff = dir.join("diff.json");
    let recipe_out = dir.join("recipe.json");
    let input = fixture("input.parquet");
    let output = ida(&[
        "apply",
        input.to_str().unwrap(),
        fixture("multi_step.recipe.json").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--diff-out",
        diff.to_str().unwrap(),
        "--recipe-out",
        recipe_out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let printed = text(&output.stdout);
    assert!(printed.contains("filter_rows"), "{printed}");
    let bytes = std::fs::read(&out).unwrap();
    let provenance = ida_data::transform::read_provenance(&bytes)
        .unwrap()
        .unwrap();
    let input_hash = ida_data::transform::version::sha256_hex(&std::fs::read(&input).unwrap());
    assert_eq!(provenance.input_sha256, input_hash);
    assert!(printed.contains(&input_hash));
    let diff: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&diff).unwrap()).unwrap();
    assert_eq!(diff["diff_version"], 1);
    assert_eq!(diff["alignment"]["by"], "source_row");
    let recipe: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&recipe_out).unwrap()).unwrap();
    assert_eq!(recipe["steps"][3]["impact"]["rows_before"], 30);
    // Applying again gives the same bytes.
    let again = dir.join("again.parquet");
    let output = ida(&[
        "apply",
        input.to_str().unwrap(),
        fixture("multi_step.recipe.json").to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(std::fs::read(&again).unwrap() == bytes);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn apply_lists_every_problem_of_an_invalid_recipe_and_exits_2() {
    let dir = scratch("invalid");
    let recipe = dir.join("bad.json");
    std::fs::write(
        &recipe,
        r#"{"recipe_version": 1, "steps": [
            {"op": "log1p", "columns": ["name"], "rationale": "text"},
            {"op": "drop_columns", "columns": ["nope"], "rationale": "missing"}
        ]}"#,
    )
    .unwrap();
    let output = ida(&[
        "apply",
        fixture("input.parquet").to_str().unwrap(),
        recipe.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = text(&output.stderr);
    assert!(
        message.starts_with("error[recipe_invalid]: recipe has 2 problem(s)"),
        "{message}"
    );
    assert!(
        message.contains("step 0 (log1p), column 'name'"),
        "{message}"
    );
    assert!(
        message.contains("step 1 (drop_columns), column 'nope'"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn diff_by_key_prints_text_and_json() {
    let before = fixture("input.parquet");
    let after = fixture("trim_whitespace.expected.parquet");
    let output = ida(&[
        "diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--key",
        "id",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let printed = text(&output.stdout);
    assert!(
        printed.starts_with("rows: 30 -> 30 (removed 0, added 0), aligned by key (id)"),
        "{printed}"
    );
    // Names with stray spaces in the fixture: " Ada ", "CAROL ", "  dave", "frank ", " heidi",
    // three times each.
    assert!(
        printed
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["name", "15", "0", "0"]),
        "{printed}"
    );
    let output = ida(&[
        "diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&text(&output.stdout)).unwrap();
    assert_eq!(json["alignment"]["by"], "position");
}
