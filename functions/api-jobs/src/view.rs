//! What the job routes answer: a job with the progress of every stage. A stage's status comes
//! from the job record (the stages before the current one are done, the current one is as the
//! job is, the later ones wait or never ran); its times come from the execution history.

use ida_core::id::{DatasetId, JobId, RecipeId, UploadId, UserId};
use ida_core::job::{Job, JobFailure, JobStatus, Stage};
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

use crate::executions::StageTimes;

/// Where one stage of a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StageStatus {
    /// Not reached yet.
    Pending,
    /// Working now.
    Running,
    /// Waiting for a person's decision on the recipe.
    Waiting,
    /// Done.
    Succeeded,
    /// Passed over: the execution never entered it (no approval was needed).
    Skipped,
    /// Failed; the job's `failure` says why.
    Failed,
    /// Stopped by a user.
    Cancelled,
    /// The recipe was rejected here.
    Rejected,
    /// Never reached: the job ended before it.
    NotRun,
}

/// One stage of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageProgress {
    /// The stage.
    pub stage: Stage,
    /// Where it stands.
    pub status: StageStatus,
    /// When it started, when known.
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// When it finished, when known.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// A job as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobView {
    /// The job.
    pub id: JobId,
    /// The upload it processes.
    pub upload_id: UploadId,
    /// The dataset it writes a version of.
    pub dataset_id: DatasetId,
    /// The recipe planned for it, once planned.
    pub recipe_id: Option<RecipeId>,
    /// Its status.
    pub status: JobStatus,
    /// The stage it is at (or ended at).
    pub current_stage: Stage,
    /// Why it failed, when it did.
    pub failure: Option<JobFailure>,
    /// How many executions it has had (1 plus its retries), when looked up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Every stage in pipeline order.
    pub stages: Vec<StageProgress>,
    /// Who started it.
    pub created_by: UserId,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl JobView {
    /// The job with stage statuses from its record only (listings).
    pub fn of(job: &Job) -> Self {
        Self::with_history(job, None, &BTreeMap::new())
    }

    /// The job with its number of attempts and the stage times of its executions.
    pub fn with_history(
        job: &Job,
        attempts: Option<u32>,
        times: &BTreeMap<Stage, StageTimes>,
    ) -> Self {
        let current = position(job.stage);
        let stages = Stage::ALL
            .iter()
            .map(|stage| {
                let known = times.get(stage).copied();
                let index = position(*stage);
                let status = if index < current {
                    // Without a history every earlier stage counts as done; with one, a stage
                    // the executions never entered was passed over.
                    if times.is_empty() || known.is_some() {
                        StageStatus::Succeeded
                    } else {
                        StageStatus::Skipped
                    }
                } else if index == current {
                    current_status(job.status)
                } else if ended(job.status) {
                    StageStatus::NotRun
                } else {
                    StageStatus::Pending
                };
                StageProgress {
                    stage: *stage,
                    status,
                    started_at: known.and_then(|t| t.started_at),
                    finished_at: known.and_then(|t| t.finished_at),
                }
            })
            .collect();
        JobView {
            id: job.id.clone(),
            upload_id: job.upload.clone(),
            dataset_id: job.dataset.clone(),
            recipe_id: job.recipe.clone(),
            status: job.status,
            current_stage: job.stage,
            failure: job.failure.clone(),
            attempts,
            stages,
            created_by: job.created_by.clone(),
            created_at: job.created_at,
            updated_at: job.updated_at,
        }
    }
}

fn position(stage: Stage) -> usize {
    Stage::ALL
        .iter()
        .position(|s| *s == stage)
        .unwrap_or_default()
}

fn current_status(status: JobStatus) -> StageStatus {
    match status {
        JobStatus::Queued => StageStatus::Pending,
        JobStatus::Running => StageStatus::Running,
        JobStatus::AwaitingApproval => StageStatus::Waiting,
        JobStatus::Succeeded => StageStatus::Succeeded,
        JobStatus::Failed => StageStatus::Failed,
        JobStatus::Cancelled => StageStatus::Cancelled,
        JobStatus::Rejected => StageStatus::Rejected,
    }
}

fn ended(status: JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Failed | JobStatus::Cancelled | JobStatus::Rejected | JobStatus::Succeeded
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(stage: Stage, status: JobStatus) -> Job {
        serde_json::from_value(serde_json::json!({
            "id": JobId::generate(),
            "tenant": ida_core::id::TenantId::generate(),
            "upload": UploadId::generate(),
            "dataset": DatasetId::generate(),
            "recipe": null,
            "stage": stage,
            "status": status,
            "failure": null,
            "created_by": UserId::generate(),
            "created_at": "2026-11-25T10:00:00Z",
            "updated_at": "2026-11-25T10:05:00Z",
        }))
        .unwrap()
    }

    fn statuses(view: &JobView) -> Vec<StageStatus> {
        view.stages.iter().map(|s| s.status).collect()
    }

    #[test]
    fn a_job_waiting_for_approval_has_three_stages_done() {
        let view = JobView::of(&job(Stage::AwaitApproval, JobStatus::AwaitingApproval));
        use StageStatus::*;
        assert_eq!(
            statuses(&view),
            [Succeeded, Succeeded, Succeeded, Waiting, Pending, Pending]
        );
        assert_eq!(view.current_stage, Stage::AwaitApproval);
    }

    #[test]
    fn a_failed_job_names_the_failed_stage_and_never_ran_the_rest() {
        let view = JobView::of(&job(Stage::Profile, JobStatus::Failed));
        use StageStatus::*;
        assert_eq!(
            statuses(&view),
            [Succeeded, Failed, NotRun, NotRun, NotRun, NotRun]
        );
    }

    #[test]
    fn with_a_history_an_unentered_earlier_stage_was_skipped_and_times_are_shown() {
        let at = |s| OffsetDateTime::from_unix_timestamp(s).unwrap();
        let mut times = BTreeMap::new();
        for (stage, start) in [
            (Stage::Parse, 10),
            (Stage::Profile, 20),
            (Stage::Plan, 30),
            (Stage::Transform, 40),
        ] {
            times.insert(
                stage,
                StageTimes {
                    started_at: Some(at(start)),
                    finished_at: Some(at(start + 5)),
                },
            );
        }
        let view =
            JobView::with_history(&job(Stage::Activate, JobStatus::Running), Some(1), &times);
        use StageStatus::*;
        assert_eq!(
            statuses(&view),
            [Succeeded, Succeeded, Succeeded, Skipped, Succeeded, Running]
        );
        assert_eq!(view.stages[4].started_at, Some(at(40)));
        assert_eq!(view.stages[4].finished_at, Some(at(45)));
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["stages"][3]["status"], "SKIPPED");
        assert_eq!(json["stages"][5]["started_at"], serde_json::Value::Null);
        assert_eq!(json["attempts"], 1);
    }
}
