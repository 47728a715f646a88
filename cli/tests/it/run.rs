//! `ida run` and `ida plan` as a user runs them on the example files: the version folders and
//! index page, version 2 equal to `ida apply` on version 1, identical bytes on a second run,
//! and bad input reported with exit code 2.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::invocation::{ida, repo_path, scratch, text};

fn example(name: &str) -> PathBuf {
    repo_path("examples").join(name)
}

fn run_into(file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = ida(&args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    output
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_path_buf();
                found.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

const LAYOUT: [&str; 11] = [
    "index.html",
    "v1/data.parquet",
    "v1/profile.json",
    "v1/report.html",
    "v1/schema.json",
    "v2/data.parquet",
    "v2/diff.json",
    "v2/profile.json",
    "v2/recipe.json",
    "v2/report.html",
    "v2/schema.json",
];

fn assert_run_is_reproducible(file: &str, extra: &[&str]) {
    let dir = scratch(&format!("repro-{file}"));
    let first = dir.join("first");
    let second = dir.join("second");
    let summary = run_into(&example(file), &first, extra);
    run_into(&example(file), &second, extra);

    let first_files = files(&first);
    let names: Vec<String> = first_files
        .keys()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    assert_eq!(names, LAYOUT);
    let second_files = files(&second);
    for (path, bytes) in &first_files {
        assert!(
            second_files[path] == *bytes,
            "{} differs between two runs",
            path.display()
        );
    }
    let stdout = text(&summary.stdout);
    assert!(stdout.contains("steps applied:"), "{stdout}");
    assert!(stdout.contains("time "), "{stdout}");

    // Version 2 is what `ida apply` makes from version 1 with the recorded recipe.
    let applied = dir.join("applied.parquet");
    let output = ida(&[
        "apply",
        first.join("v1/data.parquet").to_str().unwrap(),
        first.join("v2/recipe.json").to_str().unwrap(),
        "--out",
        applied.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(std::fs::read(&applied).unwrap() == first_files[Path::new("v2/data.parquet")]);
}

#[test]
fn run_on_cars_with_the_ml_preset_is_reproducible_and_matches_apply() {
    assert_run_is_reproducible("cars.json", &["--preset", "ml"]);
}

#[test]
fn run_on_seattle_weather_is_reproducible_and_matches_apply() {
    assert_run_is_reproducible("seattle-weather.csv", &[]);
    assert_run_is_reproducible("seattle-weather.csv", &["--preset", "ml"]);
}

#[test]
fn the_index_page_shows_the_recipe_and_diff_and_escapes_user_text() {
    let dir = scratch("index");
    let input = dir.join("odd <name>.csv");
    std::fs::write(
        &input,
        "city,score\n\" <b>Paris\",1.5\nLyon,2.5\nLyon,2.5\nNice,\n",
    )
    .unwrap();
    let out = dir.join("out");
    run_into(&input, &out, &[]);
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("odd &lt;name&gt;.csv"));
    assert!(!page.contains("<b>Paris"));
    assert!(page.contains("href=\"v2/recipe.json\""));
    assert!(page.contains("href=\"v1/report.html\""));
    assert!(page.contains("repeat an earlier row exactly"));
    assert!(page.contains("Diff v1 → v2"));
    let recipe: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("v2/recipe.json")).unwrap())
            .unwrap();
    let ops: Vec<&str> = recipe["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["op"].as_str().unwrap())
        .collect();
    // One null score in four rows is 25%, above what the conservative preset fills.
    assert_eq!(ops, ["trim_whitespace", "deduplicate"]);
    // Deduplicating removes 1 of 4 rows, more than 5%.
    assert_eq!(recipe["steps"][1]["needs_review"], true);
    assert!(page.contains("needs review"));
    let diff: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("v2/diff.json")).unwrap()).unwrap();
    assert_eq!(diff["rows_before"], 4);
    assert_eq!(diff["rows_after"], 3);
}

#[test]
fn a_given_recipe_is_applied_instead_of_a_plan() {
    let dir = scratch("given");
    let recipe = dir.join("recipe.json");
    std::fs::write(
        &recipe,
        r#"{"recipe_version": 1, "steps": [{"op": "drop_columns", "columns": ["wind"], "rationale": "not needed"}]}"#,
    )
    .unwrap();
    let out = dir.join("out");
    run_into(
        &example("seattle-weather.csv"),
        &out,
        &["--recipe", recipe.to_str().unwrap()],
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("v2/recipe.json")).unwrap())
            .unwrap();
    assert_eq!(written["steps"][0]["impact"]["columns_removed"][0], "wind");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("v2/schema.json")).unwrap())
            .unwrap();
    assert_eq!(schema["columns"].as_array().unwrap().len(), 5);
}

#[test]
fn a_recipe_naming_a_missing_column_exits_with_2() {
    let dir = scratch("bad-recipe");
    let recipe = dir.join("recipe.json");
    std::fs::write(
        &recipe,
        r#"{"recipe_version": 1, "steps": [{"op": "trim_whitespace", "columns": ["nope"], "rationale": "x"}]}"#,
    )
    .unwrap();
    let output = ida(&[
        "run",
        example("cars.json").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--recipe",
        recipe.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error[recipe_invalid]"), "{stderr}");
    assert!(stderr.contains("'nope'"), "{stderr}");
}

#[test]
fn a_missing_input_exits_with_2() {
    let dir = scratch("missing");
    let output = ida(&[
        "run",
        dir.join("absent.csv").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).starts_with("error[io_error]"));
}

#[test]
fn plan_prints_rationales_as_text_and_the_recipe_as_json() {
    let file = example("cars.json");
    let output = ida(&["plan", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("`Horsepower` has 1.5% nulls"), "{stdout}");
    assert!(stdout.contains("impute with the median 95."), "{stdout}");

    let output = ida(&["plan", file.to_str().unwrap(), "--format", "json"]);
    let json = text(&output.stdout);
    let recipe: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(recipe["recipe_version"], 1);
    assert_eq!(recipe["steps"][1]["strategy"], "median");

    let dir = scratch("plan-out");
    let out = dir.join("recipe.json");
    let output = ida(&[
        "plan",
        file.to_str().unwrap(),
        "--preset",
        "ml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let written = std::fs::read_to_string(&out).unwrap();
    let again = ida(&[
        "plan",
        file.to_str().unwrap(),
        "--preset",
        "ml",
        "--format",
        "json",
    ]);
    assert_eq!(written, text(&again.stdout));
}
