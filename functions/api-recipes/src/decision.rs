//! Answering the pipeline's AwaitApproval task: the task token the stage stored on the recipe
//! goes back to Step Functions with the decision. An approval carries the hash of the stored
//! recipe, so the Transform stage can check it applies exactly what was approved.

use aws_sdk_sfn::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::operation::send_task_failure::SendTaskFailureError;
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;
use ida_core::id::UserId;
use ida_core::pipeline::REJECTED;
use ida_runtime::RuntimeError;
use serde::Serialize;

use crate::error::RecipeRouteError;

/// Seconds a client waits after Step Functions throttled a call.
const RETRY_AFTER_SECS: u32 = 2;

/// The output of an approved AwaitApproval task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalOutput {
    /// Always `APPROVED`.
    pub decision: &'static str,
    /// Who approved.
    pub approved_by: UserId,
    /// SHA-256 of the approved recipe's canonical document.
    pub recipe_sha256: String,
}

/// The pipeline's waiting tasks, through Step Functions.
#[derive(Debug, Clone)]
pub struct PipelineTasks {
    client: aws_sdk_sfn::Client,
}

impl PipelineTasks {
    /// Tasks answered through `client`.
    pub fn new(client: aws_sdk_sfn::Client) -> Self {
        Self { client }
    }

    /// Lets the waiting task go on with `output`.
    pub async fn approve(
        &self,
        task_token: &str,
        output: &ApprovalOutput,
    ) -> Result<(), RecipeRouteError> {
        let sent = self
            .client
            .send_task_success()
            .task_token(task_token)
            .output(serde_json::to_string(output)?)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(error))
                if matches!(
                    error.err(),
                    SendTaskSuccessError::TaskDoesNotExist(_)
                        | SendTaskSuccessError::TaskTimedOut(_)
                        | SendTaskSuccessError::InvalidToken(_)
                ) =>
            {
                Err(RecipeRouteError::TaskGone {
                    reason: error.err().to_string(),
                })
            }
            Err(error) => Err(sfn_error("send task success", &error).into()),
        }
    }

    /// Fails the waiting task with `Ida.Rejected` and the reviewer's reason as its cause.
    pub async fn reject(&self, task_token: &str, reason: &str) -> Result<(), RecipeRouteError> {
        let sent = self
            .client
            .send_task_failure()
            .task_token(task_token)
            .error(REJECTED)
            .cause(reason)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(error))
                if matches!(
                    error.err(),
                    SendTaskFailureError::TaskDoesNotExist(_)
                        | SendTaskFailureError::TaskTimedOut(_)
                        | SendTaskFailureError::InvalidToken(_)
                ) =>
            {
                Err(RecipeRouteError::TaskGone {
                    reason: error.err().to_string(),
                })
            }
            Err(error) => Err(sfn_error("send task failure", &error).into()),
        }
    }
}

/// A Step Functions failure as the client sees it: throttling is 503 with `Retry-After`,
/// anything else a dependency failure whose text stays in the log.
fn sfn_error<E>(
    operation: &'static str,
    error: &SdkError<E, aws_sdk_sfn::config::http::HttpResponse>,
) -> RuntimeError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let reason = format!("{operation}: {}", DisplayErrorContext(error));
    let throttled = matches!(
        error.code(),
        Some("ThrottlingException" | "TooManyRequestsException" | "ServiceUnavailable")
    );
    if throttled
        || matches!(
            error,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)
        )
    {
        RuntimeError::Unavailable {
            dependency: "step_functions",
            reason,
            retry_after_secs: RETRY_AFTER_SECS,
        }
    } else {
        RuntimeError::Dependency {
            dependency: "step_functions",
            reason,
        }
    }
}
