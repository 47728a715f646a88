//! Paths and frames shared by the tests.

use std::path::PathBuf;

use ida_data::recipe::Recipe;
use polars::prelude::*;

pub fn recipe_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recipe")
}

pub fn read_parquet(path: &std::path::Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file).finish().unwrap()
}

pub fn input() -> DataFrame {
    read_parquet(&recipe_dir().join("input.parquet"))
}

pub fn recipe(json: &str) -> Recipe {
    Recipe::from_json(json).unwrap()
}

/// Names of the reference cases (files `NAME.recipe.json` with `NAME.expected.parquet`).
pub fn case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(recipe_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".recipe.json").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// A frame of `rows` rows built from arithmetic on the row number (no randomness), with nulls,
/// text with stray whitespace, outliers and repeats.
pub fn synthetic(rows: usize) -> DataFrame {
    let ids: Vec<i64> = (0..rows as i64).collect();
    let amount: Vec<Option<f64>> = (0..rows)
        .map(|i| {
            if i % 17 == 0 {
                None
            } else if i % 101 == 0 {
                Some(10_000.0 + i as f64)
            } else {
                Some(((i * 7919) % 1000) as f64 / 10.0)
            }
        })
        .collect();
    let qty: Vec<Option<i64>> = (0..rows)
        .map(|i| (i % 13 != 0).then_some((i % 9) as i64))
        .collect();
    let cities = ["Paris", " Lyon", "Nice ", "lille", "Brest", "Metz"];
    let city: Vec<Option<&str>> = (0..rows)
        .map(|i| (i % 11 != 0).then(|| cities[(i * 31) % cities.len()]))
        .collect();
    let flag: Vec<Option<bool>> = (0..rows)
        .map(|i| (i % 7 != 0).then_some(i % 3 == 0))
        .collect();
    df!(
        "id" => ids,
        "amount" => amount,
        "qty" => qty,
        "city" => city,
        "flag" => flag,
    )
    .unwrap()
}
