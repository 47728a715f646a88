//! The job routes: `GET /jobs` (filtered by status and dataset), `GET /jobs/{job_id}` (the job
//! with every stage's progress), `POST /jobs/{job_id}/cancel` and `POST /jobs/{job_id}/retry`.
//!
//! A job's executions are found by their deterministic names (`ida_core::pipeline`), so cancel
//! stops the right one and a repeated retry starts nothing new. Status changes go through the
//! job transition table and the store, which audits them. The tenant is only ever the
//! principal's; another tenant's job id answers 404. Nothing here ever answers with a task token
//! or an execution's input.

mod executions;
mod request;
mod settings;
mod view;

pub use executions::{Attempt, MAX_ATTEMPTS, PipelineExecutions, StageTimes, state_name};
pub use request::JobFilter;
pub use settings::{JobsSettings, StateMachineArn};
pub use view::{JobView, StageProgress, StageStatus};

use ida_core::CoreError;
use ida_core::job::{JobEvent, JobStatus};
use ida_core::pipeline::ExecutionInput;
use ida_core::transition::StateMachine;
use ida_core::{Permission, authorize};
use ida_runtime::RuntimeError;
use ida_runtime::auth::principal_of;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{PageRequest, json_response, page_response, respond};
use ida_runtime::settings::Settings;
use ida_store::{DynamoStore, JobRepository, StoreError};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use std::convert::Infallible;
use std::sync::Arc;
use time::OffsetDateTime;

/// How many times a cancel writes a job that stages keep changing before it answers 409.
pub const CANCEL_WRITE_ROUNDS: u32 = 3;

/// The job routes' state, built once per cold start: the records and the pipeline's executions.
#[derive(Debug, Clone)]
pub struct Jobs {
    records: DynamoStore,
    executions: PipelineExecutions,
}

impl Jobs {
    /// Jobs read from `records`, executions controlled through `executions`.
    pub fn new(records: DynamoStore, executions: PipelineExecutions) -> Self {
        Self {
            records,
            executions,
        }
    }

    /// The real adapters: DynamoDB for the records, Step Functions for the executions.
    pub fn on_aws(
        dynamodb: &aws_sdk_dynamodb::Client,
        sfn: &aws_sdk_sfn::Client,
        settings: &JobsSettings,
    ) -> Self {
        let records = DynamoStore::new(
            dynamodb.clone(),
            settings.store.records_table.clone(),
            settings.store.cursor_key.clone(),
        );
        Self::new(
            records,
            PipelineExecutions::new(sfn.clone(), settings.state_machine.clone()),
        )
    }
}

/// `GET /jobs`: a page of the tenant's jobs, oldest first, filtered by `status` and
/// `dataset_id`.
pub static LIST_JOBS: FunctionSpec = FunctionSpec {
    binary: "jobs-list",
    trigger: Trigger::Route {
        method: "GET",
        path: "/jobs",
        access: Access::Authorized,
    },
    settings: |lookup| JobsSettings::from_lookup(lookup).map(drop),
};

/// `GET /jobs/{job_id}`: the job with every stage's progress.
pub static GET_JOB: FunctionSpec = FunctionSpec {
    binary: "jobs-get",
    trigger: Trigger::Route {
        method: "GET",
        path: "/jobs/{job_id}",
        access: Access::Authorized,
    },
    settings: |lookup| JobsSettings::from_lookup(lookup).map(drop),
};

/// `POST /jobs/{job_id}/cancel`: stops the job's execution and marks it CANCELLED.
pub static CANCEL_JOB: FunctionSpec = FunctionSpec {
    binary: "jobs-cancel",
    trigger: Trigger::Route {
        method: "POST",
        path: "/jobs/{job_id}/cancel",
        access: Access::Authorized,
    },
    settings: |lookup| JobsSettings::from_lookup(lookup).map(drop),
};

/// `POST /jobs/{job_id}/retry`: starts the next attempt of a FAILED job at its failed stage.
pub static RETRY_JOB: FunctionSpec = FunctionSpec {
    binary: "jobs-retry",
    trigger: Trigger::Route {
        method: "POST",
        path: "/jobs/{job_id}/retry",
        access: Access::Authorized,
    },
    settings: |lookup| JobsSettings::from_lookup(lookup).map(drop),
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 4] = [&LIST_JOBS, &GET_JOB, &CANCEL_JOB, &RETRY_JOB];

/// The routes of this crate bound to `jobs`, for the local host.
pub fn routes(jobs: Arc<Jobs>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(&LIST_JOBS, Arc::clone(&jobs), |jobs, request| async move {
            list_jobs(&jobs, request).await
        }),
        HostedRoute::new(&GET_JOB, Arc::clone(&jobs), |jobs, request| async move {
            get_job(&jobs, request).await
        }),
        HostedRoute::new(&CANCEL_JOB, Arc::clone(&jobs), |jobs, request| async move {
            cancel_job(&jobs, request).await
        }),
        HostedRoute::new(&RETRY_JOB, jobs, |jobs, request| async move {
            retry_job(&jobs, request).await
        }),
    ]
}

/// Handles `GET /jobs`. Filters apply to each stored page, so a page may hold fewer than
/// `limit` jobs while `next_cursor` still leads on.
pub async fn list_jobs(jobs: &Jobs, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::JobRead)?;
        let filter = JobFilter::from_request(&request)?;
        let page = PageRequest::from_request(&request)?;
        let found = jobs
            .records
            .list_jobs(&principal.scope(), &request::store_page(&page))
            .await?;
        let items: Vec<JobView> = found
            .items
            .iter()
            .filter(|stored| filter.admits(&stored.record))
            .map(|stored| JobView::of(&stored.record))
            .collect();
        page_response(&request, &page, &items, found.next_cursor.as_deref())
    })
    .await
}

/// Handles `GET /jobs/{job_id}`: the record's statuses with the times of the executions.
pub async fn get_job(jobs: &Jobs, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::JobRead)?;
        let id = request::job_id(&request)?;
        let stored = jobs.records.get_job(&principal.scope(), &id).await?;
        let attempts = jobs.executions.attempts(&stored.record).await?;
        let times = jobs.executions.stage_times(&attempts).await?;
        let count = u32::try_from(attempts.len()).unwrap_or(MAX_ATTEMPTS);
        json_response(
            StatusCode::OK,
            &JobView::with_history(&stored.record, Some(count), &times),
        )
    })
    .await
}

/// Handles `POST /jobs/{job_id}/cancel`: 200 with the CANCELLED job; a job that already ended
/// is 409 `invalid_transition`.
///
/// The running execution is stopped first, then the job is marked. A stage task waiting for a
/// token is not ended by StopExecution on every implementation, so workers also check the job's
/// status before they work.
pub async fn cancel_job(jobs: &Jobs, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::JobControl)?;
        let scope = principal.scope();
        let id = request::job_id(&request)?;
        let mut stored = jobs.records.get_job(&scope, &id).await?;
        stored
            .record
            .status
            .apply(JobEvent::Cancel)
            .map_err(CoreError::from)?;
        let attempts = jobs.executions.attempts(&stored.record).await?;
        for attempt in attempts.iter().filter(|attempt| attempt.running) {
            jobs.executions.stop(attempt).await?;
        }
        let ctx = request::write_context(&principal, &invocation);
        // A stage may record its progress between the read and the write; the cancel is then
        // applied again to what it wrote, as long as the job can still be cancelled.
        let mut round = 1;
        let saved = loop {
            let mut job = stored.record.clone();
            job.status = job
                .status
                .apply(JobEvent::Cancel)
                .map_err(CoreError::from)?;
            job.updated_at = ctx.at;
            match jobs
                .records
                .update_job(&scope, job, stored.revision, &ctx)
                .await
            {
                Ok(saved) => break saved,
                Err(StoreError::Conflict { .. }) if round < CANCEL_WRITE_ROUNDS => {
                    round += 1;
                    stored = jobs.records.get_job(&scope, &id).await?;
                }
                Err(error) => return Err(error.into()),
            }
        };
        let count = u32::try_from(attempts.len()).unwrap_or(MAX_ATTEMPTS);
        json_response(
            StatusCode::OK,
            &JobView::with_history(&saved.record, Some(count), &Default::default()),
        )
    })
    .await
}

/// Handles `POST /jobs/{job_id}/retry`: 202 with the QUEUED job.
///
/// Only a FAILED job is retried: attempt n+1 starts at the failed stage with the same ticket,
/// upload and dataset, so the stages find every artifact the earlier attempts wrote. A retry
/// asked for again while its execution runs (the job already QUEUED or further, the latest
/// execution a running retry) answers the same 202 and starts nothing.
pub async fn retry_job(jobs: &Jobs, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::JobControl)?;
        let scope = principal.scope();
        let id = request::job_id(&request)?;
        let stored = jobs.records.get_job(&scope, &id).await?;
        let attempts = jobs.executions.attempts(&stored.record).await?;
        let latest = attempts.last();
        let count = |n: u32| Some(n);
        let active = matches!(
            stored.record.status,
            JobStatus::Queued | JobStatus::Running | JobStatus::AwaitingApproval
        );
        if active && let Some(running) = latest.filter(|a| a.running && a.number > 1) {
            let view =
                JobView::with_history(&stored.record, count(running.number), &Default::default());
            return json_response(StatusCode::ACCEPTED, &view);
        }
        let mut job = stored.record;
        let queued = job.status.apply(JobEvent::Retry).map_err(CoreError::from)?;
        // A running latest execution is a retry already started whose record change was lost:
        // starting it again by name is a no-op, and the record catches up below.
        let attempt = match latest {
            Some(latest) if latest.running => latest.number,
            Some(latest) => latest.number.saturating_add(1),
            None => 2,
        };
        if attempt > MAX_ATTEMPTS {
            return Err(RuntimeError::Conflict {
                reason: format!("the job has had {MAX_ATTEMPTS} attempts; upload the file again"),
            });
        }
        let resume_from = job
            .failure
            .as_ref()
            .map_or(job.stage, |failure| failure.stage);
        let input = ExecutionInput {
            ticket: scope.pipeline_ticket(job.id.clone()),
            upload: job.upload.clone(),
            dataset: job.dataset.clone(),
            attempt,
            resume_from,
        };
        jobs.executions.start(&job, &input).await?;
        job.status = queued;
        job.stage = resume_from;
        job.failure = None;
        job.updated_at = OffsetDateTime::now_utc();
        let saved = jobs
            .records
            .update_job(
                &scope,
                job,
                stored.revision,
                &request::write_context(&principal, &invocation),
            )
            .await?;
        json_response(
            StatusCode::ACCEPTED,
            &JobView::with_history(&saved.record, count(attempt), &Default::default()),
        )
    })
    .await
}
