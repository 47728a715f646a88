//! The port a dependency check implements, and the runner that probes every dependency at once,
//! each within its own time budget.

use crate::error::ProbeError;
use futures::future::{BoxFuture, join_all};
use std::time::{Duration, Instant};

/// One dependency `/health` probes: DynamoDB and S3 in production, fakes in unit tests.
pub trait DependencyCheck: Send + Sync {
    /// The stable name reported in the health body, e.g. `records_table`.
    fn name(&self) -> &'static str;

    /// Asks the dependency once whether it answers; `Ok` when it does as expected.
    fn probe(&self) -> BoxFuture<'_, Result<(), ProbeError>>;
}

/// The outcome of one check.
#[derive(Debug)]
pub struct CheckOutcome {
    /// The dependency's name.
    pub name: &'static str,
    /// How long the probe took, or the budget when it ran out.
    pub latency: Duration,
    /// `Ok` when the dependency is up.
    pub result: Result<(), ProbeError>,
}

/// Probes every dependency concurrently; each gets `budget` before it counts as timed out, so
/// one slow dependency never hides the state of the others.
pub async fn run_checks(
    checks: &[Box<dyn DependencyCheck>],
    budget: Duration,
) -> Vec<CheckOutcome> {
    join_all(checks.iter().map(|check| run_check(check.as_ref(), budget))).await
}

async fn run_check(check: &dyn DependencyCheck, budget: Duration) -> CheckOutcome {
    let started = Instant::now();
    let result = tokio::time::timeout(budget, check.probe())
        .await
        .unwrap_or(Err(ProbeError::TimedOut(budget)));
    let latency = started.elapsed();
    if let Err(error) = &result {
        tracing::warn!(
            dependency = check.name(),
            code = error.code(),
            %error,
            latency_ms = whole_millis(latency),
            "dependency check failed"
        );
    }
    CheckOutcome {
        name: check.name(),
        latency,
        result,
    }
}

/// A duration in whole milliseconds, saturating instead of wrapping.
pub fn whole_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
