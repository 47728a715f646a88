//! Alerts raised on small frames built to trigger (or not trigger) each rule.

use ida_data::profile::{Alert, ProfileConfig, Severity, profile};
use ida_data::schema::LogicalType;
use polars::prelude::*;

use crate::profile_frames::schema_of;

/// 2026-01-01T00:00:00Z.
const NOW_MS: i64 = 1_767_225_600_000;

fn config() -> ProfileConfig {
    ProfileConfig {
        now_epoch_ms: NOW_MS,
        ..ProfileConfig::default()
    }
}

fn codes_for<'a>(alerts: &'a [Alert], column: Option<&str>) -> Vec<&'a str> {
    alerts
        .iter()
        .filter(|a| a.column.as_deref() == column)
        .map(|a| a.code.as_str())
        .collect()
}

fn quality_frame() -> DataFrame {
    let n: i32 = 40;
    let ages: Vec<Option<i64>> = (0..n)
        .map(|i| Some(if i == 3 { -2 } else { 20 + i64::from(i % 30) }))
        .collect();
    let discounts: Vec<f64> = (0..n)
        .map(|i| if i == 0 { 150.0 } else { f64::from(i % 50) })
        .collect();
    let states: Vec<&str> = (0..n)
        .map(|i| ["NY", "ny", " CA", "CA", "TX"][(i % 5) as usize])
        .collect();
    let mostly_null: Vec<Option<f64>> = (0..n)
        .map(|i| (i % 4 == 0).then_some(f64::from((i * 7) % 11 + 1)))
        .collect();
    let x: Vec<f64> = (0..n).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|v| 3.0 * v + 1.0).collect();
    let days: Vec<i32> = (0..n)
        .map(|i| match i {
            0 => -45_000, // 1846
            1 => 25_000,  // 2038
            _ => 18_000 + i,
        })
        .collect();
    let mut frame = df!(
        "customer_id" => (0..n).map(|i| format!("C{i:03}")).collect::<Vec<_>>(),
        "age" => ages,
        "discount_pct" => discounts,
        "state" => states,
        "nothing" => vec![None::<f64>; n as usize],
        "mostly_null" => mostly_null,
        "constant" => vec![7_i64; n as usize],
        "x" => x,
        "y" => y,
    )
    .unwrap();
    let joined = Series::new("joined".into(), days)
        .cast(&DataType::Date)
        .unwrap();
    frame.with_column(joined.into()).unwrap();
    frame
}

#[test]
fn each_quality_problem_raises_its_alert() {
    let frame = quality_frame();
    let mut schema = schema_of(&frame);
    schema.columns[9].invalid_count = 2;
    schema.columns[1].invalid_count = 1;
    let report = profile(&frame, &schema, None, &config()).unwrap();
    let alerts = &report.alerts;

    assert_eq!(codes_for(alerts, Some("customer_id")), vec!["unique"]);
    assert_eq!(
        codes_for(alerts, Some("age")),
        vec!["invalid_range", "mixed_types", "outliers"]
    );
    assert_eq!(
        codes_for(alerts, Some("discount_pct")),
        vec!["invalid_range", "skewed", "outliers"]
    );
    assert_eq!(
        codes_for(alerts, Some("state")),
        vec!["inconsistent_case", "whitespace"]
    );
    assert_eq!(codes_for(alerts, Some("nothing")), vec!["all_null"]);
    assert_eq!(
        codes_for(alerts, Some("mostly_null")),
        vec!["high_null_ratio"]
    );
    assert!(codes_for(alerts, Some("constant")).contains(&"constant"));
    assert!(codes_for(alerts, Some("x")).contains(&"high_correlation"));
    assert_eq!(
        codes_for(alerts, Some("joined")),
        vec!["invalid_range", "invalid_range", "date_parse_failures"]
    );
    assert!(codes_for(alerts, None).is_empty());

    let first = &alerts[0];
    assert_eq!(
        (first.code.as_str(), first.severity),
        ("all_null", Severity::Error)
    );
    let percent = alerts
        .iter()
        .find(|a| a.column.as_deref() == Some("discount_pct"))
        .unwrap();
    assert_eq!((percent.value, percent.threshold), (150.0, 100.0));
    let case = alerts
        .iter()
        .find(|a| a.code == "inconsistent_case")
        .unwrap();
    assert_eq!(
        case.message,
        "Column \"state\" spells 1 categories in several letter cases, such as \"NY\" / \"ny\"."
    );
}

#[test]
fn a_clean_frame_raises_no_alert() {
    let frame = df!(
        "city" => ["Oslo", "Lima", "Oslo", "Pune", "Lima", "Oslo"],
        "visits" => [3_i64, 5, 4, 6, 4, 2],
    )
    .unwrap();
    let report = profile(&frame, &schema_of(&frame), None, &config()).unwrap();
    assert_eq!(report.alerts, Vec::<Alert>::new());
}

#[test]
fn duplicate_rows_are_counted_and_reported_for_the_dataset() {
    let frame = df!("a" => [1_i64, 1, 2, 1], "b" => ["x", "x", "y", "x"]).unwrap();
    let report = profile(&frame, &schema_of(&frame), None, &config()).unwrap();
    assert_eq!(report.duplicate_row_count, 2);
    let alert = report
        .alerts
        .iter()
        .find(|a| a.code == "duplicate_rows")
        .unwrap();
    assert_eq!((alert.column.clone(), alert.value), (None, 2.0));
}

#[test]
fn a_null_spike_against_the_previous_version_is_reported() {
    let before = df!("score" => [Some(1.0), Some(2.0), Some(3.0), Some(4.0), Some(5.0)]).unwrap();
    let after = df!("score" => [Some(1.0), None, Some(3.0), None, Some(5.0)]).unwrap();
    let previous = profile(&before, &schema_of(&before), None, &config()).unwrap();
    let report = profile(&after, &schema_of(&after), Some(&previous), &config()).unwrap();
    let spike = report
        .alerts
        .iter()
        .find(|a| a.code == "null_spike")
        .unwrap();
    assert!((spike.value - 0.4).abs() < 1e-12);
    assert_eq!(spike.severity, Severity::Warning);
}

#[test]
fn skewed_zero_heavy_columns_with_outliers_are_reported() {
    let values: Vec<f64> = (0..100)
        .map(|i| if i < 94 { 0.0 } else { f64::from(i * i) })
        .collect();
    let frame = df!("spend" => values).unwrap();
    let report = profile(&frame, &schema_of(&frame), None, &config()).unwrap();
    let codes = codes_for(&report.alerts, Some("spend"));
    assert!(codes.contains(&"skewed"), "{codes:?}");
    assert!(codes.contains(&"many_zeros"), "{codes:?}");
    assert!(codes.contains(&"outliers"), "{codes:?}");
}

#[test]
fn a_column_missing_from_the_schema_is_an_error_naming_it() {
    let frame = df!("a" => [1_i64], "b" => [2_i64]).unwrap();
    let mut schema = schema_of(&frame);
    schema.columns.truncate(1);
    let error = profile(&frame, &schema, None, &config()).unwrap_err();
    assert_eq!(error.code(), "profile_schema_mismatch");
    assert!(error.to_string().contains("\"b\""));
}

#[test]
fn the_profile_keeps_the_logical_types_of_the_schema() {
    let frame = df!("n" => [1_i64, 2], "t" => ["a", "b"]).unwrap();
    let report = profile(&frame, &schema_of(&frame), None, &config()).unwrap();
    let types: Vec<LogicalType> = report.columns.iter().map(|c| c.logical_type).collect();
    assert_eq!(types, vec![LogicalType::Integer, LogicalType::String]);
}

#[test]
fn a_column_of_the_null_type_is_profiled_as_all_null() {
    let mut frame = df!("a" => [1_i64, 2, 3]).unwrap();
    frame
        .with_column(Series::full_null("nothing".into(), 3, &DataType::Null).into())
        .unwrap();
    let report = profile(&frame, &schema_of(&frame), None, &config()).unwrap();
    let column = &report.columns[1];
    assert_eq!((column.null_count, column.distinct_count), (3, 0));
    assert_eq!(codes_for(&report.alerts, Some("nothing")), vec!["all_null"]);
}

#[test]
fn an_empty_frame_profiles_without_statistics_or_alerts() {
    let frame = df!(
        "n" => Vec::<i64>::new(),
        "s" => Vec::<String>::new(),
        "b" => Vec::<bool>::new(),
    )
    .unwrap();
    let report = profile(&frame, &schema_of(&frame), None, &config()).unwrap();
    assert_eq!((report.row_count, report.duplicate_row_count), (0, 0));
    assert!(
        report
            .columns
            .iter()
            .all(|c| c.numeric.is_none() && c.null_ratio == 0.0)
    );
    assert_eq!(report.correlations.pearson.matrix, vec![vec![None]]);
    assert_eq!(report.alerts, Vec::<Alert>::new());
    let html = ida_data::report::render_html(&report, &schema_of(&frame));
    assert_eq!(html.matches("class=\"card\"").count(), 3);
}
