//! The settings of functions that start, stop or answer pipeline executions: the state
//! machine's ARN (`IDA_STATE_MACHINE_ARN`, set by the template from `PipelineStateMachine`).
//! It never talks to Step Functions; it only checks the ARN's shape at cold start.

use crate::error::RuntimeError;
use crate::settings::{Setting, Settings, required};
use std::fmt;

/// The pipeline state machine (`IDA_STATE_MACHINE_ARN`):
/// `arn:<partition>:states:<region>:<account>:stateMachine:<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachineArn {
    arn: String,
    /// `arn:<partition>:states:<region>:<account>:execution:<name>`, to which
    /// `:<execution name>` is appended.
    execution_prefix: String,
}

impl StateMachineArn {
    /// The full ARN, as StartExecution expects it.
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
        const SHAPE: &str =
            "expected arn:<partition>:states:<region>:<account>:stateMachine:<name>";
        let parts: Vec<&str> = raw.split(':').collect();
        let [prefix, partition, service, region, account, kind, name] = parts.as_slice() else {
            return Err(SHAPE.into());
        };
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
        let name_ok = (1..=80).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if *prefix == "arn"
            && plain(partition)
            && *service == "states"
            && plain(region)
            && account_ok
            && *kind == "stateMachine"
            && name_ok
        {
            Ok(Self {
                arn: raw.to_owned(),
                execution_prefix: format!(
                    "arn:{partition}:states:{region}:{account}:execution:{name}"
                ),
            })
        } else {
            Err(SHAPE.into())
        }
    }
}

impl fmt::Display for StateMachineArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// What a function that drives executions reads: the state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineSettings {
    /// The pipeline state machine.
    pub state_machine: StateMachineArn,
}

impl Settings for PipelineSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        Ok(Self {
            state_machine: required(&lookup)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_state_machine_arn_parses_and_other_arns_do_not() {
        let arn = "arn:aws:states:us-east-1:000000000000:stateMachine:ida-3f2a-pipeline";
        let settings = PipelineSettings::from_lookup(|var| {
            (var == "IDA_STATE_MACHINE_ARN").then(|| arn.to_owned())
        })
        .unwrap();
        assert_eq!(settings.state_machine.arn(), arn);
        assert_eq!(
            settings.state_machine.execution_arn("upl_1"),
            "arn:aws:states:us-east-1:000000000000:execution:ida-3f2a-pipeline:upl_1"
        );
        for bad in [
            "arn:aws:states:us-east-1:000000000000:activity:x",
            "arn:aws:sqs:us-east-1:000000000000:stateMachine:x",
            "arn:aws:states:us-east-1:0000:stateMachine:x",
            "arn:aws:states:us-east-1:000000000000:stateMachine:",
            "arn:aws:states:us-east-1:000000000000:stateMachine:a:b",
        ] {
            assert!(StateMachineArn::parse(bad).is_err(), "{bad}");
        }
        let missing = PipelineSettings::from_lookup(|_| None).unwrap_err();
        assert_eq!(missing.code(), "missing_setting");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        // Every well-formed name round-trips through the ARN unchanged.
        #[test]
        fn well_formed_names_parse(name in "[A-Za-z0-9_-]{1,80}") {
            let arn = format!("arn:aws:states:eu-west-1:123456789012:stateMachine:{name}");
            let parsed = StateMachineArn::parse(&arn).unwrap();
            prop_assert_eq!(parsed.arn(), arn.as_str());
        }

        // Execution ARNs stay in the state machine's partition, region and account.
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
            prop_assert_eq!(arn.arn(), raw.as_str());
            prop_assert_eq!(
                arn.execution_arn(&execution),
                format!("arn:{partition}:states:{region}:{account}:execution:{machine}:{execution}")
            );
        }

        // Whatever parses has the seven non-empty parts of a state machine ARN.
        #[test]
        fn anything_but_a_state_machine_arn_is_refused(raw in "[ -~]{0,120}") {
            let parts: Vec<&str> = raw.split(':').collect();
            let shaped = parts.len() == 7
                && parts.first() == Some(&"arn")
                && parts.get(2) == Some(&"states")
                && parts.get(5) == Some(&"stateMachine")
                && parts.iter().all(|part| !part.is_empty());
            prop_assert!(shaped || StateMachineArn::parse(&raw).is_err());
        }
    }
}
