//! JSON arrays and JSON Lines on fixture files.

use crate::fixtures::{column, names, raw, s};

#[test]
fn array_of_objects_flattens_and_unions_keys() {
    let table = raw("records.json");
    assert_eq!(
        names(&table.frame),
        [
            "id",
            "name",
            "address.city",
            "address.zip",
            "tags",
            "big",
            "ok",
            "score",
            "extra.deep.er"
        ]
    );
    assert_eq!(column(&table.frame, "name"), [s("Ann"), None, None]);
    assert_eq!(
        column(&table.frame, "tags"),
        [s("[\"a\",\"b\"]"), None, None]
    );
    assert_eq!(
        column(&table.frame, "big"),
        [s("123456789012345678901234567890"), None, None]
    );
    assert_eq!(column(&table.frame, "ok"), [s("true"), s("false"), None]);
    assert_eq!(column(&table.frame, "score"), [None, s("1.50"), None]);
    assert_eq!(column(&table.frame, "extra.deep.er"), [None, None, s("7")]);
}

#[test]
fn json_lines_skip_blank_lines() {
    let table = raw("records.ndjson");
    assert_eq!(names(&table.frame), ["id", "name", "address.city", "when"]);
    assert_eq!(column(&table.frame, "address.city"), [s("Lyon"), None]);
    assert_eq!(column(&table.frame, "when"), [None, s("2024-01-02")]);
}

#[test]
fn an_empty_array_is_empty_input() {
    let err = ida_data::read::read_bytes(
        b" [ ] ",
        "none.json",
        &ida_data::read::ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "empty_input");
}
