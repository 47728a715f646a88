//! AWS clients, built once per cold start from the standard configuration chain.
//!
//! The SDK itself honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`; the one thing it
//! cannot guess is that an overridden S3 endpoint (a local emulator on `127.0.0.1`) needs
//! path-style addressing, because virtual-hosted names like `bucket.127.0.0.1` do not resolve.
//! This module never reads credentials itself.

use crate::settings::process_env;
use aws_config::{BehaviorVersion, SdkConfig};

/// The S3-only endpoint override variable, which `SdkConfig::endpoint_url` does not reflect.
const S3_ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_S3";

/// The AWS clients a function may use. Each is a cheap handle over a shared connection pool,
/// so cloning one into a handler's state is fine; building them is what must happen only once.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// S3: artifacts and uploads.
    pub s3: aws_sdk_s3::Client,
    /// DynamoDB: the records table.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// SQS: stage queues and their dead-letter queues.
    pub sqs: aws_sdk_sqs::Client,
    /// Step Functions: the pipeline state machine and its task tokens.
    pub sfn: aws_sdk_sfn::Client,
}

impl AwsClients {
    /// Loads the configuration from the environment (region, credentials, endpoint overrides)
    /// and builds every client from it.
    pub async fn from_env() -> Self {
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Self::from_config(
            &config,
            process_env(S3_ENDPOINT_VAR).is_some_and(|url| !url.is_empty()),
        )
    }

    /// Builds every client from an already loaded configuration; `s3_endpoint_overridden` tells
    /// whether an S3-only endpoint override is in effect besides `config.endpoint_url()`.
    pub fn from_config(config: &SdkConfig, s3_endpoint_overridden: bool) -> Self {
        let force_path_style = config.endpoint_url().is_some() || s3_endpoint_overridden;
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(force_path_style)
            .build();
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            sfn: aws_sdk_sfn::Client::new(config),
        }
    }
}
