//! Object storage for originals and results: an S3-compatible bucket or a local folder,
//! behind the `object_store` crate so both share one API.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::Result;

/// Where the S3-compatible server is and how to sign requests to it.
#[derive(Clone)]
pub struct S3Settings {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub bucket: String,
    pub region: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Handle to the object store; cheap to clone.
#[derive(Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    description: String,
}

impl Objects {
    /// A folder on local disk (embedded mode). Created if missing.
    pub fn local(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?;
        let store = LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self { store: Arc::new(store), description: format!("local folder {}", dir.display()) })
    }

    /// An S3-compatible bucket, addressed path-style (MinIO, SeaweedFS, AWS).
    pub fn s3(s: &S3Settings) -> Result<Self> {
        let store = AmazonS3Builder::new()
            .with_endpoint(&s.endpoint)
            .with_access_key_id(&s.access_key)
            .with_secret_access_key(&s.secret_key)
            .with_bucket_name(&s.bucket)
            .with_region(&s.region)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .build()?;
        Ok(Self { store: Arc::new(store), description: format!("bucket {} at {}", s.bucket, s.endpoint) })
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub async fn put(&self, key: &str, data: Bytes) -> Result<()> {
        self.store.put(&ObjPath::from(key), PutPayload::from_bytes(data)).await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes> {
        Ok(self.store.get(&ObjPath::from(key)).await?.bytes().await?)
    }

    /// Deletes every object under `prefix` (a job's folder).
    pub async fn delete_prefix(&self, prefix: &str) -> Result<()> {
        let prefix = ObjPath::from(prefix);
        let keys: Vec<ObjPath> = self.store.list(Some(&prefix)).map_ok(|m| m.location).try_collect().await?;
        for key in keys {
            match self.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Lists the keys under `prefix`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let prefix = ObjPath::from(prefix);
        Ok(self.store.list(Some(&prefix)).map_ok(|m| m.location.to_string()).try_collect().await?)
    }

    /// Answers when the store is reachable and the credentials work (a missing key is fine).
    pub async fn ping(&self) -> Result<()> {
        match self.store.head(&ObjPath::from("health/ping")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Object keys, made only of internal ids (never of client-supplied names).
pub mod keys {
    use ocr_core::{JobId, TenantId};

    pub fn job_prefix(tenant: &TenantId, job: JobId) -> String {
        format!("tenants/{tenant}/jobs/{job}")
    }

    pub fn original(tenant: &TenantId, job: JobId) -> String {
        format!("{}/original", job_prefix(tenant, job))
    }

    pub fn detect(tenant: &TenantId, job: JobId) -> String {
        format!("{}/detect.json", job_prefix(tenant, job))
    }

    pub fn result(tenant: &TenantId, job: JobId) -> String {
        format!("{}/result.json", job_prefix(tenant, job))
    }

    /// A tenant plugin's component.
    pub fn plugin(tenant: &TenantId, plugin_id: &str) -> String {
        format!("tenants/{tenant}/plugins/{plugin_id}.wasm")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_store_round_trips_and_deletes_a_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let objects = Objects::local(dir.path()).unwrap();
        objects.ping().await.unwrap();
        objects.put("a/b/original", Bytes::from_static(b"hello")).await.unwrap();
        objects.put("a/b/detect.json", Bytes::from_static(b"{}")).await.unwrap();
        assert_eq!(objects.get("a/b/original").await.unwrap(), Bytes::from_static(b"hello"));
        objects.delete_prefix("a/b").await.unwrap();
        assert!(objects.get("a/b/original").await.unwrap_err().is_not_found());
        assert!(objects.list("a").await.unwrap().is_empty());
    }
}
