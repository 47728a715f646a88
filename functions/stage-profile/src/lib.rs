//! The Profile stage: profiles version N (the version the job's upload made) with the data
//! engine and writes its `profile.json` and `report.html`.
//!
//! "Now" for the future-date alert is the job's creation time, never the wall clock, so a re-run
//! writes the same bytes; the previous version's profile (when there is one) feeds the
//! null-spike alert. It reads only the execution input, the records and deterministic keys.

use ida_core::TenantScope;
use ida_core::dataset::VersionOrigin;
use ida_core::id::{DatasetId, VersionNo};
use ida_core::job::Stage as PipelineStage;
use ida_core::pipeline::PipelineState;
use ida_data::DataError;
use ida_data::profile::{ProfileConfig, ProfileReport, profile};
use ida_data::report::render_html;
use ida_data::schema::DatasetSchema;
use ida_data::transform::version::read_parquet_bytes;
use ida_runtime::RuntimeError;
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::stage_artifacts::VersionFiles;
use ida_runtime::stage_job::StageJob;
use ida_runtime::worker::{Stage, StageError};
use ida_store::{DatasetRepository, S3Artifacts, Store, StoreSettings, VersionFile};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The `stage-profile` worker, fed by the `ProfileQueue`.
pub static STAGE_PROFILE: FunctionSpec = FunctionSpec {
    binary: "stage-profile",
    trigger: Trigger::Queue {
        queue: "ProfileQueue",
    },
    settings: |lookup| {
        StoreSettings::from_lookup(lookup)
            .map(drop)
            .map_err(RuntimeError::from)
    },
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&STAGE_PROFILE];

/// Code of a stage that finds no version where an earlier stage should have written one.
pub const VERSION_MISSING: &str = "version_missing";

/// The Profile stage over the records and artifacts.
#[derive(Debug, Clone)]
pub struct ProfileStage {
    store: Store,
}

impl ProfileStage {
    /// The stage writing through `store`.
    pub fn new(store: Store) -> Self {
        ProfileStage { store }
    }
}

/// The profile configuration of a job: defaults, with "now" at the job's creation.
pub fn job_profile_config(created_at: OffsetDateTime) -> ProfileConfig {
    let now_epoch_ms = i64::try_from(created_at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    ProfileConfig {
        now_epoch_ms,
        ..ProfileConfig::default()
    }
}

impl Stage for ProfileStage {
    async fn run(&self, state: PipelineState) -> Result<Value, StageError> {
        let records = &self.store.records;
        let artifacts = &self.store.artifacts;
        let job = StageJob::begin(records, &state, PipelineStage::Profile, "stage-profile").await?;
        let scope = job.scope.clone();
        let dataset = &state.input.dataset;
        let origin = VersionOrigin::Upload {
            upload: state.input.upload.clone(),
        };
        let version = records
            .find_version(&scope, dataset, &origin)
            .await?
            .ok_or_else(|| StageError::InvalidInput {
                code: VERSION_MISSING.to_owned(),
                message: format!("upload {} has no parsed version", state.input.upload),
            })?
            .version;
        let files = VersionFiles::new(artifacts, &scope, dataset, version);
        let data = files.get(VersionFile::Data).await?;
        let schema: DatasetSchema = files.get_json(VersionFile::Schema).await?;
        let previous = previous_profile(artifacts, &scope, dataset, version).await?;
        let config = job_profile_config(job.job.record.created_at);
        let (report, html) = tokio::task::spawn_blocking(move || {
            let frame = read_parquet_bytes(&data)?;
            let report = profile(&frame, &schema, previous.as_ref(), &config)?;
            let html = render_html(&report, &schema);
            Ok::<_, DataError>((report, html))
        })
        .await
        .map_err(|error| StageError::Transient {
            message: format!("the profile task stopped: {error}"),
        })?
        .map_err(|e| StageError::classified(e.is_invalid_input(), e.code(), e.to_string()))?;
        files.put_json(VersionFile::Profile, &report).await?;
        files.put(VersionFile::Report, html.into_bytes()).await?;
        job.finish(records, |_| Ok(())).await?;
        Ok(json!({ "version": version, "alerts": report.alerts.len() }))
    }
}

/// The profile of the version before `version`, when there is one and it was profiled.
pub async fn previous_profile(
    artifacts: &S3Artifacts,
    scope: &TenantScope,
    dataset: &DatasetId,
    version: VersionNo,
) -> Result<Option<ProfileReport>, StageError> {
    match version
        .get()
        .checked_sub(1)
        .and_then(|n| VersionNo::new(n).ok())
    {
        Some(previous) => {
            VersionFiles::new(artifacts, scope, dataset, previous)
                .get_json_if_written(VersionFile::Profile)
                .await
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_the_jobs_creation_in_milliseconds() {
        let created = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(job_profile_config(created).now_epoch_ms, 1_700_000_000_000);
    }
}
