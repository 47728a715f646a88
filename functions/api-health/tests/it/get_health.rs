//! `GET /health` on real DynamoDB Local and LocalStack resources.

use crate::emulators::{TestEnv, call_health};
use anyhow::anyhow;
use api_health::{ArtifactsBucketCheck, Health, HealthSettings};
use aws_sdk_s3::config::{Credentials, Region};
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::{ArtifactsBucket, RecordsTable, Setting};
use lambda_http::http::StatusCode;
use std::net::TcpListener;

#[tokio::test]
async fn health_is_200_with_both_dependencies_up_on_a_provisioned_stack() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let answer = call_health(&env.health(&env.settings()?)).await?;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], "up");
    assert_eq!(answer.body["version"], env!("CARGO_PKG_VERSION"));
    for dependency in ["records_table", "artifacts_bucket"] {
        assert_eq!(
            answer.body["dependencies"][dependency]["status"], "up",
            "{}",
            answer.body
        );
        assert!(answer.body["dependencies"][dependency]["latency_ms"].is_u64());
    }
    assert_eq!(answer.correlation_id, "health-probe-20261125-0001");
    env.teardown().await
}

#[tokio::test]
async fn health_is_503_naming_the_records_table_when_it_does_not_exist() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let absent_table = format!("{}-never-made", env.stack.prefix);
    let settings =
        env.settings_with(|var| (var == "IDA_RECORDS_TABLE").then(|| absent_table.clone()))?;
    let answer = call_health(&env.health(&settings)).await?;

    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.body["status"], "down");
    assert_eq!(
        answer.body["dependencies"]["records_table"]["status"],
        "down"
    );
    assert_eq!(
        answer.body["dependencies"]["records_table"]["reason"],
        "not_found"
    );
    assert_eq!(
        answer.body["dependencies"]["artifacts_bucket"]["status"],
        "up"
    );
    assert!(
        !answer.body.to_string().contains(&absent_table),
        "{}",
        answer.body
    );
    env.teardown().await
}

#[tokio::test]
async fn health_is_503_naming_the_artifacts_bucket_when_it_does_not_exist() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let absent_bucket = format!("{}-never-made", env.stack.prefix);
    let settings =
        env.settings_with(|var| (var == "IDA_ARTIFACTS_BUCKET").then(|| absent_bucket.clone()))?;
    let answer = call_health(&env.health(&settings)).await?;

    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        answer.body["dependencies"]["artifacts_bucket"]["reason"],
        "not_found"
    );
    assert_eq!(answer.body["dependencies"]["records_table"]["status"], "up");
    env.teardown().await
}

#[tokio::test]
async fn dependencies_behind_a_closed_port_are_503_unreachable() -> anyhow::Result<()> {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        format!("http://{}", listener.local_addr()?)
    };
    let clients = runtime_clients(&closed).await;
    let settings = HealthSettings {
        records_table: RecordsTable::parse("ida-records").map_err(|e| anyhow!(e))?,
        artifacts_bucket: ArtifactsBucket::parse("ida-artifacts").map_err(|e| anyhow!(e))?,
    };
    let answer = call_health(&Health::on_aws(&clients.dynamodb, &clients.s3, &settings)).await?;

    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    for dependency in ["records_table", "artifacts_bucket"] {
        assert_eq!(
            answer.body["dependencies"][dependency]["reason"],
            "unreachable"
        );
    }
    Ok(())
}

/// `bucket.localhost` does not resolve, so the bucket answering through a `localhost` endpoint
/// proves that ida-runtime switched S3 to path-style addressing for the endpoint override.
#[tokio::test]
async fn runtime_clients_use_path_style_s3_when_the_endpoint_is_overridden() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let localhost = env.local.endpoints.aws.replace("127.0.0.1", "localhost");
    let clients = runtime_clients(&localhost).await;
    let bucket = ArtifactsBucket::parse(&env.stack.artifacts_bucket).map_err(|e| anyhow!(e))?;
    let check = ArtifactsBucketCheck::new(clients.s3.clone(), bucket);
    let answer = call_health(&Health::new(vec![Box::new(check)])).await?;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    env.teardown().await
}

/// ida-runtime's clients for one endpoint, with the emulators' static credentials.
async fn runtime_clients(endpoint: &str) -> AwsClients {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new(ida_local::DEFAULT_REGION))
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "api-health-it",
        ))
        .endpoint_url(endpoint)
        .load()
        .await;
    AwsClients::from_config(&config)
}
