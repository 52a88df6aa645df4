//! Chaos run, loopback only and bounded in time: `auto_ocr` jobs submitted continuously through
//! the HTTP API of a production-mode deployment while a random worker is SIGKILLed every few
//! seconds, Redis restarts empty, the S3 server stops for a while and (with
//! `--restart-postgres`) PostgreSQL restarts once; then the queue drains and every job is
//! reconciled (see `ocr_chaos::chaos` for what counts as correct). Prints the counts and the
//! recovery time of every fault; exits 1 when a promise was broken.
//!
//! Redis and SeaweedFS are private to the run (`redis-server` and the `weed` binary of
//! `scripts/s3-server.sh`, on free ports), so restarting them disturbs nothing else; the
//! database is a fresh one on the machine's PostgreSQL, dropped at the end. Restarting
//! PostgreSQL needs root and affects every database of the cluster.
//!
//! ```sh
//! cargo build --release -p ocr-server --bins --examples
//! target/release/examples/chaos --duration 120 --workers 3 --restart-postgres
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ocr_chaos::chaos::{ChaosConfig, run};

const USAGE: &str = "usage: chaos [--duration SECS] [--workers K] [--clients C] [--kill-every SECS] \
     [--s3-outage SECS] [--restart-postgres] [--canvas N] [IMAGE...]";

fn config() -> Result<ChaosConfig> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let exe = std::env::current_exe()?;
    let server = exe.parent().and_then(|p| p.parent()).map(|p| p.join("ocr-server")).context("target dir")?;
    let mut c = ChaosConfig::new(server, repo.clone(), Vec::new(), Duration::from_secs(120));
    let mut it = std::env::args().skip(1);
    let secs = |v: Option<String>, name: &str| -> Result<Duration> {
        Ok(Duration::from_secs_f64(v.with_context(|| format!("{name} needs a value"))?.parse()?))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--duration" => c.duration = secs(it.next(), "--duration")?,
            "--workers" => c.workers = it.next().context("--workers needs a value")?.parse()?,
            "--clients" => c.clients = it.next().context("--clients needs a value")?.parse()?,
            "--kill-every" => c.kill_every = secs(it.next(), "--kill-every")?,
            "--s3-outage" => c.s3_outage = secs(it.next(), "--s3-outage")?,
            "--canvas" => c.canvas = it.next().context("--canvas needs a value")?.parse()?,
            "--restart-postgres" => c.restart_postgres = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            s if s.starts_with("--") => bail!("unknown option {s}\n{USAGE}"),
            _ => c.fixtures.push(PathBuf::from(arg)),
        }
    }
    if c.fixtures.is_empty() {
        // The small fixtures: quick jobs, so many of them meet the faults.
        let dir = repo.join("tests/fixtures");
        c.fixtures = ["en_rotated_15deg.png", "vi_paragraph.png", "en_invoice.png"].map(|f| dir.join(f)).to_vec();
    }
    Ok(c)
}

#[tokio::main]
async fn main() -> Result<ExitCode> {
    let c = config()?;
    eprintln!(
        "chaos: {:.0} s, {} workers, {} clients, SIGKILL every {:.0} s, S3 outage {:.0} s, PostgreSQL restart: {}",
        c.duration.as_secs_f64(),
        c.workers,
        c.clients,
        c.kill_every.as_secs_f64(),
        c.s3_outage.min(c.duration / 3).as_secs_f64(),
        c.restart_postgres
    );
    let report = run(&c).await?;
    println!("{}", report.render());
    let problems = report.problems();
    if problems.is_empty() {
        println!("reconciliation passed: every accepted job ended exactly once, nothing lost or orphaned");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            println!("FAILED: {p}");
        }
        Ok(ExitCode::FAILURE)
    }
}
