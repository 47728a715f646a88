//! The Parse stage: reads the uploaded object, infers its schema with the data engine and writes
//! version N of the dataset (`data.parquet`, `schema.json`) with its version record.
//!
//! Everything comes from the execution input, the records and deterministic keys, never from
//! another stage's result. A re-run finds the version this upload already made (by its origin)
//! and rewrites the same bytes under the same number; it never adds a second version. It never
//! reads the tenant from anything but the execution's ticket.

use ida_core::audit::AuditAction;
use ida_core::dataset::VersionOrigin;
use ida_core::job::Stage as PipelineStage;
use ida_core::pipeline::PipelineState;
use ida_core::tenancy::TenantPolicy;
use ida_core::upload::FileFormat;
use ida_data::DataError;
use ida_data::dataset::{read_bytes, schema_json, write_parquet};
use ida_data::read::{InputFormat, ReadOptions};
use ida_data::transform::version::sha256_hex;
use ida_runtime::RuntimeError;
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::stage_artifacts::VersionFiles;
use ida_runtime::stage_job::StageJob;
use ida_runtime::worker::{Stage, StageError};
use ida_store::datasets::NewVersion;
use ida_store::{
    ArtifactKey, ArtifactStore, DatasetRepository, Store, StoreError, StoreSettings,
    TenantRepository, UploadRepository, VersionFile,
};
use serde_json::{Value, json};

/// The `stage-parse` worker, fed by the `ParseQueue`.
pub static STAGE_PARSE: FunctionSpec = FunctionSpec {
    binary: "stage-parse",
    trigger: Trigger::Queue {
        queue: "ParseQueue",
    },
    settings: |lookup| {
        StoreSettings::from_lookup(lookup)
            .map(drop)
            .map_err(RuntimeError::from)
    },
};

/// Every function this crate deploys.
pub static FUNCTIONS: [&FunctionSpec; 1] = [&STAGE_PARSE];

/// What the typed upload became.
struct Parsed {
    data: Vec<u8>,
    schema: String,
    rows: u64,
    columns: u32,
}

/// The Parse stage over the records and artifacts.
#[derive(Debug, Clone)]
pub struct ParseStage {
    store: Store,
}

impl ParseStage {
    /// The stage writing through `store`.
    pub fn new(store: Store) -> Self {
        ParseStage { store }
    }
}

impl Stage for ParseStage {
    async fn run(&self, state: PipelineState) -> Result<Value, StageError> {
        let records = &self.store.records;
        let artifacts = &self.store.artifacts;
        let job = StageJob::begin(records, &state, PipelineStage::Parse, "stage-parse").await?;
        let scope = job.scope.clone();
        let upload = records
            .get_upload(&scope, &state.input.upload)
            .await?
            .record;
        // upload-events checked the bytes; the scan verdict may have changed since, and an
        // infected or unscanned (where the tenant requires scans) upload is never parsed.
        let policy = match records.get_policy(&scope).await {
            Ok(stored) => stored.record,
            Err(StoreError::NotFound { .. }) => TenantPolicy::default(),
            Err(other) => return Err(other.into()),
        };
        upload.ensure_usable(&policy)?;
        let raw = artifacts
            .get_artifact(
                &scope,
                &ArtifactKey::upload(&scope, &upload.id, &upload.file_name),
            )
            .await?;
        let name = upload.file_name.as_str().to_owned();
        let options = ReadOptions {
            format: declared_format(upload.format),
            ..ReadOptions::default()
        };
        let parsed = blocking(move || parse(&raw, &name, &options)).await?;
        let data_sha256 = sha256_hex(&parsed.data);

        let dataset = &state.input.dataset;
        let origin = VersionOrigin::Upload {
            upload: upload.id.clone(),
        };
        let version = match records.find_version(&scope, dataset, &origin).await? {
            Some(written) => written,
            None => {
                let new = NewVersion {
                    origin,
                    job: job.job.record.id.clone(),
                    data_sha256: data_sha256.clone(),
                    row_count: parsed.rows,
                    column_count: parsed.columns,
                    byte_size: parsed.data.len() as u64,
                };
                records.add_version(&scope, dataset, new, &job.ctx).await?
            }
        };
        if version.data_sha256 != data_sha256 {
            // The engine gives the same bytes for the same input; a different digest means the
            // version was written by another engine build, and it is kept as written.
            tracing::warn!(version = %version.version, "parse re-run produced other bytes; keeping the first version");
        } else {
            let files = VersionFiles::new(artifacts, &scope, dataset, version.version);
            files.put(VersionFile::Data, parsed.data).await?;
            files
                .put(VersionFile::Schema, parsed.schema.into_bytes())
                .await?;
        }

        // The first version of a new dataset is what readers see until a recipe is applied.
        let current = records.get_dataset(&scope, dataset).await?;
        if current.record.active_version.is_none() {
            let mut activated = current.record.clone();
            activated.activate(version.version)?;
            records
                .update_dataset(
                    &scope,
                    activated,
                    current.revision,
                    AuditAction::VersionActivated,
                    &job.ctx,
                )
                .await?;
        }
        job.finish(records, |_| Ok(())).await?;
        Ok(json!({
            "version": version.version,
            "rows": version.row_count,
            "columns": version.column_count,
            "data_sha256": version.data_sha256,
        }))
    }
}

/// The reader format the upload declared: its extension's format. JSON is left to the reader,
/// which tells an array of objects from JSON lines by the name and bytes.
fn declared_format(format: FileFormat) -> Option<InputFormat> {
    match format {
        FileFormat::Csv => Some(InputFormat::Csv),
        FileFormat::Xlsx => Some(InputFormat::Xlsx),
        FileFormat::Parquet => Some(InputFormat::Parquet),
        FileFormat::Json => None,
    }
}

fn parse(raw: &[u8], name: &str, options: &ReadOptions) -> Result<Parsed, DataError> {
    let typed = read_bytes(raw, name, options)?;
    let mut data = Vec::new();
    write_parquet(&typed.frame, &mut data)?;
    Ok(Parsed {
        schema: schema_json(&typed.schema)?,
        rows: typed.frame.height() as u64,
        columns: u32::try_from(typed.frame.width()).unwrap_or(u32::MAX),
        data,
    })
}

/// Runs the engine off the async threads, so heartbeats keep going during long work.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, DataError> + Send + 'static,
) -> Result<T, StageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| StageError::Transient {
            message: format!("the parse task stopped: {error}"),
        })?
        .map_err(|error| {
            StageError::classified(error.is_invalid_input(), error.code(), error.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_file_is_invalid_input_with_the_engines_code() {
        let error = parse(b"a,b\n1,\"2\n", "t.csv", &ReadOptions::default())
            .map_err(|e| StageError::classified(e.is_invalid_input(), e.code(), e.to_string()))
            .err()
            .unwrap();
        match error {
            StageError::InvalidInput { code, message } => {
                assert_eq!(code, "unterminated_quote");
                assert!(message.contains("t.csv"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_same_bytes_parse_to_the_same_version_bytes() {
        let csv = b"id,name\n1,ann\n2,bob\n";
        let first = parse(csv, "t.csv", &ReadOptions::default()).unwrap();
        let second = parse(csv, "t.csv", &ReadOptions::default()).unwrap();
        assert_eq!(first.data, second.data);
        assert_eq!((first.rows, first.columns), (2, 2));
    }
}
