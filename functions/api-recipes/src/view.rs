//! What the recipe routes answer: the recipe document (steps with rationale and impact
//! preview), its status, risk and decision, and presigned links to the evidence it was planned
//! from. The task token is never part of it; only whether the pipeline waits is shown.

use ida_core::id::{DatasetId, JobId, RecipeId, UserId, VersionNo};
use ida_core::recipe::{Recipe, RecipeDecision, RecipeStatus};
use ida_core::tenancy::RecipeRisk;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// Presigned GETs of the files of the dataset version the recipe was planned from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// `schema.json`: the columns the recipe is validated against.
    pub schema_url: String,
    /// `profile.json`: the statistics and alerts the steps answer.
    pub profile_url: String,
    /// `report.html`: the profile for people.
    pub report_url: String,
    /// Seconds the links stay valid.
    pub expires_in: u64,
}

/// A recipe as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecipeView {
    /// The recipe.
    pub id: RecipeId,
    /// The dataset it applies to.
    pub dataset_id: DatasetId,
    /// The version it applies to.
    pub base_version: VersionNo,
    /// The job that planned it.
    pub job_id: JobId,
    /// Its status.
    pub status: RecipeStatus,
    /// Whether the pipeline waits for a decision on it now.
    pub awaiting_decision: bool,
    /// The data engine's recipe document: steps with rationale, review flags and impacts.
    pub recipe: Value,
    /// SHA-256 of the canonical document: what an approval approves.
    pub recipe_sha256: String,
    /// What the recipe would do that may need review.
    pub risk: RecipeRisk,
    /// On whose behalf it was planned.
    pub requested_by: UserId,
    /// The decision, once made.
    pub decision: Option<RecipeDecision>,
    /// When it was planned.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Links to the evidence, on `GET` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

impl RecipeView {
    /// The view of `recipe`, with `evidence` when given.
    pub fn of(recipe: &Recipe, evidence: Option<Evidence>) -> Self {
        RecipeView {
            id: recipe.id.clone(),
            dataset_id: recipe.dataset.clone(),
            base_version: recipe.base_version,
            job_id: recipe.job.clone(),
            status: recipe.status,
            awaiting_decision: awaits_decision(recipe),
            recipe: recipe.document.clone(),
            recipe_sha256: recipe.document_sha256.clone(),
            risk: recipe.risk,
            requested_by: recipe.requested_by.clone(),
            decision: recipe.decision.clone(),
            created_at: recipe.created_at,
            evidence,
        }
    }
}

/// Whether a decision on `recipe` would reach a waiting pipeline.
pub fn awaits_decision(recipe: &Recipe) -> bool {
    recipe.status == RecipeStatus::PendingApproval && recipe.task_token.is_some()
}
