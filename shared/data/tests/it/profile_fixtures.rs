//! Every statistic of the profile against the reference values that numpy, pandas and scipy
//! computed for the same inputs (`scripts/reference/profile_fixtures.py` made the fixtures).

use ida_data::profile::{ProfileConfig, profile};
use serde_json::Value;

use crate::profile_frames::{fixtures_dir, read_parquet, schema_of};

const RELATIVE: f64 = 1e-9;
const ABSOLUTE: f64 = 1e-12;

/// Compares `actual` with every field `expected` names; integers exactly, floats within tolerance.
fn compare(path: &str, expected: &Value, actual: &Value, failures: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    Some(found) => compare(&format!("{path}.{key}"), value, found, failures),
                    None => failures.push(format!("{path}.{key}: missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                failures.push(format!(
                    "{path}: {} items expected, {} found",
                    e.len(),
                    a.len()
                ));
                return;
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), x, y, failures);
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let (x, y) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            let exact = e.is_u64() || e.is_i64();
            let close = (x - y).abs() <= RELATIVE * x.abs().max(y.abs()) + ABSOLUTE;
            if (exact && x != y) || !close {
                failures.push(format!("{path}: expected {x:e}, found {y:e}"));
            }
        }
        (e, a) if e == a => {}
        (e, a) => failures.push(format!("{path}: expected {e}, found {a}")),
    }
}

fn check(name: &str) {
    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures_dir().join(format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let frame = read_parquet(&format!("{name}.parquet"));
    let schema = schema_of(&frame);
    let report = profile(&frame, &schema, None, &ProfileConfig::default()).unwrap();
    let actual = serde_json::to_value(&report).unwrap();
    let mut failures = Vec::new();
    compare(name, &document["expected"], &actual, &mut failures);
    assert!(
        failures.is_empty(),
        "{} differences from the reference:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn synthetic_frame_with_nulls_ties_constant_and_empty_columns_matches_the_reference() {
    check("synthetic_mixed");
}

#[test]
fn heavy_tails_hit_the_histogram_cap_as_numpy_does() {
    check("heavy_tails");
}

#[test]
fn a_single_row_has_undefined_spread_and_shape() {
    check("single_row");
}

#[test]
fn seattle_weather_matches_the_reference() {
    check("seattle_weather");
}

#[test]
fn airports_match_the_reference() {
    check("airports");
}

#[test]
fn cars_with_missing_values_match_the_reference() {
    check("cars");
}

#[test]
fn the_comparison_reports_a_changed_statistic_or_count() {
    let expected = serde_json::json!({"numeric": {"mean": 1.0, "zeros": 3, "edges": [0.0, 1.0]}});
    let drifted =
        serde_json::json!({"numeric": {"mean": 1.000_001, "zeros": 3, "edges": [0.0, 1.0]}});
    let miscounted = serde_json::json!({"numeric": {"mean": 1.0, "zeros": 4, "edges": [0.0]}});
    let mut failures = Vec::new();
    compare("x", &expected, &expected, &mut failures);
    assert!(failures.is_empty());
    compare("x", &expected, &drifted, &mut failures);
    assert_eq!(
        failures,
        vec!["x.numeric.mean: expected 1e0, found 1.000001e0"]
    );
    failures.clear();
    compare("x", &expected, &miscounted, &mut failures);
    assert_eq!(failures.len(), 2);
}
