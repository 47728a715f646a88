//! The settings `GET /health` needs: the two resources it probes.

use ida_runtime::RuntimeError;
use ida_runtime::settings::{ArtifactsBucket, RecordsTable, Settings, required};

/// What the health function reads from its environment at cold start.
#[derive(Debug, Clone)]
pub struct HealthSettings {
    /// The table probed with DescribeTable.
    pub records_table: RecordsTable,
    /// The bucket probed with HeadBucket.
    pub artifacts_bucket: ArtifactsBucket,
}

impl Settings for HealthSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        Ok(Self {
            records_table: required(&lookup)?,
            artifacts_bucket: required(&lookup)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn reads_only_the_two_resources_it_probes() {
        let env = HashMap::from([
            ("IDA_RECORDS_TABLE", "ida-records"),
            ("IDA_ARTIFACTS_BUCKET", "ida-artifacts"),
        ]);
        let settings =
            HealthSettings::from_lookup(|var| env.get(var).map(|v| (*v).to_owned())).unwrap();
        assert_eq!(settings.records_table.name(), "ida-records");
        assert_eq!(settings.artifacts_bucket.name(), "ida-artifacts");
    }

    #[test]
    fn a_missing_table_is_named() {
        let env = HashMap::from([("IDA_ARTIFACTS_BUCKET", "ida-artifacts")]);
        let error =
            HealthSettings::from_lookup(|var| env.get(var).map(|v| (*v).to_owned())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable IDA_RECORDS_TABLE is not set"
        );
    }
}
