//! `ida parse` as a user runs it: exit codes, the schema table, rows as JSON, written files.

use std::path::PathBuf;
use std::process::Output;

use crate::invocation::{ida, repo_path};

fn fixture(name: &str) -> PathBuf {
    repo_path("shared/data/tests/fixtures/read").join(name)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A fresh folder for one test's outputs.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ida-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn parse_prints_the_schema_table() {
    let output = ida(&["parse", fixture("semicolon.csv").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with("csv, utf-8, delimiter ';', header, 3 rows, 3 columns"));
    assert_eq!(lines[1], "name   type     semantic          nulls  invalid");
    assert_eq!(lines[2], "name   string   -                     0        0");
    assert_eq!(lines[3], "price  float    formatted_number      0        0");
    assert_eq!(lines[4], "qty    integer  -                     0        0");
}

#[test]
fn rows_json_prints_typed_values_in_column_order() {
    let output = ida(&[
        "parse",
        fixture("book.xlsx").to_str().unwrap(),
        "--rows",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = &rows[0];
    assert_eq!(first["id"], serde_json::json!(1));
    assert_eq!(first["amount"], serde_json::json!(1234.5));
    assert_eq!(first["day"], serde_json::json!("2024-01-02"));
    assert_eq!(first["stamp"], serde_json::json!("2024-01-02T10:30:00"));
    assert_eq!(first["code"], serde_json::json!("001"));
    assert_eq!(first["paid"], serde_json::json!(true));
    assert_eq!(rows[3]["amount"], serde_json::Value::Null);
    assert_eq!(rows.as_array().unwrap().len(), 4);
    // Keys keep the column order of the file.
    let first_line = text.lines().nth(1).unwrap();
    assert!(
        first_line
            .trim_start()
            .starts_with("{\"id\": 1, \"region\": \"north\"")
    );
}

#[test]
fn out_and_schema_out_write_parquet_and_schema_json() {
    let dir = scratch("out");
    let parquet = dir.join("data.parquet");
    let schema = dir.join("schema.json");
    let output = ida(&[
        "parse",
        fixture("records.json").to_str().unwrap(),
        "--out",
        parquet.to_str().unwrap(),
        "--schema-out",
        schema.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bytes = std::fs::read(&parquet).unwrap();
    assert!(bytes.starts_with(b"PAR1"));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema).unwrap()).unwrap();
    assert_eq!(written["schema_version"], 1);
    assert_eq!(written["row_count"], 3);
    assert_eq!(written["columns"][0]["name"], "id");
    assert_eq!(written["columns"][0]["logical_type"], "integer");

    // The Parquet output reads back as it is, with the same types.
    let again = ida(&["parse", parquet.to_str().unwrap(), "--rows", "json"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(rows[0]["id"], 1);
    assert_eq!(rows[0]["address.city"], "Lyon");
    assert_eq!(rows[1]["ok"], false);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_input_exits_2_with_one_error_line() {
    let cases = [
        (
            vec!["ragged.csv"],
            "error[ragged_row]: ",
            "line 3: expected 3 fields, found 2",
        ),
        (
            vec!["unterminated.csv"],
            "error[unterminated_quote]: ",
            "line 3",
        ),
        (
            vec!["empty.csv"],
            "error[empty_input]: ",
            "the file is empty",
        ),
        (
            vec!["book.xlsx", "--input-format", "csv"],
            "error[format_mismatch]: ",
            "declared as csv but the bytes are an xlsx workbook",
        ),
        (
            vec!["book.xlsx", "--sheet", "Nope"],
            "error[sheet_not_found]: ",
            "sheets are: Notes, Sales, Other",
        ),
        (
            vec!["no_such_file.csv"],
            "error[io_error]: ",
            "no_such_file.csv",
        ),
    ];
    for (args, prefix, detail) in cases {
        let file = fixture(args[0]);
        let mut all = vec!["parse", file.to_str().unwrap()];
        all.extend(&args[1..]);
        let output = ida(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.starts_with(prefix), "{message}");
        assert!(message.contains(detail), "{message}");
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn sheet_and_reading_options_are_passed_through() {
    let output = ida(&[
        "parse",
        fixture("book.xlsx").to_str().unwrap(),
        "--sheet",
        "Other",
        "--rows",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{"key": "x", "value": 1}, {"key": "y", "value": 2}])
    );

    let output = ida(&[
        "parse",
        fixture("ragged.csv").to_str().unwrap(),
        "--ragged-rows",
        "skip",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .lines()
            .next()
            .unwrap()
            .contains("2 rows skipped")
    );
}
