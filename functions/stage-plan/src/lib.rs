//! The Plan stage: plans the cleaning recipe of version N from its data and profile, stores it
//! as the job's recipe record (steps, rationales, previewed impacts, risk) and decides from the
//! tenant's policy whether it waits for a person's approval.
//!
//! The job has exactly one recipe, whose id is derived from the job id: a re-run finds it (or
//! loses the conditional create to the run that wrote it) and never plans a second one. The
//! preset is conservative unless the tenant's `plan.ml` flag is on.

use ida_core::TenantScope;
use ida_core::dataset::VersionOrigin;
use ida_core::id::RecipeId;
use ida_core::job::Stage as PipelineStage;
use ida_core::pipeline::PipelineState;
use ida_core::quota::FlagName;
use ida_core::recipe::{Recipe as RecipeRecord, RecipeStatus};
use ida_core::tenancy::{RecipeRisk, TenantPolicy};
use ida_data::DataError;
use ida_data::plan::{Plan, Preset, plan};
use ida_data::profile::ProfileReport;
use ida_data::transform::version::read_parquet_bytes;
use ida_runtime::RuntimeError;
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::stage_artifacts::VersionFiles;
use ida_runtime::stage_job::StageJob;
use ida_runtime::worker::{Stage, StageError};
use ida_store::{
    DatasetRepository, DynamoStore, RecipeRepository, Store, StoreError, StoreSettings,
    TenantRepository, VersionFile,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The `stage-plan` worker, fed by the `PlanQueue`.
pub static STAGE_PLAN: FunctionSpec = FunctionSpec {
    binary: "stage-plan",
    trigger: Trigger::Queue { queue: "PlanQueue" },
    settings: |lookup| {
        StoreSettings::from_lookup(lookup)
            .map(drop)
            .map_err(RuntimeError::from)
    },
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&STAGE_PLAN];

/// The tenant flag that switches the planner to the `ml` preset.
pub const ML_PRESET_FLAG: &str = "plan.ml";

/// The Plan stage over the records and artifacts.
#[derive(Debug, Clone)]
pub struct PlanStage {
    store: Store,
}

impl PlanStage {
    /// The stage writing through `store`.
    pub fn new(store: Store) -> Self {
        PlanStage { store }
    }
}

/// What a planned recipe would do that the approval policy looks at.
pub fn risk_of(planned: &Plan, columns_before: usize) -> RecipeRisk {
    RecipeRisk {
        needs_review: planned.recipe.steps.iter().any(|step| step.needs_review),
        drops_rows: planned.preview.rows_after < planned.preview.rows_before,
        drops_columns: planned.applied.frame.width() < columns_before,
    }
}

impl Stage for PlanStage {
    async fn run(&self, state: PipelineState) -> Result<Value, StageError> {
        let records = &self.store.records;
        let mut job = StageJob::begin(records, &state, PipelineStage::Plan, "stage-plan").await?;
        let scope = job.scope.clone();
        let id = RecipeId::for_job(&job.job.record.id);
        let recipe = match records.get_recipe(&scope, &id).await {
            Ok(stored) => stored.record,
            Err(StoreError::NotFound { .. }) => self.plan_recipe(&state, &job, id).await?,
            Err(other) => return Err(other.into()),
        };
        let recipe_id = recipe.id.clone();
        job.update(records, |record| {
            record.recipe = Some(recipe_id.clone());
            Ok(())
        })
        .await?;
        job.finish(records, |_| Ok(())).await?;
        let steps = recipe
            .document
            .get("steps")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        Ok(json!({
            "recipe_id": recipe.id,
            "needs_approval": recipe.status == RecipeStatus::PendingApproval,
            "steps": steps,
        }))
    }
}

impl PlanStage {
    async fn plan_recipe(
        &self,
        state: &PipelineState,
        job: &StageJob,
        id: RecipeId,
    ) -> Result<RecipeRecord, StageError> {
        let records = &self.store.records;
        let scope = &job.scope;
        let dataset = &state.input.dataset;
        let origin = VersionOrigin::Upload {
            upload: state.input.upload.clone(),
        };
        let version = records
            .find_version(scope, dataset, &origin)
            .await?
            .ok_or_else(|| StageError::InvalidInput {
                code: "version_missing".to_owned(),
                message: format!("upload {} has no parsed version", state.input.upload),
            })?
            .version;
        let files = VersionFiles::new(&self.store.artifacts, scope, dataset, version);
        let data = files.get(VersionFile::Data).await?;
        let profile: ProfileReport = files.get_json(VersionFile::Profile).await?;
        let preset = preset_of(records, scope).await?;
        let (planned, risk) = tokio::task::spawn_blocking(move || {
            let frame = read_parquet_bytes(&data)?;
            let planned = plan(&frame, &profile, preset)?;
            let risk = risk_of(&planned, frame.width());
            Ok::<_, DataError>((planned, risk))
        })
        .await
        .map_err(|error| StageError::Transient {
            message: format!("the plan task stopped: {error}"),
        })?
        .map_err(|e| StageError::classified(e.is_invalid_input(), e.code(), e.to_string()))?;
        let data_error =
            |e: DataError| StageError::classified(e.is_invalid_input(), e.code(), e.to_string());
        let document =
            serde_json::to_value(&planned.recipe).map_err(|error| StageError::Transient {
                message: format!("serialising the recipe: {error}"),
            })?;
        let mut recipe = RecipeRecord {
            id: id.clone(),
            tenant: scope.tenant().clone(),
            dataset: dataset.clone(),
            base_version: version,
            job: job.job.record.id.clone(),
            document,
            document_sha256: planned.recipe.hash().map_err(data_error)?,
            risk,
            status: RecipeStatus::Draft,
            requested_by: job.job.record.created_by.clone(),
            decision: None,
            task_token: None,
            created_at: OffsetDateTime::now_utc(),
        };
        let policy = match records.get_policy(scope).await {
            Ok(stored) => stored.record,
            Err(StoreError::NotFound { .. }) => TenantPolicy::default(),
            Err(other) => return Err(other.into()),
        };
        recipe.submit(&policy)?;
        match records.create_recipe(scope, recipe, &job.ctx).await {
            Ok(created) => Ok(created.record),
            // Another run of this stage created it first: use what it stored.
            Err(StoreError::Conflict { .. }) => Ok(records.get_recipe(scope, &id).await?.record),
            Err(other) => Err(other.into()),
        }
    }
}

/// The planner preset the tenant's flags choose.
async fn preset_of(records: &DynamoStore, scope: &TenantScope) -> Result<Preset, StageError> {
    let flag = FlagName::parse(ML_PRESET_FLAG)?;
    let flags = match records.get_flags(scope).await {
        Ok(stored) => stored.record,
        Err(StoreError::NotFound { .. }) => return Ok(Preset::Conservative),
        Err(other) => return Err(other.into()),
    };
    Ok(if flags.is_enabled(&flag) {
        Preset::Ml
    } else {
        Preset::Conservative
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_data::dataset::read_bytes;
    use ida_data::profile::{ProfileConfig, profile};
    use ida_data::read::ReadOptions;

    #[test]
    fn a_recipe_dropping_duplicate_rows_is_risky() {
        let typed = read_bytes(
            b"id,name\n1,ann\n1,ann\n2,bob\n",
            "t.csv",
            &ReadOptions::default(),
        )
        .unwrap();
        let report = profile(&typed.frame, &typed.schema, None, &ProfileConfig::default()).unwrap();
        let planned = plan(&typed.frame, &report, Preset::Conservative).unwrap();
        let risk = risk_of(&planned, typed.frame.width());
        assert!(risk.drops_rows, "{:?}", planned.recipe);
        assert!(!risk.drops_columns);
        assert!(TenantPolicy::default().recipe_needs_approval(risk));
    }
}
