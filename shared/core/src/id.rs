//! Identifiers. Every id is a newtype with a private field, built only by `generate()` or by a
//! fallible `parse()`, so an invalid id cannot exist past the edge of the system.
//!
//! Generated ids are `<prefix>_<32 lowercase hex digits of a UUIDv7>`, such as
//! `dst_0192f1c3a4b57c6d8e9fa0b1c2d3e4f5`. UUIDv7 (RFC 9562) starts with a millisecond
//! timestamp, so ids sort by creation time, which keeps DynamoDB sort keys and listings in
//! creation order without a separate timestamp index; the prefix says what an id names in logs
//! and makes passing a dataset id where a project id is expected fail at `parse`. Hex (rather
//! than Crockford base32) keeps the alphabet to `[0-9a-f]`, safe in S3 keys, URLs and DynamoDB
//! keys without escaping. `parse` checks the prefix, the length and the alphabet, not the UUID
//! version bits, so ids minted by an older generator remain readable.

use std::fmt;

use crate::error::{CoreError, Result};

/// Hex digits after the prefix and underscore.
const ID_HEX_LEN: usize = 32;

fn check_prefixed(text: &str, prefix: &str, field: &'static str) -> Result<()> {
    let Some(rest) = text
        .strip_prefix(prefix)
        .and_then(|after| after.strip_prefix('_'))
    else {
        return Err(CoreError::invalid(
            field,
            format!("must start with \"{prefix}_\""),
        ));
    };
    if rest.len() != ID_HEX_LEN {
        return Err(CoreError::invalid(
            field,
            format!(
                "must be \"{prefix}_\" followed by {ID_HEX_LEN} hex digits, found {} characters",
                rest.len()
            ),
        ));
    }
    if !rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(CoreError::invalid(
            field,
            "may only contain lowercase hex digits after the prefix",
        ));
    }
    Ok(())
}

macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $field:literal) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with (before the underscore).
            pub const PREFIX: &'static str = $prefix;

            /// A new, unique, time-ordered id.
            pub fn generate() -> Self {
                $name(format!("{}_{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Parses an id, refusing a wrong prefix, length or alphabet.
            pub fn parse(text: &str) -> Result<Self> {
                check_prefixed(text, $prefix, $field)?;
                Ok($name(text.to_owned()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = CoreError;
            fn from_str(text: &str) -> Result<Self> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = CoreError;
            fn try_from(text: String) -> Result<Self> {
                check_prefixed(&text, $prefix, $field)?;
                Ok($name(text))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

prefixed_id!(
    /// A tenant: the unit of isolation; every record and object key lives under one.
    TenantId, "ten", "tenant_id"
);
prefixed_id!(
    /// A user account inside a tenant.
    UserId, "usr", "user_id"
);
prefixed_id!(
    /// A project grouping datasets.
    ProjectId, "prj", "project_id"
);
prefixed_id!(
    /// A dataset: a named series of immutable versions.
    DatasetId, "dst", "dataset_id"
);
prefixed_id!(
    /// An upload: one file sent by a client, before it becomes a dataset version.
    UploadId, "upl", "upload_id"
);
prefixed_id!(
    /// A pipeline job (one execution of the state machine).
    JobId, "job", "job_id"
);
prefixed_id!(
    /// A cleaning recipe planned for a dataset version.
    RecipeId, "rcp", "recipe_id"
);
prefixed_id!(
    /// A request for a second person's approval of a destructive action.
    ApprovalId, "apr", "approval_id"
);
prefixed_id!(
    /// An API key; the public part of `ida_<keyid>_<secret>`.
    ApiKeyId, "key", "api_key_id"
);
prefixed_id!(
    /// A family of refresh tokens descending from one login, revoked together on reuse.
    SessionFamilyId, "ses", "session_family_id"
);

macro_rules! counted_number {
    ($(#[$meta:meta])* $name:ident, $int:ty, $int_name:literal, $field:literal) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(try_from = $int_name, into = $int_name)]
        pub struct $name($int);

        impl $name {
            /// The first value, 1.
            pub const FIRST: $name = $name(1);

            /// Builds the number, refusing 0.
            pub fn new(value: $int) -> Result<Self> {
                if value == 0 {
                    return Err(CoreError::invalid($field, "must be 1 or more"));
                }
                Ok($name(value))
            }

            /// Parses decimal digits (leading zeros allowed, as in sort keys), refusing 0.
            pub fn parse(text: &str) -> Result<Self> {
                if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(CoreError::invalid($field, "must be decimal digits"));
                }
                let value: $int = text
                    .parse()
                    .map_err(|_| CoreError::invalid($field, "is too large"))?;
                Self::new(value)
            }

            /// The number.
            pub fn get(self) -> $int {
                self.0
            }

            /// The number after this one, or an error at the integer's limit.
            pub fn next(self) -> Result<Self> {
                self.0
                    .checked_add(1)
                    .map($name)
                    .ok_or_else(|| CoreError::invalid($field, "has reached its maximum"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl TryFrom<$int> for $name {
            type Error = CoreError;
            fn try_from(value: $int) -> Result<Self> {
                Self::new(value)
            }
        }

        impl From<$name> for $int {
            fn from(number: $name) -> $int {
                number.0
            }
        }
    };
}

counted_number!(
    /// A dataset version number: 1 for the first upload, then one more per applied recipe.
    VersionNo, u32, "u32", "version"
);
counted_number!(
    /// The position of an audit event in its tenant's chain, starting at 1.
    AuditSeq, u64, "u64", "audit_seq"
);

impl RecipeId {
    /// The one recipe a job plans: same hex as the job id, so a re-run of the plan stage finds
    /// (or conditionally creates) the same record instead of a second one.
    pub fn for_job(job: &JobId) -> RecipeId {
        let hex = job
            .as_str()
            .strip_prefix(JobId::PREFIX)
            .unwrap_or_default()
            .trim_start_matches('_');
        RecipeId(format!("{}_{hex}", RecipeId::PREFIX))
    }
}

impl JobId {
    /// The one job of an upload: same hex as the upload id, so every delivery of the upload's
    /// event finds (or conditionally creates) the same job, and the upload's status can name it.
    pub fn for_upload(upload: &UploadId) -> JobId {
        let hex = upload
            .as_str()
            .strip_prefix(UploadId::PREFIX)
            .unwrap_or_default()
            .trim_start_matches('_');
        JobId(format!("{}_{hex}", JobId::PREFIX))
    }
}

impl VersionNo {
    /// The sort-key segment, zero-padded to 10 digits so versions sort numerically.
    pub fn sort_key(self) -> String {
        format!("{:010}", self.0)
    }
}

impl AuditSeq {
    /// The sort-key segment, zero-padded to 12 digits so the chain order is the sort order.
    pub fn sort_key(self) -> String {
        format!("{:012}", self.0)
    }
}

/// The correlation id of a request or pipeline execution: opaque text from the edge
/// (an API Gateway request id, a Step Functions execution name), bounded and printable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CorrelationId(String);

impl CorrelationId {
    /// Longest accepted correlation id.
    pub const MAX_LEN: usize = 128;

    /// Parses a correlation id: 1 to 128 ASCII letters, digits, `-`, `_`, `.` or `:`.
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() || text.len() > Self::MAX_LEN {
            return Err(CoreError::invalid(
                "correlation_id",
                format!("must be 1 to {} characters", Self::MAX_LEN),
            ));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        {
            return Err(CoreError::invalid(
                "correlation_id",
                "may only contain ASCII letters, digits, '-', '_', '.' and ':'",
            ));
        }
        Ok(CorrelationId(text.to_owned()))
    }

    /// A fresh correlation id for work that did not start from a request.
    pub fn generate() -> Self {
        CorrelationId(uuid::Uuid::now_v7().hyphenated().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CorrelationId {
    type Error = CoreError;
    fn try_from(text: String) -> Result<Self> {
        Self::parse(&text)
    }
}

impl From<CorrelationId> for String {
    fn from(id: CorrelationId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_ids_parse_back_and_carry_their_prefix() {
        let id = DatasetId::generate();
        assert!(id.as_str().starts_with("dst_"));
        assert_eq!(id.as_str().len(), 4 + 32);
        assert_eq!(DatasetId::parse(id.as_str()).unwrap(), id);
    }

    #[test]
    fn generated_ids_sort_by_creation() {
        let ids: Vec<JobId> = (0..50).map(|_| JobId::generate()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn parse_refuses_another_kinds_prefix_naming_the_field() {
        let dataset = DatasetId::generate();
        let err = ProjectId::parse(dataset.as_str()).unwrap_err();
        assert_eq!(
            err,
            CoreError::invalid("project_id", "must start with \"prj_\"")
        );
    }

    #[test]
    fn parse_refuses_wrong_length_and_alphabet() {
        let short = TenantId::parse("ten_0123").unwrap_err();
        assert!(short.to_string().contains("found 4 characters"), "{short}");
        let upper = TenantId::parse("ten_0123456789ABCDEF0123456789abcdef").unwrap_err();
        assert!(upper.to_string().contains("lowercase hex"), "{upper}");
        assert!(TenantId::parse("ten0123456789abcdef0123456789abcdef").is_err());
        assert!(TenantId::parse("").is_err());
    }

    #[test]
    fn ids_round_trip_through_serde_and_refuse_bad_json() {
        let id = UserId::generate();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
        let bad = serde_json::from_str::<UserId>("\"usr_nothex\"").unwrap_err();
        assert!(bad.to_string().contains("user_id"), "{bad}");
    }

    #[test]
    fn version_numbers_start_at_one() {
        assert!(VersionNo::new(0).is_err());
        assert_eq!(VersionNo::parse("0000000007").unwrap().get(), 7);
        assert_eq!(VersionNo::FIRST.next().unwrap().sort_key(), "0000000002");
        assert!(VersionNo::parse("-1").is_err());
        assert!(VersionNo::parse("99999999999").is_err());
        assert!(VersionNo::new(u32::MAX).unwrap().next().is_err());
        assert!(serde_json::from_str::<VersionNo>("0").is_err());
        assert_eq!(serde_json::from_str::<VersionNo>("3").unwrap().get(), 3);
        assert_eq!(AuditSeq::new(42).unwrap().sort_key(), "000000000042");
    }

    #[test]
    fn a_jobs_recipe_id_is_derived_from_the_job_id() {
        let job = JobId::generate();
        let recipe = RecipeId::for_job(&job);
        assert_eq!(RecipeId::parse(recipe.as_str()).unwrap(), recipe);
        assert_eq!(&recipe.as_str()[4..], &job.as_str()[4..]);
        assert_eq!(RecipeId::for_job(&job), recipe);
    }

    #[test]
    fn correlation_ids_are_bounded_and_printable() {
        assert!(CorrelationId::parse("c0ffee-01:req.2_x").is_ok());
        assert!(CorrelationId::parse("").is_err());
        assert!(CorrelationId::parse("a b").is_err());
        assert!(CorrelationId::parse(&"a".repeat(129)).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn parse_accepts_exactly_prefix_and_32_lowercase_hex(text in "\\PC{0,40}") {
            let valid = text.len() == 36
                && text.starts_with("apr_")
                && text[4..].bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            prop_assert_eq!(ApprovalId::parse(&text).is_ok(), valid);
        }

        #[test]
        fn valid_ids_round_trip(hex in "[0-9a-f]{32}") {
            let text = format!("rcp_{hex}");
            let id = RecipeId::parse(&text).unwrap();
            prop_assert_eq!(id.to_string(), text);
        }
    }
}
