//! Tests of the merged document and of `GET /openapi.json` called as API Gateway would.

mod document;
mod get_openapi;
