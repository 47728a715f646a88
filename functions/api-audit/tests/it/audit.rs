//! The audit routes over a chain written by real store changes.

use api_audit::{Audit, AuditSettings, list_audit, verify_audit};
use aws_sdk_dynamodb::types::AttributeValue;
use ida_core::Role;
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::audit::AuditAction;
use ida_core::id::ProjectId;
use ida_core::id::{CorrelationId, DatasetId, JobId, RecipeId, UserId, VersionNo};
use ida_core::project::{Project, ProjectStatus};
use ida_core::recipe::{Recipe, RecipeStatus};
use ida_core::tenancy::{DisplayName, Plan, RecipeRisk, Tenant};
use ida_local::{LocalStack, ProvisionedStack};
use ida_runtime::http::GatewayRequest;
use ida_runtime::settings::Settings;
use ida_store::{DynamoStore, ProjectRepository, RecipeRepository, TenantRepository, WriteContext};
use serde_json::{Value, json};
use time::OffsetDateTime;

struct Env {
    stack: ProvisionedStack,
    records: DynamoStore,
    audit: Audit,
}

fn principal(tenant: &Tenant, role: Role) -> Principal {
    Principal::from_authorizer_context(AuthorizerContext {
        tenant: tenant.id.clone(),
        subject: Subject::User {
            user: UserId::generate(),
        },
        role,
        scopes: None,
    })
    .unwrap()
}

fn ctx(principal: &Principal) -> WriteContext {
    WriteContext::for_principal(
        principal,
        CorrelationId::generate(),
        OffsetDateTime::now_utc(),
    )
}

async fn start() -> anyhow::Result<Env> {
    let stack = LocalStack::from_env().await.provision().await?;
    let settings = AuditSettings::from_lookup(|var| stack.function_environment.get(var).cloned())?;
    let audit = Audit::on_aws(&stack.clients.dynamodb, &settings);
    let records = DynamoStore::new(
        stack.clients.dynamodb.clone(),
        settings.store.records_table.clone(),
        settings.store.cursor_key.clone(),
    );
    Ok(Env {
        stack,
        records,
        audit,
    })
}

/// A tenant with a project and a recipe waiting with a task token: four audited changes.
async fn tenant_with_history(env: &Env) -> (Tenant, Principal) {
    let tenant = Tenant::new(
        DisplayName::parse("Acme").unwrap(),
        Plan::Team,
        OffsetDateTime::now_utc(),
    );
    let owner = principal(&tenant, Role::Owner);
    let scope = owner.scope();
    env.records
        .create_tenant(&scope, tenant.clone(), &ctx(&owner))
        .await
        .unwrap();
    let project = Project {
        id: ProjectId::generate(),
        tenant: tenant.id.clone(),
        name: DisplayName::parse("Sales").unwrap(),
        status: ProjectStatus::Active,
        created_by: owner.user().clone(),
        created_at: OffsetDateTime::now_utc(),
    };
    env.records
        .create_project(&scope, project, &ctx(&owner))
        .await
        .unwrap();
    let recipe = Recipe {
        id: RecipeId::generate(),
        tenant: tenant.id.clone(),
        dataset: DatasetId::generate(),
        base_version: VersionNo::FIRST,
        job: JobId::generate(),
        document: json!({"recipe_version": 1, "steps": []}),
        document_sha256: "a".repeat(64),
        risk: RecipeRisk::default(),
        status: RecipeStatus::Draft,
        requested_by: owner.user().clone(),
        decision: None,
        task_token: None,
        created_at: OffsetDateTime::now_utc(),
    };
    let stored = env
        .records
        .create_recipe(&scope, recipe, &ctx(&owner))
        .await
        .unwrap();
    let mut waiting = stored.record.clone();
    waiting.status = RecipeStatus::PendingApproval;
    waiting.task_token = Some("AAAAKgAAAAIAAAAAAAAAAQ-secret-token".into());
    env.records
        .update_recipe(
            &scope,
            waiting,
            stored.revision,
            AuditAction::RecipeEdited,
            &ctx(&owner),
        )
        .await
        .unwrap();
    (tenant, owner)
}

async fn get(
    env: &Env,
    path: &str,
    query: &[(&str, &str)],
    who: &Principal,
) -> (u16, Value, String) {
    let mut request = GatewayRequest::to_route("GET", path).principal(who);
    for (name, value) in query {
        request = request.query(name, value);
    }
    let request = request.into_request().unwrap();
    let response = if path == "/audit" {
        list_audit(&env.audit, request).await.unwrap()
    } else {
        verify_audit(&env.audit, request).await.unwrap()
    };
    let text = String::from_utf8(response.body().to_vec()).unwrap();
    (
        response.status().as_u16(),
        serde_json::from_str(&text).unwrap(),
        text,
    )
}

#[tokio::test]
async fn events_are_listed_oldest_first_filtered_and_without_task_tokens() -> anyhow::Result<()> {
    let env = start().await?;
    let (tenant, owner) = tenant_with_history(&env).await;

    let (status, page, text) = get(&env, "/audit", &[("limit", "3")], &owner).await;
    assert_eq!(status, 200, "{page}");
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["tenant.created", "project.created", "recipe.planned"]
    );
    assert_eq!(page["items"][0]["seq"], 1);
    assert!(!text.contains("secret-token"));
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest, rest_text) = get(
        &env,
        "/audit",
        &[("limit", "3"), ("cursor", cursor)],
        &owner,
    )
    .await;
    assert_eq!(rest["items"][0]["action"], "recipe.edited");
    assert_eq!(
        rest["items"][0]["diff"]["after"]["status"],
        "PENDING_APPROVAL"
    );
    assert!(
        rest["items"][0]["diff"]["after"]
            .get("task_token")
            .is_none()
    );
    assert!(!rest_text.contains("secret-token"), "{rest_text}");

    let (_, recipes, _) = get(&env, "/audit", &[("entity", "recipe")], &owner).await;
    assert_eq!(recipes["items"].as_array().unwrap().len(), 2);
    let (_, edits, _) = get(&env, "/audit", &[("action", "recipe.edited")], &owner).await;
    assert_eq!(edits["items"].as_array().unwrap().len(), 1);
    let (_, mine, _) = get(&env, "/audit", &[("actor", owner.user().as_str())], &owner).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 4);
    let (_, future, _) = get(&env, "/audit", &[("from", "2999-01-01T00:00:00Z")], &owner).await;
    assert_eq!(future["items"], json!([]));
    let (status, bad, _) = get(&env, "/audit", &[("from", "last week")], &owner).await;
    assert_eq!(status, 400);
    assert_eq!(bad["code"], "invalid_parameter");
    assert!(bad["detail"].as_str().unwrap().contains("from"));

    // audit:read belongs to admins and owners only.
    for role in [Role::Member, Role::Viewer] {
        let (status, body, _) = get(&env, "/audit", &[], &principal(&tenant, role)).await;
        assert_eq!(status, 403, "{role}");
        assert_eq!(body["code"], "forbidden");
    }
    let (status, _, _) = get(&env, "/audit", &[], &principal(&tenant, Role::Admin)).await;
    assert_eq!(status, 200);

    // Another tenant reads only its own chain.
    let (_, stranger) = tenant_with_history(&env).await;
    let (_, theirs, _) = get(&env, "/audit", &[("limit", "100")], &stranger).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 4);
    assert!(
        theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["tenant"] == stranger.scope().tenant().as_str())
    );
    env.stack.teardown().await?;
    Ok(())
}

#[tokio::test]
async fn verify_reports_an_intact_chain_then_the_first_altered_event() -> anyhow::Result<()> {
    let env = start().await?;
    let (tenant, owner) = tenant_with_history(&env).await;
    let (status, verdict, _) = get(&env, "/audit/verify", &[], &owner).await;
    assert_eq!(status, 200);
    assert_eq!(verdict, json!({"valid": true, "checked": 4, "head_seq": 4}));

    let viewer = principal(&tenant, Role::Viewer);
    let (status, _, _) = get(&env, "/audit/verify", &[], &viewer).await;
    assert_eq!(status, 403);

    // Someone with table access rewrites what the project event says.
    let dynamodb = &env.stack.clients.dynamodb;
    let key = [
        (
            "pk".to_owned(),
            AttributeValue::S(format!("TENANT#{}", tenant.id)),
        ),
        (
            "sk".to_owned(),
            AttributeValue::S("AUDIT#000000000002".into()),
        ),
    ];
    let stored = dynamodb
        .get_item()
        .table_name(&env.stack.records_table)
        .set_key(Some(key.into_iter().collect()))
        .send()
        .await?
        .item
        .unwrap();
    let body = stored["body"]
        .as_s()
        .unwrap()
        .replace("\"Sales\"", "\"Payroll\"");
    let mut edited = stored.clone();
    edited.insert("body".into(), AttributeValue::S(body));
    dynamodb
        .put_item()
        .table_name(&env.stack.records_table)
        .set_item(Some(edited))
        .send()
        .await?;

    let (status, verdict, _) = get(&env, "/audit/verify", &[], &owner).await;
    assert_eq!(status, 200);
    assert_eq!(
        verdict,
        json!({"valid": false, "checked": 1, "first_bad_seq": 2, "break": "altered"})
    );
    env.stack.teardown().await?;
    Ok(())
}
