//! The settings the job routes read at cold start: the store's resources and the pipeline's
//! state machine, whose executions they stop and start.

use ida_runtime::RuntimeError;
use ida_runtime::settings::{Settings, required};
use ida_runtime::store_settings::StoreAccess;
use ida_store::StoreSettings;

pub use ida_runtime::pipeline_settings::StateMachineArn;

/// What the job functions read from their environment.
#[derive(Debug, Clone)]
pub struct JobsSettings {
    /// The records table, buckets and cursor key.
    pub store: StoreSettings,
    /// The pipeline state machine.
    pub state_machine: StateMachineArn,
}

impl Settings for JobsSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        Ok(Self {
            store: StoreAccess::from_lookup(&lookup)?.store,
            state_machine: required(&lookup)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn environment() -> HashMap<&'static str, String> {
        HashMap::from([
            ("IDA_RECORDS_TABLE", "ida-records".to_owned()),
            ("IDA_UPLOADS_BUCKET", "ida-uploads".to_owned()),
            ("IDA_ARTIFACTS_BUCKET", "ida-artifacts".to_owned()),
            (
                "IDA_KMS_KEY_ARN",
                "arn:aws:kms:eu-west-1:123456789012:key/k".to_owned(),
            ),
            ("IDA_CURSOR_KEY", "ab".repeat(32)),
            (
                "IDA_STATE_MACHINE_ARN",
                "arn:aws:states:eu-west-1:123456789012:stateMachine:ida-pipeline".to_owned(),
            ),
        ])
    }

    #[test]
    fn execution_arns_are_derived_from_the_state_machine() {
        let env = environment();
        let settings = JobsSettings::from_lookup(|var| env.get(var).cloned()).unwrap();
        assert_eq!(
            settings.state_machine.execution_arn("upl_1"),
            "arn:aws:states:eu-west-1:123456789012:execution:ida-pipeline:upl_1"
        );
    }

    #[test]
    fn a_missing_or_malformed_state_machine_is_named() {
        let mut env = environment();
        env.remove("IDA_STATE_MACHINE_ARN");
        let missing = JobsSettings::from_lookup(|var| env.get(var).cloned()).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "environment variable IDA_STATE_MACHINE_ARN is not set"
        );
        env.insert(
            "IDA_STATE_MACHINE_ARN",
            "arn:aws:states:eu-west-1:123456789012:activity:x".to_owned(),
        );
        let malformed = JobsSettings::from_lookup(|var| env.get(var).cloned()).unwrap_err();
        assert_eq!(malformed.code(), "malformed_setting");
        assert!(
            malformed.to_string().contains("IDA_STATE_MACHINE_ARN"),
            "{malformed}"
        );
    }

    #[test]
    fn a_missing_store_variable_is_named() {
        let mut env = environment();
        env.remove("IDA_RECORDS_TABLE");
        let error = JobsSettings::from_lookup(|var| env.get(var).cloned()).unwrap_err();
        assert_eq!(error.code(), "missing_setting");
        assert!(error.to_string().contains("IDA_RECORDS_TABLE"), "{error}");
    }
}
