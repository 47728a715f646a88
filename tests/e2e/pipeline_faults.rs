//! The pipeline when things go wrong around it, seen through the HTTP API: a stage that fails
//! transiently is retried by the state machine, a message no worker can take ends in its
//! dead-letter queue and its job FAILED, and an S3 event delivered twice makes one job.
//! Faults are injected through the test host's handler port, never by a production flag.

use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use aws_sdk_sqs::types::QueueAttributeName;
use ida_local::PipelineQueue;
use serde_json::json;

use crate::api::Api;
use crate::served::{HostOptions, Misbehaviour, Served};

const CSV: &str = "text/csv";

/// A small CSV every run plans the same recipe for.
const PEOPLE: &[u8] = b"name,age,city\nada,36,London\ngrace,45,Arlington\nalan,41,Wilmslow\n";

async fn tenant_with_project(served: &Served, name: &str) -> anyhow::Result<(Api, String)> {
    let owner = served.tenant(name).await?;
    owner.set_policy("NEVER", false).await?;
    let project = owner.create_project(name).await?;
    Ok((owner, project))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_failing_transiently_twice_is_retried_and_the_execution_succeeds()
-> anyhow::Result<()> {
    let served = Served::start(
        HostOptions::default().fault(PipelineQueue::Profile, Misbehaviour::Transient { times: 2 }),
    )
    .await?;
    let (owner, project) = tenant_with_project(&served, "transient").await?;
    let ticket = owner.upload(&project, "people.csv", CSV, PEOPLE).await?;
    let upload_id = ticket["upload_id"].as_str().unwrap_or_default();
    let job = owner
        .wait_for_job(upload_id, &["SUCCEEDED"], Duration::from_secs(90))
        .await?;
    assert_eq!(job["failure"], serde_json::Value::Null);
    assert_eq!(
        job["attempts"], 1,
        "retries stay inside one execution: {job}"
    );
    assert_eq!(served.faults_injected(), 2);

    served
        .wait_for_execution(
            upload_id,
            ExecutionStatus::Succeeded,
            Duration::from_secs(10),
        )
        .await?;
    let execution = served
        .execution_of(upload_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no execution"))?;
    let history = served
        .stack()
        .clients
        .sfn
        .get_execution_history()
        .execution_arn(execution.execution_arn())
        .max_results(1000)
        .send()
        .await?;
    let failed: Vec<&str> = history
        .events()
        .iter()
        .filter(|event| event.r#type() == &HistoryEventType::TaskFailed)
        .filter_map(|event| event.task_failed_event_details())
        .filter_map(|details| details.error())
        .collect();
    assert_eq!(failed, ["Ida.Transient", "Ida.Transient"]);
    served.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_reaches_the_dead_letter_queue_and_its_job_fails() -> anyhow::Result<()> {
    let served = Served::start(HostOptions::default().fast_redrive().fault(
        PipelineQueue::Parse,
        Misbehaviour::Crash { times: u32::MAX },
    ))
    .await?;
    let (owner, project) = tenant_with_project(&served, "poison").await?;
    let ticket = owner.upload(&project, "people.csv", CSV, PEOPLE).await?;
    let upload_id = ticket["upload_id"].as_str().unwrap_or_default();
    let job = owner
        .wait_for_job(upload_id, &["FAILED"], Duration::from_secs(60))
        .await?;
    assert_eq!(job["failure"]["stage"], "PARSE", "{job}");
    assert_eq!(job["failure"]["code"], "dead_letter", "{job}");
    // maxReceiveCount is 2: the crashing worker saw the message twice before the redrive.
    assert_eq!(served.faults_injected(), 2);
    served
        .wait_for_execution(upload_id, ExecutionStatus::Failed, Duration::from_secs(10))
        .await?;
    served.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_dead_lettered_at_transform_is_retried_after_the_finished_stages_and_reuses_v1()
-> anyhow::Result<()> {
    // maxReceiveCount is 2: two crashes dead-letter the first attempt's Transform message.
    let served = Served::start(
        HostOptions::default()
            .fast_redrive()
            .fault(PipelineQueue::Transform, Misbehaviour::Crash { times: 2 }),
    )
    .await?;
    let (owner, project) = tenant_with_project(&served, "retry").await?;
    let ticket = owner.upload(&project, "people.csv", CSV, PEOPLE).await?;
    let upload_id = ticket["upload_id"].as_str().unwrap_or_default();
    let dataset_id = ticket["dataset_id"].as_str().unwrap_or_default();
    let failed = owner
        .wait_for_job(upload_id, &["FAILED"], Duration::from_secs(60))
        .await?;
    assert_eq!(failed["failure"]["code"], "dead_letter", "{failed}");
    // The stage is named by the queue the message died on (the job's `failure.stage` says the
    // last stage that recorded progress: see docs/e2e.md, "Known").
    assert!(
        failed["failure"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("-transform")),
        "{failed}"
    );
    let v1 = owner
        .get(&format!("/datasets/{dataset_id}/versions/1"))
        .await?
        .expect_status(200)?
        .body;

    let job_id = failed["id"].as_str().unwrap_or_default();
    let retried = owner
        .post(&format!("/jobs/{job_id}/retry"), json!({}))
        .await?
        .expect_status(202)?;
    assert_eq!(retried.body["status"], "QUEUED", "{}", retried.body);
    let job = owner
        .wait_for_job(upload_id, &["SUCCEEDED"], Duration::from_secs(60))
        .await?;
    assert_eq!(job["attempts"], 2, "{job}");
    assert_eq!(job["failure"], serde_json::Value::Null);
    // The retry resumed at Transform: version 1 is the one the first attempt wrote.
    let v1_after = owner
        .get(&format!("/datasets/{dataset_id}/versions/1"))
        .await?
        .expect_status(200)?
        .body;
    assert_eq!(v1_after["data_sha256"], v1["data_sha256"]);
    assert_eq!(v1_after["created_at"], v1["created_at"]);
    let dataset = owner
        .get(&format!("/datasets/{dataset_id}"))
        .await?
        .expect_status(200)?
        .body;
    assert_eq!(dataset["active_version"], 2, "{dataset}");
    let executions = served
        .stack()
        .clients
        .sfn
        .list_executions()
        .state_machine_arn(served.stack().state_machine_arn()?)
        .send()
        .await?;
    let mut names: Vec<&str> = executions
        .executions()
        .iter()
        .map(|execution| execution.name())
        .collect();
    names.sort_unstable();
    assert_eq!(names, [format!("{job_id}-attempt-2").as_str(), upload_id]);
    let second = executions
        .executions()
        .iter()
        .find(|execution| execution.name() != upload_id)
        .map(|execution| execution.execution_arn().to_owned())
        .unwrap_or_default();
    let input = served
        .stack()
        .clients
        .sfn
        .describe_execution()
        .execution_arn(second)
        .send()
        .await?;
    let input: serde_json::Value = serde_json::from_str(input.input().unwrap_or_default())?;
    assert_eq!(input["attempt"], 2, "{input}");
    assert_eq!(input["upload"], upload_id);
    // It resumes after the stages that finished (at Plan, the last stage the job recorded, see
    // docs/e2e.md), never from Parse.
    assert!(
        ["PLAN", "TRANSFORM"].contains(&input["resume_from"].as_str().unwrap_or_default()),
        "{input}"
    );
    served.finish().await
}

/// The uploads bucket's key of an upload, read from its presigned URL (path-style addressing).
fn object_key(served: &Served, upload_url: &str) -> anyhow::Result<String> {
    let path = upload_url.split('?').next().unwrap_or_default();
    let marker = format!("/{}/", served.stack().uploads_bucket);
    let start = path
        .find(&marker)
        .ok_or_else(|| anyhow::anyhow!("no bucket in {upload_url}"))?
        + marker.len();
    Ok(path.get(start..).unwrap_or_default().to_owned())
}

/// Waits until the upload-events queue holds nothing, visible or in flight.
async fn drain(served: &Served, queue_url: &str) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        let attributes = served
            .stack()
            .clients
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await?;
        let counts = attributes.attributes().cloned().unwrap_or_default();
        let waiting: u64 = counts
            .values()
            .filter_map(|count| count.parse::<u64>().ok())
            .sum();
        if waiting == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("the upload-events queue did not drain in 30 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_s3_event_delivered_twice_makes_one_job() -> anyhow::Result<()> {
    let served = Served::start(HostOptions::default()).await?;
    let (owner, project) = tenant_with_project(&served, "twice").await?;
    let ticket = owner.upload(&project, "people.csv", CSV, PEOPLE).await?;
    let upload_id = ticket["upload_id"].as_str().unwrap_or_default();
    let key = object_key(&served, ticket["upload_url"].as_str().unwrap_or_default())?;
    let event = json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": served.stack().uploads_bucket, "arn": format!("arn:aws:s3:::{}", served.stack().uploads_bucket)},
            "object": {"key": key, "size": PEOPLE.len()},
        },
    }]});
    let queue_url = served
        .stack()
        .queue(PipelineQueue::UploadEvents)?
        .queue
        .url
        .clone();
    // Once while the first delivery is being handled, once after the job ended.
    let resend = || async {
        served
            .stack()
            .clients
            .sqs
            .send_message()
            .queue_url(&queue_url)
            .message_body(event.to_string())
            .send()
            .await
    };
    resend().await?;
    let job = owner
        .wait_for_job(upload_id, &["SUCCEEDED"], Duration::from_secs(60))
        .await?;
    resend().await?;
    drain(&served, &queue_url).await?;

    let jobs = owner.get("/jobs?limit=100").await?.expect_status(200)?;
    let of_upload: Vec<&serde_json::Value> = jobs.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|listed| listed["upload_id"] == upload_id)
        .collect();
    assert_eq!(of_upload.len(), 1, "{}", jobs.body);
    assert_eq!(
        of_upload.first().map(|listed| &listed["id"]),
        Some(&job["id"])
    );
    assert_eq!(
        of_upload.first().map(|listed| &listed["status"]),
        Some(&json!("SUCCEEDED"))
    );
    let executions = served
        .stack()
        .clients
        .sfn
        .list_executions()
        .state_machine_arn(served.stack().state_machine_arn()?)
        .send()
        .await?;
    assert_eq!(executions.executions().len(), 1);
    served.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_upload_request_with_its_idempotency_key_makes_one_upload() -> anyhow::Result<()>
{
    let served = Served::start(HostOptions::default()).await?;
    let (owner, project) = tenant_with_project(&served, "replay").await?;
    let request = json!({
        "project_id": project,
        "filename": "people.csv",
        "content_type": CSV,
        "size_bytes": PEOPLE.len(),
        "dataset_name": "people",
    });
    let key = uuid::Uuid::new_v4().to_string();
    let headers = [("idempotency-key", key.as_str())];
    let send = || {
        owner.call_with(
            reqwest::Method::POST,
            "/uploads",
            Some(request.clone()),
            &headers,
        )
    };
    let first = send().await?.expect_status(201)?;
    let again = send().await?.expect_status(201)?;
    assert_eq!(again.text("upload_id"), first.text("upload_id"));
    assert_eq!(again.text("dataset_id"), first.text("dataset_id"));
    // The same key with another body is refused rather than replayed.
    let mut other = request.clone();
    other["filename"] = json!("other.csv");
    let refused = owner
        .call_with(reqwest::Method::POST, "/uploads", Some(other), &headers)
        .await?;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["code"], "idempotency_key_reused");
    // One dataset came of the two requests.
    let datasets = owner
        .get(&format!("/datasets?project_id={project}"))
        .await?
        .expect_status(200)?;
    assert_eq!(datasets.body["items"].as_array().map(Vec::len), Some(1));
    served.finish().await
}
