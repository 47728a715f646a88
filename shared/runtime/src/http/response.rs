//! Successful JSON responses.

use crate::error::RuntimeError;
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

/// A response with `status` and `body` serialised as `application/json`.
pub fn json_response<T: Serialize>(
    status: StatusCode,
    body: &T,
) -> Result<Response<Body>, RuntimeError> {
    let text = serde_json::to_string(body)?;
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_response_sets_status_type_and_body() {
        let response = json_response(StatusCode::CREATED, &serde_json::json!({"id": 7})).unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(response.body().as_ref(), br#"{"id":7}"#);
    }

    #[test]
    fn a_body_that_cannot_be_json_is_an_error_not_a_panic() {
        use std::collections::HashMap;
        let keys_that_are_not_strings = HashMap::from([((1, 2), "pair")]);
        let error = json_response(StatusCode::OK, &keys_that_are_not_strings).unwrap_err();
        assert_eq!(error.code(), "response_body_unserialisable");
    }
}
