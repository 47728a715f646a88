//! The files of one dataset version as a pipeline stage reads and writes them: bytes or JSON
//! documents under the deterministic keys `tenants/{t}/datasets/{d}/versions/{n}/{file}`,
//! SSE-KMS through the store's artifact adapter. JSON documents are written pretty with a
//! final newline, exactly as the `ida` command writes them, so the two give the same bytes.
//!
//! It never builds a key by hand and never reads outside the stage's tenant scope.

use ida_core::TenantScope;
use ida_core::id::{DatasetId, VersionNo};
use ida_store::{ArtifactKey, ArtifactStore, S3Artifacts, StoreError, VersionFile};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::worker::StageError;

/// Code of a stored document that does not parse (it was not written by this pipeline).
pub const CORRUPT_ARTIFACT: &str = "corrupt_artifact";

/// One version's files.
#[derive(Debug, Clone, Copy)]
pub struct VersionFiles<'a> {
    artifacts: &'a S3Artifacts,
    scope: &'a TenantScope,
    dataset: &'a DatasetId,
    version: VersionNo,
}

impl<'a> VersionFiles<'a> {
    /// The files of `version` of `dataset`.
    pub fn new(
        artifacts: &'a S3Artifacts,
        scope: &'a TenantScope,
        dataset: &'a DatasetId,
        version: VersionNo,
    ) -> Self {
        VersionFiles {
            artifacts,
            scope,
            dataset,
            version,
        }
    }

    /// The version number.
    pub fn version(&self) -> VersionNo {
        self.version
    }

    fn key(&self, file: VersionFile) -> ArtifactKey {
        ArtifactKey::version_file(self.scope, self.dataset, self.version, file)
    }

    /// A file's bytes.
    pub async fn get(&self, file: VersionFile) -> Result<Vec<u8>, StageError> {
        Ok(self
            .artifacts
            .get_artifact(self.scope, &self.key(file))
            .await?)
    }

    /// A JSON document.
    pub async fn get_json<T: DeserializeOwned>(&self, file: VersionFile) -> Result<T, StageError> {
        decode_document(&self.get(file).await?, file.file_name())
    }

    /// A JSON document, or `None` when the file was never written.
    pub async fn get_json_if_written<T: DeserializeOwned>(
        &self,
        file: VersionFile,
    ) -> Result<Option<T>, StageError> {
        match self
            .artifacts
            .get_artifact(self.scope, &self.key(file))
            .await
        {
            Ok(bytes) => decode_document(&bytes, file.file_name()).map(Some),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Writes a file with its content type.
    pub async fn put(&self, file: VersionFile, bytes: Vec<u8>) -> Result<(), StageError> {
        self.artifacts
            .put_artifact(self.scope, &self.key(file), bytes, file.content_type())
            .await?;
        Ok(())
    }

    /// Writes a JSON document as [`document_bytes`] renders it.
    pub async fn put_json<T: Serialize>(
        &self,
        file: VersionFile,
        value: &T,
    ) -> Result<(), StageError> {
        self.put(file, document_bytes(value)?).await
    }
}

/// A document as written next to `data.parquet`: pretty JSON with a final newline.
pub fn document_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, StageError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|error| StageError::Transient {
        message: format!("serialising a document: {error}"),
    })?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// Reads a stored JSON document named `name`, naming the line and column where it breaks.
pub fn decode_document<T: DeserializeOwned>(bytes: &[u8], name: &str) -> Result<T, StageError> {
    serde_json::from_slice(bytes).map_err(|error| StageError::InvalidInput {
        code: CORRUPT_ARTIFACT.to_owned(),
        message: format!(
            "{name}: line {}, column {}: {error}",
            error.line(),
            error.column()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_pretty_with_a_final_newline() {
        let bytes = document_bytes(&serde_json::json!({"a": 1})).unwrap();
        assert_eq!(bytes, b"{\n  \"a\": 1\n}\n");
    }

    #[test]
    fn a_document_that_does_not_parse_names_itself() {
        let error = decode_document::<serde_json::Value>(b"{", "schema.json").unwrap_err();
        match error {
            StageError::InvalidInput { code, message } => {
                assert_eq!(code, CORRUPT_ARTIFACT);
                assert!(message.starts_with("schema.json: line 1"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
