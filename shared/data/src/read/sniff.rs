//! Format detection from the first bytes (magic numbers) and the check of a declared format
//! against them. A mismatch is an error, never a guess.

use std::io::Cursor;
use std::path::Path;

use super::InputFormat;
use crate::error::{DataError, Result};

const PARQUET_MAGIC: &[u8] = b"PAR1";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY_MAGIC: &[u8] = b"PK\x05\x06";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
/// How much of the start is examined to tell text from binary data.
const TEXT_SAMPLE_BYTES: usize = 64 * 1024;

/// What the bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detected {
    Empty,
    Binary { offset: usize },
    Parquet,
    Workbook(InputFormat),
    OtherZip,
    CorruptZip,
    Cfb,
    JsonArray,
    JsonLines,
    Text,
}

impl Detected {
    fn describe(self) -> String {
        match self {
            Detected::Empty => "empty".to_owned(),
            Detected::Binary { .. } => "binary data".to_owned(),
            Detected::Parquet => "a Parquet file".to_owned(),
            Detected::Workbook(format) => format!("an {} workbook", format.name()),
            Detected::OtherZip => "a zip archive that is not a workbook".to_owned(),
            Detected::CorruptZip => "an unreadable zip archive".to_owned(),
            Detected::Cfb => "an OLE compound file (xls)".to_owned(),
            Detected::JsonArray => "a JSON array (json)".to_owned(),
            Detected::JsonLines => "JSON objects (ndjson)".to_owned(),
            Detected::Text => "delimited text".to_owned(),
        }
    }
}

/// Sniffs the format of `bytes` alone (no file name, nothing declared): `None` when the bytes
/// are empty, binary garbage, or a zip archive that is not a workbook.
pub fn sniff_format(bytes: &[u8]) -> Option<InputFormat> {
    match detect(bytes) {
        Detected::Parquet => Some(InputFormat::Parquet),
        Detected::Workbook(format) => Some(format),
        Detected::Cfb => Some(InputFormat::Xls),
        Detected::JsonArray => Some(InputFormat::Json),
        Detected::JsonLines => Some(InputFormat::Ndjson),
        Detected::Text => Some(InputFormat::Csv),
        Detected::Empty | Detected::Binary { .. } | Detected::OtherZip | Detected::CorruptZip => {
            None
        }
    }
}

/// The format to read `bytes` with: the declared one when the bytes agree, else the sniffed one.
pub(super) fn resolve_format(
    bytes: &[u8],
    name: &str,
    declared: Option<InputFormat>,
) -> Result<InputFormat> {
    let detected = detect(bytes);
    match detected {
        Detected::Empty => {
            return Err(DataError::EmptyInput {
                name: name.to_owned(),
            });
        }
        Detected::Binary { offset } => {
            return Err(DataError::BinaryInput {
                name: name.to_owned(),
                offset: offset as u64,
            });
        }
        _ => {}
    }
    let Some(declared) = declared else {
        return undeclared(detected, name);
    };
    let agrees = match declared {
        // JSON is text too, so a text format may legitimately start with `[` or `{`.
        InputFormat::Csv | InputFormat::Tsv => matches!(
            detected,
            Detected::Text | Detected::JsonArray | Detected::JsonLines
        ),
        InputFormat::Json => detected == Detected::JsonArray,
        InputFormat::Ndjson => detected == Detected::JsonLines,
        InputFormat::Parquet => detected == Detected::Parquet,
        InputFormat::Xls => detected == Detected::Cfb,
        InputFormat::Xlsx | InputFormat::Xlsb | InputFormat::Ods => {
            if detected == Detected::CorruptZip {
                return Err(DataError::CorruptWorkbook {
                    name: name.to_owned(),
                    detail: "the zip archive's directory cannot be read".to_owned(),
                });
            }
            detected == Detected::Workbook(declared)
        }
    };
    if agrees {
        Ok(declared)
    } else {
        Err(DataError::FormatMismatch {
            name: name.to_owned(),
            declared: declared.name().to_owned(),
            detected: detected.describe(),
        })
    }
}

fn undeclared(detected: Detected, name: &str) -> Result<InputFormat> {
    Ok(match detected {
        Detected::Parquet => InputFormat::Parquet,
        Detected::Workbook(format) => format,
        Detected::Cfb => InputFormat::Xls,
        Detected::JsonArray => InputFormat::Json,
        Detected::JsonLines => InputFormat::Ndjson,
        Detected::Text => {
            let extension = Path::new(name)
                .extension()
                .and_then(|e| e.to_str())
                .and_then(InputFormat::parse);
            if extension == Some(InputFormat::Tsv) {
                InputFormat::Tsv
            } else {
                InputFormat::Csv
            }
        }
        Detected::OtherZip => {
            return Err(DataError::UnsupportedFormat {
                name: name.to_owned(),
                detail: "a zip archive without a workbook inside".to_owned(),
            });
        }
        Detected::CorruptZip => {
            return Err(DataError::CorruptWorkbook {
                name: name.to_owned(),
                detail: "the zip archive's directory cannot be read".to_owned(),
            });
        }
        Detected::Empty | Detected::Binary { .. } => {
            return Err(DataError::EmptyInput {
                name: name.to_owned(),
            });
        }
    })
}

fn detect(bytes: &[u8]) -> Detected {
    if bytes.starts_with(PARQUET_MAGIC) {
        return Detected::Parquet;
    }
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(ZIP_EMPTY_MAGIC) {
        return detect_zip(bytes);
    }
    if bytes.starts_with(CFB_MAGIC) {
        return Detected::Cfb;
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return detect_utf16(bytes);
    }
    let text = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let sample = text.get(..TEXT_SAMPLE_BYTES).unwrap_or(text);
    if let Some(offset) = first_binary_byte(sample) {
        let bom = bytes.len() - text.len();
        return Detected::Binary {
            offset: offset + bom,
        };
    }
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Detected::Empty,
        Some(b'[') => Detected::JsonArray,
        Some(b'{') => Detected::JsonLines,
        Some(_) => Detected::Text,
    }
}

/// UTF-16 text is only told apart by its first character, looked at after decoding.
fn detect_utf16(bytes: &[u8]) -> Detected {
    let little_endian = bytes.starts_with(&[0xFF, 0xFE]);
    let units = bytes.get(2..).unwrap_or_default().chunks_exact(2);
    for unit in units {
        let (low, high) = match unit {
            [a, b] if little_endian => (*a, *b),
            [a, b] => (*b, *a),
            _ => break,
        };
        if high != 0 || !low.is_ascii_whitespace() {
            return match (high, low) {
                (0, b'[') => Detected::JsonArray,
                (0, b'{') => Detected::JsonLines,
                (0, 0) => Detected::Binary { offset: 2 },
                _ => Detected::Text,
            };
        }
    }
    Detected::Empty
}

/// Text has no NUL bytes and few control characters; the offset of the first offending byte.
fn first_binary_byte(sample: &[u8]) -> Option<usize> {
    if let Some(nul) = memchr::memchr(0, sample) {
        return Some(nul);
    }
    let is_control = |b: &u8| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C);
    let controls = sample.iter().filter(|b| is_control(b)).count();
    // A stray control character happens in real exports; many of them do not.
    if controls * 100 > sample.len() {
        return sample.iter().position(is_control);
    }
    None
}

fn detect_zip(bytes: &[u8]) -> Detected {
    let Ok(archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Detected::CorruptZip;
    };
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let has = |wanted: &str| names.iter().any(|n| n == wanted);
    if has("xl/workbook.xml") {
        Detected::Workbook(InputFormat::Xlsx)
    } else if has("xl/workbook.bin") {
        Detected::Workbook(InputFormat::Xlsb)
    } else if has("content.xml") && has("mimetype") {
        Detected::Workbook(InputFormat::Ods)
    } else {
        Detected::OtherZip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_pick_the_format() {
        assert_eq!(sniff_format(b"PAR1xxxxPAR1"), Some(InputFormat::Parquet));
        assert_eq!(sniff_format(b"  [{\"a\":1}]"), Some(InputFormat::Json));
        assert_eq!(sniff_format(b"{\"a\":1}\n"), Some(InputFormat::Ndjson));
        assert_eq!(sniff_format(b"a,b\n1,2\n"), Some(InputFormat::Csv));
        assert_eq!(sniff_format(CFB_MAGIC), Some(InputFormat::Xls));
        assert_eq!(sniff_format(b"\xEF\xBB\xBF \n"), None);
        assert_eq!(sniff_format(b"a\0b"), None);
    }

    #[test]
    fn declared_format_must_match_the_bytes() {
        let err = resolve_format(b"PAR1....", "x.csv", Some(InputFormat::Csv)).unwrap_err();
        assert_eq!(err.code(), "format_mismatch");
        let err = resolve_format(b"a,b\n", "x.json", Some(InputFormat::Json)).unwrap_err();
        assert_eq!(err.code(), "format_mismatch");
        let ok = resolve_format(b"a\tb\n", "x.tsv", None).unwrap();
        assert_eq!(ok, InputFormat::Tsv);
    }

    #[test]
    fn utf16_text_is_text() {
        let bytes = [0xFF, 0xFE, b'a', 0, b',', 0, b'b', 0];
        assert_eq!(detect(&bytes), Detected::Text);
    }
}
