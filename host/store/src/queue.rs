//! The work queue: Redis Streams with a consumer group in production, an in-process queue in
//! embedded mode, one trait for both.
//!
//! Delivery is at least once. A message names a task kind and a job id and nothing else: the
//! worker reads tenant, object keys and state from the database. Losing messages (a Redis
//! restart without persistence, a crash between commit and enqueue) is repaired by the sweeper,
//! which re-sends work for jobs that have waited too long.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use ocr_core::{JobId, TaskKind};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use tokio::sync::Notify;

use crate::Result;

/// One unit of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task {
    pub kind: TaskKind,
    pub job_id: JobId,
}

/// A task handed to a consumer; `ack` it once the database records the outcome.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub task: Task,
    /// Queue-specific message id (the Redis stream entry id).
    pub id: String,
}

#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends a task.
    async fn push(&self, task: Task) -> Result<()>;
    /// Waits up to `wait` for a task for `consumer`.
    async fn pop(&self, consumer: &str, wait: Duration) -> Result<Option<Delivery>>;
    /// Confirms a delivery so it is not handed out again.
    async fn ack(&self, delivery: &Delivery) -> Result<()>;
    /// Messages waiting (not yet delivered).
    async fn depth(&self) -> Result<u64>;
    /// Answers when the queue is reachable.
    async fn ping(&self) -> Result<()>;
    /// A short description for logs and `/ready`.
    fn describe(&self) -> String;
}

/// In-process queue for embedded mode: a deque and a wake-up signal.
#[derive(Default)]
pub struct MemoryQueue {
    tasks: Mutex<VecDeque<Task>>,
    ready: Notify,
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn push(&self, task: Task) -> Result<()> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner()).push_back(task);
        self.ready.notify_one();
        Ok(())
    }

    async fn pop(&self, _consumer: &str, wait: Duration) -> Result<Option<Delivery>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.ready.notified();
            if let Some(task) = self.tasks.lock().unwrap_or_else(|e| e.into_inner()).pop_front() {
                return Ok(Some(Delivery { task, id: String::new() }));
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Ok(None);
            }
        }
    }

    async fn ack(&self, _delivery: &Delivery) -> Result<()> {
        Ok(())
    }

    async fn depth(&self) -> Result<u64> {
        Ok(self.tasks.lock().unwrap_or_else(|e| e.into_inner()).len() as u64)
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    fn describe(&self) -> String {
        "in-process queue".into()
    }
}

/// Redis Streams queue: one stream, one consumer group shared by all workers.
pub struct RedisQueue {
    stream: String,
    group: String,
    /// For short commands (XADD, XACK, ...).
    commands: ConnectionManager,
    /// For the blocking XREADGROUP, so it never delays other commands.
    reader: ConnectionManager,
    /// Pending messages idle longer than this are taken over from their (dead) consumer.
    claim_idle: Duration,
}

const FIELD_KIND: &str = "kind";
const FIELD_JOB: &str = "job_id";

impl RedisQueue {
    /// Connects; `stream` is the stream key (e.g. `ocr:tasks`), `claim_idle` how long a
    /// delivered but unacknowledged message may sit before another consumer takes it over.
    pub async fn connect(url: &str, stream: &str, claim_idle: Duration) -> Result<Self> {
        let client = redis::Client::open(url)?;
        let short = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2);
        let long = short.clone().set_response_timeout(Some(Duration::from_secs(30)));
        let commands = ConnectionManager::new_with_config(client.clone(), short).await?;
        let reader = ConnectionManager::new_with_config(client, long).await?;
        let queue = Self { stream: stream.to_owned(), group: "ocr-workers".into(), commands, reader, claim_idle };
        queue.ensure_group().await?;
        Ok(queue)
    }

    /// Creates the stream and the group if missing (first start, or after Redis lost its data).
    /// Reading from id 0 so messages pushed before the group existed are still delivered.
    async fn ensure_group(&self) -> Result<()> {
        let mut con = self.commands.clone();
        let res: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.stream)
            .arg(&self.group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut con)
            .await;
        match res {
            Ok(()) => Ok(()),
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn parse(entry: &StreamId) -> Option<Task> {
        let kind: String = entry.get(FIELD_KIND)?;
        let job: String = entry.get(FIELD_JOB)?;
        Some(Task { kind: TaskKind::parse(&kind)?, job_id: job.parse().ok()? })
    }

    /// Turns entries into a delivery; malformed entries are acknowledged and dropped.
    async fn first_valid(&self, entries: Vec<StreamId>) -> Result<Option<Delivery>> {
        for entry in entries {
            match Self::parse(&entry) {
                Some(task) => return Ok(Some(Delivery { task, id: entry.id })),
                None => {
                    tracing::warn!(entry = %entry.id, "dropping a malformed queue message");
                    self.ack_id(&entry.id).await?;
                }
            }
        }
        Ok(None)
    }

    async fn ack_id(&self, id: &str) -> Result<()> {
        let mut con = self.commands.clone();
        let res: redis::RedisResult<i64> =
            redis::cmd("XACK").arg(&self.stream).arg(&self.group).arg(id).query_async(&mut con).await;
        match res {
            Ok(_) => Ok(()),
            // The group is gone (Redis restarted or was flushed): nothing left to acknowledge.
            Err(e) if e.code() == Some("NOGROUP") => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait]
impl Queue for RedisQueue {
    async fn push(&self, task: Task) -> Result<()> {
        let mut con = self.commands.clone();
        let _: String = redis::cmd("XADD")
            .arg(&self.stream)
            .arg("*")
            .arg(FIELD_KIND)
            .arg(task.kind.as_str())
            .arg(FIELD_JOB)
            .arg(task.job_id.to_string())
            .query_async(&mut con)
            .await?;
        Ok(())
    }

    async fn pop(&self, consumer: &str, wait: Duration) -> Result<Option<Delivery>> {
        let mut con = self.reader.clone();
        // First take over messages a dead consumer left unacknowledged.
        let claimed: redis::RedisResult<StreamAutoClaimReply> = redis::cmd("XAUTOCLAIM")
            .arg(&self.stream)
            .arg(&self.group)
            .arg(consumer)
            .arg(self.claim_idle.as_millis() as u64)
            .arg("0-0")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut con)
            .await;
        match claimed {
            Ok(reply) => {
                if let Some(d) = self.first_valid(reply.claimed).await? {
                    return Ok(Some(d));
                }
            }
            Err(e) if e.code() == Some("NOGROUP") => self.ensure_group().await?,
            Err(e) => return Err(e.into()),
        }
        let read: redis::RedisResult<Option<StreamReadReply>> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&self.group)
            .arg(consumer)
            .arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(wait.as_millis().max(1) as u64)
            .arg("STREAMS")
            .arg(&self.stream)
            .arg(">")
            .query_async(&mut con)
            .await;
        match read {
            Ok(Some(reply)) => self.first_valid(reply.keys.into_iter().flat_map(|k| k.ids).collect()).await,
            Ok(None) => Ok(None),
            Err(e) if e.code() == Some("NOGROUP") => {
                self.ensure_group().await?;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        self.ack_id(&delivery.id).await
    }

    async fn depth(&self) -> Result<u64> {
        let mut con = self.commands.clone();
        // Entries not yet delivered to the group: XINFO GROUPS' "lag" (Redis >= 7).
        let groups: redis::RedisResult<Vec<std::collections::HashMap<String, redis::Value>>> =
            redis::cmd("XINFO").arg("GROUPS").arg(&self.stream).query_async(&mut con).await;
        let groups = match groups {
            Ok(g) => g,
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        Ok(groups
            .iter()
            .find(|g| matches!(g.get("name"), Some(v) if redis::from_redis_value_ref::<String>(v).ok().as_deref() == Some(self.group.as_str())))
            .and_then(|g| g.get("lag"))
            .and_then(|v| redis::from_redis_value_ref::<u64>(v).ok())
            .unwrap_or(0))
    }

    async fn ping(&self) -> Result<()> {
        let mut con = self.commands.clone();
        let _: String = redis::cmd("PING").query_async(&mut con).await?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("redis stream {}", self.stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_queue_delivers_in_order_and_times_out_when_empty() {
        let q = MemoryQueue::default();
        let a = Task { kind: TaskKind::Detect, job_id: JobId::now_v7() };
        let b = Task { kind: TaskKind::Recognize, job_id: JobId::now_v7() };
        q.push(a).await.unwrap();
        q.push(b).await.unwrap();
        assert_eq!(q.depth().await.unwrap(), 2);
        assert_eq!(q.pop("w", Duration::from_millis(10)).await.unwrap().unwrap().task, a);
        assert_eq!(q.pop("w", Duration::from_millis(10)).await.unwrap().unwrap().task, b);
        assert!(q.pop("w", Duration::from_millis(10)).await.unwrap().is_none());
    }
}
