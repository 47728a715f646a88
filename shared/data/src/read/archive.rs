//! Limits on zip-based workbooks (XLSX, XLSB, ODS), checked before the workbook reader opens
//! them: the number of entries and the total size once decompressed. Every entry is also
//! inflated into a counting sink that stops at the limit, so a bomb costs at most the limit in
//! CPU time, never memory. A directory that understates a size cannot hide a bomb either: the
//! zip reader (here and inside calamine) stops an entry at its declared size and its checksum
//! then fails, which is reported as a corrupt workbook.

use std::io::{self, Cursor, Read};

use super::ReadLimits;
use crate::error::{DataError, Result};

/// Fails when the archive in `bytes` is unreadable or over the limits.
pub(super) fn check_zip(bytes: &[u8], name: &str, limits: &ReadLimits) -> Result<()> {
    let corrupt = |detail: String| DataError::CorruptWorkbook {
        name: name.to_owned(),
        detail,
    };
    let over = |detail: String| DataError::ArchiveLimit {
        name: name.to_owned(),
        detail,
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("zip directory: {e}")))?;
    if archive.len() > limits.max_archive_entries {
        return Err(over(format!(
            "{} entries, more than the limit of {}",
            archive.len(),
            limits.max_archive_entries
        )));
    }
    let mut declared: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| corrupt(format!("entry {index}: {e}")))?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.max_uncompressed_bytes {
        return Err(over(format!(
            "{declared} bytes once decompressed, more than the limit of {}",
            limits.max_uncompressed_bytes
        )));
    }
    let mut inflated: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index(index)
            .map_err(|e| corrupt(format!("entry {index}: {e}")))?;
        let entry_name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let budget = limits.max_uncompressed_bytes.saturating_sub(inflated);
        let read = io::copy(&mut entry.take(budget.saturating_add(1)), &mut io::sink())
            .map_err(|e| corrupt(format!("entry {entry_name}: {e}")))?;
        inflated = inflated.saturating_add(read);
        if inflated > limits.max_uncompressed_bytes {
            return Err(over(format!(
                "entry {entry_name} expands past the limit of {} bytes",
                limits.max_uncompressed_bytes
            )));
        }
    }
    Ok(())
}
