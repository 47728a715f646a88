//! Malware scanning of uploads. The AWS implementation reads the object tag that GuardDuty
//! Malware Protection for S3 writes when it has scanned an object
//! (`GuardDutyMalwareScanStatus`). With no scanner configured an upload is recorded as
//! `not_scanned`, and the tenant's policy decides whether it may be used.

use ida_core::TenantScope;
use ida_core::upload::ScanStatus;

use crate::artifacts::{ArtifactKey, S3Artifacts, ensure_key_in_scope};
use crate::error::{Result, StoreError};
use crate::ports::MalwareScanner;

/// The tag GuardDuty Malware Protection for S3 sets on a scanned object.
pub const GUARDDUTY_SCAN_TAG: &str = "GuardDutyMalwareScanStatus";

/// What a scanner says about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanVerdict {
    /// Scanned, nothing found (`NO_THREATS_FOUND`).
    Clean,
    /// Scanned, a threat was found (`THREATS_FOUND`).
    Infected,
    /// Not scanned yet: ask again later.
    Pending,
    /// The scanner could not scan it (`UNSUPPORTED`, `ACCESS_DENIED`, `FAILED`, ...).
    Unscannable(String),
}

impl ScanVerdict {
    /// Reads the GuardDuty tag value (absent: not scanned yet).
    pub fn from_guardduty_tag(value: Option<&str>) -> Self {
        match value {
            None => ScanVerdict::Pending,
            Some("NO_THREATS_FOUND") => ScanVerdict::Clean,
            Some("THREATS_FOUND") => ScanVerdict::Infected,
            Some(other) => ScanVerdict::Unscannable(other.to_owned()),
        }
    }

    /// The upload's scan status for this verdict. An object the scanner could not scan is
    /// kept `pending`, so a tenant that requires scans never uses it.
    pub fn upload_status(&self) -> ScanStatus {
        match self {
            ScanVerdict::Clean => ScanStatus::Clean,
            ScanVerdict::Infected => ScanStatus::Infected,
            ScanVerdict::Pending | ScanVerdict::Unscannable(_) => ScanStatus::Pending,
        }
    }
}

/// The scanner an installation uses.
#[derive(Debug, Clone)]
pub enum ScannerSetting {
    /// No scanner: uploads are recorded `not_scanned`.
    None,
    /// GuardDuty Malware Protection for S3, read through object tags.
    GuardDuty(GuardDutyTagScanner),
}

impl ScannerSetting {
    /// The scan status a new upload starts with.
    pub fn initial_status(&self) -> ScanStatus {
        match self {
            ScannerSetting::None => ScanStatus::NotScanned,
            ScannerSetting::GuardDuty(_) => ScanStatus::Pending,
        }
    }
}

/// Reads GuardDuty's scan-result tag from the object.
#[derive(Debug, Clone)]
pub struct GuardDutyTagScanner {
    artifacts: S3Artifacts,
}

impl GuardDutyTagScanner {
    /// A scanner reading tags through the S3 adapter's client and buckets.
    pub fn new(artifacts: S3Artifacts) -> Self {
        GuardDutyTagScanner { artifacts }
    }
}

impl MalwareScanner for GuardDutyTagScanner {
    async fn scan_status(&self, scope: &TenantScope, key: &ArtifactKey) -> Result<ScanVerdict> {
        ensure_key_in_scope(scope, key)?;
        let output = self
            .artifacts
            .client
            .get_object_tagging()
            .bucket(self.artifacts.bucket_name(key))
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("GetObjectTagging", e))?;
        let value = output
            .tag_set()
            .iter()
            .find(|tag| tag.key() == GUARDDUTY_SCAN_TAG)
            .map(|tag| tag.value());
        Ok(ScanVerdict::from_guardduty_tag(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guardduty_tag_values_map_to_verdicts() {
        assert_eq!(
            ScanVerdict::from_guardduty_tag(Some("NO_THREATS_FOUND")),
            ScanVerdict::Clean
        );
        assert_eq!(
            ScanVerdict::from_guardduty_tag(Some("THREATS_FOUND")),
            ScanVerdict::Infected
        );
        assert_eq!(ScanVerdict::from_guardduty_tag(None), ScanVerdict::Pending);
        let failed = ScanVerdict::from_guardduty_tag(Some("FAILED"));
        assert_eq!(failed, ScanVerdict::Unscannable("FAILED".into()));
        assert_eq!(failed.upload_status(), ScanStatus::Pending);
        assert_eq!(
            ScannerSetting::None.initial_status(),
            ScanStatus::NotScanned
        );
    }
}
