//! A typed HTTP client of the REST API as an outside caller sees it: one `Api` per signed-in
//! user, raw requests returning status, headers and JSON, and the few user stories the
//! end-to-end tests repeat (register, invite, set the policy, upload a file, wait for its job).

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use reqwest::Method;
use serde_json::{Value, json};

/// How often a waiting test asks again.
const POLL_INTERVAL: Duration = Duration::from_millis(150);

/// The password every user of these tests gets (long enough for the password rules).
pub const PASSWORD: &str = "correct horse battery staple";

/// One answer of the API.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The JSON body, or `Null` when there was none.
    pub body: Value,
}

impl Reply {
    /// The body's field `name` as text (empty when absent).
    pub fn text(&self, name: &str) -> String {
        self.body[name].as_str().unwrap_or_default().to_owned()
    }

    /// A header's value as text (empty when absent).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// Fails with the whole answer unless the status is `expected`.
    pub fn expect_status(self, expected: u16) -> anyhow::Result<Reply> {
        ensure!(
            self.status == expected,
            "expected {expected}, got {}: {}",
            self.status,
            self.body
        );
        Ok(self)
    }
}

/// A caller of the API, signed in or not.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base_url: String,
    token: Option<String>,
    api_key: Option<String>,
    /// The signed-in user's id (empty when anonymous).
    pub user_id: String,
    /// The signed-in user's tenant (empty when anonymous).
    pub tenant_id: String,
}

impl Api {
    /// An anonymous caller of the host at `base_url`.
    pub fn anonymous(base_url: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: None,
            api_key: None,
            user_id: String::new(),
            tenant_id: String::new(),
        }
    }

    /// Registers a new tenant with a fresh owner and signs the owner in.
    pub async fn register_tenant(base_url: &str, name: &str) -> anyhow::Result<Api> {
        let anonymous = Api::anonymous(base_url);
        let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
        let registered = anonymous
            .call(
                Method::POST,
                "/auth/register",
                Some(json!({"tenant_name": name, "email": email, "password": PASSWORD})),
            )
            .await?
            .expect_status(201)?;
        let mut owner = anonymous.login(&email, PASSWORD).await?;
        owner.user_id = registered.text("user_id");
        owner.tenant_id = registered.text("tenant_id");
        Ok(owner)
    }

    /// Signs in with a password; the returned caller carries the access token.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<Api> {
        let tokens = self
            .call(
                Method::POST,
                "/auth/login",
                Some(json!({"email": email, "password": password})),
            )
            .await?
            .expect_status(200)?;
        let token = tokens.text("access_token");
        ensure!(
            !token.is_empty(),
            "login gave no access token: {}",
            tokens.body
        );
        Ok(Api {
            http: self.http.clone(),
            base_url: self.base_url.clone(),
            token: Some(token),
            api_key: None,
            user_id: String::new(),
            tenant_id: self.tenant_id.clone(),
        })
    }

    /// Invites a user of `role` ("VIEWER", "ADMIN", ...) and signs them in with the one-time
    /// password, which activates the account.
    pub async fn invite(&self, role: &str) -> anyhow::Result<Api> {
        let email = format!(
            "{}-{}@example.com",
            role.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let invited = self
            .post("/users", json!({"email": email, "role": role}))
            .await?
            .expect_status(201)?;
        let password = invited.text("one_time_password");
        let mut user = self.login(&email, &password).await?;
        user.user_id = invited.body["user"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        user.tenant_id = self.tenant_id.clone();
        Ok(user)
    }

    /// A caller of the same host that authenticates with an API key (`ida_<keyid>_<secret>`).
    pub fn with_api_key(&self, key: &str) -> Api {
        Api {
            http: self.http.clone(),
            base_url: self.base_url.clone(),
            token: None,
            api_key: Some(key.to_owned()),
            user_id: String::new(),
            tenant_id: self.tenant_id.clone(),
        }
    }

    /// Sends one request with an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        self.call_with(method, path, body, &[]).await
    }

    /// Sends one request with an optional JSON body and extra headers.
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Reply> {
        let url = format!("{}{path}", self.base_url);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(key) = &self.api_key {
            request = request.header("x-api-key", key);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.call(Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Replaces the tenant's approval policy (reading the ETag first, as the route asks).
    pub async fn set_policy(&self, approval_mode: &str, four_eyes: bool) -> anyhow::Result<()> {
        let tenant = self.get("/tenant").await?.expect_status(200)?;
        let etag = tenant.header("etag");
        self.call_with(
            Method::PUT,
            "/tenant/policy",
            Some(json!({
                "approval_mode": approval_mode,
                "four_eyes": four_eyes,
                "malware_scan_required": false,
            })),
            &[("if-match", &etag)],
        )
        .await?
        .expect_status(200)?;
        Ok(())
    }

    /// Creates a project and returns its id.
    pub async fn create_project(&self, name: &str) -> anyhow::Result<String> {
        let project = self
            .post("/projects", json!({"name": name}))
            .await?
            .expect_status(201)?;
        Ok(project.text("id"))
    }

    /// Asks for an upload and PUTs `bytes` to the presigned URL with the headers it came with;
    /// returns the upload ticket.
    pub async fn upload(
        &self,
        project_id: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> anyhow::Result<Value> {
        let ticket = self
            .post(
                "/uploads",
                json!({
                    "project_id": project_id,
                    "filename": filename,
                    "content_type": content_type,
                    "size_bytes": bytes.len(),
                    "dataset_name": filename,
                }),
            )
            .await?
            .expect_status(201)?;
        let mut put = self.http.put(ticket.text("upload_url"));
        if let Some(headers) = ticket.body["upload_headers"].as_object() {
            for (name, value) in headers {
                put = put.header(name.as_str(), value.as_str().unwrap_or_default());
            }
        }
        let stored = put.body(bytes.to_vec()).send().await?;
        let status = stored.status().as_u16();
        ensure!(
            status == 200,
            "the presigned PUT answered {status}: {}",
            stored.text().await?
        );
        Ok(ticket.body)
    }

    /// The job of an upload, once one exists: the upload names it, the job route tells it.
    pub async fn job_of_upload(&self, upload_id: &str) -> anyhow::Result<Option<Value>> {
        let upload = self
            .get(&format!("/uploads/{upload_id}"))
            .await?
            .expect_status(200)?;
        let Some(job_id) = upload.body["job"]["job_id"].as_str() else {
            return Ok(None);
        };
        let job = self
            .get(&format!("/jobs/{job_id}"))
            .await?
            .expect_status(200)?;
        Ok(Some(job.body))
    }

    /// Polls the upload's job until its status is one of `statuses`; fails on a deadline or on
    /// a status that ends the job otherwise.
    pub async fn wait_for_job(
        &self,
        upload_id: &str,
        statuses: &[&str],
        deadline: Duration,
    ) -> anyhow::Result<Value> {
        let until = Instant::now() + deadline;
        let mut last = Value::Null;
        while Instant::now() < until {
            if let Some(job) = self.job_of_upload(upload_id).await? {
                let status = job["status"].as_str().unwrap_or_default();
                if statuses.contains(&status) {
                    return Ok(job);
                }
                if ["SUCCEEDED", "FAILED", "CANCELLED", "REJECTED"].contains(&status) {
                    bail!("the job ended {status}, not in {statuses:?}: {job}");
                }
                last = job;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        bail!("no job of {upload_id} reached {statuses:?} in {deadline:?}; last seen: {last}")
    }

    /// Downloads a presigned link's bytes.
    pub async fn download(&self, url: &str) -> anyhow::Result<Vec<u8>> {
        let response = self.http.get(url).send().await?;
        let status = response.status().as_u16();
        ensure!(status == 200, "GET of a presigned link answered {status}");
        Ok(response.bytes().await?.to_vec())
    }
}
