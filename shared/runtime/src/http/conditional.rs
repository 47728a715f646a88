//! Conditional requests (RFC 9110 §13): strong ETags on reads, `If-None-Match` answered with
//! `304 Not Modified`, and `If-Match` required on updates so a write based on a stale read is
//! refused with `412` instead of silently overwriting someone else's change.

use crate::error::RuntimeError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lambda_http::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use sha2::{Digest, Sha256};
use std::fmt;

/// A strong entity tag, quoted as it appears in headers: `"r7"` or `"<body hash>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ETag(String);

impl ETag {
    /// The tag of a record's revision number (the store's optimistic-lock counter).
    pub fn from_revision(revision: u64) -> Self {
        Self(format!("\"r{revision}\""))
    }

    /// The tag of a response body: the first 16 bytes of its SHA-256, base64url.
    pub fn of_body(body: &[u8]) -> Self {
        let digest = Sha256::digest(body);
        let prefix = digest.get(..16).unwrap_or_default();
        Self(format!("\"{}\"", URL_SAFE_NO_PAD.encode(prefix)))
    }

    /// The tag as a header value (quotes included).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn header_value(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&self.0).ok()
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tags listed in the header (comma-separated); `None` when the header is absent.
fn listed<'a>(
    headers: &'a HeaderMap,
    name: &lambda_http::http::HeaderName,
) -> Option<Vec<&'a str>> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .collect();
    (!values.is_empty()).then_some(values)
}

/// Whether `If-None-Match` names `etag` (or is `*`), compared weakly as RFC 9110 prescribes
/// for it: `W/"x"` matches `"x"`.
pub fn if_none_match(headers: &HeaderMap, etag: &ETag) -> bool {
    listed(headers, &IF_NONE_MATCH).is_some_and(|tags| {
        tags.iter()
            .any(|tag| *tag == "*" || tag.trim_start_matches("W/") == etag.as_str())
    })
}

/// The `If-Match` check of an update against the entity's current tag: absent is `428`, a
/// mismatch is `412`; a weak tag never matches (strong comparison), `*` always does.
pub fn check_if_match(headers: &HeaderMap, current: &ETag) -> Result<(), RuntimeError> {
    let tags = listed(headers, &IF_MATCH).ok_or(RuntimeError::PreconditionRequired)?;
    if tags
        .iter()
        .any(|tag| *tag == "*" || *tag == current.as_str())
    {
        Ok(())
    } else {
        Err(RuntimeError::PreconditionFailed)
    }
}

/// Puts `etag` on `response`, or replaces the response with `304 Not Modified` (keeping the
/// ETag) when the request's `If-None-Match` already names it.
pub fn with_etag(
    request_headers: &HeaderMap,
    mut response: Response<Body>,
    etag: &ETag,
) -> Response<Body> {
    let Some(value) = etag.header_value() else {
        return response;
    };
    if if_none_match(request_headers, etag) {
        let mut not_modified = Response::new(Body::Empty);
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        not_modified.headers_mut().insert(ETAG, value);
        return not_modified;
    }
    response.headers_mut().insert(ETAG, value);
    response
}

/// [`with_etag`] with the tag computed from the response's own body.
pub fn with_body_etag(request_headers: &HeaderMap, response: Response<Body>) -> Response<Body> {
    let etag = ETag::of_body(response.body().as_ref());
    with_etag(request_headers, response, &etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Problem, json_response};
    use proptest::prelude::*;

    fn headers(name: lambda_http::http::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, value.parse().unwrap());
        headers
    }

    #[test]
    fn revision_tags_are_strong_and_quoted() {
        assert_eq!(ETag::from_revision(7).as_str(), "\"r7\"");
    }

    #[test]
    fn a_body_tag_is_stable_and_changes_with_the_body() {
        assert_eq!(ETag::of_body(b"{\"a\":1}"), ETag::of_body(b"{\"a\":1}"));
        assert_ne!(ETag::of_body(b"{\"a\":1}"), ETag::of_body(b"{\"a\":2}"));
        assert_eq!(ETag::of_body(b"").as_str(), "\"47DEQpj8HBSa-_TImW-5JA\"");
    }

    #[test]
    fn a_matching_if_none_match_gives_304_with_the_etag() {
        let response =
            json_response(StatusCode::OK, &serde_json::json!({"name": "sales"})).unwrap();
        let etag = ETag::of_body(response.body().as_ref());
        let request = headers(IF_NONE_MATCH, &format!("\"other\", W/{etag}"));
        let answered = with_body_etag(&request, response);
        assert_eq!(answered.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(answered.headers()[ETAG], etag.as_str());
        assert!(answered.body().is_empty());
    }

    #[test]
    fn a_stale_if_none_match_gets_the_body_and_its_etag() {
        let response = json_response(StatusCode::OK, &serde_json::json!({"v": 2})).unwrap();
        let answered = with_etag(
            &headers(IF_NONE_MATCH, "\"r1\""),
            response,
            &ETag::from_revision(2),
        );
        assert_eq!(answered.status(), StatusCode::OK);
        assert_eq!(answered.headers()[ETAG], "\"r2\"");
    }

    #[test]
    fn if_match_is_required_and_compared_strongly() {
        let current = ETag::from_revision(3);
        assert!(check_if_match(&headers(IF_MATCH, "\"r3\""), &current).is_ok());
        assert!(check_if_match(&headers(IF_MATCH, "*"), &current).is_ok());
        let stale = check_if_match(&headers(IF_MATCH, "\"r2\""), &current).unwrap_err();
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
        let weak = check_if_match(&headers(IF_MATCH, "W/\"r3\""), &current).unwrap_err();
        assert_eq!(weak.code(), "precondition_failed");
        let missing = check_if_match(&HeaderMap::new(), &current).unwrap_err();
        assert_eq!(missing.status(), StatusCode::PRECONDITION_REQUIRED);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn every_revision_matches_only_itself(a in any::<u64>(), b in any::<u64>()) {
            let tag_a = ETag::from_revision(a);
            let request = headers(IF_MATCH, tag_a.as_str());
            prop_assert!(check_if_match(&request, &tag_a).is_ok());
            prop_assert_eq!(check_if_match(&request, &ETag::from_revision(b)).is_ok(), a == b);
        }
    }
}
