//! The body of `GET /health`.

use crate::check::{CheckOutcome, whole_millis};
use serde::Serialize;
use std::collections::BTreeMap;

/// The package version, fixed at build time.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit the build was made from, when the build sets `IDA_GIT_COMMIT`.
const COMMIT: Option<&str> = option_env!("IDA_GIT_COMMIT");

/// Up or down, for the whole service and for each dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Answering as expected.
    Up,
    /// Not answering, or answering wrongly.
    Down,
}

/// What `GET /health` returns.
#[derive(Debug, Serialize)]
pub struct HealthReport {
    /// `up` only when every dependency is up.
    pub status: Status,
    /// The function's package version.
    pub version: &'static str,
    /// The git commit of the build, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<&'static str>,
    /// Each dependency by name, in name order.
    pub dependencies: BTreeMap<&'static str, DependencyReport>,
}

/// The state of one dependency.
#[derive(Debug, Serialize)]
pub struct DependencyReport {
    /// Whether it answered as expected.
    pub status: Status,
    /// How long the check took, in whole milliseconds.
    pub latency_ms: u64,
    /// Why it is down, as a stable code such as `not_found` or `timed_out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

impl HealthReport {
    /// The report for this build and these check outcomes.
    pub fn from_outcomes(outcomes: &[CheckOutcome]) -> Self {
        let dependencies: BTreeMap<_, _> = outcomes
            .iter()
            .map(|outcome| {
                let report = DependencyReport {
                    status: if outcome.result.is_ok() {
                        Status::Up
                    } else {
                        Status::Down
                    },
                    latency_ms: whole_millis(outcome.latency),
                    reason: outcome.result.as_ref().err().map(|error| error.code()),
                };
                (outcome.name, report)
            })
            .collect();
        let all_up = dependencies
            .values()
            .all(|dependency| dependency.status == Status::Up);
        Self {
            status: if all_up { Status::Up } else { Status::Down },
            version: VERSION,
            commit: COMMIT,
            dependencies,
        }
    }
}
