//! The dataset and version routes on a provisioned stack with seeded versions and files.

use crate::emulators::{Answer, TestEnv, answer, as_principal};
use api_datasets::{
    Datasets, activate_version, delete_dataset, get_dataset, get_version, list_datasets,
    list_versions, rollback_dataset,
};
use ida_core::{Principal, Role};
use ida_runtime::http::GatewayRequest;
use ida_store::{ApprovalRepository, ArtifactInventory, ArtifactKey, VersionFile};
use lambda_http::http::StatusCode;
use serde_json::json;

/// Which route a request goes to.
#[derive(Clone, Copy, Debug)]
enum Route {
    List,
    Get,
    Delete,
    Rollback,
    Versions,
    Version,
    Activate,
}

fn request(route: Route, dataset: &str, version: u32) -> GatewayRequest {
    let with_id = |method: &str, resource: &str, path: String| {
        GatewayRequest::new(method, resource, &path).path_parameter("dataset_id", dataset)
    };
    match route {
        Route::List => GatewayRequest::to_route("GET", "/datasets"),
        Route::Get => with_id(
            "GET",
            "/datasets/{dataset_id}",
            format!("/datasets/{dataset}"),
        ),
        Route::Delete => with_id(
            "DELETE",
            "/datasets/{dataset_id}",
            format!("/datasets/{dataset}"),
        ),
        Route::Rollback => with_id(
            "POST",
            "/datasets/{dataset_id}/rollback",
            format!("/datasets/{dataset}/rollback"),
        ),
        Route::Versions => with_id(
            "GET",
            "/datasets/{dataset_id}/versions",
            format!("/datasets/{dataset}/versions"),
        ),
        Route::Version => with_id(
            "GET",
            "/datasets/{dataset_id}/versions/{version}",
            format!("/datasets/{dataset}/versions/{version}"),
        )
        .path_parameter("version", &version.to_string()),
        Route::Activate => with_id(
            "POST",
            "/datasets/{dataset_id}/versions/{version}/activate",
            format!("/datasets/{dataset}/versions/{version}/activate"),
        )
        .path_parameter("version", &version.to_string()),
    }
}

async fn call(state: &Datasets, route: Route, request: GatewayRequest, who: &Principal) -> Answer {
    let request = as_principal(request, who);
    let response = match route {
        Route::List => list_datasets(state, request).await,
        Route::Get => get_dataset(state, request).await,
        Route::Delete => delete_dataset(state, request).await,
        Route::Rollback => rollback_dataset(state, request).await,
        Route::Versions => list_versions(state, request).await,
        Route::Version => get_version(state, request).await,
        Route::Activate => activate_version(state, request).await,
    };
    answer(response.unwrap())
}

#[tokio::test]
async fn a_version_links_to_each_file_it_has_and_the_links_download_them() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let seeded = env.seed(&acme, "cars").await?;
    let id = seeded.dataset.to_string();
    let viewer = acme.member(Role::Viewer);

    let dataset = call(&env.state, Route::Get, request(Route::Get, &id, 0), &viewer).await;
    assert_eq!(dataset.status, StatusCode::OK, "{}", dataset.body);
    assert_eq!(dataset.body["name"], "cars");
    assert_eq!(dataset.body["status"], "ACTIVE");
    assert_eq!(dataset.body["active_version"], 2);
    assert_eq!(dataset.body["latest_version"], 2);
    assert_eq!(dataset.body["project_id"], seeded.project.to_string());
    assert!(dataset.header("etag").is_some());

    let first = call(
        &env.state,
        Route::Version,
        request(Route::Version, &id, 1),
        &viewer,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["version"], 1);
    assert_eq!(first.body["row_count"], 10);
    assert_eq!(first.body["byte_size"], seeded.data[0].len());
    let links = first.body["links"].as_object().unwrap();
    let names: Vec<&str> = links.keys().map(String::as_str).collect();
    assert_eq!(names, ["data", "profile", "schema"]);
    let downloaded = reqwest::get(links["data"]["url"].as_str().unwrap())
        .await?
        .bytes()
        .await?;
    assert_eq!(downloaded.as_ref(), seeded.data[0].as_slice());

    let second = call(
        &env.state,
        Route::Version,
        request(Route::Version, &id, 2),
        &viewer,
    )
    .await;
    let names: Vec<&str> = second.body["links"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["data", "diff", "recipe"]);
    let missing = call(
        &env.state,
        Route::Version,
        request(Route::Version, &id, 3),
        &viewer,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let page = call(
        &env.state,
        Route::Versions,
        request(Route::Versions, &id, 0).query("limit", "1"),
        &viewer,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body["items"][0]["version"], 1);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = call(
        &env.state,
        Route::Versions,
        request(Route::Versions, &id, 0)
            .query("limit", "1")
            .query("cursor", cursor),
        &viewer,
    )
    .await;
    assert_eq!(next.body["items"][0]["version"], 2);
    assert_eq!(next.body["items"].as_array().unwrap().len(), 1);
    env.teardown().await
}

#[tokio::test]
async fn without_four_eyes_rollback_activate_and_delete_run_at_once() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    env.four_eyes(&acme, false).await?;
    let seeded = env.seed(&acme, "orders").await?;
    let id = seeded.dataset.to_string();
    let admin = acme.member(Role::Admin);

    let rolled = call(
        &env.state,
        Route::Rollback,
        request(Route::Rollback, &id, 0),
        &admin,
    )
    .await;
    assert_eq!(rolled.status, StatusCode::OK, "{}", rolled.body);
    assert_eq!(rolled.body["active_version"], 1);
    let nothing_before = call(
        &env.state,
        Route::Rollback,
        request(Route::Rollback, &id, 0),
        &admin,
    )
    .await;
    assert_eq!(nothing_before.status, StatusCode::CONFLICT);

    let member = acme.member(Role::Member);
    let activated = call(
        &env.state,
        Route::Activate,
        request(Route::Activate, &id, 2),
        &member,
    )
    .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.body);
    assert_eq!(activated.body["active_version"], 2);
    let etag = activated.header("etag").unwrap().to_owned();
    let stale = call(
        &env.state,
        Route::Activate,
        request(Route::Activate, &id, 1).header("If-Match", "\"r1\""),
        &member,
    )
    .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let chosen = call(
        &env.state,
        Route::Rollback,
        request(Route::Rollback, &id, 0).json(&json!({"to_version": 1, "reason": "bad cleaning"})),
        &admin,
    )
    .await;
    assert_eq!(chosen.status, StatusCode::OK, "{}", chosen.body);
    assert_eq!(chosen.body["active_version"], 1);
    assert_ne!(chosen.header("etag").unwrap(), etag);
    let absent = call(
        &env.state,
        Route::Activate,
        request(Route::Activate, &id, 9),
        &member,
    )
    .await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);

    let deleted = call(
        &env.state,
        Route::Delete,
        request(Route::Delete, &id, 0),
        &admin,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let gone = call(&env.state, Route::Get, request(Route::Get, &id, 0), &admin).await;
    assert_eq!(gone.body["status"], "DELETED");
    let scope = acme.owner.scope();
    for version in [1, 2] {
        let key = ArtifactKey::version_file(
            &scope,
            &seeded.dataset,
            ida_core::id::VersionNo::new(version)?,
            VersionFile::Data,
        );
        assert!(!env.store.artifacts.artifact_exists(&scope, &key).await?);
    }
    let again = call(
        &env.state,
        Route::Delete,
        request(Route::Delete, &id, 0),
        &admin,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["code"], "invalid_transition");
    env.teardown().await
}

#[tokio::test]
async fn with_four_eyes_delete_and_rollback_wait_for_approval() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let seeded = env.seed(&acme, "invoices").await?;
    let id = seeded.dataset.to_string();
    let admin = acme.member(Role::Admin);

    let delete = call(
        &env.state,
        Route::Delete,
        request(Route::Delete, &id, 0).query("reason", "duplicate of orders"),
        &admin,
    )
    .await;
    assert_eq!(delete.status, StatusCode::ACCEPTED, "{}", delete.body);
    assert_eq!(delete.body["status"], "PENDING");
    let approval_id =
        ida_core::id::ApprovalId::parse(delete.body["approval_id"].as_str().unwrap())?;
    let approval = env
        .store
        .records
        .get_approval(&admin.scope(), &approval_id)
        .await?
        .record;
    assert_eq!(approval.reason, "duplicate of orders");
    assert_eq!(approval.requested_by, *admin.user());

    let rollback = call(
        &env.state,
        Route::Rollback,
        request(Route::Rollback, &id, 0),
        &admin,
    )
    .await;
    assert_eq!(rollback.status, StatusCode::ACCEPTED, "{}", rollback.body);
    let still = call(&env.state, Route::Get, request(Route::Get, &id, 0), &admin).await;
    assert_eq!(still.body["status"], "ACTIVE");
    assert_eq!(still.body["active_version"], 2);
    env.teardown().await
}

#[tokio::test]
async fn viewers_cannot_write_and_other_tenants_see_nothing() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let acme = env.tenant().await?;
    let globex = env.tenant().await?;
    env.four_eyes(&acme, false).await?;
    let seeded = env.seed(&acme, "cars").await?;
    let other = env.seed(&globex, "trucks").await?;
    let id = seeded.dataset.to_string();

    let viewer = acme.member(Role::Viewer);
    for route in [Route::Delete, Route::Rollback, Route::Activate] {
        let refused = call(&env.state, route, request(route, &id, 1), &viewer).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{route:?}");
        assert_eq!(refused.body["code"], "forbidden");
    }
    let intruder = &globex.owner;
    for route in [
        Route::Get,
        Route::Delete,
        Route::Rollback,
        Route::Versions,
        Route::Version,
        Route::Activate,
    ] {
        let refused = call(&env.state, route, request(route, &id, 1), intruder).await;
        assert_eq!(
            refused.status,
            StatusCode::NOT_FOUND,
            "{route:?}: {}",
            refused.body
        );
        assert_eq!(refused.body["code"], "not_found");
    }
    let listed = call(
        &env.state,
        Route::List,
        request(Route::List, "", 0),
        intruder,
    )
    .await;
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [other.dataset.to_string()]);

    let filtered = call(
        &env.state,
        Route::List,
        request(Route::List, "", 0).query("project_id", seeded.project.as_str()),
        &viewer,
    )
    .await;
    assert_eq!(filtered.body["items"].as_array().unwrap().len(), 1);
    let elsewhere = call(
        &env.state,
        Route::List,
        request(Route::List, "", 0).query("project_id", other.project.as_str()),
        &viewer,
    )
    .await;
    assert_eq!(elsewhere.body["items"].as_array().unwrap().len(), 0);
    let malformed = call(
        &env.state,
        Route::List,
        request(Route::List, "", 0).query("project_id", "sales"),
        &viewer,
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["code"], "invalid_parameter");
    env.teardown().await
}
