//! `ocr-server` processes of one production-mode deployment, and what they cost (CPU time and
//! peak resident memory from `/proc`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The settings every process of a deployment shares, and the folder for their logs.
pub struct Deployment {
    server: PathBuf,
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Deployment {
    /// `server` is the `ocr-server` binary; `env` its settings (`DATABASE_URL`, `REDIS_URL`,
    /// `S3_*`, tuning). Nothing else is inherited that could point it elsewhere.
    pub fn new(server: &Path, env: Vec<(String, String)>) -> Result<Self> {
        if !server.exists() {
            bail!("{} is missing: build it first (cargo build -p ocr-server)", server.display());
        }
        Ok(Self { server: server.to_owned(), dir: tempfile::tempdir()?, env })
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.server);
        cmd.args(args);
        for k in ["DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "S3_ENDPOINT", "MINIO_ENDPOINT", "OCR_BIND"] {
            cmd.env_remove(k);
        }
        cmd.env("OCR_DATA_DIR", self.dir.path().join("data")).current_dir(self.dir.path());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `ocr-server migrate`.
    pub fn migrate(&self) -> Result<()> {
        let out = self.command(&["migrate"]).output().context("running ocr-server migrate")?;
        if !out.status.success() {
            bail!("migrate failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }

    /// Starts `ocr-server <args>` with its log in the deployment folder.
    pub fn spawn(&self, label: &str, args: &[&str], extra_env: &[(&str, &str)]) -> Result<Proc> {
        let log = self.dir.path().join(format!("{label}.log"));
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        let mut cmd = self.command(args);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.stdout(Stdio::null()).stderr(file).spawn().context("starting ocr-server")?;
        Ok(Proc { label: label.to_owned(), child, log, usage: Usage::default() })
    }

    /// `ocr-server api` on `port`, once `/health` answers.
    pub async fn start_api(&self, label: &str, port: u16, extra_env: &[(&str, &str)]) -> Result<Proc> {
        let bind = format!("127.0.0.1:{port}");
        let mut env = vec![("OCR_BIND", bind.as_str())];
        env.extend_from_slice(extra_env);
        let mut proc = self.spawn(label, &["api"], &env)?;
        let http = reqwest::Client::new();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Ok(r) = http.get(format!("http://{bind}/health")).send().await
                && r.status().is_success()
            {
                return Ok(proc);
            }
            if proc.exited() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the API did not start; log:\n{}", proc.log_tail(40))
    }
}

/// CPU time and peak resident memory of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub cpu_s: f64,
    pub peak_rss_mib: f64,
}

/// One `ocr-server` process; SIGKILLed when dropped.
pub struct Proc {
    pub label: String,
    pub child: Child,
    pub log: PathBuf,
    /// The last usage read by [`Proc::sample`] (kept after the process is gone).
    pub usage: Usage,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL, and reap it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Reads CPU time (user + system) and the resident high-water mark (`VmHWM`) from `/proc`;
    /// keeps the last reading when the process is gone.
    pub fn sample(&mut self) -> Usage {
        if let Some(u) = read_usage(self.pid()) {
            self.usage = u;
        }
        self.usage
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// CPU time and peak memory of any process (e.g. `std::process::id()`); `None` when it is gone.
pub fn read_usage(pid: u32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses; utime and stime
    // are fields 14 and 15 of the line, in clock ticks.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm_kib: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(Usage { cpu_s: ticks / clock_ticks_per_second(), peak_rss_mib: hwm_kib / 1024.0 })
}

/// `getconf CLK_TCK` (100 on Linux in practice).
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_cpu_time_and_peak_memory() {
        let before = read_usage(std::process::id()).expect("/proc is readable");
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(300) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        let after = read_usage(std::process::id()).expect("/proc is readable");
        // On a busy machine the spin gets only part of a core: just check that time was counted.
        assert!(after.cpu_s >= before.cpu_s + 0.02, "{before:?} -> {after:?}");
        assert!(after.peak_rss_mib > 1.0 && after.peak_rss_mib >= before.peak_rss_mib, "{after:?}");
    }
}
