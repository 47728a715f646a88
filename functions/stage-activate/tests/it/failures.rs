//! Failures: a corrupt upload, a recipe still waiting for approval, a cancelled job; and what
//! RecordFailure makes of each.

use ida_core::StateMachine;
use ida_core::job::{JobEvent, JobFailure, JobStatus, Stage as PipelineStage};
use ida_core::tenancy::ApprovalMode;
use ida_runtime::worker::{Stage, StageError};
use ida_store::JobRepository;
use stage_parse::ParseStage;
use stage_plan::PlanStage;
use stage_profile::ProfileStage;
use stage_record_failure::RecordFailureStage;
use stage_transform::TransformStage;

use crate::env::TestEnv;

/// `$.failure` as the state machine's Catch hands it to RecordFailure.
fn caught(error: &StageError) -> serde_json::Value {
    serde_json::json!({"Error": error.error_name(), "Cause": error.cause()})
}

#[tokio::test]
async fn a_corrupt_csv_fails_parse_and_the_job_shows_the_engines_code() -> anyhow::Result<()> {
    let env = TestEnv::start(ApprovalMode::Never).await?;
    let mut state = env
        .upload("broken.csv", b"id,name\n1,\"ann\n2,bob\n".to_vec())
        .await?;
    let error = ParseStage::new(env.store.clone())
        .run(state.clone())
        .await
        .unwrap_err();
    let StageError::InvalidInput { code, message } = &error else {
        panic!("expected invalid input, got {error:?}");
    };
    assert_eq!(code, "unterminated_quote");
    assert!(message.contains("broken.csv"), "{message}");
    assert_eq!(env.version_count(&state).await?, 0);

    state.failure = Some(caught(&error));
    let recorded = RecordFailureStage::new(env.store.clone())
        .run(state.clone())
        .await?;
    assert_eq!(recorded["status"], "FAILED");
    let job = env.job(&state).await?;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        job.failure,
        Some(JobFailure {
            stage: PipelineStage::Parse,
            code: "unterminated_quote".to_owned(),
            message: message.clone(),
        })
    );
    // A second delivery of the same failure changes nothing.
    RecordFailureStage::new(env.store.clone())
        .run(state.clone())
        .await?;
    assert_eq!(env.job(&state).await?, job);
    env.teardown().await
}

#[tokio::test]
async fn an_infected_upload_is_never_parsed() -> anyhow::Result<()> {
    let env = TestEnv::start(ApprovalMode::Never).await?;
    let state = env
        .upload_scanned(
            "small.csv",
            b"id,name\n1,ann\n".to_vec(),
            ida_core::upload::ScanStatus::Infected,
        )
        .await?;
    let error = ParseStage::new(env.store.clone())
        .run(state.clone())
        .await
        .unwrap_err();
    let StageError::InvalidInput { code, .. } = &error else {
        panic!("expected invalid input, got {error:?}");
    };
    assert_eq!(code, "upload_not_usable");
    assert_eq!(env.version_count(&state).await?, 0);
    env.teardown().await
}

#[tokio::test]
async fn transform_refuses_a_recipe_waiting_for_approval() -> anyhow::Result<()> {
    let env = TestEnv::start(ApprovalMode::Always).await?;
    let state = env
        .upload("small.csv", b"id,name\n1,ann\n2,bob\n".to_vec())
        .await?;
    ParseStage::new(env.store.clone())
        .run(state.clone())
        .await?;
    ProfileStage::new(env.store.clone())
        .run(state.clone())
        .await?;
    let planned = PlanStage::new(env.store.clone()).run(state.clone()).await?;
    assert_eq!(planned["needs_approval"], true);
    let error = TransformStage::new(env.store.clone())
        .run(state.clone())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        StageError::InvalidInput {
            code: "recipe_not_approved".to_owned(),
            message: format!(
                "recipe {} is PENDING_APPROVAL, not APPROVED",
                planned["recipe_id"].as_str().unwrap_or_default()
            ),
        }
    );
    assert_eq!(env.version_count(&state).await?, 1);
    env.teardown().await
}

#[tokio::test]
async fn a_cancelled_job_stops_the_next_stage_and_stays_cancelled() -> anyhow::Result<()> {
    let env = TestEnv::start(ApprovalMode::Never).await?;
    let mut state = env
        .upload("small.csv", b"id,name\n1,ann\n2,bob\n".to_vec())
        .await?;
    ParseStage::new(env.store.clone())
        .run(state.clone())
        .await?;
    let stored = env
        .store
        .records
        .get_job(&env.scope, state.input.ticket.job())
        .await?;
    let mut cancelled = stored.record.clone();
    cancelled.status = cancelled.status.apply(JobEvent::Cancel)?;
    env.store
        .records
        .update_job(&env.scope, cancelled, stored.revision, &env.ctx())
        .await?;

    let error = ProfileStage::new(env.store.clone())
        .run(state.clone())
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), "Ida.InvalidInput");
    assert!(
        error.cause().contains("\"code\":\"job_cancelled\""),
        "{}",
        error.cause()
    );
    state.failure = Some(caught(&error));
    RecordFailureStage::new(env.store.clone())
        .run(state.clone())
        .await?;
    let job = env.job(&state).await?;
    assert_eq!(job.status, JobStatus::Cancelled);
    assert_eq!(job.failure, None);
    env.teardown().await
}
