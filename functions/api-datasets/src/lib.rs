//! The dataset and version routes, each its own Lambda: list, read and delete datasets; list
//! and read versions (with short-lived presigned links to each file a version has); move the
//! active pointer to any existing version; roll back one step or to a chosen version.
//!
//! Deleting a dataset and rolling it back are destructive: when the tenant's policy asks for
//! four eyes they file an approval request and answer 202 with its id, otherwise they run at
//! once through `ida_store::destructive`. The tenant comes only from the authorizer's
//! principal; another tenant's id answers 404. Versions and their files are written by the
//! pipeline, never here; this crate only moves the active pointer and reads.

mod caller;
mod decision;
mod view;

/// What a dataset route reads at cold start: the store's resources.
pub type DatasetsSettings = ida_runtime::store_settings::StoreAccess;
pub use view::{
    ApprovalPending, ArtifactLink, DatasetView, RollbackRequest, VersionDetail, VersionView,
};

use decision::{Decision, request_or_perform};
use ida_core::approval::DestructiveAction;
use ida_core::dataset::{Dataset, DatasetStatus};
use ida_core::id::{DatasetId, ProjectId, VersionNo};
use ida_core::{CoreError, InvalidTransition, Permission, TenantScope, authorize};
use ida_runtime::RuntimeError;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{
    ETag, PageRequest, check_if_match, json_body, json_response, page_response, respond, with_etag,
};
use ida_runtime::settings::Settings;
use ida_store::destructive::Performed;
use ida_store::{
    ArtifactInventory, ArtifactKey, ArtifactStore, DatasetRepository, Store, StoreError, Stored,
    VersionFile,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// How long a presigned download link of a version's file works.
pub const DOWNLOAD_LINK_EXPIRY: Duration = Duration::from_secs(300);

/// The state of every dataset route, built once per cold start.
pub struct Datasets {
    store: Store,
}

impl Datasets {
    /// The routes' state over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn settings(lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), RuntimeError> {
    DatasetsSettings::from_lookup(lookup).map(drop)
}

const fn route(binary: &'static str, method: &'static str, path: &'static str) -> FunctionSpec {
    FunctionSpec {
        binary,
        trigger: Trigger::Route {
            method,
            path,
            access: Access::Authorized,
        },
        settings,
    }
}

/// `GET /datasets`: a page of datasets, optionally of one `project_id`.
pub static LIST_DATASETS: FunctionSpec = route("datasets-list", "GET", "/datasets");
/// `GET /datasets/{dataset_id}`: one dataset with its active and latest versions.
pub static GET_DATASET: FunctionSpec = route("datasets-get", "GET", "/datasets/{dataset_id}");
/// `DELETE /datasets/{dataset_id}`: deletes a dataset, or asks for approval (202).
pub static DELETE_DATASET: FunctionSpec =
    route("datasets-delete", "DELETE", "/datasets/{dataset_id}");
/// `POST /datasets/{dataset_id}/rollback`: moves the active version back, or asks for approval.
pub static ROLLBACK_DATASET: FunctionSpec = route(
    "datasets-rollback",
    "POST",
    "/datasets/{dataset_id}/rollback",
);
/// `GET /datasets/{dataset_id}/versions`: a page of a dataset's versions.
pub static LIST_VERSIONS: FunctionSpec =
    route("versions-list", "GET", "/datasets/{dataset_id}/versions");
/// `GET /datasets/{dataset_id}/versions/{version}`: one version with download links.
pub static GET_VERSION: FunctionSpec = route(
    "versions-get",
    "GET",
    "/datasets/{dataset_id}/versions/{version}",
);
/// `POST /datasets/{dataset_id}/versions/{version}/activate`: makes a version the active one.
pub static ACTIVATE_VERSION: FunctionSpec = route(
    "versions-activate",
    "POST",
    "/datasets/{dataset_id}/versions/{version}/activate",
);

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 7] = [
    &LIST_DATASETS,
    &GET_DATASET,
    &DELETE_DATASET,
    &ROLLBACK_DATASET,
    &LIST_VERSIONS,
    &GET_VERSION,
    &ACTIVATE_VERSION,
];

/// The routes of this crate bound to `state`, for the local host.
pub fn routes(state: Arc<Datasets>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(&LIST_DATASETS, Arc::clone(&state), |s, r| async move {
            list_datasets(&s, r).await
        }),
        HostedRoute::new(&GET_DATASET, Arc::clone(&state), |s, r| async move {
            get_dataset(&s, r).await
        }),
        HostedRoute::new(&DELETE_DATASET, Arc::clone(&state), |s, r| async move {
            delete_dataset(&s, r).await
        }),
        HostedRoute::new(&ROLLBACK_DATASET, Arc::clone(&state), |s, r| async move {
            rollback_dataset(&s, r).await
        }),
        HostedRoute::new(&LIST_VERSIONS, Arc::clone(&state), |s, r| async move {
            list_versions(&s, r).await
        }),
        HostedRoute::new(&GET_VERSION, Arc::clone(&state), |s, r| async move {
            get_version(&s, r).await
        }),
        HostedRoute::new(&ACTIVATE_VERSION, state, |s, r| async move {
            activate_version(&s, r).await
        }),
    ]
}

/// The `dataset_id` path parameter; one that does not parse names no dataset (404).
fn dataset_id(request: &Request) -> Result<DatasetId, RuntimeError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("dataset_id"))
        .and_then(|text| DatasetId::parse(text).ok())
        .ok_or(RuntimeError::NotFound { entity: "dataset" })
}

/// The `version` path parameter; one that does not parse names no version (404).
fn version_no(request: &Request) -> Result<VersionNo, RuntimeError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("version"))
        .and_then(|text| VersionNo::parse(text).ok())
        .ok_or(RuntimeError::NotFound { entity: "version" })
}

/// The store's page request for an API page request.
fn store_page(page: &PageRequest) -> ida_store::PageRequest {
    ida_store::PageRequest {
        limit: u32::from(page.limit()),
        cursor: page.cursor().map(str::to_owned),
    }
}

/// A dataset answer with its ETag.
fn dataset_response(
    request: &Request,
    stored: &Stored<Dataset>,
) -> Result<Response<Body>, RuntimeError> {
    let response = json_response(StatusCode::OK, &DatasetView::from(stored))?;
    Ok(with_etag(
        request.headers(),
        response,
        &ETag::from_revision(stored.revision.get()),
    ))
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = status;
    response
}

/// Refuses a change to a dataset that is being deleted or is deleted.
fn ensure_live(dataset: &Dataset, event: &'static str) -> Result<(), RuntimeError> {
    if dataset.status == DatasetStatus::Active {
        Ok(())
    } else {
        Err(CoreError::from(InvalidTransition::new(
            "dataset",
            dataset.status.as_str(),
            event,
        ))
        .into())
    }
}

/// Handles `GET /datasets`, optionally filtered by `project_id`. The filter applies to each
/// page the store returns, so a filtered page may hold fewer than `limit` items while
/// `next_cursor` still leads on.
pub async fn list_datasets(
    state: &Datasets,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::DatasetRead)?;
        let page = PageRequest::from_request(&request)?;
        let project = request
            .query_string_parameters_ref()
            .and_then(|query| query.first("project_id"))
            .map(|text| {
                ProjectId::parse(text).map_err(|_| RuntimeError::InvalidParameter {
                    parameter: "project_id",
                    reason: "a project id (prj_ followed by 32 hex digits)",
                })
            })
            .transpose()?;
        let listed = state
            .store
            .records
            .list_datasets(&principal.scope(), &store_page(&page))
            .await?;
        let items: Vec<DatasetView> = listed
            .items
            .iter()
            .filter(|stored| project.as_ref().is_none_or(|p| stored.record.project == *p))
            .map(DatasetView::from)
            .collect();
        page_response(&request, &page, &items, listed.next_cursor.as_deref())
    })
    .await
}

/// Handles `GET /datasets/{dataset_id}`.
pub async fn get_dataset(state: &Datasets, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::DatasetRead)?;
        let id = dataset_id(&request)?;
        let stored = state
            .store
            .records
            .get_dataset(&principal.scope(), &id)
            .await?;
        dataset_response(&request, &stored)
    })
    .await
}

/// Handles `DELETE /datasets/{dataset_id}` (optional query `reason`): 204 once deleted, or 202
/// with the approval request when the tenant requires four eyes.
pub async fn delete_dataset(
    state: &Datasets,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::DatasetDelete)?;
        let id = dataset_id(&request)?;
        let current = state
            .store
            .records
            .get_dataset(&principal.scope(), &id)
            .await?;
        ensure_live(&current.record, "delete")?;
        let reason = request
            .query_string_parameters_ref()
            .and_then(|query| query.first("reason").map(str::to_owned))
            .unwrap_or_else(|| format!("delete dataset {}", current.record.name.as_str()));
        let ctx = caller::write_context(&principal, &request, &invocation)?;
        let action = DestructiveAction::DeleteDataset { dataset: id };
        match request_or_perform(&state.store, &principal, action, &reason, &ctx).await? {
            Decision::AwaitsApproval(approval) => {
                json_response(StatusCode::ACCEPTED, &ApprovalPending::from(&approval))
            }
            Decision::Performed(_) => Ok(empty(StatusCode::NO_CONTENT)),
        }
    })
    .await
}

/// Handles `POST /datasets/{dataset_id}/rollback` with an optional body
/// `{to_version?, reason?}`: 200 with the dataset once rolled back, or 202 with the approval
/// request when the tenant requires four eyes.
pub async fn rollback_dataset(
    state: &Datasets,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::VersionRollback)?;
        let id = dataset_id(&request)?;
        let scope = principal.scope();
        let body: RollbackRequest = if request.body().is_empty() {
            RollbackRequest::default()
        } else {
            json_body(&request)?
        };
        let current = state.store.records.get_dataset(&scope, &id).await?;
        let target = rollback_target(&current.record, body.to_version)?;
        // Checked now so a request that cannot succeed never waits for an approver.
        current.record.clone().roll_back_to(target)?;
        state.store.records.get_version(&scope, &id, target).await?;
        let reason = body
            .reason
            .unwrap_or_else(|| format!("roll back to version {target}"));
        let ctx = caller::write_context(&principal, &request, &invocation)?;
        let action = DestructiveAction::Rollback {
            dataset: id,
            to: target,
        };
        match request_or_perform(&state.store, &principal, action, &reason, &ctx).await? {
            Decision::AwaitsApproval(approval) => {
                json_response(StatusCode::ACCEPTED, &ApprovalPending::from(&approval))
            }
            Decision::Performed(Performed::Dataset(dataset)) => {
                dataset_response(&request, &dataset)
            }
            Decision::Performed(_) => Err(RuntimeError::Dependency {
                dependency: "store",
                reason: "a rollback performed something other than a dataset change".into(),
            }),
        }
    })
    .await
}

/// The version a rollback moves to: `to_version`, or the one before the active version.
fn rollback_target(dataset: &Dataset, to_version: Option<u32>) -> Result<VersionNo, RuntimeError> {
    if let Some(number) = to_version {
        return VersionNo::new(number)
            .map_err(|_| CoreError::invalid("to_version", "must be 1 or more").into());
    }
    let active = dataset
        .active_version
        .ok_or_else(|| RuntimeError::Conflict {
            reason: "the dataset has no active version to roll back from".into(),
        })?;
    active
        .get()
        .checked_sub(1)
        .and_then(|previous| VersionNo::new(previous).ok())
        .ok_or_else(|| RuntimeError::Conflict {
            reason: format!("version {active} is the first; there is none before it"),
        })
}

/// Handles `GET /datasets/{dataset_id}/versions`.
pub async fn list_versions(
    state: &Datasets,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::DatasetRead)?;
        let id = dataset_id(&request)?;
        let scope = principal.scope();
        let page = PageRequest::from_request(&request)?;
        // The dataset first, so another tenant's id is a 404 rather than an empty page.
        state.store.records.get_dataset(&scope, &id).await?;
        let listed = state
            .store
            .records
            .list_versions(&scope, &id, &store_page(&page))
            .await?;
        let items: Vec<VersionView> = listed.items.iter().map(VersionView::from).collect();
        page_response(&request, &page, &items, listed.next_cursor.as_deref())
    })
    .await
}

/// Handles `GET /datasets/{dataset_id}/versions/{version}`: the version and a presigned GET
/// link, valid for [`DOWNLOAD_LINK_EXPIRY`], to each of its files that exists.
pub async fn get_version(state: &Datasets, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::DatasetRead)?;
        let id = dataset_id(&request)?;
        let number = version_no(&request)?;
        let scope = principal.scope();
        state.store.records.get_dataset(&scope, &id).await?;
        let version = state.store.records.get_version(&scope, &id, number).await?;
        let links = version_links(&state.store, &scope, &id, number).await?;
        let detail = VersionDetail {
            version: VersionView::from(&version),
            links,
        };
        let response = json_response(StatusCode::OK, &detail)?;
        Ok::<_, RuntimeError>(response)
    })
    .await
}

/// A presigned link to each file of the version that exists, keyed by the file's stem. The six
/// look-ups run concurrently: the route's latency is one HeadObject, not six.
async fn version_links(
    store: &Store,
    scope: &TenantScope,
    dataset: &DatasetId,
    version: VersionNo,
) -> Result<BTreeMap<&'static str, ArtifactLink>, StoreError> {
    let found = futures::future::try_join_all(
        VersionFile::ALL
            .into_iter()
            .map(|file| version_link(store, scope, dataset, version, file)),
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

/// The link to one file of the version, `None` when the file does not exist.
async fn version_link(
    store: &Store,
    scope: &TenantScope,
    dataset: &DatasetId,
    version: VersionNo,
    file: VersionFile,
) -> Result<Option<(&'static str, ArtifactLink)>, StoreError> {
    let key = ArtifactKey::version_file(scope, dataset, version, file);
    if !store.artifacts.artifact_exists(scope, &key).await? {
        return Ok(None);
    }
    let expires_at = time::OffsetDateTime::now_utc() + DOWNLOAD_LINK_EXPIRY;
    let presigned = store
        .artifacts
        .presign_download(scope, &key, DOWNLOAD_LINK_EXPIRY)
        .await?;
    let stem = file
        .file_name()
        .split_once('.')
        .map_or(file.file_name(), |(stem, _)| stem);
    Ok(Some((
        stem,
        ArtifactLink {
            url: presigned.url,
            expires_at,
        },
    )))
}

/// Handles `POST /datasets/{dataset_id}/versions/{version}/activate`: moves the active pointer
/// to any existing version with a conditional write (409 when another change won the race;
/// with `If-Match`, 412 when the dataset changed since the client read it).
pub async fn activate_version(
    state: &Datasets,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::DatasetWrite)?;
        let id = dataset_id(&request)?;
        let number = version_no(&request)?;
        let scope = principal.scope();
        let current = state.store.records.get_dataset(&scope, &id).await?;
        if request.headers().contains_key("if-match") {
            check_if_match(
                request.headers(),
                &ETag::from_revision(current.revision.get()),
            )?;
        }
        ensure_live(&current.record, "activate")?;
        state.store.records.get_version(&scope, &id, number).await?;
        if current.record.active_version == Some(number) {
            return dataset_response(&request, &current);
        }
        let mut dataset = current.record.clone();
        dataset.active_version = Some(number);
        let ctx = caller::write_context(&principal, &request, &invocation)?;
        let stored = state
            .store
            .records
            .update_dataset(
                &scope,
                dataset,
                current.revision,
                ida_core::audit::AuditAction::VersionActivated,
                &ctx,
            )
            .await
            .map_err(|error| match error {
                StoreError::Conflict { .. } => RuntimeError::Conflict {
                    reason:
                        "the dataset changed while the version was being activated; read it again"
                            .into(),
                },
                other => other.into(),
            })?;
        dataset_response(&request, &stored)
    })
    .await
}
