//! The project routes on a provisioned stack: create, read, list, update, archive, and what a
//! viewer, another tenant and a retried or stale request get.

use crate::emulators::{TestEnv, answer, as_principal};
use api_projects::{create_project, delete_project, get_project, list_projects, update_project};
use ida_core::Principal;
use ida_core::Role;
use ida_runtime::http::GatewayRequest;
use lambda_http::http::StatusCode;
use serde_json::json;

fn create(name: &str) -> GatewayRequest {
    GatewayRequest::to_route("POST", "/projects").json(&json!({ "name": name }))
}

fn one(method: &str, id: &str) -> GatewayRequest {
    GatewayRequest::new(method, "/projects/{project_id}", &format!("/projects/{id}"))
        .path_parameter("project_id", id)
}

async fn create_as(env: &TestEnv, who: &Principal, name: &str) -> crate::emulators::Answer {
    answer(
        create_project(&env.state, as_principal(create(name), who))
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn a_project_is_created_read_renamed_and_archived() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let member = acme.member(Role::Member);

    let created = create_as(&env, &member, "Sales 2026").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("prj_"));
    assert_eq!(created.body["name"], "Sales 2026");
    assert_eq!(created.body["status"], "ACTIVE");
    assert_eq!(created.body["created_by"], member.user().to_string());
    assert_eq!(created.header("etag"), Some("\"r1\""));
    assert_eq!(
        created.header("location"),
        Some(format!("/projects/{id}").as_str())
    );
    assert!(created.header("x-correlation-id").is_some());

    let read = answer(get_project(&env.state, as_principal(one("GET", &id), &member)).await?);
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["name"], "Sales 2026");
    assert_eq!(read.header("etag"), Some("\"r1\""));

    let renamed = answer(
        update_project(
            &env.state,
            as_principal(
                one("PATCH", &id)
                    .header("If-Match", "\"r1\"")
                    .json(&json!({"name": "Sales FY26"})),
                &member,
            ),
        )
        .await?,
    );
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Sales FY26");
    assert_eq!(renamed.header("etag"), Some("\"r2\""));

    // The ETag read before the rename is stale now.
    let stale = answer(
        update_project(
            &env.state,
            as_principal(
                one("PATCH", &id)
                    .header("If-Match", "\"r1\"")
                    .json(&json!({"name": "Lost update"})),
                &member,
            ),
        )
        .await?,
    );
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.body["code"], "precondition_failed");
    let unconditional = answer(
        update_project(
            &env.state,
            as_principal(one("PATCH", &id).json(&json!({"name": "x"})), &member),
        )
        .await?,
    );
    assert_eq!(unconditional.status, StatusCode::PRECONDITION_REQUIRED);

    let deleted =
        answer(delete_project(&env.state, as_principal(one("DELETE", &id), &member)).await?);
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let archived = answer(get_project(&env.state, as_principal(one("GET", &id), &member)).await?);
    assert_eq!(archived.body["status"], "ARCHIVED");
    assert_eq!(archived.body["name"], "Sales FY26");
    env.teardown().await
}

#[tokio::test]
async fn validation_roles_tenants_and_idempotency() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let globex = env.tenant().await?;
    let owner = &acme.owner;

    let blank = create_as(&env, owner, "   ").await;
    assert_eq!(
        blank.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        blank.body
    );
    assert_eq!(blank.body["code"], "invalid_field");
    assert!(blank.body["detail"].as_str().unwrap().contains("name"));
    let unknown = answer(
        create_project(
            &env.state,
            as_principal(
                GatewayRequest::to_route("POST", "/projects")
                    .json(&json!({"name": "a", "colour": "red"})),
                owner,
            ),
        )
        .await?,
    );
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["code"], "invalid_body");

    let viewer = acme.member(Role::Viewer);
    let refused = create_as(&env, &viewer, "Nope").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["code"], "forbidden");

    let first = answer(
        create_project(
            &env.state,
            as_principal(
                create("Retried").header("Idempotency-Key", "create-retried-1"),
                owner,
            ),
        )
        .await?,
    );
    let again = answer(
        create_project(
            &env.state,
            as_principal(
                create("Retried").header("Idempotency-Key", "create-retried-1"),
                owner,
            ),
        )
        .await?,
    );
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"]);
    let reused = answer(
        create_project(
            &env.state,
            as_principal(
                create("Other").header("Idempotency-Key", "create-retried-1"),
                owner,
            ),
        )
        .await?,
    );
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.body["code"], "idempotency_key_reused");

    let id = first.body["id"].as_str().unwrap().to_owned();
    let intruder = &globex.owner;
    for request in [
        one("GET", &id),
        one("PATCH", &id)
            .header("If-Match", "\"r1\"")
            .json(&json!({"name": "mine"})),
        one("DELETE", &id),
    ] {
        let method = request.to_event()["httpMethod"]
            .as_str()
            .unwrap()
            .to_owned();
        let request = as_principal(request, intruder);
        let response = match method.as_str() {
            "GET" => get_project(&env.state, request).await?,
            "PATCH" => update_project(&env.state, request).await?,
            _ => delete_project(&env.state, request).await?,
        };
        let response = answer(response);
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(response.body["code"], "not_found");
    }
    let viewer_delete =
        answer(delete_project(&env.state, as_principal(one("DELETE", &id), &viewer)).await?);
    assert_eq!(viewer_delete.status, StatusCode::FORBIDDEN);
    env.teardown().await
}

#[tokio::test]
async fn projects_are_listed_in_pages_with_a_next_link() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let globex = env.tenant().await?;
    for name in ["One", "Two", "Three"] {
        assert_eq!(
            create_as(&env, &acme.owner, name).await.status,
            StatusCode::CREATED
        );
    }
    create_as(&env, &globex.owner, "Hidden").await;

    let first = answer(
        list_projects(
            &env.state,
            as_principal(
                GatewayRequest::to_route("GET", "/projects").query("limit", "2"),
                &acme.member(Role::Viewer),
            ),
        )
        .await?,
    );
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let names: Vec<&str> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["One", "Two"]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    assert!(first.header("link").unwrap().contains("rel=\"next\""));
    let second = answer(
        list_projects(
            &env.state,
            as_principal(
                GatewayRequest::to_route("GET", "/projects")
                    .query("limit", "2")
                    .query("cursor", &cursor),
                &acme.owner,
            ),
        )
        .await?,
    );
    let names: Vec<&str> = second.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Three"]);
    assert!(second.body["next_cursor"].is_null());
    let bad = answer(
        list_projects(
            &env.state,
            as_principal(
                GatewayRequest::to_route("GET", "/projects").query("limit", "0"),
                &acme.owner,
            ),
        )
        .await?,
    );
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["code"], "invalid_parameter");
    env.teardown().await
}
