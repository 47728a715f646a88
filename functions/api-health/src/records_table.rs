//! The records table check: DescribeTable, which answers only when the table exists, the role
//! may describe it, and DynamoDB is reachable; the table must also be ACTIVE (or UPDATING, which
//! still serves requests). One attempt, no SDK retries, as for the bucket check.

use crate::check::DependencyCheck;
use crate::error::ProbeError;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::TableStatus;
use futures::future::BoxFuture;
use ida_runtime::settings::RecordsTable;

/// Checks the records table on DynamoDB.
#[derive(Debug, Clone)]
pub struct RecordsTableCheck {
    client: aws_sdk_dynamodb::Client,
    table: RecordsTable,
}

impl RecordsTableCheck {
    /// A check of `table` through `client`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: RecordsTable) -> Self {
        Self { client, table }
    }

    async fn describe(&self) -> Result<(), ProbeError> {
        let output = self
            .client
            .describe_table()
            .table_name(self.table.name())
            .customize()
            .config_override(
                aws_sdk_dynamodb::Config::builder().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(|error| match error.as_service_error() {
                Some(DescribeTableError::ResourceNotFoundException(missing)) => {
                    ProbeError::NotFound(missing.to_string())
                }
                _ => ProbeError::from_sdk(&error),
            })?;
        match output.table().and_then(|table| table.table_status()) {
            Some(TableStatus::Active | TableStatus::Updating) => Ok(()),
            Some(status) => Err(ProbeError::NotReady(format!("table status {status}"))),
            None => Err(ProbeError::Unexpected(
                "DescribeTable returned no table status".into(),
            )),
        }
    }
}

impl DependencyCheck for RecordsTableCheck {
    fn name(&self) -> &'static str {
        "records_table"
    }

    fn probe(&self) -> BoxFuture<'_, Result<(), ProbeError>> {
        Box::pin(self.describe())
    }
}
