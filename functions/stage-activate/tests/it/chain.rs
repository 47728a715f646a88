//! The stages in the order the state machine runs them, each run twice to show a re-run writes
//! the same bytes and no second version or recipe.

use ida_core::id::{RecipeId, VersionNo};
use ida_core::job::{JobStatus, Stage as PipelineStage};
use ida_core::recipe::RecipeStatus;
use ida_core::tenancy::ApprovalMode;
use ida_data::recipe::Recipe;
use ida_data::transform::apply_parquet_bytes;
use ida_data::transform::version::sha256_hex;
use ida_runtime::worker::Stage;
use ida_store::{DatasetRepository, RecipeRepository, VersionFile};
use stage_activate::ActivateStage;
use stage_parse::ParseStage;
use stage_plan::PlanStage;
use stage_profile::ProfileStage;
use stage_transform::TransformStage;

use crate::env::{TestEnv, example, fixture};

// Polars blocks in place inside a Tokio context, which needs the multi-threaded runtime (as
// Lambda's `#[tokio::main]` gives) when the test calls the engine itself.
#[tokio::test(flavor = "multi_thread")]
async fn a_csv_upload_becomes_an_active_cleaned_version_two() -> anyhow::Result<()> {
    let env = TestEnv::start(ApprovalMode::Never).await?;
    let state = env
        .upload("seattle-weather.csv", example("seattle-weather.csv")?)
        .await?;
    let store = env.store.clone();

    // Parse: version 1 with its data and schema; the first version is active at once.
    let parsed = ParseStage::new(store.clone()).run(state.clone()).await?;
    assert_eq!(parsed["version"], 1);
    assert_eq!(parsed["rows"], 1461);
    assert_eq!(parsed["columns"], 6);
    let v1 = env.version_file(&state, 1, VersionFile::Data).await?;
    assert_eq!(parsed["data_sha256"], sha256_hex(&v1));
    let schema: serde_json::Value =
        serde_json::from_slice(&env.version_file(&state, 1, VersionFile::Schema).await?)?;
    assert_eq!(schema["row_count"], 1461);
    let again = ParseStage::new(store.clone()).run(state.clone()).await?;
    assert_eq!(again, parsed);
    assert_eq!(env.version_file(&state, 1, VersionFile::Data).await?, v1);
    assert_eq!(env.version_count(&state).await?, 1);
    let dataset = store
        .records
        .get_dataset(&env.scope, &state.input.dataset)
        .await?;
    assert_eq!(dataset.record.active_version, Some(VersionNo::FIRST));

    // Profile: profile.json and report.html of version 1, the same bytes on a re-run.
    let profiled = ProfileStage::new(store.clone()).run(state.clone()).await?;
    assert_eq!(profiled["version"], 1);
    let profile = env.version_file(&state, 1, VersionFile::Profile).await?;
    let report: serde_json::Value = serde_json::from_slice(&profile)?;
    assert_eq!(report["row_count"], 1461);
    assert_eq!(
        profiled["alerts"],
        report["alerts"].as_array().map_or(0, Vec::len)
    );
    let html = env.version_file(&state, 1, VersionFile::Report).await?;
    assert!(html.starts_with(b"<!doctype html>") || html.starts_with(b"<!DOCTYPE html>"));
    ProfileStage::new(store.clone()).run(state.clone()).await?;
    assert_eq!(
        env.version_file(&state, 1, VersionFile::Profile).await?,
        profile
    );

    // Plan: one recipe for the job, approved by the tenant's policy (never ask).
    let planned = PlanStage::new(store.clone()).run(state.clone()).await?;
    let recipe_id = RecipeId::for_job(state.input.ticket.job());
    assert_eq!(planned["recipe_id"], recipe_id.as_str());
    assert_eq!(planned["needs_approval"], false);
    let recipe = store
        .records
        .get_recipe(&env.scope, &recipe_id)
        .await?
        .record;
    assert_eq!(recipe.status, RecipeStatus::Approved);
    assert_eq!(recipe.base_version, VersionNo::FIRST);
    assert_eq!(
        planned["steps"],
        recipe.document["steps"].as_array().map_or(0, Vec::len)
    );
    assert_eq!(
        PlanStage::new(store.clone()).run(state.clone()).await?,
        planned
    );
    assert_eq!(env.job(&state).await?.recipe, Some(recipe_id.clone()));

    // Transform: version 2 is byte for byte what the engine (and `ida apply`) makes of
    // version 1's data.parquet with the stored recipe.
    let transformed = TransformStage::new(store.clone())
        .run(state.clone())
        .await?;
    assert_eq!(transformed["version"], 2);
    let engine_recipe = Recipe::from_json(&recipe.document.to_string())?;
    let (expected, applied) = apply_parquet_bytes(&v1, &engine_recipe)?;
    let v2 = env.version_file(&state, 2, VersionFile::Data).await?;
    assert_eq!(v2, expected);
    let diff: serde_json::Value =
        serde_json::from_slice(&env.version_file(&state, 2, VersionFile::Diff).await?)?;
    assert_eq!(diff, serde_json::to_value(&applied.diff)?);
    let stored_recipe: serde_json::Value =
        serde_json::from_slice(&env.version_file(&state, 2, VersionFile::Recipe).await?)?;
    assert_eq!(stored_recipe, serde_json::to_value(&applied.recipe)?);
    for file in [
        VersionFile::Schema,
        VersionFile::Profile,
        VersionFile::Report,
    ] {
        assert!(!env.version_file(&state, 2, file).await?.is_empty());
    }
    let recipe_after = store
        .records
        .get_recipe(&env.scope, &recipe_id)
        .await?
        .record;
    assert_eq!(recipe_after.status, RecipeStatus::Applied);
    assert_eq!(
        TransformStage::new(store.clone())
            .run(state.clone())
            .await?,
        transformed
    );
    assert_eq!(env.version_file(&state, 2, VersionFile::Data).await?, v2);
    assert_eq!(env.version_count(&state).await?, 2);
    let v2_record = store
        .records
        .get_version(&env.scope, &state.input.dataset, VersionNo::new(2)?)
        .await?;
    assert_eq!(v2_record.data_sha256, sha256_hex(&v2));

    // Activate: the pointer moves to version 2 and the job ends SUCCEEDED.
    let activated = ActivateStage::new(store.clone()).run(state.clone()).await?;
    assert_eq!(activated["active_version"], 2);
    assert_eq!(
        ActivateStage::new(store.clone()).run(state.clone()).await?,
        activated
    );
    let dataset = store
        .records
        .get_dataset(&env.scope, &state.input.dataset)
        .await?;
    assert_eq!(dataset.record.active_version, Some(VersionNo::new(2)?));
    let job = env.job(&state).await?;
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(job.stage, PipelineStage::Activate);
    let ran: Vec<PipelineStage> = job.progress.runs.iter().map(|run| run.stage).collect();
    // Every run is recorded, the re-runs above too; the job's end is not reopened by the
    // second Activate.
    assert_eq!(
        ran,
        [
            PipelineStage::Parse,
            PipelineStage::Parse,
            PipelineStage::Profile,
            PipelineStage::Profile,
            PipelineStage::Plan,
            PipelineStage::Plan,
            PipelineStage::Transform,
            PipelineStage::Transform,
            PipelineStage::Activate
        ]
    );
    assert!(
        job.progress
            .runs
            .iter()
            .all(|run| run.finished_at.is_some())
    );
    env.teardown().await
}

#[tokio::test]
async fn xlsx_and_json_uploads_parse_and_profile() -> anyhow::Result<()> {
    let env = TestEnv::start(ApprovalMode::Never).await?;
    for (name, bytes) in [
        ("book.xlsx", fixture("read/book.xlsx")?),
        ("cars.json", example("cars.json")?),
    ] {
        let state = env.upload(name, bytes).await?;
        let parsed = ParseStage::new(env.store.clone())
            .run(state.clone())
            .await?;
        assert_eq!(parsed["version"], 1, "{name}");
        assert!(parsed["rows"].as_u64() > Some(0), "{name}: {parsed}");
        let profiled = ProfileStage::new(env.store.clone())
            .run(state.clone())
            .await?;
        assert_eq!(profiled["version"], 1, "{name}");
        let report: serde_json::Value =
            serde_json::from_slice(&env.version_file(&state, 1, VersionFile::Profile).await?)?;
        assert_eq!(report["row_count"], parsed["rows"], "{name}");
        let planned = PlanStage::new(env.store.clone()).run(state.clone()).await?;
        assert_eq!(planned["needs_approval"], false, "{name}");
    }
    env.teardown().await
}
