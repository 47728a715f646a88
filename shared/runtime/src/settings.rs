//! Typed settings read from the environment and validated once, at cold start.
//!
//! Each setting is a type that knows its variable and how to parse it ([`Setting`]); each
//! function declares the few it needs in a small struct that implements [`Settings`]. Tests call
//! [`Settings::from_lookup`] with a map instead of touching the process environment, so they run
//! in parallel. A value is never copied into an error message: a future secret setting must not
//! end up in a log.

use crate::error::RuntimeError;
use std::fmt;
use std::net::Ipv4Addr;
use tracing_subscriber::filter::LevelFilter;

/// One environment variable and the type its value parses into.
pub trait Setting: Sized {
    /// The variable's exact name, as the SAM template sets it.
    const VAR: &'static str;

    /// Parses a non-empty raw value, or says what a valid value looks like.
    fn parse(raw: &str) -> Result<Self, String>;
}

/// A function's settings: the struct of [`Setting`]s it needs, read in one go.
pub trait Settings: Sized {
    /// Reads every setting through `lookup`, which returns a variable's value if it is set.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError>;

    /// Reads every setting from the process environment.
    fn from_env() -> Result<Self, RuntimeError> {
        Self::from_lookup(process_env)
    }
}

/// Looks a variable up in the process environment. A value that is not valid Unicode is passed
/// on with replacement characters, which every setting's parser then rejects as malformed.
pub fn process_env(var: &str) -> Option<String> {
    std::env::var_os(var).map(|value| value.to_string_lossy().into_owned())
}

/// Reads a setting that must be present; an empty value counts as missing because templates
/// render an unset parameter as the empty string.
pub fn required<S: Setting>(lookup: &impl Fn(&str) -> Option<String>) -> Result<S, RuntimeError> {
    match lookup(S::VAR) {
        Some(raw) if !raw.is_empty() => parse::<S>(&raw),
        _ => Err(RuntimeError::MissingSetting { var: S::VAR }),
    }
}

/// Reads a setting that may be absent (or empty), in which case its default applies.
pub fn optional<S: Setting + Default>(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<S, RuntimeError> {
    match lookup(S::VAR) {
        Some(raw) if !raw.is_empty() => parse::<S>(&raw),
        _ => Ok(S::default()),
    }
}

fn parse<S: Setting>(raw: &str) -> Result<S, RuntimeError> {
    S::parse(raw).map_err(|reason| RuntimeError::MalformedSetting {
        var: S::VAR,
        reason,
    })
}

/// The DynamoDB single table holding every tenant's records (`IDA_RECORDS_TABLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsTable(String);

impl RecordsTable {
    /// The table's name.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl Setting for RecordsTable {
    const VAR: &'static str = "IDA_RECORDS_TABLE";

    fn parse(raw: &str) -> Result<Self, String> {
        check_table_name(raw).map(|()| Self(raw.to_owned()))
    }
}

impl fmt::Display for RecordsTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The S3 bucket of dataset versions, profiles and reports (`IDA_ARTIFACTS_BUCKET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactsBucket(String);

impl ArtifactsBucket {
    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl Setting for ArtifactsBucket {
    const VAR: &'static str = "IDA_ARTIFACTS_BUCKET";

    fn parse(raw: &str) -> Result<Self, String> {
        check_bucket_name(raw).map(|()| Self(raw.to_owned()))
    }
}

impl fmt::Display for ArtifactsBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The S3 bucket that receives raw uploads through presigned URLs (`IDA_UPLOADS_BUCKET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadsBucket(String);

impl UploadsBucket {
    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl Setting for UploadsBucket {
    const VAR: &'static str = "IDA_UPLOADS_BUCKET";

    fn parse(raw: &str) -> Result<Self, String> {
        check_bucket_name(raw).map(|()| Self(raw.to_owned()))
    }
}

impl fmt::Display for UploadsBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The KMS key that encrypts artifacts and uploads (`IDA_KMS_KEY_ARN`): a key or alias ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKeyArn(String);

impl KmsKeyArn {
    /// The full ARN, as S3's `SSEKMSKeyId` expects it.
    pub fn arn(&self) -> &str {
        &self.0
    }
}

impl Setting for KmsKeyArn {
    const VAR: &'static str = "IDA_KMS_KEY_ARN";

    fn parse(raw: &str) -> Result<Self, String> {
        check_kms_key_arn(raw).map(|()| Self(raw.to_owned()))
    }
}

impl fmt::Display for KmsKeyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How verbose the logs are (`IDA_LOG_LEVEL`, optional, `info` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLevel(LevelFilter);

impl LogLevel {
    /// The level as a tracing filter.
    pub fn filter(self) -> LevelFilter {
        self.0
    }

    /// Reads only the log level, so tracing can start before the other settings are checked
    /// and a rejected setting is itself logged as JSON.
    pub fn from_env() -> Result<Self, RuntimeError> {
        optional(&process_env)
    }
}

impl Default for LogLevel {
    fn default() -> Self {
        Self(LevelFilter::INFO)
    }
}

impl Setting for LogLevel {
    const VAR: &'static str = "IDA_LOG_LEVEL";

    fn parse(raw: &str) -> Result<Self, String> {
        let filter = match raw.to_ascii_lowercase().as_str() {
            "trace" => LevelFilter::TRACE,
            "debug" => LevelFilter::DEBUG,
            "info" => LevelFilter::INFO,
            "warn" => LevelFilter::WARN,
            "error" => LevelFilter::ERROR,
            "off" => LevelFilter::OFF,
            _ => return Err("expected one of trace, debug, info, warn, error, off".into()),
        };
        Ok(Self(filter))
    }
}

/// DynamoDB's rule: 3 to 255 characters among letters, digits, `_`, `-` and `.`.
fn check_table_name(raw: &str) -> Result<(), String> {
    if !(3..=255).contains(&raw.len()) {
        return Err(format!(
            "a table name has 3 to 255 characters, this one has {}",
            raw.chars().count()
        ));
    }
    if let Some(position) = raw
        .chars()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "a table name holds only letters, digits, '_', '-' and '.'; character {} is not one",
            position + 1
        ));
    }
    Ok(())
}

/// S3's rules for general purpose bucket names.
fn check_bucket_name(raw: &str) -> Result<(), String> {
    if !(3..=63).contains(&raw.len()) {
        return Err(format!(
            "a bucket name has 3 to 63 characters, this one has {}",
            raw.chars().count()
        ));
    }
    if let Some(position) = raw
        .chars()
        .position(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.')))
    {
        return Err(format!(
            "a bucket name holds only lowercase letters, digits, '-' and '.'; character {} is not one",
            position + 1
        ));
    }
    let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alphanumeric(raw.chars().next()) || !alphanumeric(raw.chars().last()) {
        return Err("a bucket name starts and ends with a letter or digit".into());
    }
    if raw.contains("..") {
        return Err("a bucket name has no two adjacent periods".into());
    }
    if raw.parse::<Ipv4Addr>().is_ok() {
        return Err("a bucket name is not formatted as an IP address".into());
    }
    if ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| raw.starts_with(p))
        || ["-s3alias", "--ol-s3", "--x-s3", "--table-s3"]
            .iter()
            .any(|s| raw.ends_with(s))
    {
        return Err("a bucket name does not use a prefix or suffix that S3 reserves".into());
    }
    Ok(())
}

/// `arn:<partition>:kms:<region>:<12-digit account>:key/<id>` or `...:alias/<name>`.
fn check_kms_key_arn(raw: &str) -> Result<(), String> {
    const SHAPE: &str = "expected arn:<partition>:kms:<region>:<account>:key/<id> or :alias/<name>";
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(SHAPE.into());
    };
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let resource_ok = match resource.split_once('/') {
        Some(("key", id)) => plain(&id.to_ascii_lowercase()),
        Some(("alias", name)) => {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
        }
        _ => false,
    };
    if *prefix == "arn"
        && plain(partition)
        && *service == "kms"
        && plain(region)
        && account_ok
        && resource_ok
    {
        Ok(())
    } else {
        Err(SHAPE.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// The settings api-health declares, as an example of a function's settings struct.
    #[derive(Debug)]
    struct ExampleSettings {
        records_table: RecordsTable,
        artifacts_bucket: ArtifactsBucket,
        uploads_bucket: UploadsBucket,
        kms_key: KmsKeyArn,
        log_level: LogLevel,
    }

    impl Settings for ExampleSettings {
        fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
            Ok(Self {
                records_table: required(&lookup)?,
                artifacts_bucket: required(&lookup)?,
                uploads_bucket: required(&lookup)?,
                kms_key: required(&lookup)?,
                log_level: optional(&lookup)?,
            })
        }
    }

    const KEY_ARN: &str =
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn complete() -> HashMap<&'static str, String> {
        HashMap::from([
            ("IDA_RECORDS_TABLE", "ida-dev-records".to_owned()),
            ("IDA_ARTIFACTS_BUCKET", "ida-dev-artifacts".to_owned()),
            ("IDA_UPLOADS_BUCKET", "ida-dev-uploads".to_owned()),
            ("IDA_KMS_KEY_ARN", KEY_ARN.to_owned()),
        ])
    }

    fn read(env: &HashMap<&'static str, String>) -> Result<ExampleSettings, RuntimeError> {
        ExampleSettings::from_lookup(|var| env.get(var).cloned())
    }

    #[test]
    fn complete_environment_reads_every_setting_and_defaults_the_log_level() {
        let settings = read(&complete()).unwrap();
        assert_eq!(settings.records_table.name(), "ida-dev-records");
        assert_eq!(settings.artifacts_bucket.name(), "ida-dev-artifacts");
        assert_eq!(settings.uploads_bucket.name(), "ida-dev-uploads");
        assert_eq!(settings.kms_key.arn(), KEY_ARN);
        assert_eq!(settings.log_level.filter(), LevelFilter::INFO);
    }

    #[test]
    fn missing_variable_is_named() {
        let mut env = complete();
        env.remove("IDA_ARTIFACTS_BUCKET");
        let error = read(&env).unwrap_err();
        assert!(matches!(
            error,
            RuntimeError::MissingSetting {
                var: "IDA_ARTIFACTS_BUCKET"
            }
        ));
    }

    #[test]
    fn empty_variable_counts_as_missing() {
        let mut env = complete();
        env.insert("IDA_RECORDS_TABLE", String::new());
        let error = read(&env).unwrap_err();
        assert!(matches!(
            error,
            RuntimeError::MissingSetting {
                var: "IDA_RECORDS_TABLE"
            }
        ));
    }

    #[test]
    fn malformed_variable_is_named_without_repeating_its_value() {
        let mut env = complete();
        env.insert("IDA_UPLOADS_BUCKET", "Secret_Uploads".to_owned());
        let error = read(&env).unwrap_err();
        let message = error.to_string();
        assert!(matches!(
            error,
            RuntimeError::MalformedSetting {
                var: "IDA_UPLOADS_BUCKET",
                ..
            }
        ));
        assert!(message.contains("character 1 is not one"), "{message}");
        assert!(!message.contains("Secret_Uploads"), "{message}");
    }

    #[test]
    fn log_level_accepts_names_in_any_case() {
        let mut env = complete();
        env.insert("IDA_LOG_LEVEL", "DEBUG".to_owned());
        assert_eq!(read(&env).unwrap().log_level.filter(), LevelFilter::DEBUG);
        env.insert("IDA_LOG_LEVEL", "verbose".to_owned());
        let error = read(&env).unwrap_err();
        assert!(matches!(
            error,
            RuntimeError::MalformedSetting {
                var: "IDA_LOG_LEVEL",
                ..
            }
        ));
    }

    #[test]
    fn table_names_follow_dynamodb_rules() {
        assert!(RecordsTable::parse("a.b-c_D9").is_ok());
        assert!(RecordsTable::parse("ab").is_err());
        assert!(RecordsTable::parse(&"t".repeat(256)).is_err());
        assert!(RecordsTable::parse("records table").is_err());
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        assert!(ArtifactsBucket::parse("ida-test.artifacts-01").is_ok());
        for bad in [
            "ab",
            "-artifacts",
            "artifacts-",
            "arti..facts",
            "Artifacts",
            "192.168.5.4",
            "xn--artifacts",
            "artifacts-s3alias",
            "arti_facts",
        ] {
            assert!(ArtifactsBucket::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn kms_key_arns_accept_keys_and_aliases_only() {
        assert!(KmsKeyArn::parse(KEY_ARN).is_ok());
        assert!(KmsKeyArn::parse("arn:aws:kms:us-east-1:000000000000:alias/ida/artifacts").is_ok());
        assert!(KmsKeyArn::parse("arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1a2b").is_ok());
        for bad in [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:s3:eu-west-1:123456789012:key/abc",
            "arn:aws:kms:eu-west-1:1234:key/abc",
            "arn:aws:kms:eu-west-1:123456789012:key/",
            "arn:aws:kms:eu-west-1:123456789012:grant/abc",
            "arn:aws:kms::123456789012:key/abc",
        ] {
            assert!(KmsKeyArn::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn every_valid_table_name_is_kept_verbatim(name in "[a-zA-Z0-9_.-]{3,255}") {
            let table = RecordsTable::parse(&name).unwrap();
            prop_assert_eq!(table.name(), name.as_str());
        }

        #[test]
        fn a_table_name_with_any_other_character_is_rejected(
            head in "[a-z]{2}",
            bad in "[^a-zA-Z0-9_.-]",
            tail in "[a-z]{0,5}",
        ) {
            let name = format!("{head}{bad}{tail}");
            prop_assert!(RecordsTable::parse(&name).is_err());
        }

        #[test]
        fn every_accepted_bucket_name_obeys_the_s3_character_rules(name in "[a-z0-9.-]{1,70}") {
            if let Ok(bucket) = ArtifactsBucket::parse(&name) {
                let name = bucket.name();
                prop_assert!((3..=63).contains(&name.len()));
                prop_assert!(!name.contains(".."));
                prop_assert!(name.starts_with(|c: char| c.is_ascii_alphanumeric()));
                prop_assert!(name.ends_with(|c: char| c.is_ascii_alphanumeric()));
            }
        }

        #[test]
        fn a_plain_dns_label_is_a_valid_bucket_name(name in "[a-z][a-z0-9-]{1,61}[a-z0-9]") {
            let reserved_prefix = ["xn--", "sthree-", "amzn-s3-demo-"].iter().any(|p| name.starts_with(p));
            let reserved_suffix = ["-s3alias", "--ol-s3", "--x-s3", "--table-s3"].iter().any(|s| name.ends_with(s));
            prop_assume!(!reserved_prefix && !reserved_suffix);
            prop_assert!(ArtifactsBucket::parse(&name).is_ok());
        }
    }
}
