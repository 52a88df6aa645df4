-- Jobs and their state transitions. Portable SQL: the same file runs on PostgreSQL and SQLite.
-- Times are milliseconds since the Unix epoch (BIGINT); JSON documents are TEXT.
-- Never edit a migration that has shipped: add a new one.

CREATE TABLE jobs (
    id                 TEXT PRIMARY KEY,          -- UUIDv7, sorts by creation time
    tenant_id          TEXT NOT NULL,
    status             TEXT NOT NULL,
    options            TEXT NOT NULL,             -- JobOptions as JSON
    idempotency_key    TEXT,
    file_key           TEXT,                      -- object key of the original, made of internal ids only
    file_name          TEXT,                      -- as the client sent it; never used in keys or paths
    content_type       TEXT,                      -- sniffed from the bytes
    file_size          BIGINT,
    page_count         BIGINT,
    detect_result      TEXT,                      -- DetectResult JSON (latest revision)
    detect_revision    BIGINT NOT NULL DEFAULT 0, -- bumps on every stored detect result; the ETag
    ocr_result         TEXT,                      -- OcrResult JSON
    error_code         TEXT,
    error_message      TEXT,
    attempts           BIGINT NOT NULL DEFAULT 0, -- runs of the current task
    lease_owner        TEXT,                      -- worker holding the running task
    lease_expires_at   BIGINT,
    enqueued_at        BIGINT,                    -- last message sent for the waiting task
    not_before         BIGINT,                    -- retry backoff: not to be claimed before
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    uploaded_at        BIGINT,
    detect_done_at     BIGINT,
    done_at            BIGINT
);

CREATE UNIQUE INDEX jobs_tenant_idempotency ON jobs (tenant_id, idempotency_key);
CREATE INDEX jobs_tenant_id ON jobs (tenant_id, id);
CREATE INDEX jobs_status ON jobs (status, enqueued_at);

-- Every state transition, for audits and for tests that count terminal transitions.
CREATE TABLE job_events (
    job_id      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL                      -- "api", "sweeper" or a worker id
);

CREATE INDEX job_events_job ON job_events (job_id);
