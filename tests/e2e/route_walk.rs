//! Walks every route of the OpenAPI document the host serves (`GET /openapi.json`), so a route
//! added later is covered without editing this file: tenant B gets 404 for each of tenant A's
//! resource ids on every route that takes one, and a VIEWER of A gets 403 on every write route.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, PASSWORD, Reply};
use crate::served::{HostOptions, Served};

/// Routes anyone may call: no tenant, nothing to hide or refuse.
const PUBLIC: [(&str, &str); 5] = [
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("GET", "/health"),
    ("GET", "/openapi.json"),
];

/// Writes a VIEWER may do on their own account: ending their session and changing their own
/// password. Every other write is refused.
const SELF_SERVICE: [(&str, &str); 2] = [
    ("POST", "/auth/logout"),
    ("POST", "/users/{user_id}/password"),
];

/// Tenant A with one of each resource, its viewer, and tenant B.
struct World {
    served: Served,
    owner_a: Api,
    viewer_a: Api,
    /// A's API key of role VIEWER, scoped to `dataset:read`.
    viewer_key_a: Api,
    owner_b: Api,
    /// Path parameter name -> A's id.
    ids: BTreeMap<&'static str, String>,
}

async fn world() -> anyhow::Result<World> {
    let served = Served::start(HostOptions::default()).await?;
    let owner_a = served.tenant("tenant-a").await?;
    owner_a.set_policy("ALWAYS", true).await?;
    let viewer_a = owner_a.invite("VIEWER").await?;
    let owner_b = served.tenant("tenant-b").await?;
    let project = owner_a.create_project("walk").await?;
    let ticket = owner_a
        .upload(
            &project,
            "people.csv",
            "text/csv",
            b"name,age\nada,36\ngrace,45\n",
        )
        .await?;
    let upload = ticket["upload_id"].as_str().unwrap_or_default().to_owned();
    let job = owner_a
        .wait_for_job(&upload, &["AWAITING_APPROVAL"], Duration::from_secs(90))
        .await?;
    let dataset = job["dataset_id"].as_str().unwrap_or_default().to_owned();
    // Under four-eyes a deletion waits for a second person: an approval request of A.
    let approval = owner_a
        .call(
            Method::DELETE,
            &format!("/datasets/{dataset}?reason=walk"),
            None,
        )
        .await?
        .expect_status(202)?
        .text("approval_id");
    let issued = owner_a
        .post(
            "/api-keys",
            json!({"name": "walk", "role": "VIEWER", "scopes": ["dataset:read"]}),
        )
        .await?
        .expect_status(201)?;
    let key = issued.text("id");
    let viewer_key_a = owner_a.with_api_key(&issued.text("secret"));
    let ids = BTreeMap::from([
        ("project_id", project),
        ("dataset_id", dataset),
        ("version", "1".to_owned()),
        ("upload_id", upload),
        ("job_id", job["id"].as_str().unwrap_or_default().to_owned()),
        (
            "recipe_id",
            job["recipe_id"].as_str().unwrap_or_default().to_owned(),
        ),
        ("approval_id", approval),
        ("user_id", viewer_a.user_id.clone()),
        ("key_id", key),
    ]);
    Ok(World {
        served,
        owner_a,
        viewer_a,
        viewer_key_a,
        owner_b,
        ids,
    })
}

/// One documented route.
struct Route {
    method: Method,
    template: String,
    operation: String,
}

impl Route {
    fn is(&self, list: &[(&str, &str)]) -> bool {
        list.iter()
            .any(|(method, path)| self.method.as_str() == *method && self.template == *path)
    }

    /// The route's path with every `{parameter}` replaced by A's id; `None` when it takes none.
    fn with_ids(&self, ids: &BTreeMap<&'static str, String>) -> anyhow::Result<Option<String>> {
        let mut path = self.template.clone();
        let mut any = false;
        while let Some(open) = path.find('{') {
            let close = path
                .get(open..)
                .and_then(|rest| rest.find('}'))
                .map(|offset| open + offset)
                .ok_or_else(|| anyhow::anyhow!("unclosed parameter in {}", self.template))?;
            let name = path.get(open + 1..close).unwrap_or_default();
            let id = ids
                .get(name)
                .ok_or_else(|| anyhow::anyhow!("no id of A for {{{name}}} in {}", self.template))?
                .clone();
            path.replace_range(open..=close, &id);
            any = true;
        }
        Ok(any.then_some(path))
    }

    /// A body the route accepts, so a refusal is about who calls, not what is sent.
    fn body(&self, ids: &BTreeMap<&'static str, String>) -> Option<Value> {
        let project = ids.get("project_id").cloned().unwrap_or_default();
        Some(match self.operation.as_str() {
            "projects-create" => json!({"name": "another"}),
            "projects-update" => json!({"name": "renamed"}),
            "datasets-rollback" => json!({"reason": "walk"}),
            "recipes-update" => json!({"steps": []}),
            "recipes-reject" | "approvals-reject" => json!({"reason": "walk"}),
            "users-invite" => json!({"email": "someone@example.com", "role": "VIEWER"}),
            "users-update" => json!({"role": "MEMBER"}),
            "users-password-change" => json!({
                "current_password": PASSWORD,
                "new_password": "a different long password",
            }),
            "api-keys-create" => {
                json!({"name": "more", "role": "VIEWER", "scopes": ["dataset:read"]})
            }
            "tenant-policy-put" => json!({
                "approval_mode": "NEVER",
                "four_eyes": false,
                "malware_scan_required": false,
            }),
            "uploads-create" => json!({
                "project_id": project,
                "filename": "more.csv",
                "content_type": "text/csv",
                "size_bytes": 10,
                "dataset_name": "more",
            }),
            _ => return None,
        })
    }
}

/// Every route of the served OpenAPI document.
async fn documented_routes(api: &Api) -> anyhow::Result<Vec<Route>> {
    let document = api.get("/openapi.json").await?.expect_status(200)?.body;
    let mut routes = Vec::new();
    for (template, operations) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                continue;
            }
            routes.push(Route {
                method,
                template: template.clone(),
                operation: operation["operationId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
    }
    anyhow::ensure!(routes.len() > 30, "only {} documented routes", routes.len());
    Ok(routes)
}

/// The answer is a problem document with `status` and `code`, and names its correlation id.
fn assert_problem(reply: &Reply, status: u16, code: &str, route: &Route, path: &str) {
    let call = format!("{} {path}", route.method);
    assert_eq!(
        reply.header("content-type"),
        "application/problem+json",
        "{call}"
    );
    assert_eq!(reply.body["status"], status, "{call}: {}", reply.body);
    assert_eq!(reply.body["code"], code, "{call}: {}", reply.body);
    assert!(!reply.header("x-correlation-id").is_empty(), "{call}");
}

/// Calls a route with A's ids as `caller`; writes carry an If-Match, as careful clients send.
async fn call(
    caller: &Api,
    route: &Route,
    path: &str,
    ids: &BTreeMap<&'static str, String>,
) -> anyhow::Result<Reply> {
    caller
        .call_with(
            route.method.clone(),
            path,
            route.body(ids),
            if route.method == Method::GET {
                &[]
            } else {
                &[("if-match", "\"1\"")]
            },
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_b_gets_404_for_every_id_of_tenant_a_on_every_route() -> anyhow::Result<()> {
    let world = world().await?;
    let routes = documented_routes(&world.owner_b).await?;
    let mut checked = 0;
    let mut leaks = Vec::new();
    // Reads first, then writes: a write of B that wrongly succeeded must not hide a read leak.
    let (reads, writes): (Vec<&Route>, Vec<&Route>) =
        routes.iter().partition(|route| route.method == Method::GET);
    for route in reads.into_iter().chain(writes) {
        if route.is(&PUBLIC) {
            continue;
        }
        let Some(path) = route.with_ids(&world.ids)? else {
            if route.method == Method::GET {
                // A list of B's names none of A's resources.
                let listed = world.owner_b.get(&route.template).await?;
                let text = listed.body.to_string();
                for (name, id) in &world.ids {
                    if *name != "version" && text.contains(id.as_str()) {
                        leaks.push(format!("GET {} lists A's {name}", route.template));
                    }
                }
            }
            continue;
        };
        let reply = call(&world.owner_b, route, &path, &world.ids).await?;
        if reply.status != 404 {
            leaks.push(format!(
                "{} {path}: {} {}",
                route.method, reply.status, reply.body
            ));
        } else {
            assert_problem(&reply, 404, "not_found", route, &path);
        }
        if route.method == Method::GET {
            // The id is real: its owner reads it.
            let own = world.owner_a.get(&path).await?;
            assert_eq!(own.status, 200, "A reading {path}: {}", own.body);
        }
        checked += 1;
    }
    assert!(
        leaks.is_empty(),
        "B reached A's resources:\n{}",
        leaks.join("\n")
    );
    assert!(checked >= 25, "only {checked} routes take an id");
    world.served.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_and_a_viewer_api_key_get_403_on_every_write_route() -> anyhow::Result<()> {
    let world = world().await?;
    let routes = documented_routes(&world.viewer_a).await?;
    let mut checked = 0;
    let mut allowed = Vec::new();
    for route in &routes {
        if route.method == Method::GET || route.is(&PUBLIC) || route.is(&SELF_SERVICE) {
            continue;
        }
        let path = route
            .with_ids(&world.ids)?
            .unwrap_or_else(|| route.template.clone());
        for (who, caller) in [("user", &world.viewer_a), ("API key", &world.viewer_key_a)] {
            let reply = call(caller, route, &path, &world.ids).await?;
            if reply.status != 403 {
                allowed.push(format!(
                    "{who}: {} {path}: {} {}",
                    route.method, reply.status, reply.body
                ));
            } else {
                assert_problem(&reply, 403, "forbidden", route, &path);
            }
        }
        checked += 1;
    }
    assert!(
        allowed.is_empty(),
        "a VIEWER was not refused:\n{}",
        allowed.join("\n")
    );
    assert!(checked >= 20, "only {checked} write routes");
    // The key does read what its scope allows.
    world
        .viewer_key_a
        .get(&format!("/datasets/{}", world.ids["dataset_id"]))
        .await?
        .expect_status(200)?;
    // Nothing changed: A's dataset is still there with its version 1.
    let dataset = world
        .owner_a
        .get(&format!("/datasets/{}", world.ids["dataset_id"]))
        .await?
        .expect_status(200)?;
    assert_eq!(dataset.body["latest_version"], 1);
    world.served.finish().await
}
