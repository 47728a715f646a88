//! The RecordFailure stage: the state machine's Catch sends every failed stage here with
//! `$.failure` = `{"Error": name, "Cause": text}`. It marks the job FAILED with
//! `{stage, code, message}` (the code from the Cause's JSON for `Ida.*` errors, else the
//! `States.*` name), REJECTED for a rejected recipe, and leaves a CANCELLED (or otherwise
//! ended) job as it is; an upload still awaiting its checks is rejected too.
//!
//! It never fails on a malformed failure object: it records what it has. It reports success,
//! and the state machine then goes to its Fail state.

use ida_core::StateMachine;
use ida_core::audit::AuditAction;
use ida_core::job::{Job, JobEvent, JobFailure, JobStatus};
use ida_core::pipeline::{PipelineState, REJECTED};
use ida_core::upload::{UploadEvent, UploadStatus};
use ida_runtime::RuntimeError;
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::stage_job::update_job;
use ida_runtime::worker::{Stage, StageError};
use ida_store::{Store, StoreSettings, UploadRepository, WriteContext};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The `stage-record-failure` worker, fed by the `RecordFailureQueue`.
pub static STAGE_RECORD_FAILURE: FunctionSpec = FunctionSpec {
    binary: "stage-record-failure",
    trigger: Trigger::Queue {
        queue: "RecordFailureQueue",
    },
    settings: |lookup| {
        StoreSettings::from_lookup(lookup)
            .map(drop)
            .map_err(RuntimeError::from)
    },
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&STAGE_RECORD_FAILURE];

/// The cause code AwaitApproval reports for a recipe rejected before its token was stored.
const RECIPE_REJECTED: &str = "recipe_rejected";

/// Longest message kept on the job, in characters.
const MAX_MESSAGE_CHARS: usize = 2_000;

/// What failed, as read from `$.failure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReport {
    /// The error name, such as `Ida.InvalidInput` or `States.Timeout`.
    pub error: String,
    /// The stable code shown on the job.
    pub code: String,
    /// The message shown on the job.
    pub message: String,
}

impl FailureReport {
    /// Reads a Catch's `{"Error", "Cause"}`, accepting anything: missing fields, a Cause that
    /// is not JSON, a Cause JSON without `code`.
    pub fn read(failure: Option<&Value>) -> Self {
        let field = |name: &str| {
            failure
                .and_then(|f| f.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let error = field("Error")
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| "States.Runtime".to_owned());
        let cause = field("Cause").unwrap_or_default();
        let parsed: Option<Value> = serde_json::from_str(&cause).ok();
        let from_cause = |name: &str| {
            parsed
                .as_ref()
                .and_then(|c| c.get(name))
                .and_then(Value::as_str)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        let code = if error.starts_with("Ida.") {
            from_cause("code").unwrap_or_else(|| error.clone())
        } else {
            error.clone()
        };
        let message = from_cause("message")
            .or_else(|| (!cause.is_empty()).then(|| cause.clone()))
            .unwrap_or_else(|| error.clone());
        FailureReport {
            error,
            code,
            message: message.chars().take(MAX_MESSAGE_CHARS).collect(),
        }
    }

    /// Whether the failure is a person's rejection of the recipe.
    pub fn is_rejection(&self) -> bool {
        self.error == REJECTED || self.code == RECIPE_REJECTED
    }

    /// Moves the job to where this failure leaves it: an ended job is left alone, a rejected
    /// recipe ends it REJECTED, anything else FAILED with the stage, code and message.
    pub fn apply_to(&self, job: &mut Job, now: OffsetDateTime) -> Result<(), StageError> {
        // Named, not `is_terminal`: a FAILED job may be retried, yet a second delivery of its
        // failure must leave it as it is.
        if matches!(
            job.status,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled | JobStatus::Rejected
        ) {
            return Ok(());
        }
        if self.is_rejection() && job.status == JobStatus::AwaitingApproval {
            job.status = job.status.apply(JobEvent::Reject)?;
        } else {
            job.status = job.status.apply(JobEvent::Fail)?;
            job.failure = Some(JobFailure {
                stage: job.stage,
                code: self.code.clone(),
                message: self.message.clone(),
            });
        }
        job.updated_at = now;
        Ok(())
    }
}

/// The RecordFailure stage over the records.
#[derive(Debug, Clone)]
pub struct RecordFailureStage {
    store: Store,
}

impl RecordFailureStage {
    /// The stage writing through `store`.
    pub fn new(store: Store) -> Self {
        RecordFailureStage { store }
    }
}

impl Stage for RecordFailureStage {
    async fn run(&self, state: PipelineState) -> Result<Value, StageError> {
        let records = &self.store.records;
        let ticket = &state.input.ticket;
        let scope = ticket.scope();
        let now = OffsetDateTime::now_utc();
        let ctx = WriteContext::for_pipeline(
            "stage-record-failure",
            ticket.job(),
            state.input.attempt,
            now,
        )?;
        let report = FailureReport::read(state.failure.as_ref());
        let job = update_job(records, &scope, ticket.job(), &ctx, |job| {
            report.apply_to(job, now)
        })
        .await?;
        let upload = records.get_upload(&scope, &state.input.upload).await?;
        if upload.record.status == UploadStatus::Received {
            let mut rejected = upload.record.clone();
            rejected.status = rejected.status.apply(UploadEvent::Reject)?;
            records
                .update_upload(
                    &scope,
                    rejected,
                    upload.revision,
                    AuditAction::UploadRejected,
                    &ctx,
                )
                .await?;
        }
        Ok(json!({
            "status": job.record.status,
            "code": job.record.failure.as_ref().map(|f| f.code.clone()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_core::id::{DatasetId, JobId, TenantId, UploadId, UserId};
    use ida_core::job::Stage as PipelineStage;

    fn job(status: JobStatus) -> Job {
        Job {
            id: JobId::generate(),
            tenant: TenantId::generate(),
            upload: UploadId::generate(),
            dataset: DatasetId::generate(),
            recipe: None,
            stage: PipelineStage::Parse,
            status,
            failure: None,
            created_by: UserId::generate(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            progress: Default::default(),
        }
    }

    #[test]
    fn an_engine_error_puts_its_code_and_message_on_the_job() {
        let failure = json!({
            "Error": "Ida.InvalidInput",
            "Cause": "{\"code\":\"unterminated_quote\",\"message\":\"t.csv: line 2: quote never closed\"}"
        });
        let report = FailureReport::read(Some(&failure));
        let mut running = job(JobStatus::Running);
        report
            .apply_to(&mut running, OffsetDateTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(running.status, JobStatus::Failed);
        assert_eq!(
            running.failure,
            Some(JobFailure {
                stage: PipelineStage::Parse,
                code: "unterminated_quote".to_owned(),
                message: "t.csv: line 2: quote never closed".to_owned(),
            })
        );
    }

    #[test]
    fn a_states_error_is_its_own_code_and_a_malformed_cause_is_kept_as_text() {
        let timeout = FailureReport::read(Some(&json!({"Error": "States.Timeout", "Cause": ""})));
        assert_eq!(
            (timeout.code.as_str(), timeout.message.as_str()),
            ("States.Timeout", "States.Timeout")
        );
        let odd = FailureReport::read(Some(
            &json!({"Error": "Ida.DeadLetter", "Cause": "not json"}),
        ));
        assert_eq!(
            (odd.code.as_str(), odd.message.as_str()),
            ("Ida.DeadLetter", "not json")
        );
        let nothing = FailureReport::read(None);
        assert_eq!(nothing.code, "States.Runtime");
        let wrong_types = FailureReport::read(Some(&json!({"Error": 3, "Cause": {"code": 1}})));
        assert_eq!(wrong_types.code, "States.Runtime");
    }

    #[test]
    fn a_rejection_ends_a_waiting_job_rejected_and_a_cancelled_job_stays_cancelled() {
        let rejected = FailureReport::read(Some(&json!({"Error": "Ida.Rejected", "Cause": "no"})));
        let mut waiting = job(JobStatus::AwaitingApproval);
        rejected
            .apply_to(&mut waiting, OffsetDateTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(waiting.status, JobStatus::Rejected);
        assert_eq!(waiting.failure, None);
        let mut cancelled = job(JobStatus::Cancelled);
        let failed = FailureReport::read(Some(
            &json!({"Error": "Ida.InvalidInput", "Cause": "{\"code\":\"job_cancelled\"}"}),
        ));
        failed
            .apply_to(&mut cancelled, OffsetDateTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(cancelled.status, JobStatus::Cancelled);
        assert_eq!(cancelled.failure, None);
    }

    #[test]
    fn an_empty_error_name_is_recorded_as_a_runtime_error() {
        // Found by the property below: an empty `Error` gave the job an empty code.
        let report = FailureReport::read(Some(&json!({"Error": "", "Cause": ""})));
        assert_eq!(report.code, "States.Runtime");
        assert_eq!(report.message, "States.Runtime");
    }

    mod read_property {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Whatever the Catch hands over, a code and a bounded message come out.
            #[test]
            fn any_failure_object_gives_a_code_and_a_bounded_message(
                error in ".{0,40}",
                cause in ".{0,3000}",
            ) {
                let report = FailureReport::read(Some(&json!({"Error": error, "Cause": cause})));
                prop_assert!(!report.code.is_empty());
                prop_assert!(report.message.chars().count() <= MAX_MESSAGE_CHARS);
            }

            /// An `Ida.*` cause written by the harness gives back its code and message.
            #[test]
            fn a_harness_cause_round_trips(
                code in "[a-z_]{1,30}",
                message in ".{1,500}",
            ) {
                let error = StageError::InvalidInput { code: code.clone(), message: message.clone() };
                let report = FailureReport::read(Some(&json!({
                    "Error": error.error_name(),
                    "Cause": error.cause(),
                })));
                prop_assert_eq!(report.code, code);
                prop_assert_eq!(report.message, message);
            }
        }
    }
}
