//! The Activate stage: moves the dataset's active-version pointer to the version the job's
//! recipe made (a conditional write on the dataset's revision, through `Dataset::activate`) and
//! ends the job SUCCEEDED.
//!
//! A re-run finds the pointer already there and only finishes the job. It never activates a
//! version other than the one this job's recipe produced.

use ida_core::StateMachine;
use ida_core::audit::AuditAction;
use ida_core::dataset::VersionOrigin;
use ida_core::id::RecipeId;
use ida_core::job::{JobEvent, JobStatus, Stage as PipelineStage};
use ida_core::pipeline::PipelineState;
use ida_runtime::RuntimeError;
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::stage_job::StageJob;
use ida_runtime::worker::{Stage, StageError};
use ida_store::{DatasetRepository, RecipeRepository, Store, StoreSettings};
use serde_json::{Value, json};

/// The `stage-activate` worker, fed by the `ActivateQueue`.
pub static STAGE_ACTIVATE: FunctionSpec = FunctionSpec {
    binary: "stage-activate",
    trigger: Trigger::Queue {
        queue: "ActivateQueue",
    },
    settings: |lookup| {
        StoreSettings::from_lookup(lookup)
            .map(drop)
            .map_err(RuntimeError::from)
    },
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&STAGE_ACTIVATE];

/// The Activate stage over the records.
#[derive(Debug, Clone)]
pub struct ActivateStage {
    store: Store,
}

impl ActivateStage {
    /// The stage writing through `store`.
    pub fn new(store: Store) -> Self {
        ActivateStage { store }
    }
}

impl Stage for ActivateStage {
    async fn run(&self, state: PipelineState) -> Result<Value, StageError> {
        let records = &self.store.records;
        let job =
            StageJob::begin(records, &state, PipelineStage::Activate, "stage-activate").await?;
        let scope = job.scope.clone();
        let dataset = &state.input.dataset;
        let id = job
            .job
            .record
            .recipe
            .clone()
            .unwrap_or_else(|| RecipeId::for_job(&job.job.record.id));
        let recipe = records.get_recipe(&scope, &id).await?.record;
        let origin = VersionOrigin::Recipe {
            recipe: id.clone(),
            parent: recipe.base_version,
        };
        let version = records
            .find_version(&scope, dataset, &origin)
            .await?
            .ok_or_else(|| StageError::InvalidInput {
                code: "version_missing".to_owned(),
                message: format!("recipe {id} has not produced a version"),
            })?
            .version;
        let current = records.get_dataset(&scope, dataset).await?;
        if current.record.active_version != Some(version) {
            let mut moved = current.record.clone();
            moved.activate(version)?;
            records
                .update_dataset(
                    &scope,
                    moved,
                    current.revision,
                    AuditAction::VersionActivated,
                    &job.ctx,
                )
                .await?;
        }
        job.finish(records, |record| {
            if record.status == JobStatus::Running {
                record.status = record.status.apply(JobEvent::Succeed)?;
            }
            Ok(())
        })
        .await?;
        Ok(json!({ "active_version": version }))
    }
}
