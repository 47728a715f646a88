//! The project routes: `GET /projects`, `POST /projects`, `GET /projects/{project_id}`,
//! `PATCH /projects/{project_id}` and `DELETE /projects/{project_id}`, each its own Lambda.
//!
//! A project groups a tenant's datasets. Deleting one archives it (it stays readable and keeps
//! its audit trail, but takes no new uploads) and is refused with 409 while it holds datasets
//! that are not deleted. The tenant comes only from the authorizer's principal; an id of another
//! tenant answers 404. Every write goes through the store, which audits it in the same
//! transaction; this crate never writes a record itself.

mod caller;
mod view;

/// What a project route reads at cold start: the store's resources.
pub type ProjectsSettings = ida_runtime::store_settings::StoreAccess;
pub use view::{ProjectCreate, ProjectUpdate, ProjectView};

use ida_core::id::ProjectId;
use ida_core::project::{Project, ProjectEvent, ProjectStatus};
use ida_core::tenancy::DisplayName;
use ida_core::{CoreError, Permission, StateMachine, authorize};
use ida_runtime::RuntimeError;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{
    ETag, PageRequest, check_if_match, json_body, json_response, page_response, respond, with_etag,
};
use ida_runtime::settings::Settings;
use ida_store::{DatasetRepository, ProjectRepository, Store, Stored};
use lambda_http::http::header::LOCATION;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use std::convert::Infallible;
use std::sync::Arc;
use time::OffsetDateTime;

/// The state of every project route, built once per cold start.
pub struct Projects {
    store: Store,
}

impl Projects {
    /// The routes' state over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn settings(lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), RuntimeError> {
    ProjectsSettings::from_lookup(lookup).map(drop)
}

/// `GET /projects`: a page of the tenant's projects.
pub static LIST_PROJECTS: FunctionSpec = FunctionSpec {
    binary: "projects-list",
    trigger: Trigger::Route {
        method: "GET",
        path: "/projects",
        access: Access::Authorized,
    },
    settings,
};

/// `POST /projects`: creates a project (honours `Idempotency-Key`).
pub static CREATE_PROJECT: FunctionSpec = FunctionSpec {
    binary: "projects-create",
    trigger: Trigger::Route {
        method: "POST",
        path: "/projects",
        access: Access::Authorized,
    },
    settings,
};

/// `GET /projects/{project_id}`: one project with its ETag.
pub static GET_PROJECT: FunctionSpec = FunctionSpec {
    binary: "projects-get",
    trigger: Trigger::Route {
        method: "GET",
        path: "/projects/{project_id}",
        access: Access::Authorized,
    },
    settings,
};

/// `PATCH /projects/{project_id}`: renames, archives or restores a project (`If-Match`).
pub static UPDATE_PROJECT: FunctionSpec = FunctionSpec {
    binary: "projects-update",
    trigger: Trigger::Route {
        method: "PATCH",
        path: "/projects/{project_id}",
        access: Access::Authorized,
    },
    settings,
};

/// `DELETE /projects/{project_id}`: archives a project that holds no live dataset.
pub static DELETE_PROJECT: FunctionSpec = FunctionSpec {
    binary: "projects-delete",
    trigger: Trigger::Route {
        method: "DELETE",
        path: "/projects/{project_id}",
        access: Access::Authorized,
    },
    settings,
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 5] = [
    &LIST_PROJECTS,
    &CREATE_PROJECT,
    &GET_PROJECT,
    &UPDATE_PROJECT,
    &DELETE_PROJECT,
];

/// The routes of this crate bound to `state`, for the local host.
pub fn routes(state: Arc<Projects>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(&LIST_PROJECTS, Arc::clone(&state), |s, r| async move {
            list_projects(&s, r).await
        }),
        HostedRoute::new(&CREATE_PROJECT, Arc::clone(&state), |s, r| async move {
            create_project(&s, r).await
        }),
        HostedRoute::new(&GET_PROJECT, Arc::clone(&state), |s, r| async move {
            get_project(&s, r).await
        }),
        HostedRoute::new(&UPDATE_PROJECT, Arc::clone(&state), |s, r| async move {
            update_project(&s, r).await
        }),
        HostedRoute::new(&DELETE_PROJECT, state, |s, r| async move {
            delete_project(&s, r).await
        }),
    ]
}

/// The `project_id` path parameter; one that does not parse names no project (404).
fn project_id(request: &Request) -> Result<ProjectId, RuntimeError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("project_id"))
        .and_then(|text| ProjectId::parse(text).ok())
        .ok_or(RuntimeError::NotFound { entity: "project" })
}

/// A project answer with its ETag (or 304 when `If-None-Match` names it).
fn project_response(
    request: &Request,
    status: StatusCode,
    stored: &Stored<Project>,
) -> Result<Response<Body>, RuntimeError> {
    let response = json_response(status, &ProjectView::from(stored))?;
    Ok(with_etag(
        request.headers(),
        response,
        &ETag::from_revision(stored.revision.get()),
    ))
}

/// Handles `GET /projects`.
pub async fn list_projects(
    state: &Projects,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::ProjectRead)?;
        let page = PageRequest::from_request(&request)?;
        let listed = state
            .store
            .records
            .list_projects(&principal.scope(), &store_page(&page))
            .await?;
        let items: Vec<ProjectView> = listed.items.iter().map(ProjectView::from).collect();
        page_response(&request, &page, &items, listed.next_cursor.as_deref())
    })
    .await
}

/// The store's page request for an API page request.
fn store_page(page: &PageRequest) -> ida_store::PageRequest {
    ida_store::PageRequest {
        limit: u32::from(page.limit()),
        cursor: page.cursor().map(str::to_owned),
    }
}

/// Handles `POST /projects`.
pub async fn create_project(
    state: &Projects,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::ProjectWrite)?;
        let body: ProjectCreate = json_body(&request)?;
        let name = DisplayName::parse_field(&body.name, "name")?;
        let ctx = caller::write_context(&principal, &request, &invocation)?;
        let project = Project {
            id: ProjectId::generate(),
            tenant: principal.tenant().clone(),
            name,
            status: ProjectStatus::Active,
            created_by: principal.user().clone(),
            created_at: OffsetDateTime::now_utc(),
        };
        let stored = state
            .store
            .records
            .create_project(&principal.scope(), project, &ctx)
            .await?;
        let mut response = project_response(&request, StatusCode::CREATED, &stored)?;
        if let Ok(location) = HeaderValue::from_str(&format!("/projects/{}", stored.record.id)) {
            response.headers_mut().insert(LOCATION, location);
        }
        Ok::<_, RuntimeError>(response)
    })
    .await
}

/// Handles `GET /projects/{project_id}`.
pub async fn get_project(state: &Projects, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::ProjectRead)?;
        let id = project_id(&request)?;
        let stored = state
            .store
            .records
            .get_project(&principal.scope(), &id)
            .await?;
        project_response(&request, StatusCode::OK, &stored)
    })
    .await
}

/// Handles `PATCH /projects/{project_id}`: `name` and/or `status` (`ACTIVE` or `ARCHIVED`),
/// with `If-Match` naming the ETag the client read.
pub async fn update_project(
    state: &Projects,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::ProjectWrite)?;
        let id = project_id(&request)?;
        let scope = principal.scope();
        let body: ProjectUpdate = json_body(&request)?;
        let current = state.store.records.get_project(&scope, &id).await?;
        check_if_match(
            request.headers(),
            &ETag::from_revision(current.revision.get()),
        )?;
        let mut project = current.record.clone();
        if let Some(name) = &body.name {
            project.name = DisplayName::parse_field(name, "name")?;
        }
        if let Some(status) = &body.status {
            let target = ProjectStatus::parse(status)
                .map_err(|_| CoreError::invalid("status", "must be ACTIVE or ARCHIVED"))?;
            project.status = match (project.status, target) {
                (from, to) if from == to => from,
                (from, ProjectStatus::Archived) => {
                    from.apply(ProjectEvent::Archive).map_err(CoreError::from)?
                }
                (from, ProjectStatus::Active) => {
                    from.apply(ProjectEvent::Restore).map_err(CoreError::from)?
                }
            };
        }
        let ctx = caller::write_context(&principal, &request, &invocation)?;
        let stored = state
            .store
            .records
            .update_project(&scope, project, current.revision, &ctx)
            .await
            .map_err(stale_as_precondition)?;
        project_response(&request, StatusCode::OK, &stored)
    })
    .await
}

/// A write that lost the race with another after `If-Match` passed is the same 412 a stale
/// `If-Match` gets: the client read an older revision.
fn stale_as_precondition(error: ida_store::StoreError) -> RuntimeError {
    match error {
        ida_store::StoreError::Conflict { .. } => RuntimeError::PreconditionFailed,
        other => other.into(),
    }
}

/// Handles `DELETE /projects/{project_id}`: archives the project (204), or 409 while it holds
/// datasets that are not deleted. Archiving an archived project is a no-op.
pub async fn delete_project(
    state: &Projects,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::ProjectWrite)?;
        let id = project_id(&request)?;
        let scope = principal.scope();
        let current = state.store.records.get_project(&scope, &id).await?;
        let live = live_datasets(state, &scope, &id).await?;
        if live > 0 {
            return Err(RuntimeError::Conflict {
                reason: format!(
                    "the project holds {live} dataset(s); delete them before the project"
                ),
            });
        }
        if current.record.status != ProjectStatus::Archived {
            let mut project = current.record.clone();
            project.status = project
                .status
                .apply(ProjectEvent::Archive)
                .map_err(CoreError::from)?;
            let ctx = caller::write_context(&principal, &request, &invocation)?;
            state
                .store
                .records
                .update_project(&scope, project, current.revision, &ctx)
                .await?;
        }
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok::<_, RuntimeError>(response)
    })
    .await
}

/// How many of the tenant's datasets in project `id` are not deleted.
async fn live_datasets(
    state: &Projects,
    scope: &ida_core::TenantScope,
    id: &ProjectId,
) -> Result<usize, RuntimeError> {
    let mut live = 0;
    let mut page = ida_store::PageRequest::first(ida_store::cursor::MAX_PAGE_SIZE);
    loop {
        let listed = state.store.records.list_datasets(scope, &page).await?;
        live += listed
            .items
            .iter()
            .filter(|dataset| {
                dataset.record.project == *id
                    && dataset.record.status != ida_core::dataset::DatasetStatus::Deleted
            })
            .count();
        match listed.next_cursor {
            Some(cursor) => page = ida_store::PageRequest::after(page.limit, cursor),
            None => return Ok(live),
        }
    }
}
