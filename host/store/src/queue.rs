//! The work queue: Redis Streams with consumer groups in production, an in-process queue in
//! embedded mode, one trait for both.
//!
//! Fair between tenants: each tenant has its own lane (in Redis, its own stream), and consumers
//! take work round-robin over the tenants that have some, so one tenant's burst of a thousand
//! jobs does not push another tenant's single job behind it: that job waits for at most one
//! task of each other tenant per worker.
//!
//! Delivery is at least once. A message names a task kind, a job id and its tenant, nothing
//! else: the worker reads object keys and state from the database. Losing messages (a Redis
//! restart without persistence, a crash between commit and enqueue) is repaired by the sweeper,
//! which re-sends work for jobs that have waited too long.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use ocr_core::{JobId, TaskKind, TenantId};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::Notify;

use crate::Result;

/// One unit of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub kind: TaskKind,
    pub job_id: JobId,
    pub tenant: TenantId,
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
    /// Sends a task to the back of its tenant's lane.
    async fn push(&self, task: Task) -> Result<()>;
    /// Waits up to `wait` for a task for `consumer`: the next tenant's, in turn.
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

/// Tenants' lanes and the turn order over the tenants that have work.
#[derive(Default)]
struct Lanes {
    turn: VecDeque<TenantId>,
    lanes: HashMap<TenantId, VecDeque<Task>>,
}

impl Lanes {
    fn push(&mut self, task: Task) {
        let lane = self.lanes.entry(task.tenant.clone()).or_default();
        if lane.is_empty() {
            self.turn.push_back(task.tenant.clone());
        }
        lane.push_back(task);
    }

    /// The front task of the tenant whose turn it is; the tenant goes to the back of the turn.
    fn pop(&mut self) -> Option<Task> {
        let tenant = self.turn.pop_front()?;
        let lane = self.lanes.get_mut(&tenant)?;
        let task = lane.pop_front();
        if lane.is_empty() {
            self.lanes.remove(&tenant);
        } else {
            self.turn.push_back(tenant);
        }
        task
    }

    fn len(&self) -> usize {
        self.lanes.values().map(VecDeque::len).sum()
    }
}

/// In-process queue for embedded mode: tenants' lanes and a wake-up signal.
#[derive(Default)]
pub struct MemoryQueue {
    lanes: Mutex<Lanes>,
    ready: Notify,
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn push(&self, task: Task) -> Result<()> {
        self.lanes.lock().unwrap_or_else(|e| e.into_inner()).push(task);
        self.ready.notify_one();
        Ok(())
    }

    async fn pop(&self, _consumer: &str, wait: Duration) -> Result<Option<Delivery>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.ready.notified();
            if let Some(task) = self.lanes.lock().unwrap_or_else(|e| e.into_inner()).pop() {
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
        Ok(self.lanes.lock().unwrap_or_else(|e| e.into_inner()).len() as u64)
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    fn describe(&self) -> String {
        "in-process queue".into()
    }
}

/// Takes the next task, in turn over the tenants that have work (one Lua script, so the turn
/// and the lanes change atomically whatever the number of workers).
///
/// KEYS: the tenants set, the turn key (the tenant served last). ARGV: the stream prefix, the
/// group, the consumer, the idle time after which a pending message is taken over (ms).
/// Per tenant, in turn: first a message a dead consumer left unacknowledged (XAUTOCLAIM), then
/// a new one (XREADGROUP); a lane found empty leaves the set. A missing group (first use, or
/// Redis lost its data) is created reading from the start. Returns {tenant, id, fields} or nil.
const POP_SCRIPT: &str = r#"
local tenants = redis.call('SMEMBERS', KEYS[1])
if #tenants == 0 then return nil end
table.sort(tenants)
local last = redis.call('GET', KEYS[2]) or ''
local start = 1
for i, t in ipairs(tenants) do
  if t > last then start = i; break end
  if i == #tenants then start = 1 end
end
for n = 0, #tenants - 1 do
  local tenant = tenants[((start - 1 + n) % #tenants) + 1]
  local key = ARGV[1] .. ':t:' .. tenant
  local claimed = redis.pcall('XAUTOCLAIM', key, ARGV[2], ARGV[3], ARGV[4], '0-0', 'COUNT', 1)
  if type(claimed) == 'table' and claimed.err then
    redis.call('XGROUP', 'CREATE', key, ARGV[2], '0', 'MKSTREAM')
  elseif #claimed[2] > 0 then
    redis.call('SET', KEYS[2], tenant)
    return {tenant, claimed[2][1][1], claimed[2][1][2]}
  end
  local read = redis.call('XREADGROUP', 'GROUP', ARGV[2], ARGV[3], 'COUNT', 1, 'STREAMS', key, '>')
  if read then
    redis.call('SET', KEYS[2], tenant)
    return {tenant, read[1][2][1][1], read[1][2][1][2]}
  end
  if redis.call('XLEN', key) == 0 then
    redis.call('SREM', KEYS[1], tenant)
    redis.call('DEL', key)
  end
end
return nil
"#;

/// Messages not yet delivered, over all lanes. KEYS: the tenants set; ARGV: prefix, group.
const DEPTH_SCRIPT: &str = r#"
local total = 0
for _, tenant in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. ':t:' .. tenant
  local pending = redis.pcall('XPENDING', key, ARGV[2])
  local delivered = 0
  if type(pending) == 'table' and not pending.err then delivered = pending[1] end
  total = total + redis.call('XLEN', key) - delivered
end
return total
"#;

/// Redis Streams queue: one stream per tenant (`PREFIX:t:TENANT`), the set of tenants with
/// work (`PREFIX:tenants`), the turn (`PREFIX:turn`) and a wake-up list (`PREFIX:wake`) that
/// idle consumers block on. Acknowledged messages are deleted, so a lane's length is its work.
pub struct RedisQueue {
    prefix: String,
    group: String,
    /// For short commands (XADD, XACK, scripts, ...).
    commands: ConnectionManager,
    /// For the blocking wait, so it never delays other commands.
    waiter: ConnectionManager,
    /// Pending messages idle longer than this are taken over from their (dead) consumer.
    claim_idle: Duration,
    pop_script: redis::Script,
    depth_script: redis::Script,
}

const FIELD_KIND: &str = "kind";
const FIELD_JOB: &str = "job_id";
/// Wake-up tokens kept for consumers that are not waiting yet; more would only cause idle passes.
const WAKE_TOKENS: isize = 64;

impl RedisQueue {
    /// Connects; `prefix` names the keys (e.g. `ocr:tasks`), `claim_idle` is how long a
    /// delivered but unacknowledged message may sit before another consumer takes it over.
    pub async fn connect(url: &str, prefix: &str, claim_idle: Duration) -> Result<Self> {
        let client = redis::Client::open(url)?;
        let short = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2);
        let long = short.clone().set_response_timeout(Some(Duration::from_secs(30)));
        let commands = ConnectionManager::new_with_config(client.clone(), short).await?;
        let waiter = ConnectionManager::new_with_config(client, long).await?;
        let queue = Self {
            prefix: prefix.to_owned(),
            group: "ocr-workers".into(),
            commands,
            waiter,
            claim_idle,
            pop_script: redis::Script::new(POP_SCRIPT),
            depth_script: redis::Script::new(DEPTH_SCRIPT),
        };
        queue.ping().await?;
        Ok(queue)
    }

    fn lane(&self, tenant: &TenantId) -> String {
        format!("{}:t:{}", self.prefix, tenant.as_str())
    }

    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    /// One pass over the lanes in turn.
    async fn take(&self, consumer: &str) -> Result<Option<Delivery>> {
        let mut con = self.commands.clone();
        let reply: Option<(String, String, Vec<String>)> = self
            .pop_script
            .key(self.key("tenants"))
            .key(self.key("turn"))
            .arg(&self.prefix)
            .arg(&self.group)
            .arg(consumer)
            .arg(self.claim_idle.as_millis() as u64)
            .invoke_async(&mut con)
            .await?;
        let Some((tenant, id, fields)) = reply else { return Ok(None) };
        let field = |name: &str| fields.chunks(2).find(|kv| kv[0] == name).and_then(|kv| kv.get(1)).cloned();
        let task = (|| {
            Some(Task {
                kind: TaskKind::parse(&field(FIELD_KIND)?)?,
                job_id: field(FIELD_JOB)?.parse().ok()?,
                tenant: TenantId::parse(&tenant)?,
            })
        })();
        match task {
            Some(task) => Ok(Some(Delivery { task, id })),
            None => {
                tracing::warn!(entry = %id, %tenant, "dropping a malformed queue message");
                let lane = format!("{}:t:{tenant}", self.prefix);
                self.ack_entry(&lane, &id).await?;
                Ok(None)
            }
        }
    }

    async fn ack_entry(&self, lane: &str, id: &str) -> Result<()> {
        let mut con = self.commands.clone();
        let res: redis::RedisResult<()> = redis::pipe()
            .atomic()
            .cmd("XACK")
            .arg(lane)
            .arg(&self.group)
            .arg(id)
            .ignore()
            .cmd("XDEL")
            .arg(lane)
            .arg(id)
            .ignore()
            .query_async(&mut con)
            .await;
        match res {
            Ok(()) => Ok(()),
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
        let wake = self.key("wake");
        let _: () = redis::pipe()
            .atomic()
            .cmd("XADD")
            .arg(self.lane(&task.tenant))
            .arg("*")
            .arg(FIELD_KIND)
            .arg(task.kind.as_str())
            .arg(FIELD_JOB)
            .arg(task.job_id.to_string())
            .ignore()
            .cmd("SADD")
            .arg(self.key("tenants"))
            .arg(task.tenant.as_str())
            .ignore()
            .cmd("RPUSH")
            .arg(&wake)
            .arg(1)
            .ignore()
            .cmd("LTRIM")
            .arg(&wake)
            .arg(-WAKE_TOKENS)
            .arg(-1)
            .ignore()
            .query_async(&mut con)
            .await?;
        Ok(())
    }

    async fn pop(&self, consumer: &str, wait: Duration) -> Result<Option<Delivery>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(d) = self.take(consumer).await? {
                return Ok(Some(d));
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            // Idle: sleep until a push leaves a wake-up token, or the wait is over. At most
            // a second at a time, so a message claimed back from a dead consumer is not late.
            let mut con = self.waiter.clone();
            let block = left.min(Duration::from_secs(1)).as_secs_f64().max(0.01);
            let _: Option<(String, String)> =
                redis::cmd("BLPOP").arg(self.key("wake")).arg(block).query_async(&mut con).await?;
        }
    }

    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        self.ack_entry(&self.lane(&delivery.task.tenant), &delivery.id).await
    }

    async fn depth(&self) -> Result<u64> {
        let mut con = self.commands.clone();
        let n: i64 = self
            .depth_script
            .key(self.key("tenants"))
            .arg(&self.prefix)
            .arg(&self.group)
            .invoke_async(&mut con)
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn ping(&self) -> Result<()> {
        let mut con = self.commands.clone();
        let _: String = redis::cmd("PING").query_async(&mut con).await?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("redis streams {}:t:*", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(tenant: &str, kind: TaskKind) -> Task {
        Task { kind, job_id: JobId::now_v7(), tenant: TenantId::parse(tenant).unwrap() }
    }

    #[tokio::test]
    async fn memory_queue_serves_tenants_in_turn_and_times_out_when_empty() {
        let q = MemoryQueue::default();
        let a: Vec<Task> = (0..3).map(|_| task("a", TaskKind::Detect)).collect();
        let b = task("b", TaskKind::Recognize);
        for t in &a {
            q.push(t.clone()).await.unwrap();
        }
        q.push(b.clone()).await.unwrap();
        assert_eq!(q.depth().await.unwrap(), 4);
        let mut order = Vec::new();
        while let Some(d) = q.pop("w", Duration::from_millis(10)).await.unwrap() {
            order.push(d.task);
        }
        // b's single job goes second, not behind a's burst; a's keep their order.
        assert_eq!(order, vec![a[0].clone(), b, a[1].clone(), a[2].clone()]);
        assert_eq!(q.depth().await.unwrap(), 0);
    }
}
