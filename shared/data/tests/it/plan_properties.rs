//! Properties of the planner over generated CSV tables: whatever the data, the planned recipe
//! passes validation, applying it again gives the previewed frame, the same input gives the
//! same recipe bytes, and no step removes more than 5% of its rows without `needs_review`.

use ida_data::dataset::read_bytes;
use ida_data::plan::{Preset, REVIEW_ROW_SHARE, plan};
use ida_data::profile::{ProfileConfig, profile};
use ida_data::read::ReadOptions;
use ida_data::recipe::{ColumnTypes, validate};
use ida_data::transform::apply;
use proptest::prelude::*;

/// One cell of a generated table: numbers, padded or differently cased words, or empty.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        (-50i32..200).prop_map(|n| n.to_string()),
        (0u32..1000).prop_map(|n| format!("{n}.5")),
        prop::sample::select(vec!["red", " red", "Red", "blue", "blue ", "green"])
            .prop_map(str::to_owned),
        Just(String::new()),
    ]
}

fn table() -> impl Strategy<Value = String> {
    (1usize..5, 2usize..30).prop_flat_map(|(columns, rows)| {
        prop::collection::vec(prop::collection::vec(cell(), columns), rows).prop_map(move |body| {
            let header: Vec<String> = (0..columns).map(|c| format!("c{c}")).collect();
            let mut text = header.join(",");
            text.push('\n');
            for row in body {
                text.push_str(&row.join(","));
                text.push('\n');
            }
            text
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn planned_recipes_always_validate_replay_and_mark_big_removals(
        csv in table(),
        ml in any::<bool>(),
    ) {
        let preset = if ml { Preset::Ml } else { Preset::Conservative };
        let Ok(dataset) = read_bytes(csv.as_bytes(), "generated.csv", &ReadOptions::default()) else {
            return Ok(());
        };
        let report = profile(&dataset.frame, &dataset.schema, None, &ProfileConfig::default()).unwrap();
        let first = plan(&dataset.frame, &report, preset).unwrap();
        let second = plan(&dataset.frame, &report, preset).unwrap();
        let json = serde_json::to_string(&first.recipe).unwrap();
        prop_assert_eq!(&json, &serde_json::to_string(&second.recipe).unwrap());

        let types = ColumnTypes::from_schema(&dataset.schema);
        prop_assert!(validate(&first.recipe, &types).is_ok());
        let replayed = apply(&dataset.frame, &first.recipe).unwrap();
        prop_assert!(replayed.frame.equals_missing(&first.applied.frame));

        for step in &first.recipe.steps {
            let impact = step.impact.as_ref().unwrap();
            let share = impact.rows_removed as f64 / impact.rows_before.max(1) as f64;
            prop_assert!(share <= REVIEW_ROW_SHARE || step.needs_review, "{}", step.rationale);
        }
    }
}
