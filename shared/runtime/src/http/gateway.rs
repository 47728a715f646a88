//! API Gateway REST proxy events built from plain parts: the local host turns each HTTP request
//! into one before calling a route, and route tests build theirs the same way. The event is
//! assembled as the JSON API Gateway sends and parsed by `lambda_http`, so a handler sees exactly
//! the request shape it gets when deployed.

use crate::auth::authorizer_fields;
use crate::error::RuntimeError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ida_core::Principal;
use lambda_http::Request;
use serde_json::{Map, Value, json};

/// The stage name the REST API is deployed as.
pub const API_STAGE: &str = "v1";

/// One request to a REST route, before it becomes an API Gateway event.
#[derive(Debug, Clone)]
pub struct GatewayRequest {
    method: String,
    resource: String,
    path: String,
    path_parameters: Map<String, Value>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    principal: Option<Map<String, Value>>,
    source_ip: String,
    request_id: String,
}

impl GatewayRequest {
    /// A request for `method` on the route `resource` (its template path, `/projects/{project_id}`)
    /// at the concrete `path` (`/projects/prj_...`).
    pub fn new(method: &str, resource: &str, path: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            resource: resource.to_owned(),
            path: path.to_owned(),
            path_parameters: Map::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            principal: None,
            source_ip: "127.0.0.1".to_owned(),
            request_id: uuid::Uuid::now_v7().to_string(),
        }
    }

    /// A request whose path is its resource (a route without path parameters).
    pub fn to_route(method: &str, path: &str) -> Self {
        Self::new(method, path, path)
    }

    /// Adds a path parameter (`project_id` -> `prj_...`).
    pub fn path_parameter(mut self, name: &str, value: &str) -> Self {
        self.path_parameters
            .insert(name.to_owned(), Value::String(value.to_owned()));
        self
    }

    /// Adds a query-string parameter.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json(self, body: &Value) -> Self {
        self.header("Content-Type", "application/json")
            .body(body.to_string())
    }

    /// Attaches the authorizer context of `principal`, as API Gateway does after the authorizer
    /// allowed the request.
    pub fn principal(mut self, principal: &Principal) -> Self {
        self.principal = Some(authorizer_fields(principal));
        self
    }

    /// Attaches an authorizer context as the authorizer returned it.
    pub fn authorizer_context(mut self, fields: Map<String, Value>) -> Self {
        self.principal = Some(fields);
        self
    }

    /// Sets the caller's address.
    pub fn source_ip(mut self, ip: &str) -> Self {
        ip.clone_into(&mut self.source_ip);
        self
    }

    /// The API Gateway REST proxy event for this request, as JSON.
    pub fn to_event(&self) -> Value {
        let mut headers = Map::new();
        let mut multi_headers = Map::new();
        for (name, value) in &self.headers {
            headers.insert(name.clone(), Value::String(value.clone()));
            let values = multi_headers
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(values) = values {
                values.push(Value::String(value.clone()));
            }
        }
        let mut query = Map::new();
        let mut multi_query = Map::new();
        for (name, value) in &self.query {
            query.insert(name.clone(), Value::String(value.clone()));
            let values = multi_query
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(values) = values {
                values.push(Value::String(value.clone()));
            }
        }
        let object_or_null = |map: &Map<String, Value>| {
            if map.is_empty() {
                Value::Null
            } else {
                Value::Object(map.clone())
            }
        };
        let (body, is_base64) = match &self.body {
            None => (Value::Null, false),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => (Value::String(text.to_owned()), false),
                Err(_) => (Value::String(STANDARD.encode(bytes)), true),
            },
        };
        let now = time::OffsetDateTime::now_utc();
        let mut context = json!({
            "resourcePath": self.resource,
            "httpMethod": self.method,
            "path": format!("/{API_STAGE}{}", self.path),
            "accountId": "000000000000",
            "protocol": "HTTP/1.1",
            "stage": API_STAGE,
            "requestTimeEpoch": now.unix_timestamp() * 1000,
            "requestId": self.request_id,
            "identity": { "sourceIp": self.source_ip },
            "apiId": "local",
        });
        if let (Some(fields), Value::Object(context)) = (&self.principal, &mut context) {
            context.insert("authorizer".to_owned(), Value::Object(fields.clone()));
        }
        json!({
            "resource": self.resource,
            "path": self.path,
            "httpMethod": self.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": object_or_null(&query),
            "multiValueQueryStringParameters": object_or_null(&multi_query),
            "pathParameters": object_or_null(&self.path_parameters),
            "stageVariables": null,
            "requestContext": context,
            "body": body,
            "isBase64Encoded": is_base64,
        })
    }

    /// The request a route handler receives for this event.
    pub fn into_request(self) -> Result<Request, RuntimeError> {
        let event = self.to_event().to_string();
        lambda_http::request::from_str(&event).map_err(|error| RuntimeError::Dependency {
            dependency: "api_gateway_event",
            reason: error.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::principal_of;
    use ida_core::Role;
    use ida_core::access::{AuthorizerContext, Subject};
    use ida_core::id::{TenantId, UserId};
    use lambda_http::RequestExt;

    #[test]
    fn a_built_request_carries_path_query_body_and_principal() {
        let principal = Principal::from_authorizer_context(AuthorizerContext {
            tenant: TenantId::generate(),
            subject: Subject::User {
                user: UserId::generate(),
            },
            role: Role::Member,
            scopes: None,
        })
        .unwrap();
        let request = GatewayRequest::new("post", "/projects/{project_id}", "/projects/prj_1")
            .path_parameter("project_id", "prj_1")
            .query("limit", "5")
            .json(&json!({"name": "Sales"}))
            .principal(&principal)
            .into_request()
            .unwrap();
        assert_eq!(request.method(), "POST");
        assert_eq!(
            request
                .path_parameters_ref()
                .and_then(|p| p.first("project_id")),
            Some("prj_1")
        );
        assert_eq!(
            request
                .query_string_parameters_ref()
                .and_then(|q| q.first("limit")),
            Some("5")
        );
        assert_eq!(request.body().as_ref(), br#"{"name":"Sales"}"#);
        assert_eq!(principal_of(&request).unwrap(), principal);
    }

    #[test]
    fn a_binary_body_travels_base64_encoded() {
        let request = GatewayRequest::to_route("PUT", "/blob")
            .body(vec![0xff, 0x00, 0xfe])
            .into_request()
            .unwrap();
        assert_eq!(request.body().as_ref(), &[0xff, 0x00, 0xfe]);
        assert!(principal_of(&request).is_err());
    }
}
