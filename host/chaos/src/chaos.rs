//! The chaos run: auto_ocr jobs submitted continuously through the HTTP API while workers are
//! SIGKILLed, Redis restarts empty, the S3 server stops for a while and (optionally) PostgreSQL
//! restarts; then the queue drains and every job is reconciled against the database and the
//! bucket.
//!
//! What counts as correct:
//! - every accepted job (upload answered 202, or 409 on a retry whose first try was committed,
//!   or committed while the client saw an error) ends in exactly one terminal state: exactly one
//!   transition into `DONE` or `FAILED` in `job_events`, none lost, none completed twice;
//! - `FAILED` is accepted only with a transient code (`service_unavailable`, `lease_expired`,
//!   `internal`): the faults used up the job's retry budget (`OCR_MAX_ATTEMPTS`), the client
//!   can run it again. Any other failure code is a finding. The run reports both counts;
//! - no orphaned objects: every object under the tenant's prefix is the original a job row
//!   recorded (`file_key`; each upload try writes a fresh key) or a `detect.json`/`result.json`
//!   of a job that recorded its upload, and every `DONE` job has its original and `result.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sqlx::Row;

use crate::deploy::{Deployment, Proc};
use crate::services::{PgDatabase, PrivateRedis, PrivateS3, free_ports, restart_postgres};

/// What to run and for how long.
#[derive(Debug, Clone)]
pub struct ChaosConfig {
    /// The `ocr-server` binary.
    pub server: PathBuf,
    /// The repository root (for the `weed` binary of `scripts/s3-server.sh` and `plugins/dist`).
    pub repo: PathBuf,
    /// Images submitted in turn (small ones keep the run quick).
    pub fixtures: Vec<PathBuf>,
    /// Load and faults last this long; then the queue drains.
    pub duration: Duration,
    pub workers: usize,
    /// Concurrent clients, each submitting a job and waiting for it before the next.
    pub clients: usize,
    /// A random worker is SIGKILLed (and restarted) this often.
    pub kill_every: Duration,
    /// How long the S3 server stays down (capped at a third of `duration`).
    pub s3_outage: Duration,
    /// Restart the machine's PostgreSQL cluster once (needs root; affects every database on it).
    pub restart_postgres: bool,
    /// Detection canvas of the submitted jobs.
    pub canvas: u32,
    /// Longest wait for the queue to drain after the load stops.
    pub drain_timeout: Duration,
}

impl ChaosConfig {
    pub fn new(server: PathBuf, repo: PathBuf, fixtures: Vec<PathBuf>, duration: Duration) -> Self {
        Self {
            server,
            repo,
            fixtures,
            duration,
            workers: 3,
            clients: 4,
            kill_every: Duration::from_secs(5),
            s3_outage: Duration::from_secs(30),
            restart_postgres: false,
            canvas: 640,
            drain_timeout: Duration::from_secs(180),
        }
    }
}

/// A fault injected, and how long until the next job completed after it.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Seconds since the start of the load.
    pub at_s: f64,
    /// `worker SIGKILL`, `Redis restart`, `S3 stop`, `S3 back` or `PostgreSQL restart`.
    pub kind: &'static str,
    pub what: String,
    /// Milliseconds from the fault to the next `DONE` (`None`: no job completed after it).
    pub recovery_ms: Option<i64>,
}

/// Counts and findings of a run.
#[derive(Debug, Default)]
pub struct ChaosReport {
    pub create_failed: usize,
    pub created: usize,
    /// Uploads answered 202 (or 409 after a retry).
    pub accepted: usize,
    /// Jobs whose upload committed although the client never saw a 202.
    pub accepted_unseen: usize,
    /// Jobs whose upload was refused on every try (still `PENDING_UPLOAD`, no work accepted).
    pub upload_refused: usize,
    pub done: usize,
    /// `FAILED` with a transient code: the retry budget ran out under the faults.
    pub failed_transient: Vec<(String, String)>,
    /// `FAILED` with any other code.
    pub failed_other: Vec<(String, String)>,
    /// Accepted by the API, but no job row.
    pub lost: Vec<String>,
    /// Accepted, but not in a terminal state after the drain.
    pub not_terminal: Vec<(String, String)>,
    /// More than one transition into `DONE`.
    pub done_twice: Vec<String>,
    /// A terminal job without exactly one transition into a terminal state.
    pub bad_transitions: Vec<(String, usize)>,
    /// Objects found under the tenant's prefix.
    pub objects: usize,
    /// Objects without a job that recorded its upload.
    pub orphaned_objects: Vec<String>,
    /// `DONE` jobs without their original or `result.json`.
    pub missing_objects: Vec<String>,
    pub faults: Vec<Fault>,
    pub worker_kills: usize,
    /// Processes that died without being killed after they had started (a crash).
    pub unexpected_exits: Vec<String>,
    /// Workers that exited within their first seconds, e.g. started while PostgreSQL was
    /// restarting (a supervisor restarts them; so does the run). Reported, not a failure.
    pub failed_starts: Vec<String>,
    pub load_s: f64,
    pub drain_s: f64,
}

impl ChaosReport {
    /// What broke the platform's promises; empty when the run passed.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let mut add = |what: &str, n: usize, detail: String| {
            if n > 0 {
                p.push(format!("{n} {what}: {detail}"));
            }
        };
        add("accepted jobs lost", self.lost.len(), format!("{:?}", self.lost));
        add("jobs not terminal after the drain", self.not_terminal.len(), format!("{:?}", self.not_terminal));
        add("jobs completed twice", self.done_twice.len(), format!("{:?}", self.done_twice));
        add(
            "jobs without exactly one terminal transition",
            self.bad_transitions.len(),
            format!("{:?}", self.bad_transitions),
        );
        add("jobs failed with a non-transient code", self.failed_other.len(), format!("{:?}", self.failed_other));
        add("orphaned objects", self.orphaned_objects.len(), format!("{:?}", self.orphaned_objects));
        add("DONE jobs missing objects", self.missing_objects.len(), format!("{:?}", self.missing_objects));
        add("unexpected process exits", self.unexpected_exits.len(), format!("{:?}", self.unexpected_exits));
        if self.accepted == 0 {
            p.push("no job was accepted: the load never got through".into());
        }
        if self.done == 0 {
            p.push("no job completed".into());
        }
        p
    }

    /// A plain-text summary: counts, then every fault with its recovery time.
    pub fn render(&self) -> String {
        let mut s = format!(
            "load {:.0} s, drain {:.1} s\n\
             jobs: created {}, create refused {}, accepted {} (+{} committed unseen), upload refused {}\n\
             terminal: DONE {}, FAILED transient {}, FAILED other {}\n\
             lost {}, not terminal {}, completed twice {}, bad transitions {}\n\
             objects {}: orphaned {}, DONE jobs missing objects {}\n\
             worker SIGKILLs {}, unexpected exits {}, workers that failed to start (restarted) {}\n",
            self.load_s,
            self.drain_s,
            self.created,
            self.create_failed,
            self.accepted,
            self.accepted_unseen,
            self.upload_refused,
            self.done,
            self.failed_transient.len(),
            self.failed_other.len(),
            self.lost.len(),
            self.not_terminal.len(),
            self.done_twice.len(),
            self.bad_transitions.len(),
            self.objects,
            self.orphaned_objects.len(),
            self.missing_objects.len(),
            self.worker_kills,
            self.unexpected_exits.len(),
            self.failed_starts.len(),
        );
        s.push_str("faults (time since start -> next job DONE):\n");
        for f in &self.faults {
            let rec = f.recovery_ms.map_or("no completion after it".into(), |ms| format!("{:.2} s", ms as f64 / 1e3));
            s.push_str(&format!("  {:7.1} s  {:<28} recovery {rec}\n", f.at_s, f.what));
        }
        s.push_str("recovery per kind of fault (count, median, max):\n");
        for (kind, mut ms) in self.recovery_by_kind() {
            ms.sort_unstable();
            let (median, max) = (ms[ms.len() / 2], ms[ms.len() - 1]);
            s.push_str(&format!(
                "  {kind:<20} {:3}  {:6.2} s  {:6.2} s\n",
                ms.len(),
                median as f64 / 1e3,
                max as f64 / 1e3
            ));
        }
        s
    }

    /// Recovery times (ms) per kind of fault, of the faults a completion followed.
    pub fn recovery_by_kind(&self) -> BTreeMap<&'static str, Vec<i64>> {
        let mut by_kind: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
        for f in &self.faults {
            if let Some(ms) = f.recovery_ms {
                by_kind.entry(f.kind).or_default().push(ms);
            }
        }
        by_kind
    }
}

/// The faults, in time order.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    KillWorker,
    RestartRedis,
    StopS3,
    StartS3,
    RestartPostgres,
}

impl Action {
    fn kind(self) -> &'static str {
        match self {
            Action::KillWorker => "worker SIGKILL",
            Action::RestartRedis => "Redis restart",
            Action::StopS3 => "S3 stop",
            Action::StartS3 => "S3 back",
            Action::RestartPostgres => "PostgreSQL restart",
        }
    }
}

fn schedule(c: &ChaosConfig) -> Vec<(Duration, Action)> {
    let d = c.duration;
    let mut plan = Vec::new();
    let mut t = c.kill_every;
    while !c.kill_every.is_zero() && t < d {
        plan.push((t, Action::KillWorker));
        t += c.kill_every;
    }
    plan.push((d.mul_f64(0.3), Action::RestartRedis));
    let outage = c.s3_outage.min(d / 3);
    plan.push((d.mul_f64(0.45), Action::StopS3));
    plan.push((d.mul_f64(0.45) + outage, Action::StartS3));
    if c.restart_postgres {
        plan.push((d.mul_f64(0.9), Action::RestartPostgres));
    }
    plan.sort_by_key(|(t, _)| *t);
    plan
}

/// A small xorshift: which worker dies next (no need for a random-number crate).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[derive(Default)]
struct Load {
    create_failed: usize,
    created: BTreeSet<String>,
    accepted: BTreeSet<String>,
}

const TERMINAL: [&str; 2] = ["DONE", "FAILED"];
/// A worker exiting this soon after its start failed to start (a dependency was down).
const STARTUP: Duration = Duration::from_secs(15);
const TRANSIENT: [&str; 3] = ["service_unavailable", "lease_expired", "internal"];

/// Runs the whole scenario and reconciles. `Err` only when the run could not be set up or
/// read back; a broken promise is in [`ChaosReport::problems`].
pub async fn run(c: &ChaosConfig) -> Result<ChaosReport> {
    if c.fixtures.is_empty() || c.workers == 0 || c.clients == 0 {
        bail!("need at least one fixture, one worker and one client");
    }
    let dir = tempfile::tempdir()?;
    let weed = PrivateS3::find_weed(&c.repo)
        .context("the SeaweedFS `weed` binary is needed: run scripts/s3-server.sh start (or set OCR_WEED_BIN)")?;
    let mut redis = PrivateRedis::start(&dir.path().join("redis")).await?;
    let mut s3 = PrivateS3::start_new(weed, &dir.path().join("s3")).await?;
    let db = PgDatabase::create("ocr_chaos").await?;
    let result = run_in(c, &db, &mut redis, &mut s3).await;
    if let Err(e) = db.drop_now().await {
        eprintln!("could not drop database {}: {e}", db.name);
    }
    result
}

async fn run_in(c: &ChaosConfig, db: &PgDatabase, redis: &mut PrivateRedis, s3: &mut PrivateS3) -> Result<ChaosReport> {
    let mut env: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), db.url.clone()),
        ("REDIS_URL".into(), redis.url()),
        ("OCR_QUEUE_STREAM".into(), "ocr:chaos".into()),
        // Quick recovery: short leases, frequent sweeps.
        ("OCR_LEASE_SECS".into(), "3".into()),
        ("OCR_HEARTBEAT_SECS".into(), "1".into()),
        ("OCR_REQUEUE_AFTER_SECS".into(), "2".into()),
        ("OCR_SWEEP_INTERVAL_SECS".into(), "1".into()),
        // Enough retries (2 s backoff, doubling) to outlast a 30 s outage.
        ("OCR_MAX_ATTEMPTS".into(), "6".into()),
        ("OCR_TENANT_RATE_PER_SEC".into(), "0".into()),
        ("OCR_MAX_ACTIVE_JOBS_PER_TENANT".into(), "1000".into()),
        ("OCR_AUTH_MODE".into(), "header".into()),
        ("OCR_THREADS".into(), "1".into()),
        ("OCR_BUILTIN_PLUGINS_DIR".into(), c.repo.join("plugins/dist").display().to_string()),
        ("RUST_LOG".into(), "info".into()),
    ];
    env.extend(s3.env.server_env());
    let d = Deployment::new(&c.server, env)?;
    d.migrate()?;
    let port = free_ports(1)?[0];
    let mut api = d.start_api("api", port, &[]).await?;
    let base = format!("http://127.0.0.1:{port}");
    let mut workers: Vec<Proc> =
        (0..c.workers).map(|i| d.spawn(&format!("worker-{i}"), &["worker"], &[])).collect::<Result<_>>()?;
    let mut spawned = vec![Instant::now(); c.workers];
    let tenant = format!("chaos-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let files: Arc<Vec<(String, Vec<u8>)>> = Arc::new(
        c.fixtures
            .iter()
            .map(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                Ok((name, std::fs::read(p).with_context(|| format!("reading {}", p.display()))?))
            })
            .collect::<Result<_>>()?,
    );

    let start = Instant::now();
    let deadline = start + c.duration;
    let load = Arc::new(Mutex::new(Load::default()));
    let clients: Vec<_> = (0..c.clients)
        .map(|i| {
            let (base, tenant, files, load) = (base.clone(), tenant.clone(), files.clone(), load.clone());
            let canvas = c.canvas;
            tokio::spawn(async move { client(i, &base, &tenant, &files, canvas, deadline, &load).await })
        })
        .collect();

    // Faults on the schedule; processes that die on their own are noted and restarted.
    let unix_ms = |at: Instant| now_ms() - at.elapsed().as_millis() as i64;
    let start_unix_ms = unix_ms(start);
    let mut report = ChaosReport::default();
    let mut dice = Dice(u64::from(std::process::id()) << 20 | (now_ms() as u64 & 0xfffff) | 1);
    let mut generation = 0;
    let mut fault_times: Vec<(i64, Action, String)> = Vec::new();
    let mut plan = schedule(c).into_iter().peekable();
    while Instant::now() < deadline {
        while let Some((at, action)) = plan.peek().copied() {
            if start.elapsed() < at {
                break;
            }
            plan.next();
            let at_ms = now_ms();
            let what = match action {
                Action::KillWorker => {
                    let i = dice.roll(workers.len());
                    workers[i].kill();
                    report.worker_kills += 1;
                    generation += 1;
                    workers[i] = d.spawn(&format!("worker-{i}-{generation}"), &["worker"], &[])?;
                    spawned[i] = Instant::now();
                    format!("SIGKILL worker {i}")
                }
                Action::RestartRedis => {
                    redis.restart().await?;
                    "restart Redis (empty)".to_owned()
                }
                Action::StopS3 => {
                    s3.stop();
                    "stop the S3 server".to_owned()
                }
                Action::StartS3 => {
                    s3.start().await?;
                    "S3 server back".to_owned()
                }
                Action::RestartPostgres => {
                    let took = tokio::task::spawn_blocking(restart_postgres).await??;
                    format!("restart PostgreSQL ({:.1} s)", took.as_secs_f64())
                }
            };
            eprintln!("[chaos {:6.1} s] {what}", start.elapsed().as_secs_f64());
            fault_times.push((at_ms, action, what));
        }
        if api.exited() {
            report.unexpected_exits.push(format!("api: {}", api.log_tail(20)));
            api = d.start_api("api", port, &[]).await?;
        }
        for (i, w) in workers.iter_mut().enumerate() {
            if w.exited() {
                let note = format!("worker {i}: {}", w.log_tail(5));
                if spawned[i].elapsed() < STARTUP {
                    report.failed_starts.push(note)
                } else {
                    report.unexpected_exits.push(note)
                }
                generation += 1;
                *w = d.spawn(&format!("worker-{i}-{generation}"), &["worker"], &[])?;
                spawned[i] = Instant::now();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Whatever the schedule left down comes back before the drain.
    s3.start().await?;
    for handle in clients {
        handle.await.context("a client task panicked")?;
    }
    report.load_s = start.elapsed().as_secs_f64();
    eprintln!("[chaos {:6.1} s] load stopped; draining", report.load_s);

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.context("connecting to the chaos database")?;
    let drain_start = Instant::now();
    loop {
        let busy: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = $1 AND status NOT IN ('DONE', 'FAILED', 'PENDING_UPLOAD')",
        )
        .bind(&tenant)
        .fetch_one(&pool)
        .await?
        .try_get("n")?;
        if busy == 0 || drain_start.elapsed() > c.drain_timeout {
            break;
        }
        if api.exited() {
            report.unexpected_exits.push(format!("api (drain): {}", api.log_tail(20)));
            api = d.start_api("api", port, &[]).await?;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    report.drain_s = drain_start.elapsed().as_secs_f64();
    drop(workers);
    drop(api);

    let load = std::mem::take(&mut *load.lock().unwrap_or_else(|e| e.into_inner()));
    reconcile(&pool, &s3.env.objects()?, &tenant, &load, &mut report).await?;
    let done_times: Vec<i64> =
        sqlx::query("SELECT done_at FROM jobs WHERE tenant_id = $1 AND done_at IS NOT NULL ORDER BY done_at")
            .bind(&tenant)
            .fetch_all(&pool)
            .await?
            .iter()
            .map(|r| r.try_get("done_at"))
            .collect::<Result<_, _>>()?;
    pool.close().await;
    report.faults = fault_times
        .into_iter()
        .map(|(at, action, what)| Fault {
            at_s: (at - start_unix_ms) as f64 / 1e3,
            kind: action.kind(),
            what,
            recovery_ms: done_times.iter().find(|d| **d > at).map(|d| d - at),
        })
        .collect();
    Ok(report)
}

fn now_ms() -> i64 {
    ocr_store::now_ms()
}

/// One client: create a job, upload (retrying a refused upload a few times, as a client would),
/// wait for it to end, repeat until the deadline.
async fn client(
    i: usize,
    base: &str,
    tenant: &str,
    files: &[(String, Vec<u8>)],
    canvas: u32,
    deadline: Instant,
    load: &Mutex<Load>,
) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap_or_default();
    let note = |f: &dyn Fn(&mut Load)| f(&mut load.lock().unwrap_or_else(|e| e.into_inner()));
    let mut n = i;
    while Instant::now() < deadline {
        let (name, bytes) = &files[n % files.len()];
        n += 1;
        let created = http
            .post(format!("{base}/v1/ocr/jobs"))
            .header("X-Tenant-Id", tenant)
            .json(&json!({"auto_ocr": true, "detect": {"canvas_size": canvas}}))
            .send()
            .await;
        let id = match created {
            Ok(r) if r.status() == 201 => {
                r.json::<Value>().await.ok().and_then(|v| v["job_id"].as_str().map(str::to_owned))
            }
            _ => None,
        };
        let Some(id) = id else {
            note(&|l| l.create_failed += 1);
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        note(&|l| {
            l.created.insert(id.clone());
        });
        for attempt in 0..5 {
            let form = reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()));
            let r = http
                .post(format!("{base}/v1/ocr/jobs/{id}/upload"))
                .header("X-Tenant-Id", tenant)
                .multipart(form)
                .send()
                .await;
            // 409 on a retry: an earlier try was committed although its answer was lost.
            if let Ok(r) = &r
                && (r.status() == 202 || (attempt > 0 && r.status() == 409))
            {
                note(&|l| {
                    l.accepted.insert(id.clone());
                });
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        // Wait for this job before the next, so the load follows what the workers manage.
        while Instant::now() < deadline {
            let status = match http.get(format!("{base}/v1/ocr/jobs/{id}")).header("X-Tenant-Id", tenant).send().await {
                Ok(r) => r.json::<Value>().await.ok().and_then(|v| v["status"].as_str().map(str::to_owned)),
                Err(_) => None,
            };
            if status.as_deref().is_some_and(|s| TERMINAL.contains(&s) || s == "PENDING_UPLOAD") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// Checks every job of the tenant against the database's events and the bucket.
async fn reconcile(
    pool: &sqlx::AnyPool,
    objects: &ocr_store::objects::Objects,
    tenant: &str,
    load: &Load,
    report: &mut ChaosReport,
) -> Result<()> {
    report.created = load.created.len();
    report.create_failed = load.create_failed;
    report.accepted = load.accepted.len();
    let rows = sqlx::query("SELECT id, status, error_code, uploaded_at, file_key FROM jobs WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_all(pool)
        .await?;
    // id -> (status, error code, upload recorded)
    let mut jobs: BTreeMap<String, (String, Option<String>, bool)> = BTreeMap::new();
    // The original each job recorded (a fresh key per upload try).
    let mut originals: BTreeSet<String> = BTreeSet::new();
    for r in &rows {
        let uploaded: Option<i64> = r.try_get("uploaded_at")?;
        jobs.insert(r.try_get("id")?, (r.try_get("status")?, r.try_get("error_code")?, uploaded.is_some()));
        if let Some(key) = r.try_get::<Option<String>, _>("file_key")? {
            originals.insert(key);
        }
    }
    let mut terminal_events: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let events = sqlx::query(
        "SELECT e.job_id, e.to_status, COUNT(*) AS n FROM job_events e JOIN jobs j ON j.id = e.job_id \
         WHERE j.tenant_id = $1 AND e.to_status IN ('DONE', 'FAILED') GROUP BY e.job_id, e.to_status",
    )
    .bind(tenant)
    .fetch_all(pool)
    .await?;
    for e in &events {
        let n = usize::try_from(e.try_get::<i64, _>("n")?).unwrap_or(0);
        let entry = terminal_events.entry(e.try_get("job_id")?).or_default();
        if e.try_get::<String, _>("to_status")? == "DONE" { entry.0 += n } else { entry.1 += n }
    }

    for id in &load.accepted {
        if !jobs.contains_key(id) {
            report.lost.push(id.clone());
        }
    }
    for (id, (status, code, uploaded)) in &jobs {
        if !uploaded {
            report.upload_refused += 1;
            continue;
        }
        if !load.accepted.contains(id) {
            report.accepted_unseen += 1;
        }
        let (done, failed) = terminal_events.get(id).copied().unwrap_or_default();
        if done > 1 {
            report.done_twice.push(id.clone());
        }
        match status.as_str() {
            "DONE" => report.done += 1,
            "FAILED" => {
                let code = code.clone().unwrap_or_default();
                if TRANSIENT.contains(&code.as_str()) {
                    report.failed_transient.push((id.clone(), code));
                } else {
                    report.failed_other.push((id.clone(), code));
                }
            }
            other => {
                report.not_terminal.push((id.clone(), other.to_owned()));
                continue;
            }
        }
        if done + failed != 1 {
            report.bad_transitions.push((id.clone(), done + failed));
        }
    }

    let keys = objects.list(&format!("tenants/{tenant}/")).await.context("listing the bucket")?;
    report.objects = keys.len();
    let mut by_job: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for key in keys {
        // tenants/<tenant>/jobs/<job>/<name>: the original the job recorded, or its results.
        let parts: Vec<&str> = key.split('/').collect();
        let belongs = match parts.as_slice() {
            ["tenants", _, "jobs", job, name] if jobs.get(*job).is_some_and(|j| j.2) => {
                originals.contains(&key) || ["detect.json", "result.json"].contains(name)
            }
            _ => false,
        };
        if belongs {
            let name = if originals.contains(&key) { "original" } else { parts[4] };
            by_job.entry(parts[3].to_owned()).or_default().insert(name.to_owned());
        } else {
            report.orphaned_objects.push(key);
        }
    }
    for (id, (status, _, _)) in &jobs {
        if status == "DONE" {
            let names = by_job.get(id);
            if !names.is_some_and(|n| n.contains("original") && n.contains("result.json")) {
                report.missing_objects.push(id.clone());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_puts_every_fault_inside_the_run_and_the_s3_outage_is_capped() {
        let mut c = ChaosConfig::new("s".into(), "r".into(), vec![], Duration::from_secs(30));
        c.restart_postgres = true;
        let plan = schedule(&c);
        assert!(plan.iter().all(|(t, _)| *t < c.duration));
        assert!(plan.windows(2).all(|w| w[0].0 <= w[1].0));
        let at = |a: Action| plan.iter().find(|(_, b)| *b == a).map(|(t, _)| *t).unwrap();
        assert_eq!(at(Action::StartS3) - at(Action::StopS3), Duration::from_secs(10));
        assert_eq!(plan.iter().filter(|(_, a)| *a == Action::KillWorker).count(), 5);
        assert!(at(Action::RestartPostgres) > at(Action::StartS3));
    }

    #[test]
    fn a_report_with_a_lost_job_or_a_double_completion_has_problems() {
        let ok = ChaosReport { accepted: 3, done: 3, ..Default::default() };
        assert!(ok.problems().is_empty());
        let lost = ChaosReport { accepted: 3, done: 2, lost: vec!["j".into()], ..Default::default() };
        assert!(lost.problems()[0].contains("lost"));
        let twice = ChaosReport { accepted: 3, done: 3, done_twice: vec!["j".into()], ..Default::default() };
        assert!(twice.problems()[0].contains("twice"));
    }
}
