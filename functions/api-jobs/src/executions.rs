//! The job's executions on the pipeline state machine: which attempts exist and in what state,
//! and the calls that stop one or start the next. Execution names are deterministic
//! (`ida_core::pipeline`), so a job's executions are found by name and a repeated start is
//! recognised by Step Functions instead of starting a second execution.

use aws_sdk_sfn::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::operation::stop_execution::StopExecutionError;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use ida_core::job::{Job, Stage};
use ida_core::pipeline::{ExecutionInput, retry_execution_name, upload_execution_name};
use ida_runtime::RuntimeError;
use std::collections::BTreeMap;
use time::OffsetDateTime;

use crate::settings::StateMachineArn;

/// Most executions one job may have: a bound on the look-up walk, far above any real number
/// of retries.
pub const MAX_ATTEMPTS: u32 = 50;

/// Seconds a client waits after Step Functions throttled a call.
const RETRY_AFTER_SECS: u32 = 2;

/// One execution of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the upload's execution, then one more per retry.
    pub number: u32,
    /// The execution's ARN.
    pub arn: String,
    /// Whether it is still running.
    pub running: bool,
}

/// When a stage started and finished, as the execution history records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StageTimes {
    /// When the stage's state was last entered.
    pub started_at: Option<OffsetDateTime>,
    /// When it was last left.
    pub finished_at: Option<OffsetDateTime>,
}

/// The pipeline state machine's executions, through Step Functions.
#[derive(Debug, Clone)]
pub struct PipelineExecutions {
    client: aws_sdk_sfn::Client,
    state_machine: StateMachineArn,
}

impl PipelineExecutions {
    /// Executions of `state_machine`, through `client`.
    pub fn new(client: aws_sdk_sfn::Client, state_machine: StateMachineArn) -> Self {
        Self {
            client,
            state_machine,
        }
    }

    /// The name of attempt `number` of `job`.
    pub fn execution_name(job: &Job, number: u32) -> String {
        if number <= 1 {
            upload_execution_name(&job.upload)
        } else {
            retry_execution_name(&job.id, number)
        }
    }

    /// Every execution the job has had, in attempt order: attempt 1 is named after the upload,
    /// each retry after the job and its number, so the walk stops at the first name unused.
    pub async fn attempts(&self, job: &Job) -> Result<Vec<Attempt>, RuntimeError> {
        let mut found = Vec::new();
        for number in 1..=MAX_ATTEMPTS {
            let arn = self
                .state_machine
                .execution_arn(&Self::execution_name(job, number));
            match self
                .client
                .describe_execution()
                .execution_arn(&arn)
                .send()
                .await
            {
                Ok(execution) => found.push(Attempt {
                    number,
                    arn,
                    running: *execution.status() == ExecutionStatus::Running,
                }),
                Err(SdkError::ServiceError(error))
                    if matches!(
                        error.err(),
                        DescribeExecutionError::ExecutionDoesNotExist(_)
                    ) =>
                {
                    break;
                }
                Err(error) => return Err(sfn_error("describe execution", &error)),
            }
        }
        Ok(found)
    }

    /// Stops a running execution. One that ended or never existed needs no stopping.
    pub async fn stop(&self, attempt: &Attempt) -> Result<(), RuntimeError> {
        let stopped = self
            .client
            .stop_execution()
            .execution_arn(&attempt.arn)
            .error("Ida.Cancelled")
            .cause("The job was cancelled by a user.")
            .send()
            .await;
        match stopped {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(error))
                if matches!(error.err(), StopExecutionError::ExecutionDoesNotExist(_)) =>
            {
                Ok(())
            }
            Err(error) => Err(sfn_error("stop execution", &error)),
        }
    }

    /// Starts attempt `input.attempt` of `job`. An execution of that name that already exists
    /// is the same retry asked for again: nothing new starts and the answer is the same.
    pub async fn start(&self, job: &Job, input: &ExecutionInput) -> Result<String, RuntimeError> {
        let name = Self::execution_name(job, input.attempt);
        let body = serde_json::to_string(input)?;
        let started = self
            .client
            .start_execution()
            .state_machine_arn(self.state_machine.arn())
            .name(&name)
            .input(body)
            .send()
            .await;
        match started {
            Ok(output) => Ok(output.execution_arn().to_owned()),
            Err(SdkError::ServiceError(error))
                if matches!(error.err(), StartExecutionError::ExecutionAlreadyExists(_)) =>
            {
                Ok(self.state_machine.execution_arn(&name))
            }
            Err(error) => Err(sfn_error("start execution", &error)),
        }
    }

    /// When each stage started and finished across `attempts`, from their histories: a later
    /// attempt's times replace an earlier one's. Pipeline states are named like the stages
    /// (`Parse`, `AwaitApproval`, ...); other states (choices, failure handling) are skipped.
    pub async fn stage_times(
        &self,
        attempts: &[Attempt],
    ) -> Result<BTreeMap<Stage, StageTimes>, RuntimeError> {
        let mut times: BTreeMap<Stage, StageTimes> = BTreeMap::new();
        for attempt in attempts {
            let mut next_token: Option<String> = None;
            loop {
                let page = self
                    .client
                    .get_execution_history()
                    .execution_arn(&attempt.arn)
                    .set_next_token(next_token.take())
                    .send()
                    .await
                    .map_err(|error| sfn_error("get execution history", &error))?;
                for event in page.events() {
                    let at =
                        OffsetDateTime::from_unix_timestamp_nanos(event.timestamp().as_nanos())
                            .ok();
                    let entered = event.state_entered_event_details().map(|d| d.name());
                    let exited = event.state_exited_event_details().map(|d| d.name());
                    if let Some(stage) = entered.and_then(stage_of_state) {
                        let entry = times.entry(stage).or_default();
                        entry.started_at = at;
                        entry.finished_at = None;
                    } else if let Some(stage) = exited.and_then(stage_of_state)
                        && *event.r#type() != HistoryEventType::ExecutionFailed
                    {
                        times.entry(stage).or_default().finished_at = at;
                    }
                }
                match page.next_token() {
                    Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                    _ => break,
                }
            }
        }
        Ok(times)
    }
}

/// The stage a state of the pipeline state machine runs, by its name.
fn stage_of_state(name: &str) -> Option<Stage> {
    Stage::ALL
        .iter()
        .copied()
        .find(|stage| state_name(*stage) == name)
}

/// The state machine's name for a stage's state: the stage in PascalCase.
pub fn state_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Parse => "Parse",
        Stage::Profile => "Profile",
        Stage::Plan => "Plan",
        Stage::AwaitApproval => "AwaitApproval",
        Stage::Transform => "Transform",
        Stage::Activate => "Activate",
    }
}

/// A Step Functions failure as the client sees it: throttling is 503 with `Retry-After`,
/// anything else a dependency failure whose text stays in the log.
pub fn sfn_error<E>(
    operation: &'static str,
    error: &SdkError<E, aws_sdk_sfn::config::http::HttpResponse>,
) -> RuntimeError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let reason = format!("{operation}: {}", DisplayErrorContext(error));
    let throttled = matches!(
        error.code(),
        Some("ThrottlingException" | "TooManyRequestsException" | "ServiceUnavailable")
    );
    if throttled
        || matches!(
            error,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)
        )
    {
        RuntimeError::Unavailable {
            dependency: "step_functions",
            reason,
            retry_after_secs: RETRY_AFTER_SECS,
        }
    } else {
        RuntimeError::Dependency {
            dependency: "step_functions",
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_has_a_state_name_that_maps_back() {
        for stage in Stage::ALL {
            assert_eq!(stage_of_state(state_name(*stage)), Some(*stage));
        }
        assert_eq!(stage_of_state("RecordFailure"), None);
        assert_eq!(stage_of_state("NeedsApproval"), None);
    }
}
