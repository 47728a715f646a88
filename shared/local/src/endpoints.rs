//! Where the emulators listen and the AWS SDK clients pointed at them. Endpoints come from the
//! same variables the AWS SDKs read (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`); the
//! credentials are always the emulators' static test pair, never anything from the machine.

use aws_config::BehaviorVersion;
use aws_config::Region;
use aws_sdk_s3::config::Credentials;

/// The LocalStack endpoint when `AWS_ENDPOINT_URL` is not set.
pub const DEFAULT_AWS_ENDPOINT: &str = "http://127.0.0.1:4566";
/// The DynamoDB Local endpoint when `AWS_ENDPOINT_URL_DYNAMODB` is not set.
pub const DEFAULT_DYNAMODB_ENDPOINT: &str = "http://127.0.0.1:8000";
/// The region when `AWS_REGION` is not set.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The access key id (and secret) the emulators accept; LocalStack checks presigned URLs with it.
pub const TEST_CREDENTIAL: &str = "test";
/// The account LocalStack assigns to the `test` access key.
pub const LOCAL_ACCOUNT_ID: &str = "000000000000";

/// The emulators' endpoints and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// LocalStack: S3, SQS, Step Functions, IAM, KMS and the rest.
    pub aws: String,
    /// DynamoDB Local.
    pub dynamodb: String,
    /// The region every client signs for.
    pub region: String,
}

impl Endpoints {
    /// Reads the endpoints from the environment, with the loopback defaults.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the endpoints from any variable lookup (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name: &str, default: &str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Endpoints {
            aws: read("AWS_ENDPOINT_URL", DEFAULT_AWS_ENDPOINT),
            dynamodb: read("AWS_ENDPOINT_URL_DYNAMODB", DEFAULT_DYNAMODB_ENDPOINT),
            region: read("AWS_REGION", DEFAULT_REGION),
        }
    }
}

/// AWS SDK clients for the emulators, built once and cheap to clone.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// S3 on LocalStack, path-style (bucket names are not resolvable host names here).
    pub s3: aws_sdk_s3::Client,
    /// DynamoDB Local.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// SQS on LocalStack.
    pub sqs: aws_sdk_sqs::Client,
    /// Step Functions on LocalStack.
    pub sfn: aws_sdk_sfn::Client,
    /// IAM on LocalStack (Step Functions needs a role ARN).
    pub iam: aws_sdk_iam::Client,
    /// KMS on LocalStack.
    pub kms: aws_sdk_kms::Client,
}

impl AwsClients {
    /// Builds the clients for the given endpoints with the static test credentials.
    pub async fn connect(endpoints: &Endpoints) -> Self {
        let credentials =
            Credentials::new(TEST_CREDENTIAL, TEST_CREDENTIAL, None, None, "ida-local");
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(endpoints.region.clone()))
            .credentials_provider(credentials)
            .endpoint_url(&endpoints.aws)
            .load()
            .await;
        let s3 = aws_sdk_s3::config::Builder::from(&shared)
            .endpoint_url(&endpoints.aws)
            .force_path_style(true)
            .build();
        let dynamodb = aws_sdk_dynamodb::config::Builder::from(&shared)
            .endpoint_url(&endpoints.dynamodb)
            .build();
        AwsClients {
            s3: aws_sdk_s3::Client::from_conf(s3),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
            sqs: aws_sdk_sqs::Client::new(&shared),
            sfn: aws_sdk_sfn::Client::new(&shared),
            iam: aws_sdk_iam::Client::new(&shared),
            kms: aws_sdk_kms::Client::new(&shared),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn endpoints_default_to_loopback_when_unset_or_blank() {
        let vars = HashMap::from([("AWS_ENDPOINT_URL", " ")]);
        let endpoints = Endpoints::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()));
        assert_eq!(endpoints.aws, "http://127.0.0.1:4566");
        assert_eq!(endpoints.dynamodb, "http://127.0.0.1:8000");
        assert_eq!(endpoints.region, "us-east-1");
    }

    #[test]
    fn endpoints_follow_the_sdk_variables() {
        let vars = HashMap::from([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:14566"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:18000"),
            ("AWS_REGION", "eu-west-1"),
        ]);
        let endpoints = Endpoints::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()));
        assert_eq!(endpoints.aws, "http://127.0.0.1:14566");
        assert_eq!(endpoints.dynamodb, "http://127.0.0.1:18000");
        assert_eq!(endpoints.region, "eu-west-1");
    }
}
