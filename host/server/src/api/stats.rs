//! `GET /v1/stats/quality`: how much reviewers change, per model and per day — the accuracy
//! measured on the tenant's own documents.

use axum::extract::{Query, State};
use ocr_store::ReviewSums;
use ocr_store::reviews::DAY_MS;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ApiResult};
use super::request::parse_time;
use super::types::rfc3339;
use super::{AppState, Tenant};

/// Default window: the last 30 days.
const DEFAULT_DAYS: i64 = 30;

#[derive(Debug, Deserialize, IntoParams)]
pub struct QualityQuery {
    /// Start (RFC 3339, inclusive); default 30 days before `to`.
    pub from: Option<String>,
    /// End (RFC 3339, exclusive); default now.
    pub to: Option<String>,
}

/// Review figures of one model.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModelQuality {
    /// The models that read the jobs (`craftnet+…`); empty for jobs reviewed before recognition.
    pub model: String,
    pub jobs_reviewed: i64,
    pub lines: i64,
    pub lines_changed: i64,
    /// `lines_changed / lines`.
    pub line_change_rate: f64,
    pub chars: i64,
    /// Edit distance from the machine's text to the reviewed text, summed.
    pub char_errors: i64,
    /// Character error rate of the machine against the reviewers: `char_errors / chars`.
    pub cer: f64,
    pub boxes_machine: i64,
    pub boxes_added: i64,
    pub boxes_removed: i64,
    pub boxes_moved: i64,
    /// `(added + removed + moved) / boxes_machine`.
    pub box_change_rate: f64,
}

/// One day's review figures (UTC).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DayQuality {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub jobs_reviewed: i64,
    pub lines: i64,
    pub lines_changed: i64,
    pub line_change_rate: f64,
    pub cer: f64,
}

/// The tenant's review figures over a time range.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QualityReport {
    pub from: String,
    pub to: String,
    pub models: Vec<ModelQuality>,
    /// Days with reviews, oldest first.
    pub days: Vec<DayQuality>,
}

fn ratio(n: i64, d: i64) -> f64 {
    if d > 0 { n as f64 / d as f64 } else { 0.0 }
}

fn model_quality(model: String, s: ReviewSums) -> ModelQuality {
    ModelQuality {
        model,
        jobs_reviewed: s.jobs,
        lines: s.lines,
        lines_changed: s.lines_changed,
        line_change_rate: ratio(s.lines_changed, s.lines),
        chars: s.chars,
        char_errors: s.char_errors,
        cer: ratio(s.char_errors, s.chars),
        boxes_machine: s.boxes_machine,
        boxes_added: s.boxes_added,
        boxes_removed: s.boxes_removed,
        boxes_moved: s.boxes_moved,
        box_change_rate: ratio(s.boxes_added + s.boxes_removed + s.boxes_moved, s.boxes_machine),
    }
}

/// Per model and per day, over jobs reviewed in `[from, to)`: the share of lines reviewers
/// changed, the character error rate of the machine's text against theirs, and the share of
/// boxes added, removed or moved. Figures are recomputed at every review, so a job counts once,
/// as it is now, on the day it was last reviewed.
#[utoipa::path(get, path = "/v1/stats/quality", tag = "review", params(("X-Tenant-Id" = String, Header), QualityQuery),
    responses((status = 200, body = QualityReport)))]
pub async fn quality(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Query(q): Query<QualityQuery>,
) -> ApiResult<axum::Json<QualityReport>> {
    let to = q.to.as_deref().map(|s| parse_time("to", s)).transpose()?.unwrap_or_else(ocr_store::now_ms);
    let from = q.from.as_deref().map(|s| parse_time("from", s)).transpose()?.unwrap_or(to - DEFAULT_DAYS * DAY_MS);
    if from > to {
        return Err(ApiError::new(ocr_core::ErrorCode::BadRequest, "from must not be after to"));
    }
    let figures = state.backends.db.quality(&tenant, from, to).await?;
    Ok(axum::Json(QualityReport {
        from: rfc3339(from),
        to: rfc3339(to),
        models: figures.by_model.into_iter().map(|(m, s)| model_quality(m, s)).collect(),
        days: figures
            .by_day
            .into_iter()
            .map(|(day, s)| DayQuality {
                day: rfc3339(day * DAY_MS).get(..10).unwrap_or_default().to_owned(),
                jobs_reviewed: s.jobs,
                lines: s.lines,
                lines_changed: s.lines_changed,
                line_change_rate: ratio(s.lines_changed, s.lines),
                cer: ratio(s.char_errors, s.chars),
            })
            .collect(),
    }))
}
