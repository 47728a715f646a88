//! Reading what a job request names: path ids, list filters, the store's page and the audit
//! context of a write.

use ida_core::Principal;
use ida_core::id::{CorrelationId, DatasetId, JobId};
use ida_core::job::{Job, JobStatus};
use ida_runtime::RuntimeError;
use ida_runtime::http::{Invocation, PageRequest};
use ida_store::WriteContext;
use lambda_http::{Request, RequestExt};
use time::OffsetDateTime;

/// The `job_id` path parameter. A malformed id names no job, so it is answered like an
/// unknown one.
pub fn job_id(request: &Request) -> Result<JobId, RuntimeError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("job_id"))
        .and_then(|text| JobId::parse(text).ok())
        .ok_or(RuntimeError::NotFound { entity: "job" })
}

/// The filters of `GET /jobs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only jobs with this status.
    pub status: Option<JobStatus>,
    /// Only jobs writing a version of this dataset.
    pub dataset: Option<DatasetId>,
}

impl JobFilter {
    /// Reads `status` and `dataset_id` from the query.
    pub fn from_request(request: &Request) -> Result<Self, RuntimeError> {
        let query = request.query_string_parameters_ref();
        let single = |name: &'static str| query.and_then(|q| q.first(name));
        let status = single("status")
            .map(|text| {
                JobStatus::parse(text).map_err(|_| RuntimeError::InvalidParameter {
                    parameter: "status",
                    reason: "one of QUEUED, RUNNING, AWAITING_APPROVAL, SUCCEEDED, FAILED, \
                             CANCELLED, REJECTED",
                })
            })
            .transpose()?;
        let dataset = single("dataset_id")
            .map(|text| {
                DatasetId::parse(text).map_err(|_| RuntimeError::InvalidParameter {
                    parameter: "dataset_id",
                    reason: "a dataset id (dst_...)",
                })
            })
            .transpose()?;
        Ok(Self { status, dataset })
    }

    /// Whether `job` passes the filter.
    pub fn admits(&self, job: &Job) -> bool {
        self.status.is_none_or(|status| job.status == status)
            && self
                .dataset
                .as_ref()
                .is_none_or(|dataset| &job.dataset == dataset)
    }
}

/// The store's page for the API's page request.
pub fn store_page(page: &PageRequest) -> ida_store::PageRequest {
    ida_store::PageRequest {
        limit: u32::from(page.limit()),
        cursor: page.cursor().map(str::to_owned),
    }
}

/// The audit context of a write by `principal` in this request.
pub fn write_context(principal: &Principal, invocation: &Invocation) -> WriteContext {
    let correlation = CorrelationId::parse(invocation.correlation_id.as_str())
        .unwrap_or_else(|_| CorrelationId::generate());
    WriteContext::for_principal(principal, correlation, OffsetDateTime::now_utc())
}
