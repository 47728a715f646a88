//! `GET /openapi.json`: the one OpenAPI 3.1 document of the REST API, merged once per cold start
//! from `openapi-base.yaml` and every API crate's `openapi.yaml` fragment ([`FRAGMENTS`]).
//!
//! A fragment holds `paths` and its own `components.schemas`/`parameters`; the base holds the
//! rest (info, servers, security schemes, the problem responses). A route or a component
//! declared twice, or a `$ref` that points nowhere, is an error that this crate's tests catch, so
//! the deployed document is never a silent union of conflicting parts. It serves nothing else
//! and reads no data.

mod error;
mod merge;

pub use error::DocsError;
pub use merge::{Fragment, merge};

use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{ETag, respond, with_etag};
use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use std::convert::Infallible;
use std::sync::Arc;

/// The frame every fragment is merged into.
pub const BASE: &str = include_str!("../openapi-base.yaml");

/// Every API crate's fragment. A new API crate adds its line here, and nowhere else.
pub static FRAGMENTS: [Fragment; 13] = [
    Fragment {
        crate_name: "api-health",
        yaml: include_str!("../../api-health/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-docs",
        yaml: include_str!("../openapi.yaml"),
    },
    Fragment {
        crate_name: "api-auth",
        yaml: include_str!("../../api-auth/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-users",
        yaml: include_str!("../../api-users/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-keys",
        yaml: include_str!("../../api-keys/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-tenant",
        yaml: include_str!("../../api-tenant/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-projects",
        yaml: include_str!("../../api-projects/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-datasets",
        yaml: include_str!("../../api-datasets/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-uploads",
        yaml: include_str!("../../api-uploads/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-approvals",
        yaml: include_str!("../../api-approvals/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-jobs",
        yaml: include_str!("../../api-jobs/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-recipes",
        yaml: include_str!("../../api-recipes/openapi.yaml"),
    },
    Fragment {
        crate_name: "api-audit",
        yaml: include_str!("../../api-audit/openapi.yaml"),
    },
];

/// How long clients and caches may reuse the document without asking: it only changes with a
/// deployment, and the ETag makes a later check cheap.
const CACHE_CONTROL_VALUE: &str = "public, max-age=300";

/// The merged document of [`BASE`] and [`FRAGMENTS`].
pub fn document() -> Result<Value, DocsError> {
    merge(BASE, &FRAGMENTS)
}

/// One route as the document describes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DocumentedRoute {
    /// Upper-case method.
    pub method: String,
    /// Template path, `/projects/{project_id}`.
    pub path: String,
    /// The operation's id (the binary serving it).
    pub operation_id: Option<String>,
    /// Whether the operation opts out of the document's security (`security: []`).
    pub public: bool,
}

/// Every operation of `document`, in path then method order.
pub fn documented_routes(document: &Value) -> Vec<DocumentedRoute> {
    let mut routes = Vec::new();
    let Some(Value::Object(paths)) = document.get("paths") else {
        return routes;
    };
    for (path, item) in paths {
        let Value::Object(item) = item else { continue };
        for (method, operation) in item {
            if !["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                continue;
            }
            routes.push(DocumentedRoute {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                operation_id: operation
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                public: operation
                    .get("security")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty),
            });
        }
    }
    routes.sort();
    routes
}

/// The handler's state: the document serialised once, and its tag.
#[derive(Debug)]
pub struct ApiDocs {
    body: String,
    etag: ETag,
}

impl ApiDocs {
    /// Merges the fragments and serialises the document; done once per cold start.
    pub fn build() -> Result<Self, DocsError> {
        let body = document()?.to_string();
        let etag = ETag::of_body(body.as_bytes());
        Ok(Self { body, etag })
    }

    /// The serialised document.
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// `GET /openapi.json`: public, served by the `openapi-get` binary.
pub static GET_OPENAPI: FunctionSpec = FunctionSpec {
    binary: "openapi-get",
    trigger: Trigger::Route {
        method: "GET",
        path: "/openapi.json",
        access: Access::Public,
    },
    // The document is compiled in: the function reads no settings.
    settings: |_| Ok(()),
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&GET_OPENAPI];

/// The routes of this crate bound to `docs`, for the local host.
pub fn routes(docs: Arc<ApiDocs>) -> Vec<HostedRoute> {
    vec![HostedRoute::new(
        &GET_OPENAPI,
        docs,
        |docs, request| async move { get_openapi(&docs, request).await },
    )]
}

/// Handles `GET /openapi.json`: the document with its ETag, or 304 when `If-None-Match` names it.
pub async fn get_openapi(docs: &ApiDocs, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |request, _| async move {
        let mut response = Response::new(Body::Text(docs.body.clone()));
        *response.status_mut() = StatusCode::OK;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let mut response = with_etag(request.headers(), response, &docs.etag);
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_VALUE));
        Ok::<_, ida_runtime::RuntimeError>(response)
    })
    .await
}
