//! Properties over generated input: no reader panics on arbitrary or damaged bytes (each gives a
//! table that keeps the contract, or a typed error), and CSV written by the RFC round-trips.

use std::collections::HashSet;

use ida_data::read::{
    HeaderMode, InputFormat, Quoting, RaggedRows, ReadOptions, ReadOutput, read_bytes,
};
use polars::prelude::DataType;
use proptest::prelude::*;

use crate::fixtures::{bytes, column};

const FORMATS: [Option<InputFormat>; 10] = [
    None,
    Some(InputFormat::Csv),
    Some(InputFormat::Tsv),
    Some(InputFormat::Xlsx),
    Some(InputFormat::Xls),
    Some(InputFormat::Ods),
    Some(InputFormat::Json),
    Some(InputFormat::Ndjson),
    Some(InputFormat::Parquet),
    Some(InputFormat::Xlsb),
];

/// Reads with every declared format and checks the contract of whatever comes back.
fn read_everything(data: &[u8]) -> Result<(), TestCaseError> {
    let unquoted = ReadOptions {
        quoting: Quoting::None,
        ragged_rows: RaggedRows::Pad,
        ..ReadOptions::default()
    };
    let declared = FORMATS.into_iter().map(|format| ReadOptions {
        format,
        ..ReadOptions::default()
    });
    for options in declared.chain([unquoted]) {
        match read_bytes(data, "input", &options) {
            Ok(ReadOutput::Raw(raw)) => {
                prop_assert!(raw.frame.dtypes().iter().all(|t| *t == DataType::String));
                let names: HashSet<String> = raw
                    .frame
                    .get_column_names()
                    .iter()
                    .map(|n| n.to_string())
                    .collect();
                prop_assert_eq!(names.len(), raw.frame.width());
                prop_assert_eq!(raw.report.rows, raw.frame.height() as u64);
            }
            Ok(ReadOutput::Typed { frame, report }) => {
                prop_assert_eq!(report.rows, frame.height() as u64);
            }
            Err(error) => {
                // Every failure is a typed error with a stable code, never an engine fault.
                prop_assert!(error.is_invalid_input(), "{}: {}", error.code(), error);
            }
        }
    }
    Ok(())
}

/// A damaged copy of `base`: some bytes overwritten, maybe cut short.
fn mutated(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    (
        proptest::collection::vec((0..len.max(1), any::<u8>()), 1..8),
        proptest::option::of(0..len.max(1)),
    )
        .prop_map(move |(edits, cut)| {
            let mut data = base.clone();
            for (at, byte) in edits {
                if let Some(slot) = data.get_mut(at) {
                    *slot = byte;
                }
            }
            if let Some(cut) = cut {
                data.truncate(cut);
            }
            data
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        read_everything(&data)?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[a-c,;\"\\n\\r\\t| {}\\[\\]:0-9]{0,200}") {
        read_everything(text.as_bytes())?;
    }

    #[test]
    fn damaged_csv_never_panics(data in mutated(bytes("quoted.csv"))) {
        read_everything(&data)?;
    }

    #[test]
    fn damaged_json_never_panics(data in mutated(bytes("records.json"))) {
        read_everything(&data)?;
    }

    #[test]
    fn damaged_ndjson_never_panics(data in mutated(bytes("records.ndjson"))) {
        read_everything(&data)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn damaged_xlsx_never_panics(data in mutated(bytes("book.xlsx"))) {
        read_everything(&data)?;
    }

    #[test]
    fn damaged_ods_never_panics(data in mutated(bytes("small.ods"))) {
        read_everything(&data)?;
    }
}

fn quote(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Cells with delimiters, quotes and line breaks survive a write in RFC 4180 and a read.
    #[test]
    fn rfc4180_csv_round_trips(
        rows in proptest::collection::vec(
            proptest::collection::vec("[a-z0-9 ,;|\"\\né€]{0,12}", 3),
            1..20,
        )
    ) {
        let mut text = String::from("c0,c1,c2\n");
        for row in &rows {
            let cells: Vec<String> = row.iter().map(|c| quote(c)).collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        let options = ReadOptions {
            header: HeaderMode::Present,
            delimiter: Some(b','),
            ..ReadOptions::default()
        };
        let ReadOutput::Raw(raw) = read_bytes(text.as_bytes(), "gen.csv", &options).unwrap() else {
            panic!("text read as a typed frame");
        };
        prop_assert_eq!(raw.frame.height(), rows.len());
        for (index, name) in ["c0", "c1", "c2"].iter().enumerate() {
            let expected: Vec<Option<String>> =
                rows.iter().map(|row| Some(row[index].clone())).collect();
            prop_assert_eq!(column(&raw.frame, name), expected);
        }
    }
}
