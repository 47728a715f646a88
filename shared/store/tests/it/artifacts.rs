//! S3 artifacts: SSE-KMS on every put, presigned PUTs bound to length and type, presigned GETs,
//! and the GuardDuty scan tag.

use std::time::Duration;

use aws_sdk_s3::types::{ServerSideEncryption, Tag, Tagging};
use ida_core::id::{DatasetId, UploadId, VersionNo};
use ida_core::tenancy::Plan;
use ida_core::upload::FileName;
use ida_store::scan::{GuardDutyTagScanner, ScanVerdict};
use ida_store::{ArtifactKey, ArtifactStore, MalwareScanner, PresignedUrl, VersionFile};

use crate::env::TestEnv;

async fn send(
    request: &PresignedUrl,
    body: Option<&'static [u8]>,
) -> anyhow::Result<(u16, Vec<u8>)> {
    let client = reqwest::Client::new();
    let mut builder = match body {
        Some(bytes) => client.put(&request.url).body(bytes),
        None => client.get(&request.url),
    };
    // The client computes Content-Length from the body it really sends, as browsers and HTTP
    // libraries do; S3 then checks it against the signed length.
    for (name, value) in request
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
    {
        builder = builder.header(name, value);
    }
    let response = builder.send().await?;
    Ok((response.status().as_u16(), response.bytes().await?.to_vec()))
}

#[tokio::test]
async fn every_put_asks_for_sse_kms_with_the_configured_key() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let key = ArtifactKey::version_file(
        &a.scope,
        &DatasetId::generate(),
        VersionNo::FIRST,
        VersionFile::Profile,
    );
    env.store
        .artifacts
        .put_artifact(
            &a.scope,
            &key,
            br#"{"rows":3}"#.to_vec(),
            "application/json",
        )
        .await?;
    let head = env
        .stack
        .clients
        .s3
        .head_object()
        .bucket(&env.stack.artifacts_bucket)
        .key(key.as_str())
        .send()
        .await?;
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert!(
        head.ssekms_key_id()
            .is_some_and(|id| id.contains(env.stack.kms_key_arn.rsplit('/').next().unwrap()))
    );
    assert_eq!(
        env.store.artifacts.get_artifact(&a.scope, &key).await?,
        br#"{"rows":3}"#
    );
    env.teardown().await
}

#[tokio::test]
async fn a_presigned_upload_accepts_exactly_the_signed_length_and_type() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let key = ArtifactKey::upload(
        &a.scope,
        &UploadId::generate(),
        &FileName::parse("people.csv")?,
    );
    let body: &'static [u8] = b"name,age\nada,36\n";
    let signed = env
        .store
        .artifacts
        .presign_upload(
            &a.scope,
            &key,
            body.len() as u64,
            "text/csv",
            Duration::from_secs(300),
        )
        .await?;
    assert_eq!(signed.method, "PUT");
    assert!(
        signed
            .url
            .contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3B"),
        "{}",
        signed.url
    );
    assert!(
        signed
            .url
            .contains(&format!("tenants/{}/uploads/", a.tenant.id))
    );

    // A longer body than signed is refused.
    let (status, _) = send(&signed, Some(b"name,age\nada,36\nbob,41\n")).await?;
    assert_eq!(status, 403);
    // Another content type than signed is refused.
    let mut other_type = signed.clone();
    for (name, value) in &mut other_type.headers {
        if name.eq_ignore_ascii_case("content-type") {
            *value = "application/json".into();
        }
    }
    let (status, _) = send(&other_type, Some(body)).await?;
    assert_eq!(status, 403);

    let (status, text) = send(&signed, Some(body)).await?;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&text));
    let head = env
        .stack
        .clients
        .s3
        .head_object()
        .bucket(&env.stack.uploads_bucket)
        .key(key.as_str())
        .send()
        .await?;
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.content_length(), Some(body.len() as i64));

    let download = env
        .store
        .artifacts
        .presign_download(&a.scope, &key, Duration::from_secs(60))
        .await?;
    assert_eq!(send(&download, None).await?, (200, body.to_vec()));
    env.teardown().await
}

#[tokio::test]
async fn the_guardduty_scanner_reads_the_scan_result_tag() -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let a = env.tenant(Plan::Team).await?;
    let key = ArtifactKey::upload(
        &a.scope,
        &UploadId::generate(),
        &FileName::parse("scan.csv")?,
    );
    env.store
        .artifacts
        .put_artifact(&a.scope, &key, b"a\n1\n".to_vec(), "text/csv")
        .await?;
    let scanner = GuardDutyTagScanner::new(env.store.artifacts.clone());
    assert_eq!(
        scanner.scan_status(&a.scope, &key).await?,
        ScanVerdict::Pending
    );
    for (value, verdict) in [
        ("NO_THREATS_FOUND", ScanVerdict::Clean),
        ("THREATS_FOUND", ScanVerdict::Infected),
    ] {
        // What GuardDuty Malware Protection for S3 writes after a scan.
        env.stack
            .clients
            .s3
            .put_object_tagging()
            .bucket(&env.stack.uploads_bucket)
            .key(key.as_str())
            .tagging(
                Tagging::builder()
                    .tag_set(
                        Tag::builder()
                            .key("GuardDutyMalwareScanStatus")
                            .value(value)
                            .build()?,
                    )
                    .build()?,
            )
            .send()
            .await?;
        assert_eq!(scanner.scan_status(&a.scope, &key).await?, verdict);
    }
    env.teardown().await
}
