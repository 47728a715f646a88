//! The job routes as a tenant's users call them.

use crate::env::{Acting, TestEnv, call};
use api_jobs::{PipelineExecutions, cancel_job, get_job, list_jobs, retry_job};
use aws_sdk_sfn::types::ExecutionStatus;
use ida_core::Role;
use ida_core::id::{DatasetId, TenantId};
use ida_core::job::{JobStatus, Stage};
use ida_runtime::http::GatewayRequest;
use ida_store::JobRepository;

fn on_job(method: &str, action: &str, id: &str) -> GatewayRequest {
    let (resource, path) = if action.is_empty() {
        ("/jobs/{job_id}".to_owned(), format!("/jobs/{id}"))
    } else {
        (
            format!("/jobs/{{job_id}}/{action}"),
            format!("/jobs/{id}/{action}"),
        )
    };
    GatewayRequest::new(method, &resource, &path).path_parameter("job_id", id)
}

#[tokio::test]
async fn jobs_are_listed_a_page_at_a_time_and_filtered() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let tenant = TenantId::generate();
    let owner = Acting::new(&tenant, Role::Owner);
    let sales = DatasetId::generate();
    let other = DatasetId::generate();
    let first = env
        .job(&owner, &sales, Stage::Parse, JobStatus::Running)
        .await;
    let second = env
        .job(&owner, &sales, Stage::Profile, JobStatus::Failed)
        .await;
    let third = env
        .job(&owner, &other, Stage::Plan, JobStatus::Running)
        .await;

    let viewer = Acting::new(&tenant, Role::Viewer);
    let page = call(
        |r| list_jobs(&env.jobs, r),
        GatewayRequest::to_route("GET", "/jobs")
            .query("limit", "2")
            .principal(&viewer.principal),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let ids: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.record.id.as_str(), second.record.id.as_str()]);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    assert!(page.header("link").unwrap().contains("rel=\"next\""));
    assert_eq!(page.body["items"][1]["status"], "FAILED");
    assert_eq!(page.body["items"][1]["failure"]["stage"], "PROFILE");
    assert_eq!(page.body["items"][1]["stages"][1]["status"], "FAILED");
    assert!(page.body["items"][0].get("tenant").is_none());

    let rest = call(
        |r| list_jobs(&env.jobs, r),
        GatewayRequest::to_route("GET", "/jobs")
            .query("limit", "2")
            .query("cursor", &cursor)
            .principal(&viewer.principal),
    )
    .await;
    assert_eq!(rest.body["items"][0]["id"], third.record.id.as_str());
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);

    let failed = call(
        |r| list_jobs(&env.jobs, r),
        GatewayRequest::to_route("GET", "/jobs")
            .query("status", "FAILED")
            .principal(&owner.principal),
    )
    .await;
    assert_eq!(failed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(failed.body["items"][0]["id"], second.record.id.as_str());

    let of_dataset = call(
        |r| list_jobs(&env.jobs, r),
        GatewayRequest::to_route("GET", "/jobs")
            .query("dataset_id", other.as_str())
            .principal(&owner.principal),
    )
    .await;
    assert_eq!(of_dataset.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(of_dataset.body["items"][0]["dataset_id"], other.as_str());

    for (name, value) in [("status", "DONE"), ("dataset_id", "ds_1"), ("limit", "0")] {
        let bad = call(
            |r| list_jobs(&env.jobs, r),
            GatewayRequest::to_route("GET", "/jobs")
                .query(name, value)
                .principal(&owner.principal),
        )
        .await;
        assert_eq!(bad.status, 400, "{name}");
        assert_eq!(bad.body["code"], "invalid_parameter");
        assert!(bad.body["detail"].as_str().unwrap().contains(name));
    }

    // Another tenant sees none of them.
    let stranger = Acting::new(&TenantId::generate(), Role::Owner);
    let theirs = call(
        |r| list_jobs(&env.jobs, r),
        GatewayRequest::to_route("GET", "/jobs").principal(&stranger.principal),
    )
    .await;
    assert_eq!(theirs.body["items"], serde_json::json!([]));
    env.teardown().await
}

#[tokio::test]
async fn a_job_shows_its_stage_progress_from_the_execution_history() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let tenant = TenantId::generate();
    let owner = Acting::new(&tenant, Role::Owner);
    let job = env
        .job(
            &owner,
            &DatasetId::generate(),
            Stage::Parse,
            JobStatus::Running,
        )
        .await;
    env.start_first_execution(&owner, &job.record).await;

    let answer = call(
        |r| get_job(&env.jobs, r),
        on_job("GET", "", job.record.id.as_str()).principal(&owner.principal),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["current_stage"], "PARSE");
    assert_eq!(answer.body["attempts"], 1);
    let stages = answer.body["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 6);
    assert_eq!(stages[0]["stage"], "PARSE");
    assert_eq!(stages[0]["status"], "RUNNING");
    assert!(stages[0]["started_at"].is_string(), "{}", answer.body);
    assert!(stages[0]["finished_at"].is_null());
    assert_eq!(stages[1]["status"], "PENDING");
    assert!(stages[1]["started_at"].is_null());

    let stranger = Acting::new(&TenantId::generate(), Role::Owner);
    let hidden = call(
        |r| get_job(&env.jobs, r),
        on_job("GET", "", job.record.id.as_str()).principal(&stranger.principal),
    )
    .await;
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.body["code"], "not_found");
    let malformed = call(
        |r| get_job(&env.jobs, r),
        on_job("GET", "", "not-a-job").principal(&owner.principal),
    )
    .await;
    assert_eq!(malformed.status, 404);
    env.teardown().await
}

#[tokio::test]
async fn cancel_stops_the_execution_and_marks_the_job_cancelled() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let tenant = TenantId::generate();
    let owner = Acting::new(&tenant, Role::Owner);
    let job = env
        .job(
            &owner,
            &DatasetId::generate(),
            Stage::Parse,
            JobStatus::Running,
        )
        .await;
    let execution = env.start_first_execution(&owner, &job.record).await;
    let id = job.record.id.as_str();

    let viewer = Acting::new(&tenant, Role::Viewer);
    let refused = call(
        |r| cancel_job(&env.jobs, r),
        on_job("POST", "cancel", id).principal(&viewer.principal),
    )
    .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["code"], "forbidden");
    let stranger = Acting::new(&TenantId::generate(), Role::Owner);
    let hidden = call(
        |r| cancel_job(&env.jobs, r),
        on_job("POST", "cancel", id).principal(&stranger.principal),
    )
    .await;
    assert_eq!(hidden.status, 404);
    assert_eq!(env.execution(&execution).await.0, ExecutionStatus::Running);

    let member = Acting::new(&tenant, Role::Member);
    let cancelled = call(
        |r| cancel_job(&env.jobs, r),
        on_job("POST", "cancel", id).principal(&member.principal),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "CANCELLED");
    assert_eq!(cancelled.body["stages"][0]["status"], "CANCELLED");
    assert_eq!(env.execution(&execution).await.0, ExecutionStatus::Aborted);
    let stored = env
        .jobs_records()
        .get_job(&owner.scope, &job.record.id)
        .await?;
    assert_eq!(stored.record.status, JobStatus::Cancelled);
    assert_eq!(stored.revision.get(), 2);

    let again = call(
        |r| cancel_job(&env.jobs, r),
        on_job("POST", "cancel", id).principal(&member.principal),
    )
    .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["code"], "invalid_transition");
    env.teardown().await
}

#[tokio::test]
async fn retry_starts_the_next_attempt_at_the_failed_stage_once() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let tenant = TenantId::generate();
    let owner = Acting::new(&tenant, Role::Owner);
    let job = env
        .job(
            &owner,
            &DatasetId::generate(),
            Stage::Profile,
            JobStatus::Failed,
        )
        .await;
    // The first attempt ran and ended.
    let first = env.start_first_execution(&owner, &job.record).await;
    env.sfn
        .stop_execution()
        .execution_arn(&first)
        .send()
        .await?;
    let id = job.record.id.as_str();

    let viewer = Acting::new(&tenant, Role::Viewer);
    let refused = call(
        |r| retry_job(&env.jobs, r),
        on_job("POST", "retry", id).principal(&viewer.principal),
    )
    .await;
    assert_eq!(refused.status, 403);
    let stranger = Acting::new(&TenantId::generate(), Role::Admin);
    let hidden = call(
        |r| retry_job(&env.jobs, r),
        on_job("POST", "retry", id).principal(&stranger.principal),
    )
    .await;
    assert_eq!(hidden.status, 404);

    let retried = call(
        |r| retry_job(&env.jobs, r),
        on_job("POST", "retry", id).principal(&owner.principal),
    )
    .await;
    assert_eq!(retried.status, 202, "{}", retried.body);
    assert_eq!(retried.body["status"], "QUEUED");
    assert_eq!(retried.body["current_stage"], "PROFILE");
    assert_eq!(retried.body["failure"], serde_json::Value::Null);
    assert_eq!(retried.body["attempts"], 2);

    let second = env.execution_arn(&ida_core::pipeline::retry_execution_name(&job.record.id, 2));
    let (status, input) = env.execution(&second).await;
    assert_eq!(status, ExecutionStatus::Running);
    assert_eq!(input["attempt"], 2);
    assert_eq!(input["resume_from"], "PROFILE");
    assert_eq!(input["upload"], job.record.upload.as_str());
    assert_eq!(input["dataset"], job.record.dataset.as_str());

    // The same retry asked again while it runs: the same answer, nothing new started.
    let again = call(
        |r| retry_job(&env.jobs, r),
        on_job("POST", "retry", id).principal(&owner.principal),
    )
    .await;
    assert_eq!(again.status, 202, "{}", again.body);
    assert_eq!(again.body["attempts"], 2);
    let third = env.execution_arn(&ida_core::pipeline::retry_execution_name(&job.record.id, 3));
    assert!(
        env.sfn
            .describe_execution()
            .execution_arn(&third)
            .send()
            .await
            .is_err()
    );
    let stored = env
        .jobs_records()
        .get_job(&owner.scope, &job.record.id)
        .await?;
    assert_eq!(stored.record.status, JobStatus::Queued);
    assert_eq!(stored.revision.get(), 2);
    assert_eq!(
        PipelineExecutions::execution_name(&stored.record, 1),
        job.record.upload.as_str()
    );
    env.teardown().await
}

#[tokio::test]
async fn only_a_failed_job_is_retried() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let tenant = TenantId::generate();
    let owner = Acting::new(&tenant, Role::Owner);
    let job = env
        .job(
            &owner,
            &DatasetId::generate(),
            Stage::Plan,
            JobStatus::Running,
        )
        .await;
    env.start_first_execution(&owner, &job.record).await;
    let answer = call(
        |r| retry_job(&env.jobs, r),
        on_job("POST", "retry", job.record.id.as_str()).principal(&owner.principal),
    )
    .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(answer.body["code"], "invalid_transition");
    assert_eq!(answer.body["detail"], "job: cannot retry when RUNNING.");
    env.teardown().await
}

#[tokio::test]
async fn a_retry_whose_record_write_was_lost_is_not_started_twice() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let tenant = TenantId::generate();
    let owner = Acting::new(&tenant, Role::Owner);
    let job = env
        .job(
            &owner,
            &DatasetId::generate(),
            Stage::Transform,
            JobStatus::Failed,
        )
        .await;
    // A first retry request started attempt 2 and then failed before the job record changed.
    let input = ida_core::pipeline::ExecutionInput {
        ticket: owner.scope.pipeline_ticket(job.record.id.clone()),
        upload: job.record.upload.clone(),
        dataset: job.record.dataset.clone(),
        attempt: 2,
        resume_from: Stage::Transform,
    };
    let second = env
        .sfn
        .start_execution()
        .state_machine_arn(&env.state_machine_arn)
        .name(ida_core::pipeline::retry_execution_name(&job.record.id, 2))
        .input(serde_json::to_string(&input)?)
        .send()
        .await?
        .execution_arn()
        .to_owned();

    let retried = call(
        |r| retry_job(&env.jobs, r),
        on_job("POST", "retry", job.record.id.as_str()).principal(&owner.principal),
    )
    .await;
    assert_eq!(retried.status, 202, "{}", retried.body);
    assert_eq!(retried.body["attempts"], 2);
    assert_eq!(retried.body["status"], "QUEUED");
    assert_eq!(retried.body["current_stage"], "TRANSFORM");
    assert_eq!(env.execution(&second).await.0, ExecutionStatus::Running);
    let third = env.execution_arn(&ida_core::pipeline::retry_execution_name(&job.record.id, 3));
    assert!(
        env.sfn
            .describe_execution()
            .execution_arn(&third)
            .send()
            .await
            .is_err()
    );
    let listed = env
        .sfn
        .list_executions()
        .state_machine_arn(&env.state_machine_arn)
        .send()
        .await?;
    assert_eq!(listed.executions().len(), 1);
    env.teardown().await
}
