//! `GET /openapi.json` through an API Gateway event.

use api_docs::{ApiDocs, get_openapi};
use ida_runtime::http::GatewayRequest;
use lambda_http::http::StatusCode;

async fn call(
    docs: &ApiDocs,
    if_none_match: Option<&str>,
) -> anyhow::Result<lambda_http::Response<lambda_http::Body>> {
    let mut request =
        GatewayRequest::to_route("GET", "/openapi.json").header("X-Correlation-Id", "docs-1");
    if let Some(tag) = if_none_match {
        request = request.header("If-None-Match", tag);
    }
    Ok(get_openapi(docs, request.into_request()?).await?)
}

#[tokio::test]
async fn the_document_is_served_with_etag_cache_control_and_correlation_id() -> anyhow::Result<()> {
    let docs = ApiDocs::build()?;
    let response = call(&docs, None).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    assert_eq!(response.headers()["x-correlation-id"], "docs-1");
    let body: serde_json::Value = serde_json::from_slice(response.body().as_ref())?;
    assert_eq!(body["paths"]["/health"]["get"]["operationId"], "health-get");
    let etag = response.headers()["etag"].to_str()?.to_owned();

    let again = call(&docs, Some(&etag)).await?;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.body().is_empty());
    assert_eq!(again.headers()["etag"], etag.as_str());

    let changed = call(&docs, Some("\"another\"")).await?;
    assert_eq!(changed.status(), StatusCode::OK);
    Ok(())
}
