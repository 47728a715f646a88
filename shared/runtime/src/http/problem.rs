//! Errors as `application/problem+json` (RFC 9457), built here and nowhere else.
//!
//! A body carries `type`, `title`, `status`, an optional `detail`, plus two extension members:
//! the stable `code` clients branch on and the `correlation_id` they quote when reporting it.
//! `type` is the relative reference `/problems/{code}` so the API can later serve a page per
//! code without changing a single response.

use super::correlation::{CORRELATION_ID_HEADER, CorrelationId};
use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};

/// The media type of problem responses.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// What an error tells a client. Implement it once per error enum; [`super::respond`] does the
/// rest. Nothing in it may hold internal text (SDK messages, paths, values from the data).
pub trait Problem: std::error::Error {
    /// The HTTP status, e.g. 404.
    fn status(&self) -> StatusCode;

    /// The stable, machine-readable code clients branch on, e.g. `dataset_not_found`.
    fn problem_code(&self) -> &'static str;

    /// A short summary that is the same for every occurrence of the code.
    fn title(&self) -> &'static str;

    /// A client-safe explanation of this occurrence, if there is one worth giving.
    fn public_detail(&self) -> Option<String> {
        None
    }

    /// The code written to the log next to the error's full text; by default the public code.
    fn log_code(&self) -> &'static str {
        self.problem_code()
    }

    /// Headers the problem adds to its response, e.g. `Retry-After` or `WWW-Authenticate`.
    fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        Vec::new()
    }
}

/// The problem response for `problem`, tagged with the request's correlation id.
pub fn problem_response(problem: &dyn Problem, correlation_id: &CorrelationId) -> Response<Body> {
    let code = problem.problem_code();
    let status = problem.status();
    let mut body = serde_json::json!({
        "type": format!("/problems/{code}"),
        "title": problem.title(),
        "status": status.as_u16(),
        "code": code,
        "correlation_id": correlation_id.as_str(),
    });
    if let (Some(detail), Some(fields)) = (problem.public_detail(), body.as_object_mut()) {
        fields.insert("detail".to_owned(), detail.into());
    }
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(CORRELATION_ID_HEADER, correlation_id.header_value());
    for (name, value) in problem.headers() {
        headers.insert(name, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// A route error of the kind function crates declare.
    #[derive(Debug, thiserror::Error)]
    enum RouteError {
        #[error("dataset {0} not found in table ida-records")]
        DatasetNotFound(String),
        #[error("DynamoDB throttled: ProvisionedThroughputExceededException")]
        Throttled,
    }

    impl Problem for RouteError {
        fn status(&self) -> StatusCode {
            match self {
                RouteError::DatasetNotFound(_) => StatusCode::NOT_FOUND,
                RouteError::Throttled => StatusCode::SERVICE_UNAVAILABLE,
            }
        }

        fn problem_code(&self) -> &'static str {
            match self {
                RouteError::DatasetNotFound(_) => "dataset_not_found",
                RouteError::Throttled => "temporarily_unavailable",
            }
        }

        fn title(&self) -> &'static str {
            match self {
                RouteError::DatasetNotFound(_) => "Dataset not found",
                RouteError::Throttled => "Temporarily unavailable",
            }
        }

        fn public_detail(&self) -> Option<String> {
            match self {
                RouteError::DatasetNotFound(id) => Some(format!("No dataset has the id {id}.")),
                RouteError::Throttled => None,
            }
        }
    }

    fn body_of(response: &Response<Body>) -> Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn problem_body_has_the_rfc_9457_members_and_ours() {
        let id = CorrelationId::parse("corr-1").unwrap();
        let response = problem_response(&RouteError::DatasetNotFound("ds_42".into()), &id);
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
        assert_eq!(response.headers()[CORRELATION_ID_HEADER], "corr-1");
        assert_eq!(
            body_of(&response),
            json!({
                "type": "/problems/dataset_not_found",
                "title": "Dataset not found",
                "status": 404,
                "detail": "No dataset has the id ds_42.",
                "code": "dataset_not_found",
                "correlation_id": "corr-1",
            })
        );
    }

    #[test]
    fn internal_error_text_never_reaches_the_body() {
        let id = CorrelationId::parse("corr-2").unwrap();
        let response = problem_response(&RouteError::Throttled, &id);
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!text.contains("ProvisionedThroughputExceeded"), "{text}");
        assert!(!text.contains("detail"), "{text}");
        assert_eq!(body_of(&response)["code"], "temporarily_unavailable");
    }

    #[test]
    fn runtime_errors_become_a_generic_internal_problem() {
        let id = CorrelationId::parse("corr-3").unwrap();
        let error = crate::RuntimeError::MissingSetting {
            var: "IDA_RECORDS_TABLE",
        };
        let response = problem_response(&error, &id);
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body_of(&response)["code"], "internal_error");
        assert!(!text.contains("IDA_RECORDS_TABLE"), "{text}");
    }
}
