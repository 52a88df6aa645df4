//! Starts `ocr-server` processes and talks to them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_ocr-server");

/// Built plugin components (`scripts/build-plugins.sh`, run by `scripts/test.sh`).
pub fn plugin_dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/dist")
}

pub fn plugin_bytes(rel: &str) -> Vec<u8> {
    let path = plugin_dist().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{} is missing ({e}): run scripts/build-plugins.sh", path.display()))
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

/// Production tests share Redis (one of them flushes it) and the machine's two cores: one at a time.
pub static PRODUCTION: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Where a deployment's state lives; every process started from it shares it.
pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
    pub database_url: String,
    pub redis_url: Option<String>,
}

impl Deployment {
    /// SQLite + local folder + in-process queue, in a fresh folder.
    pub fn embedded() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let env = vec![("OCR_DATA_DIR".into(), data.display().to_string())];
        let database_url = format!("sqlite://{}", data.join("ocr.db").display());
        Self { dir, env, database_url, redis_url: None }
    }

    /// A fresh PostgreSQL database, a unique Redis stream and the S3 test bucket.
    pub async fn production() -> Self {
        let admin = env_or("OCR_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres");
        let name = format!("ocr_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is needed at {admin} (set OCR_TEST_POSTGRES_URL): {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("create test database");
        let (base, _) = admin.rsplit_once('/').expect("database URL with a path");
        let database_url = format!("{base}/{name}");
        let redis_url = env_or("OCR_TEST_REDIS_URL", "redis://127.0.0.1:6379");
        redis_client(&redis_url).await;
        let s3 = env_or("OCR_TEST_S3_ENDPOINT", "http://127.0.0.1:8333");
        let dir = tempfile::tempdir().expect("tempdir");
        let env = vec![
            ("DATABASE_URL".into(), database_url.clone()),
            ("REDIS_URL".into(), redis_url.clone()),
            ("OCR_QUEUE_STREAM".into(), format!("ocr:test:{name}")),
            ("S3_ENDPOINT".into(), s3),
            ("S3_ACCESS_KEY".into(), env_or("S3_TEST_ACCESS_KEY", "ocr-test-access")),
            ("S3_SECRET_KEY".into(), env_or("S3_TEST_SECRET_KEY", "ocr-test-secret-key")),
            ("S3_BUCKET".into(), env_or("S3_TEST_BUCKET", "ocr-test")),
            ("OCR_DATA_DIR".into(), dir.path().join("data").display().to_string()),
        ];
        let d = Self { dir, env, database_url, redis_url: Some(redis_url) };
        let out = d.command(&["migrate"]).output().expect("run migrate");
        assert!(out.status.success(), "migrate failed: {}", String::from_utf8_lossy(&out.stderr));
        d
    }

    /// A command for this deployment with quick recovery settings, nothing inherited that
    /// could point it elsewhere.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        for k in [
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "S3_ENDPOINT",
            "MINIO_ENDPOINT",
            "OCR_BIND",
            "OCR_TEST_FAILPOINT",
        ] {
            cmd.env_remove(k);
        }
        cmd.env("OCR_LEASE_SECS", "3")
            .env("OCR_HEARTBEAT_SECS", "1")
            .env("OCR_REQUEUE_AFTER_SECS", "2")
            .env("OCR_SWEEP_INTERVAL_SECS", "1")
            .env("RUST_LOG", "info,ocr_server=debug")
            .env("OCR_BUILTIN_PLUGINS_DIR", plugin_dist())
            // Tests act as tenants through X-Tenant-Id (loopback); the auth tests switch to api-key.
            .env("OCR_AUTH_MODE", "header")
            .current_dir(self.dir.path());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Starts a process with its log in the deployment folder.
    pub fn spawn(&self, label: &str, args: &[&str], extra_env: &[(&str, &str)]) -> Proc {
        let log = self.dir.path().join(format!("{label}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let mut cmd = self.command(args);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.stdout(Stdio::null()).stderr(file).spawn().expect("start ocr-server");
        Proc { child, log }
    }

    /// `serve` (embedded) or `api` (production) on a free port, waiting until it answers.
    pub async fn start_api(&self, cmd: &str, extra_env: &[(&str, &str)]) -> Api {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let mut env: Vec<(&str, &str)> = vec![("OCR_BIND", &bind)];
        env.extend_from_slice(extra_env);
        let proc = self.spawn(&format!("{cmd}-{port}"), &[cmd], &env);
        let api = Api { base: format!("http://{bind}"), http: reqwest::Client::new(), proc };
        api.wait_healthy().await;
        api
    }

    /// The deployment's object store (the S3 test bucket, or the embedded local folder).
    pub fn objects(&self) -> ocr_store::Objects {
        let env = |k: &str| self.env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        match env("S3_ENDPOINT") {
            Some(endpoint) => ocr_store::Objects::s3(
                &ocr_store::S3Settings {
                    endpoint,
                    access_key: env("S3_ACCESS_KEY").unwrap_or_default(),
                    secret_key: env("S3_SECRET_KEY").unwrap_or_default(),
                    bucket: env("S3_BUCKET").unwrap_or_default(),
                    region: "us-east-1".into(),
                },
                ocr_store::Patience::Request,
            )
            .expect("S3 client"),
            None => ocr_store::Objects::local(&self.dir.path().join("data/objects")).expect("local objects"),
        }
    }

    pub async fn db(&self) -> ocr_store::Db {
        ocr_store::Db::connect(&self.database_url, 2).await.expect("test database")
    }
}

impl Drop for Deployment {
    /// Drops a production deployment's database and Redis keys, so repeated runs leave the
    /// shared services as they found them (objects stay under their unique tenant prefixes).
    fn drop(&mut self) {
        let Some(redis_url) = self.redis_url.clone() else { return };
        let admin = env_or("OCR_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres");
        let name = self.database_url.rsplit('/').next().unwrap_or_default().to_owned();
        let stream = format!("ocr:test:{name}");
        // Drop can run inside the tests' runtime, so clean up on a thread with its own.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(pool) = sqlx::AnyPool::connect(&admin).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await;
                }
                // The queue's keys: the tenants' streams, the tenant set, the turn, the wake-ups.
                let mut redis = redis_client(&redis_url).await;
                let keys: Vec<String> =
                    redis::cmd("KEYS").arg(format!("{stream}:*")).query_async(&mut redis).await.unwrap_or_default();
                if !keys.is_empty() {
                    let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query_async(&mut redis).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

pub async fn redis_client(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).expect("redis url");
    client
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("Redis is needed at {url} (set OCR_TEST_REDIS_URL): {e}"))
}

pub struct Proc {
    pub child: Child,
    pub log: PathBuf,
}

impl Proc {
    pub fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub proc: Proc,
}

pub const TIMEOUT: Duration = Duration::from_secs(180);

impl Api {
    async fn wait_healthy(&self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(180) {
            if let Ok(r) = self.http.get(format!("{}/health", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("server did not start; log:\n{}", self.proc.log());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn req(&self, method: reqwest::Method, path: &str, tenant: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).header("X-Tenant-Id", tenant)
    }

    pub async fn create_job(&self, tenant: &str, options: Value) -> String {
        let r = self.req(reqwest::Method::POST, "/v1/ocr/jobs", tenant).json(&options).send().await.expect("create");
        assert_eq!(r.status(), 201, "create: {}", r.text().await.unwrap_or_default());
        r.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned()
    }

    pub async fn upload(&self, tenant: &str, job: &str, file: &str) -> reqwest::Result<reqwest::Response> {
        let bytes = std::fs::read(fixture(file)).expect("fixture");
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(file.to_owned()));
        self.req(reqwest::Method::POST, &format!("/v1/ocr/jobs/{job}/upload"), tenant).multipart(form).send().await
    }

    /// Uploads a fixture and expects 202, showing the body and the server log otherwise.
    pub async fn upload_ok(&self, tenant: &str, job: &str, file: &str) -> Value {
        let r = self.upload(tenant, job, file).await.expect("upload");
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        assert_eq!(status, 202, "upload of {file}: {body}\nlog:\n{}", self.proc.log());
        serde_json::from_str(&body).expect("upload answer is JSON")
    }

    /// Uploads a plugin component; returns the response.
    pub async fn upload_plugin(&self, tenant: &str, name: &str, version: &str, wasm: Vec<u8>) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .text("name", name.to_owned())
            .text("version", version.to_owned())
            .part("file", reqwest::multipart::Part::bytes(wasm).file_name("plugin.wasm"));
        self.req(reqwest::Method::POST, "/v1/plugins", tenant).multipart(form).send().await.expect("upload plugin")
    }

    pub async fn job(&self, tenant: &str, job: &str) -> Value {
        let r = self.req(reqwest::Method::GET, &format!("/v1/ocr/jobs/{job}"), tenant).send().await.expect("get job");
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Waits, by long polls, until the job reaches `status` (panics on FAILED or after the timeout).
    pub async fn wait_for(&self, tenant: &str, job: &str, status: &str) -> Value {
        let start = Instant::now();
        let mut j = self.job(tenant, job).await;
        loop {
            if j["status"] == status {
                return j;
            }
            assert!(
                j["status"] != "FAILED" || status == "FAILED",
                "job failed: {}\nlog:\n{}",
                j["error"],
                self.proc.log()
            );
            assert!(
                start.elapsed() < TIMEOUT,
                "job stuck in {} waiting for {status}\nlog:\n{}",
                j["status"],
                self.proc.log()
            );
            let path = format!("/v1/ocr/jobs/{job}?wait=5&since_status={}", j["status"].as_str().unwrap_or_default());
            let r = self.req(reqwest::Method::GET, &path, tenant).send().await.expect("long poll");
            assert_eq!(r.status(), 200);
            j = r.json().await.unwrap();
        }
    }
}

/// A unique tenant per test.
pub fn tenant() -> String {
    format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// Small canvas: keeps the tests quick on two cores while still exercising the real models.
pub fn quick_options(auto_ocr: bool) -> Value {
    serde_json::json!({"auto_ocr": auto_ocr, "detect": {"canvas_size": 960}})
}
