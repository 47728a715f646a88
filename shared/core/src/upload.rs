//! Uploads: a file a client sends through a presigned URL, its declared type and size, its
//! lifecycle and its malware-scan status, with the rule deciding whether it may be used.

use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::id::{DatasetId, ProjectId, TenantId, UploadId, UserId};
use crate::tenancy::TenantPolicy;
use crate::transition::StateMachine;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// The tabular formats IDA reads.
    pub enum FileFormat: "format" {
        /// Comma-separated values.
        Csv => "csv",
        /// Excel workbook (Office Open XML).
        Xlsx => "xlsx",
        /// JSON array of objects or JSON lines.
        Json => "json",
        /// Apache Parquet.
        Parquet => "parquet",
    }
}

impl FileFormat {
    /// The format named by a file's extension (case-insensitive).
    pub fn from_file_name(name: &FileName) -> Result<Self> {
        let extension = name
            .as_str()
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "csv" => Ok(FileFormat::Csv),
            "xlsx" => Ok(FileFormat::Xlsx),
            "json" | "jsonl" | "ndjson" => Ok(FileFormat::Json),
            "parquet" => Ok(FileFormat::Parquet),
            _ => Err(CoreError::invalid(
                "file_name",
                "extension must be .csv, .xlsx, .json, .jsonl, .ndjson or .parquet",
            )),
        }
    }

    /// The MIME types a client may declare for this format.
    pub fn accepted_mime_types(self) -> &'static [&'static str] {
        match self {
            FileFormat::Csv => &["text/csv", "application/csv", "text/plain"],
            FileFormat::Xlsx => {
                &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
            }
            FileFormat::Json => &[
                "application/json",
                "application/x-ndjson",
                "application/jsonl",
            ],
            FileFormat::Parquet => &["application/vnd.apache.parquet", "application/octet-stream"],
        }
    }

    /// Refuses a declared MIME type that does not match the format (parameters such as
    /// `; charset=utf-8` are ignored).
    pub fn check_mime(self, declared: &str) -> Result<()> {
        let essence = declared
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if self.accepted_mime_types().contains(&essence.as_str()) {
            Ok(())
        } else {
            Err(CoreError::invalid(
                "content_type",
                format!("{essence:?} does not match a .{self} file"),
            ))
        }
    }
}

/// A file name as the client gave it: no path, safe inside an S3 key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileName(String);

impl FileName {
    /// Longest accepted name in bytes.
    pub const MAX_LEN: usize = 255;

    /// Parses a bare file name: 1 to 255 bytes of letters, digits, space, `.`, `-`, `_`, `(`,
    /// `)`; no path separators, no leading dot.
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() || text.len() > Self::MAX_LEN {
            return Err(CoreError::invalid(
                "file_name",
                format!("must be 1 to {} bytes", Self::MAX_LEN),
            ));
        }
        if text.starts_with('.') {
            return Err(CoreError::invalid("file_name", "may not start with a dot"));
        }
        if let Some(bad) = text.chars().find(|c| {
            !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')'))
        }) {
            return Err(CoreError::invalid(
                "file_name",
                format!("character {bad:?} is not allowed"),
            ));
        }
        Ok(FileName(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FileName {
    type Error = CoreError;
    fn try_from(text: String) -> Result<Self> {
        Self::parse(&text)
    }
}

impl From<FileName> for String {
    fn from(name: FileName) -> String {
        name.0
    }
}

wire_enum! {
    /// An upload's lifecycle.
    pub enum UploadStatus: "upload_status" {
        /// The presigned URL is issued; the bytes have not arrived.
        AwaitingBytes => "AWAITING_BYTES",
        /// The object landed and awaits checks.
        Received => "RECEIVED",
        /// Checks passed; the pipeline runs on it.
        Accepted => "ACCEPTED",
        /// Checks failed (type, size, archive limits, malware).
        Rejected => "REJECTED",
        /// The URL expired before any bytes arrived.
        Expired => "EXPIRED",
    }
}

wire_enum! {
    /// Events of an upload.
    pub enum UploadEvent: "upload_event" {
        /// The object landed.
        Receive => "receive",
        /// Checks passed.
        Accept => "accept",
        /// Checks failed.
        Reject => "reject",
        /// The URL expired unused.
        Expire => "expire",
    }
}

impl StateMachine for UploadStatus {
    type Event = UploadEvent;
    const ENTITY: &'static str = "upload";
    const TRANSITIONS: &'static [(Self, Self::Event, Self)] = &[
        (Self::AwaitingBytes, UploadEvent::Receive, Self::Received),
        (Self::AwaitingBytes, UploadEvent::Expire, Self::Expired),
        (Self::Received, UploadEvent::Accept, Self::Accepted),
        (Self::Received, UploadEvent::Reject, Self::Rejected),
    ];
    const STATES: &'static [Self] = Self::ALL;
    const EVENTS: &'static [Self::Event] = UploadEvent::ALL;
    fn state_name(self) -> &'static str {
        self.as_str()
    }
    fn event_name(event: UploadEvent) -> &'static str {
        event.as_str()
    }
}

wire_enum! {
    /// The malware-scan status of an upload's bytes.
    pub enum ScanStatus: "scan_status" {
        /// No scan has been asked for.
        NotScanned => "not_scanned",
        /// A scan is running.
        Pending => "pending",
        /// The scanner found nothing.
        Clean => "clean",
        /// The scanner found malware.
        Infected => "infected",
    }
}

wire_enum! {
    /// Events of a scan.
    pub enum ScanEvent: "scan_event" {
        /// A scan was started.
        Start => "start",
        /// The scanner found nothing.
        ReportClean => "report_clean",
        /// The scanner found malware.
        ReportInfected => "report_infected",
    }
}

impl StateMachine for ScanStatus {
    type Event = ScanEvent;
    const ENTITY: &'static str = "scan";
    const TRANSITIONS: &'static [(Self, Self::Event, Self)] = &[
        (Self::NotScanned, ScanEvent::Start, Self::Pending),
        (Self::Pending, ScanEvent::ReportClean, Self::Clean),
        (Self::Pending, ScanEvent::ReportInfected, Self::Infected),
    ];
    const STATES: &'static [Self] = Self::ALL;
    const EVENTS: &'static [Self::Event] = ScanEvent::ALL;
    fn state_name(self) -> &'static str {
        self.as_str()
    }
    fn event_name(event: ScanEvent) -> &'static str {
        event.as_str()
    }
}

/// An upload record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Upload {
    /// The upload.
    pub id: UploadId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The project it goes into.
    pub project: ProjectId,
    /// The dataset it adds a version to, or `None` to create a new dataset.
    pub dataset: Option<DatasetId>,
    /// The client's file name.
    pub file_name: FileName,
    /// The format from the extension.
    pub format: FileFormat,
    /// The MIME type the client declared.
    pub declared_content_type: String,
    /// The size the client declared; the presigned URL enforces it.
    pub declared_bytes: u64,
    /// Lifecycle.
    pub status: UploadStatus,
    /// Malware-scan status.
    pub scan: ScanStatus,
    /// Who uploaded.
    pub created_by: UserId,
    /// When the URL was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the URL expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl Upload {
    /// Refuses an upload whose bytes may not be used under `policy`: infected or still being
    /// scanned always; not scanned when the tenant requires scans.
    pub fn ensure_usable(&self, policy: &TenantPolicy) -> Result<()> {
        let refuse = |reason| {
            Err(CoreError::UploadNotUsable {
                upload: self.id.to_string(),
                reason,
            })
        };
        match self.scan {
            ScanStatus::Clean => Ok(()),
            ScanStatus::Infected => refuse("the malware scan found an infection"),
            ScanStatus::Pending => refuse("the malware scan has not finished"),
            ScanStatus::NotScanned if policy.malware_scan_required => {
                refuse("the tenant requires a malware scan and none was made")
            }
            ScanStatus::NotScanned => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::machine_laws;

    fn upload(scan: ScanStatus) -> Upload {
        let name = FileName::parse("sales 2024.csv").unwrap();
        Upload {
            id: UploadId::generate(),
            tenant: TenantId::generate(),
            project: ProjectId::generate(),
            dataset: None,
            format: FileFormat::from_file_name(&name).unwrap(),
            file_name: name,
            declared_content_type: "text/csv".into(),
            declared_bytes: 10,
            status: UploadStatus::Received,
            scan,
            created_by: UserId::generate(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn upload_and_scan_tables_hold() {
        machine_laws::table_is_exhaustive_and_deterministic::<UploadStatus>();
        machine_laws::random_walks_stay_in_table(UploadStatus::AwaitingBytes);
        machine_laws::table_is_exhaustive_and_deterministic::<ScanStatus>();
        machine_laws::random_walks_stay_in_table(ScanStatus::NotScanned);
    }

    #[test]
    fn a_tenant_requiring_scans_cannot_use_an_unscanned_upload() {
        let strict = TenantPolicy {
            malware_scan_required: true,
            ..TenantPolicy::default()
        };
        let lax = TenantPolicy {
            malware_scan_required: false,
            ..TenantPolicy::default()
        };
        let err = upload(ScanStatus::NotScanned)
            .ensure_usable(&strict)
            .unwrap_err();
        assert_eq!(err.code(), "upload_not_usable");
        assert!(upload(ScanStatus::NotScanned).ensure_usable(&lax).is_ok());
        assert!(upload(ScanStatus::Clean).ensure_usable(&strict).is_ok());
        for policy in [strict, lax] {
            assert!(upload(ScanStatus::Infected).ensure_usable(&policy).is_err());
            assert!(upload(ScanStatus::Pending).ensure_usable(&policy).is_err());
        }
    }

    #[test]
    fn formats_come_from_extensions_and_must_match_the_declared_type() {
        let f = |n: &str| FileFormat::from_file_name(&FileName::parse(n).unwrap());
        assert_eq!(f("a.CSV").unwrap(), FileFormat::Csv);
        assert_eq!(f("a.ndjson").unwrap(), FileFormat::Json);
        assert_eq!(f("b.xlsx").unwrap(), FileFormat::Xlsx);
        assert!(f("c.exe").is_err());
        assert!(f("noextension").is_err());
        assert!(
            FileFormat::Csv
                .check_mime("text/csv; charset=utf-8")
                .is_ok()
        );
        let err = FileFormat::Xlsx.check_mime("text/csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid content_type: \"text/csv\" does not match a .xlsx file"
        );
    }

    #[test]
    fn file_names_cannot_carry_paths() {
        for bad in [
            "../x.csv",
            "a/b.csv",
            "a\\b.csv",
            ".hidden.csv",
            "",
            "a\u{0}.csv",
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(FileName::parse(&format!("{}.csv", "a".repeat(252))).is_err());
    }
}
