//! The Transform stage: applies the job's approved recipe to version N's `data.parquet` with
//! the data engine and writes version N+1 (`data.parquet` byte for byte what `ida apply` writes
//! for the same input and recipe, `schema.json`, `recipe.json` with measured impacts,
//! `diff.json` against N, `profile.json` and `report.html`) with its version record, then
//! marks the recipe APPLIED.
//!
//! It refuses a recipe that is not approved. A re-run finds version N+1 by its origin (this
//! recipe applied to N) and rewrites the same bytes under the same number; it never adds a
//! second version.

use ida_core::StateMachine;
use ida_core::audit::AuditAction;
use ida_core::dataset::VersionOrigin;
use ida_core::id::RecipeId;
use ida_core::job::{JobEvent, JobStatus, Stage as PipelineStage};
use ida_core::pipeline::PipelineState;
use ida_core::recipe::{RecipeEvent, RecipeStatus};
use ida_data::DataError;
use ida_data::dataset::schema_json;
use ida_data::describe_typed;
use ida_data::diff::DiffReport;
use ida_data::profile::{ProfileConfig, ProfileReport, profile};
use ida_data::recipe::Recipe;
use ida_data::report::render_html;
use ida_data::transform::apply_parquet_bytes;
use ida_data::transform::version::sha256_hex;
use ida_runtime::RuntimeError;
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::stage_artifacts::VersionFiles;
use ida_runtime::stage_job::StageJob;
use ida_runtime::worker::{Stage, StageError};
use ida_store::datasets::NewVersion;
use ida_store::{DatasetRepository, RecipeRepository, Store, StoreSettings, VersionFile};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The `stage-transform` worker, fed by the `TransformQueue`.
pub static STAGE_TRANSFORM: FunctionSpec = FunctionSpec {
    binary: "stage-transform",
    trigger: Trigger::Queue {
        queue: "TransformQueue",
    },
    settings: |lookup| {
        StoreSettings::from_lookup(lookup)
            .map(drop)
            .map_err(RuntimeError::from)
    },
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&STAGE_TRANSFORM];

/// Code of a recipe that may not be applied (not approved, or rejected).
pub const RECIPE_NOT_APPROVED: &str = "recipe_not_approved";

/// The Transform stage over the records and artifacts.
#[derive(Debug, Clone)]
pub struct TransformStage {
    store: Store,
}

impl TransformStage {
    /// The stage writing through `store`.
    pub fn new(store: Store) -> Self {
        TransformStage { store }
    }
}

/// Version N+1's files, computed from N's bytes and the recipe.
struct Output {
    data: Vec<u8>,
    rows: u64,
    columns: u32,
    schema: String,
    recipe: Recipe,
    diff: DiffReport,
    profile: ProfileReport,
    report: String,
}

fn transform(
    input: &[u8],
    recipe: &Recipe,
    previous: Option<&ProfileReport>,
    config: &ProfileConfig,
) -> Result<Output, DataError> {
    let (data, applied) = apply_parquet_bytes(input, recipe)?;
    let schema = describe_typed(&applied.frame);
    let report = profile(&applied.frame, &schema, previous, config)?;
    Ok(Output {
        rows: applied.frame.height() as u64,
        columns: u32::try_from(applied.frame.width()).unwrap_or(u32::MAX),
        schema: schema_json(&schema)?,
        report: render_html(&report, &schema),
        recipe: applied.recipe,
        diff: applied.diff,
        profile: report,
        data,
    })
}

/// The profile configuration of a job: defaults, with "now" at the job's creation (as the
/// Profile stage uses), so a re-run writes the same bytes.
fn job_profile_config(created_at: OffsetDateTime) -> ProfileConfig {
    ProfileConfig {
        now_epoch_ms: i64::try_from(created_at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0),
        ..ProfileConfig::default()
    }
}

impl Stage for TransformStage {
    async fn run(&self, state: PipelineState) -> Result<Value, StageError> {
        let records = &self.store.records;
        let artifacts = &self.store.artifacts;
        let mut job =
            StageJob::begin(records, &state, PipelineStage::Transform, "stage-transform").await?;
        // Approval by a person moves the job on here if the approve route has not already.
        job.update(records, |record| {
            if record.status == JobStatus::AwaitingApproval {
                record.status = record.status.apply(JobEvent::Approve)?;
            }
            Ok(())
        })
        .await?;
        let scope = job.scope.clone();
        let id = job
            .job
            .record
            .recipe
            .clone()
            .unwrap_or_else(|| RecipeId::for_job(&job.job.record.id));
        let stored = records.get_recipe(&scope, &id).await?;
        if !matches!(
            stored.record.status,
            RecipeStatus::Approved | RecipeStatus::Applied
        ) {
            return Err(StageError::InvalidInput {
                code: RECIPE_NOT_APPROVED.to_owned(),
                message: format!("recipe {id} is {}, not APPROVED", stored.record.status),
            });
        }
        let recipe = Recipe::from_json(&stored.record.document.to_string()).map_err(data_error)?;
        let dataset = &state.input.dataset;
        let base = stored.record.base_version;
        let parent = VersionFiles::new(artifacts, &scope, dataset, base);
        let input = parent.get(VersionFile::Data).await?;
        let previous: Option<ProfileReport> =
            parent.get_json_if_written(VersionFile::Profile).await?;
        let config = job_profile_config(job.job.record.created_at);
        let output = tokio::task::spawn_blocking(move || {
            transform(&input, &recipe, previous.as_ref(), &config)
        })
        .await
        .map_err(|error| StageError::Transient {
            message: format!("the transform task stopped: {error}"),
        })?
        .map_err(data_error)?;

        let origin = VersionOrigin::Recipe {
            recipe: id.clone(),
            parent: base,
        };
        let data_sha256 = sha256_hex(&output.data);
        let version = match records.find_version(&scope, dataset, &origin).await? {
            Some(written) => written,
            None => {
                let new = NewVersion {
                    origin,
                    job: job.job.record.id.clone(),
                    data_sha256,
                    row_count: output.rows,
                    column_count: output.columns,
                    byte_size: output.data.len() as u64,
                };
                records.add_version(&scope, dataset, new, &job.ctx).await?
            }
        };
        let files = VersionFiles::new(artifacts, &scope, dataset, version.version);
        files.put(VersionFile::Data, output.data).await?;
        files
            .put(VersionFile::Schema, output.schema.into_bytes())
            .await?;
        files.put_json(VersionFile::Recipe, &output.recipe).await?;
        files.put_json(VersionFile::Diff, &output.diff).await?;
        files
            .put_json(VersionFile::Profile, &output.profile)
            .await?;
        files
            .put(VersionFile::Report, output.report.into_bytes())
            .await?;

        if stored.record.status == RecipeStatus::Approved {
            let mut applied = stored.record.clone();
            applied.status = applied.status.apply(RecipeEvent::Apply)?;
            records
                .update_recipe(
                    &scope,
                    applied,
                    stored.revision,
                    AuditAction::RecipeApplied,
                    &job.ctx,
                )
                .await?;
        }
        job.finish(records, |_| Ok(())).await?;
        Ok(json!({ "version": version.version }))
    }
}

fn data_error(error: DataError) -> StageError {
    StageError::classified(error.is_invalid_input(), error.code(), error.to_string())
}
