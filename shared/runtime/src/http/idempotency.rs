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

/// The store's idempotency for a create from `request`: its `Idempotency-Key` (the store takes
/// every key the header accepts) with the request's fingerprint, for
/// `WriteContext::idempotency`; `None` when the header is absent.
pub fn store_idempotency(
    request: &Request,
) -> Result<Option<ida_store::Idempotency>, RuntimeError> {
    let Some(key) = IdempotencyKey::from_headers(request.headers())? else {
        return Ok(None);
    };
    let key = ida_store::IdempotencyKey::parse(key.as_str()).map_err(|_| {
        RuntimeError::InvalidHeader {
            header: "Idempotency-Key",
            reason: "1-255 characters among A-Z a-z 0-9 - _ . :",
        }
    })?;
    Ok(Some(ida_store::Idempotency {
        key,
        request_hash: RequestFingerprint::of_request(request).0,
    }))
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

    #[test]
    fn the_store_gets_the_key_and_the_fingerprint() {
        let mut request = Request::new(Body::Text("{\"name\":\"Sales\"}".into()));
        *request.method_mut() = lambda_http::http::Method::POST;
        *request.uri_mut() = "/v1/projects".parse().unwrap();
        assert_eq!(store_idempotency(&request).unwrap(), None);
        request.headers_mut().insert(
            IDEMPOTENCY_KEY_HEADER,
            HeaderValue::from_static("create-sales-1"),
        );
        let idempotency = store_idempotency(&request).unwrap().unwrap();
        assert_eq!(idempotency.key.as_str(), "create-sales-1");
        assert_eq!(
            idempotency.request_hash,
            RequestFingerprint::of("POST", "/v1/projects", b"{\"name\":\"Sales\"}").as_str()
        );
        // Regression: the store once took at most 128 characters while the header allowed 255.
        let longest = "k".repeat(IdempotencyKey::MAX_LEN);
        let long = HeaderValue::from_str(&longest).unwrap();
        request.headers_mut().insert(IDEMPOTENCY_KEY_HEADER, long);
        let idempotency = store_idempotency(&request).unwrap().unwrap();
        assert_eq!(idempotency.key.as_str(), longest);
        let too_long = HeaderValue::from_str(&"k".repeat(256)).unwrap();
        request
            .headers_mut()
            .insert(IDEMPOTENCY_KEY_HEADER, too_long);
        assert_eq!(
            store_idempotency(&request).unwrap_err().code(),
            "invalid_header"
        );
    }

    /// The port's contract kept in memory: one claim per key, answers stored on completion.
    #[derive(Default)]
    struct RecordsInMemory(
        std::sync::Mutex<
            std::collections::HashMap<String, (RequestFingerprint, Option<StoredResponse>)>,
        >,
    );

    impl IdempotencyRecords for RecordsInMemory {
        async fn claim(
            &self,
            scope: &TenantScope,
            key: &IdempotencyKey,
            fingerprint: &RequestFingerprint,
        ) -> Result<Claim, RuntimeError> {
            let mut records = self.0.lock().unwrap();
            let id = format!("{}/{}", scope.tenant(), key.as_str());
            Ok(match records.get(&id) {
                Some((fingerprint, response)) => Claim::Existing {
                    fingerprint: fingerprint.clone(),
                    response: response.clone(),
                },
                None => {
                    records.insert(id, (fingerprint.clone(), None));
                    Claim::Claimed
                }
            })
        }

        async fn complete(
            &self,
            scope: &TenantScope,
            key: &IdempotencyKey,
            response: &StoredResponse,
        ) -> Result<(), RuntimeError> {
            let id = format!("{}/{}", scope.tenant(), key.as_str());
            if let Some(entry) = self.0.lock().unwrap().get_mut(&id) {
                entry.1 = Some(response.clone());
            }
            Ok(())
        }

        async fn release(
            &self,
            scope: &TenantScope,
            key: &IdempotencyKey,
        ) -> Result<(), RuntimeError> {
            let id = format!("{}/{}", scope.tenant(), key.as_str());
            self.0.lock().unwrap().remove(&id);
            Ok(())
        }
    }

    fn scope() -> TenantScope {
        use ida_core::access::{AuthorizerContext, Subject};
        use ida_core::id::{TenantId, UserId};
        ida_core::Principal::from_authorizer_context(AuthorizerContext {
            tenant: TenantId::generate(),
            subject: Subject::User {
                user: UserId::generate(),
            },
            role: ida_core::Role::Member,
            scopes: None,
        })
        .unwrap()
        .scope()
    }

    fn created(id: &str) -> Result<Response<Body>, RuntimeError> {
        let mut response =
            crate::http::json_response(StatusCode::CREATED, &serde_json::json!({ "id": id }))?;
        response.headers_mut().insert(
            LOCATION,
            HeaderValue::from_str(&format!("/v1/projects/{id}")).unwrap(),
        );
        Ok(response)
    }

    #[tokio::test]
    async fn a_retry_replays_the_first_answer_without_running_again() {
        let records = RecordsInMemory::default();
        let scope = scope();
        let key = IdempotencyKey::parse("create-1").unwrap();
        let fingerprint = RequestFingerprint::of("POST", "/v1/projects", b"{}");
        let runs = std::sync::atomic::AtomicU32::new(0);
        let create = || async {
            runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            created("prj_1")
        };
        let first = run_idempotent(&records, &scope, &key, &fingerprint, create())
            .await
            .unwrap();
        let again = run_idempotent(&records, &scope, &key, &fingerprint, create())
            .await
            .unwrap();
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.body().as_ref(), first.body().as_ref());
        assert_eq!(again.headers()[LOCATION], "/v1/projects/prj_1");
        assert_eq!(again.headers()[IDEMPOTENT_REPLAYED_HEADER], "true");
        assert!(!first.headers().contains_key(IDEMPOTENT_REPLAYED_HEADER));
    }

    #[tokio::test]
    async fn the_key_with_another_request_is_422_and_a_running_one_409() {
        let records = RecordsInMemory::default();
        let scope = scope();
        let key = IdempotencyKey::parse("create-2").unwrap();
        let first = RequestFingerprint::of("POST", "/v1/projects", b"{\"name\":\"a\"}");
        let other = RequestFingerprint::of("POST", "/v1/projects", b"{\"name\":\"b\"}");
        assert_eq!(
            records.claim(&scope, &key, &first).await.unwrap(),
            Claim::Claimed
        );
        let running = run_idempotent(&records, &scope, &key, &first, async { created("prj_2") })
            .await
            .unwrap_err();
        assert_eq!(running.code(), "idempotency_in_progress");
        let reused = run_idempotent(&records, &scope, &key, &other, async { created("prj_3") })
            .await
            .unwrap_err();
        assert_eq!(reused.code(), "idempotency_key_reused");
    }

    #[tokio::test]
    async fn a_failed_create_frees_the_key_for_a_retry() {
        let records = RecordsInMemory::default();
        let scope = scope();
        let key = IdempotencyKey::parse("create-3").unwrap();
        let fingerprint = RequestFingerprint::of("POST", "/v1/projects", b"{}");
        let failed = run_idempotent(&records, &scope, &key, &fingerprint, async {
            Err::<Response<Body>, _>(RuntimeError::Unavailable {
                dependency: "store",
                reason: "throttled".into(),
                retry_after_secs: 1,
            })
        })
        .await
        .unwrap_err();
        assert_eq!(failed.code(), "temporarily_unavailable");
        let retried = run_idempotent(&records, &scope, &key, &fingerprint, async {
            created("prj_4")
        })
        .await
        .unwrap();
        assert_eq!(retried.status(), StatusCode::CREATED);
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
