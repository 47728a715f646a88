//! The job bookkeeping every pipeline stage does around its work: refuse to work for a job that
//! was cancelled or has ended, move the job to the stage (QUEUED becomes RUNNING through the
//! job's transition table), record when the stage started and finished, and write each change
//! under optimistic concurrency, re-reading the job when another writer (a cancel request)
//! got there first.
//!
//! It writes only the job record, always with the pipeline's [`WriteContext`]; it never
//! decides anything a stage's own logic should.

use ida_core::TenantScope;
use ida_core::id::JobId;
use ida_core::job::{Job, JobStatus, Stage};
use ida_core::pipeline::PipelineState;
use ida_core::{CoreError, InvalidTransition};
use ida_store::{JobRepository, StoreError, Stored, WriteContext};
use time::OffsetDateTime;

use crate::worker::StageError;

/// Code a stage fails with when the job was cancelled while it waited or ran.
pub const JOB_CANCELLED: &str = "job_cancelled";

/// Code a stage fails with when the job already ended (succeeded, failed or was rejected).
pub const JOB_ENDED: &str = "job_ended";

/// How often a job write is retried after losing a race with another writer.
const UPDATE_ATTEMPTS: u32 = 5;

/// A stage at work for one job: its scope, its audit context and the job as last written.
#[derive(Debug, Clone)]
pub struct StageJob {
    /// The tenant scope, from the execution's ticket.
    pub scope: TenantScope,
    /// Audit context of every write the stage makes.
    pub ctx: WriteContext,
    /// The job as last read or written.
    pub job: Stored<Job>,
    stage: Stage,
    attempt: u32,
}

impl StageJob {
    /// Starts `stage` (run by `component`, e.g. `stage-parse`) for the execution's job.
    pub async fn begin<R: JobRepository + Sync>(
        records: &R,
        state: &PipelineState,
        stage: Stage,
        component: &str,
    ) -> Result<Self, StageError> {
        let ticket = &state.input.ticket;
        let attempt = state.input.attempt;
        let scope = ticket.scope();
        let now = OffsetDateTime::now_utc();
        let ctx = WriteContext::for_pipeline(component, ticket.job(), attempt, now)?;
        let job = update_job(records, &scope, ticket.job(), &ctx, |job| {
            if job.status == JobStatus::Succeeded && stage == Stage::Activate {
                // A redelivered last message: Activate is idempotent and finds its work done.
                return Ok(());
            }
            ensure_open(job)?;
            job.begin_stage(stage, attempt, now)?;
            Ok(())
        })
        .await?;
        Ok(StageJob {
            scope,
            ctx,
            job,
            stage,
            attempt,
        })
    }

    /// Applies `change` to the job (re-read first when another writer moved it) and writes it.
    pub async fn update<R: JobRepository + Sync>(
        &mut self,
        records: &R,
        change: impl Fn(&mut Job) -> Result<(), StageError>,
    ) -> Result<(), StageError> {
        self.job = update_job(records, &self.scope, &self.job.record.id, &self.ctx, change).await?;
        Ok(())
    }

    /// Records the stage finished (with `change` applied in the same write) and returns the job.
    pub async fn finish<R: JobRepository + Sync>(
        mut self,
        records: &R,
        change: impl Fn(&mut Job) -> Result<(), StageError>,
    ) -> Result<Stored<Job>, StageError> {
        let (stage, attempt) = (self.stage, self.attempt);
        let now = OffsetDateTime::now_utc();
        self.update(records, |job| {
            change(job)?;
            job.finish_stage(stage, attempt, now);
            Ok(())
        })
        .await?;
        Ok(self.job)
    }
}

/// Refuses a job that can no longer be worked on.
fn ensure_open(job: &Job) -> Result<(), StageError> {
    match job.status {
        JobStatus::Cancelled => Err(StageError::InvalidInput {
            code: JOB_CANCELLED.to_owned(),
            message: format!("job {} was cancelled", job.id),
        }),
        JobStatus::Succeeded | JobStatus::Failed | JobStatus::Rejected => {
            Err(StageError::InvalidInput {
                code: JOB_ENDED.to_owned(),
                message: format!("job {} already ended {}", job.id, job.status),
            })
        }
        JobStatus::Queued | JobStatus::Running | JobStatus::AwaitingApproval => Ok(()),
    }
}

/// Reads the job, applies `change` and writes it if it changed; a lost race re-reads and
/// applies `change` again.
pub async fn update_job<R: JobRepository + Sync>(
    records: &R,
    scope: &TenantScope,
    id: &JobId,
    ctx: &WriteContext,
    change: impl Fn(&mut Job) -> Result<(), StageError>,
) -> Result<Stored<Job>, StageError> {
    let mut last = None;
    for _ in 0..UPDATE_ATTEMPTS {
        let stored = records.get_job(scope, id).await?;
        let mut job = stored.record.clone();
        change(&mut job)?;
        if job == stored.record {
            return Ok(stored);
        }
        match records.update_job(scope, job, stored.revision, ctx).await {
            Ok(written) => return Ok(written),
            Err(conflict @ StoreError::Conflict { .. }) => last = Some(conflict),
            Err(other) => return Err(other.into()),
        }
    }
    Err(last.map_or_else(
        || StageError::Transient {
            message: format!("job {id} could not be written"),
        },
        StageError::from,
    ))
}

/// A domain rule refusing a change is the input's fault (a job in a state the stage cannot
/// move it from, a recipe that is not approved).
impl From<CoreError> for StageError {
    fn from(error: CoreError) -> Self {
        StageError::InvalidInput {
            code: error.code().to_owned(),
            message: error.to_string(),
        }
    }
}

/// A job or recipe the stage cannot move (a cancelled job, a recipe decided meanwhile).
impl From<InvalidTransition> for StageError {
    fn from(error: InvalidTransition) -> Self {
        StageError::from(CoreError::from(error))
    }
}
