//! Idempotent creates: the `Idempotency-Key` header (1-255 characters of `A-Z a-z 0-9 - _ . :`),
//! a fingerprint of the request (method, path, body) that tells a retry from a different request
//! reusing the key, and [`run_idempotent`], which runs a create once through an
//! [`IdempotencyRecords`] port and replays the stored answer to every retry.

use crate::error::RuntimeError;
use ida_core::TenantScope;
use lambda_http::http::header::{CONTENT_TYPE, ETAG, HeaderName, LOCATION};
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};

/// The request header naming an idempotent operation.
pub const IDEMPOTENCY_KEY_HEADER: HeaderName = HeaderName::from_static("idempotency-key");

/// The response header marking an answer replayed from the record.
pub const IDEMPOTENT_REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A client's key for one operation, unique per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 255;

    /// Accepts 1-255 characters among letters, digits, `-`, `_`, `.` and `:` (UUIDs, ULIDs and
    /// most client schemes), which are safe in a record key and in a log line.
    pub fn parse(raw: &str) -> Result<Self, RuntimeError> {
        let valid = (1..=Self::MAX_LEN).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(RuntimeError::InvalidHeader {
                header: "Idempotency-Key",
                reason: "1-255 characters among A-Z a-z 0-9 - _ . :",
            })
        }
    }

    /// The key from the request headers; `None` when absent, an error when malformed or repeated.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, RuntimeError> {
        let mut values = headers.get_all(IDEMPOTENCY_KEY_HEADER).iter();
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(value), None) => {
                let text = value.to_str().unwrap_or_default();
                Self::parse(text).map(Some)
            }
            (Some(_), Some(_)) => Err(RuntimeError::InvalidHeader {
                header: "Idempotency-Key",
                reason: "give it once",
            }),
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The SHA-256 (hex) of a request's method, path and body, each length-prefixed so that no two
/// different requests share a fingerprint by moving bytes between parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    /// The fingerprint of `method`, `path` and `body`.
    pub fn of(method: &str, path: &str, body: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        for part in [method.as_bytes(), path.as_bytes(), body] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        Self(hex::encode(hasher.finalize()))
    }

    /// The fingerprint of a request (its URI path, which carries the stage, and its body).
    pub fn of_request(request: &Request) -> Self {
        Self::of(
            request.method().as_str(),
            request.uri().path(),
            request.body().as_ref(),
        )
    }

    /// A fingerprint read back from a record.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    /// The fingerprint as 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The answer to a create, as kept in the idempotency record and replayed to retries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredResponse {
    /// The HTTP status, e.g. 201.
    pub status: u16,
    /// The body text (JSON).
    pub body: String,
    /// `Location`, if the create set one.
    pub location: Option<String>,
    /// `ETag`, if the create set one.
    pub etag: Option<String>,
}

impl StoredResponse {
    /// Keeps what a retry must see of `response`: status, body, `Location` and `ETag`.
    pub fn of(response: &Response<Body>) -> Self {
        let header = |name: HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            status: response.status().as_u16(),
            body: String::from_utf8_lossy(response.body().as_ref()).into_owned(),
            location: header(LOCATION),
            etag: header(ETAG),
        }
    }

    /// The replayed response, marked `Idempotent-Replayed: true`.
    pub fn replay(&self) -> Response<Body> {
        let mut response = Response::new(Body::Text(self.body.clone()));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(IDEMPOTENT_REPLAYED_HEADER, HeaderValue::from_static("true"));
        for (name, value) in [(LOCATION, &self.location), (ETAG, &self.etag)] {
            if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free and is now held by this request.
    Claimed,
    /// The key was already claimed, by a request with `fingerprint`; `response` is its answer,
    /// or `None` while that request is still running.
    Existing {
        /// The fingerprint of the request that claimed the key.
        fingerprint: RequestFingerprint,
        /// Its stored answer, once it finished.
        response: Option<StoredResponse>,
    },
}

/// The idempotency records of a tenant; the store implements it with conditional writes and an
/// expiry, so a key is claimed by exactly one request.
pub trait IdempotencyRecords {
    /// Claims `key` for a request with `fingerprint`, atomically.
    fn claim(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
    ) -> impl Future<Output = Result<Claim, RuntimeError>> + Send;

    /// Stores the answer of the request holding `key`.
    fn complete(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> impl Future<Output = Result<(), RuntimeError>> + Send;

    /// Frees `key` after the create failed, so the client may retry it.
    fn release(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
    ) -> impl Future<Output = Result<(), RuntimeError>> + Send;
}

/// Runs `create` at most once per key: the first request claims the key, runs, and stores a
/// successful answer (2xx); a retry with the same fingerprint gets that answer replayed; the key
/// with a different request is `422 idempotency_key_reused`; a retry while the first is still
/// running is `409 idempotency_in_progress`. A failed create frees the key.
pub async fn run_idempotent<R, F>(
    records: &R,
    scope: &TenantScope,
    key: &IdempotencyKey,
    fingerprint: &RequestFingerprint,
    create: F,
) -> Result<Response<Body>, RuntimeError>
where
    R: IdempotencyRecords,
    F: Future<Output = Result<Response<Body>, RuntimeError>>,
{
    match records.claim(scope, key, fingerprint).await? {
        Claim::Existing {
            fingerprint: stored,
            ..
        } if stored != *fingerprint => Err(RuntimeError::IdempotencyKeyReused),
        Claim::Existing {
            response: Some(response),
            ..
        } => Ok(response.replay()),
        Claim::Existing { response: None, .. } => Err(RuntimeError::IdempotencyInProgress),
        Claim::Claimed => match create.await {
            Ok(response) if response.status().is_success() => {
                records
                    .complete(scope, key, &StoredResponse::of(&response))
                    .await?;
                Ok(response)
            }
            Ok(response) => {
                records.release(scope, key).await?;
                Ok(response)
            }
            Err(error) => {
                if let Err(release_error) = records.release(scope, key).await {
                    ::tracing::warn!(code = release_error.code(), error = %release_error, "idempotency key not released");
                }
                Err(error)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_of_the_safe_charset_are_accepted() {
        for good in [
            "a",
            "4f1c2e9a-7b3d-4c5e-8f6a-0b1c2d3e4f5a",
            "order:42.retry_1",
            &"k".repeat(255),
        ] {
            assert_eq!(IdempotencyKey::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn other_keys_are_a_400_naming_the_header() {
        for bad in ["", "a b", "a/b", "ключ", &"k".repeat(256)] {
            let error = IdempotencyKey::parse(bad).unwrap_err();
            assert_eq!(error.code(), "invalid_header", "{bad}");
            assert_eq!(
                error.to_string(),
                "invalid header Idempotency-Key: 1-255 characters among A-Z a-z 0-9 - _ . :"
            );
        }
    }

    #[test]
    fn the_header_is_optional_and_single() {
        assert_eq!(
            IdempotencyKey::from_headers(&HeaderMap::new()).unwrap(),
            None
        );
        let mut headers = HeaderMap::new();
        headers.append(IDEMPOTENCY_KEY_HEADER, HeaderValue::from_static("k1"));
        assert_eq!(
            IdempotencyKey::from_headers(&headers)
                .unwrap()
                .unwrap()
                .as_str(),
            "k1"
        );
        headers.append(IDEMPOTENCY_KEY_HEADER, HeaderValue::from_static("k2"));
        assert!(IdempotencyKey::from_headers(&headers).is_err());
    }

    #[test]
    fn the_fingerprint_is_a_known_sha256() {
        let fingerprint = RequestFingerprint::of("POST", "/v1/projects", b"{}");
        assert_eq!(fingerprint.as_str().len(), 64);
        assert_eq!(
            fingerprint,
            RequestFingerprint::of("POST", "/v1/projects", b"{}")
        );
        assert_ne!(
            fingerprint,
            RequestFingerprint::of("POST", "/v1/projects", b"{ }")
        );
        assert_ne!(
            fingerprint,
            RequestFingerprint::of("PUT", "/v1/projects", b"{}")
        );
    }

    #[test]
    fn a_stored_answer_replays_with_its_headers() {
        let stored = StoredResponse {
            status: 201,
            body: "{\"id\":\"prj_1\"}".into(),
            location: Some("/v1/projects/prj_1".into()),
            etag: Some("\"r1\"".into()),
        };
        let replayed = stored.replay();
        assert_eq!(replayed.status(), StatusCode::CREATED);
        assert_eq!(replayed.headers()[LOCATION], "/v1/projects/prj_1");
        assert_eq!(replayed.headers()[IDEMPOTENT_REPLAYED_HEADER], "true");
        assert_eq!(StoredResponse::of(&replayed), stored);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn moving_bytes_between_parts_changes_the_fingerprint(
            path in "[a-z/]{0,12}", body in "[a-z/]{0,12}", split in 0usize..12,
        ) {
            let joined = format!("{path}{body}");
            let cut = split.min(joined.len());
            let (other_path, other_body) = joined.split_at(cut);
            let a = RequestFingerprint::of("POST", &path, body.as_bytes());
            let b = RequestFingerprint::of("POST", other_path, other_body.as_bytes());
            prop_assert_eq!(a == b, path == other_path);
        }
    }
}
