//! Waiting for a job's status to change without polling blind: long polls
//! (`GET …/jobs/{id}?wait=`) and Server-Sent Events (`GET …/jobs/{id}/events`).
//!
//! One reader per API process follows the database's change feed (jobs by `updated_at`) while
//! anyone waits and broadcasts `(job, status)`; each waiter re-reads only its own job when that
//! job changed. So a thousand waiting clients cost one query per tick, not a thousand, and the
//! change may come from any process (workers run elsewhere in production).

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use ocr_core::{ErrorCode, JobId, JobStatus, TenantId};
use ocr_store::{Db, JobRow, now_ms};
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::request::load;
use super::types::JobView;
use super::{AppState, Tenant};

/// How often the change feed is read while someone waits.
const TICK: Duration = Duration::from_millis(200);
/// Changes are read again this far back, for commits that land after a later timestamp (other
/// processes' clocks and transactions).
const OVERLAP_MS: i64 = 3_000;
/// Longest long poll.
pub const MAX_WAIT_SECS: u64 = 60;
/// An event stream ends after this long; clients reconnect (`EventSource` does by itself).
const STREAM_SECS: u64 = 600;

/// The broadcast of status changes.
#[derive(Clone)]
pub struct JobWatch {
    changes: broadcast::Sender<(JobId, JobStatus)>,
}

impl Default for JobWatch {
    fn default() -> Self {
        Self { changes: broadcast::channel(4096).0 }
    }
}

impl JobWatch {
    /// Follows the change feed until `shutdown`, reading it only while someone listens.
    pub async fn run(self, db: Db, shutdown: CancellationToken) {
        let mut cursor = now_ms();
        let mut sent: HashMap<JobId, (JobStatus, i64)> = HashMap::new();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(TICK) => {}
            }
            if self.changes.receiver_count() == 0 {
                cursor = now_ms();
                sent.clear();
                continue;
            }
            let changed = match db.changed_since(cursor - OVERLAP_MS, 10_000).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "reading job changes failed; waiting clients get them next tick");
                    continue;
                }
            };
            for (id, status, at) in changed {
                cursor = cursor.max(at);
                if sent.get(&id) != Some(&(status, at)) {
                    sent.insert(id, (status, at));
                    let _ = self.changes.send((id, status));
                }
            }
            sent.retain(|_, (_, at)| *at >= cursor - OVERLAP_MS);
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<(JobId, JobStatus)> {
        self.changes.subscribe()
    }
}

/// Waits until the job's status is not `since`, the job is gone, or `deadline`; returns the
/// job as it is then (`None`: deleted).
async fn wait_for_change(
    state: &AppState,
    changes: &mut broadcast::Receiver<(JobId, JobStatus)>,
    tenant: &TenantId,
    id: JobId,
    since: JobStatus,
    deadline: tokio::time::Instant,
) -> ApiResult<Option<JobRow>> {
    loop {
        let reread = tokio::select! {
            change = changes.recv() => match change {
                Ok((changed, status)) => changed == id && status != since,
                // Missed some changes: look at the job itself.
                Err(broadcast::error::RecvError::Lagged(_)) => true,
                Err(broadcast::error::RecvError::Closed) => false,
            },
            _ = tokio::time::sleep_until(deadline) => return Ok(state.backends.db.job(tenant, id).await?),
        };
        if reread {
            match state.backends.db.job(tenant, id).await? {
                Some(job) if job.status == since => {}
                other => return Ok(other),
            }
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WaitQuery {
    /// Long poll: answer as soon as the status differs from `since_status`, or after this many
    /// seconds (0-60) with the job as it is.
    pub wait: Option<u64>,
    /// The status the client knows (default: the status when the request arrives).
    pub since_status: Option<String>,
}

/// One job: status, timestamps, attempts, error, and its results when present. With `wait`,
/// a long poll: the answer comes when the status changes (or at the deadline), so clients
/// need not poll.
#[utoipa::path(get, path = "/v1/ocr/jobs/{id}", tag = "jobs", params(("X-Tenant-Id" = String, Header), ("id" = String, Path), WaitQuery),
    responses((status = 200, body = JobView), (status = 400, body = ErrorBody, description = "wait over 60 or an unknown since_status"),
        (status = 404, body = ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(raw): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<axum::Json<JobView>> {
    let wait = q.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        return Err(ApiError::new(ErrorCode::BadRequest, format!("wait is at most {MAX_WAIT_SECS} seconds")));
    }
    let since = q
        .since_status
        .as_deref()
        .map(|s| {
            JobStatus::parse(s).ok_or_else(|| ApiError::new(ErrorCode::BadRequest, format!("unknown status {s:?}")))
        })
        .transpose()?;
    // Subscribed before reading, so a change in between is not missed.
    let mut changes = state.watch.subscribe();
    let job = load(&state, &tenant, &raw).await?;
    let since = since.unwrap_or(job.status);
    if wait == 0 || job.status != since {
        return Ok(axum::Json(JobView::from_row(job, true)));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    let job = wait_for_change(&state, &mut changes, &tenant, job.id, since, deadline)
        .await?
        .ok_or_else(ApiError::job_not_found)?;
    Ok(axum::Json(JobView::from_row(job, true)))
}

/// Server-Sent Events of the job's status: a `status` event with the job (without results) now
/// and at every change seen (a state that lasts less than the server's 200 ms look may be passed
/// over); the stream ends after `DONE` or `FAILED`, when the job is deleted, or after 10 minutes
/// (reconnect to go on).
#[utoipa::path(get, path = "/v1/ocr/jobs/{id}/events", tag = "jobs", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    responses((status = 200, content_type = "text/event-stream", description = "`event: status`, `data:` the job as JSON"),
        (status = 404, body = ErrorBody)))]
pub async fn job_events(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(raw): Path<String>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let changes = state.watch.subscribe();
    let job = load(&state, &tenant, &raw).await?;
    let end = tokio::time::Instant::now() + Duration::from_secs(STREAM_SECS);
    let first = Some(job);
    let stream = futures::stream::unfold((state, changes, tenant, first, None::<JobRow>), move |s| async move {
        let (state, mut changes, tenant, pending, last) = s;
        let job = match (pending, &last) {
            (Some(job), _) => job,
            (None, Some(last)) if !last.status.is_terminal() => {
                match wait_for_change(&state, &mut changes, &tenant, last.id, last.status, end).await {
                    Ok(Some(job)) if job.status != last.status => job,
                    // Deleted, the stream's time is up, or the database failed: end; the
                    // client reconnects and reads the job again.
                    _ => return None,
                }
            }
            _ => return None,
        };
        let view = JobView::from_row(job.clone(), false);
        let event = Event::default().event("status").id(job.updated_at.to_string()).json_data(&view).ok()?;
        Some((Ok(event), (state, changes, tenant, None, Some(job))))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
