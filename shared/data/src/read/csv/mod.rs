//! Delimited text (CSV, TSV): decode to UTF-8, sniff the dialect, pre-scan for errors that need
//! a line number, then parse with polars' multi-threaded reader with every column as String.
//!
//! The pre-scan and polars follow the same quoting rule, so a file the pre-scan accepts is
//! parsed into exactly the records it counted. Nothing here is a row-by-row loop over the data
//! in Rust objects: rows are only copied when blank lines or skipped rows must be cut out.

mod dialect;
mod scan;

use std::borrow::Cow;
use std::io::Cursor;
use std::sync::Arc;

use polars::prelude::*;

use super::encoding;
use super::names::{positional_names, unique_names};
use super::{HeaderMode, InputFormat, Quoting, RaggedRows, RawTable, ReadOptions, ReadReport};
use crate::error::{DataError, Result};
use scan::{OddRecord, Scan, ScanLimits};

/// Reads delimited text into a [`RawTable`].
pub(super) fn read(
    bytes: &[u8],
    name: &str,
    format: InputFormat,
    options: &ReadOptions,
) -> Result<RawTable> {
    let decoded = encoding::decode(bytes, name, options.encoding)?;
    let mut report = ReadReport::new(format);
    report.encoding = Some(decoded.encoding.to_owned());
    if decoded.encoding == "windows-1252" && options.encoding == super::TextEncoding::Auto {
        report
            .notes
            .push("the bytes are not UTF-8; they were decoded as Windows-1252".to_owned());
    }
    let (text, line_ending) = normalize_line_ends(decoded.text);
    let quote = match options.quoting {
        Quoting::Rfc4180 => Some(b'"'),
        Quoting::None => None,
    };
    report.line_ending = Some(line_ending.to_owned());
    let delimiter = match (options.delimiter, format) {
        (Some(delimiter), _) => delimiter,
        (None, InputFormat::Tsv) => b'\t',
        (None, _) => dialect::sniff_delimiter(&text, quote.is_some()),
    };
    if matches!(delimiter, b'\n' | b'\r') || Some(delimiter) == quote || !delimiter.is_ascii() {
        return Err(DataError::InvalidOption {
            option: "delimiter",
            reason: format!(
                "{:?} cannot separate fields: it must be one ASCII character other than a line end or the quote",
                char::from(delimiter)
            ),
        });
    }
    report.delimiter = Some(char::from(delimiter));

    let limits = ScanLimits {
        max_columns: options.limits.max_columns,
        max_cell_bytes: options.limits.max_cell_bytes,
    };
    let scan = scan::scan(&text, delimiter, quote, limits, name)?;
    if scan.records == 0 {
        return Err(DataError::EmptyInput {
            name: name.to_owned(),
        });
    }
    let plan = plan_odd_records(&scan, options.ragged_rows, name)?;
    report.rows_padded = plan.padded;
    report.rows_skipped = plan.skipped.len() as u64;
    report.blank_lines_skipped = scan.blank.len() as u64;
    if plan.trailing_delimiters > 0 {
        report.notes.push(format!(
            "{} rows end with an extra delimiter; the empty last field was ignored",
            plan.trailing_delimiters
        ));
    }

    let mut cut: Vec<(usize, usize)> = scan.blank.clone();
    cut.extend(plan.skipped.iter().map(|odd| (odd.start, odd.end)));
    let text = cut_ranges(text, cut);

    let sample =
        dialect::sample_records(&text, delimiter, quote.is_some(), dialect::SAMPLE_RECORDS);
    let header = match options.header {
        HeaderMode::Present => true,
        HeaderMode::Absent => false,
        HeaderMode::Detect => dialect::has_header(&sample),
    };
    report.header_detected = header;
    let raw_names: Vec<String> = match (header, sample.first()) {
        (true, Some(first)) if first.len() == scan.expected_fields => first.clone(),
        _ => vec![String::new(); scan.expected_fields],
    };
    let names = if header {
        unique_names(&raw_names)
    } else {
        positional_names(scan.expected_fields)
    };
    let data_rows = scan.records - u64::from(header) - report.rows_skipped;
    report.rows = data_rows;

    let frame = if data_rows == 0 {
        empty_frame(&names)
    } else {
        let frame = parse(
            &text,
            delimiter,
            quote,
            header,
            &names,
            plan.trailing_delimiters > 0,
        )
        .map_err(|error| DataError::MalformedCsv {
            name: name.to_owned(),
            detail: error.to_string(),
        })?;
        null_padded_cells(frame, &plan.padded_records, u64::from(header))?
    };
    let frame = drop_trailing_empty_column(frame, header, &raw_names, &mut report)?;
    if frame.height() as u64 != data_rows {
        return Err(DataError::Engine(polars::error::PolarsError::ComputeError(
            format!(
                "{name}: the parser read {} rows where the pre-scan counted {data_rows}",
                frame.height()
            )
            .into(),
        )));
    }
    Ok(RawTable { frame, report })
}

/// Converts old Mac line ends (`\r` alone) to `\n`; `\r\n` is left to the parser.
fn normalize_line_ends(text: Cow<'_, [u8]>) -> (Cow<'_, [u8]>, &'static str) {
    let first_cr = memchr::memchr(b'\r', &text);
    let first_lf = memchr::memchr(b'\n', &text);
    match (first_cr, first_lf) {
        (Some(cr), Some(lf)) if cr + 1 == lf => (text, "crlf"),
        (Some(cr), lf) if lf.is_none_or(|lf| cr < lf) => {
            let converted: Vec<u8> = text
                .iter()
                .map(|&b| if b == b'\r' { b'\n' } else { b })
                .collect();
            (Cow::Owned(converted), "cr")
        }
        _ => (text, "lf"),
    }
}

/// What to do with the records whose field count differs from the first record's.
struct OddPlan {
    padded: u64,
    padded_records: Vec<OddRecord>,
    trailing_delimiters: u64,
    skipped: Vec<OddRecord>,
}

fn plan_odd_records(scan: &Scan, policy: RaggedRows, name: &str) -> Result<OddPlan> {
    let mut plan = OddPlan {
        padded: 0,
        padded_records: Vec::new(),
        trailing_delimiters: 0,
        skipped: Vec::new(),
    };
    let expected = scan.expected_fields;
    for odd in &scan.odd {
        if odd.fields == expected + 1 && odd.trailing_empty {
            plan.trailing_delimiters += 1;
            continue;
        }
        match (policy, odd.fields < expected) {
            (RaggedRows::Skip, _) => plan.skipped.push(*odd),
            (RaggedRows::Pad, true) => {
                plan.padded += 1;
                plan.padded_records.push(*odd);
            }
            (RaggedRows::Pad | RaggedRows::Error, _) => {
                return Err(DataError::RaggedRow {
                    name: name.to_owned(),
                    line: odd.line,
                    expected,
                    found: odd.fields,
                });
            }
        }
    }
    Ok(plan)
}

/// Removes byte ranges (sorted or not, never overlapping) from the text; borrows when none.
fn cut_ranges(text: Cow<'_, [u8]>, mut cut: Vec<(usize, usize)>) -> Cow<'_, [u8]> {
    if cut.is_empty() {
        return text;
    }
    cut.sort_unstable();
    // Ranges at the very end only shorten the slice.
    let mut end = text.len();
    while let Some(&(start, stop)) = cut.last() {
        if stop == end {
            end = start;
            cut.pop();
        } else {
            break;
        }
    }
    if cut.is_empty() {
        return match text {
            Cow::Borrowed(slice) => Cow::Borrowed(slice.get(..end).unwrap_or(slice)),
            Cow::Owned(mut owned) => {
                owned.truncate(end);
                Cow::Owned(owned)
            }
        };
    }
    let mut kept = Vec::with_capacity(end);
    let mut from = 0usize;
    for (start, stop) in cut {
        kept.extend_from_slice(text.get(from..start).unwrap_or_default());
        from = stop;
    }
    kept.extend_from_slice(text.get(from..end).unwrap_or_default());
    Cow::Owned(kept)
}

fn string_schema(names: &[String]) -> Schema {
    names
        .iter()
        .map(|name| Field::new(name.as_str().into(), DataType::String))
        .collect()
}

fn empty_frame(names: &[String]) -> DataFrame {
    DataFrame::empty_with_schema(&string_schema(names))
}

/// The parser pads a short row with empty strings; a cell the row does not have is missing,
/// so it becomes null. Rows are only padded (never skipped) in this mode, so a record's data row
/// is its position minus the header.
fn null_padded_cells(frame: DataFrame, padded: &[OddRecord], header: u64) -> Result<DataFrame> {
    if padded.is_empty() {
        return Ok(frame);
    }
    let mut columns = frame.into_columns();
    for (index, column) in columns.iter_mut().enumerate() {
        let rows: Vec<IdxSize> = padded
            .iter()
            .filter(|odd| odd.fields <= index)
            .filter_map(|odd| IdxSize::try_from(odd.record.saturating_sub(header)).ok())
            .collect();
        if rows.is_empty() {
            continue;
        }
        let nulled = column.str()?.scatter_single(rows, None)?;
        *column = nulled.into_column();
    }
    Ok(DataFrame::new_infer_height(columns)?)
}

fn parse(
    text: &[u8],
    delimiter: u8,
    quote: Option<u8>,
    header: bool,
    names: &[String],
    truncate_ragged: bool,
) -> Result<DataFrame> {
    let schema = Arc::new(string_schema(names));
    let frame = CsvReadOptions::default()
        .with_has_header(header)
        .with_schema(Some(schema))
        .with_raise_if_empty(false)
        .map_parse_options(|parse| {
            parse
                .with_separator(delimiter)
                .with_quote_char(quote)
                .with_eol_char(b'\n')
                .with_missing_is_null(false)
                .with_truncate_ragged_lines(truncate_ragged)
        })
        .into_reader_with_file_handle(Cursor::new(text))
        .finish()?;
    Ok(frame)
}

/// A delimiter at the end of every line (header included) makes a last column with no name
/// and no values: it is not data, so it is dropped and noted.
fn drop_trailing_empty_column(
    frame: DataFrame,
    header: bool,
    raw_names: &[String],
    report: &mut ReadReport,
) -> Result<DataFrame> {
    let unnamed = !header || raw_names.last().is_some_and(|n| n.trim().is_empty());
    if frame.width() < 2 || !unnamed {
        return Ok(frame);
    }
    let Some(last) = frame.columns().last() else {
        return Ok(frame);
    };
    let values = last.str()?;
    let all_empty = values.iter().all(|value| value.is_none_or(str::is_empty));
    if !all_empty || (frame.height() == 0 && !header) {
        return Ok(frame);
    }
    let name = last.name().clone();
    report
        .notes
        .push("every line ends with a delimiter; the empty last column was dropped".to_owned());
    Ok(frame.drop(name.as_str())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_cr_line_ends_become_lf() {
        let (text, ending) = normalize_line_ends(Cow::Borrowed(b"a,b\r1,2\r"));
        assert_eq!(text.as_ref(), b"a,b\n1,2\n");
        assert_eq!(ending, "cr");
        let (_, ending) = normalize_line_ends(Cow::Borrowed(b"a\r\nb"));
        assert_eq!(ending, "crlf");
    }

    #[test]
    fn cut_ranges_removes_middle_and_trailing_ranges() {
        let text = Cow::Borrowed(&b"a\n\nb\nc\n\n"[..]);
        let cut = cut_ranges(text, vec![(7, 8), (2, 3)]);
        assert_eq!(cut.as_ref(), b"a\nb\nc\n");
        let text = Cow::Borrowed(&b"a\nb\n\n"[..]);
        assert!(matches!(
            cut_ranges(text, vec![(4, 5)]),
            Cow::Borrowed(b"a\nb\n")
        ));
    }
}
