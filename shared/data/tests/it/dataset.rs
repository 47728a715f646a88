//! read -> infer -> Parquet and schema.json on fixtures.

use ida_data::dataset::{read_path, schema_json, write_parquet};
use ida_data::read::ReadOptions;
use ida_data::schema::LogicalType;

use crate::fixtures::path;

#[test]
fn workbook_columns_get_their_types() {
    let dataset = read_path(&path("book.xlsx"), &ReadOptions::default()).unwrap();
    let types: Vec<(String, LogicalType)> = dataset
        .schema
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.logical_type))
        .collect();
    let expected = [
        ("id", LogicalType::Integer),
        ("region", LogicalType::String),
        ("amount", LogicalType::Float),
        ("day", LogicalType::Date),
        ("stamp", LogicalType::Datetime),
        ("double", LogicalType::Float),
        ("ratio", LogicalType::Float),
        ("code", LogicalType::String),
        ("paid", LogicalType::Boolean),
    ];
    let expected: Vec<(String, LogicalType)> = expected
        .iter()
        .map(|(n, t)| ((*n).to_owned(), *t))
        .collect();
    assert_eq!(types, expected);
    assert_eq!(dataset.schema.row_count, 4);
}

#[test]
fn the_same_input_gives_the_same_parquet_and_schema_bytes() {
    let first = read_path(&path("records.json"), &ReadOptions::default()).unwrap();
    let second = read_path(&path("records.json"), &ReadOptions::default()).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    write_parquet(&first.frame, &mut a).unwrap();
    write_parquet(&second.frame, &mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        schema_json(&first.schema).unwrap(),
        schema_json(&second.schema).unwrap()
    );
    assert!(a.starts_with(b"PAR1") && a.ends_with(b"PAR1"));
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = read_path(&path("no_such_file.csv"), &ReadOptions::default()).unwrap_err();
    assert_eq!(err.code(), "io_error");
    assert!(err.to_string().contains("no_such_file.csv"), "{err}");
}
