//! The artifacts bucket check: HeadBucket, which answers only when the bucket exists, the role
//! may list it, and S3 is reachable. One attempt, no SDK retries: the check reports whether S3
//! answers now, and a retry's backoff would turn a refused connection into a mere time-out.

use crate::check::DependencyCheck;
use crate::error::ProbeError;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::operation::head_bucket::HeadBucketError;
use futures::future::BoxFuture;
use ida_runtime::settings::ArtifactsBucket;

/// Checks the artifacts bucket on S3.
#[derive(Debug, Clone)]
pub struct ArtifactsBucketCheck {
    client: aws_sdk_s3::Client,
    bucket: ArtifactsBucket,
}

impl ArtifactsBucketCheck {
    /// A check of `bucket` through `client`.
    pub fn new(client: aws_sdk_s3::Client, bucket: ArtifactsBucket) -> Self {
        Self { client, bucket }
    }

    async fn head(&self) -> Result<(), ProbeError> {
        self.client
            .head_bucket()
            .bucket(self.bucket.name())
            .customize()
            .config_override(aws_sdk_s3::Config::builder().retry_config(RetryConfig::disabled()))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| match error.as_service_error() {
                Some(HeadBucketError::NotFound(missing)) => {
                    ProbeError::NotFound(missing.to_string())
                }
                _ => ProbeError::from_sdk(&error),
            })
    }
}

impl DependencyCheck for ArtifactsBucketCheck {
    fn name(&self) -> &'static str {
        "artifacts_bucket"
    }

    fn probe(&self) -> BoxFuture<'_, Result<(), ProbeError>> {
        Box::pin(self.head())
    }
}
