//! The one error type of `upload-events`. Every variant leaves the SQS message on the queue for
//! another receive (a record conflict, a throttled call, a scan still running); a notification
//! that can never succeed is not an error but an ignored or rejected outcome.

use ida_store::StoreError;

/// What stops an upload event from being handled now.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadEventsError {
    /// A record or object call failed (including a concurrent update of the same upload).
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The uploaded object could not be read.
    #[error("reading the uploaded object {key}: {reason}")]
    ReadObject {
        /// The object key.
        key: String,
        /// What S3 answered.
        reason: String,
    },
    /// The tenant requires a malware scan and it has not finished.
    #[error("the malware scan of {key} has not finished")]
    ScanPending {
        /// The object key.
        key: String,
    },
    /// Step Functions did not start the execution (other than because it exists).
    #[error("StartExecution {name}: {reason}")]
    StartExecution {
        /// The execution name.
        name: String,
        /// What Step Functions answered.
        reason: String,
    },
    /// The execution's ticket or input could not be made.
    #[error("pipeline ticket: {0}")]
    Ticket(String),
}

impl UploadEventsError {
    /// A stable code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            UploadEventsError::Store(_) => "store",
            UploadEventsError::ReadObject { .. } => "read_object",
            UploadEventsError::ScanPending { .. } => "scan_pending",
            UploadEventsError::StartExecution { .. } => "start_execution",
            UploadEventsError::Ticket(_) => "ticket",
        }
    }
}
