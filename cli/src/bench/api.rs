//! `ida bench --api`: latency of the REST API through the local host under concurrent clients
//! spread over several tenants, and the wall time from a presigned upload to a profiled dataset.
//!
//! Each tenant is registered and logged in through the API itself; password hashing (register,
//! login) is timed apart because it is slow on purpose. The load is closed-loop: every client
//! sends its next request when the previous answer arrived, for a fixed duration, so the figures
//! are the latency a client sees at that concurrency, not under an open arrival rate.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::{Client, Method, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};

/// How the API benchmark runs.
#[derive(Debug, Clone)]
pub struct ApiLoad {
    /// Concurrent clients.
    pub clients: usize,
    /// Tenants the clients are spread over.
    pub tenants: usize,
    /// How long the load runs.
    pub duration: Duration,
}

/// A route class whose latency is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    /// A request that only reads.
    Read,
    /// A request that writes records but moves no data.
    Write,
    /// Register and login, which hash passwords on purpose.
    PasswordHashing,
}

/// Latencies of one route.
#[derive(Debug, Clone, Serialize)]
pub struct RouteLatency {
    /// `GET /projects`, ...
    pub route: String,
    /// Its class.
    pub kind: RouteKind,
    /// Answers received.
    pub requests: usize,
    /// Answers that were not 2xx (counted, their latency included).
    pub non_success: usize,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 95th percentile latency in milliseconds.
    pub p95_ms: f64,
}

/// Nearest-rank percentile of sorted samples, `q` in 0..=100.
pub fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// What one client measured: per route, the latencies and the non-2xx count.
#[derive(Debug, Default)]
struct Samples {
    routes: BTreeMap<(RouteKind, String), (Vec<Duration>, usize)>,
}

impl Samples {
    fn record(&mut self, kind: RouteKind, route: &str, elapsed: Duration, success: bool) {
        let entry = self.routes.entry((kind, route.to_owned())).or_default();
        entry.0.push(elapsed);
        if !success {
            entry.1 += 1;
        }
    }

    fn merge(&mut self, other: Samples) {
        for (key, (latencies, failures)) in other.routes {
            let entry = self.routes.entry(key).or_default();
            entry.0.extend(latencies);
            entry.1 += failures;
        }
    }

    fn summarise(self) -> Vec<RouteLatency> {
        self.routes
            .into_iter()
            .map(|((kind, route), (mut latencies, non_success))| {
                latencies.sort_unstable();
                let ms = |q| percentile(&latencies, q).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
                RouteLatency {
                    route,
                    kind,
                    requests: latencies.len(),
                    non_success,
                    p50_ms: ms(50.0),
                    p95_ms: ms(95.0),
                }
            })
            .collect()
    }
}

/// An API client bound to a base URL, with one tenant's access token once logged in.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: Client,
    base: String,
    token: Option<String>,
}

/// One answer: status, body as JSON (Null when empty or not JSON), the ETag header.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: StatusCode,
    /// Parsed body.
    pub body: Value,
    /// The ETag, if any.
    pub etag: Option<String>,
}

impl ApiClient {
    /// A client for the API at `base` (`http://127.0.0.1:8080`).
    pub fn new(http: Client, base: &str) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: None,
        }
    }

    /// The same client sending `token` as its bearer token.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// Sends one request and reads the whole answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Answer> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .with_context(|| format!("reading the answer of {method} {path}"))?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, body, etag })
    }

    /// Sends one request and fails unless the status is `expected`.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        expected: StatusCode,
    ) -> Result<Answer> {
        let answer = self.send(method.clone(), path, body, &[]).await?;
        if answer.status != expected {
            bail!(
                "{method} {path}: expected {expected}, got {} {}",
                answer.status,
                answer.body
            );
        }
        Ok(answer)
    }
}

/// A tenant set up for the load: its logged-in client and its projects.
#[derive(Debug, Clone)]
struct LoadTenant {
    client: ApiClient,
    projects: Vec<String>,
    /// A dataset the load's uploads add versions to (a new dataset per upload would run into
    /// the plan's dataset quota, which is not what is measured).
    dataset: String,
}

const PASSWORD: &str = "bench-Password-2026!";

/// Registers and logs in one tenant, timing both.
async fn register_tenant(
    anonymous: &ApiClient,
    label: &str,
    samples: &mut Samples,
) -> Result<ApiClient> {
    let email = format!("owner-{label}-{}@bench.example.com", uuid_suffix());
    let started = Instant::now();
    anonymous
        .expect(
            Method::POST,
            "/auth/register",
            Some(&json!({"tenant_name": format!("bench {label}"), "email": email, "password": PASSWORD})),
            StatusCode::CREATED,
        )
        .await?;
    samples.record(
        RouteKind::PasswordHashing,
        "POST /auth/register",
        started.elapsed(),
        true,
    );
    let started = Instant::now();
    let login = anonymous
        .expect(
            Method::POST,
            "/auth/login",
            Some(&json!({"email": email, "password": PASSWORD})),
            StatusCode::OK,
        )
        .await?;
    samples.record(
        RouteKind::PasswordHashing,
        "POST /auth/login",
        started.elapsed(),
        true,
    );
    let token = login
        .body
        .pointer("/access_token")
        .and_then(Value::as_str)
        .context("login answered without access_token")?;
    Ok(anonymous.with_token(token))
}

fn uuid_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}")
}

async fn set_up_tenant(
    anonymous: &ApiClient,
    label: &str,
    samples: &mut Samples,
) -> Result<LoadTenant> {
    let client = register_tenant(anonymous, label, samples).await?;
    let mut projects = Vec::new();
    for n in 0..3 {
        let created = client
            .expect(
                Method::POST,
                "/projects",
                Some(&json!({"name": format!("bench project {n}")})),
                StatusCode::CREATED,
            )
            .await?;
        let id = created
            .body
            .pointer("/id")
            .and_then(Value::as_str)
            .or_else(|| created.body.pointer("/project_id").and_then(Value::as_str))
            .context("project created without id")?;
        projects.push(id.to_owned());
    }
    let first = projects.first().context("no project")?;
    let upload = client
        .expect(
            Method::POST,
            "/uploads",
            Some(&json!({
                "project_id": first,
                "filename": "sample.csv",
                "content_type": "text/csv",
                "size_bytes": 1024,
                "dataset_name": "bench dataset",
            })),
            StatusCode::CREATED,
        )
        .await?;
    let dataset = upload
        .body
        .pointer("/dataset_id")
        .and_then(Value::as_str)
        .context("upload answered without dataset_id")?
        .to_owned();
    Ok(LoadTenant {
        client,
        projects,
        dataset,
    })
}

/// One client's closed loop until `deadline`.
async fn client_loop(tenant: LoadTenant, client_no: usize, deadline: Instant) -> Result<Samples> {
    let mut samples = Samples::default();
    let project = tenant
        .projects
        .get(client_no % tenant.projects.len().max(1))
        .context("tenant has no project")?
        .clone();
    let mut step = client_no;
    while Instant::now() < deadline {
        let started = Instant::now();
        let (kind, route, answer) = match step % 6 {
            0 => (
                RouteKind::Read,
                "GET /projects",
                tenant
                    .client
                    .send(Method::GET, "/projects?limit=20", None, &[])
                    .await?,
            ),
            1 => (
                RouteKind::Read,
                "GET /projects/{project_id}",
                tenant
                    .client
                    .send(Method::GET, &format!("/projects/{project}"), None, &[])
                    .await?,
            ),
            2 => (
                RouteKind::Read,
                "GET /jobs",
                tenant
                    .client
                    .send(Method::GET, "/jobs?limit=20", None, &[])
                    .await?,
            ),
            3 => (
                RouteKind::Read,
                "GET /audit",
                tenant
                    .client
                    .send(Method::GET, "/audit?limit=20", None, &[])
                    .await?,
            ),
            4 => {
                let key = format!("bench-{client_no}-{step}");
                (
                    RouteKind::Write,
                    "POST /uploads",
                    tenant
                        .client
                        .send(
                            Method::POST,
                            "/uploads",
                            Some(&json!({
                                "project_id": tenant.projects.first(),
                                "filename": "sample.csv",
                                "content_type": "text/csv",
                                "size_bytes": 1024,
                                "dataset_id": tenant.dataset,
                            })),
                            &[("Idempotency-Key", key.as_str())],
                        )
                        .await?,
                )
            }
            _ => {
                let current = tenant
                    .client
                    .send(Method::GET, &format!("/projects/{project}"), None, &[])
                    .await?;
                let etag = current.etag.unwrap_or_default();
                let started = Instant::now();
                let answer = tenant
                    .client
                    .send(
                        Method::PATCH,
                        &format!("/projects/{project}"),
                        Some(&json!({"name": format!("bench project {client_no}.{step}")})),
                        &[("If-Match", etag.as_str())],
                    )
                    .await?;
                samples.record(
                    RouteKind::Write,
                    "PATCH /projects/{project_id}",
                    started.elapsed(),
                    answer.status.is_success(),
                );
                step += 1;
                continue;
            }
        };
        samples.record(kind, route, started.elapsed(), answer.status.is_success());
        step += 1;
    }
    Ok(samples)
}

/// Runs the load against the API at `base` and returns the latency of every route.
pub async fn run_load(base: &str, load: &ApiLoad) -> Result<Vec<RouteLatency>> {
    if load.tenants == 0 || load.clients == 0 {
        bail!("--api-clients and --api-tenants must be at least 1");
    }
    let http = Client::builder()
        .pool_max_idle_per_host(load.clients)
        .build()
        .context("building the HTTP client")?;
    let anonymous = ApiClient::new(http, base);
    let mut samples = Samples::default();
    let mut tenants = Vec::new();
    for n in 0..load.tenants {
        tenants.push(set_up_tenant(&anonymous, &format!("t{n}"), &mut samples).await?);
    }
    let deadline = Instant::now() + load.duration;
    let mut tasks = Vec::new();
    for client_no in 0..load.clients {
        let tenant = tenants
            .get(client_no % tenants.len())
            .context("no tenant")?
            .clone();
        tasks.push(tokio::spawn(client_loop(tenant, client_no, deadline)));
    }
    for task in tasks {
        samples.merge(task.await.context("a client task stopped")??);
    }
    Ok(samples.summarise())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<Duration> = (1..=20).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(10)));
        assert_eq!(percentile(&sorted, 95.0), Some(Duration::from_millis(19)));
        assert_eq!(percentile(&sorted, 100.0), Some(Duration::from_millis(20)));
        assert_eq!(percentile(&[], 50.0), None);
    }
}

/// Wall time of one upload through the pipeline, from the first byte of the PUT to the moment
/// the job shows the Profile stage finished.
#[derive(Debug, Clone, Serialize)]
pub struct UploadTiming {
    /// Bytes uploaded.
    pub bytes: u64,
    /// Seconds from the start of the PUT to the profiled dataset.
    pub upload_to_profiled_s: f64,
    /// Seconds the presigned PUT took.
    pub put_s: f64,
    /// Seconds per stage as the job records them (parse, profile), from its stage runs.
    pub stages: BTreeMap<String, f64>,
}

/// How often the job is polled while waiting for the pipeline.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Longest wait for the pipeline before the benchmark gives up.
const PIPELINE_DEADLINE: Duration = Duration::from_secs(600);

/// Uploads `file` as a new dataset through the API at `base` and times it to a profiled dataset.
pub async fn time_upload(base: &str, file: &std::path::Path) -> Result<UploadTiming> {
    let http = Client::builder()
        .build()
        .context("building the HTTP client")?;
    let anonymous = ApiClient::new(http.clone(), base);
    let mut ignored = Samples::default();
    let tenant = set_up_tenant(&anonymous, "upload", &mut ignored).await?;
    let bytes = tokio::fs::read(file)
        .await
        .with_context(|| format!("reading {}", file.display()))?;
    let size = u64::try_from(bytes.len()).context("file size")?;
    let project = tenant.projects.first().context("no project")?;
    let ticket = tenant
        .client
        .expect(
            Method::POST,
            "/uploads",
            Some(&json!({
                "project_id": project,
                "filename": file.file_name().and_then(|n| n.to_str()).unwrap_or("bench.csv"),
                "content_type": "text/csv",
                "size_bytes": size,
                "dataset_name": "bench upload",
            })),
            StatusCode::CREATED,
        )
        .await?;
    let url = ticket
        .body
        .pointer("/upload_url")
        .and_then(Value::as_str)
        .context("upload answered without upload_url")?;
    let upload = ticket
        .body
        .pointer("/upload_id")
        .and_then(Value::as_str)
        .context("upload answered without upload_id")?
        .to_owned();
    let mut put = http.put(url).body(bytes);
    if let Some(headers) = ticket
        .body
        .pointer("/upload_headers")
        .and_then(Value::as_object)
    {
        for (name, value) in headers {
            if let Some(value) = value.as_str() {
                put = put.header(name.as_str(), value);
            }
        }
    }
    let started = Instant::now();
    let answer = put.send().await.context("PUT to the presigned URL")?;
    let put_s = started.elapsed().as_secs_f64();
    if !answer.status().is_success() {
        bail!("the presigned PUT answered {}", answer.status());
    }
    loop {
        if started.elapsed() > PIPELINE_DEADLINE {
            bail!(
                "no profiled dataset after {} s",
                PIPELINE_DEADLINE.as_secs()
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
        let status = tenant
            .client
            .send(Method::GET, &format!("/uploads/{upload}"), None, &[])
            .await?;
        let Some(job) = status.body.pointer("/job/job_id").and_then(Value::as_str) else {
            continue;
        };
        if let Some(failure) = status
            .body
            .pointer("/job/failure")
            .and_then(Value::as_object)
        {
            bail!("the pipeline failed: {failure:?}");
        }
        let job = tenant
            .client
            .send(Method::GET, &format!("/jobs/{job}"), None, &[])
            .await?;
        let stages = job
            .body
            .pointer("/stages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let finished = |name: &str| {
            stages.iter().any(|stage| {
                stage.pointer("/stage").and_then(Value::as_str) == Some(name)
                    && stage.pointer("/status").and_then(Value::as_str) == Some("SUCCEEDED")
            })
        };
        if finished("PROFILE") {
            let upload_to_profiled_s = started.elapsed().as_secs_f64();
            let mut per_stage = BTreeMap::new();
            for stage in &stages {
                let text = |field: &str| stage.get(field).and_then(Value::as_str);
                let times = text("started_at")
                    .zip(text("finished_at"))
                    .and_then(|(from, to)| rfc3339(from).ok().zip(rfc3339(to).ok()));
                if let (Some(name), Some((from, to))) = (text("stage"), times) {
                    per_stage.insert(name.to_ascii_lowercase(), (to - from).as_seconds_f64());
                }
            }
            return Ok(UploadTiming {
                bytes: size,
                upload_to_profiled_s,
                put_s,
                stages: per_stage,
            });
        }
    }
}

fn rfc3339(text: &str) -> Result<time::OffsetDateTime> {
    Ok(time::OffsetDateTime::parse(
        text,
        &time::format_description::well_known::Rfc3339,
    )?)
}

/// The API benchmark's report.
#[derive(Debug, Clone, Serialize)]
pub struct ApiReport {
    /// Concurrent clients.
    pub clients: usize,
    /// Tenants.
    pub tenants: usize,
    /// Seconds of load.
    pub seconds: u64,
    /// Per route.
    pub routes: Vec<RouteLatency>,
    /// The upload through the pipeline.
    pub upload: UploadTiming,
}

impl ApiReport {
    /// The report as a text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "API through the local host: {} clients over {} tenants for {} s (closed loop)\n\n{:<44} {:>9} {:>8} {:>9} {:>9}\n",
            self.clients,
            self.tenants,
            self.seconds,
            "route",
            "requests",
            "non-2xx",
            "p50 ms",
            "p95 ms"
        );
        for kind in [
            RouteKind::Read,
            RouteKind::Write,
            RouteKind::PasswordHashing,
        ] {
            for route in self.routes.iter().filter(|route| route.kind == kind) {
                let label = match kind {
                    RouteKind::Read => "read",
                    RouteKind::Write => "write",
                    RouteKind::PasswordHashing => "password",
                };
                out.push_str(&format!(
                    "{:<44} {:>9} {:>8} {:>9.1} {:>9.1}\n",
                    format!("{} ({label})", route.route),
                    route.requests,
                    route.non_success,
                    route.p50_ms,
                    route.p95_ms
                ));
            }
        }
        out.push_str(&format!(
            "\nupload of {:.1} MB to a profiled dataset: {:.2} s (PUT {:.2} s",
            self.upload.bytes as f64 / 1e6,
            self.upload.upload_to_profiled_s,
            self.upload.put_s
        ));
        for (stage, seconds) in &self.upload.stages {
            out.push_str(&format!(", {stage} {seconds:.2} s"));
        }
        out.push_str(")\n");
        out
    }
}
