//! Uploads: a presigned PUT lands in the uploads bucket and its ObjectCreated event reaches the
//! upload-events queue; expired or tampered presigned URLs are refused.

use std::time::{Duration, SystemTime};

use ida_local::{ParameterOverrides, PipelineQueue};

use crate::env::{TestEnv, send_presigned};

/// What a consumer of the upload-events queue sees in a message body.
#[derive(Debug, PartialEq)]
enum UploadEvent {
    /// S3 checks the notification configuration with this message; consumers drop it.
    TestEvent,
    /// An object landed.
    ObjectCreated {
        bucket: String,
        key: String,
        size: u64,
    },
}

fn parse_upload_event(body: &str) -> anyhow::Result<UploadEvent> {
    let json: serde_json::Value = serde_json::from_str(body)?;
    if json["Event"] == "s3:TestEvent" {
        return Ok(UploadEvent::TestEvent);
    }
    let record = &json["Records"][0];
    anyhow::ensure!(
        record["eventName"]
            .as_str()
            .is_some_and(|name| name.starts_with("ObjectCreated:")),
        "not an ObjectCreated event: {body}"
    );
    Ok(UploadEvent::ObjectCreated {
        bucket: record["s3"]["bucket"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        key: record["s3"]["object"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        size: record["s3"]["object"]["size"].as_u64().unwrap_or_default(),
    })
}

#[tokio::test]
async fn a_presigned_put_lands_and_its_object_created_event_reaches_the_queue() -> anyhow::Result<()>
{
    let env = TestEnv::start(ParameterOverrides::new()).await?;
    let bucket = env.stack.uploads_bucket.clone();
    let key = "tenants/t1/uploads/u1/people.csv";
    let request = env
        .presign_put(&bucket, key, SystemTime::now(), Duration::from_secs(300))
        .await?;
    let (status, body) = send_presigned(&request, request.uri(), b"name,age\nada,36\n").await?;
    assert_eq!(status, 200, "{body}");

    let head = env
        .stack
        .clients
        .s3
        .head_object()
        .bucket(&bucket)
        .key(key)
        .send()
        .await?;
    assert_eq!(head.content_length(), Some(16));
    assert_eq!(
        head.server_side_encryption().map(|s| s.as_str()),
        Some("aws:kms")
    );
    assert_eq!(head.ssekms_key_id(), Some(env.stack.kms_key_arn.as_str()));

    let queue = env
        .stack
        .queue(PipelineQueue::UploadEvents)?
        .queue
        .url
        .clone();
    let created = UploadEvent::ObjectCreated {
        bucket,
        key: key.to_owned(),
        size: 16,
    };
    // A standard queue does not promise order, so collect until both kinds have arrived.
    let mut events = Vec::new();
    while !(events.contains(&UploadEvent::TestEvent) && events.contains(&created)) {
        let Some(message) = env.receive(&queue, Duration::from_secs(5)).await? else {
            break;
        };
        events.push(parse_upload_event(message.body().unwrap_or_default())?);
        env.delete(&queue, &message).await?;
    }
    events.sort_by_key(|event| matches!(event, UploadEvent::ObjectCreated { .. }));
    assert_eq!(events, [UploadEvent::TestEvent, created]);
    env.finish().await
}

#[tokio::test]
async fn a_presigned_put_past_its_expiry_is_refused() -> anyhow::Result<()> {
    let env = TestEnv::start(ParameterOverrides::new()).await?;
    let bucket = env.stack.uploads_bucket.clone();
    let signed_at = SystemTime::now() - Duration::from_secs(600);
    let request = env
        .presign_put(&bucket, "late.csv", signed_at, Duration::from_secs(60))
        .await?;
    let (status, body) = send_presigned(&request, request.uri(), b"a\n1\n").await?;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("Request has expired"), "{body}");
    let listed = env
        .stack
        .clients
        .s3
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await?;
    assert_eq!(listed.key_count(), Some(0));
    env.finish().await
}

#[tokio::test]
async fn a_presigned_put_with_a_wrong_signature_is_refused() -> anyhow::Result<()> {
    let env = TestEnv::start(ParameterOverrides::new()).await?;
    let bucket = env.stack.uploads_bucket.clone();
    let request = env
        .presign_put(
            &bucket,
            "forged.csv",
            SystemTime::now(),
            Duration::from_secs(300),
        )
        .await?;
    let url = request.uri();
    let (head, signature) = url.split_once("X-Amz-Signature=").expect("a signed URL");
    let first = signature.chars().next().expect("a signature");
    let flipped = if first == '0' { '1' } else { '0' };
    let forged = format!("{head}X-Amz-Signature={flipped}{}", &signature[1..]);
    let (status, body) = send_presigned(&request, &forged, b"a\n1\n").await?;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");
    env.finish().await
}
