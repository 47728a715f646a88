//! The contract between the pipeline's parts: the state machine's input, the message a stage
//! receives on its queue, the state each stage adds to, the error names the state machine
//! retries or catches, and how executions are named so a repeated start is a no-op.
//!
//! Every stage reads the whole [`PipelineState`] and returns only its own result; the state
//! machine stores that result at the stage's path (`$.parse`, `$.profile`, ...), so a later
//! stage (or a retried execution) finds everything written before it.

use serde::{Deserialize, Serialize};

use crate::access::PipelineTicket;
use crate::id::{DatasetId, JobId, UploadId};
use crate::job::Stage;

/// Error name for input that can never succeed (corrupt file, recipe that no longer fits): not
/// retried, the execution goes to RecordFailure.
pub const INVALID_INPUT: &str = "Ida.InvalidInput";

/// Error name for a failure worth retrying (throttling, a network error, an emulator hiccup):
/// retried by the state machine with exponential backoff.
pub const TRANSIENT: &str = "Ida.Transient";

/// Error name for a recipe a person rejected: the job ends REJECTED, nothing is written.
pub const REJECTED: &str = "Ida.Rejected";

/// Error name for a message that exhausted its retries on a stage queue (sent by the
/// dead-letters function).
pub const DEAD_LETTER: &str = "Ida.DeadLetter";

/// What starts an execution: the upload handler's ticket and the upload to process. A retried
/// job starts from `resume_from` with the state its failed attempt had reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionInput {
    /// Tenant and job, minted from the uploader's verified scope.
    pub ticket: PipelineTicket,
    /// The upload being processed.
    pub upload: UploadId,
    /// The dataset the upload makes a version of.
    pub dataset: DatasetId,
    /// 1 for the first execution of the job, then one more per retry.
    pub attempt: u32,
    /// The stage to start at (Parse for a first attempt).
    pub resume_from: Stage,
}

/// The state an execution carries: its input and the result of every stage that has run.
/// Stage results are JSON objects owned by the stage that writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineState {
    /// The execution's input.
    #[serde(flatten)]
    pub input: ExecutionInput,
    /// Written by Parse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse: Option<serde_json::Value>,
    /// Written by Profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<serde_json::Value>,
    /// Written by Plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<serde_json::Value>,
    /// Written by AwaitApproval (the approval decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<serde_json::Value>,
    /// Written by Transform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<serde_json::Value>,
    /// Written by Activate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activate: Option<serde_json::Value>,
    /// Written by the Catch of a failed stage: `{"Error": ..., "Cause": ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<serde_json::Value>,
}

/// The body of a message the state machine sends to a stage queue
/// (`sqs:sendMessage.waitForTaskToken`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageMessage {
    /// The token to report success, failure or a heartbeat with.
    #[serde(rename = "taskToken")]
    pub task_token: String,
    /// The execution's state when the stage started.
    pub state: PipelineState,
}

/// The name of the first execution for an upload: a second start with it (a duplicate S3 event)
/// is refused by Step Functions, so one upload makes one execution.
pub fn upload_execution_name(upload: &UploadId) -> String {
    upload.to_string()
}

/// The name of a retry's execution: unique per job and attempt, so a repeated retry request
/// starts nothing new.
pub fn retry_execution_name(job: &JobId, attempt: u32) -> String {
    format!("{job}-attempt-{attempt}")
}
