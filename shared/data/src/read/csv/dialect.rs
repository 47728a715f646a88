//! The dialect of delimited text, sniffed from its first records: the delimiter among
//! `,` `;` tab `|`, and whether the first record is a header.

/// Candidate delimiters, in the order that breaks ties.
const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];
/// How much of the start is examined.
const SAMPLE_BYTES: usize = 256 * 1024;
/// How many records are examined.
pub(super) const SAMPLE_RECORDS: usize = 200;

/// Splits the first `max_records` non-blank records of `text` into unquoted fields
/// (RFC 4180: `""` inside quotes is one quote). A record cut by the end of the sample is left out
/// unless the sample is the whole text.
pub(super) fn sample_records(
    text: &[u8],
    delimiter: u8,
    quoting: bool,
    max_records: usize,
) -> Vec<Vec<String>> {
    let complete = text.len() <= SAMPLE_BYTES;
    let sample = text.get(..SAMPLE_BYTES).unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field: Vec<u8> = Vec::new();
    let mut in_quotes = false;
    let mut bytes = sample.iter().copied().peekable();
    while let Some(byte) = bytes.next() {
        if in_quotes {
            if byte == b'"' {
                if bytes.peek() == Some(&b'"') {
                    field.push(b'"');
                    bytes.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(byte);
            }
            continue;
        }
        match byte {
            b'"' if quoting => in_quotes = true,
            b'\r' if bytes.peek() == Some(&b'\n') => {}
            b'\n' => {
                record.push(String::from_utf8_lossy(&field).into_owned());
                field.clear();
                let done = std::mem::take(&mut record);
                if !(done.len() == 1 && done.first().is_some_and(String::is_empty)) {
                    records.push(done);
                    if records.len() >= max_records {
                        return records;
                    }
                }
            }
            other if other == delimiter => {
                record.push(String::from_utf8_lossy(&field).into_owned());
                field.clear();
            }
            other => field.push(other),
        }
    }
    if complete && !in_quotes && (!field.is_empty() || !record.is_empty()) {
        record.push(String::from_utf8_lossy(&field).into_owned());
        records.push(record);
    }
    records
}

/// The delimiter whose field count is the most consistent (and above one) over the sample;
/// `,` when none splits the text.
pub(super) fn sniff_delimiter(text: &[u8], quoting: bool) -> u8 {
    // Best so far: (delimiter, agreeing records per thousand, field count).
    let mut best: Option<(u8, usize, usize)> = None;
    for candidate in CANDIDATES {
        let records = sample_records(text, candidate, quoting, SAMPLE_RECORDS);
        let Some((mode, agreeing)) = mode_of(records.iter().map(Vec::len)) else {
            continue;
        };
        if mode < 2 {
            continue;
        }
        // Agreement first (a stray decimal comma breaks consistency), then width.
        let per_thousand = agreeing * 1000 / records.len().max(1);
        let better = best.is_none_or(|(_, best_agreement, best_mode)| {
            per_thousand > best_agreement || (per_thousand == best_agreement && mode > best_mode)
        });
        if better {
            best = Some((candidate, per_thousand, mode));
        }
    }
    best.map_or(b',', |(delimiter, _, _)| delimiter)
}

fn mode_of(counts: impl Iterator<Item = usize>) -> Option<(usize, usize)> {
    let mut tally: Vec<(usize, usize)> = Vec::new();
    for count in counts {
        match tally.iter_mut().find(|(value, _)| *value == count) {
            Some((_, seen)) => *seen += 1,
            None => tally.push((count, 1)),
        }
    }
    tally
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))
}

/// Whether the first record is a header: each column votes, a header cell being text above
/// values that are numbers or dates (for), or itself a number or date (against). Ties and
/// all-text samples count as a header, the common case.
pub(super) fn has_header(records: &[Vec<String>]) -> bool {
    let Some((first, body)) = records.split_first() else {
        return false;
    };
    if body.is_empty() {
        return !first.iter().any(|cell| looks_like_value(cell));
    }
    let mut votes: i64 = 0;
    for (column, head) in first.iter().enumerate() {
        let values: Vec<&str> = body
            .iter()
            .filter_map(|record| record.get(column))
            .map(|cell| cell.trim())
            .filter(|cell| !cell.is_empty())
            .collect();
        let head = head.trim();
        if head.is_empty() {
            continue;
        }
        if looks_like_value(head) {
            votes -= 1;
        } else if !values.is_empty() && values.iter().all(|value| looks_like_value(value)) {
            votes += 1;
        }
    }
    votes >= 0
}

/// Numbers, dates and times: what a header cell almost never is.
fn looks_like_value(cell: &str) -> bool {
    let cell = cell.trim();
    if cell.is_empty() {
        return false;
    }
    if cell.parse::<f64>().is_ok() {
        return true;
    }
    let digits = cell.bytes().filter(u8::is_ascii_digit).count();
    digits * 2 >= cell.len()
        && cell
            .bytes()
            .all(|b| b.is_ascii_digit() || b" -/:.,+T%$".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<Vec<String>> {
        sample_records(
            text.as_bytes(),
            sniff_delimiter(text.as_bytes(), true),
            true,
            50,
        )
    }

    #[test]
    fn delimiter_is_the_consistent_one() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2,5;3\n4;5;6\n", true), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n1\t2\n", true), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c\n1|2|3\n", true), b'|');
        assert_eq!(sniff_delimiter(b"a,b\n1,2\n", true), b',');
        assert_eq!(sniff_delimiter(b"single\nvalue\n", true), b',');
        assert_eq!(sniff_delimiter(b"\"x;y\",b\n\"1;2\",3\n", true), b',');
    }

    #[test]
    fn quoted_fields_are_unquoted() {
        let rows = records("\"a,1\",\"say \"\"hi\"\"\"\r\nx,\"multi\nline\"\n");
        assert_eq!(
            rows,
            vec![vec!["a,1", "say \"hi\""], vec!["x", "multi\nline"]]
        );
    }

    #[test]
    fn header_is_detected_from_types() {
        assert!(has_header(&records("name,amount\nann,1.5\nbob,2\n")));
        assert!(!has_header(&records("1,2.5\n3,4\n")));
        assert!(!has_header(&records("2024-01-02,5\n2024-01-03,6\n")));
        assert!(has_header(&records("name,city\nann,paris\n")));
        assert!(has_header(&records("name,city\n")));
        assert!(!has_header(&records("ann,12\nbob,13\n")));
    }
}
