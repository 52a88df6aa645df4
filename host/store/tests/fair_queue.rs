//! Both queues against their real backends (Redis for `RedisQueue`): tenants are served in
//! turn, acknowledged work is gone, unacknowledged work comes back.

use std::time::Duration;

use ocr_core::{JobId, TaskKind, TenantId};
use ocr_store::{MemoryQueue, Queue, RedisQueue, Task};

fn task(tenant: &str) -> Task {
    Task { kind: TaskKind::Detect, job_id: JobId::now_v7(), tenant: TenantId::parse(tenant).unwrap() }
}

fn redis_url() -> String {
    std::env::var("OCR_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A queue under a unique prefix, and a guard that deletes its keys.
async fn redis_queue(claim_idle: Duration) -> (RedisQueue, Cleanup) {
    let prefix = format!("ocr:test:queue:{}", uuid::Uuid::new_v4().simple());
    let url = redis_url();
    let q = RedisQueue::connect(&url, &prefix, claim_idle)
        .await
        .unwrap_or_else(|e| panic!("Redis is needed at {url} (set OCR_TEST_REDIS_URL): {e}"));
    (q, Cleanup { url, prefix })
}

struct Cleanup {
    url: String,
    prefix: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Ok(client) = redis::Client::open(self.url.as_str()) else { return };
        let Ok(mut con) = client.get_connection() else { return };
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", self.prefix)).query(&mut con).unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut con);
        }
    }
}

/// A burst of tenant `a`, then one job each of `b` and `c`: b's and c's go second and third.
async fn serves_tenants_in_turn(q: &dyn Queue) {
    let burst: Vec<Task> = (0..5).map(|_| task("a")).collect();
    for t in &burst {
        q.push(t.clone()).await.unwrap();
    }
    let (b, c) = (task("b"), task("c"));
    q.push(b.clone()).await.unwrap();
    q.push(c.clone()).await.unwrap();
    assert_eq!(q.depth().await.unwrap(), 7);
    let mut order = Vec::new();
    while let Some(d) = q.pop("w1", Duration::from_millis(50)).await.unwrap() {
        q.ack(&d).await.unwrap();
        order.push(d.task);
    }
    let expected = vec![burst[0].clone(), b, c, burst[1].clone(), burst[2].clone(), burst[3].clone(), burst[4].clone()];
    assert_eq!(order, expected);
    assert_eq!(q.depth().await.unwrap(), 0);
}

#[tokio::test]
async fn the_memory_queue_serves_tenants_in_turn() {
    serves_tenants_in_turn(&MemoryQueue::default()).await;
}

#[tokio::test]
async fn redis_streams_serve_tenants_in_turn_and_delete_what_is_acknowledged() {
    let (q, cleanup) = redis_queue(Duration::from_secs(60)).await;
    serves_tenants_in_turn(&q).await;
    // Every lane was emptied and left the tenant set: only bookkeeping keys remain.
    let client = redis::Client::open(cleanup.url.as_str()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let lanes: Vec<String> =
        redis::cmd("KEYS").arg(format!("{}:t:*", cleanup.prefix)).query_async(&mut con).await.unwrap();
    assert!(lanes.is_empty(), "{lanes:?}");
}

#[tokio::test]
async fn an_unacknowledged_redis_message_goes_to_another_consumer_after_the_idle_time() {
    let (q, _cleanup) = redis_queue(Duration::from_millis(300)).await;
    let t = task("a");
    q.push(t.clone()).await.unwrap();
    let first = q.pop("dies", Duration::from_millis(50)).await.unwrap().unwrap();
    assert_eq!(first.task, t);
    // Not yet idle long enough: nobody else gets it.
    assert!(q.pop("other", Duration::from_millis(50)).await.unwrap().is_none());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = q.pop("other", Duration::from_millis(50)).await.unwrap().expect("taken over");
    assert_eq!(again.task, t);
    q.ack(&again).await.unwrap();
    assert!(q.pop("other", Duration::from_millis(500)).await.unwrap().is_none());
}

#[tokio::test]
async fn a_waiting_redis_consumer_wakes_when_work_arrives() {
    let (q, _cleanup) = redis_queue(Duration::from_secs(60)).await;
    let q = std::sync::Arc::new(q);
    let waiter = {
        let q = q.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let d = q.pop("w", Duration::from_secs(20)).await.unwrap();
            (d, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = task("late");
    q.push(t.clone()).await.unwrap();
    let (d, waited) = waiter.await.unwrap();
    assert_eq!(d.unwrap().task, t);
    assert!(waited < Duration::from_secs(5), "woke on the push, not at the end of the wait: {waited:?}");
}
