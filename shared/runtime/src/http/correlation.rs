//! The correlation id: taken from the caller's `X-Correlation-Id` header when it is a sane
//! token, otherwise generated, so one id follows a request through logs, responses and the
//! pipeline.

use lambda_http::http::HeaderValue;
use lambda_http::http::header::HeaderName;
use std::fmt;

/// The header that carries the correlation id in requests and responses.
pub const CORRELATION_ID_HEADER: HeaderName = HeaderName::from_static("x-correlation-id");

/// The longest caller-supplied id kept; longer ones are replaced rather than truncated.
const MAX_LEN: usize = 128;

/// Stands in for an id that could not be generated.
const UNGENERATED: &str = "ungenerated";

/// An id that ties together every log line and response of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationId {
    id: String,
    header: HeaderValue,
}

impl CorrelationId {
    /// Accepts a caller's id of 1 to 128 characters among letters, digits, `-`, `_`, `.` and
    /// `:`; anything else could forge log fields or headers, so it is refused.
    pub fn parse(raw: &str) -> Option<Self> {
        let sane = (1..=MAX_LEN).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
        if !sane {
            return None;
        }
        let header = HeaderValue::from_str(raw).ok()?;
        Some(Self {
            id: raw.to_owned(),
            header,
        })
    }

    /// A fresh random id (UUID v4).
    pub fn generate() -> Self {
        // A hyphenated UUID always passes `parse`; the constant only satisfies the fallible API.
        Self::parse(&uuid::Uuid::new_v4().to_string()).unwrap_or_else(|| Self {
            id: UNGENERATED.to_owned(),
            header: HeaderValue::from_static(UNGENERATED),
        })
    }

    /// The caller's id from the request headers when it is acceptable, a fresh one otherwise.
    pub fn from_headers(headers: &lambda_http::http::HeaderMap) -> Self {
        headers
            .get(CORRELATION_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(Self::parse)
            .unwrap_or_else(Self::generate)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The id as a ready-made header value.
    pub fn header_value(&self) -> HeaderValue {
        self.header.clone()
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderMap;
    use proptest::prelude::*;

    fn headers_with(id: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CORRELATION_ID_HEADER, HeaderValue::from_str(id).unwrap());
        headers
    }

    #[test]
    fn callers_id_is_kept() {
        let id = CorrelationId::from_headers(&headers_with("checkout-7f3a:retry.2"));
        assert_eq!(id.as_str(), "checkout-7f3a:retry.2");
        assert_eq!(id.header_value(), "checkout-7f3a:retry.2");
    }

    #[test]
    fn header_name_matches_in_any_case() {
        let mut headers = HeaderMap::new();
        headers.insert("X-Correlation-ID", HeaderValue::from_static("abc"));
        assert_eq!(CorrelationId::from_headers(&headers).as_str(), "abc");
    }

    #[test]
    fn missing_id_is_generated_as_a_uuid() {
        let id = CorrelationId::from_headers(&HeaderMap::new());
        assert!(uuid::Uuid::parse_str(id.as_str()).is_ok(), "{id}");
    }

    #[test]
    fn unsafe_ids_are_replaced() {
        for unsafe_id in ["", "a b", "a\"b", "{\"level\":\"ERROR\"}", &"x".repeat(129)] {
            assert!(
                CorrelationId::parse(unsafe_id).is_none(),
                "{unsafe_id} was kept"
            );
        }
        let id = CorrelationId::from_headers(&headers_with("has space"));
        assert_ne!(id.as_str(), "has space");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_accepted_id_round_trips_through_its_header(raw in "\\PC{0,140}") {
            if let Some(id) = CorrelationId::parse(&raw) {
                prop_assert_eq!(id.as_str(), raw.as_str());
                let header = id.header_value();
                prop_assert_eq!(header.to_str().unwrap(), raw.as_str());
            }
        }

        #[test]
        fn every_token_of_safe_characters_is_accepted(raw in "[A-Za-z0-9._:-]{1,128}") {
            prop_assert!(CorrelationId::parse(&raw).is_some());
        }
    }
}
