//! The AwaitApproval stage: stores the waiting task's token on the job's recipe (status
//! PENDING_APPROVAL) and marks the job AWAITING_APPROVAL, then keeps the task open: the
//! approve and reject routes end it with SendTaskSuccess / SendTaskFailure using the stored
//! token. It never reports success itself, except when the recipe was already approved before
//! the token was stored (nothing would end the task otherwise).
//!
//! The token is a credential that can end the execution: it is kept on the record only, never
//! in a response, a log line or an audit diff.

use ida_core::StateMachine;
use ida_core::audit::AuditAction;
use ida_core::id::RecipeId;
use ida_core::job::{JobEvent, JobStatus, Stage as PipelineStage};
use ida_core::pipeline::PipelineState;
use ida_core::recipe::{RecipeEvent, RecipeStatus};
use ida_runtime::RuntimeError;
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::stage_job::StageJob;
use ida_runtime::worker::{Stage, StageError, StageOutcome};
use ida_store::{RecipeRepository, Store, StoreError, StoreSettings};
use serde_json::{Value, json};

/// The `stage-await-approval` worker, fed by the `AwaitApprovalQueue`.
pub static STAGE_AWAIT_APPROVAL: FunctionSpec = FunctionSpec {
    binary: "stage-await-approval",
    trigger: Trigger::Queue {
        queue: "AwaitApprovalQueue",
    },
    settings: |lookup| {
        StoreSettings::from_lookup(lookup)
            .map(drop)
            .map_err(RuntimeError::from)
    },
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&STAGE_AWAIT_APPROVAL];

/// Code of a call without the task token (the stage only runs inside the callback harness).
pub const TASK_TOKEN_REQUIRED: &str = "task_token_required";

/// Code of a recipe rejected before its token was stored.
pub const RECIPE_REJECTED: &str = "recipe_rejected";

/// How often storing the token is retried after another writer changed the recipe.
const STORE_ATTEMPTS: u32 = 5;

/// The AwaitApproval stage over the records.
#[derive(Debug, Clone)]
pub struct AwaitApprovalStage {
    store: Store,
}

impl AwaitApprovalStage {
    /// The stage writing through `store`.
    pub fn new(store: Store) -> Self {
        AwaitApprovalStage { store }
    }

    /// Stores `task_token` on the job's recipe and marks the job waiting; reports at once only
    /// when the recipe is already approved.
    pub async fn hold(
        &self,
        state: PipelineState,
        task_token: &str,
    ) -> Result<StageOutcome, StageError> {
        let records = &self.store.records;
        let job = StageJob::begin(
            records,
            &state,
            PipelineStage::AwaitApproval,
            "stage-await-approval",
        )
        .await?;
        let scope = job.scope.clone();
        let id = job
            .job
            .record
            .recipe
            .clone()
            .unwrap_or_else(|| RecipeId::for_job(&job.job.record.id));
        for _ in 0..STORE_ATTEMPTS {
            let stored = records.get_recipe(&scope, &id).await?;
            match stored.record.status {
                RecipeStatus::Approved | RecipeStatus::Applied => {
                    job.finish(records, |_| Ok(())).await?;
                    return Ok(StageOutcome::Report(json!({
                        "recipe_id": id,
                        "status": stored.record.status,
                    })));
                }
                RecipeStatus::Rejected => {
                    return Err(StageError::InvalidInput {
                        code: RECIPE_REJECTED.to_owned(),
                        message: format!("recipe {id} was rejected"),
                    });
                }
                RecipeStatus::Draft | RecipeStatus::PendingApproval => {}
            }
            let mut waiting = stored.record.clone();
            if waiting.status == RecipeStatus::Draft {
                waiting.status = waiting.status.apply(RecipeEvent::Submit)?;
            }
            waiting.task_token = Some(task_token.to_owned());
            if waiting == stored.record {
                break;
            }
            match records
                .update_recipe(
                    &scope,
                    waiting,
                    stored.revision,
                    AuditAction::RecipeAwaitingApproval,
                    &job.ctx,
                )
                .await
            {
                Ok(_) => break,
                Err(StoreError::Conflict { .. }) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        job.finish(records, |record| {
            if record.status == JobStatus::Running {
                record.status = record.status.apply(JobEvent::RequestApproval)?;
            }
            Ok(())
        })
        .await?;
        Ok(StageOutcome::Deferred)
    }
}

impl Stage for AwaitApprovalStage {
    /// Without a task token there is nothing to store: the stage runs through
    /// [`Stage::outcome`], which the callback harness calls with the token.
    async fn run(&self, _state: PipelineState) -> Result<Value, StageError> {
        Err(StageError::InvalidInput {
            code: TASK_TOKEN_REQUIRED.to_owned(),
            message: "AwaitApproval stores the task token and runs only in the callback harness"
                .to_owned(),
        })
    }

    async fn outcome(
        &self,
        state: PipelineState,
        task_token: &str,
    ) -> Result<StageOutcome, StageError> {
        self.hold(state, task_token).await
    }
}
