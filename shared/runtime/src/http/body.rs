//! Typed JSON request bodies: a size limit, a JSON content type, and a 400 problem naming the
//! field (`columns[2].name`) where parsing stopped, found with `serde_path_to_error`.

use crate::error::RuntimeError;
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;

/// The body limit of [`json_body`]: 64 KiB, ample for every command the API takes (files
/// themselves go to S3 through presigned URLs, never through API Gateway).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Parses the request body as `T`, within [`DEFAULT_BODY_LIMIT`].
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, RuntimeError> {
    json_body_within(request, DEFAULT_BODY_LIMIT)
}

/// Parses the request body as `T`, refusing bodies over `limit` bytes (413), bodies declared
/// as something other than JSON (415), and JSON of another shape (400 naming the field).
pub fn json_body_within<T: DeserializeOwned>(
    request: &Request,
    limit: usize,
) -> Result<T, RuntimeError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.len() > limit {
        return Err(RuntimeError::BodyTooLarge {
            size: bytes.len(),
            limit,
        });
    }
    if !declares_json(request) {
        return Err(RuntimeError::UnsupportedMediaType);
    }
    parse_json(bytes)
}

/// Whether the content type is `application/json` or a `+json` type, parameters aside.
fn declares_json(request: &Request) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|media| media == "application/json" || media.ends_with("+json"))
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, RuntimeError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(body_error)?;
    deserializer
        .end()
        .map_err(|error| body_error_at(".".to_owned(), &error))?;
    Ok(value)
}

fn body_error(error: serde_path_to_error::Error<serde_json::Error>) -> RuntimeError {
    let field = error.path().to_string();
    body_error_at(field, error.inner())
}

fn body_error_at(field: String, error: &serde_json::Error) -> RuntimeError {
    use serde_json::error::Category;
    RuntimeError::InvalidBody {
        field,
        line: error.line(),
        column: error.column(),
        category: match error.classify() {
            Category::Io | Category::Syntax => "syntax",
            Category::Data => "data",
            Category::Eof => "truncated",
        },
        message: strip_position(&error.to_string()),
    }
}

/// serde_json appends ` at line L column C`; the problem gives the position separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message.get(..at).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Problem;
    use lambda_http::http::StatusCode;
    use proptest::prelude::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Column {
        name: String,
        nullable: bool,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct CreateDataset {
        name: String,
        columns: Vec<Column>,
    }

    fn request(content_type: &str, body: &str) -> Request {
        let mut request = Request::new(Body::Text(body.to_owned()));
        request
            .headers_mut()
            .insert(CONTENT_TYPE, content_type.parse().unwrap());
        request
    }

    fn field_of(error: RuntimeError) -> String {
        match error {
            RuntimeError::InvalidBody { field, .. } => field,
            other => panic!("not a body error: {other}"),
        }
    }

    #[test]
    fn a_well_formed_body_parses() {
        let body = r#"{"name":"sales","columns":[{"name":"id","nullable":false}]}"#;
        let parsed: CreateDataset = json_body(&request("application/json", body)).unwrap();
        assert_eq!(parsed.columns[0].name, "id");
    }

    #[test]
    fn a_wrong_type_names_the_nested_field() {
        let body =
            r#"{"name":"s","columns":[{"name":"a","nullable":false},{"name":7,"nullable":true}]}"#;
        let error = json_body::<CreateDataset>(&request("application/json", body)).unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            error.public_detail().unwrap(),
            "Field columns[1].name (line 1, column 62): invalid type: integer `7`, expected a string."
        );
        assert_eq!(
            error.to_string(),
            "invalid JSON body at columns[1].name (line 1, column 62): data"
        );
    }

    #[test]
    fn a_missing_field_is_named_by_the_message() {
        let error = json_body::<CreateDataset>(&request("application/json", r#"{"columns":[]}"#))
            .unwrap_err();
        assert!(
            error
                .public_detail()
                .unwrap()
                .contains("missing field `name`")
        );
    }

    #[test]
    fn an_unknown_field_names_its_object() {
        let body = r#"{"name":"s","columns":[{"name":"a","nullable":false,"colour":1}]}"#;
        let error = json_body::<CreateDataset>(&request("application/json", body)).unwrap_err();
        assert_eq!(field_of(error), "columns[0].colour");
    }

    #[test]
    fn trailing_data_and_truncation_are_refused() {
        let trailing = json_body::<CreateDataset>(&request(
            "application/json",
            r#"{"name":"s","columns":[]} {}"#,
        ))
        .unwrap_err();
        assert_eq!(trailing.code(), "invalid_body");
        let truncated =
            json_body::<CreateDataset>(&request("application/json", r#"{"name":"s","col"#))
                .unwrap_err();
        assert!(matches!(
            truncated,
            RuntimeError::InvalidBody {
                category: "truncated",
                ..
            }
        ));
    }

    #[test]
    fn the_content_type_must_be_json() {
        let body = r#"{"name":"s","columns":[]}"#;
        assert!(
            json_body::<CreateDataset>(&request("application/json; charset=utf-8", body)).is_ok()
        );
        assert!(json_body::<CreateDataset>(&request("application/merge-patch+json", body)).is_ok());
        let error = json_body::<CreateDataset>(&request("text/plain", body)).unwrap_err();
        assert_eq!(error.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let mut no_type = Request::new(Body::Text(body.to_owned()));
        no_type.headers_mut().clear();
        assert!(json_body::<CreateDataset>(&no_type).is_err());
    }

    #[test]
    fn a_body_over_the_limit_is_413_before_parsing() {
        let body = format!(r#"{{"name":"{}","columns":[]}}"#, "x".repeat(100));
        let error =
            json_body_within::<CreateDataset>(&request("application/json", &body), 64).unwrap_err();
        assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            error.public_detail().unwrap(),
            "The body must not exceed 64 bytes."
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_give_a_value_or_a_body_error(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut request = Request::new(Body::Binary(bytes));
            request.headers_mut().insert(CONTENT_TYPE, "application/json".parse().unwrap());
            match json_body::<CreateDataset>(&request) {
                Ok(_) => {}
                Err(error) => prop_assert_eq!(error.code(), "invalid_body"),
            }
        }

        #[test]
        fn any_name_round_trips(name in "\\PC{0,50}") {
            let body = serde_json::json!({"name": name, "columns": []}).to_string();
            let parsed: CreateDataset = json_body(&request("application/json", &body)).unwrap();
            prop_assert_eq!(parsed.name, name);
        }
    }
}
