//! Whole-frame inference: the contract with the readers (all-text columns in, typed out).

use polars::prelude::*;

use super::*;
use crate::schema::{LogicalType, SemanticType};

fn text_frame(columns: &[(&str, &[Option<&str>])]) -> DataFrame {
    let height = columns.first().map_or(0, |(_, v)| v.len());
    let columns = columns
        .iter()
        .map(|(name, values)| {
            StringChunked::from_iter_options(PlSmallStr::from(*name), values.iter().copied())
                .into_series()
                .into_column()
        })
        .collect();
    DataFrame::new(height, columns).unwrap()
}

fn infer_one(values: &[Option<&str>]) -> (Column, ColumnSchema) {
    let (frame, schema) = infer(text_frame(&[("c", values)]), &InferOptions::default()).unwrap();
    (frame.columns()[0].clone(), schema.columns[0].clone())
}

fn all(values: &[&str]) -> Vec<Option<&'static str>> {
    values
        .iter()
        .map(|v| Some(&*Box::leak(v.to_string().into_boxed_str())))
        .collect()
}

#[test]
fn booleans_integers_floats_and_null_tokens() {
    let (column, schema) = infer_one(&all(&["true", "False", "NA", "yes"]));
    assert_eq!(schema.logical_type, LogicalType::Boolean);
    assert_eq!(
        column.bool().unwrap().iter().collect::<Vec<_>>(),
        vec![Some(true), Some(false), None, Some(true)]
    );
    assert_eq!(schema.null_count, 1);
    assert!(schema.nullable);

    let (column, schema) = infer_one(&[Some(" 42 "), Some("-7"), None, Some(""), Some("N/A")]);
    assert_eq!(schema.logical_type, LogicalType::Integer);
    assert_eq!(
        column.i64().unwrap().iter().collect::<Vec<_>>(),
        vec![Some(42), Some(-7), None, None, None]
    );
    assert_eq!(schema.null_count, 3);

    let (column, schema) = infer_one(&all(&["1", "2.5", "-3e2", "NaN"]));
    assert_eq!(schema.logical_type, LogicalType::Float);
    assert_eq!(
        column.f64().unwrap().iter().collect::<Vec<_>>(),
        vec![Some(1.0), Some(2.5), Some(-300.0), None]
    );
}

#[test]
fn majority_type_nulls_and_reports_the_values_that_do_not_fit() {
    let mut values: Vec<String> = (0..98).map(|i| i.to_string()).collect();
    values.push("unknown".into());
    values.push("n/a?".into());
    let cells: Vec<Option<&str>> = values.iter().map(|v| Some(v.as_str())).collect();
    let (column, schema) = infer_one(&cells);
    assert_eq!(schema.logical_type, LogicalType::Integer);
    assert_eq!(schema.invalid_count, 2);
    assert_eq!(schema.invalid_examples, vec!["unknown", "n/a?"]);
    assert_eq!(schema.null_count, 2);
    assert_eq!(column.i64().unwrap().get(97), Some(97));
    assert_eq!(column.i64().unwrap().get(98), None);
}

#[test]
fn below_the_share_the_column_stays_text() {
    let (column, schema) = infer_one(&all(&["1", "2", "three", "4"]));
    assert_eq!(schema.logical_type, LogicalType::String);
    assert_eq!(schema.invalid_count, 0);
    assert_eq!(column.str().unwrap().get(2), Some("three"));
}

#[test]
fn text_keeps_its_whitespace_and_nulls_its_tokens() {
    let (column, schema) = infer_one(&all(&[" a ", "b", "NULL"]));
    assert_eq!(schema.logical_type, LogicalType::String);
    assert_eq!(
        column.str().unwrap().iter().collect::<Vec<_>>(),
        vec![Some(" a "), Some("b"), None]
    );
}

#[test]
fn day_first_column_is_read_day_first() {
    let (column, schema) = infer_one(&all(&["01/02/2024", "13/02/2024", "28/02/2024"]));
    assert_eq!(schema.logical_type, LogicalType::Date);
    assert_eq!(
        schema.source_format.unwrap().date_pattern.as_deref(),
        Some("%d/%m/%Y")
    );
    let days = column.date().unwrap().physical().get(0);
    assert_eq!(days, Some(19754)); // 2024-02-01
}

#[test]
fn ambiguous_dates_stay_text_with_a_note() {
    let (_, schema) = infer_one(&all(&["01/02/2024", "03/04/2024", "12/11/2024"]));
    assert_eq!(schema.logical_type, LogicalType::String);
    assert!(schema.notes[0].contains("day-first"), "{:?}", schema.notes);
}

#[test]
fn datetimes_with_offsets_are_stored_as_utc() {
    let (column, schema) = infer_one(&all(&["2024-02-13T10:00:00+02:00", "2024-02-13T08:30:00Z"]));
    assert_eq!(schema.logical_type, LogicalType::DatetimeTz);
    assert_eq!(
        schema.source_format.unwrap().date_pattern.as_deref(),
        Some("%Y-%m-%dT%H:%M:%S%:z")
    );
    assert_eq!(
        column.dtype(),
        &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    );
    let micros = column.datetime().unwrap().physical().get(0);
    assert_eq!(micros, Some(1_707_811_200_000_000));

    let (_, schema) = infer_one(&all(&["2024-02-13 10:00", "2024-02-14"]));
    assert_eq!(schema.logical_type, LogicalType::Datetime);
}

#[test]
fn currency_percent_and_separators_convert_when_every_value_does() {
    let (column, schema) = infer_one(&all(&["$1,234.50", "-$5", "($7.25)", "NA"]));
    assert_eq!(schema.logical_type, LogicalType::Float);
    assert_eq!(schema.semantic_type, Some(SemanticType::Currency));
    let format = schema.source_format.unwrap();
    assert_eq!(format.currency_symbol.as_deref(), Some("$"));
    assert_eq!(format.thousands_separator.as_deref(), Some(","));
    assert_eq!(
        column.f64().unwrap().iter().collect::<Vec<_>>(),
        vec![Some(1234.5), Some(-5.0), Some(-7.25), None]
    );

    let (column, schema) = infer_one(&all(&["12.5%", "3%"]));
    assert_eq!(schema.semantic_type, Some(SemanticType::Percent));
    assert!(schema.source_format.unwrap().percent);
    assert_eq!(column.f64().unwrap().get(0), Some(12.5));

    let (column, schema) = infer_one(&all(&["1.234.567,89", "12,5"]));
    assert_eq!(schema.semantic_type, Some(SemanticType::FormattedNumber));
    let format = schema.source_format.unwrap();
    assert_eq!(format.decimal_separator.as_deref(), Some(","));
    assert_eq!(column.f64().unwrap().get(0), Some(1_234_567.89));

    let (column, schema) = infer_one(&all(&["1,234", "12,345,678"]));
    assert_eq!(schema.logical_type, LogicalType::Integer);
    assert_eq!(column.i64().unwrap().get(1), Some(12_345_678));

    let (column, schema) = infer_one(&all(&["1,234", "5,678"]));
    assert_eq!(schema.logical_type, LogicalType::String);
    assert!(schema.notes[0].contains("1.234,5"), "{:?}", schema.notes);
    assert_eq!(column.str().unwrap().get(0), Some("1,234"));

    let (_, schema) = infer_one(&all(&["$5", "$6", "seven dollars"]));
    assert_eq!(schema.logical_type, LogicalType::String);
    assert!(
        schema.notes.iter().any(|n| n.contains("seven dollars")),
        "{:?}",
        schema.notes
    );
}

#[test]
fn integers_beyond_i64_and_leading_zeros_stay_text() {
    let (_, schema) = infer_one(&all(&["1", "99999999999999999999"]));
    assert_eq!(schema.logical_type, LogicalType::String);
    assert!(schema.notes[0].contains("64-bit"));

    let (column, schema) = infer_one(&all(&["02134", "10001"]));
    assert_eq!(schema.logical_type, LogicalType::String);
    assert_eq!(column.str().unwrap().get(0), Some("02134"));
}

#[test]
fn text_meanings_are_recognised() {
    let (_, schema) = infer_one(&all(&["ada@example.com", "bob@example.org"]));
    assert_eq!(schema.semantic_type, Some(SemanticType::Email));
    let (_, schema) = infer_one(&all(&["https://example.com", "http://x.org/a"]));
    assert_eq!(schema.semantic_type, Some(SemanticType::Url));
    let (_, schema) = infer_one(&all(&["123e4567-e89b-12d3-a456-426614174000"]));
    assert_eq!(schema.semantic_type, Some(SemanticType::Uuid));
    let (_, schema) = infer_one(&all(&["10.0.0.1", "::1"]));
    assert_eq!(schema.semantic_type, Some(SemanticType::IpAddress));
}

#[test]
fn all_missing_column_is_nullable_text() {
    let (column, schema) = infer_one(&[None, Some(""), Some("NA")]);
    assert_eq!(schema.logical_type, LogicalType::String);
    assert_eq!(schema.null_count, 3);
    assert_eq!(column.null_count(), 3);
}

#[test]
fn out_of_range_share_is_refused() {
    let options = InferOptions {
        min_type_share: 1.5,
        ..InferOptions::default()
    };
    let error = infer(text_frame(&[("c", &[Some("1")])]), &options).unwrap_err();
    assert_eq!(error.code(), "invalid_option");
}

#[test]
fn describe_typed_maps_polars_types() {
    let frame = df!(
        "flag" => [Some(true), None],
        "n" => [1i64, 2],
        "x" => [1.5f64, 2.5],
        "email" => ["a@example.com", "b@example.com"],
    )
    .unwrap();
    let schema = describe_typed(&frame);
    let types: Vec<_> = schema.columns.iter().map(|c| c.logical_type).collect();
    assert_eq!(
        types,
        vec![
            LogicalType::Boolean,
            LogicalType::Integer,
            LogicalType::Float,
            LogicalType::String
        ]
    );
    assert_eq!(schema.columns[0].null_count, 1);
    assert_eq!(schema.columns[3].semantic_type, Some(SemanticType::Email));
    assert_eq!(schema.row_count, 2);
}

#[test]
fn share_zero_never_types_a_column_no_value_fits() {
    let options = InferOptions {
        min_type_share: 0.0,
        ..InferOptions::default()
    };
    let (_, schema) = infer(
        text_frame(&[("c", &[Some("apple"), Some("pear")])]),
        &options,
    )
    .unwrap();
    assert_eq!(schema.columns[0].logical_type, LogicalType::String);
}

/// The fixture `mixed.csv` covers every type, format and refusal; its schema was reviewed by
/// hand against `docs/inference.md` and is stored next to it.
#[test]
fn mixed_fixture_matches_its_reviewed_schema() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/infer");
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(fixtures.join("mixed.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let (typed, schema) = infer(frame, &InferOptions::default()).unwrap();
    let actual = serde_json::to_string_pretty(&schema).unwrap();
    let expected_path = fixtures.join("mixed.schema.json");
    if std::env::var_os("IDA_WRITE_FIXTURES").is_some() {
        std::fs::write(&expected_path, format!("{actual}\n")).unwrap();
    }
    let expected: DatasetSchema =
        serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
    assert_eq!(schema, expected, "{actual}");
    assert_eq!(
        typed.column("price").unwrap().f64().unwrap().get(0),
        Some(1234.5)
    );
    assert_eq!(
        typed.column("eu_amount").unwrap().f64().unwrap().get(3),
        Some(1_000_000.0)
    );
    assert_eq!(
        typed.column("note").unwrap().str().unwrap().get(0),
        Some(" spaced ")
    );
}
