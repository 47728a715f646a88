//! AWS clients, built once per cold start from the standard configuration chain.
//!
//! The SDK itself honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`; the one thing it
//! cannot guess is that an overridden S3 endpoint (a local emulator on `127.0.0.1`) needs
//! path-style addressing, because virtual-hosted names like `bucket.127.0.0.1` do not resolve.
//! This module never reads credentials itself.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_types::service_config::ServiceConfigKey;

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
        Self::from_config(&aws_config::load_defaults(BehaviorVersion::latest()).await)
    }

    /// Builds every client from an already loaded configuration.
    pub fn from_config(config: &SdkConfig) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(s3_endpoint_overridden(config))
            .build();
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            sfn: aws_sdk_sfn::Client::new(config),
        }
    }
}

/// Whether S3 requests go to an overridden endpoint: the shared `AWS_ENDPOINT_URL` (or
/// `endpoint_url` in the profile), or the S3-only `AWS_ENDPOINT_URL_S3` (or the profile's `s3`
/// services section), looked up the way the S3 client itself does.
fn s3_endpoint_overridden(config: &SdkConfig) -> bool {
    let s3_only = ServiceConfigKey::builder()
        .service_id("S3")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()
        .zip(config.service_config())
        .and_then(|(key, service_config)| service_config.load_config(key));
    config.endpoint_url().is_some() || s3_only.is_some_and(|url| !url.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_endpoint_override_switches_s3_to_path_style() {
        let config = SdkConfig::builder()
            .endpoint_url("http://127.0.0.1:4566")
            .build();
        assert!(s3_endpoint_overridden(&config));
    }

    /// Environment variables and profile entries of the per-service kind, as a map.
    #[derive(Debug)]
    struct ServiceEnvironment(&'static [(&'static str, &'static str)]);

    impl aws_types::service_config::LoadServiceConfig for ServiceEnvironment {
        fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
            let var = format!("{}_{}", key.env(), key.service_id().to_uppercase());
            self.0
                .iter()
                .find(|(name, _)| *name == var)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn an_s3_only_endpoint_override_switches_s3_to_path_style() {
        let s3_only = ServiceEnvironment(&[("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566")]);
        let config = SdkConfig::builder().service_config(s3_only).build();
        assert!(s3_endpoint_overridden(&config));
    }

    #[test]
    fn another_services_override_leaves_s3_alone() {
        let dynamodb_only =
            ServiceEnvironment(&[("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")]);
        let config = SdkConfig::builder().service_config(dynamodb_only).build();
        assert!(!s3_endpoint_overridden(&config));
    }

    #[test]
    fn without_an_override_s3_keeps_virtual_hosted_addressing() {
        assert!(!s3_endpoint_overridden(&SdkConfig::builder().build()));
    }
}
