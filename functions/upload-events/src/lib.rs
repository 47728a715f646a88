//! `upload-events`: the S3 `ObjectCreated` notifications of the uploads bucket, delivered by
//! SQS. For each object it finds the upload record its key names, checks the bytes (declared
//! size, magic numbers against the declared type, workbook archive limits, the malware scan when
//! the tenant's policy requires one), marks the upload ACCEPTED or REJECTED, creates the job
//! (or finds it), and starts the pipeline execution named after the upload.
//!
//! Everything is idempotent per upload: the job id derives from the upload id, the execution
//! name is the upload id, and Step Functions refuses a second start with that name, so the same
//! S3 event delivered twice makes one job and one execution. A rejected upload is visible as its
//! job FAILED with the check's code, and no execution starts. It never reads more of an object
//! than the checks need, never logs object contents, and never trusts a tenant id from anywhere
//! but the object key of its own uploads bucket (see [`ticket_for`]).

mod checks;
mod error;
mod notification;
mod settings;

pub use checks::{Rejection, SNIFF_BYTES, check_archive, check_format, check_size};
pub use error::UploadEventsError;
pub use notification::{Notification, ObjectCreated, parse as parse_notification};
pub use settings::UploadEventsSettings;

use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use ida_core::StateMachine;
use ida_core::TenantScope;
use ida_core::access::PipelineTicket;
use ida_core::audit::{Actor, AuditAction};
use ida_core::id::{CorrelationId, JobId, UploadId};
use ida_core::job::{Job, JobEvent, JobFailure, JobStatus, Stage};
use ida_core::pipeline::{ExecutionInput, upload_execution_name};
use ida_core::upload::{FileFormat, ScanEvent, ScanStatus, Upload, UploadEvent, UploadStatus};
use ida_runtime::aws::AwsClients;
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::pipeline_settings::StateMachineArn;
use ida_runtime::settings::Settings;
use ida_runtime::worker::{QueueFuture, QueueHandler, batch_item_failure};
use ida_store::ports::{JobRepository, MalwareScanner, TenantRepository, UploadRepository};
use ida_store::scan::{GuardDutyTagScanner, ScanVerdict};
use ida_store::{ArtifactKey, Store, StoreError, Stored, UploadObjectKey, WriteContext};
use time::OffsetDateTime;

/// The component name on audit events this function writes.
pub const COMPONENT: &str = "upload-events";

/// `upload-events`: the SQS event source on `UploadEventsQueue`.
pub static UPLOAD_EVENTS: FunctionSpec = FunctionSpec {
    binary: "upload-events",
    trigger: Trigger::Queue {
        queue: "UploadEventsQueue",
    },
    settings: |lookup| UploadEventsSettings::from_lookup(lookup).map(drop),
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&UPLOAD_EVENTS];

/// What became of one uploaded object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Step Functions accepted the start. A start with the name and input of an execution
    /// still running is answered the same way and starts nothing new.
    Started {
        /// The job.
        job: JobId,
    },
    /// Step Functions refused the start: the execution of an earlier delivery exists (ended).
    AlreadyStarted {
        /// The job.
        job: JobId,
    },
    /// A check refused the bytes: the upload is REJECTED and its job FAILED with this code.
    Rejected {
        /// The job.
        job: JobId,
        /// The check's code.
        code: String,
    },
    /// Nothing to do: the key names no upload of ours, or the upload expired.
    Ignored {
        /// Why, for the log.
        reason: String,
    },
}

/// The job of an upload: its id is the upload's with the job prefix, so every delivery of the
/// upload's event finds the same job.
pub fn job_for_upload(upload: &UploadId) -> Result<JobId, UploadEventsError> {
    Ok(JobId::for_upload(upload))
}

/// The pipeline ticket for an object of the uploads bucket. Its tenant comes from the object
/// key, which only a presigned URL minted under a verified principal's scope can write
/// (`ArtifactKey::upload` needs the scope), delivered by the bucket's own notification; it is
/// service-written data exactly like the execution input a stage reads its ticket from, and the
/// caller still proves it by finding the upload record under that tenant.
pub fn ticket_for(key: &UploadObjectKey) -> Result<PipelineTicket, UploadEventsError> {
    let job = job_for_upload(key.upload())?;
    serde_json::from_value(serde_json::json!({ "tenant": key.tenant(), "job": job }))
        .map_err(|error| UploadEventsError::Ticket(error.to_string()))
}

/// The handler's state, built once per cold start.
#[derive(Debug, Clone)]
pub struct UploadEvents {
    store: Store,
    s3: aws_sdk_s3::Client,
    sfn: aws_sdk_sfn::Client,
    uploads_bucket: String,
    state_machine: StateMachineArn,
}

impl UploadEvents {
    /// The handler on real clients.
    pub fn new(clients: &AwsClients, settings: UploadEventsSettings) -> Self {
        let uploads_bucket = settings.store.uploads_bucket.clone();
        Self {
            store: Store::new(clients.dynamodb.clone(), clients.s3.clone(), settings.store),
            s3: clients.s3.clone(),
            sfn: clients.sfn.clone(),
            uploads_bucket,
            state_machine: settings.pipeline.state_machine,
        }
    }

    /// Handles one SQS batch. A message stays on the queue only when one of its objects could
    /// not be handled now (a conflict, a throttled call, a scan still running).
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for message in &event.records {
            let message_id = message.message_id.clone().unwrap_or_default();
            let objects = match parse_notification(message.body.as_deref().unwrap_or_default()) {
                Ok(Notification::Test) => continue,
                Ok(Notification::Objects(objects)) => objects,
                Err(reason) => {
                    tracing::error!(%message_id, %reason, "an upload event that is no S3 notification was dropped");
                    continue;
                }
            };
            let mut retry = false;
            for object in &objects {
                match self.process(object).await {
                    Ok(outcome) => tracing::info!(%message_id, ?outcome, "upload event handled"),
                    Err(error) => {
                        tracing::warn!(%message_id, code = error.code(), %error, "upload event left for another receive");
                        retry = true;
                    }
                }
            }
            if retry {
                response
                    .batch_item_failures
                    .push(batch_item_failure(message_id));
            }
        }
        response
    }

    /// Handles one uploaded object.
    pub async fn process(&self, object: &ObjectCreated) -> Result<Outcome, UploadEventsError> {
        if object.bucket != self.uploads_bucket {
            return Ok(ignored(format!(
                "bucket {} is not the uploads bucket",
                object.bucket
            )));
        }
        let key = match UploadObjectKey::parse(&object.key) {
            Ok(key) => key,
            Err(error) => return Ok(ignored(format!("key {}: {error}", object.key))),
        };
        let ticket = ticket_for(&key)?;
        let scope = ticket.scope();
        let ctx = write_context(key.upload());
        let stored = match self.store.records.get_upload(&scope, key.upload()).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound { .. }) => {
                tracing::warn!(key = %object.key, "an object whose key names no upload of its tenant");
                return Ok(ignored("no such upload".to_owned()));
            }
            Err(error) => return Err(error.into()),
        };
        if stored.record.file_name != *key.file() {
            return Ok(ignored(format!(
                "the upload's file is not {}",
                key.file().as_str()
            )));
        }
        let job = ticket.job().clone();
        match stored.record.status {
            UploadStatus::AwaitingBytes | UploadStatus::Received => {
                match self.check(&scope, &stored.record, object, &key).await? {
                    Ok(scan) => {
                        let upload = self
                            .decide(&scope, stored, UploadEvent::Accept, scan, &ctx)
                            .await?;
                        self.start(&scope, &ticket, &upload, &ctx).await
                    }
                    Err(rejection) => {
                        // The job first: once the upload says REJECTED, a later delivery
                        // must find the job that tells why.
                        self.ensure_job(&scope, &job, &stored.record, Some(&rejection), &ctx)
                            .await?;
                        let scan = stored.record.scan;
                        self.decide(&scope, stored, UploadEvent::Reject, scan, &ctx)
                            .await?;
                        Ok(Outcome::Rejected {
                            job,
                            code: rejection.code,
                        })
                    }
                }
            }
            UploadStatus::Accepted => self.start(&scope, &ticket, &stored.record, &ctx).await,
            UploadStatus::Rejected => {
                let job = self.store.records.get_job(&scope, &job).await?;
                let code = job
                    .record
                    .failure
                    .map(|failure| failure.code)
                    .unwrap_or_default();
                Ok(Outcome::Rejected {
                    job: job.record.id,
                    code,
                })
            }
            UploadStatus::Expired => Ok(ignored("the upload expired".to_owned())),
        }
    }

    /// Runs the byte checks: the scan status to record when they pass, or why they refuse.
    async fn check(
        &self,
        scope: &TenantScope,
        upload: &Upload,
        object: &ObjectCreated,
        key: &UploadObjectKey,
    ) -> Result<Result<ScanStatus, Rejection>, UploadEventsError> {
        let file = upload.file_name.as_str();
        if upload.dataset.is_none() {
            return Ok(Err(Rejection {
                code: "dataset_missing".to_owned(),
                message: format!("{file}: the upload names no dataset to add a version to"),
            }));
        }
        if let Err(rejection) = check_size(file, upload.declared_bytes, object.size) {
            return Ok(Err(rejection));
        }
        // A workbook's archive check needs its central directory, at the end: read it whole.
        let whole = upload.format == FileFormat::Xlsx || object.size <= SNIFF_BYTES;
        let bytes = self.read(&object.key, !whole).await?;
        if let Err(rejection) = check_format(file, upload.format, &bytes, whole) {
            return Ok(Err(rejection));
        }
        if upload.format == FileFormat::Xlsx
            && let Err(rejection) = check_archive(file, &bytes)
        {
            return Ok(Err(rejection));
        }
        let policy = self.store.records.get_policy(scope).await?.record;
        let mut scanned = upload.clone();
        if policy.malware_scan_required {
            let artifact = ArtifactKey::upload(scope, key.upload(), key.file());
            let scanner = GuardDutyTagScanner::new(self.store.artifacts.clone());
            let report = match scanner.scan_status(scope, &artifact).await? {
                ScanVerdict::Clean => ScanEvent::ReportClean,
                ScanVerdict::Infected => ScanEvent::ReportInfected,
                ScanVerdict::Pending => {
                    return Err(UploadEventsError::ScanPending {
                        key: object.key.clone(),
                    });
                }
                ScanVerdict::Unscannable(reason) => {
                    return Ok(Err(Rejection {
                        code: "scan_failed".to_owned(),
                        message: format!(
                            "{file}: the malware scanner could not scan it ({reason})"
                        ),
                    }));
                }
            };
            scanned.scan = ScanStatus::NotScanned
                .apply(ScanEvent::Start)
                .and_then(|pending| pending.apply(report))
                .map_err(|error| UploadEventsError::Ticket(error.to_string()))?;
        }
        Ok(match scanned.ensure_usable(&policy) {
            Ok(()) => Ok(scanned.scan),
            Err(error) => Err(Rejection {
                code: error.code().to_owned(),
                message: format!("{file}: {error}"),
            }),
        })
    }

    /// The object's bytes: its first [`SNIFF_BYTES`] when `head_only`, else all of them.
    async fn read(&self, key: &str, head_only: bool) -> Result<Vec<u8>, UploadEventsError> {
        let mut request = self.s3.get_object().bucket(&self.uploads_bucket).key(key);
        if head_only {
            request = request.range(format!("bytes=0-{}", SNIFF_BYTES - 1));
        }
        let failed = |reason: String| UploadEventsError::ReadObject {
            key: key.to_owned(),
            reason,
        };
        let output = request
            .send()
            .await
            .map_err(|error| failed(aws_sdk_s3::error::DisplayErrorContext(&error).to_string()))?;
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|error| failed(error.to_string()))?;
        Ok(bytes.into_bytes().to_vec())
    }

    /// Moves the upload to ACCEPTED or REJECTED (through RECEIVED when the bytes had not been
    /// seen yet), with its audit event.
    async fn decide(
        &self,
        scope: &TenantScope,
        stored: Stored<Upload>,
        decision: UploadEvent,
        scan: ScanStatus,
        ctx: &WriteContext,
    ) -> Result<Upload, UploadEventsError> {
        let mut upload = stored.record;
        let received = match upload.status {
            UploadStatus::AwaitingBytes => upload
                .status
                .apply(UploadEvent::Receive)
                .map_err(|error| StoreError::Domain(error.into()))?,
            other => other,
        };
        upload.status = received
            .apply(decision)
            .map_err(|error| StoreError::Domain(error.into()))?;
        upload.scan = scan;
        let action = match decision {
            UploadEvent::Accept => AuditAction::UploadAccepted,
            _ => AuditAction::UploadRejected,
        };
        Ok(self
            .store
            .records
            .update_upload(scope, upload, stored.revision, action, ctx)
            .await?
            .record)
    }

    /// The upload's job: created QUEUED (or FAILED with `rejection`), or found when an earlier
    /// delivery created it.
    async fn ensure_job(
        &self,
        scope: &TenantScope,
        job: &JobId,
        upload: &Upload,
        rejection: Option<&Rejection>,
        ctx: &WriteContext,
    ) -> Result<Stored<Job>, UploadEventsError> {
        match self.store.records.get_job(scope, job).await {
            Ok(stored) => return Ok(stored),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        let dataset = upload.dataset.clone().unwrap_or_else(|| {
            // A rejected upload without a dataset still gets a job, under a fresh dataset id
            // that names nothing, so the failure is visible.
            ida_core::id::DatasetId::generate()
        });
        let (status, failure) = match rejection {
            None => (JobStatus::Queued, None),
            Some(rejection) => (
                JobStatus::Queued
                    .apply(JobEvent::Fail)
                    .map_err(|error| StoreError::Domain(error.into()))?,
                Some(JobFailure {
                    stage: Stage::Parse,
                    code: rejection.code.clone(),
                    message: rejection.message.clone(),
                }),
            ),
        };
        let record = Job {
            id: job.clone(),
            tenant: scope.tenant().clone(),
            upload: upload.id.clone(),
            dataset,
            recipe: None,
            stage: Stage::Parse,
            status,
            failure,
            created_by: upload.created_by.clone(),
            created_at: ctx.at,
            updated_at: ctx.at,
            progress: Default::default(),
        };
        match self.store.records.create_job(scope, record, ctx).await {
            Ok(stored) => Ok(stored),
            // A concurrent delivery created it first.
            Err(StoreError::Conflict { .. }) => Ok(self.store.records.get_job(scope, job).await?),
            Err(error) => Err(error.into()),
        }
    }

    /// Ensures the job, starts the execution named after the upload (a second start is a
    /// no-op), and marks a QUEUED job RUNNING.
    async fn start(
        &self,
        scope: &TenantScope,
        ticket: &PipelineTicket,
        upload: &Upload,
        ctx: &WriteContext,
    ) -> Result<Outcome, UploadEventsError> {
        let job = self
            .ensure_job(scope, ticket.job(), upload, None, ctx)
            .await?;
        let input = ExecutionInput {
            ticket: ticket.clone(),
            upload: upload.id.clone(),
            dataset: job.record.dataset.clone(),
            attempt: 1,
            resume_from: Stage::Parse,
        };
        let name = upload_execution_name(&upload.id);
        let input_text = serde_json::to_string(&input)
            .map_err(|error| UploadEventsError::Ticket(error.to_string()))?;
        let started = match self
            .sfn
            .start_execution()
            .state_machine_arn(self.state_machine.arn())
            .name(&name)
            .input(input_text)
            .send()
            .await
        {
            Ok(_) => true,
            Err(error)
                if aws_sdk_sfn::error::ProvideErrorMetadata::code(&error)
                    == Some("ExecutionAlreadyExists") =>
            {
                false
            }
            Err(error) => {
                return Err(UploadEventsError::StartExecution {
                    name,
                    reason: aws_sdk_sfn::error::DisplayErrorContext(&error).to_string(),
                });
            }
        };
        if job.record.status == JobStatus::Queued {
            let mut running = job.record.clone();
            running.status = JobStatus::Queued
                .apply(JobEvent::Start)
                .map_err(|error| StoreError::Domain(error.into()))?;
            running.updated_at = ctx.at;
            match self
                .store
                .records
                .update_job(scope, running, job.revision, ctx)
                .await
            {
                // A stage or a concurrent delivery moved it on already: nothing to mark.
                Ok(_) | Err(StoreError::Conflict { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let job = job.record.id;
        Ok(if started {
            Outcome::Started { job }
        } else {
            Outcome::AlreadyStarted { job }
        })
    }
}

impl QueueHandler for UploadEvents {
    fn handle(&self, event: SqsEvent) -> QueueFuture<'_> {
        Box::pin(UploadEvents::handle(self, event))
    }
}

/// The handler for the local host.
pub fn queue_handler(upload_events: Arc<UploadEvents>) -> Arc<dyn QueueHandler> {
    upload_events
}

fn ignored(reason: String) -> Outcome {
    Outcome::Ignored { reason }
}

/// Writes for one upload share its id as their correlation id, so its audit trail reads as one.
fn write_context(upload: &UploadId) -> WriteContext {
    let correlation =
        CorrelationId::parse(upload.as_str()).unwrap_or_else(|_| CorrelationId::generate());
    WriteContext::new(
        Actor::System {
            component: COMPONENT.to_owned(),
        },
        correlation,
        OffsetDateTime::now_utc(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_of_an_upload_shares_its_id_digits() {
        let upload = UploadId::generate();
        let job = job_for_upload(&upload).unwrap();
        assert_eq!(
            job.as_str().strip_prefix("job_"),
            upload.as_str().strip_prefix("upl_")
        );
        assert_eq!(job_for_upload(&upload).unwrap(), job);
    }

    #[test]
    fn the_ticket_names_the_keys_tenant_and_the_uploads_job() {
        let key = UploadObjectKey::parse(&format!(
            "tenants/ten_{}/uploads/{}/a.csv",
            "0".repeat(32),
            UploadId::generate()
        ))
        .unwrap();
        let ticket = ticket_for(&key).unwrap();
        assert_eq!(ticket.scope().tenant(), key.tenant());
        assert_eq!(ticket.job(), &job_for_upload(key.upload()).unwrap());
    }

    #[test]
    fn the_spec_is_the_upload_events_queue_with_its_settings() {
        assert_eq!(UPLOAD_EVENTS.binary, "upload-events");
        assert_eq!(
            UPLOAD_EVENTS.trigger,
            Trigger::Queue {
                queue: "UploadEventsQueue"
            }
        );
        let error = (UPLOAD_EVENTS.settings)(&|_| None).unwrap_err();
        assert!(error.to_string().contains("IDA_RECORDS_TABLE"), "{error}");
    }
}
