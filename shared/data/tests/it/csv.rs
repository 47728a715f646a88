//! Delimited text on fixture files: dialect, quoting, encodings, line ends, names, ragged rows.

use ida_data::read::{HeaderMode, Quoting, RaggedRows, ReadOptions, TextEncoding, read_bytes};
use polars::prelude::DataType;

use crate::fixtures::{column, error_with, names, raw, raw_with, s};

#[test]
fn every_column_is_text_and_rfc4180_quoting_is_honoured() {
    let table = raw("quoted.csv");
    assert!(table.frame.dtypes().iter().all(|t| *t == DataType::String));
    assert_eq!(names(&table.frame), ["id", "name", "comment"]);
    assert_eq!(
        column(&table.frame, "name"),
        [s("Smith, Ann"), s("Bob"), s("")]
    );
    assert_eq!(
        column(&table.frame, "comment"),
        [s("said \"hi\""), s("two\nlines"), s("plain")]
    );
    assert_eq!(table.report.rows, 3);
    assert_eq!(table.report.delimiter, Some(','));
    assert!(table.report.header_detected);
}

#[test]
fn empty_cells_stay_empty_strings() {
    let table = raw("empty_cells.csv");
    assert_eq!(column(&table.frame, "a"), [s("1"), s("")]);
    assert_eq!(column(&table.frame, "c"), [s(""), s("")]);
}

#[test]
fn delimiters_are_sniffed() {
    let table = raw("semicolon.csv");
    assert_eq!(table.report.delimiter, Some(';'));
    assert_eq!(
        column(&table.frame, "price"),
        [s("1,50"), s("2,25"), s("0,75")]
    );
    assert_eq!(raw("pipe.csv").report.delimiter, Some('|'));
    let tsv = raw("tabs.tsv");
    assert_eq!(tsv.report.delimiter, Some('\t'));
    assert_eq!(column(&tsv.frame, "population"), [s("522250"), s("320732")]);
}

#[test]
fn a_file_of_values_has_no_header() {
    let table = raw("no_header.csv");
    assert!(!table.report.header_detected);
    assert_eq!(names(&table.frame), ["column_1", "column_2", "column_3"]);
    assert_eq!(table.frame.height(), 3);
    let forced = raw_with(
        "no_header.csv",
        &ReadOptions {
            header: HeaderMode::Present,
            ..ReadOptions::default()
        },
    );
    assert_eq!(names(&forced.frame), ["1", "2.5", "2024-01-02"]);
    assert_eq!(forced.frame.height(), 2);
}

#[test]
fn encodings_are_decoded_and_reported() {
    for (file, encoding) in [
        ("bom_utf8.csv", "utf-8-bom"),
        ("utf16le.csv", "utf-16le"),
        ("utf16be.csv", "utf-16be"),
    ] {
        let table = raw(file);
        assert_eq!(table.report.encoding.as_deref(), Some(encoding), "{file}");
        assert_eq!(names(&table.frame), ["name", "city"], "{file}");
        assert_eq!(column(&table.frame, "city"), [s("São Paulo")], "{file}");
        assert_eq!(column(&table.frame, "name"), [s("Zoé")], "{file}");
    }
    let latin = raw("latin1.csv");
    assert_eq!(latin.report.encoding.as_deref(), Some("windows-1252"));
    assert_eq!(column(&latin.frame, "name"), [s("café"), s("naïve")]);
    assert_eq!(column(&latin.frame, "price"), [s("3€"), s("4€")]);
    assert!(
        latin
            .report
            .notes
            .iter()
            .any(|n| n.contains("Windows-1252"))
    );
}

#[test]
fn strict_utf8_refuses_latin1_bytes_with_their_line() {
    let err = error_with(
        "latin1.csv",
        &ReadOptions {
            encoding: TextEncoding::Utf8,
            ..ReadOptions::default()
        },
    );
    assert_eq!(err.code(), "invalid_encoding");
    assert!(err.to_string().contains("latin1.csv: line 2"), "{err}");
}

#[test]
fn line_ends_lf_crlf_and_cr_read_the_same() {
    for (file, ending) in [("crlf.csv", "crlf"), ("cr.csv", "cr")] {
        let table = raw(file);
        assert_eq!(table.report.line_ending.as_deref(), Some(ending));
        assert_eq!(column(&table.frame, "b"), [s("2"), s("4")], "{file}");
    }
}

#[test]
fn blank_lines_are_skipped_and_counted() {
    let table = raw("blank_lines.csv");
    assert_eq!(column(&table.frame, "a"), [s("1"), s("3")]);
    assert_eq!(table.report.blank_lines_skipped, 4);
}

#[test]
fn trailing_delimiters_do_not_make_columns() {
    let table = raw("trailing_delimiter.csv");
    assert_eq!(names(&table.frame), ["a", "b"]);
    assert_eq!(column(&table.frame, "b"), [s("2"), s("4")]);
    let table = raw("trailing_delimiter_rows.csv");
    assert_eq!(names(&table.frame), ["a", "b"]);
    assert_eq!(column(&table.frame, "b"), [s("2"), s("4")]);
    assert_eq!(table.report.notes.len(), 1);
}

#[test]
fn empty_and_duplicate_header_names_are_made_unique() {
    let table = raw("duplicate_headers.csv");
    assert_eq!(
        names(&table.frame),
        ["amount", "amount_2", "column_3", "amount_3"]
    );
    assert_eq!(column(&table.frame, "amount_3"), [s("4")]);
}

#[test]
fn ragged_rows_are_an_error_naming_the_line() {
    let err = error_with("ragged.csv", &ReadOptions::default());
    assert_eq!(err.code(), "ragged_row");
    assert_eq!(
        err.to_string(),
        "ragged.csv: line 3: expected 3 fields, found 2"
    );
}

#[test]
fn ragged_rows_can_be_skipped_and_counted() {
    let table = raw_with(
        "ragged.csv",
        &ReadOptions {
            ragged_rows: RaggedRows::Skip,
            ..ReadOptions::default()
        },
    );
    assert_eq!(column(&table.frame, "a"), [s("1"), s("6")]);
    assert_eq!(table.report.rows_skipped, 2);
}

#[test]
fn short_rows_can_be_padded_but_long_rows_still_fail() {
    let options = ReadOptions {
        ragged_rows: RaggedRows::Pad,
        ..ReadOptions::default()
    };
    let err = error_with("ragged.csv", &options);
    assert_eq!(
        err.to_string(),
        "ragged.csv: line 5: expected 3 fields, found 4"
    );
    let bytes = b"a,b,c\n1,2,3\n4,5\n6\n";
    let table = match ida_data::read::read_bytes(bytes, "short.csv", &options).unwrap() {
        ida_data::read::ReadOutput::Raw(raw) => raw,
        ida_data::read::ReadOutput::Typed { .. } => unreachable!(),
    };
    assert_eq!(column(&table.frame, "b"), [s("2"), s("5"), None]);
    assert_eq!(column(&table.frame, "c"), [s("3"), None, None]);
    assert_eq!(table.report.rows_padded, 2);
}

#[test]
fn stray_quotes_are_refused_unless_quoting_is_off() {
    let text = b"item\tsize\nscreen\t27\" wide\ncable\t\"2 m\"\n";
    let err = read_bytes(text, "sizes.tsv", &ReadOptions::default()).unwrap_err();
    assert_eq!(err.code(), "invalid_quote");
    assert_eq!(
        err.to_string(),
        "sizes.tsv: line 2, column 2: a quote inside an unquoted field or text after a closing quote"
    );
    let options = ReadOptions {
        quoting: Quoting::None,
        ..ReadOptions::default()
    };
    let ida_data::read::ReadOutput::Raw(table) = read_bytes(text, "sizes.tsv", &options).unwrap()
    else {
        panic!("text read as a typed frame");
    };
    assert_eq!(column(&table.frame, "size"), [s("27\" wide"), s("\"2 m\"")]);
}

/// Found by the property tests: the parser read a quote run ending in text as a different number
/// of rows than the pre-scan, and failed as an engine error.
#[test]
fn text_after_a_closing_quote_is_refused_before_the_parser() {
    let err = read_bytes(
        b"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"0",
        "q.csv",
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_quote");
    let err = read_bytes(b"a,b\n\"x\" y,2\n", "q.csv", &ReadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "q.csv: line 2, column 1: a quote inside an unquoted field or text after a closing quote"
    );
}
