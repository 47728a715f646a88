//! Bad input of every kind: each gives its typed error with a stable code and names the place.

use ida_data::read::{InputFormat, ReadLimits, ReadOptions, read_bytes};

use crate::fixtures::error_with;

fn declared(format: InputFormat) -> ReadOptions {
    ReadOptions {
        format: Some(format),
        ..ReadOptions::default()
    }
}

#[test]
fn each_bad_fixture_has_its_code_and_place() {
    let cases = [
        ("empty.csv", "empty_input", "empty.csv: the file is empty"),
        ("blank_only.csv", "empty_input", "blank_only.csv"),
        ("binary.csv", "binary_input", "binary.csv"),
        (
            "unterminated.csv",
            "unterminated_quote",
            "unterminated.csv: line 3",
        ),
        ("ragged.csv", "ragged_row", "ragged.csv: line 3"),
        (
            "undefined_bytes.csv",
            "invalid_encoding",
            "undefined_bytes.csv: line 3",
        ),
        ("truncated.xlsx", "corrupt_workbook", "truncated.xlsx"),
        ("archive.zip", "unsupported_format", "archive.zip"),
        (
            "not_object.ndjson",
            "json_not_object",
            "not_object.ndjson: line 3: record 3",
        ),
        (
            "broken.json",
            "invalid_json",
            "broken.json: line 2, column 11",
        ),
    ];
    for (file, code, place) in cases {
        let err = error_with(file, &ReadOptions::default());
        assert_eq!(err.code(), code, "{file}: {err}");
        assert!(err.to_string().contains(place), "{file}: {err}");
        assert!(err.is_invalid_input(), "{file}");
    }
}

#[test]
fn a_declared_format_that_does_not_match_the_bytes_is_an_error() {
    for (file, format) in [
        ("book.xlsx", InputFormat::Csv),
        ("quoted.csv", InputFormat::Xlsx),
        ("quoted.csv", InputFormat::Parquet),
        ("records.json", InputFormat::Ndjson),
        ("records.ndjson", InputFormat::Json),
        ("small.ods", InputFormat::Xlsx),
    ] {
        let err = error_with(file, &declared(format));
        assert_eq!(err.code(), "format_mismatch", "{file} as {format}: {err}");
        assert!(
            err.to_string().contains(&format!("declared as {format}")),
            "{err}"
        );
    }
}

#[test]
fn too_many_columns_and_oversized_cells_are_refused() {
    let limits = ReadLimits {
        max_columns: 3,
        max_cell_bytes: 8,
        ..ReadLimits::default()
    };
    let options = ReadOptions {
        limits,
        ..ReadOptions::default()
    };
    let err = read_bytes(b"a,b,c,d\n1,2,3,4\n", "wide.csv", &options).unwrap_err();
    assert_eq!(err.code(), "too_many_columns");
    let err = read_bytes(b"a,b\n1,123456789\n", "big.csv", &options).unwrap_err();
    assert_eq!(err.code(), "cell_too_large");
    assert_eq!(
        err.to_string(),
        "big.csv: line 2, column 2: a cell of more than 8 bytes"
    );
    let err = read_bytes(b"[{\"a\": \"123456789\"}]", "big.json", &options).unwrap_err();
    assert_eq!(err.code(), "cell_too_large");
    assert!(err.to_string().contains("record 1, field a"), "{err}");
    let err = read_bytes(
        b"{\"a\":1,\"b\":2,\"c\":3,\"d\":4}",
        "wide.ndjson",
        &options,
    )
    .unwrap_err();
    assert_eq!(err.code(), "too_many_columns");
}

#[test]
fn the_default_column_limit_is_ten_thousand() {
    let header: Vec<String> = (0..10_001).map(|i| format!("c{i}")).collect();
    let text = format!("{}\n", header.join(","));
    let err = read_bytes(text.as_bytes(), "wide.csv", &ReadOptions::default()).unwrap_err();
    assert_eq!(err.code(), "too_many_columns");
    assert!(err.to_string().contains("10001 columns"), "{err}");
}

#[test]
fn corrupt_parquet_is_a_typed_error() {
    let err = read_bytes(
        b"PAR1 this is not parquet",
        "x.parquet",
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "corrupt_parquet");
}

#[test]
fn a_delimiter_that_cannot_separate_fields_is_an_invalid_option() {
    for delimiter in [b'"', b'\n', b'\r', 0xE9] {
        let options = ReadOptions {
            delimiter: Some(delimiter),
            ..ReadOptions::default()
        };
        let err = read_bytes(b"a,b\n1,2\n", "x.csv", &options).unwrap_err();
        assert_eq!(err.code(), "invalid_option");
    }
}
