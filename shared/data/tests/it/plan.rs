//! The recipe planner on purpose-made fixtures (`tests/fixtures/plan/`) and the example files:
//! the steps each preset proposes, rationales quoting the profile's figures, the documented
//! confidence formulas, `needs_review` marking, validity and determinism of the recipe.

use std::path::PathBuf;

use ida_data::dataset::{TypedDataset, read_bytes, read_path};
use ida_data::plan::{Plan, Preset, plan};
use ida_data::profile::{ColumnProfile, ProfileConfig, ProfileReport, profile};
use ida_data::read::ReadOptions;
use ida_data::recipe::{ColumnTypes, ImputeStrategy, Operation, Recipe, Step, validate};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plan")
        .join(name)
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

struct Planned {
    dataset: TypedDataset,
    report: ProfileReport,
    plan: Plan,
}

fn planned_from(dataset: TypedDataset, preset: Preset) -> Planned {
    let report = profile(
        &dataset.frame,
        &dataset.schema,
        None,
        &ProfileConfig::default(),
    )
    .unwrap();
    let plan = plan(&dataset.frame, &report, preset).unwrap();
    Planned {
        dataset,
        report,
        plan,
    }
}

fn planned(path: PathBuf, preset: Preset) -> Planned {
    planned_from(read_path(&path, &ReadOptions::default()).unwrap(), preset)
}

fn column<'a>(report: &'a ProfileReport, name: &str) -> &'a ColumnProfile {
    report.columns.iter().find(|c| c.name == name).unwrap()
}

/// Each step as `op:columns` so a whole plan reads in one line.
fn outline(recipe: &Recipe) -> Vec<String> {
    recipe
        .steps
        .iter()
        .map(|step| {
            let columns = match &step.operation {
                Operation::DropColumns { columns }
                | Operation::TrimWhitespace { columns }
                | Operation::NormalizeCase { columns, .. }
                | Operation::Impute { columns, .. }
                | Operation::ClipOutliers { columns, .. }
                | Operation::Standardize { columns }
                | Operation::MinMaxScale { columns }
                | Operation::Log1p { columns } => columns.join(","),
                Operation::DropConstantColumns { columns } => {
                    columns.clone().unwrap_or_default().join(",")
                }
                Operation::OneHot { column, .. } | Operation::Cast { column, .. } => column.clone(),
                _ => String::new(),
            };
            format!("{}:{columns}", step.op_name())
        })
        .collect()
}

fn step_for<'a>(recipe: &'a Recipe, op: &str, column: &str) -> &'a Step {
    let wanted = format!("{op}:{column}");
    let index = outline(recipe).iter().position(|s| *s == wanted).unwrap();
    &recipe.steps[index]
}

fn rounded(value: f64) -> f64 {
    (value.clamp(0.05, 0.99) * 1000.0).round() / 1000.0
}

#[test]
fn conservative_trims_and_imputes_the_people_fixture() {
    let p = planned(fixture("people.csv"), Preset::Conservative);
    assert_eq!(
        outline(&p.plan.recipe),
        ["trim_whitespace:name", "impute:age", "impute:city"]
    );
    let age = column(&p.report, "age");
    let numeric = age.numeric.as_ref().unwrap();
    let skewness = numeric.skewness.unwrap();
    // 2 of 20 ages are missing; the mean of the other 18 is 704 / 18.
    assert_eq!(age.null_count, 2);
    assert!((numeric.mean - 704.0 / 18.0).abs() < 1e-12);
    let impute = step_for(&p.plan.recipe, "impute", "age");
    assert!(matches!(
        impute.operation,
        Operation::Impute {
            strategy: ImputeStrategy::Mean,
            ..
        }
    ));
    assert_eq!(
        impute.rationale,
        format!(
            "`age` has 10.0% nulls and skewness {}: impute with the mean 39.1111.",
            ida_data::plan::wording::number(skewness)
        )
    );
    // Documented formula for the mean: (1 - null_ratio) * (1 - min(|skewness|, 1) / 4).
    assert_eq!(
        impute.confidence,
        Some(rounded(0.9 * (1.0 - skewness.abs().min(1.0) / 4.0)))
    );
    let trim = step_for(&p.plan.recipe, "trim_whitespace", "name");
    assert_eq!(
        trim.rationale,
        "`name` has 2 values (10.0% of its non-null values) with leading or trailing spaces: trim them."
    );
    assert_eq!(trim.confidence, Some(0.91));
    assert_eq!(trim.answers_alert.as_deref(), Some("whitespace:name"));
    let city = step_for(&p.plan.recipe, "impute", "city");
    // "Lyon" is 6 of the 19 cities: (1 - 1/20) * (0.5 + 0.5 * 6/19).
    assert!(city.rationale.contains("\"Lyon\" makes up 31.6%"));
    assert_eq!(
        city.confidence,
        Some(rounded(0.95 * (0.5 + 0.5 * 6.0 / 19.0)))
    );
    assert!(p.plan.recipe.steps.iter().all(|s| !s.needs_review));
}

#[test]
fn the_preview_reports_rows_nulls_and_moved_statistics() {
    let p = planned(fixture("people.csv"), Preset::Conservative);
    let preview = &p.plan.preview;
    assert_eq!((preview.rows_before, preview.rows_after), (20, 20));
    assert_eq!(preview.nulls_before["age"], 2);
    assert_eq!(preview.nulls_before["city"], 1);
    assert!(preview.nulls_after.values().all(|n| *n == 0));
    let age = &preview.numeric["age"];
    // Filling with the mean keeps the mean (to the last bit of the sum) and shrinks the spread.
    assert!((age.mean_before.unwrap() - age.mean_after.unwrap()).abs() < 1e-12);
    assert!(age.std_after.unwrap() < age.std_before.unwrap());
    let impact = p.plan.recipe.steps[0].impact.as_ref().unwrap();
    assert_eq!(impact.cells_affected, 2);
    assert_eq!(p.plan.applied.frame.height(), 20);
}

#[test]
fn ml_also_fixes_case_skew_scale_and_encoding_but_not_the_serial_identifier() {
    let p = planned(fixture("people.csv"), Preset::Ml);
    assert_eq!(
        outline(&p.plan.recipe),
        [
            "trim_whitespace:name",
            "normalize_case:city",
            "impute:age",
            "impute:city",
            "log1p:score",
            "standardize:age",
            "standardize:score",
            "one_hot:city",
            "one_hot:plan",
        ]
    );
    let skewness = column(&p.report, "score")
        .numeric
        .as_ref()
        .unwrap()
        .skewness
        .unwrap();
    let log = step_for(&p.plan.recipe, "log1p", "score");
    assert_eq!(log.confidence, Some(rounded(skewness / (skewness + 1.0))));
    assert_eq!(log.answers_alert.as_deref(), Some("skewed:score"));
    assert!(log.rationale.contains("(min 9)"));
    // Scaling after the log is judged on the log scale: 1 / (1 + |skewness of ln(1 + x)| / 2).
    let scores: Vec<f64> = p
        .dataset
        .frame
        .column("score")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .map(f64::ln_1p)
        .collect();
    let log_skewness = ida_data::plan::sample_skewness(&scores).unwrap();
    let scale = step_for(&p.plan.recipe, "standardize", "score");
    assert!(scale.rationale.starts_with("`score` after log1p"));
    assert_eq!(
        scale.confidence,
        Some(rounded(1.0 / (1.0 + log_skewness.abs() / 2.0)))
    );
}

#[test]
fn removing_over_five_percent_of_rows_or_an_identifier_column_needs_review() {
    let p = planned(fixture("orders.csv"), Preset::Ml);
    assert_eq!(
        outline(&p.plan.recipe)[..4],
        [
            "drop_constant_columns:batch_id",
            "drop_columns:notes",
            "drop_columns:empty",
            "deduplicate:",
        ]
    );
    let batch = &p.plan.recipe.steps[0];
    assert!(batch.needs_review, "{}", batch.rationale);
    assert!(batch.rationale.contains("looks like an identifier"));
    let notes = &p.plan.recipe.steps[1];
    assert!(notes.needs_review);
    assert!(notes.rationale.contains("null in 70.0% of 20 rows"));
    let empty = &p.plan.recipe.steps[2];
    assert!(!empty.needs_review);
    assert_eq!(empty.answers_alert.as_deref(), Some("all_null:empty"));
    let dedup = &p.plan.recipe.steps[3];
    assert!(dedup.needs_review);
    assert!(dedup.rationale.starts_with(
        "3 of 20 rows (15.0%) repeat an earlier row exactly: keep the first occurrence."
    ));
    assert!(dedup.rationale.contains("removes 3 of 20 rows (15.0%)"));
    // 1 - 2 * 3/20.
    assert_eq!(dedup.confidence, Some(0.7));
}

#[test]
fn conservative_never_drops_a_column() {
    let p = planned(fixture("orders.csv"), Preset::Conservative);
    assert_eq!(outline(&p.plan.recipe), ["deduplicate:"]);
    assert!(p.plan.recipe.steps[0].needs_review);
    assert_eq!(p.plan.applied.frame.width(), 6);
}

#[test]
fn rows_without_any_value_are_dropped() {
    let csv = b"a,b,c\n1,x,2.5\n,,\n3,y,1.5\n4,z,0.5\n";
    let dataset = read_bytes(csv, "gaps.csv", &ReadOptions::default()).unwrap();
    let p = planned_from(dataset, Preset::Conservative);
    let step = &p.plan.recipe.steps[0];
    assert_eq!(
        step.operation,
        Operation::DropNulls {
            subset: None,
            threshold: Some(1)
        }
    );
    assert!(
        step.rationale
            .starts_with("1 of 4 rows (25.0%) have no value")
    );
    assert!(step.needs_review);
    assert_eq!(p.plan.applied.frame.height(), 3);
}

#[test]
fn cars_conservative_imputes_with_the_profiles_mean_and_median() {
    let p = planned(example("cars.json"), Preset::Conservative);
    assert_eq!(
        outline(&p.plan.recipe),
        ["impute:Miles_per_Gallon", "impute:Horsepower"]
    );
    let horsepower = column(&p.report, "Horsepower");
    let numeric = horsepower.numeric.as_ref().unwrap();
    assert_eq!(numeric.p50, 95.0);
    let step = step_for(&p.plan.recipe, "impute", "Horsepower");
    assert!(
        step.rationale.ends_with("impute with the median 95."),
        "{}",
        step.rationale
    );
    // Median: 1 - null_ratio, with 6 of 406 horsepower values missing.
    assert_eq!(horsepower.null_count, 6);
    assert_eq!(step.confidence, Some(rounded(1.0 - 6.0 / 406.0)));
    assert_eq!(p.plan.preview.nulls_after.values().sum::<u64>(), 0);
}

#[test]
fn a_clean_file_gets_an_empty_conservative_recipe() {
    let p = planned(example("seattle-weather.csv"), Preset::Conservative);
    assert!(p.plan.recipe.steps.is_empty());
    assert_eq!(p.plan.applied.frame.height(), 1461);
}

#[test]
fn planned_recipes_validate_and_are_byte_for_byte_deterministic() {
    for path in [
        fixture("people.csv"),
        fixture("orders.csv"),
        example("cars.json"),
        example("seattle-weather.csv"),
        example("airports.csv"),
    ] {
        for preset in [Preset::Conservative, Preset::Ml] {
            let first = planned(path.clone(), preset);
            let second = planned(path.clone(), preset);
            let json = serde_json::to_string_pretty(&first.plan.recipe).unwrap();
            assert_eq!(
                json,
                serde_json::to_string_pretty(&second.plan.recipe).unwrap()
            );
            let parsed = Recipe::from_json(&json).unwrap();
            let types = ColumnTypes::from_schema(&first.dataset.schema);
            assert!(validate(&parsed, &types).is_ok(), "{}", path.display());
            for step in &parsed.steps {
                let confidence = step.confidence.unwrap();
                assert!((0.05..=0.99).contains(&confidence));
                assert!(!step.rationale.is_empty());
            }
        }
    }
}
