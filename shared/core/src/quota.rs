//! Quotas (per-tenant limits with plan defaults and a pure check), feature flags and daily
//! usage counters. The store keeps the counts with conditional writes; this module only decides.

use std::collections::BTreeMap;

use time::Date;

use crate::error::{CoreError, Result};
use crate::tenancy::Plan;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// A limited resource.
    pub enum Quota: "quota" {
        /// Projects in the tenant.
        Projects => "projects",
        /// Datasets in the tenant.
        Datasets => "datasets",
        /// Users in the tenant.
        Users => "users",
        /// Active API keys.
        ApiKeys => "api_keys",
        /// Bytes of one upload.
        UploadBytes => "upload_bytes",
        /// Bytes stored for all versions.
        StorageBytes => "storage_bytes",
        /// Jobs started per UTC day.
        JobsPerDay => "jobs_per_day",
    }
}

/// A tenant's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuotaLimits {
    /// Most projects.
    pub projects: u64,
    /// Most datasets.
    pub datasets: u64,
    /// Most users.
    pub users: u64,
    /// Most active API keys.
    pub api_keys: u64,
    /// Largest single upload, in bytes.
    pub upload_bytes: u64,
    /// Most bytes stored.
    pub storage_bytes: u64,
    /// Most jobs started per UTC day.
    pub jobs_per_day: u64,
}

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

impl QuotaLimits {
    /// The default limits of a plan.
    pub fn for_plan(plan: Plan) -> Self {
        match plan {
            Plan::Free => QuotaLimits {
                projects: 3,
                datasets: 20,
                users: 3,
                api_keys: 2,
                upload_bytes: 100 * MIB,
                storage_bytes: GIB,
                jobs_per_day: 50,
            },
            Plan::Team => QuotaLimits {
                projects: 50,
                datasets: 1_000,
                users: 50,
                api_keys: 20,
                upload_bytes: 2 * GIB,
                storage_bytes: 500 * GIB,
                jobs_per_day: 2_000,
            },
            Plan::Enterprise => QuotaLimits {
                projects: 1_000,
                datasets: 100_000,
                users: 5_000,
                api_keys: 500,
                upload_bytes: 10 * GIB,
                storage_bytes: 50 * 1024 * GIB,
                jobs_per_day: 100_000,
            },
        }
    }

    /// The limit for one quota.
    pub fn limit(&self, quota: Quota) -> u64 {
        match quota {
            Quota::Projects => self.projects,
            Quota::Datasets => self.datasets,
            Quota::Users => self.users,
            Quota::ApiKeys => self.api_keys,
            Quota::UploadBytes => self.upload_bytes,
            Quota::StorageBytes => self.storage_bytes,
            Quota::JobsPerDay => self.jobs_per_day,
        }
    }

    /// Refuses a request that would take `quota` from `used` past its limit by adding
    /// `requested`. For `upload_bytes`, `used` is 0 and `requested` the upload's size.
    pub fn check(&self, quota: Quota, used: u64, requested: u64) -> Result<()> {
        let limit = self.limit(quota);
        match used.checked_add(requested) {
            Some(total) if total <= limit => Ok(()),
            _ => Err(CoreError::QuotaExceeded {
                quota: quota.as_str(),
                limit,
                used,
                requested,
            }),
        }
    }
}

/// A feature flag name: 1 to 64 of `a-z`, `0-9`, `_`, `-`, `.`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct FlagName(String);

impl FlagName {
    /// Parses a flag name.
    pub fn parse(text: &str) -> Result<Self> {
        let valid = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.'));
        if valid {
            Ok(FlagName(text.to_owned()))
        } else {
            Err(CoreError::invalid(
                "flag",
                "must be 1 to 64 of a-z, 0-9, '_', '-', '.'",
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FlagName {
    type Error = CoreError;
    fn try_from(text: String) -> Result<Self> {
        Self::parse(&text)
    }
}

impl From<FlagName> for String {
    fn from(name: FlagName) -> String {
        name.0
    }
}

/// A tenant's feature flags; a flag not set is off.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeatureFlags {
    /// Flags explicitly set.
    pub flags: BTreeMap<FlagName, bool>,
}

impl FeatureFlags {
    /// Whether the flag is on.
    pub fn is_enabled(&self, flag: &FlagName) -> bool {
        self.flags.get(flag).copied().unwrap_or(false)
    }

    /// Sets a flag.
    pub fn set(&mut self, flag: FlagName, enabled: bool) {
        self.flags.insert(flag, enabled);
    }
}

/// A tenant's usage on one UTC day (`USAGE#{day}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UsageCounters {
    /// The UTC day.
    pub day: Date,
    /// Uploads created.
    pub uploads: u64,
    /// Bytes uploaded.
    pub upload_bytes: u64,
    /// Jobs started.
    pub jobs_started: u64,
    /// Rows written into new versions.
    pub rows_processed: u64,
    /// Authenticated API requests.
    pub api_requests: u64,
}

impl UsageCounters {
    /// Zero usage for a day.
    pub fn new(day: Date) -> Self {
        UsageCounters {
            day,
            uploads: 0,
            upload_bytes: 0,
            jobs_started: 0,
            rows_processed: 0,
            api_requests: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_allows_up_to_the_limit_and_names_the_quota() {
        let limits = QuotaLimits::for_plan(Plan::Free);
        assert!(limits.check(Quota::Projects, 2, 1).is_ok());
        let err = limits.check(Quota::Projects, 3, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "quota projects exceeded: limit 3, in use 3, requested 1"
        );
        assert!(limits.check(Quota::UploadBytes, 0, 100 * MIB).is_ok());
        assert!(limits.check(Quota::UploadBytes, 0, 100 * MIB + 1).is_err());
        assert!(limits.check(Quota::StorageBytes, u64::MAX, 1).is_err());
    }

    #[test]
    fn plans_grow_monotonically() {
        for quota in Quota::ALL {
            let free = QuotaLimits::for_plan(Plan::Free).limit(*quota);
            let team = QuotaLimits::for_plan(Plan::Team).limit(*quota);
            let enterprise = QuotaLimits::for_plan(Plan::Enterprise).limit(*quota);
            assert!(free < team && team < enterprise, "{quota}");
        }
    }

    #[test]
    fn unset_flags_are_off() {
        let mut flags = FeatureFlags::default();
        let name = FlagName::parse("xlsx.streaming").unwrap();
        assert!(!flags.is_enabled(&name));
        flags.set(name.clone(), true);
        assert!(flags.is_enabled(&name));
        assert!(FlagName::parse("Bad Flag").is_err());
        let json = serde_json::to_string(&flags).unwrap();
        assert_eq!(json, r#"{"flags":{"xlsx.streaming":true}}"#);
    }
}
