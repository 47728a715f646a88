//! Pagination of list routes: a validated `limit` (1 to 100), an opaque `cursor` passed to and
//! from the store untouched, and a page answer carrying `next_cursor` in the body and a
//! `Link: <...>; rel="next"` header (RFC 8288) that repeats the request's other parameters.

use crate::error::RuntimeError;
use crate::http::json_response;
use lambda_http::http::StatusCode;
use lambda_http::http::header::{HeaderValue, LINK};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

/// What a list request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    limit: u16,
    cursor: Option<String>,
}

/// A page of a list route's answer.
#[derive(Debug, Serialize)]
pub struct Page<'a, T> {
    /// The page's items.
    pub items: &'a [T],
    /// The cursor of the next page; `null` on the last page.
    pub next_cursor: Option<&'a str>,
}

impl PageRequest {
    /// Items per page when `limit` is absent.
    pub const DEFAULT_LIMIT: u16 = 25;
    /// The largest `limit` accepted.
    pub const MAX_LIMIT: u16 = 100;
    /// The longest cursor accepted.
    pub const MAX_CURSOR_LEN: usize = 2048;

    /// Reads `limit` and `cursor` from the query string. A cursor is 1-2048 characters that
    /// need no escaping in a URL (`A-Z a-z 0-9 - _ . ~`); the store signs and checks it.
    pub fn from_request(request: &Request) -> Result<Self, RuntimeError> {
        let query = request.query_string_parameters_ref();
        let single = |name: &'static str| -> Result<Option<&str>, RuntimeError> {
            match query.and_then(|query| query.all(name)) {
                None => Ok(None),
                Some(values) => match values.as_slice() {
                    [value] => Ok(Some(*value)),
                    _ => Err(RuntimeError::InvalidParameter {
                        parameter: name,
                        reason: "give it once",
                    }),
                },
            }
        };
        let limit = match single("limit")? {
            None => Self::DEFAULT_LIMIT,
            Some(text) => text
                .parse::<u16>()
                .ok()
                .filter(|limit| (1..=Self::MAX_LIMIT).contains(limit))
                .ok_or(RuntimeError::InvalidParameter {
                    parameter: "limit",
                    reason: "an integer from 1 to 100",
                })?,
        };
        let cursor = single("cursor")?
            .map(|cursor| {
                valid_cursor(cursor).then(|| cursor.to_owned()).ok_or(
                    RuntimeError::InvalidParameter {
                        parameter: "cursor",
                        reason: "the next_cursor of a previous page, unchanged",
                    },
                )
            })
            .transpose()?;
        Ok(Self { limit, cursor })
    }

    /// How many items to return at most.
    pub fn limit(&self) -> u16 {
        self.limit
    }

    /// Where to resume, as the store handed it out; `None` for the first page.
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
}

fn valid_cursor(cursor: &str) -> bool {
    (1..=PageRequest::MAX_CURSOR_LEN).contains(&cursor.len())
        && cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

/// A `200` page of `items`; with a `next_cursor`, also the `Link` header of the next page.
pub fn page_response<T: Serialize>(
    request: &Request,
    page: &PageRequest,
    items: &[T],
    next_cursor: Option<&str>,
) -> Result<Response<Body>, RuntimeError> {
    let mut response = json_response(StatusCode::OK, &Page { items, next_cursor })?;
    if let Some(link) = next_cursor.and_then(|cursor| next_link(request, page, cursor)) {
        response.headers_mut().insert(LINK, link);
    }
    Ok(response)
}

/// `<path?other=params&limit=N&cursor=C>; rel="next"`. The path is the request's, which for a
/// REST API event includes the stage (`/v1/datasets`), so the link works as given.
fn next_link(request: &Request, page: &PageRequest, cursor: &str) -> Option<HeaderValue> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(parameters) = request.query_string_parameters_ref() {
        let mut kept: Vec<(&str, &str)> = parameters
            .iter()
            .filter(|(name, _)| *name != "limit" && *name != "cursor")
            .collect();
        kept.sort_unstable();
        query.extend_pairs(kept);
    }
    query.append_pair("limit", &page.limit.to_string());
    query.append_pair("cursor", cursor);
    let link = format!(
        "<{}?{}>; rel=\"next\"",
        request.uri().path(),
        query.finish()
    );
    HeaderValue::from_str(&link).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Problem;
    use lambda_http::aws_lambda_events::query_map::QueryMap;
    use std::collections::HashMap;

    fn request(path: &str, query: &[(&str, &str)]) -> Request {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in query {
            map.entry((*name).to_owned())
                .or_default()
                .push((*value).to_owned());
        }
        let mut request = Request::default();
        *request.uri_mut() = path.parse().unwrap();
        request.with_query_string_parameters(QueryMap::from(map))
    }

    #[test]
    fn the_defaults_apply_without_parameters() {
        let page = PageRequest::from_request(&request("/v1/datasets", &[])).unwrap();
        assert_eq!(page.limit(), 25);
        assert_eq!(page.cursor(), None);
    }

    #[test]
    fn limit_is_checked_from_1_to_100() {
        for good in ["1", "100", "42"] {
            let page = PageRequest::from_request(&request("/v1/d", &[("limit", good)])).unwrap();
            assert_eq!(page.limit().to_string(), good);
        }
        for bad in ["0", "101", "-1", "ten", "", "1.5", "99999999999"] {
            let error =
                PageRequest::from_request(&request("/v1/d", &[("limit", bad)])).unwrap_err();
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(
                error.public_detail().unwrap(),
                "Query parameter limit: an integer from 1 to 100."
            );
        }
        assert!(
            PageRequest::from_request(&request("/v1/d", &[("limit", "5"), ("limit", "6")]))
                .is_err()
        );
    }

    #[test]
    fn a_cursor_is_passed_through_and_unsafe_ones_are_refused() {
        let page = PageRequest::from_request(&request("/v1/d", &[("cursor", "eyJwayI6.c2ln-_~")]))
            .unwrap();
        assert_eq!(page.cursor(), Some("eyJwayI6.c2ln-_~"));
        for bad in ["", "a b", "a>b", "a\"b", &"c".repeat(2049)] {
            assert!(
                PageRequest::from_request(&request("/v1/d", &[("cursor", bad)])).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_page_carries_next_cursor_and_the_next_link() {
        let request = request("/v1/datasets", &[("status", "ready now"), ("limit", "2")]);
        let page = PageRequest::from_request(&request).unwrap();
        let response = page_response(&request, &page, &["a", "b"], Some("c2")).unwrap();
        assert_eq!(
            response.headers()[LINK],
            "</v1/datasets?status=ready+now&limit=2&cursor=c2>; rel=\"next\""
        );
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"items": ["a", "b"], "next_cursor": "c2"})
        );
    }

    #[test]
    fn the_last_page_has_a_null_cursor_and_no_link() {
        let request = request("/v1/datasets", &[]);
        let page = PageRequest::from_request(&request).unwrap();
        let response = page_response(&request, &page, &[1, 2, 3], None).unwrap();
        assert!(!response.headers().contains_key(LINK));
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(body["next_cursor"], serde_json::Value::Null);
    }
}
