//! The byte-level checks of an uploaded object, before any pipeline stage reads it: the size
//! the client declared, the magic numbers against the declared type (with ida-data's
//! sniffing), and the archive-bomb limits of a workbook. Each refusal carries a stable code and
//! a message for the tenant; nothing here reads the file's contents beyond what sniffing needs.

use ida_core::upload::FileFormat;
use ida_data::read::{InputFormat, ReadLimits, check_workbook_archive, resolve_format};

/// How many leading bytes sniffing reads: enough for every magic number and for telling JSON
/// from delimited text, small enough to fetch with one ranged GET.
pub const SNIFF_BYTES: u64 = 64 * 1024;

/// Why an upload is refused, as the job shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// A stable code, such as `size_mismatch` or `format_mismatch`.
    pub code: String,
    /// What is wrong, for the tenant.
    pub message: String,
}

impl Rejection {
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl From<ida_data::DataError> for Rejection {
    fn from(error: ida_data::DataError) -> Self {
        Rejection::new(error.code(), error.to_string())
    }
}

/// The object must be exactly as large as the client declared.
pub fn check_size(file: &str, declared: u64, actual: u64) -> Result<(), Rejection> {
    if declared == actual {
        Ok(())
    } else {
        Err(Rejection::new(
            "size_mismatch",
            format!("{file}: {actual} bytes arrived, {declared} were declared"),
        ))
    }
}

/// The leading bytes must be of the declared format. `head` may be cut anywhere: text is only
/// judged up to its last complete line.
pub fn check_format(
    file: &str,
    format: FileFormat,
    head: &[u8],
    whole: bool,
) -> Result<(), Rejection> {
    let sample = if whole || !matches!(format, FileFormat::Csv | FileFormat::Json) {
        head
    } else {
        // A cut in the middle of a UTF-8 sequence would look like binary data.
        head.iter()
            .rposition(|byte| *byte == b'\n')
            .and_then(|end| head.get(..=end))
            .unwrap_or(head)
    };
    let (declared, accepted): (Option<InputFormat>, &[InputFormat]) = match format {
        FileFormat::Csv => (None, &[InputFormat::Csv, InputFormat::Tsv]),
        FileFormat::Xlsx => (Some(InputFormat::Xlsx), &[InputFormat::Xlsx]),
        // A .json file may hold an array or JSON lines; both are JSON.
        FileFormat::Json => (None, &[InputFormat::Json, InputFormat::Ndjson]),
        FileFormat::Parquet => (Some(InputFormat::Parquet), &[InputFormat::Parquet]),
    };
    let detected = resolve_format(sample, file, declared)?;
    if accepted.contains(&detected) {
        Ok(())
    } else {
        Err(Rejection::new(
            "format_mismatch",
            format!(
                "{file}: declared as .{format}, but the bytes are {}",
                detected.name()
            ),
        ))
    }
}

/// A workbook's archive must stay within the read limits (entries, uncompressed size).
pub fn check_archive(file: &str, bytes: &[u8]) -> Result<(), Rejection> {
    check_workbook_archive(bytes, file, &ReadLimits::default()).map_err(Rejection::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_other_than_declared_is_refused_with_both_numbers() {
        assert!(check_size("a.csv", 10, 10).is_ok());
        assert_eq!(
            check_size("a.csv", 10, 12).unwrap_err(),
            Rejection::new("size_mismatch", "a.csv: 12 bytes arrived, 10 were declared")
        );
    }

    #[test]
    fn csv_and_json_pass_and_binary_declared_as_csv_does_not() {
        assert!(check_format("a.csv", FileFormat::Csv, b"id,name\n1,x\n", true).is_ok());
        assert!(check_format("a.json", FileFormat::Json, b"[{\"a\": 1}]", true).is_ok());
        assert!(
            check_format(
                "a.json",
                FileFormat::Json,
                b"{\"a\": 1}\n{\"a\": 2}\n",
                true
            )
            .is_ok()
        );
        let error =
            check_format("a.csv", FileFormat::Csv, b"PAR1\x00\x01\x02\x03\x00", true).unwrap_err();
        assert!(
            matches!(error.code.as_str(), "format_mismatch" | "binary_input"),
            "{error:?}"
        );
        let empty = check_format("a.csv", FileFormat::Csv, b"", true).unwrap_err();
        assert_eq!(empty.code, "empty_input");
    }

    #[test]
    fn a_text_sample_cut_inside_a_character_is_judged_on_whole_lines() {
        let mut head = "name\nZoë\n".as_bytes().to_vec();
        head.extend_from_slice(&"é".as_bytes()[..1]);
        assert!(check_format("a.csv", FileFormat::Csv, &head, false).is_ok());
    }

    #[test]
    fn text_declared_as_a_workbook_is_refused() {
        let error = check_format("a.xlsx", FileFormat::Xlsx, b"id,name\n1,x\n", true).unwrap_err();
        assert_eq!(error.code, "format_mismatch");
    }
}
