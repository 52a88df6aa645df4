//! Object storage for originals and results: an S3-compatible bucket or a local folder,
//! behind the `object_store` crate so both share one API.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{BackoffConfig, ClientOptions, RetryConfig};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

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

/// How long to keep trying a store that fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// Someone waits on the answer (an API request): a store that is down is reported within
    /// about 5 s (one-second connects, two quick retries), so the client gets 503 and retries.
    Request,
    /// Background work (workers, retention): the client library's long retries (minutes), so a
    /// short outage costs no work.
    Background,
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

    /// An S3-compatible bucket, addressed path-style (MinIO, SeaweedFS, AWS). `patience` says
    /// how long a failing store is retried before the caller hears of it.
    pub fn s3(s: &S3Settings, patience: Patience) -> Result<Self> {
        let mut client = ClientOptions::new().with_allow_http(true);
        let mut builder = AmazonS3Builder::new()
            .with_endpoint(&s.endpoint)
            .with_access_key_id(&s.access_key)
            .with_secret_access_key(&s.secret_key)
            .with_bucket_name(&s.bucket)
            .with_region(&s.region)
            .with_virtual_hosted_style_request(false);
        if patience == Patience::Request {
            client = client.with_connect_timeout(Duration::from_secs(1));
            builder = builder.with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_millis(500),
                    base: 2.0,
                },
                max_retries: 2,
                retry_timeout: Duration::from_secs(3),
            });
        }
        let builder = builder.with_client_options(client);
        Ok(Self { store: Arc::new(builder.build()?), description: format!("bucket {} at {}", s.bucket, s.endpoint) })
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub async fn put(&self, key: &str, data: Bytes) -> Result<()> {
        self.store.put(&ObjPath::from(key), PutPayload::from_bytes(data)).await?;
        Ok(())
    }

    /// Starts writing `key` from chunks as they arrive (an upload's body): at most one part
    /// (8 MiB) and two parts in flight are held in memory, whatever the object's size.
    pub fn writer(&self, key: &str) -> ObjectWriter {
        ObjectWriter {
            store: self.store.clone(),
            key: ObjPath::from(key),
            buffer: BytesMut::new(),
            upload: None,
            size: 0,
        }
    }

    pub async fn get(&self, key: &str) -> Result<Bytes> {
        Ok(self.store.get(&ObjPath::from(key)).await?.bytes().await?)
    }

    /// Deletes one object; a missing one is fine.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&ObjPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every object under `prefix` (a job's folder).
    pub async fn delete_prefix(&self, prefix: &str) -> Result<()> {
        let prefix = ObjPath::from(prefix);
        let keys: Vec<ObjPath> = self.store.list(Some(&prefix)).map_ok(|m| m.location).try_collect().await?;
        for key in keys {
            self.delete(key.as_ref()).await?;
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

/// Part size of streamed writes (S3 wants at least 5 MiB per part but the last).
const PART_BYTES: usize = 8 << 20;

/// An object being written from a stream of chunks ([`Objects::writer`]). Objects smaller
/// than a part are sent in one request; larger ones as a multipart upload. Dropped without
/// [`ObjectWriter::finish`], nothing becomes visible under the key (call `abort` to also free
/// the parts already sent).
pub struct ObjectWriter {
    store: Arc<dyn ObjectStore>,
    key: ObjPath,
    buffer: BytesMut,
    upload: Option<WriteMultipart>,
    size: u64,
}

impl ObjectWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        match &mut self.upload {
            Some(upload) => {
                upload.wait_for_capacity(2).await?;
                upload.write(chunk);
            }
            None => {
                self.buffer.extend_from_slice(chunk);
                if self.buffer.len() >= PART_BYTES {
                    let mut upload =
                        WriteMultipart::new_with_chunk_size(self.store.put_multipart(&self.key).await?, PART_BYTES);
                    upload.put(std::mem::take(&mut self.buffer).freeze());
                    self.upload = Some(upload);
                }
            }
        }
        Ok(())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Makes the object visible under its key.
    pub async fn finish(self) -> Result<()> {
        match self.upload {
            Some(upload) => {
                upload.finish().await?;
            }
            None => {
                self.store.put(&self.key, PutPayload::from_bytes(self.buffer.freeze())).await?;
            }
        }
        Ok(())
    }

    /// Gives up, freeing the parts sent so far.
    pub async fn abort(self) {
        if let Some(upload) = self.upload
            && let Err(e) = upload.abort().await
        {
            tracing::warn!(error = %e, key = %self.key, "could not abort a multipart upload; the store expires it");
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

    /// The detector's boxes before the tenant's `filter_boxes` plugins changed them (written only
    /// when some ran): what a candidate pipeline is replayed on.
    pub fn model_detect(tenant: &TenantId, job: JobId) -> String {
        format!("{}/model/detect.json", job_prefix(tenant, job))
    }

    /// The recognizer's lines before the tenant's `normalize_text` plugins changed them (written
    /// only when some ran).
    pub fn model_result(tenant: &TenantId, job: JobId) -> String {
        format!("{}/model/result.json", job_prefix(tenant, job))
    }

    /// Page `page` (0-based) of the upload rendered as PNG: a cache, under the job's prefix so
    /// it goes with the job.
    pub fn page_image(tenant: &TenantId, job: JobId, page: usize) -> String {
        format!("{}/pages/{page}.png", job_prefix(tenant, job))
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

    #[tokio::test]
    async fn a_streamed_object_larger_than_a_part_arrives_whole() {
        let dir = tempfile::tempdir().unwrap();
        let objects = Objects::local(dir.path()).unwrap();
        let data: Vec<u8> = (0..PART_BYTES * 2 + 12345).map(|i| (i % 251) as u8).collect();
        let mut w = objects.writer("big/original");
        for chunk in data.chunks(64 << 10) {
            w.write(chunk).await.unwrap();
        }
        assert_eq!(w.size(), data.len() as u64);
        w.finish().await.unwrap();
        assert_eq!(objects.get("big/original").await.unwrap(), Bytes::from(data));
        let mut small = objects.writer("small/original");
        small.write(b"tiny").await.unwrap();
        small.finish().await.unwrap();
        assert_eq!(objects.get("small/original").await.unwrap(), Bytes::from_static(b"tiny"));
        // Abandoned: nothing appears under the key.
        let mut gone = objects.writer("gone/original");
        gone.write(&vec![7u8; PART_BYTES + 1]).await.unwrap();
        gone.abort().await;
        assert!(objects.get("gone/original").await.unwrap_err().is_not_found());
    }
}
