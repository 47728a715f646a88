//! Pipeline jobs: one execution of the state machine over an upload, its current stage and its
//! status.

use time::OffsetDateTime;

use crate::error::Result;
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
    /// When each stage started and finished, per execution attempt.
    #[serde(default)]
    pub progress: JobProgress,
}

/// One run of one stage: a retried attempt or a redelivered message adds a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StageRun {
    /// The stage.
    pub stage: Stage,
    /// The execution attempt it ran in (1 for the first execution of the job).
    pub attempt: u32,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it finished, once it has.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// A job's stage progress, oldest run first.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobProgress {
    /// The stage runs.
    pub runs: Vec<StageRun>,
}

impl Job {
    /// Marks `stage` started in `attempt`: the job's current stage moves there, a queued job
    /// starts running, and a run is recorded unless an unfinished one of the same stage and
    /// attempt exists (a redelivered message continues it).
    pub fn begin_stage(&mut self, stage: Stage, attempt: u32, now: OffsetDateTime) -> Result<()> {
        if self.status == JobStatus::Queued {
            self.status = self.status.apply(JobEvent::Start)?;
        }
        self.stage = stage;
        let open =
            self.progress.runs.iter().any(|run| {
                run.stage == stage && run.attempt == attempt && run.finished_at.is_none()
            });
        if !open {
            self.progress.runs.push(StageRun {
                stage,
                attempt,
                started_at: now,
                finished_at: None,
            });
        }
        self.updated_at = now;
        Ok(())
    }

    /// Marks the open run of `stage` in `attempt` finished (a no-op when none is open).
    pub fn finish_stage(&mut self, stage: Stage, attempt: u32, now: OffsetDateTime) {
        if let Some(run) =
            self.progress.runs.iter_mut().rev().find(|run| {
                run.stage == stage && run.attempt == attempt && run.finished_at.is_none()
            })
        {
            run.finished_at = Some(now);
            self.updated_at = now;
        }
    }
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
    fn stage_runs_are_recorded_once_per_attempt_and_finished() {
        let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap();
        let mut job = Job {
            id: JobId::generate(),
            tenant: TenantId::generate(),
            upload: UploadId::generate(),
            dataset: DatasetId::generate(),
            recipe: None,
            stage: Stage::Parse,
            status: JobStatus::Queued,
            failure: None,
            created_by: UserId::generate(),
            created_at: at(0),
            updated_at: at(0),
            progress: JobProgress::default(),
        };
        job.begin_stage(Stage::Parse, 1, at(1)).unwrap();
        job.begin_stage(Stage::Parse, 1, at(2)).unwrap();
        assert_eq!(job.status, JobStatus::Running);
        assert_eq!(job.progress.runs.len(), 1);
        job.finish_stage(Stage::Parse, 1, at(3));
        job.begin_stage(Stage::Profile, 1, at(4)).unwrap();
        assert_eq!(job.stage, Stage::Profile);
        assert_eq!(job.progress.runs[0].finished_at, Some(at(3)));
        assert_eq!(job.progress.runs[1].started_at, at(4));
        assert_eq!(job.progress.runs[1].finished_at, None);
        // A record written before progress existed still reads.
        let mut json = serde_json::to_value(&job).unwrap();
        json.as_object_mut().unwrap().remove("progress");
        let old: Job = serde_json::from_value(json).unwrap();
        assert_eq!(old.progress, JobProgress::default());
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
