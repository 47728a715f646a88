//! The recipe routes as a tenant's users call them, deciding real waiting tasks.

use crate::env::{TestEnv, call, hash_of};
use api_recipes::{approve_recipe, get_recipe, reject_recipe, update_recipe};
use aws_sdk_sfn::types::ExecutionStatus;
use ida_core::Role;
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::id::TenantId;
use ida_core::id::UserId;
use ida_core::recipe::RecipeStatus;
use ida_runtime::http::GatewayRequest;
use ida_store::RecipeRepository;
use serde_json::json;

fn on_recipe(method: &str, action: &str, id: &str) -> GatewayRequest {
    let (resource, path) = if action.is_empty() {
        ("/recipes/{recipe_id}".to_owned(), format!("/recipes/{id}"))
    } else {
        (
            format!("/recipes/{{recipe_id}}/{action}"),
            format!("/recipes/{id}/{action}"),
        )
    };
    GatewayRequest::new(method, &resource, &path).path_parameter("recipe_id", id)
}

fn stranger() -> Principal {
    Principal::from_authorizer_context(AuthorizerContext {
        tenant: TenantId::generate(),
        subject: Subject::User {
            user: UserId::generate(),
        },
        role: Role::Owner,
        scopes: None,
    })
    .unwrap()
}

#[tokio::test]
async fn a_recipe_is_shown_with_its_steps_evidence_and_etag_but_never_its_token()
-> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let team = env.team().await;
    let (recipe, _) = env.recipe(&team, &team.member, true).await;
    let id = recipe.record.id.as_str();

    let answer = call(
        |r| get_recipe(&env.recipes, r),
        on_recipe("GET", "", id).principal(&team.viewer),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["status"], "PENDING_APPROVAL");
    assert_eq!(answer.body["awaiting_decision"], true);
    assert_eq!(answer.body["recipe"]["steps"][0]["op"], "trim_whitespace");
    assert_eq!(
        answer.body["recipe"]["steps"][0]["rationale"],
        "Names carry padding."
    );
    assert_eq!(
        answer.body["recipe"]["steps"][0]["impact"]["cells_affected"],
        2
    );
    assert_eq!(answer.body["recipe"]["steps"][1]["needs_review"], true);
    assert_eq!(answer.body["recipe_sha256"], recipe.record.document_sha256);
    assert_eq!(answer.body["risk"]["drops_columns"], true);
    let schema_url = answer.body["evidence"]["schema_url"].as_str().unwrap();
    assert!(
        schema_url.contains("/versions/1/schema.json"),
        "{schema_url}"
    );
    assert!(
        answer.body["evidence"]["report_url"]
            .as_str()
            .unwrap()
            .contains("report.html")
    );
    assert_eq!(answer.body["evidence"]["expires_in"], 900);
    assert_eq!(answer.header("etag"), Some("\"r1\""));
    let token = recipe.record.task_token.as_deref().unwrap();
    assert!(!answer.text.contains(token));
    assert!(!answer.text.contains("task_token"));

    let hidden = call(
        |r| get_recipe(&env.recipes, r),
        on_recipe("GET", "", id).principal(&stranger()),
    )
    .await;
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.body["code"], "not_found");
    // Another tenant cannot edit or reject it either, even with the right ETag.
    let edit = call(
        |r| update_recipe(&env.recipes, r),
        on_recipe("PUT", "", id)
            .json(&json!({"steps": []}))
            .header("If-Match", "\"r1\"")
            .principal(&stranger()),
    )
    .await;
    assert_eq!(edit.status, 404);
    let reject = call(
        |r| reject_recipe(&env.recipes, r),
        on_recipe("POST", "reject", id)
            .json(&json!({"reason": "not mine"}))
            .principal(&stranger()),
    )
    .await;
    assert_eq!(reject.status, 404);
    let stored = env
        .store
        .records
        .get_recipe(&team.scope, &recipe.record.id)
        .await?;
    assert_eq!(stored.revision.get(), 1);
    env.teardown().await
}

#[tokio::test]
async fn an_edit_is_validated_against_the_version_schema_under_if_match() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let team = env.team().await;
    let (recipe, execution) = env.recipe(&team, &team.member, true).await;
    let id = recipe.record.id.as_str();
    let edited_steps = json!([
        {"op": "trim_whitespace", "columns": ["city"], "rationale": "Names carry padding."},
        {"op": "impute", "columns": ["amount"], "strategy": "median",
         "rationale": "Keep the rows; fill the two gaps."}
    ]);
    let put = |steps: serde_json::Value| on_recipe("PUT", "", id).json(&json!({ "steps": steps }));

    let viewer = call(
        |r| update_recipe(&env.recipes, r),
        put(edited_steps.clone())
            .header("If-Match", "\"r1\"")
            .principal(&team.viewer),
    )
    .await;
    assert_eq!(viewer.status, 403);
    let unconditional = call(
        |r| update_recipe(&env.recipes, r),
        put(edited_steps.clone()).principal(&team.member),
    )
    .await;
    assert_eq!(unconditional.status, 428);
    assert_eq!(unconditional.body["code"], "precondition_required");
    let stale = call(
        |r| update_recipe(&env.recipes, r),
        put(edited_steps.clone())
            .header("If-Match", "\"7\"")
            .principal(&team.member),
    )
    .await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.body["code"], "precondition_failed");

    let invalid = call(
        |r| update_recipe(&env.recipes, r),
        put(json!([
            {"op": "drop_columns", "columns": ["price"], "rationale": "x"},
            {"op": "trim_whitespace", "columns": ["city"], "rationale": "y"},
            {"op": "log1p", "columns": ["city"], "rationale": "z"}
        ]))
        .header("If-Match", "\"r1\"")
        .principal(&team.member),
    )
    .await;
    assert_eq!(invalid.status, 400, "{}", invalid.body);
    assert_eq!(invalid.body["code"], "invalid_recipe");
    let detail = invalid.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("steps[0]: drop_columns, column 'price'"),
        "{detail}"
    );
    assert!(
        detail.contains("steps[2]: log1p, column 'city'"),
        "{detail}"
    );
    assert!(!detail.contains("steps[1]"), "{detail}");

    let malformed = call(
        |r| update_recipe(&env.recipes, r),
        on_recipe("PUT", "", id)
            .json(&json!({"steps": "all of them"}))
            .header("If-Match", "\"r1\"")
            .principal(&team.member),
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.body["code"], "invalid_body");

    let edited = call(
        |r| update_recipe(&env.recipes, r),
        put(edited_steps.clone())
            .header("If-Match", "\"r1\"")
            .principal(&team.member),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.header("etag"), Some("\"r2\""));
    assert_eq!(edited.body["recipe"]["steps"][1]["op"], "impute");
    // The unchanged first step keeps the planner's impact; the new one has none yet.
    assert_eq!(
        edited.body["recipe"]["steps"][0]["impact"]["cells_affected"],
        2
    );
    assert!(edited.body["recipe"]["steps"][1].get("impact").is_none());
    assert_eq!(edited.body["risk"]["drops_columns"], false);
    let edited_hash = edited.body["recipe_sha256"].as_str().unwrap().to_owned();
    assert_ne!(edited_hash, recipe.record.document_sha256);
    let stored = env
        .store
        .records
        .get_recipe(&team.scope, &recipe.record.id)
        .await?;
    assert_eq!(stored.record.document_sha256, edited_hash);
    assert_eq!(hash_of(&stored.record.document), edited_hash);

    // The approval of the edited recipe carries the edited recipe's hash to the pipeline.
    let approved = call(
        |r| approve_recipe(&env.recipes, r),
        on_recipe("POST", "approve", id).principal(&team.admin),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let (status, output, _, _) = env.ended(&execution.unwrap()).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(output["approval"]["recipe_sha256"], edited_hash.as_str());

    let too_late = call(
        |r| update_recipe(&env.recipes, r),
        put(edited_steps)
            .header("If-Match", "\"r3\"")
            .principal(&team.member),
    )
    .await;
    assert_eq!(too_late.status, 409);
    assert_eq!(too_late.body["code"], "recipe_not_editable");
    env.teardown().await
}

#[tokio::test]
async fn approval_answers_the_waiting_task_once_and_keeps_four_eyes() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let team = env.team().await;
    let (recipe, execution) = env.recipe(&team, &team.admin, true).await;
    let id = recipe.record.id.as_str();
    let approve = || on_recipe("POST", "approve", id);

    let member = call(
        |r| approve_recipe(&env.recipes, r),
        approve().principal(&team.member),
    )
    .await;
    assert_eq!(member.status, 403);
    assert_eq!(member.body["code"], "forbidden");
    let viewer = call(
        |r| approve_recipe(&env.recipes, r),
        approve().principal(&team.viewer),
    )
    .await;
    assert_eq!(viewer.status, 403);
    let requester = call(
        |r| approve_recipe(&env.recipes, r),
        approve().principal(&team.admin),
    )
    .await;
    assert_eq!(requester.status, 403, "{}", requester.body);
    assert_eq!(requester.body["code"], "self_approval");
    let hidden = call(
        |r| approve_recipe(&env.recipes, r),
        approve().principal(&stranger()),
    )
    .await;
    assert_eq!(hidden.status, 404);
    let stale = call(
        |r| approve_recipe(&env.recipes, r),
        approve().header("If-Match", "\"5\"").principal(&team.owner),
    )
    .await;
    assert_eq!(stale.status, 412);

    let approved = call(
        |r| approve_recipe(&env.recipes, r),
        approve()
            .header("If-Match", "\"r1\"")
            .principal(&team.owner),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["status"], "APPROVED");
    assert_eq!(approved.body["awaiting_decision"], false);
    assert_eq!(approved.body["decision"]["by"], team.owner.user().as_str());
    assert_eq!(approved.body["decision"]["approved"], true);

    let (status, output, _, _) = env.ended(&execution.unwrap()).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(
        output["approval"],
        json!({
            "decision": "APPROVED",
            "approved_by": team.owner.user().as_str(),
            "recipe_sha256": recipe.record.document_sha256,
        })
    );
    let stored = env
        .store
        .records
        .get_recipe(&team.scope, &recipe.record.id)
        .await?;
    assert_eq!(stored.record.status, RecipeStatus::Approved);

    let again = call(
        |r| approve_recipe(&env.recipes, r),
        approve().principal(&team.owner),
    )
    .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["code"], "recipe_not_awaiting_decision");
    env.teardown().await
}

#[tokio::test]
async fn rejection_fails_the_task_with_the_reason() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let team = env.team().await;
    let (recipe, execution) = env.recipe(&team, &team.member, true).await;
    let id = recipe.record.id.as_str();
    let reject = |body: serde_json::Value| on_recipe("POST", "reject", id).json(&body);

    let no_reason = call(
        |r| reject_recipe(&env.recipes, r),
        reject(json!({})).principal(&team.admin),
    )
    .await;
    assert_eq!(no_reason.status, 400);
    assert_eq!(no_reason.body["code"], "invalid_body");
    let blank = call(
        |r| reject_recipe(&env.recipes, r),
        reject(json!({"reason": "   "})).principal(&team.admin),
    )
    .await;
    assert_eq!(blank.status, 400);
    assert_eq!(blank.body["code"], "invalid_field");
    assert!(blank.body["detail"].as_str().unwrap().contains("reason"));
    let viewer = call(
        |r| reject_recipe(&env.recipes, r),
        reject(json!({"reason": "no"})).principal(&team.viewer),
    )
    .await;
    assert_eq!(viewer.status, 403);

    let reason = "Dropping notes loses the delivery instructions.";
    let rejected = call(
        |r| reject_recipe(&env.recipes, r),
        reject(json!({ "reason": reason })).principal(&team.admin),
    )
    .await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    assert_eq!(rejected.body["status"], "REJECTED");
    assert_eq!(rejected.body["decision"]["reason"], reason);

    let (status, _, error, cause) = env.ended(&execution.unwrap()).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert_eq!(error.as_deref(), Some(ida_core::pipeline::REJECTED));
    assert_eq!(cause.as_deref(), Some(reason));

    let after = call(
        |r| approve_recipe(&env.recipes, r),
        on_recipe("POST", "approve", id).principal(&team.owner),
    )
    .await;
    assert_eq!(after.status, 409);
    assert_eq!(after.body["code"], "recipe_not_awaiting_decision");
    env.teardown().await
}

#[tokio::test]
async fn a_recipe_the_pipeline_does_not_wait_on_cannot_be_decided() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let team = env.team().await;
    let (draft, _) = env.recipe(&team, &team.member, false).await;
    let answer = call(
        |r| approve_recipe(&env.recipes, r),
        on_recipe("POST", "approve", draft.record.id.as_str()).principal(&team.owner),
    )
    .await;
    assert_eq!(answer.status, 409);
    assert_eq!(answer.body["code"], "recipe_not_awaiting_decision");
    assert_eq!(
        answer.body["detail"],
        "the recipe is DRAFT: it has not been submitted for approval."
    );
    env.teardown().await
}
