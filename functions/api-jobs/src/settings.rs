//! The settings the job routes read at cold start: the store's resources and the pipeline's
//! state machine, whose executions they stop and start.

use ida_runtime::RuntimeError;
use ida_runtime::settings::{Setting, Settings, required};
use ida_store::{StoreError, StoreSettings};
use std::fmt;

/// The pipeline state machine (`IDA_STATE_MACHINE_ARN`), from which execution ARNs are derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachineArn {
    arn: String,
    /// `arn:<partition>:states:<region>:<account>:execution:<state machine name>`, to which
    /// `:<execution name>` is appended.
    execution_prefix: String,
}

impl StateMachineArn {
    /// The state machine's ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The ARN of the execution named `name` of this state machine.
    pub fn execution_arn(&self, name: &str) -> String {
        format!("{}:{name}", self.execution_prefix)
    }
}

impl Setting for StateMachineArn {
    const VAR: &'static str = "IDA_STATE_MACHINE_ARN";

    fn parse(raw: &str) -> Result<Self, String> {
        const SHAPE: &str = "an ARN like arn:aws:states:<region>:<account>:stateMachine:<name>";
        let parts: Vec<&str> = raw.split(':').collect();
        match parts.as_slice() {
            [
                "arn",
                partition,
                "states",
                region,
                account,
                "stateMachine",
                name,
            ] if [partition, region, account, name]
                .iter()
                .all(|part| !part.is_empty()) =>
            {
                Ok(Self {
                    arn: raw.to_owned(),
                    execution_prefix: format!(
                        "arn:{partition}:states:{region}:{account}:execution:{name}"
                    ),
                })
            }
            _ => Err(SHAPE.to_owned()),
        }
    }
}

impl fmt::Display for StateMachineArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

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
            store: store_settings(&lookup)?,
            state_machine: required(&lookup)?,
        })
    }
}

/// The store's settings, a missing or malformed variable named as a settings error.
fn store_settings(lookup: &impl Fn(&str) -> Option<String>) -> Result<StoreSettings, RuntimeError> {
    StoreSettings::from_lookup(lookup).map_err(|error| match error {
        StoreError::Settings { name, reason } => {
            RuntimeError::MalformedSetting { var: name, reason }
        }
        other => RuntimeError::MalformedSetting {
            var: "IDA_CURSOR_KEY",
            reason: other.to_string(),
        },
    })
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
        for bad in [
            "ida-pipeline",
            "arn:aws:states:eu-west-1:123456789012:activity:x",
            "arn:aws:states::123456789012:stateMachine:x",
        ] {
            assert!(StateMachineArn::parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn every_state_machine_arn_gives_execution_arns_of_the_same_machine(
            partition in "aws(-cn|-us-gov)?",
            region in "[a-z]{2}-[a-z]{4,9}-[1-9]",
            account in "[0-9]{12}",
            machine in "[A-Za-z0-9_-]{1,80}",
            execution in "[A-Za-z0-9_-]{1,80}",
        ) {
            let raw = format!("arn:{partition}:states:{region}:{account}:stateMachine:{machine}");
            let arn = StateMachineArn::parse(&raw).unwrap();
            proptest::prop_assert_eq!(arn.arn(), raw.as_str());
            proptest::prop_assert_eq!(
                arn.execution_arn(&execution),
                format!("arn:{partition}:states:{region}:{account}:execution:{machine}:{execution}")
            );
        }

        #[test]
        fn anything_but_a_state_machine_arn_is_refused(raw in "[ -~]{0,120}") {
            let parts: Vec<&str> = raw.split(':').collect();
            let shaped = parts.len() == 7
                && parts.first() == Some(&"arn")
                && parts.get(2) == Some(&"states")
                && parts.get(5) == Some(&"stateMachine")
                && parts.iter().all(|part| !part.is_empty());
            proptest::prop_assert_eq!(StateMachineArn::parse(&raw).is_ok(), shaped);
        }
    }

    #[test]
    fn a_missing_store_variable_is_named() {
        let mut env = environment();
        env.remove("IDA_RECORDS_TABLE");
        let error = JobsSettings::from_lookup(|var| env.get(var).cloned()).unwrap_err();
        assert_eq!(error.code(), "malformed_setting");
        assert!(error.to_string().contains("IDA_RECORDS_TABLE"), "{error}");
    }
}
