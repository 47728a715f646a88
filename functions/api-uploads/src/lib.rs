//! The upload routes, each its own Lambda: `POST /uploads` hands out a presigned PUT URL for one
//! file (after the role, the project, the dataset, the file's extension and declared MIME type,
//! its size and the tenant's quota are checked), and `GET /uploads/{upload_id}` reports the
//! upload's status as the pipeline moves it.
//!
//! The bytes never pass through the API: the client PUTs them to S3 with the URL and the
//! headers returned (the exact length, content type and SSE-KMS key are signed), and the
//! upload-events function takes over when the object lands. The tenant comes only from the
//! authorizer's principal; this crate never reads or writes the file itself.

mod caller;
pub mod filename;
mod view;

/// What a upload route reads at cold start: the store's resources.
pub type UploadsSettings = ida_runtime::store_settings::StoreAccess;
pub use view::{UploadCreate, UploadFailureView, UploadJobView, UploadTicket, UploadView};

use ida_core::dataset::{Dataset, DatasetStatus};
use ida_core::id::{DatasetId, JobId, ProjectId, UploadId};
use ida_core::project::ProjectStatus;
use ida_core::quota::Quota;
use ida_core::tenancy::DisplayName;
use ida_core::upload::{FileFormat, ScanStatus, Upload, UploadStatus};
use ida_core::{CoreError, Permission, Principal, authorize};
use ida_runtime::RuntimeError;
use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{json_body, json_response, respond};
use ida_runtime::settings::Settings;
use ida_store::{
    ArtifactKey, ArtifactStore, DatasetRepository, IdempotencyKey, JobRepository,
    ProjectRepository, Store, StoreError, Stored, TenantRepository, UploadRepository, WriteContext,
};
use lambda_http::http::HeaderValue;
use lambda_http::http::StatusCode;
use lambda_http::http::header::LOCATION;
use lambda_http::{Body, Request, RequestExt, Response};
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// How long a presigned upload URL works.
pub const UPLOAD_URL_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// The largest file one presigned PUT can carry (S3's single-request limit).
pub const MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// The state of the upload routes, built once per cold start.
pub struct Uploads {
    store: Store,
}

impl Uploads {
    /// The routes' state over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn settings(lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), RuntimeError> {
    UploadsSettings::from_lookup(lookup).map(drop)
}

/// `POST /uploads`: a presigned PUT URL for one file (honours `Idempotency-Key`).
pub static CREATE_UPLOAD: FunctionSpec = FunctionSpec {
    binary: "uploads-create",
    trigger: Trigger::Route {
        method: "POST",
        path: "/uploads",
        access: Access::Authorized,
    },
    settings,
};

/// `GET /uploads/{upload_id}`: the upload's status.
pub static GET_UPLOAD: FunctionSpec = FunctionSpec {
    binary: "uploads-get",
    trigger: Trigger::Route {
        method: "GET",
        path: "/uploads/{upload_id}",
        access: Access::Authorized,
    },
    settings,
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 2] = [&CREATE_UPLOAD, &GET_UPLOAD];

/// The routes of this crate bound to `state`, for the local host.
pub fn routes(state: Arc<Uploads>) -> Vec<HostedRoute> {
    vec![
        HostedRoute::new(&CREATE_UPLOAD, Arc::clone(&state), |s, r| async move {
            create_upload(&s, r).await
        }),
        HostedRoute::new(
            &GET_UPLOAD,
            state,
            |s, r| async move { get_upload(&s, r).await },
        ),
    ]
}

/// Handles `POST /uploads`.
pub async fn create_upload(
    state: &Uploads,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    respond(request, |request, invocation| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::UploadCreate)?;
        let body: UploadCreate = json_body(&request)?;
        let checked = check(&body)?;
        let ctx = caller::write_context(&principal, &request, &invocation)?;
        let scope = principal.scope();
        let project = state
            .store
            .records
            .get_project(&scope, &checked.project)
            .await?;
        if project.record.status != ProjectStatus::Active {
            return Err(RuntimeError::Conflict {
                reason: "the project is archived and takes no uploads".into(),
            });
        }
        // Checked before a new dataset is made, so a refused upload leaves no empty dataset
        // behind; the store's reservation below stays the authority under concurrent uploads.
        let quota = state.store.records.get_quota(&scope).await?;
        quota.limits.check(
            Quota::UploadBytes,
            quota.used(Quota::UploadBytes),
            body.size_bytes,
        )?;
        let dataset = match &checked.target {
            Target::New(name) => new_dataset(state, &principal, &checked, name, &ctx).await?,
            Target::Existing(id) => existing_dataset(state, &principal, &checked, id).await?,
        };
        let now = ctx.at;
        let upload = Upload {
            id: UploadId::generate(),
            tenant: principal.tenant().clone(),
            project: checked.project.clone(),
            dataset: Some(dataset.record.id.clone()),
            file_name: checked.file_name.clone(),
            format: checked.format,
            declared_content_type: body.content_type.clone(),
            declared_bytes: body.size_bytes,
            status: UploadStatus::AwaitingBytes,
            scan: ScanStatus::NotScanned,
            created_by: principal.user().clone(),
            created_at: now,
            expires_at: now + UPLOAD_URL_EXPIRY,
        };
        // A replay returns the first request's upload: its id, key and expiry are reused.
        let upload = state
            .store
            .records
            .create_upload(&scope, upload, &ctx)
            .await?;
        let key = ArtifactKey::upload(&scope, &upload.record.id, &upload.record.file_name);
        let remaining = (upload.record.expires_at - OffsetDateTime::now_utc())
            .try_into()
            .unwrap_or(Duration::ZERO);
        if remaining.is_zero() {
            return Err(RuntimeError::Conflict {
                reason: "the upload URL of this Idempotency-Key has expired: use a new key".into(),
            });
        }
        let presigned = state
            .store
            .artifacts
            .presign_upload(
                &scope,
                &key,
                upload.record.declared_bytes,
                &upload.record.declared_content_type,
                remaining,
            )
            .await?;
        let ticket = UploadTicket {
            upload_id: upload.record.id.to_string(),
            dataset_id: dataset.record.id.to_string(),
            project_id: upload.record.project.to_string(),
            status: upload.record.status.as_str().to_owned(),
            filename: upload.record.file_name.as_str().to_owned(),
            upload_url: presigned.url,
            upload_method: presigned.method,
            upload_headers: presigned.headers.into_iter().collect(),
            expires_at: upload.record.expires_at,
        };
        let mut response = json_response(StatusCode::CREATED, &ticket)?;
        if let Ok(location) = HeaderValue::from_str(&format!("/uploads/{}", upload.record.id)) {
            response.headers_mut().insert(LOCATION, location);
        }
        Ok::<_, RuntimeError>(response)
    })
    .await
}

/// Where the file goes.
enum Target {
    /// Version 1 of a new dataset with this name.
    New(DisplayName),
    /// The next version of this dataset.
    Existing(DatasetId),
}

/// A create request whose fields all passed their checks.
struct Checked {
    project: ProjectId,
    file_name: ida_core::upload::FileName,
    format: FileFormat,
    target: Target,
}

/// Checks every field of the body, naming the first one at fault.
fn check(body: &UploadCreate) -> Result<Checked, CoreError> {
    let project = ProjectId::parse(&body.project_id)
        .map_err(|_| CoreError::invalid("project_id", "must be a project id (prj_...)"))?;
    let file_name = filename::sanitise(&body.filename)?;
    let format = FileFormat::from_file_name(&file_name).map_err(|_| {
        CoreError::invalid(
            "filename",
            "extension must be .csv, .xlsx, .json, .jsonl, .ndjson or .parquet",
        )
    })?;
    format.check_mime(&body.content_type)?;
    if body.size_bytes == 0 {
        return Err(CoreError::invalid("size_bytes", "must be more than 0"));
    }
    if body.size_bytes > MAX_UPLOAD_BYTES {
        return Err(CoreError::invalid(
            "size_bytes",
            format!("must be at most {MAX_UPLOAD_BYTES} bytes (one PUT)"),
        ));
    }
    let target = match (&body.dataset_name, &body.dataset_id) {
        (Some(name), None) => Target::New(DisplayName::parse_field(name, "dataset_name")?),
        (None, Some(id)) => Target::Existing(
            DatasetId::parse(id)
                .map_err(|_| CoreError::invalid("dataset_id", "must be a dataset id (dst_...)"))?,
        ),
        _ => {
            return Err(CoreError::invalid(
                "dataset_name",
                "give exactly one of dataset_name (a new dataset) or dataset_id (a new version)",
            ));
        }
    };
    Ok(Checked {
        project,
        file_name,
        format,
        target,
    })
}

/// Creates the upload's new dataset. Under an `Idempotency-Key` it uses a key derived from the
/// client's, so a retry finds the same dataset while the upload keeps the client's key.
async fn new_dataset(
    state: &Uploads,
    principal: &Principal,
    checked: &Checked,
    name: &DisplayName,
    ctx: &WriteContext,
) -> Result<Stored<Dataset>, RuntimeError> {
    let mut dataset_ctx = ctx.clone();
    if let Some(idempotency) = &ctx.idempotency {
        let derived = hex::encode(Sha256::digest(idempotency.key.as_str().as_bytes()));
        let key = IdempotencyKey::parse(&format!("dataset-of-upload.{derived}"))?;
        dataset_ctx = dataset_ctx.with_idempotency(key, idempotency.request_hash.clone());
    }
    let dataset = Dataset {
        id: DatasetId::generate(),
        tenant: principal.tenant().clone(),
        project: checked.project.clone(),
        name: name.clone(),
        status: DatasetStatus::Active,
        active_version: None,
        latest_version: None,
        created_by: principal.user().clone(),
        created_at: ctx.at,
    };
    Ok(state
        .store
        .records
        .create_dataset(&principal.scope(), dataset, &dataset_ctx)
        .await?)
}

/// The dataset a new version goes to: it must be live and in the upload's project.
async fn existing_dataset(
    state: &Uploads,
    principal: &Principal,
    checked: &Checked,
    id: &DatasetId,
) -> Result<Stored<Dataset>, RuntimeError> {
    let dataset = state
        .store
        .records
        .get_dataset(&principal.scope(), id)
        .await?;
    if dataset.record.project != checked.project {
        return Err(CoreError::invalid("dataset_id", "belongs to another project").into());
    }
    if dataset.record.status != DatasetStatus::Active {
        return Err(RuntimeError::Conflict {
            reason: format!("the dataset is {}", dataset.record.status),
        });
    }
    Ok(dataset)
}

/// Handles `GET /uploads/{upload_id}`.
pub async fn get_upload(state: &Uploads, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let principal = caller::principal(&request)?;
        authorize(&principal, Permission::DatasetRead)?;
        let id = request
            .path_parameters_ref()
            .and_then(|parameters| parameters.first("upload_id"))
            .and_then(|text| UploadId::parse(text).ok())
            .ok_or(RuntimeError::NotFound { entity: "upload" })?;
        let upload = state
            .store
            .records
            .get_upload(&principal.scope(), &id)
            .await?;
        let job = match state
            .store
            .records
            .get_job(&principal.scope(), &JobId::for_upload(&id))
            .await
        {
            Ok(job) => Some(UploadJobView::from(&job.record)),
            Err(StoreError::NotFound { .. }) => None,
            Err(error) => return Err(error.into()),
        };
        let view = UploadView {
            job,
            ..UploadView::from(&upload)
        };
        json_response(StatusCode::OK, &view)
    })
    .await
}
