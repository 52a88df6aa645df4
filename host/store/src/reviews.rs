//! Review figures per job (`job_reviews`), their sums for quality reports and metrics, and the
//! reviewed jobs that corrections are exported from.

use ocr_core::{DetectResult, JobId, OcrResult, ReviewStats, TenantId};
use sqlx::Row;
use sqlx::any::{AnyArguments, AnyRow};

use crate::Result;
use crate::pool::Db;
use crate::rows::{JobRow, full_columns, parse_row, parse_tenant};

/// Milliseconds in a (UTC) day: the bucket of the daily series.
pub const DAY_MS: i64 = 86_400_000;

/// What review changed on one job, and the models that read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Review {
    /// `OcrResult::model` ("" before recognition).
    pub model: String,
    pub stats: ReviewStats,
}

impl Review {
    /// A job's review: `machine` are the boxes before review (the reviewed ones when never
    /// edited), `result` the text with reviewers' corrections, when recognized.
    pub fn of(machine: &DetectResult, reviewed: &DetectResult, result: Option<&OcrResult>) -> Self {
        Self {
            model: result.map(|r| r.model.clone()).unwrap_or_default(),
            stats: ReviewStats::of(machine, reviewed, result),
        }
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, AnyArguments>;

/// Binds the figures in column order: lines, lines_changed, chars, char_errors, boxes_machine,
/// boxes_added, boxes_removed, boxes_moved.
fn bind_stats<'q>(q: AnyQuery<'q>, s: &ReviewStats) -> AnyQuery<'q> {
    [s.lines, s.lines_changed, s.chars, s.char_errors, s.boxes_machine, s.boxes_added, s.boxes_removed, s.boxes_moved]
        .into_iter()
        .fold(q, |q, v| q.bind(v as i64))
}

/// Review figures summed over jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReviewSums {
    pub jobs: i64,
    pub lines: i64,
    pub lines_changed: i64,
    pub chars: i64,
    pub char_errors: i64,
    pub boxes_machine: i64,
    pub boxes_added: i64,
    pub boxes_removed: i64,
    pub boxes_moved: i64,
}

/// A tenant's review figures over a time range: per model, and per UTC day.
#[derive(Debug, Clone, Default)]
pub struct Quality {
    pub by_model: Vec<(String, ReviewSums)>,
    /// `(day number since the epoch, sums)`, days without reviews left out.
    pub by_day: Vec<(i64, ReviewSums)>,
}

const SUMS: &str = "COUNT(*) AS jobs, CAST(SUM(lines) AS BIGINT) AS lines, \
     CAST(SUM(lines_changed) AS BIGINT) AS lines_changed, CAST(SUM(chars) AS BIGINT) AS chars, \
     CAST(SUM(char_errors) AS BIGINT) AS char_errors, CAST(SUM(boxes_machine) AS BIGINT) AS boxes_machine, \
     CAST(SUM(boxes_added) AS BIGINT) AS boxes_added, CAST(SUM(boxes_removed) AS BIGINT) AS boxes_removed, \
     CAST(SUM(boxes_moved) AS BIGINT) AS boxes_moved";

fn parse_sums(r: &AnyRow) -> Result<ReviewSums> {
    Ok(ReviewSums {
        jobs: r.try_get("jobs")?,
        lines: r.try_get("lines")?,
        lines_changed: r.try_get("lines_changed")?,
        chars: r.try_get("chars")?,
        char_errors: r.try_get("char_errors")?,
        boxes_machine: r.try_get("boxes_machine")?,
        boxes_added: r.try_get("boxes_added")?,
        boxes_removed: r.try_get("boxes_removed")?,
        boxes_moved: r.try_get("boxes_moved")?,
    })
}

/// Saves a job's review figures (inside the transaction of the edit that changed them).
pub(crate) async fn save(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    id: JobId,
    review: &Review,
    at: i64,
) -> Result<()> {
    let q = sqlx::query(
        "INSERT INTO job_reviews (job_id, tenant_id, model, reviewed_at, lines, lines_changed, chars, char_errors, \
         boxes_machine, boxes_added, boxes_removed, boxes_moved) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (job_id) DO UPDATE SET model = $3, reviewed_at = $4, lines = $5, lines_changed = $6, chars = $7, \
         char_errors = $8, boxes_machine = $9, boxes_added = $10, boxes_removed = $11, boxes_moved = $12",
    )
    .bind(id.to_string())
    .bind(tenant.as_str())
    .bind(review.model.as_str())
    .bind(at);
    bind_stats(q, &review.stats).execute(&mut **tx).await?;
    Ok(())
}

impl Db {
    /// Updates the figures of a job already reviewed, keeping its review time: after
    /// recognition re-read reviewed boxes, the model and lines are new.
    pub async fn refresh_review(&self, id: JobId, review: &Review) -> Result<()> {
        let q = sqlx::query(
            "UPDATE job_reviews SET model = $2, lines = $3, lines_changed = $4, chars = $5, char_errors = $6, \
             boxes_machine = $7, boxes_added = $8, boxes_removed = $9, boxes_moved = $10 WHERE job_id = $1",
        )
        .bind(id.to_string())
        .bind(review.model.as_str());
        bind_stats(q, &review.stats).execute(self.pool()).await?;
        Ok(())
    }

    /// The tenant's review figures of jobs reviewed in `[from, to)` (milliseconds).
    pub async fn quality(&self, tenant: &TenantId, from: i64, to: i64) -> Result<Quality> {
        let by_model = self.sums_by("model", tenant, from, to).await?;
        let by_day = self.sums_by(&format!("reviewed_at / {DAY_MS}"), tenant, from, to).await?;
        Ok(Quality {
            by_model: by_model.iter().map(|r| Ok((r.try_get("k")?, parse_sums(r)?))).collect::<Result<_>>()?,
            by_day: by_day.iter().map(|r| Ok((r.try_get("k")?, parse_sums(r)?))).collect::<Result<_>>()?,
        })
    }

    /// Review sums of the tenant's jobs reviewed in `[from, to)`, grouped by the SQL expression
    /// `key` (a column or arithmetic on one, never client input), which rows carry as `k`.
    async fn sums_by(&self, key: &str, tenant: &TenantId, from: i64, to: i64) -> Result<Vec<AnyRow>> {
        Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {key} AS k, {SUMS} FROM job_reviews WHERE tenant_id = $1 AND reviewed_at >= $2 AND reviewed_at < $3 \
             GROUP BY {key} ORDER BY k"
        )))
        .bind(tenant.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?)
    }

    /// Review figures of every kept job, per tenant and model (for metrics).
    pub async fn review_totals(&self) -> Result<Vec<(TenantId, String, ReviewSums)>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT tenant_id, model, {SUMS} FROM job_reviews GROUP BY tenant_id, model"
        )))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((parse_tenant(&r.try_get::<String, _>("tenant_id")?)?, r.try_get("model")?, parse_sums(r)?)))
        .collect()
    }

    /// The tenant's reviewed jobs, in review order, reviewed at or after `since`, after the
    /// cursor `(reviewed_at, job id)` of the previous page. A job reviewed again moves to the end.
    pub async fn reviewed_jobs(
        &self,
        tenant: &TenantId,
        since: i64,
        after: Option<(i64, JobId)>,
        limit: u32,
    ) -> Result<Vec<JobRow>> {
        let (at, id) = after.map_or((i64::MIN, String::new()), |(at, id)| (at, id.to_string()));
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM jobs WHERE tenant_id = $1 AND reviewed_at IS NOT NULL AND reviewed_at >= $2 \
             AND (reviewed_at > $3 OR (reviewed_at = $3 AND id > $4)) ORDER BY reviewed_at, id LIMIT $5",
            full_columns()
        )))
        .bind(tenant.as_str())
        .bind(since)
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(parse_row)
        .collect()
    }
}
