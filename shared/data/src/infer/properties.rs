//! Property tests: typed values written as text come back unchanged, and arbitrary text never
//! makes inference fail, lose rows or miscount nulls.

use chrono::{DateTime, NaiveDate};
use polars::prelude::*;
use proptest::prelude::*;

use super::*;
use crate::schema::LogicalType;

fn infer_texts(values: &[Option<String>]) -> (Column, ColumnSchema) {
    let column = StringChunked::from_iter_options("c".into(), values.iter().map(|v| v.as_deref()))
        .into_series()
        .into_column();
    let frame = DataFrame::new(values.len(), vec![column]).unwrap();
    let (frame, schema) = infer(frame, &InferOptions::default()).unwrap();
    (frame.columns()[0].clone(), schema.columns[0].clone())
}

fn some(values: impl IntoIterator<Item = String>) -> Vec<Option<String>> {
    values.into_iter().map(Some).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn integers_round_trip(values in prop::collection::vec(any::<i64>(), 1..50)) {
        let (column, schema) = infer_texts(&some(values.iter().map(i64::to_string)));
        prop_assert_eq!(schema.logical_type, LogicalType::Integer);
        let back: Vec<i64> = column.i64().unwrap().iter().flatten().collect();
        prop_assert_eq!(back, values);
    }

    #[test]
    fn floats_round_trip(values in prop::collection::vec(any::<f64>().prop_filter("not NaN", |v| !v.is_nan()), 1..50)) {
        let (column, schema) = infer_texts(&some(values.iter().map(|v| format!("{v:?}"))));
        prop_assert!(matches!(schema.logical_type, LogicalType::Float | LogicalType::Integer));
        if schema.logical_type == LogicalType::Float {
            let back: Vec<f64> = column.f64().unwrap().iter().flatten().collect();
            prop_assert_eq!(back, values);
        }
    }

    #[test]
    fn booleans_round_trip(values in prop::collection::vec(any::<bool>(), 1..50)) {
        let (column, schema) = infer_texts(&some(values.iter().map(bool::to_string)));
        prop_assert_eq!(schema.logical_type, LogicalType::Boolean);
        let back: Vec<bool> = column.bool().unwrap().iter().flatten().collect();
        prop_assert_eq!(back, values);
    }

    #[test]
    fn iso_dates_round_trip(days in prop::collection::vec(-300_000i32..2_900_000, 1..50)) {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let dates: Vec<NaiveDate> = days
            .iter()
            .map(|d| epoch + chrono::TimeDelta::days(i64::from(*d)))
            .collect();
        let (column, schema) = infer_texts(&some(dates.iter().map(|d| d.format("%Y-%m-%d").to_string())));
        prop_assert_eq!(schema.logical_type, LogicalType::Date);
        let back: Vec<i32> = column.date().unwrap().physical().iter().flatten().collect();
        let expected: Vec<i32> = dates.iter().map(|d| temporal::epoch_days(*d)).collect();
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn day_first_dates_are_never_misread(days in prop::collection::vec(0i32..40_000, 1..30)) {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let dates: Vec<NaiveDate> = days.iter().map(|d| epoch + chrono::TimeDelta::days(i64::from(*d))).collect();
        let (column, schema) = infer_texts(&some(dates.iter().map(|d| d.format("%d/%m/%Y").to_string())));
        if schema.logical_type == LogicalType::Date {
            let back: Vec<i32> = column.date().unwrap().physical().iter().flatten().collect();
            let expected: Vec<i32> = dates.iter().map(|d| temporal::epoch_days(*d)).collect();
            prop_assert_eq!(back, expected);
        } else {
            // Only a column whose every day is 12 or less may stay text, as ambiguous.
            prop_assert_eq!(schema.logical_type, LogicalType::String);
            prop_assert!(dates.iter().all(|d| chrono::Datelike::day(d) <= 12));
        }
    }

    #[test]
    fn offset_datetimes_round_trip_as_utc(
        instants in prop::collection::vec((0i64..4_000_000_000, -50_400i32..50_400), 1..40),
    ) {
        let texts = instants.iter().map(|(seconds, offset)| {
            let offset = chrono::FixedOffset::east_opt(offset - offset % 60).unwrap();
            DateTime::from_timestamp(*seconds, 0).unwrap().with_timezone(&offset).to_rfc3339()
        });
        let (column, schema) = infer_texts(&some(texts));
        prop_assert_eq!(schema.logical_type, LogicalType::DatetimeTz);
        let back: Vec<i64> = column.datetime().unwrap().physical().iter().flatten().collect();
        let expected: Vec<i64> = instants.iter().map(|(s, _)| s * 1_000_000).collect();
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn arbitrary_text_keeps_rows_and_accounts_for_every_null(
        values in prop::collection::vec(prop::option::weighted(0.9, "\\PC{0,12}|[0-9$,.%/: -]{0,12}"), 0..60),
    ) {
        let (column, schema) = infer_texts(&values);
        prop_assert_eq!(column.len(), values.len());
        let tokens = NullTokens::new(&InferOptions::default());
        let missing = values.iter().filter(|v| tokens.value(v.as_deref()).is_none()).count() as u64;
        prop_assert_eq!(schema.null_count, column.null_count() as u64);
        if schema.logical_type == LogicalType::String {
            prop_assert_eq!(schema.null_count, missing);
            let kept: Vec<Option<&str>> = column.str().unwrap().iter().collect();
            for (kept, value) in kept.iter().zip(&values) {
                if kept.is_some() {
                    prop_assert_eq!(*kept, value.as_deref());
                }
            }
        } else {
            prop_assert_eq!(schema.null_count, missing + schema.invalid_count);
        }
    }
}
