//! The pipeline through the HTTP API of the local host, as a tenant lives it: upload a CSV, an
//! XLSX or a JSON file, get a parsed and profiled version 1 with a proposed recipe, approve it
//! (alone, or by a second person under four-eyes) or reject it, roll back and activate again,
//! cancel a waiting job, and see a corrupt file refused with its code.

use std::time::Duration;

use aws_sdk_sfn::types::ExecutionStatus;
use ida_data::recipe::Recipe;
use ida_data::transform::apply_parquet_bytes;
use ida_local::PipelineQueue;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::Api;
use crate::served::{HostOptions, Misbehaviour, Served};

/// Upload to a recipe waiting for approval, on files of a few hundred kilobytes at most.
const TO_APPROVAL: Duration = Duration::from_secs(90);

const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const JSON: &str = "application/json";

fn example(name: &str) -> anyhow::Result<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Ok(std::fs::read(root.join(name))?)
}

/// A job waiting for approval and what the pipeline made before it waited.
struct Waiting {
    upload_id: String,
    dataset_id: String,
    job_id: String,
    recipe_id: String,
}

/// Uploads `file` and waits for its recipe; checks the job's progress, the upload's status and
/// version 1 (shape and links) on the way.
async fn upload_until_approval(
    owner: &Api,
    project: &str,
    file: &str,
    content_type: &str,
    bytes: &[u8],
    (rows, columns): (u64, u64),
) -> anyhow::Result<Waiting> {
    let ticket = owner.upload(project, file, content_type, bytes).await?;
    let upload_id = ticket["upload_id"].as_str().unwrap_or_default().to_owned();
    let dataset_id = ticket["dataset_id"].as_str().unwrap_or_default().to_owned();
    let job = owner
        .wait_for_job(&upload_id, &["AWAITING_APPROVAL"], TO_APPROVAL)
        .await?;
    assert_eq!(job["dataset_id"], dataset_id.as_str());
    assert_eq!(job["current_stage"], "AWAIT_APPROVAL");
    assert_eq!(job["failure"], Value::Null);
    let stages: Vec<(&str, &str)> = job["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|stage| {
            (
                stage["stage"].as_str().unwrap_or_default(),
                stage["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("PARSE", "SUCCEEDED"),
            ("PROFILE", "SUCCEEDED"),
            ("PLAN", "SUCCEEDED"),
            ("AWAIT_APPROVAL", "WAITING"),
            ("TRANSFORM", "PENDING"),
            ("ACTIVATE", "PENDING"),
        ],
        "{job}"
    );

    let upload = owner
        .get(&format!("/uploads/{upload_id}"))
        .await?
        .expect_status(200)?;
    assert_eq!(upload.body["status"], "ACCEPTED", "{}", upload.body);
    assert_eq!(upload.body["size_bytes"], bytes.len());

    let version = owner
        .get(&format!("/datasets/{dataset_id}/versions/1"))
        .await?
        .expect_status(200)?
        .body;
    assert_eq!(version["row_count"], rows, "{version}");
    assert_eq!(version["column_count"], columns, "{version}");
    assert_eq!(version["origin"]["type"], "upload");
    assert_eq!(version["origin"]["upload"], upload_id.as_str());
    for file in ["data", "schema", "profile", "report"] {
        assert!(
            version["links"][file]["url"].is_string(),
            "version 1 has no {file} link: {version}"
        );
    }
    // The profile is the engine's JSON and names every column of the file.
    let profile: Value = serde_json::from_slice(
        &owner
            .download(
                version["links"]["profile"]["url"]
                    .as_str()
                    .unwrap_or_default(),
            )
            .await?,
    )?;
    assert!(profile.is_object(), "{profile}");
    let report = owner
        .download(
            version["links"]["report"]["url"]
                .as_str()
                .unwrap_or_default(),
        )
        .await?;
    assert!(String::from_utf8_lossy(&report).contains("<html"));

    let job_id = job["id"].as_str().unwrap_or_default().to_owned();
    let recipe_id = job["recipe_id"].as_str().unwrap_or_default().to_owned();
    let recipe = owner
        .get(&format!("/recipes/{recipe_id}"))
        .await?
        .expect_status(200)?
        .body;
    assert_eq!(recipe["status"], "PENDING_APPROVAL", "{recipe}");
    assert_eq!(recipe["awaiting_decision"], true);
    assert_eq!(recipe["base_version"], 1);
    assert_eq!(recipe["job_id"], job_id.as_str());
    assert_eq!(recipe["recipe"]["recipe_version"], 1);
    Ok(Waiting {
        upload_id,
        dataset_id,
        job_id,
        recipe_id,
    })
}

/// Downloads a version's data.parquet through its presigned link.
async fn version_data(owner: &Api, dataset: &str, version: u32) -> anyhow::Result<Vec<u8>> {
    let detail = owner
        .get(&format!("/datasets/{dataset}/versions/{version}"))
        .await?
        .expect_status(200)?
        .body;
    owner
        .download(detail["links"]["data"]["url"].as_str().unwrap_or_default())
        .await
}

/// Version 2's bytes are what `ida apply` makes of version 1's bytes with the approved recipe.
async fn assert_v2_is_v1_with_recipe(
    owner: &Api,
    dataset: &str,
    recipe_id: &str,
) -> anyhow::Result<()> {
    let recipe = owner
        .get(&format!("/recipes/{recipe_id}"))
        .await?
        .expect_status(200)?
        .body;
    assert_eq!(recipe["status"], "APPLIED", "{recipe}");
    let recipe = Recipe::from_json(&recipe["recipe"].to_string())?;
    let v1 = version_data(owner, dataset, 1).await?;
    let v2 = version_data(owner, dataset, 2).await?;
    let (expected, _) = apply_parquet_bytes(&v1, &recipe)?;
    assert!(v2 == expected, "v2 differs from the recipe applied to v1");
    let detail = owner
        .get(&format!("/datasets/{dataset}/versions/2"))
        .await?
        .expect_status(200)?
        .body;
    assert_eq!(detail["origin"]["type"], "recipe");
    assert_eq!(detail["origin"]["parent"], 1);
    for file in ["data", "schema", "profile", "report", "recipe", "diff"] {
        assert!(
            detail["links"][file]["url"].is_string(),
            "version 2 has no {file} link: {detail}"
        );
    }
    Ok(())
}

async fn active_version(owner: &Api, dataset: &str) -> anyhow::Result<Value> {
    Ok(owner
        .get(&format!("/datasets/{dataset}"))
        .await?
        .expect_status(200)?
        .body["active_version"]
        .clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_upload_is_approved_into_v2_equal_to_ida_apply_then_rolled_back_and_activated()
-> anyhow::Result<()> {
    let served = Served::start(HostOptions::default()).await?;
    let owner = served.tenant("weather").await?;
    owner.set_policy("ALWAYS", false).await?;
    let project = owner.create_project("weather").await?;
    let bytes = example("examples/seattle-weather.csv")?;
    let waiting = upload_until_approval(
        &owner,
        &project,
        "seattle-weather.csv",
        CSV,
        &bytes,
        (1461, 6),
    )
    .await?;

    // The reviewer edits the proposal before approving it: a rename, so v2 differs from v1.
    let recipe_path = format!("/recipes/{}", waiting.recipe_id);
    let read = owner.get(&recipe_path).await?.expect_status(200)?;
    let etag = read.header("etag");
    let mut steps = read.body["recipe"]["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    steps.push(json!({
        "op": "rename",
        "mapping": {"temp_max": "temperature_max"},
        "rationale": "spell the name out for the report readers",
    }));
    let edit = json!({"steps": steps});
    let edited = owner
        .call_with(
            Method::PUT,
            &recipe_path,
            Some(edit.clone()),
            &[("if-match", &etag)],
        )
        .await?
        .expect_status(200)?;
    assert_eq!(
        edited.body["recipe"]["steps"].as_array().map(Vec::len),
        Some(steps.len())
    );
    assert_ne!(edited.header("etag"), etag);
    // The ETag read before the edit is stale now.
    owner
        .call_with(
            Method::PUT,
            &recipe_path,
            Some(edit),
            &[("if-match", &etag)],
        )
        .await?
        .expect_status(412)?;

    let approved = owner
        .call(
            Method::POST,
            &format!("/recipes/{}/approve", waiting.recipe_id),
            None,
        )
        .await?
        .expect_status(200)?;
    assert_eq!(approved.body["status"], "APPROVED");
    assert_eq!(approved.body["decision"]["approved"], true);
    assert_eq!(approved.body["decision"]["by"], owner.user_id.as_str());
    let job = owner
        .wait_for_job(&waiting.upload_id, &["SUCCEEDED"], TO_APPROVAL)
        .await?;
    assert_eq!(job["id"], waiting.job_id.as_str());
    let dataset = owner
        .get(&format!("/datasets/{}", waiting.dataset_id))
        .await?
        .expect_status(200)?
        .body;
    assert_eq!(dataset["active_version"], 2, "{dataset}");
    assert_eq!(dataset["latest_version"], 2);
    assert_v2_is_v1_with_recipe(&owner, &waiting.dataset_id, &waiting.recipe_id).await?;
    let v2 = owner
        .get(&format!("/datasets/{}/versions/2", waiting.dataset_id))
        .await?
        .expect_status(200)?
        .body;
    let schema = owner
        .download(v2["links"]["schema"]["url"].as_str().unwrap_or_default())
        .await?;
    let schema = String::from_utf8_lossy(&schema);
    assert!(schema.contains("temperature_max") && !schema.contains("\"temp_max\""));

    let rolled_back = owner
        .post(
            &format!("/datasets/{}/rollback", waiting.dataset_id),
            json!({}),
        )
        .await?
        .expect_status(200)?;
    assert_eq!(rolled_back.body["active_version"], 1);
    assert_eq!(active_version(&owner, &waiting.dataset_id).await?, 1);
    let activated = owner
        .call(
            Method::POST,
            &format!("/datasets/{}/versions/2/activate", waiting.dataset_id),
            None,
        )
        .await?
        .expect_status(200)?;
    assert_eq!(activated.body["active_version"], 2);
    assert_eq!(active_version(&owner, &waiting.dataset_id).await?, 2);
    served
        .wait_for_execution(
            &waiting.upload_id,
            ExecutionStatus::Succeeded,
            Duration::from_secs(10),
        )
        .await?;
    served.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_four_eyes_a_json_upload_is_approved_and_rolled_back_by_a_second_person()
-> anyhow::Result<()> {
    let served = Served::start(HostOptions::default()).await?;
    let owner = served.tenant("cars").await?;
    owner.set_policy("ALWAYS", true).await?;
    let admin = owner.invite("ADMIN").await?;
    let project = owner.create_project("cars").await?;
    let bytes = example("examples/cars.json")?;
    let waiting =
        upload_until_approval(&owner, &project, "cars.json", JSON, &bytes, (406, 9)).await?;

    let refused = owner
        .call(
            Method::POST,
            &format!("/recipes/{}/approve", waiting.recipe_id),
            None,
        )
        .await?
        .expect_status(403)?;
    assert_eq!(refused.body["code"], "self_approval", "{}", refused.body);
    let approved = admin
        .call(
            Method::POST,
            &format!("/recipes/{}/approve", waiting.recipe_id),
            None,
        )
        .await?
        .expect_status(200)?;
    assert_eq!(approved.body["decision"]["by"], admin.user_id.as_str());
    owner
        .wait_for_job(&waiting.upload_id, &["SUCCEEDED"], TO_APPROVAL)
        .await?;
    assert_eq!(active_version(&owner, &waiting.dataset_id).await?, 2);
    assert_v2_is_v1_with_recipe(&owner, &waiting.dataset_id, &waiting.recipe_id).await?;

    let pending = owner
        .post(
            &format!("/datasets/{}/rollback", waiting.dataset_id),
            json!({"reason": "v2 dropped rows we need"}),
        )
        .await?
        .expect_status(202)?;
    assert_eq!(pending.body["status"], "PENDING");
    // Nothing moves before the second person decides.
    assert_eq!(active_version(&owner, &waiting.dataset_id).await?, 2);
    let approval = pending.text("approval_id");
    owner
        .call(
            Method::POST,
            &format!("/approvals/{approval}/approve"),
            None,
        )
        .await?
        .expect_status(403)?;
    let decided = admin
        .call(
            Method::POST,
            &format!("/approvals/{approval}/approve"),
            None,
        )
        .await?
        .expect_status(200)?;
    assert_eq!(decided.body["approval"]["status"], "APPROVED");
    assert_eq!(decided.body["outcome"]["active_version"], 1);
    assert_eq!(active_version(&owner, &waiting.dataset_id).await?, 1);
    served.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_xlsx_recipe_ends_the_job_rejected_with_no_v2() -> anyhow::Result<()> {
    let served = Served::start(HostOptions::default()).await?;
    let owner = served.tenant("sales").await?;
    owner.set_policy("ALWAYS", false).await?;
    let project = owner.create_project("sales").await?;
    let bytes = example("shared/data/tests/fixtures/read/book.xlsx")?;
    let waiting =
        upload_until_approval(&owner, &project, "book.xlsx", XLSX, &bytes, (4, 9)).await?;

    let rejected = owner
        .post(
            &format!("/recipes/{}/reject", waiting.recipe_id),
            json!({"reason": "keep the raw sheet"}),
        )
        .await?
        .expect_status(200)?;
    assert_eq!(rejected.body["status"], "REJECTED");
    assert_eq!(rejected.body["decision"]["approved"], false);
    assert_eq!(rejected.body["decision"]["reason"], "keep the raw sheet");
    let job = owner
        .wait_for_job(&waiting.upload_id, &["REJECTED"], TO_APPROVAL)
        .await?;
    assert_eq!(job["id"], waiting.job_id.as_str());
    let dataset = owner
        .get(&format!("/datasets/{}", waiting.dataset_id))
        .await?
        .expect_status(200)?
        .body;
    assert_eq!(dataset["active_version"], 1, "{dataset}");
    assert_eq!(dataset["latest_version"], 1);
    let versions = owner
        .get(&format!("/datasets/{}/versions", waiting.dataset_id))
        .await?
        .expect_status(200)?;
    assert_eq!(versions.body["items"].as_array().map(Vec::len), Some(1));
    owner
        .get(&format!("/datasets/{}/versions/2", waiting.dataset_id))
        .await?
        .expect_status(404)?;
    served.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_upload_ends_failed_with_its_code_on_the_job() -> anyhow::Result<()> {
    let served = Served::start(HostOptions::default()).await?;
    let owner = served.tenant("corrupt").await?;
    let project = owner.create_project("corrupt").await?;
    // Text declared as a workbook: the bytes are no zip archive.
    let ticket = owner
        .upload(&project, "ledger.xlsx", XLSX, b"id,amount\n1,2\n3,4\n")
        .await?;
    let upload_id = ticket["upload_id"].as_str().unwrap_or_default();
    let job = owner
        .wait_for_job(upload_id, &["FAILED"], Duration::from_secs(30))
        .await?;
    assert_eq!(job["failure"]["code"], "format_mismatch", "{job}");
    assert!(
        job["failure"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("ledger.xlsx")),
        "{job}"
    );
    let upload = owner
        .get(&format!("/uploads/{upload_id}"))
        .await?
        .expect_status(200)?;
    assert_eq!(upload.body["status"], "REJECTED");
    assert_eq!(upload.body["job"]["job_id"], job["id"]);
    assert_eq!(upload.body["job"]["status"], "FAILED");
    assert_eq!(
        upload.body["job"]["failure"]["code"], "format_mismatch",
        "{}",
        upload.body
    );
    // A refused upload starts no execution.
    assert!(served.execution_of(upload_id).await?.is_none());
    served.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_job_whose_stage_has_its_message_stops_the_execution() -> anyhow::Result<()> {
    let served = Served::start(
        HostOptions::default().fault(PipelineQueue::Parse, Misbehaviour::HoldUntilOpened),
    )
    .await?;
    let owner = served.tenant("cancel-running").await?;
    let project = owner.create_project("cancel").await?;
    let ticket = owner
        .upload(&project, "people.csv", CSV, b"name,age\nada,36\ngrace,45\n")
        .await?;
    let upload_id = ticket["upload_id"].as_str().unwrap_or_default();
    let dataset_id = ticket["dataset_id"].as_str().unwrap_or_default();
    served
        .gate()?
        .wait_for_a_batch(Duration::from_secs(30))
        .await?;
    let job = owner
        .job_of_upload(upload_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no job while Parse holds its message"))?;
    assert_eq!(job["current_stage"], "PARSE", "{job}");

    let cancelled = owner
        .call(
            Method::POST,
            &format!("/jobs/{}/cancel", job["id"].as_str().unwrap_or_default()),
            None,
        )
        .await?
        .expect_status(200)?;
    assert_eq!(cancelled.body["status"], "CANCELLED", "{}", cancelled.body);
    served.gate()?.open();

    // AWS aborts the execution at once. LocalStack keeps a task that waits for its token
    // running, so there the Parse worker finds the job CANCELLED, refuses it, and the execution
    // ends through RecordFailure, which leaves the job CANCELLED.
    let status = served
        .wait_for_execution_end(upload_id, Duration::from_secs(30))
        .await?;
    assert!(
        [ExecutionStatus::Aborted, ExecutionStatus::Failed].contains(&status),
        "{status:?}"
    );
    let job = owner
        .get(&format!("/jobs/{}", job["id"].as_str().unwrap_or_default()))
        .await?
        .expect_status(200)?;
    assert_eq!(job.body["status"], "CANCELLED", "{}", job.body);
    assert_eq!(job.body["failure"], Value::Null, "{}", job.body);
    // Parse never ran: the dataset has no version.
    let dataset = owner
        .get(&format!("/datasets/{dataset_id}"))
        .await?
        .expect_status(200)?;
    assert_eq!(
        dataset.body["latest_version"],
        Value::Null,
        "{}",
        dataset.body
    );
    served.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_job_waiting_for_approval_ends_it_cancelled_and_no_version_is_made()
-> anyhow::Result<()> {
    let served = Served::start(HostOptions::default()).await?;
    let owner = served.tenant("cancel-waiting").await?;
    owner.set_policy("ALWAYS", false).await?;
    let project = owner.create_project("cancel").await?;
    let bytes = example("examples/seattle-weather.csv")?;
    let waiting = upload_until_approval(
        &owner,
        &project,
        "seattle-weather.csv",
        CSV,
        &bytes,
        (1461, 6),
    )
    .await?;

    let cancelled = owner
        .call(
            Method::POST,
            &format!("/jobs/{}/cancel", waiting.job_id),
            None,
        )
        .await?
        .expect_status(200)?;
    assert_eq!(cancelled.body["status"], "CANCELLED", "{}", cancelled.body);
    let job = owner
        .get(&format!("/jobs/{}", waiting.job_id))
        .await?
        .expect_status(200)?;
    assert_eq!(job.body["status"], "CANCELLED");
    // A decision that arrives after the cancel releases the waiting task (LocalStack keeps it
    // running until then); the next stage finds the job CANCELLED and the execution ends
    // without writing a version.
    owner
        .call(
            Method::POST,
            &format!("/recipes/{}/approve", waiting.recipe_id),
            None,
        )
        .await?;
    let status = served
        .wait_for_execution_end(&waiting.upload_id, Duration::from_secs(30))
        .await?;
    assert!(
        [ExecutionStatus::Aborted, ExecutionStatus::Failed].contains(&status),
        "{status:?}"
    );
    let job = owner
        .get(&format!("/jobs/{}", waiting.job_id))
        .await?
        .expect_status(200)?;
    assert_eq!(job.body["status"], "CANCELLED", "{}", job.body);
    let again = owner
        .call(
            Method::POST,
            &format!("/jobs/{}/cancel", waiting.job_id),
            None,
        )
        .await?;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(
        owner
            .get(&format!("/datasets/{}", waiting.dataset_id))
            .await?
            .body["latest_version"],
        1
    );
    served.finish().await
}
