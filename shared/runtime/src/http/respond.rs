//! The one wrapper every route handler runs in: request span, problem conversion, correlation
//! header, and one access log line (method, path, status, latency; never a body or query).

use super::correlation::{CORRELATION_ID_HEADER, CorrelationId};
use super::problem::{Problem, problem_response};
use ::tracing::Instrument;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use std::convert::Infallible;
use std::fmt::Write;
use std::time::Instant;

/// What a handler learns about its invocation besides the request itself.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The id tying this request's logs and response together.
    pub correlation_id: CorrelationId,
    /// The Lambda request id; absent when the handler is called in-process (tests, `ida serve`).
    pub lambda_request_id: Option<String>,
    /// API Gateway's own request id, when the event came through API Gateway.
    pub api_request_id: Option<String>,
}

impl Invocation {
    /// Reads the ids from the request's headers and the contexts `lambda_http` attached.
    pub fn of(request: &Request) -> Self {
        let api_request_id = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(context)) => context.request_id.clone(),
            _ => None,
        };
        Self {
            correlation_id: CorrelationId::from_headers(request.headers()),
            lambda_request_id: request
                .lambda_context_ref()
                .map(|context| context.request_id.clone()),
            api_request_id,
        }
    }
}

/// Runs `handler` on `request` inside a span carrying the request's ids; an `Err` becomes its
/// problem response (its full text logged once, never sent), and every response gets the
/// `X-Correlation-Id` header. It never fails, so Lambda never turns a handler error into a 502.
pub async fn respond<H, F, E>(request: Request, handler: H) -> Result<Response<Body>, Infallible>
where
    H: FnOnce(Request, Invocation) -> F,
    F: Future<Output = Result<Response<Body>, E>>,
    E: Problem,
{
    let invocation = Invocation::of(&request);
    let span = ::tracing::info_span!(
        "request",
        request_id = invocation.lambda_request_id.as_deref(),
        api_request_id = invocation.api_request_id.as_deref(),
        correlation_id = invocation.correlation_id.as_str(),
        method = request.method().as_str(),
        path = request.uri().path(),
    );
    let correlation_id = invocation.correlation_id.clone();
    async move {
        let started = Instant::now();
        let mut response = match handler(request, invocation).await {
            Ok(response) => response,
            Err(error) => {
                log_failure(&error);
                problem_response(&error, &correlation_id)
            }
        };
        response
            .headers_mut()
            .insert(CORRELATION_ID_HEADER, correlation_id.header_value());
        ::tracing::info!(
            status = response.status().as_u16(),
            latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "request handled"
        );
        Ok(response)
    }
    .instrument(span)
    .await
}

fn log_failure(error: &dyn Problem) {
    let status = error.status().as_u16();
    let code = error.log_code();
    let text = error_chain(error);
    if error.status().is_server_error() {
        ::tracing::error!(status, code, error = text, "request failed");
    } else {
        ::tracing::info!(status, code, error = text, "request refused");
    }
}

/// The error's message followed by each of its sources, as `outer: inner: root`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuntimeError;
    use crate::settings::LogLevel;
    use crate::tracing::json_subscriber;
    use crate::tracing::tests::{CapturedLogs, LOG_CAPTURE};
    use ::tracing::instrument::WithSubscriber;
    use lambda_http::http::{self, StatusCode};

    fn request(correlation: Option<&str>) -> Request {
        let mut builder = http::Request::builder()
            .method("POST")
            .uri("/datasets?token=secret-query");
        if let Some(id) = correlation {
            builder = builder.header("X-Correlation-Id", id);
        }
        builder
            .body(Body::Text(r#"{"password":"hunter2"}"#.into()))
            .unwrap()
    }

    async fn ok_handler(
        _: Request,
        invocation: Invocation,
    ) -> Result<Response<Body>, RuntimeError> {
        crate::http::json_response(StatusCode::OK, &invocation.correlation_id.as_str())
    }

    async fn failing_handler(_: Request, _: Invocation) -> Result<Response<Body>, RuntimeError> {
        Err(RuntimeError::MalformedSetting {
            var: "IDA_LOG_LEVEL",
            reason: "internal words".into(),
        })
    }

    #[tokio::test]
    async fn success_carries_the_callers_correlation_id() {
        let _serial = LOG_CAPTURE.lock().await;
        let response = respond(request(Some("abc-123")), ok_handler).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CORRELATION_ID_HEADER], "abc-123");
        assert_eq!(response.body().as_ref(), br#""abc-123""#);
    }

    #[tokio::test]
    async fn failure_becomes_a_problem_with_the_generated_correlation_id() {
        let _serial = LOG_CAPTURE.lock().await;
        let response = respond(request(None), failing_handler).await.unwrap();
        let id = response.headers()[CORRELATION_ID_HEADER]
            .to_str()
            .unwrap()
            .to_owned();
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["correlation_id"], id.as_str());
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        assert!(
            !String::from_utf8(response.body().to_vec())
                .unwrap()
                .contains("internal words")
        );
    }

    #[tokio::test]
    async fn logs_name_the_request_and_the_error_but_never_the_body_or_query() {
        let _serial = LOG_CAPTURE.lock().await;
        let logs = CapturedLogs::default();
        let dispatch = tracing::Dispatch::new(json_subscriber(LogLevel::default(), logs.clone()));
        // The dispatcher is registered now: recompute which call sites it wants, whatever
        // another test thread cached for them before.
        tracing::callsite::rebuild_interest_cache();
        respond(request(Some("corr-9")), failing_handler)
            .with_subscriber(dispatch)
            .await
            .unwrap();
        let lines = logs.lines();
        let all = serde_json::to_string(&lines).unwrap();
        assert_eq!(lines.len(), 2, "{all}");
        assert_eq!(lines[0]["message"], "request failed");
        assert_eq!(lines[0]["code"], "malformed_setting");
        assert!(
            lines[0]["error"]
                .as_str()
                .unwrap()
                .contains("internal words")
        );
        assert_eq!(lines[1]["message"], "request handled");
        assert_eq!(lines[1]["status"], 500);
        for line in &lines {
            assert_eq!(line["span"]["correlation_id"], "corr-9");
            assert_eq!(line["span"]["method"], "POST");
            assert_eq!(line["span"]["path"], "/datasets");
        }
        assert!(
            !all.contains("hunter2") && !all.contains("secret-query"),
            "{all}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn the_response_header_and_problem_body_always_carry_the_same_safe_id(
            header in "[ -~]{0,150}",
        ) {
            let _serial = LOG_CAPTURE.blocking_lock();
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let mut builder = http::Request::builder().uri("/health");
            if let Ok(value) = http::HeaderValue::from_str(&header) {
                builder = builder.header(CORRELATION_ID_HEADER, value);
            }
            let response = runtime
                .block_on(respond(builder.body(Body::Empty).unwrap(), failing_handler))
                .unwrap();
            let id = response.headers()[CORRELATION_ID_HEADER].to_str().unwrap().to_owned();
            let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
            proptest::prop_assert_eq!(body["correlation_id"].as_str(), Some(id.as_str()));
            proptest::prop_assert!(CorrelationId::parse(&id).is_some());
            if CorrelationId::parse(&header).is_some() {
                proptest::prop_assert_eq!(id, header);
            }
        }
    }

    #[test]
    fn error_chain_lists_every_source() {
        let io = std::io::Error::other("disk full");
        let error = RuntimeError::ResponseBody(serde_json::Error::io(io));
        assert_eq!(
            error_chain(&error),
            "response body could not be serialised: disk full: disk full"
        );
    }
}
