//! S3 artifacts: object keys built only by typed constructors under `tenants/{tenant}/...`,
//! SSE-KMS on every put (with the key from settings), and presigned PUTs (expiry, exact content
//! length and content type signed) and GETs (expiry). A key made under one tenant's scope is
//! refused for any other scope.

use std::time::Duration;

use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use ida_core::TenantScope;
use ida_core::id::{DatasetId, TenantId, UploadId, VersionNo};
use ida_core::upload::FileName;

use crate::error::{Result, StoreError};
use crate::ports::{ArtifactInventory, ArtifactStore};

/// Longest presigned URL lifetime (SigV4 allows 7 days; uploads and downloads need minutes).
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(12 * 3600);

/// Which bucket an object lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketKind {
    /// Client uploads, before they become versions.
    Uploads,
    /// Dataset versions and their documents.
    Artifacts,
}

/// The files of one dataset version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionFile {
    /// `data.parquet`.
    Data,
    /// `schema.json`.
    Schema,
    /// `profile.json`.
    Profile,
    /// `report.html`.
    Report,
    /// `recipe.json` (versions made by a transform).
    Recipe,
    /// `diff.json` (versions made by a transform).
    Diff,
}

impl VersionFile {
    /// Every file of a version.
    pub const ALL: [VersionFile; 6] = [
        VersionFile::Data,
        VersionFile::Schema,
        VersionFile::Profile,
        VersionFile::Report,
        VersionFile::Recipe,
        VersionFile::Diff,
    ];

    /// The file name.
    pub fn file_name(self) -> &'static str {
        match self {
            VersionFile::Data => "data.parquet",
            VersionFile::Schema => "schema.json",
            VersionFile::Profile => "profile.json",
            VersionFile::Report => "report.html",
            VersionFile::Recipe => "recipe.json",
            VersionFile::Diff => "diff.json",
        }
    }

    /// Its content type.
    pub fn content_type(self) -> &'static str {
        match self {
            VersionFile::Data => "application/vnd.apache.parquet",
            VersionFile::Report => "text/html; charset=utf-8",
            VersionFile::Schema
            | VersionFile::Profile
            | VersionFile::Recipe
            | VersionFile::Diff => "application/json",
        }
    }
}

/// An object key under a tenant's prefix. Only the constructors below make one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArtifactKey {
    tenant: TenantId,
    bucket: BucketKind,
    key: String,
}

impl ArtifactKey {
    /// `tenants/{t}/uploads/{upload}/{file}` in the uploads bucket.
    pub fn upload(scope: &TenantScope, upload: &UploadId, file: &FileName) -> Self {
        ArtifactKey {
            tenant: scope.tenant().clone(),
            bucket: BucketKind::Uploads,
            key: format!(
                "tenants/{}/uploads/{upload}/{}",
                scope.tenant(),
                file.as_str()
            ),
        }
    }

    /// `tenants/{t}/datasets/{d}/versions/{n}/{file}` in the artifacts bucket.
    pub fn version_file(
        scope: &TenantScope,
        dataset: &DatasetId,
        version: VersionNo,
        file: VersionFile,
    ) -> Self {
        ArtifactKey {
            tenant: scope.tenant().clone(),
            bucket: BucketKind::Artifacts,
            key: format!(
                "tenants/{}/datasets/{dataset}/versions/{version}/{}",
                scope.tenant(),
                file.file_name()
            ),
        }
    }

    /// The prefix of everything a tenant owns, in either bucket.
    pub(crate) fn tenant_prefix(tenant: &TenantId) -> String {
        format!("tenants/{tenant}/")
    }

    /// The object key.
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The bucket it lives in.
    pub fn bucket(&self) -> BucketKind {
        self.bucket
    }

    /// The tenant it belongs to.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }
}

/// An object key of the uploads bucket read back into what it names: the tenant, the upload
/// and the client's file name. The only keys of that bucket are the ones
/// [`ArtifactKey::upload`] makes, so anything else is refused, naming the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UploadObjectKey {
    tenant: TenantId,
    upload: UploadId,
    file: FileName,
}

impl UploadObjectKey {
    /// Parses `tenants/{tenant}/uploads/{upload}/{file}` (an already URL-decoded key).
    pub fn parse(key: &str) -> Result<Self> {
        let invalid =
            |reason: String| StoreError::Domain(ida_core::CoreError::invalid("object_key", reason));
        let mut parts = key.splitn(5, '/');
        let (Some("tenants"), Some(tenant), Some("uploads"), Some(upload), Some(file)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid(
                "expected tenants/{tenant}/uploads/{upload}/{file}".to_owned(),
            ));
        };
        Ok(UploadObjectKey {
            tenant: TenantId::parse(tenant).map_err(|e| invalid(format!("tenant part: {e}")))?,
            upload: UploadId::parse(upload).map_err(|e| invalid(format!("upload part: {e}")))?,
            file: FileName::parse(file).map_err(|e| invalid(format!("file part: {e}")))?,
        })
    }

    /// The tenant whose prefix holds the object.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The upload.
    pub fn upload(&self) -> &UploadId {
        &self.upload
    }

    /// The file name.
    pub fn file(&self) -> &FileName {
        &self.file
    }
}

/// A presigned request: what a client must send, exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUrl {
    /// `PUT` or `GET`.
    pub method: String,
    /// The URL with its signature.
    pub url: String,
    /// Headers the client must send unchanged (content type, length, encryption).
    pub headers: Vec<(String, String)>,
}

impl From<PresignedRequest> for PresignedUrl {
    fn from(request: PresignedRequest) -> Self {
        PresignedUrl {
            method: request.method().to_owned(),
            url: request.uri().to_owned(),
            headers: request
                .headers()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        }
    }
}

/// The S3 adapter.
#[derive(Debug, Clone)]
pub struct S3Artifacts {
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) uploads_bucket: String,
    pub(crate) artifacts_bucket: String,
    kms_key_id: String,
}

fn s3_error<E, R>(operation: &'static str, error: aws_sdk_s3::error::SdkError<E, R>) -> StoreError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::from_sdk(operation, error)
}

pub(crate) fn ensure_key_in_scope(scope: &TenantScope, key: &ArtifactKey) -> Result<()> {
    if key.tenant() == scope.tenant() {
        Ok(())
    } else {
        tracing::warn!(tenant = %scope.tenant(), "security: an object key of another tenant was named; refused");
        Err(StoreError::Forbidden {
            reason: "the object belongs to another tenant".to_owned(),
        })
    }
}

fn presigning(expires_in: Duration) -> Result<PresigningConfig> {
    if expires_in.is_zero() || expires_in > MAX_PRESIGN_EXPIRY {
        return Err(ida_core::CoreError::invalid(
            "expires_in",
            "must be between 1 second and 12 hours",
        )
        .into());
    }
    PresigningConfig::expires_in(expires_in).map_err(|e| StoreError::Backend {
        operation: "presign",
        message: e.to_string(),
    })
}

impl S3Artifacts {
    /// The adapter for the two buckets, encrypting with `kms_key_id`.
    pub fn new(
        client: aws_sdk_s3::Client,
        uploads_bucket: impl Into<String>,
        artifacts_bucket: impl Into<String>,
        kms_key_id: impl Into<String>,
    ) -> Self {
        S3Artifacts {
            client,
            uploads_bucket: uploads_bucket.into(),
            artifacts_bucket: artifacts_bucket.into(),
            kms_key_id: kms_key_id.into(),
        }
    }

    /// The bucket name of a key.
    pub fn bucket_name(&self, key: &ArtifactKey) -> &str {
        match key.bucket() {
            BucketKind::Uploads => &self.uploads_bucket,
            BucketKind::Artifacts => &self.artifacts_bucket,
        }
    }
}

impl ArtifactStore for S3Artifacts {
    async fn put_artifact(
        &self,
        scope: &TenantScope,
        key: &ArtifactKey,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<()> {
        ensure_key_in_scope(scope, key)?;
        self.client
            .put_object()
            .bucket(self.bucket_name(key))
            .key(key.as_str())
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(&self.kms_key_id)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| s3_error("PutObject", e))?;
        Ok(())
    }

    async fn get_artifact(&self, scope: &TenantScope, key: &ArtifactKey) -> Result<Vec<u8>> {
        ensure_key_in_scope(scope, key)?;
        let output = self
            .client
            .get_object()
            .bucket(self.bucket_name(key))
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(service) if service.is_no_such_key() => {
                    StoreError::not_found("object", key.as_str())
                }
                _ => s3_error("GetObject", e),
            })?;
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Transient {
                operation: "GetObject",
                message: e.to_string(),
            })?;
        Ok(bytes.into_bytes().to_vec())
    }

    async fn presign_upload(
        &self,
        scope: &TenantScope,
        key: &ArtifactKey,
        content_length: u64,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        ensure_key_in_scope(scope, key)?;
        let length = i64::try_from(content_length)
            .map_err(|_| ida_core::CoreError::invalid("content_length", "is too large"))?;
        let request = self
            .client
            .put_object()
            .bucket(self.bucket_name(key))
            .key(key.as_str())
            .content_length(length)
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(&self.kms_key_id)
            .presigned(presigning(expires_in)?)
            .await
            .map_err(|e| s3_error("PutObject presign", e))?;
        Ok(request.into())
    }

    async fn presign_download(
        &self,
        scope: &TenantScope,
        key: &ArtifactKey,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        ensure_key_in_scope(scope, key)?;
        let request = self
            .client
            .get_object()
            .bucket(self.bucket_name(key))
            .key(key.as_str())
            .presigned(presigning(expires_in)?)
            .await
            .map_err(|e| s3_error("GetObject presign", e))?;
        Ok(request.into())
    }
}

impl ArtifactInventory for S3Artifacts {
    async fn artifact_exists(&self, scope: &TenantScope, key: &ArtifactKey) -> Result<bool> {
        ensure_key_in_scope(scope, key)?;
        match self
            .client
            .head_object()
            .bucket(self.bucket_name(key))
            .key(key.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(error) => match error.as_service_error() {
                Some(service) if service.is_not_found() => Ok(false),
                _ => Err(s3_error("HeadObject", error)),
            },
        }
    }

    async fn delete_dataset_artifacts(
        &self,
        scope: &TenantScope,
        dataset: &DatasetId,
    ) -> Result<u64> {
        // Built from the scope, so a dataset id of another tenant only names an empty prefix.
        let prefix = format!(
            "{}datasets/{dataset}/",
            ArtifactKey::tenant_prefix(scope.tenant())
        );
        self.delete_prefix(&self.artifacts_bucket, &prefix).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_core::Role;
    use ida_core::access::{AuthorizerContext, Principal, Subject};
    use ida_core::id::UserId;

    #[test]
    fn an_upload_key_reads_back_into_its_parts() {
        let scope = scope();
        let upload = UploadId::generate();
        let file = FileName::parse("sales 2024.csv").unwrap();
        let key = ArtifactKey::upload(&scope, &upload, &file);
        let parsed = UploadObjectKey::parse(key.as_str()).unwrap();
        assert_eq!(parsed.tenant(), scope.tenant());
        assert_eq!(parsed.upload(), &upload);
        assert_eq!(parsed.file(), &file);
        for bad in [
            "tenants/ten_x/uploads/upl_y/a.csv",
            "datasets/a/b/c/d",
            &format!("tenants/{}/uploads/{upload}", scope.tenant()),
            &format!("tenants/{}/uploads/{upload}/../a.csv", scope.tenant()),
        ] {
            let error = UploadObjectKey::parse(bad).unwrap_err();
            assert_eq!(error.code(), "invalid_field", "{bad}");
        }
    }

    fn scope() -> TenantScope {
        Principal::from_authorizer_context(AuthorizerContext {
            tenant: TenantId::generate(),
            subject: Subject::User {
                user: UserId::generate(),
            },
            role: Role::Member,
            scopes: None,
        })
        .unwrap()
        .scope()
    }

    #[test]
    fn keys_live_under_the_tenant_prefix() {
        let scope = scope();
        let upload = UploadId::generate();
        let key = ArtifactKey::upload(&scope, &upload, &FileName::parse("cars.csv").unwrap());
        assert_eq!(
            key.as_str(),
            format!("tenants/{}/uploads/{upload}/cars.csv", scope.tenant())
        );
        assert_eq!(key.bucket(), BucketKind::Uploads);
        let dataset = DatasetId::generate();
        let files: Vec<String> = VersionFile::ALL
            .iter()
            .map(|f| {
                ArtifactKey::version_file(&scope, &dataset, VersionNo::new(3).unwrap(), *f)
                    .as_str()
                    .to_owned()
            })
            .collect();
        let prefix = format!("tenants/{}/datasets/{dataset}/versions/3/", scope.tenant());
        assert!(files.iter().all(|k| k.starts_with(&prefix)), "{files:?}");
        assert!(files.iter().any(|k| k.ends_with("/data.parquet")));
        assert!(files.iter().any(|k| k.ends_with("/diff.json")));
    }

    #[test]
    fn a_key_is_refused_for_another_scope() {
        let (a, b) = (scope(), scope());
        let key = ArtifactKey::version_file(
            &a,
            &DatasetId::generate(),
            VersionNo::FIRST,
            VersionFile::Data,
        );
        assert!(ensure_key_in_scope(&a, &key).is_ok());
        assert_eq!(
            ensure_key_in_scope(&b, &key).unwrap_err().code(),
            "forbidden"
        );
    }

    #[test]
    fn presign_expiry_is_bounded() {
        assert!(presigning(Duration::ZERO).is_err());
        assert!(presigning(Duration::from_secs(13 * 3600)).is_err());
        assert!(presigning(Duration::from_secs(300)).is_ok());
    }
}
