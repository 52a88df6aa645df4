//! A short chaos run (about a minute): two workers SIGKILLed every few seconds, the private
//! Redis restarted empty, the private S3 server stopped for 10 s, while jobs keep coming; then
//! every accepted job must have ended exactly once with nothing lost or orphaned. The full run
//! is `cargo run --release -p ocr-server --example chaos`; both share `ocr_chaos`.

use std::path::Path;
use std::time::Duration;

use ocr_chaos::chaos::{ChaosConfig, run};
use ocr_chaos::services::{PrivateRedis, PrivateS3, in_ci};

use crate::harness::{BIN, PRODUCTION, fixture};

// Two runtime threads: stopping the S3 server blocks one for a few seconds while clients go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_worker_kills_a_redis_restart_and_an_s3_outage_every_accepted_job_ends_exactly_once() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let missing: Vec<&str> = [
        (!PrivateRedis::available()).then_some("redis-server"),
        PrivateS3::find_weed(&repo).is_none().then_some("the SeaweedFS weed binary (scripts/s3-server.sh start)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        assert!(!in_ci(), "the chaos test needs {missing:?}");
        eprintln!("skipping the chaos test: {missing:?} not installed");
        return;
    }
    let fixtures = vec![fixture("en_rotated_15deg.png"), fixture("vi_paragraph.png")];
    let mut c = ChaosConfig::new(BIN.into(), repo, fixtures, Duration::from_secs(40));
    c.workers = 2;
    c.clients = 3;
    c.kill_every = Duration::from_secs(6);
    c.s3_outage = Duration::from_secs(10);
    c.drain_timeout = Duration::from_secs(120);
    let report = run(&c).await.expect("the chaos run could be set up and read back");
    eprintln!("{}", report.render());
    assert!(report.problems().is_empty(), "{:#?}\n{}", report.problems(), report.render());
    assert!(report.worker_kills >= 5, "the faults ran: {}", report.render());
    assert!(report.done >= 2, "jobs got through the faults: {}", report.render());
}
