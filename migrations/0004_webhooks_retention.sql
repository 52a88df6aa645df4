-- Tenant settings (default webhook URL and secret, retention), and webhook deliveries: an
-- outbox row written in the same transaction as the job transition that causes it, so no
-- event is lost when a process dies. Portable SQL: the same file runs on PostgreSQL and SQLite.

CREATE TABLE tenant_settings (
    tenant_id        TEXT PRIMARY KEY,
    webhook_url      TEXT,                 -- default callback for jobs that name none
    webhook_secret   TEXT,                 -- HMAC-SHA256 key; shown to the tenant once
    retention_days   BIGINT,               -- NULL: the server default (OCR_RETENTION_DAYS)
    updated_at       BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,     -- UUIDv7; the event id receivers de-duplicate on
    job_id           TEXT NOT NULL,
    tenant_id        TEXT NOT NULL,
    event            TEXT NOT NULL,        -- job.detect_done | job.done | job.failed
    url              TEXT NOT NULL,
    body             TEXT NOT NULL,        -- the JSON sent, fixed when the event happened
    state            TEXT NOT NULL,        -- pending | delivered | failed
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_expires_at BIGINT,               -- a sender is trying it until then
    last_status      BIGINT,               -- HTTP status of the last attempt
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id);
