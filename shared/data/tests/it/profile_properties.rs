//! Invariants of the numeric statistics on arbitrary columns.

use ida_data::profile::{ProfileConfig, profile};
use polars::prelude::*;
use proptest::prelude::*;

use crate::profile_frames::schema_of;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn histogram_and_quantiles_account_for_every_value(
        values in prop::collection::vec(prop::option::weighted(0.9, -1e6_f64..1e6), 1..300),
    ) {
        let frame = df!("x" => values.clone()).unwrap();
        let report = profile(&frame, &schema_of(&frame), None, &ProfileConfig::default()).unwrap();
        let column = &report.columns[0];
        let present = values.iter().flatten().count() as u64;
        prop_assert_eq!(column.null_count, values.len() as u64 - present);
        match &column.numeric {
            None => prop_assert_eq!(present, 0),
            Some(numeric) => {
                let h = &numeric.histogram;
                prop_assert_eq!(h.counts.iter().sum::<u64>(), present);
                prop_assert_eq!(h.edges.len(), h.counts.len() + 1);
                prop_assert!(h.counts.len() <= 200);
                prop_assert!(h.edges.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(numeric.min <= numeric.p25 && numeric.p25 <= numeric.p50);
                prop_assert!(numeric.p50 <= numeric.p75 && numeric.p75 <= numeric.max);
                prop_assert!(numeric.outliers_iqr.count <= present);
                prop_assert!(numeric.outliers_mad.count <= present);
                prop_assert!(column.distinct_count <= present);
            }
        }
    }

    #[test]
    fn top_values_are_ordered_by_count_then_value(
        values in prop::collection::vec(prop::sample::select(vec!["a", "b", "B", "c", "dd"]), 0..200),
    ) {
        let frame = df!("s" => values.clone()).unwrap();
        let report = profile(&frame, &schema_of(&frame), None, &ProfileConfig::default()).unwrap();
        let top = &report.columns[0].categorical.as_ref().unwrap().top;
        prop_assert_eq!(top.iter().map(|v| v.count).sum::<u64>(), values.len() as u64);
        prop_assert!(top.windows(2).all(|w| w[0].count > w[1].count
            || (w[0].count == w[1].count && w[0].value < w[1].value)));
    }
}
