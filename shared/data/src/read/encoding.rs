//! Text decoding: every text reader works on UTF-8 bytes. UTF-8 input is borrowed as it is
//! (only its byte order mark is cut); UTF-16 with a byte order mark and Windows-1252 are
//! transcoded. Decoding never guesses silently: the encoding used goes into the report.

use std::borrow::Cow;

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::{TextEncoding, line_of};
use crate::error::{DataError, Result};

/// Bytes that Windows-1252 leaves undefined: seeing one means the text is not Windows-1252
/// either, so there is no usable fallback.
const UNDEFINED_IN_WINDOWS_1252: [u8; 5] = [0x81, 0x8D, 0x8F, 0x90, 0x9D];

/// UTF-8 text and the name of the encoding it was decoded from.
#[derive(Debug)]
pub(super) struct Decoded<'a> {
    /// Valid UTF-8.
    pub text: Cow<'a, [u8]>,
    /// `utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be` or `windows-1252`.
    pub encoding: &'static str,
}

/// Decodes `bytes` into UTF-8 following the byte order mark, else `choice`.
pub(super) fn decode<'a>(bytes: &'a [u8], name: &str, choice: TextEncoding) -> Result<Decoded<'a>> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        validate_utf8(rest, name, 3)?;
        return Ok(Decoded {
            text: Cow::Borrowed(rest),
            encoding: "utf-8-bom",
        });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, name, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, name, false);
    }
    match choice {
        TextEncoding::Utf8 => {
            validate_utf8(bytes, name, 0)?;
            Ok(Decoded {
                text: Cow::Borrowed(bytes),
                encoding: "utf-8",
            })
        }
        TextEncoding::Windows1252 => Ok(Decoded {
            text: windows_1252(bytes),
            encoding: "windows-1252",
        }),
        TextEncoding::Auto => match std::str::from_utf8(bytes) {
            Ok(_) => Ok(Decoded {
                text: Cow::Borrowed(bytes),
                encoding: "utf-8",
            }),
            Err(_) => {
                if let Some(at) = bytes
                    .iter()
                    .position(|b| UNDEFINED_IN_WINDOWS_1252.contains(b))
                {
                    return Err(invalid(name, "utf-8 or windows-1252", bytes, at, 0));
                }
                Ok(Decoded {
                    text: windows_1252(bytes),
                    encoding: "windows-1252",
                })
            }
        },
    }
}

fn windows_1252(bytes: &[u8]) -> Cow<'_, [u8]> {
    match WINDOWS_1252.decode_without_bom_handling(bytes).0 {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    }
}

fn validate_utf8(bytes: &[u8], name: &str, bom: usize) -> Result<()> {
    std::str::from_utf8(bytes)
        .map(|_| ())
        .map_err(|error| invalid(name, "utf-8", bytes, error.valid_up_to(), bom))
}

fn decode_utf16<'a>(bytes: &[u8], name: &str, little_endian: bool) -> Result<Decoded<'a>> {
    let (encoding, label) = if little_endian {
        (UTF_16LE, "utf-16le")
    } else {
        (UTF_16BE, "utf-16be")
    };
    match encoding.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(Decoded {
            text: Cow::Owned(text.into_owned().into_bytes()),
            encoding: label,
        }),
        None => {
            let at = first_bad_utf16_unit(bytes, little_endian);
            let (text, _) = encoding.decode_without_bom_handling(bytes.get(..at).unwrap_or(bytes));
            let line = line_of(text.as_bytes(), text.len());
            Err(DataError::InvalidEncoding {
                name: name.to_owned(),
                encoding: label.to_owned(),
                line,
                offset: at as u64 + 2,
            })
        }
    }
}

/// Offset of the first odd trailing byte or unpaired surrogate.
fn first_bad_utf16_unit(bytes: &[u8], little_endian: bool) -> usize {
    let mut pending_high: Option<usize> = None;
    for (index, pair) in bytes.chunks(2).enumerate() {
        let at = index * 2;
        let unit = match pair {
            [a, b] if little_endian => u16::from_le_bytes([*a, *b]),
            [a, b] => u16::from_be_bytes([*a, *b]),
            _ => return pending_high.unwrap_or(at),
        };
        match (unit, pending_high) {
            (0xD800..=0xDBFF, None) => pending_high = Some(at),
            (0xDC00..=0xDFFF, Some(_)) => pending_high = None,
            (0xDC00..=0xDFFF, None) => return at,
            (_, Some(high)) => return high,
            _ => {}
        }
    }
    pending_high.unwrap_or(bytes.len())
}

fn invalid(name: &str, encoding: &str, bytes: &[u8], at: usize, bom: usize) -> DataError {
    DataError::InvalidEncoding {
        name: name.to_owned(),
        encoding: encoding.to_owned(),
        line: line_of(bytes, at),
        offset: (at + bom) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_borrowed_and_bom_is_cut() {
        let decoded = decode(b"\xEF\xBB\xBFa,b\n", "f", TextEncoding::Auto).unwrap();
        assert_eq!(decoded.text.as_ref(), b"a,b\n");
        assert_eq!(decoded.encoding, "utf-8-bom");
        assert!(matches!(decoded.text, Cow::Borrowed(_)));
    }

    #[test]
    fn latin1_bytes_fall_back_to_windows_1252() {
        let decoded = decode(b"caf\xE9,\x80\n", "f", TextEncoding::Auto).unwrap();
        assert_eq!(std::str::from_utf8(&decoded.text).unwrap(), "café,€\n");
        assert_eq!(decoded.encoding, "windows-1252");
    }

    #[test]
    fn strict_utf8_names_the_line() {
        let err = decode(b"a\nb\n\xE9\n", "f.csv", TextEncoding::Utf8).unwrap_err();
        assert_eq!(err.code(), "invalid_encoding");
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn bytes_undefined_in_windows_1252_have_no_fallback() {
        let err = decode(b"a\n\x81\n", "f", TextEncoding::Auto).unwrap_err();
        assert_eq!(err.code(), "invalid_encoding");
    }

    #[test]
    fn utf16_both_byte_orders() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("é,1\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("é,1\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(
            decode(&le, "f", TextEncoding::Auto).unwrap().text.as_ref(),
            "é,1\n".as_bytes()
        );
        assert_eq!(
            decode(&be, "f", TextEncoding::Auto).unwrap().encoding,
            "utf-16be"
        );
        let odd = [0xFF, 0xFE, b'a', 0, b'b'];
        assert_eq!(
            decode(&odd, "f", TextEncoding::Auto).unwrap_err().code(),
            "invalid_encoding"
        );
    }
}
