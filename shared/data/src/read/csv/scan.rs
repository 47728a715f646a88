//! The quote-aware pre-scan of delimited text: one memchr pass that finds what polars' parser
//! cannot report with a line number (unterminated quotes, rows with the wrong field count,
//! oversized cells, blank lines). It follows polars' quoting rule exactly: every quote
//! character toggles the quoted state, so both agree on where records end.

use memchr::memchr3_iter;

use crate::error::{DataError, Result};

/// A record whose field count differs from the first record's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OddRecord {
    /// One-based line where the record starts.
    pub line: u64,
    /// Byte range of the record including its line end.
    pub start: usize,
    /// End of the record (exclusive), line end included.
    pub end: usize,
    /// Zero-based position among the non-blank records (the header is record 0).
    pub record: u64,
    /// Fields found.
    pub fields: usize,
    /// Whether the last field is empty (a trailing delimiter).
    pub trailing_empty: bool,
}

/// What the pre-scan found.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// Fields of the first non-blank record.
    pub expected_fields: usize,
    /// Non-blank records, header included.
    pub records: u64,
    /// Records whose field count differs from `expected_fields`.
    pub odd: Vec<OddRecord>,
    /// Byte ranges of blank lines, line end included.
    pub blank: Vec<(usize, usize)>,
}

/// Limits checked while scanning.
#[derive(Debug, Clone, Copy)]
pub(super) struct ScanLimits {
    pub max_columns: usize,
    pub max_cell_bytes: usize,
}

/// Scans `text` (UTF-8, `\n` or `\r\n` line ends) with `delimiter` and `"` quotes.
pub(super) fn scan(
    text: &[u8],
    delimiter: u8,
    quote: Option<u8>,
    limits: ScanLimits,
    name: &str,
) -> Result<Scan> {
    let mut result = Scan::default();
    let mut in_quotes = false;
    let mut line: u64 = 1;
    let mut record_line: u64 = 1;
    let mut quote_line: u64 = 1;
    let mut record_start = 0usize;
    let mut field_start = 0usize;
    let mut fields = 1usize;
    let mut seen_first = false;

    let mut close_record = |result: &mut Scan,
                            start: usize,
                            content_end: usize,
                            end: usize,
                            fields: usize,
                            last_field_start: usize,
                            line: u64|
     -> Result<()> {
        if fields == 1 && content_end == start {
            result.blank.push((start, end));
            return Ok(());
        }
        result.records += 1;
        if !seen_first {
            seen_first = true;
            result.expected_fields = fields;
            if fields > limits.max_columns {
                return Err(DataError::TooManyColumns {
                    name: name.to_owned(),
                    found: fields,
                    limit: limits.max_columns,
                });
            }
        } else if fields != result.expected_fields {
            result.odd.push(OddRecord {
                line,
                record: result.records - 1,
                start,
                end,
                fields,
                trailing_empty: content_end == last_field_start,
            });
        }
        Ok(())
    };

    // Where the quoted part of the current field closed, if it was quoted.
    let mut closed_at: Option<usize> = None;
    let stray_quote = |line: u64, column: usize| DataError::InvalidQuote {
        name: name.to_owned(),
        line,
        column,
    };
    // Without quoting the third needle repeats the line end, so no byte is taken for a quote.
    for at in memchr3_iter(delimiter, quote.unwrap_or(b'\n'), b'\n', text) {
        let byte = text.get(at).copied().unwrap_or_default();
        if Some(byte) == quote {
            if in_quotes {
                in_quotes = false;
                closed_at = Some(at);
            } else if closed_at.is_some_and(|closed| closed + 1 == at) {
                // `""` inside a quoted field: one literal quote, still inside.
                in_quotes = true;
                closed_at = None;
            } else if at == field_start {
                in_quotes = true;
                quote_line = line;
            } else {
                return Err(stray_quote(line, fields));
            }
            continue;
        }
        if byte == b'\n' {
            line += 1;
            if in_quotes {
                continue;
            }
        } else if in_quotes {
            continue;
        }
        // A delimiter or a line end outside quotes closes a field.
        let content_end = if byte == b'\n' && at > 0 && text.get(at - 1) == Some(&b'\r') {
            at - 1
        } else {
            at
        };
        if closed_at.is_some_and(|closed| closed + 1 != content_end) {
            return Err(stray_quote(
                if byte == b'\n' { line - 1 } else { line },
                fields,
            ));
        }
        closed_at = None;
        check_cell(
            content_end - field_start.min(content_end),
            limits,
            name,
            record_line,
            fields,
        )?;
        if byte == delimiter {
            fields += 1;
            if fields > limits.max_columns {
                return Err(DataError::TooManyColumns {
                    name: name.to_owned(),
                    found: fields,
                    limit: limits.max_columns,
                });
            }
            field_start = at + 1;
            continue;
        }
        close_record(
            &mut result,
            record_start,
            content_end,
            at + 1,
            fields,
            field_start,
            record_line,
        )?;
        record_start = at + 1;
        field_start = at + 1;
        fields = 1;
        record_line = line;
    }
    if in_quotes {
        return Err(DataError::UnterminatedQuote {
            name: name.to_owned(),
            line: quote_line,
        });
    }
    if record_start < text.len() {
        let end = text.len();
        let content_end = if text.last() == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        if closed_at.is_some_and(|closed| closed + 1 != content_end) {
            return Err(stray_quote(line, fields));
        }
        check_cell(
            content_end.saturating_sub(field_start),
            limits,
            name,
            record_line,
            fields,
        )?;
        close_record(
            &mut result,
            record_start,
            content_end,
            end,
            fields,
            field_start,
            record_line,
        )?;
    }
    Ok(result)
}

fn check_cell(len: usize, limits: ScanLimits, name: &str, line: u64, field: usize) -> Result<()> {
    if len > limits.max_cell_bytes {
        return Err(DataError::CellTooLarge {
            name: name.to_owned(),
            place: format!("line {line}, column {field}"),
            limit: limits.max_cell_bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ScanLimits = ScanLimits {
        max_columns: 100,
        max_cell_bytes: 1000,
    };

    #[test]
    fn quoted_delimiters_and_newlines_stay_in_one_field() {
        let text = b"a,b\n\"x,\ny\",2\n\"he said \"\"hi\"\"\",3\n";
        let scan = scan(text, b',', Some(b'"'), LIMITS, "f").unwrap();
        assert_eq!(scan.expected_fields, 2);
        assert_eq!(scan.records, 3);
        assert!(scan.odd.is_empty());
    }

    #[test]
    fn odd_records_carry_their_line() {
        let text = b"a,b\r\n1,2\r\n\"multi\nline\",2\r\n3\r\n4,5,\r\n";
        let scan = scan(text, b',', Some(b'"'), LIMITS, "f").unwrap();
        assert_eq!(scan.odd.len(), 2);
        assert_eq!(scan.odd[0].line, 5);
        assert_eq!(scan.odd[0].fields, 1);
        assert_eq!(scan.odd[1].line, 6);
        assert!(scan.odd[1].trailing_empty);
    }

    #[test]
    fn blank_lines_are_found() {
        let text = b"a,b\n\n1,2\r\n\r\n3,4";
        let scan = scan(text, b',', Some(b'"'), LIMITS, "f").unwrap();
        assert_eq!(scan.blank, vec![(4, 5), (10, 12)]);
        assert_eq!(scan.records, 3);
    }

    #[test]
    fn unterminated_quote_names_where_it_opened() {
        let text = b"a,b\n1,2\n3,\"open\n4,5\n";
        let err = scan(text, b',', Some(b'"'), LIMITS, "f.csv").unwrap_err();
        assert_eq!(err.code(), "unterminated_quote");
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn quotes_outside_rfc4180_are_refused_with_their_place() {
        let err = scan(b"a,b\n1,5\" screen\n", b',', Some(b'"'), LIMITS, "f").unwrap_err();
        assert_eq!(err.code(), "invalid_quote");
        assert!(err.to_string().contains("line 2, column 2"), "{err}");
        let err = scan(b"a,b\n\"x\"y,2\n", b',', Some(b'"'), LIMITS, "f").unwrap_err();
        assert_eq!(err.code(), "invalid_quote");
        let err = scan(b"a\n\"x\"y", b',', Some(b'"'), LIMITS, "f").unwrap_err();
        assert_eq!(err.code(), "invalid_quote");
        assert!(
            scan(
                b"a,b\r\n\"x\"\r\n\"\"\"\",\"\"",
                b',',
                Some(b'"'),
                LIMITS,
                "f"
            )
            .is_ok()
        );
    }

    #[test]
    fn oversized_cells_and_wide_rows_are_refused() {
        let limits = ScanLimits {
            max_columns: 3,
            max_cell_bytes: 4,
        };
        let err = scan(b"a,b\n12345,1\n", b',', Some(b'"'), limits, "f").unwrap_err();
        assert_eq!(err.code(), "cell_too_large");
        assert!(err.to_string().contains("line 2, column 1"), "{err}");
        let err = scan(b"a,b,c,d\n", b',', Some(b'"'), limits, "f").unwrap_err();
        assert_eq!(err.code(), "too_many_columns");
    }
}
