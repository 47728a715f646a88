//! The recipe routes: `GET /recipes/{recipe_id}` (steps with rationale and impact preview,
//! status, risk, decision and links to the evidence), `PUT /recipes/{recipe_id}` (edit the steps
//! while DRAFT or PENDING_APPROVAL, under `If-Match`), and `POST .../approve` and
//! `POST .../reject`, which answer the pipeline's waiting AwaitApproval task.
//!
//! A decision is first written to the record, conditional on the revision that was read, and
//! only then sent to Step Functions: the recipe the Transform stage reads is the one approved,
//! and the approval's output carries its hash. The tenant is only ever the principal's; another
//! tenant's recipe id answers 404. Responses never carry the task token.

mod decision;
mod edit;
mod error;
mod view;

pub use decision::{ApprovalOutput, PipelineTasks};
pub use edit::{EditedRecipe, RecipeEdit, apply_edit, risk_of};
pub use error::{FieldProblem, RecipeRouteError};
/// What a recipe route reads at cold start: the store's resources.
pub type RecipesSettings = ida_runtime::store_settings::StoreAccess;
pub use view::{Evidence, RecipeView, awaits_decision};

use ida_core::audit::AuditAction;
use ida_core::id::{CorrelationId, RecipeId};
use ida_core::recipe::{Recipe, RecipeStatus};
use ida_core::tenancy::TenantPolicy;
use ida_core::{Permission, Principal, TenantScope, authorize};
use ida_data::DatasetSchema;
use ida_data::recipe::ColumnTypes;
use ida_runtime::RuntimeError;
use ida_runtime::auth::principal_of;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{
    ETag, Invocation, check_if_match, json_body, json_response, respond, with_etag,
};
use ida_runtime::settings::Settings;
use ida_store::{
    ArtifactKey, ArtifactStore, DynamoStore, RecipeRepository, S3Artifacts, StoreError, Stored,
    TenantRepository, VersionFile, WriteContext,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// How long the evidence links stay valid.
pub const EVIDENCE_LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Longest rejection reason, in characters: a sentence or a short paragraph.
pub const MAX_REASON_CHARS: usize = 1000;

/// The recipe routes' state, built once per cold start.
#[derive(Debug, Clone)]
pub struct Recipes {
    records: DynamoStore,
    artifacts: S3Artifacts,
    tasks: PipelineTasks,
}

impl Recipes {
    /// Recipes on `records`, evidence on `artifacts`, decisions sent to `tasks`.
    pub fn new(records: DynamoStore, artifacts: S3Artifacts, tasks: PipelineTasks) -> Self {
        Self {
            records,
            artifacts,
            tasks,
        }
    }

    /// The real adapters: DynamoDB, S3 and Step Functions.
    pub fn on_aws(
        dynamodb: &aws_sdk_dynamodb::Client,
        s3: &aws_sdk_s3::Client,
        sfn: &aws_sdk_sfn::Client,
        settings: &RecipesSettings,
    ) -> Self {
        let store = ida_store::Store::new(dynamodb.clone(), s3.clone(), settings.store.clone());
        Self::new(
            store.records,
            store.artifacts,
            PipelineTasks::new(sfn.clone()),
        )
    }
}

/// `GET /recipes/{recipe_id}`.
pub static GET_RECIPE: FunctionSpec = FunctionSpec {
    binary: "recipes-get",
    trigger: Trigger::Route {
        method: "GET",
        path: "/recipes/{recipe_id}",
        access: Access::Authorized,
    },
    settings: |lookup| RecipesSettings::from_lookup(lookup).map(drop),
};

/// `PUT /recipes/{recipe_id}`: replaces the steps of an undecided recipe.
pub static UPDATE_RECIPE: FunctionSpec = FunctionSpec {
    binary: "recipes-update",
    trigger: Trigger::Route {
        method: "PUT",
        path: "/recipes/{recipe_id}",
        access: Access::Authorized,
    },
    settings: |lookup| RecipesSettings::from_lookup(lookup).map(drop),
};

/// `POST /recipes/{recipe_id}/approve`.
pub static APPROVE_RECIPE: FunctionSpec = FunctionSpec {
    binary: "recipes-approve",
    trigger: Trigger::Route {
        method: "POST",
        path: "/recipes/{recipe_id}/approve",
        access: Access::Authorized,
    },
    settings: |lookup| RecipesSettings::from_lookup(lookup).map(drop),
};

/// `POST /recipes/{recipe_id}/reject`.
pub static REJECT_RECIPE: FunctionSpec = FunctionSpec {
    binary: "recipes-reject",
    trigger: Trigger::Route {
        method: "POST",
        path: "/recipes/{recipe_id}/reject",
        access: Access::Authorized,
    },
    settings: |lookup| RecipesSettings::from_lookup(lookup).map(drop),
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 4] =
    [&GET_RECIPE, &UPDATE_RECIPE, &APPROVE_RECIPE, &REJECT_RECIPE];

/// The routes of this crate bound to `recipes`, for the local host.
pub fn routes(recipes: Arc<Recipes>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(
            &GET_RECIPE,
            Arc::clone(&recipes),
            |state, request| async move { get_recipe(&state, request).await },
        ),
        HostedRoute::new(
            &UPDATE_RECIPE,
            Arc::clone(&recipes),
            |state, request| async move { update_recipe(&state, request).await },
        ),
        HostedRoute::new(
            &APPROVE_RECIPE,
            Arc::clone(&recipes),
            |state, request| async move { approve_recipe(&state, request).await },
        ),
        HostedRoute::new(&REJECT_RECIPE, recipes, |state, request| async move {
            reject_recipe(&state, request).await
        }),
    ]
}

/// Handles `GET /recipes/{recipe_id}`: 200 with the recipe, its ETag and evidence links.
pub async fn get_recipe(recipes: &Recipes, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::RecipeRead)?;
        let scope = principal.scope();
        let stored = recipes
            .records
            .get_recipe(&scope, &recipe_id(&request)?)
            .await?;
        let evidence = recipes.evidence(&scope, &stored.record).await?;
        answer(&request, &stored, Some(evidence))
    })
    .await
}

/// Handles `PUT /recipes/{recipe_id}`: 200 with the edited recipe. `If-Match` is required
/// (428 without, 412 when stale); a decided recipe is 409 `recipe_not_editable`; steps that
/// do not fit the dataset version are 400 `invalid_recipe` listing every problem.
pub async fn update_recipe(
    recipes: &Recipes,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::JobControl)?;
        let scope = principal.scope();
        let stored = recipes
            .records
            .get_recipe(&scope, &recipe_id(&request)?)
            .await?;
        check_if_match(request.headers(), &etag_of(&stored))?;
        if !matches!(
            stored.record.status,
            RecipeStatus::Draft | RecipeStatus::PendingApproval
        ) {
            return Err(RecipeRouteError::NotEditable {
                status: stored.record.status,
            });
        }
        let edit: RecipeEdit = json_body(&request)?;
        let columns = recipes.columns(&scope, &stored.record).await?;
        let edited = apply_edit(&edit, &stored.record.document, &columns)
            .map_err(|problems| RecipeRouteError::InvalidRecipe { problems })?;
        let mut recipe = stored.record.clone();
        recipe.document = edited.document;
        recipe.document_sha256 = edited.sha256;
        recipe.risk = edited.risk;
        let saved = recipes
            .records
            .update_recipe(
                &scope,
                recipe,
                stored.revision,
                AuditAction::RecipeEdited,
                &write_context(&principal, &invocation),
            )
            .await?;
        answer(&request, &saved, None)
    })
    .await
}

/// Handles `POST /recipes/{recipe_id}/approve`: 200 with the APPROVED recipe. Needs
/// `recipe:approve`; under four-eyes the requester may not approve (403 `self_approval`); a
/// recipe the pipeline does not wait on is 409 `recipe_not_awaiting_decision`. An `If-Match`,
/// when sent, must name the revision the approver reviewed.
pub async fn approve_recipe(
    recipes: &Recipes,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::RecipeApprove)?;
        let (scope, stored, token) = recipes.waiting(&principal, &request).await?;
        let saved = recipes
            .decide(&principal, &scope, stored, true, None, &invocation)
            .await?;
        let output = ApprovalOutput {
            decision: "APPROVED",
            approved_by: principal.user().clone(),
            recipe_sha256: saved.record.document_sha256.clone(),
        };
        recipes.tasks.approve(&token, &output).await?;
        answer(&request, &saved, None)
    })
    .await
}

/// The body of `POST /recipes/{recipe_id}/reject`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Why the recipe is rejected: kept on the decision and sent as the task failure's cause.
    pub reason: String,
}

/// Handles `POST /recipes/{recipe_id}/reject`: 200 with the REJECTED recipe; the pipeline's task
/// fails with `Ida.Rejected` and the reason as its cause. `reason` is required (1 to 1000
/// characters).
pub async fn reject_recipe(
    recipes: &Recipes,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = principal_of(&request)?;
        authorize(&principal, Permission::RecipeApprove)?;
        let rejection: Rejection = json_body(&request)?;
        let reason = rejection.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(RecipeRouteError::InvalidField {
                field: "reason",
                reason: "1 to 1000 characters saying why the recipe is rejected",
            });
        }
        let (scope, stored, token) = recipes.waiting(&principal, &request).await?;
        let saved = recipes
            .decide(
                &principal,
                &scope,
                stored,
                false,
                Some(reason.clone()),
                &invocation,
            )
            .await?;
        recipes.tasks.reject(&token, &reason).await?;
        answer(&request, &saved, None)
    })
    .await
}

impl Recipes {
    /// The recipe named by the request, checked to be waiting for a decision, with its token.
    async fn waiting(
        &self,
        principal: &Principal,
        request: &Request,
    ) -> Result<(TenantScope, Stored<Recipe>, String), RecipeRouteError> {
        let scope = principal.scope();
        let stored = self
            .records
            .get_recipe(&scope, &recipe_id(request)?)
            .await?;
        if request.headers().contains_key("if-match") {
            check_if_match(request.headers(), &etag_of(&stored))?;
        }
        let token = match (&stored.record.task_token, stored.record.status) {
            (Some(token), RecipeStatus::PendingApproval) => token.clone(),
            (token, status) => {
                return Err(RecipeRouteError::NotAwaitingDecision {
                    status,
                    task_waiting: token.is_some(),
                });
            }
        };
        Ok((scope, stored, token))
    }

    /// Records the decision under the tenant's policy, conditional on the revision read.
    async fn decide(
        &self,
        principal: &Principal,
        scope: &TenantScope,
        stored: Stored<Recipe>,
        approved: bool,
        reason: Option<String>,
        invocation: &Invocation,
    ) -> Result<Stored<Recipe>, RecipeRouteError> {
        let policy = match self.records.get_policy(scope).await {
            Ok(policy) => policy.record,
            // A tenant without a stored policy gets the default, which asks for four eyes.
            Err(StoreError::NotFound { .. }) => TenantPolicy::default(),
            Err(error) => return Err(error.into()),
        };
        let mut recipe = stored.record;
        let ctx = write_context(principal, invocation);
        recipe.decide(principal, approved, reason, &policy, ctx.at)?;
        Ok(self
            .records
            .update_recipe(
                scope,
                recipe,
                stored.revision,
                AuditAction::RecipeDecided,
                &ctx,
            )
            .await?)
    }

    /// Presigned links to the files of the recipe's base version.
    async fn evidence(
        &self,
        scope: &TenantScope,
        recipe: &Recipe,
    ) -> Result<Evidence, RecipeRouteError> {
        let link = |file| {
            let key = ArtifactKey::version_file(scope, &recipe.dataset, recipe.base_version, file);
            async move {
                self.artifacts
                    .presign_download(scope, &key, EVIDENCE_LINK_LIFETIME)
                    .await
                    .map(|presigned| presigned.url)
            }
        };
        Ok(Evidence {
            schema_url: link(VersionFile::Schema).await?,
            profile_url: link(VersionFile::Profile).await?,
            report_url: link(VersionFile::Report).await?,
            expires_in: EVIDENCE_LINK_LIFETIME.as_secs(),
        })
    }

    /// The columns of the recipe's base version, from its `schema.json`.
    async fn columns(
        &self,
        scope: &TenantScope,
        recipe: &Recipe,
    ) -> Result<ColumnTypes, RecipeRouteError> {
        let key = ArtifactKey::version_file(
            scope,
            &recipe.dataset,
            recipe.base_version,
            VersionFile::Schema,
        );
        let bytes = match self.artifacts.get_artifact(scope, &key).await {
            Ok(bytes) => bytes,
            Err(StoreError::NotFound { .. }) => return Err(RecipeRouteError::SchemaUnavailable),
            Err(error) => return Err(error.into()),
        };
        let schema: DatasetSchema = serde_json::from_slice(&bytes).map_err(|error| {
            RecipeRouteError::Runtime(RuntimeError::Dependency {
                dependency: "artifacts_bucket",
                reason: format!("schema.json does not parse: {error}"),
            })
        })?;
        Ok(ColumnTypes::from_schema(&schema))
    }
}

/// The `recipe_id` path parameter. A malformed id names no recipe, so it is answered like an
/// unknown one.
fn recipe_id(request: &Request) -> Result<RecipeId, RecipeRouteError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("recipe_id"))
        .and_then(|text| RecipeId::parse(text).ok())
        .ok_or(RecipeRouteError::Runtime(RuntimeError::NotFound {
            entity: "recipe",
        }))
}

fn etag_of(stored: &Stored<Recipe>) -> ETag {
    ETag::from_revision(stored.revision.get())
}

/// 200 with the recipe and its ETag.
fn answer(
    request: &Request,
    stored: &Stored<Recipe>,
    evidence: Option<Evidence>,
) -> Result<Response<Body>, RecipeRouteError> {
    let response = json_response(StatusCode::OK, &RecipeView::of(&stored.record, evidence))?;
    Ok(with_etag(request.headers(), response, &etag_of(stored)))
}

/// The audit context of a write by `principal` in this request.
fn write_context(principal: &Principal, invocation: &Invocation) -> WriteContext {
    let correlation = CorrelationId::parse(invocation.correlation_id.as_str())
        .unwrap_or_else(|_| CorrelationId::generate());
    WriteContext::for_principal(principal, correlation, OffsetDateTime::now_utc())
}
