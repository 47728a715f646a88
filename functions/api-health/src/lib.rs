//! `GET /health`: the build version and a live check of the records table and the artifacts
//! bucket, each with its status and latency; 200 when all answer, 503 otherwise.
//!
//! The logic depends only on the [`DependencyCheck`] port; [`RecordsTableCheck`] and
//! [`ArtifactsBucketCheck`] are its real DynamoDB and S3 adapters. The route is public, so the
//! body names dependencies and stable reason codes but never resource names or SDK messages.

mod artifacts_bucket;
mod check;
mod error;
mod records_table;
mod report;
mod settings;

pub use artifacts_bucket::ArtifactsBucketCheck;
pub use check::{CheckOutcome, DependencyCheck, run_checks};
pub use error::ProbeError;
pub use records_table::RecordsTableCheck;
pub use report::{DependencyReport, HealthReport, Status};
pub use settings::HealthSettings;

use ida_runtime::function::{Access, FunctionSpec, HostedRoute, Trigger};
use ida_runtime::http::{json_response, respond};
use ida_runtime::settings::Settings;
use lambda_http::http::header::CACHE_CONTROL;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// Time each dependency gets to answer: well inside the function's 10 s timeout even when every
/// check runs out, and long enough for a cold SDK connection.
pub const DEFAULT_CHECK_BUDGET: Duration = Duration::from_secs(3);

/// The handler's state, built once per cold start: the checks to run and their time budget.
pub struct Health {
    checks: Vec<Box<dyn DependencyCheck>>,
    budget: Duration,
}

impl Health {
    /// Runs `checks`, each within [`DEFAULT_CHECK_BUDGET`].
    pub fn new(checks: Vec<Box<dyn DependencyCheck>>) -> Self {
        Self {
            checks,
            budget: DEFAULT_CHECK_BUDGET,
        }
    }

    /// The real checks: DescribeTable on the records table, HeadBucket on the artifacts bucket.
    /// It takes the two clients rather than a whole client set so tests can hand it the
    /// emulators' clients from `ida-local`.
    pub fn on_aws(
        dynamodb: &aws_sdk_dynamodb::Client,
        s3: &aws_sdk_s3::Client,
        settings: &HealthSettings,
    ) -> Self {
        Self::new(vec![
            Box::new(RecordsTableCheck::new(
                dynamodb.clone(),
                settings.records_table.clone(),
            )),
            Box::new(ArtifactsBucketCheck::new(
                s3.clone(),
                settings.artifacts_bucket.clone(),
            )),
        ])
    }

    /// The same checks with another time budget each.
    pub fn with_budget(self, budget: Duration) -> Self {
        Self { budget, ..self }
    }

    /// Probes every dependency now and reports.
    pub async fn report(&self) -> HealthReport {
        HealthReport::from_outcomes(&run_checks(&self.checks, self.budget).await)
    }
}

/// `GET /health`: public, served by the `health-get` binary.
pub static GET_HEALTH: FunctionSpec = FunctionSpec {
    binary: "health-get",
    trigger: Trigger::Route {
        method: "GET",
        path: "/health",
        access: Access::Public,
    },
    settings: |lookup| HealthSettings::from_lookup(lookup).map(drop),
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&GET_HEALTH];

/// The routes of this crate bound to `health`, for the local host.
pub fn routes(health: Arc<Health>) -> Vec<HostedRoute> {
    vec![HostedRoute::new(
        &GET_HEALTH,
        health,
        |health, request| async move { get_health(&health, request).await },
    )]
}

/// Handles `GET /health`: 200 with the report when every dependency is up, 503 otherwise.
pub async fn get_health(health: &Health, request: Request) -> Result<Response<Body>, Infallible> {
    respond(request, |_, _| async {
        let report = health.report().await;
        let status = match report.status {
            Status::Up => StatusCode::OK,
            Status::Down => StatusCode::SERVICE_UNAVAILABLE,
        };
        let mut response = json_response(status, &report)?;
        // A cached "up" would hide an outage from the load balancer or monitor asking.
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok::<_, ida_runtime::RuntimeError>(response)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::future::BoxFuture;
    use ida_runtime::http::CORRELATION_ID_HEADER;
    use serde_json::{Value, json};

    /// What a fake dependency answers.
    type Answer = fn() -> Result<(), ProbeError>;

    /// A dependency whose answer and delay the test chooses.
    struct FakeDependency {
        name: &'static str,
        delay: Duration,
        answer: Answer,
    }

    impl FakeDependency {
        fn up(name: &'static str) -> Box<dyn DependencyCheck> {
            Box::new(Self {
                name,
                delay: Duration::ZERO,
                answer: || Ok(()),
            })
        }

        fn failing(name: &'static str, answer: Answer) -> Box<dyn DependencyCheck> {
            Box::new(Self {
                name,
                delay: Duration::ZERO,
                answer,
            })
        }

        fn slow(name: &'static str, delay: Duration) -> Box<dyn DependencyCheck> {
            Box::new(Self {
                name,
                delay,
                answer: || Ok(()),
            })
        }
    }

    impl DependencyCheck for FakeDependency {
        fn name(&self) -> &'static str {
            self.name
        }

        fn probe(&self) -> BoxFuture<'_, Result<(), ProbeError>> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                (self.answer)()
            })
        }
    }

    fn event() -> Request {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/api-health/get-health.json"
        ));
        lambda_http::request::from_str(text).unwrap()
    }

    async fn call(health: &Health) -> (StatusCode, Value, Response<Body>) {
        let response = get_health(health, event()).await.unwrap();
        let body = serde_json::from_slice(response.body().as_ref()).unwrap();
        (response.status(), body, response)
    }

    #[test]
    fn the_sample_event_is_a_get_of_health_through_api_gateway() {
        use lambda_http::RequestExt;
        let request = event();
        assert_eq!(request.method(), "GET");
        assert_eq!(request.raw_http_path(), "/health");
        // lambda_http puts the stage back into the URI the client called.
        assert_eq!(request.uri().path(), "/v1/health");
        let invocation = ida_runtime::http::Invocation::of(&request);
        assert_eq!(
            invocation.api_request_id.as_deref(),
            Some("5b1f0c2e-8d4a-4f3b-9e6c-2a7d1b8c0f93")
        );
        assert_eq!(
            invocation.correlation_id.as_str(),
            "health-probe-20261125-0001"
        );
    }

    #[tokio::test]
    async fn all_up_is_200_with_version_and_each_dependency() {
        let health = Health::new(vec![
            FakeDependency::up("records_table"),
            FakeDependency::up("artifacts_bucket"),
        ]);
        let (status, body, response) = call(&health).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "up");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(body["dependencies"]["records_table"]["status"], "up");
        assert_eq!(body["dependencies"]["artifacts_bucket"]["status"], "up");
        assert!(body["dependencies"]["records_table"]["latency_ms"].is_u64());
        assert!(
            body["dependencies"]["records_table"]
                .get("reason")
                .is_none()
        );
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(
            response.headers()[CORRELATION_ID_HEADER],
            "health-probe-20261125-0001"
        );
    }

    #[tokio::test]
    async fn one_dependency_down_is_503_naming_it_and_its_reason_only() {
        let health = Health::new(vec![
            FakeDependency::failing("records_table", || {
                Err(ProbeError::NotFound(
                    "Requested resource not found: Table: ida-secret-name".into(),
                ))
            }),
            FakeDependency::up("artifacts_bucket"),
        ]);
        let (status, body, response) = call(&health).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], "down");
        assert_eq!(
            body["dependencies"]["records_table"],
            json!({"status": "down", "reason": "not_found", "latency_ms": body["dependencies"]["records_table"]["latency_ms"]})
        );
        assert_eq!(body["dependencies"]["artifacts_bucket"]["status"], "up");
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        assert!(!text.contains("ida-secret-name"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_dependency_times_out_without_delaying_the_others() {
        let budget = Duration::from_millis(500);
        let health = Health::new(vec![
            FakeDependency::slow("records_table", Duration::from_secs(60)),
            FakeDependency::slow("artifacts_bucket", Duration::from_millis(100)),
        ])
        .with_budget(budget);
        let started = tokio::time::Instant::now();
        let (status, body, _) = call(&health).await;
        assert_eq!(started.elapsed(), budget);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["dependencies"]["records_table"]["reason"], "timed_out");
        assert_eq!(body["dependencies"]["artifacts_bucket"]["status"], "up");
    }

    #[tokio::test(start_paused = true)]
    async fn checks_run_concurrently() {
        let health = Health::new(vec![
            FakeDependency::slow("records_table", Duration::from_millis(400)),
            FakeDependency::slow("artifacts_bucket", Duration::from_millis(400)),
        ]);
        let started = tokio::time::Instant::now();
        let report = health.report().await;
        assert_eq!(started.elapsed(), Duration::from_millis(400));
        assert_eq!(report.status, Status::Up);
    }

    #[tokio::test]
    async fn every_failure_kind_reports_its_stable_reason() {
        let cases: [(Answer, &str); 5] = [
            (
                || Err(ProbeError::AccessDenied("x".into())),
                "access_denied",
            ),
            (|| Err(ProbeError::NotReady("x".into())), "not_ready"),
            (|| Err(ProbeError::Unreachable("x".into())), "unreachable"),
            (
                || Err(ProbeError::Unexpected("x".into())),
                "unexpected_answer",
            ),
            (|| Err(ProbeError::NotFound("x".into())), "not_found"),
        ];
        for (answer, reason) in cases {
            let health = Health::new(vec![FakeDependency::failing("artifacts_bucket", answer)]);
            let (status, body, _) = call(&health).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(body["dependencies"]["artifacts_bucket"]["reason"], reason);
        }
    }

    #[tokio::test]
    async fn no_dependencies_means_up() {
        let (status, body, _) = call(&Health::new(Vec::new())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["dependencies"], json!({}));
    }
}
