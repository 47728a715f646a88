//! IDA's records and artifacts: the DynamoDB single table and the S3 artifacts bucket.
//!
//! Every call is scoped by a tenant taken from a verified principal; no method accepts a tenant id
//! from request data.
