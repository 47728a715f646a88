//! The template's resources as provisioned on the emulators: real names, settings and wiring.

use aws_sdk_sqs::types::QueueAttributeName;
use ida_local::{LocalStack, ParameterOverrides, PipelineQueue};

#[tokio::test]
async fn provisioning_makes_the_template_resources_with_their_settings() -> anyhow::Result<()> {
    let local = LocalStack::from_env().await;
    let stack = local
        .provision_with(
            &ParameterOverrides::new()
                .set("MaxReceiveCount", 3)
                .set("StageVisibilityTimeoutSeconds", 7),
        )
        .await?;
    let clients = &stack.clients;

    let table = clients
        .dynamodb
        .describe_table()
        .table_name(&stack.records_table)
        .send()
        .await?;
    let table = table.table().expect("table description");
    let keys: Vec<_> = table
        .key_schema()
        .iter()
        .map(|k| k.attribute_name().to_owned())
        .collect();
    assert_eq!(keys, ["pk", "sk"]);
    let indexes: Vec<_> = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    assert_eq!(indexes, ["gsi1"]);
    let ttl = clients
        .dynamodb
        .describe_time_to_live()
        .table_name(&stack.records_table)
        .send()
        .await?;
    assert_eq!(
        ttl.time_to_live_description()
            .and_then(|d| d.attribute_name()),
        Some("expires_at")
    );

    let versioning = clients
        .s3
        .get_bucket_versioning()
        .bucket(&stack.artifacts_bucket)
        .send()
        .await?;
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Enabled"));
    let encryption = clients
        .s3
        .get_bucket_encryption()
        .bucket(&stack.uploads_bucket)
        .send()
        .await?;
    let rule = &encryption
        .server_side_encryption_configuration()
        .expect("encryption")
        .rules()[0];
    let by_default = rule
        .apply_server_side_encryption_by_default()
        .expect("default encryption");
    assert_eq!(by_default.sse_algorithm().as_str(), "aws:kms");
    assert_eq!(
        by_default.kms_master_key_id(),
        Some(stack.kms_key_arn.as_str())
    );

    let parse = stack.queue(PipelineQueue::Parse)?;
    assert_eq!(parse.max_receive_count, 3);
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&parse.queue.url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await?;
    let attributes = attributes.attributes().expect("attributes");
    assert_eq!(attributes[&QueueAttributeName::VisibilityTimeout], "7");
    let redrive: serde_json::Value =
        serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy])?;
    assert_eq!(
        redrive["deadLetterTargetArn"],
        parse.dead_letter.arn.as_str()
    );
    assert_eq!(redrive["maxReceiveCount"].to_string(), "3");
    let uploads = stack.queue(PipelineQueue::UploadEvents)?;
    assert_eq!(
        uploads.queue.name,
        format!("{}-upload-events", stack.prefix)
    );

    assert_eq!(
        stack.function_environment["IDA_RECORDS_TABLE"],
        stack.records_table
    );
    assert_eq!(
        stack.function_environment["IDA_UPLOADS_BUCKET"],
        stack.uploads_bucket
    );
    assert_eq!(
        stack.function_environment["IDA_ARTIFACTS_BUCKET"],
        stack.artifacts_bucket
    );
    assert_eq!(
        stack.function_environment["IDA_KMS_KEY_ARN"],
        stack.kms_key_arn
    );
    assert_eq!(stack.function_environment["IDA_LOG_LEVEL"], "info");
    // Every function and the API are hosted in process; the list grows with each route group.
    for hosted in [
        "Api",
        "HealthFunction",
        "UploadEventsFunction",
        "StageParseFunction",
        "AuthorizerFunction",
        "OpenApiFunction",
    ] {
        assert!(
            stack.hosted_in_process.iter().any(|id| id == hosted),
            "{hosted} in {:?}",
            stack.hosted_in_process
        );
    }
    assert!(
        stack
            .state_machine_arn()?
            .ends_with(&format!("{}-pipeline", stack.prefix))
    );

    let table_name = stack.records_table.clone();
    let bucket = stack.artifacts_bucket.clone();
    let local_clients = stack.clients.clone();
    stack.teardown().await?;
    assert!(
        local_clients
            .dynamodb
            .describe_table()
            .table_name(&table_name)
            .send()
            .await
            .is_err()
    );
    assert!(
        local_clients
            .s3
            .head_bucket()
            .bucket(&bucket)
            .send()
            .await
            .is_err()
    );
    Ok(())
}
