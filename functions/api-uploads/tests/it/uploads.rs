//! The upload routes on a provisioned stack: a presigned PUT that S3 (LocalStack) accepts, the
//! checks on type, size, role and quota, idempotent retries and another tenant's ids.

use crate::emulators::{Answer, TestEnv, answer, as_principal};
use api_uploads::{Uploads, create_upload, get_upload};
use ida_core::{Principal, Role};
use ida_runtime::http::GatewayRequest;
use ida_store::{ArtifactInventory, ArtifactKey, TenantRepository};
use lambda_http::http::StatusCode;
use serde_json::{Value, json};

const CSV: &[u8] = b"id,name,price\n1,apple,0.5\n2,pear,0.75\n";

fn csv_body(project: &str) -> Value {
    json!({
        "project_id": project,
        "filename": "fruit prices.csv",
        "content_type": "text/csv",
        "size_bytes": CSV.len(),
        "dataset_name": "Fruit prices",
    })
}

async fn post(state: &Uploads, body: &Value, who: &Principal, key: Option<&str>) -> Answer {
    let mut request = GatewayRequest::to_route("POST", "/uploads").json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    answer(
        create_upload(state, as_principal(request, who))
            .await
            .unwrap(),
    )
}

async fn read(state: &Uploads, id: &str, who: &Principal) -> Answer {
    let request = GatewayRequest::new("GET", "/uploads/{upload_id}", &format!("/uploads/{id}"))
        .path_parameter("upload_id", id);
    answer(get_upload(state, as_principal(request, who)).await.unwrap())
}

/// PUTs `bytes` to a ticket's URL with its headers, except those named in `without`.
async fn put(ticket: &Value, bytes: &[u8], without: &[&str]) -> anyhow::Result<u16> {
    let client = reqwest::Client::new();
    let mut request = client.put(ticket["upload_url"].as_str().unwrap());
    for (name, value) in ticket["upload_headers"].as_object().unwrap() {
        if !without.contains(&name.to_ascii_lowercase().as_str()) {
            request = request.header(name.as_str(), value.as_str().unwrap());
        }
    }
    Ok(request.body(bytes.to_vec()).send().await?.status().as_u16())
}

#[tokio::test]
async fn a_presigned_put_accepts_the_declared_bytes_into_the_tenants_key() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let project = env.project(&acme).await?;
    let member = acme.member(Role::Member);

    let ticket = post(&env.state, &csv_body(project.as_str()), &member, None).await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{}", ticket.body);
    let body = &ticket.body;
    let upload_id = body["upload_id"].as_str().unwrap().to_owned();
    assert!(upload_id.starts_with("upl_"));
    assert_eq!(
        ticket.header("location"),
        Some(format!("/uploads/{upload_id}").as_str())
    );
    assert!(body["dataset_id"].as_str().unwrap().starts_with("dst_"));
    assert_eq!(body["project_id"], project.as_str());
    assert_eq!(body["status"], "AWAITING_BYTES");
    assert_eq!(body["filename"], "fruit prices.csv");
    assert_eq!(body["upload_method"], "PUT");
    let headers = body["upload_headers"].as_object().unwrap();
    assert_eq!(headers["content-type"], "text/csv");
    assert_eq!(headers["content-length"], CSV.len().to_string());
    assert_eq!(headers["x-amz-server-side-encryption"], "aws:kms");
    assert_eq!(
        headers["x-amz-server-side-encryption-aws-kms-key-id"],
        env.stack.kms_key_arn.as_str()
    );
    let url = body["upload_url"].as_str().unwrap();
    assert!(
        url.contains(&format!(
            "/tenants/{}/uploads/{upload_id}/fruit%20prices.csv",
            acme.tenant.id
        )),
        "{url}"
    );
    assert!(url.contains("X-Amz-Expires=") && url.contains("X-Amz-Signature="));

    assert_eq!(put(&ticket.body, CSV, &[]).await?, 200);
    let scope = acme.owner.scope();
    let upload = ida_core::id::UploadId::parse(&upload_id)?;
    let name = ida_core::upload::FileName::parse("fruit prices.csv")?;
    let key = ArtifactKey::upload(&scope, &upload, &name);
    assert!(env.store.artifacts.artifact_exists(&scope, &key).await?);

    let status = read(&env.state, &upload_id, &acme.member(Role::Viewer)).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    assert_eq!(status.body["status"], "AWAITING_BYTES");
    assert_eq!(status.body["format"], "csv");
    assert_eq!(status.body["size_bytes"], CSV.len());
    assert_eq!(status.body["dataset_id"], body["dataset_id"]);
    assert_eq!(status.body["created_by"], member.user().to_string());

    // A second file into the same dataset becomes its next version.
    let next = post(
        &env.state,
        &json!({
            "project_id": project.as_str(),
            "filename": "fruit.json",
            "content_type": "application/json",
            "size_bytes": 10,
            "dataset_id": body["dataset_id"],
        }),
        &member,
        None,
    )
    .await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.body);
    assert_eq!(next.body["dataset_id"], body["dataset_id"]);
    env.teardown().await
}

/// The content type and length are signed into the URL: LocalStack, like S3, answers 403 when
/// the PUT carries another content type, or a body of another length (sent without the signed
/// `Content-Length`, since an HTTP client refuses to send a body longer than its header).
#[tokio::test]
async fn a_put_that_changes_the_signed_headers_is_refused() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let project = env.project(&acme).await?;
    let ticket = post(&env.state, &csv_body(project.as_str()), &acme.owner, None).await;
    assert_eq!(ticket.status, StatusCode::CREATED);
    let wrong_type = {
        let mut headers = ticket.body.clone();
        headers["upload_headers"]["content-type"] = json!("application/pdf");
        put(&headers, CSV, &[]).await?
    };
    assert_eq!(wrong_type, 403);
    let longer = [CSV, b"3,plum,1.25\n"].concat();
    assert_eq!(put(&ticket.body, &longer, &["content-length"]).await?, 403);
    assert_eq!(put(&ticket.body, CSV, &[]).await?, 200);
    env.teardown().await
}

#[tokio::test]
async fn every_field_is_checked_and_named() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let project = env.project(&acme).await?;
    let member = acme.member(Role::Member);
    let with = |field: &str, value: Value| {
        let mut body = csv_body(project.as_str());
        body[field] = value;
        body
    };
    let cases = [
        (with("filename", json!("virus.exe")), "filename"),
        (
            with("content_type", json!("application/pdf")),
            "content_type",
        ),
        (
            with("content_type", json!("application/json")),
            "content_type",
        ),
        (with("size_bytes", json!(0)), "size_bytes"),
        (with("size_bytes", json!(6_000_000_000_u64)), "size_bytes"),
        (with("project_id", json!("sales")), "project_id"),
        (
            with("dataset_id", json!("dst_0123456789abcdef0123456789abcdef")),
            "dataset_name",
        ),
        (with("dataset_name", json!(" ")), "dataset_name"),
    ];
    for (body, field) in cases {
        let refused = post(&env.state, &body, &member, None).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            refused.body
        );
        assert_eq!(refused.body["code"], "invalid_field");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.starts_with(&format!("invalid {field}:")), "{detail}");
    }
    let mut neither = csv_body(project.as_str());
    neither.as_object_mut().unwrap().remove("dataset_name");
    let refused = post(&env.state, &neither, &member, None).await;
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("exactly one")
    );
    let missing = post(
        &env.state,
        &json!({"project_id": project.as_str()}),
        &member,
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["code"], "invalid_body");

    let viewer = post(
        &env.state,
        &csv_body(project.as_str()),
        &acme.member(Role::Viewer),
        None,
    )
    .await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN);
    assert_eq!(viewer.body["code"], "forbidden");
    env.teardown().await
}

#[tokio::test]
async fn the_quota_retries_and_other_tenants() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let globex = env.tenant().await?;
    let project = env.project(&acme).await?;
    env.upload_quota(&acme, 100).await?;

    let first = post(
        &env.state,
        &csv_body(project.as_str()),
        &acme.owner,
        Some("upload-fruit-1"),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let replay = post(
        &env.state,
        &csv_body(project.as_str()),
        &acme.owner,
        Some("upload-fruit-1"),
    )
    .await;
    assert_eq!(replay.status, StatusCode::CREATED, "{}", replay.body);
    assert_eq!(replay.body["upload_id"], first.body["upload_id"]);
    assert_eq!(replay.body["dataset_id"], first.body["dataset_id"]);
    let used = env.store.records.get_quota(&acme.owner.scope()).await?;
    assert_eq!(
        used.used(ida_core::quota::Quota::UploadBytes),
        CSV.len() as u64
    );

    let mut big = csv_body(project.as_str());
    big["size_bytes"] = json!(80);
    let over = post(&env.state, &big, &acme.owner, None).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{}", over.body);
    assert_eq!(over.body["code"], "quota_exceeded");
    // Regression: a refused upload once left its new, empty dataset behind.
    let after = env.store.records.get_quota(&acme.owner.scope()).await?;
    assert_eq!(after.used(ida_core::quota::Quota::Datasets), 1);

    let upload_id = first.body["upload_id"].as_str().unwrap();
    let hidden = read(&env.state, upload_id, &globex.owner).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let foreign_project = post(&env.state, &csv_body(project.as_str()), &globex.owner, None).await;
    assert_eq!(foreign_project.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign_project.body["code"], "not_found");
    let globex_project = env.project(&globex).await?;
    let mut foreign_dataset = csv_body(globex_project.as_str());
    foreign_dataset
        .as_object_mut()
        .unwrap()
        .remove("dataset_name");
    foreign_dataset["dataset_id"] = first.body["dataset_id"].clone();
    let refused = post(&env.state, &foreign_dataset, &globex.owner, None).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    env.teardown().await
}
