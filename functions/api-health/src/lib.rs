//! `GET /health`: the build version and a live check of the records table and the artifacts
//! bucket, each with its status and latency; 200 when all answer, 503 otherwise.
