//! Delivers the webhook outbox: claim a due row, check where it goes, POST it signed, record
//! the outcome, back off exponentially on failure.

use std::net::SocketAddr;
use std::time::Duration;

use ocr_store::{AttemptOutcome, Db, DueDelivery, now_ms};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::policy::{check_url, is_public};
use crate::signature::{SIGNATURE_HEADER, sign};

/// Sender behaviour. Every field has a sane default.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    /// Let callbacks reach private and loopback addresses (tests, single-host set-ups).
    pub allow_private: bool,
    /// Attempts before a delivery is marked `failed`.
    pub max_attempts: i64,
    /// Wait before the second attempt; doubles with each attempt, capped at one hour.
    pub backoff: Duration,
    /// Per-attempt time limit (connect + response).
    pub timeout: Duration,
    /// How often the outbox is checked when it was empty.
    pub poll_interval: Duration,
}

impl Default for SenderSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            max_attempts: 8,
            backoff: Duration::from_secs(10),
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// Delivers webhook events; any number may run, in any processes.
pub struct Sender {
    settings: SenderSettings,
}

impl Sender {
    pub fn new(settings: SenderSettings) -> Self {
        Self { settings }
    }

    /// Makes one attempt on one due delivery. Returns `false` when none was due.
    pub async fn deliver_once(&self, db: &Db) -> ocr_store::Result<bool> {
        let lease = self.settings.timeout.as_millis() as i64 * 2 + 5_000;
        let Some(due) = db.claim_delivery(lease).await? else { return Ok(false) };
        let outcome = match self.attempt(&due).await {
            Ok(status) => AttemptOutcome::Delivered { status },
            Err((status, error)) => {
                let attempts = due.delivery.attempts;
                let retry_at = (attempts < self.settings.max_attempts).then(|| now_ms() + self.backoff_ms(attempts));
                warn!(delivery = %due.delivery.id, job_id = %due.delivery.job_id, attempts, %error, "webhook attempt failed");
                AttemptOutcome::Failed { status, error, retry_at }
            }
        };
        let label = if matches!(outcome, AttemptOutcome::Delivered { .. }) { "delivered" } else { "failed" };
        metrics::counter!("ocr_webhook_attempts_total", "outcome" => label).increment(1);
        if label == "delivered" {
            info!(delivery = %due.delivery.id, job_id = %due.delivery.job_id, event = %due.delivery.event, "webhook delivered");
        }
        db.finish_delivery(&due.delivery.id, &outcome).await?;
        Ok(true)
    }

    fn backoff_ms(&self, attempts: i64) -> i64 {
        let base = self.settings.backoff.as_millis() as i64;
        let factor = 1_i64 << (attempts - 1).clamp(0, 20);
        base.saturating_mul(factor).min(3_600_000)
    }

    /// One POST. `Err((status, reason))` for anything but a 2xx answer.
    async fn attempt(&self, due: &DueDelivery) -> Result<u16, (Option<u16>, String)> {
        let d = &due.delivery;
        let Some(secret) = &due.secret else {
            return Err((
                None,
                "the tenant has no webhook secret; create one with POST /v1/settings/webhook-secret".into(),
            ));
        };
        let url = check_url(&d.url, self.settings.allow_private).map_err(|e| (None, e.to_string()))?;
        let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        // Resolve once, check every address, and connect only to the checked ones (no DNS
        // rebinding between the check and the request).
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| (None, format!("cannot resolve {host}: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err((None, format!("{host} has no address")));
        }
        if !self.settings.allow_private
            && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip()))
        {
            return Err((None, format!("{host} resolves to a private or internal address ({})", bad.ip())));
        }
        let client = reqwest::Client::builder()
            .resolve_to_addrs(&host, &addrs)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.settings.timeout)
            .user_agent(concat!("ocr-platform-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| (None, format!("http client: {e}")))?;
        let timestamp = now_ms() / 1000;
        let response = client
            .post(url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, sign(secret, timestamp, d.body.as_bytes()))
            .header("X-OCR-Event", &d.event)
            .header("X-OCR-Delivery", &d.id)
            .body(d.body.clone())
            .send()
            .await
            .map_err(|e| (None, format!("request failed: {}", chain(&e))))?;
        let status = response.status();
        if status.is_success() {
            Ok(status.as_u16())
        } else {
            Err((Some(status.as_u16()), format!("the receiver answered {status}")))
        }
    }

    /// Delivers until `shutdown` fires: back to back while work is due, else every poll interval.
    pub async fn run(self, db: Db, shutdown: CancellationToken) {
        loop {
            let worked = match self.deliver_once(&db).await {
                Ok(worked) => worked,
                Err(e) => {
                    warn!(error = %e, "webhook outbox unavailable; trying again shortly");
                    false
                }
            };
            if worked {
                continue;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
    }
}

/// An error with its causes (reqwest's own message leaves out "connection refused" and the like).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped_at_an_hour() {
        let s = Sender::new(SenderSettings { backoff: Duration::from_secs(10), ..Default::default() });
        assert_eq!(s.backoff_ms(1), 10_000);
        assert_eq!(s.backoff_ms(2), 20_000);
        assert_eq!(s.backoff_ms(4), 80_000);
        assert_eq!(s.backoff_ms(30), 3_600_000);
    }
}
