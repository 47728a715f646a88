//! Workbooks on fixture files: sheet choice, title and header rows, cached formulas, dates,
//! error cells, numbers as text, archive limits.

use ida_data::read::{
    InputFormat, ReadLimits, ReadOptions, SheetChoice, check_workbook_archive, resolve_format,
    sheet_names,
};

use crate::fixtures::{bytes, column, error_with, names, raw, raw_with, s};

#[test]
fn the_first_non_empty_sheet_is_read_below_its_title() {
    let table = raw("book.xlsx");
    assert_eq!(table.report.sheet.as_deref(), Some("Sales"));
    assert_eq!(table.report.sheets, ["Notes", "Sales", "Other"]);
    assert_eq!(
        names(&table.frame),
        [
            "id", "region", "amount", "day", "stamp", "double", "ratio", "code", "paid"
        ]
    );
    assert_eq!(table.frame.height(), 4);
    assert_eq!(table.report.blank_lines_skipped, 2);
    assert!(table.report.notes.iter().any(|n| n.contains("title")));
}

#[test]
fn cells_become_text_the_way_inference_expects() {
    let frame = raw("book.xlsx").frame;
    assert_eq!(column(&frame, "id"), [s("1"), s("2"), s("3"), s("4")]);
    assert_eq!(
        column(&frame, "amount"),
        [s("1234.5"), s("0.3"), s("-7"), None]
    );
    assert_eq!(
        column(&frame, "day"),
        [s("2024-01-02"), s("2024-02-29"), s("1999-12-31"), None]
    );
    assert_eq!(
        column(&frame, "stamp"),
        [
            s("2024-01-02T10:30:00"),
            s("2024-02-29"),
            s("1999-12-31T23:59:59"),
            None
        ]
    );
    // Cached formula results, not the formulas.
    assert_eq!(
        column(&frame, "double"),
        [s("2469"), s("0.6000000000000001"), s("-14"), None]
    );
    assert_eq!(
        column(&frame, "ratio"),
        [s("0.1"), s("0.25"), s("0.0000001"), None]
    );
    assert_eq!(column(&frame, "code"), [s("001"), s("002"), s("010"), None]);
    assert_eq!(
        column(&frame, "paid"),
        [s("true"), s("false"), s("true"), None]
    );
}

#[test]
fn error_cells_are_nulls_and_counted() {
    let table = raw("book.xlsx");
    assert_eq!(table.report.error_cells, 2);
    assert_eq!(column(&table.frame, "region")[3], s("west"));
}

#[test]
fn sheets_are_chosen_by_name_or_index() {
    for choice in [SheetChoice::Name("Other".to_owned()), SheetChoice::Index(2)] {
        let table = raw_with(
            "book.xlsx",
            &ReadOptions {
                sheet: Some(choice),
                ..ReadOptions::default()
            },
        );
        assert_eq!(column(&table.frame, "value"), [s("1"), s("2")]);
    }
    let err = error_with(
        "book.xlsx",
        &ReadOptions {
            sheet: Some(SheetChoice::Name("Missing".to_owned())),
            ..ReadOptions::default()
        },
    );
    assert_eq!(err.code(), "sheet_not_found");
    assert!(err.to_string().contains("Notes, Sales, Other"), "{err}");
    let listed = sheet_names(&bytes("book.xlsx"), "book.xlsx", &ReadOptions::default()).unwrap();
    assert_eq!(listed, ["Notes", "Sales", "Other"]);
}

#[test]
fn a_sheet_of_numbers_has_no_header() {
    let table = raw("no_header.xlsx");
    assert!(!table.report.header_detected);
    assert_eq!(
        column(&table.frame, "column_2"),
        [s("1.5"), s("3"), s("4.5")]
    );
}

#[test]
fn ods_is_read_through_the_same_path() {
    let table = raw("small.ods");
    assert_eq!(names(&table.frame), ["name", "qty"]);
    assert_eq!(column(&table.frame, "qty"), [s("12"), s("2.5")]);
}

#[test]
fn an_archive_that_inflates_past_the_limit_is_refused_before_parsing() {
    let options = ReadOptions {
        limits: ReadLimits {
            max_uncompressed_bytes: 1024 * 1024,
            ..ReadLimits::default()
        },
        ..ReadOptions::default()
    };
    let err = error_with("bomb.xlsx", &options);
    assert_eq!(err.code(), "archive_limit");
    let options = ReadOptions {
        limits: ReadLimits {
            max_archive_entries: 1,
            ..ReadLimits::default()
        },
        ..ReadOptions::default()
    };
    assert_eq!(error_with("book.xlsx", &options).code(), "archive_limit");
}

#[test]
fn upload_checks_run_without_parsing() {
    let book = bytes("book.xlsx");
    assert_eq!(
        resolve_format(&book, "book.xlsx", None).unwrap(),
        InputFormat::Xlsx
    );
    assert_eq!(
        resolve_format(&book, "book.xlsx", Some(InputFormat::Json))
            .unwrap_err()
            .code(),
        "format_mismatch"
    );
    check_workbook_archive(&book, "book.xlsx", &ReadLimits::default()).unwrap();
    let small = ReadLimits {
        max_uncompressed_bytes: 1024 * 1024,
        ..ReadLimits::default()
    };
    let err = check_workbook_archive(&bytes("bomb.xlsx"), "bomb.xlsx", &small).unwrap_err();
    assert_eq!(err.code(), "archive_limit");
    assert!(
        err.to_string().contains("4194315 bytes once decompressed"),
        "{err}"
    );
    // A directory that understates the size: the entry is read only up to its declared size,
    // whose checksum then fails, so the bomb never expands.
    let err =
        check_workbook_archive(&bytes("lying_bomb.xlsx"), "lying_bomb.xlsx", &small).unwrap_err();
    assert_eq!(err.code(), "corrupt_workbook");
    assert!(
        err.to_string().contains("entry xl/worksheets/sheet1.xml"),
        "{err}"
    );
}
