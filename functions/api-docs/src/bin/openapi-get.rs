//! Lambda entry point of `GET /openapi.json`: merges the document once per cold start, then
//! serves every invocation with [`api_docs::get_openapi`].

use api_docs::{ApiDocs, get_openapi};
use ida_runtime::settings::LogLevel;
use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let docs = ApiDocs::build().inspect_err(|error| {
        tracing::error!(code = error.code(), %error, "cold start failed");
    })?;
    lambda_http::run(service_fn(|request| get_openapi(&docs, request))).await
}
