//! The backing services of a deployment: a fresh PostgreSQL database, and private Redis and
//! SeaweedFS (S3-compatible) processes that only this deployment uses.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `n` distinct free loopback ports (all bound at once, then released).
pub fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()
        .context("binding a free loopback port")?;
    listeners.iter().map(|l| Ok(l.local_addr()?.port())).collect()
}

/// Whether `CI=true`: a missing service or tool is then a failure, never a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

/// Sends SIGTERM and waits up to `grace`, then SIGKILL.
fn terminate(child: &mut Child, grace: Duration) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let start = Instant::now();
    while start.elapsed() < grace {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A database of its own on the machine's PostgreSQL cluster, dropped by [`PgDatabase::drop_now`].
pub struct PgDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    /// Creates `<prefix>_<random>` through `OCR_TEST_POSTGRES_URL`
    /// (default `postgres://postgres@127.0.0.1:5432/postgres`).
    pub async fn create(prefix: &str) -> Result<Self> {
        let admin_url = env_or("OCR_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres");
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin_url)
            .await
            .with_context(|| format!("PostgreSQL is needed at {admin_url} (set OCR_TEST_POSTGRES_URL)"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .context("creating the database")?;
        pool.close().await;
        let (base, _) = admin_url.rsplit_once('/').context("a PostgreSQL URL with a database path")?;
        let url = format!("{base}/{name}");
        Ok(Self { admin_url, name, url })
    }

    /// Drops the database (and the connections still open to it).
    pub async fn drop_now(&self) -> Result<()> {
        let pool = sqlx::AnyPool::connect(&self.admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
            .execute(&pool)
            .await?;
        pool.close().await;
        Ok(())
    }
}

/// Restarts the machine's PostgreSQL cluster (`pg_ctlcluster <version> main restart`; needs
/// root and a Debian-style cluster). Every database on it sees its connections drop.
pub fn restart_postgres() -> Result<Duration> {
    let version = std::fs::read_dir("/etc/postgresql")
        .context("no /etc/postgresql: restarting PostgreSQL needs a Debian-style cluster")?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .max()
        .context("no cluster under /etc/postgresql")?;
    let start = Instant::now();
    let out = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", "restart"])
        .output()
        .context("running pg_ctlcluster")?;
    if !out.status.success() {
        bail!("pg_ctlcluster {version} main restart failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(start.elapsed())
}

/// A `redis-server` of its own on a free port, nothing kept on disk: a restart empties it.
pub struct PrivateRedis {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts `redis-server` (from `PATH`, or `OCR_REDIS_SERVER`) with its files under `dir`.
    pub async fn start(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut redis = Self { port: free_ports(1)?[0], dir: dir.to_owned(), child: None };
        redis.spawn().await?;
        Ok(redis)
    }

    /// Whether `redis-server` can be run here.
    pub fn available() -> bool {
        Command::new(Self::binary()).arg("--version").output().is_ok_and(|o| o.status.success())
    }

    fn binary() -> String {
        env_or("OCR_REDIS_SERVER", "redis-server")
    }

    async fn spawn(&mut self) -> Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("redis.log"))?;
        let child = Command::new(Self::binary())
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting redis-server (apt-get install redis-server, or set OCR_REDIS_SERVER)")?;
        self.child = Some(child);
        self.wait_ready().await
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: every stream and group is gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills it and starts an empty one on the same port.
    pub async fn restart(&mut self) -> Result<()> {
        self.kill();
        self.spawn().await
    }

    async fn wait_ready(&self) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await {
                let mut buf = [0u8; 7];
                if s.write_all(b"PING\r\n").await.is_ok()
                    && s.read_exact(&mut buf).await.is_ok()
                    && &buf == b"+PONG\r\n"
                {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("redis-server on port {} did not answer; see {}", self.port, self.dir.join("redis.log").display())
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Where an S3-compatible bucket is and how to sign requests to it.
#[derive(Clone)]
pub struct S3Env {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub bucket: String,
}

impl S3Env {
    /// The shared test server of `scripts/s3-server.sh` (overridable like the API tests:
    /// `OCR_TEST_S3_ENDPOINT`, `S3_TEST_ACCESS_KEY`, `S3_TEST_SECRET_KEY`, `S3_TEST_BUCKET`).
    pub fn shared_test_server() -> Self {
        Self {
            endpoint: env_or("OCR_TEST_S3_ENDPOINT", "http://127.0.0.1:8333"),
            access_key: env_or("S3_TEST_ACCESS_KEY", "ocr-test-access"),
            secret_key: env_or("S3_TEST_SECRET_KEY", "ocr-test-secret-key"),
            bucket: env_or("S3_TEST_BUCKET", "ocr-test"),
        }
    }

    /// `S3_*` settings for `ocr-server`.
    pub fn server_env(&self) -> Vec<(String, String)> {
        vec![
            ("S3_ENDPOINT".into(), self.endpoint.clone()),
            ("S3_ACCESS_KEY".into(), self.access_key.clone()),
            ("S3_SECRET_KEY".into(), self.secret_key.clone()),
            ("S3_BUCKET".into(), self.bucket.clone()),
        ]
    }

    /// A client of the bucket.
    pub fn objects(&self) -> Result<ocr_store::objects::Objects> {
        Ok(ocr_store::objects::Objects::s3(
            &ocr_store::objects::S3Settings {
                endpoint: self.endpoint.clone(),
                access_key: self.access_key.clone(),
                secret_key: self.secret_key.clone(),
                bucket: self.bucket.clone(),
                region: "us-east-1".into(),
            },
            ocr_store::Patience::Background,
        )?)
    }
}

/// A SeaweedFS (`weed mini`) of its own: every port free and loopback-only, its own data
/// folder, kept across [`PrivateS3::stop`] / [`PrivateS3::start`].
pub struct PrivateS3 {
    weed: PathBuf,
    dir: PathBuf,
    /// s3, s3 grpc, master, master grpc, filer, filer grpc, volume, volume grpc, admin, admin grpc.
    ports: Vec<u16>,
    pub env: S3Env,
    child: Option<Child>,
}

impl PrivateS3 {
    /// The `weed` binary: `OCR_WEED_BIN`, else the one `scripts/s3-server.sh` installs under
    /// `<repo>/.ci/.services/venv/bin`, else `weed` on `PATH`.
    pub fn find_weed(repo: &Path) -> Option<PathBuf> {
        if let Ok(p) = std::env::var("OCR_WEED_BIN") {
            return Some(PathBuf::from(p));
        }
        let services = std::env::var("OCR_SERVICES_DIR").map(PathBuf::from).unwrap_or(repo.join(".ci/.services"));
        let installed = services.join("venv/bin/weed");
        if installed.exists() {
            return Some(installed);
        }
        Command::new("weed").arg("version").output().is_ok_and(|o| o.status.success()).then(|| PathBuf::from("weed"))
    }

    /// Starts it with a fresh bucket and credentials, data under `dir`.
    pub async fn start_new(weed: PathBuf, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir.join("data"))?;
        let secret = uuid::Uuid::new_v4().simple().to_string();
        let env = S3Env {
            endpoint: String::new(),
            access_key: "chaos-access".into(),
            secret_key: secret,
            bucket: "ocr-chaos".into(),
        };
        let identities = serde_json::json!({"identities": [{"name": "ocr",
            "credentials": [{"accessKey": env.access_key, "secretKey": env.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]});
        std::fs::write(dir.join("identities.json"), identities.to_string())?;
        let ports = free_ports(10)?;
        let env = S3Env { endpoint: format!("http://127.0.0.1:{}", ports[0]), ..env };
        let mut s3 = Self { weed, dir: dir.to_owned(), ports, env, child: None };
        s3.start().await?;
        Ok(s3)
    }

    /// (Re)starts the server on the same ports and data folder; waits until a write works.
    pub async fn start(&mut self) -> Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        let p = &self.ports;
        let d = &self.dir;
        let log = std::fs::OpenOptions::new().create(true).append(true).open(d.join("weed.log"))?;
        let child = Command::new(&self.weed)
            .arg("mini")
            .arg(format!("-dir={}", d.join("data").display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false", "-webdav=false"])
            .args(["-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0"])
            .arg(format!("-s3.port={}", p[0]))
            .arg(format!("-s3.port.grpc={}", p[1]))
            .arg(format!("-master.port={}", p[2]))
            .arg(format!("-master.port.grpc={}", p[3]))
            .arg(format!("-filer.port={}", p[4]))
            .arg(format!("-filer.port.grpc={}", p[5]))
            .arg(format!("-volume.port={}", p[6]))
            .arg(format!("-volume.port.grpc={}", p[7]))
            .arg(format!("-admin.port={}", p[8]))
            .arg(format!("-admin.port.grpc={}", p[9]))
            .arg(format!("-filer.localSocket={}", d.join("filer.sock").display()))
            .arg(format!("-s3.localSocket={}", d.join("s3.sock").display()))
            .arg(format!("-s3.config={}", d.join("identities.json").display()))
            .arg(format!("-bucket={}", self.env.bucket))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.weed.display()))?;
        self.child = Some(child);
        self.wait_writable().await
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s); its data stays.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            terminate(&mut c, Duration::from_secs(10));
        }
    }

    async fn wait_writable(&self) -> Result<()> {
        let objects = self.env.objects()?;
        let probe = async {
            while objects.put(".probe", bytes::Bytes::from_static(b"probe")).await.is_err() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        // The client retries on its own too; bound the whole wait.
        tokio::time::timeout(Duration::from_secs(60), probe).await.map_err(|_| {
            anyhow::anyhow!("SeaweedFS did not accept a write in 60 s; see {}", self.dir.join("weed.log").display())
        })
    }
}

impl Drop for PrivateS3 {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_private_s3_server_keeps_its_objects_across_a_stop_and_start() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let Some(weed) = PrivateS3::find_weed(&repo) else {
            assert!(!in_ci(), "the weed binary is needed (scripts/s3-server.sh start)");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let mut s3 = PrivateS3::start_new(weed, dir.path()).await.unwrap();
        let objects = s3.env.objects().unwrap();
        for key in ["tenants/t1/jobs/j1/original", "tenants/t1/jobs/j1/result.json", "tenants/t2/jobs/j2/original"] {
            objects.put(key, bytes::Bytes::from_static(b"x")).await.unwrap();
        }
        let mut listed = objects.list("tenants/t1/").await.unwrap();
        listed.sort();
        assert_eq!(listed, ["tenants/t1/jobs/j1/original", "tenants/t1/jobs/j1/result.json"]);
        s3.stop();
        assert!(
            tokio::time::timeout(Duration::from_secs(3), objects.list("tenants/t1/"))
                .await
                .map_or(true, |r| r.is_err())
        );
        s3.start().await.unwrap();
        assert_eq!(objects.list("tenants/t1/").await.unwrap().len(), 2);
        assert_eq!(&objects.get("tenants/t2/jobs/j2/original").await.unwrap()[..], b"x");
    }
}
