//! Pipeline jobs: one execution of the state machine over an upload, its current stage and its
//! status.

use time::OffsetDateTime;

use crate::id::{DatasetId, JobId, RecipeId, TenantId, UploadId, UserId};
use crate::transition::StateMachine;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// The pipeline's stages, in order.
    pub enum Stage: "stage" {
        /// Read the file and infer its schema.
        Parse => "PARSE",
        /// Compute column statistics.
        Profile => "PROFILE",
        /// Plan a cleaning recipe.
        Plan => "PLAN",
        /// Wait for a person to approve the recipe.
        AwaitApproval => "AWAIT_APPROVAL",
        /// Apply the recipe, writing version N+1.
        Transform => "TRANSFORM",
        /// Move the dataset's active-version pointer.
        Activate => "ACTIVATE",
    }
}

impl Stage {
    /// The stage after this one, `None` after `Activate`.
    pub fn next(self) -> Option<Stage> {
        let position = Stage::ALL.iter().position(|s| *s == self)?;
        Stage::ALL.get(position + 1).copied()
    }
}

wire_enum! {
    /// A job's status.
    pub enum JobStatus: "job_status" {
        /// Created, execution not yet started.
        Queued => "QUEUED",
        /// A stage is working.
        Running => "RUNNING",
        /// Waiting for the recipe's approval.
        AwaitingApproval => "AWAITING_APPROVAL",
        /// The new version is active.
        Succeeded => "SUCCEEDED",
        /// A stage failed.
        Failed => "FAILED",
        /// Stopped by a user.
        Cancelled => "CANCELLED",
        /// The recipe was rejected.
        Rejected => "REJECTED",
    }
}

wire_enum! {
    /// Events of a job.
    pub enum JobEvent: "job_event" {
        /// The execution started.
        Start => "start",
        /// The recipe needs approval.
        RequestApproval => "request_approval",
        /// The recipe was approved.
        Approve => "approve",
        /// The recipe was rejected.
        Reject => "reject",
        /// The last stage finished.
        Succeed => "succeed",
        /// A stage failed for good.
        Fail => "fail",
        /// A user cancelled.
        Cancel => "cancel",
        /// A user retried a failed job: a new execution resumes at the failed stage.
        Retry => "retry",
    }
}

impl StateMachine for JobStatus {
    type Event = JobEvent;
    const ENTITY: &'static str = "job";
    const TRANSITIONS: &'static [(Self, Self::Event, Self)] = &[
        (Self::Queued, JobEvent::Start, Self::Running),
        (Self::Queued, JobEvent::Fail, Self::Failed),
        (Self::Queued, JobEvent::Cancel, Self::Cancelled),
        (
            Self::Running,
            JobEvent::RequestApproval,
            Self::AwaitingApproval,
        ),
        (Self::Running, JobEvent::Succeed, Self::Succeeded),
        (Self::Running, JobEvent::Fail, Self::Failed),
        (Self::Running, JobEvent::Cancel, Self::Cancelled),
        (Self::AwaitingApproval, JobEvent::Approve, Self::Running),
        (Self::AwaitingApproval, JobEvent::Reject, Self::Rejected),
        (Self::AwaitingApproval, JobEvent::Fail, Self::Failed),
        (Self::AwaitingApproval, JobEvent::Cancel, Self::Cancelled),
        (Self::Failed, JobEvent::Retry, Self::Queued),
    ];
    const STATES: &'static [Self] = Self::ALL;
    const EVENTS: &'static [Self::Event] = JobEvent::ALL;
    fn state_name(self) -> &'static str {
        self.as_str()
    }
    fn event_name(event: JobEvent) -> &'static str {
        event.as_str()
    }
}

/// Why a job failed, safe to show to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobFailure {
    /// The stage that failed.
    pub stage: Stage,
    /// A stable error code from the failing crate, such as `invalid_input`.
    pub code: String,
    /// A message for the user; never internal error text.
    pub message: String,
}

/// A job record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// The job.
    pub id: JobId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The upload it processes.
    pub upload: UploadId,
    /// The dataset it writes a version of.
    pub dataset: DatasetId,
    /// The recipe planned for it, once planned.
    pub recipe: Option<RecipeId>,
    /// The current (or last) stage.
    pub stage: Stage,
    /// Status.
    pub status: JobStatus,
    /// Why it failed, when it did.
    pub failure: Option<JobFailure>,
    /// Who started it.
    pub created_by: UserId,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::machine_laws;

    #[test]
    fn job_status_table_holds() {
        machine_laws::table_is_exhaustive_and_deterministic::<JobStatus>();
        machine_laws::random_walks_stay_in_table(JobStatus::Queued);
        for terminal in [
            JobStatus::Succeeded,
            JobStatus::Cancelled,
            JobStatus::Rejected,
        ] {
            assert!(terminal.is_terminal(), "{terminal}");
        }
        // A failed job ends its execution but may be retried.
        assert!(!JobStatus::Failed.is_terminal());
    }

    #[test]
    fn only_a_failed_job_is_retried_and_it_queues_again() {
        assert_eq!(
            JobStatus::Failed.apply(JobEvent::Retry).unwrap(),
            JobStatus::Queued
        );
        for status in JobStatus::ALL.iter().filter(|s| **s != JobStatus::Failed) {
            assert_eq!(
                status.apply(JobEvent::Retry).unwrap_err().to_string(),
                format!("job: cannot retry when {status}")
            );
        }
    }

    #[test]
    fn an_approved_job_runs_to_success() {
        let end = [
            JobEvent::Start,
            JobEvent::RequestApproval,
            JobEvent::Approve,
            JobEvent::Succeed,
        ]
        .into_iter()
        .try_fold(JobStatus::Queued, JobStatus::apply)
        .unwrap();
        assert_eq!(end, JobStatus::Succeeded);
        let err = JobStatus::Succeeded.apply(JobEvent::Cancel).unwrap_err();
        assert_eq!(err.to_string(), "job: cannot cancel when SUCCEEDED");
    }

    #[test]
    fn stages_follow_the_pipeline_order() {
        let mut order = vec![Stage::Parse];
        while let Some(next) = order.last().and_then(|s| s.next()) {
            order.push(next);
        }
        assert_eq!(order, Stage::ALL);
        assert_eq!(
            serde_json::to_string(&Stage::AwaitApproval).unwrap(),
            "\"AWAIT_APPROVAL\""
        );
    }
}
