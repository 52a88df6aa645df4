-- The review loop: versioned pipelines, what the machine produced before a reviewer changed it,
-- per-job review figures, and the tenant's consent to export corrections.
-- Portable SQL: the same file runs on PostgreSQL and SQLite.

-- Every pipeline a tenant made live, numbered from 1; `pipelines` keeps the live one and its number.
CREATE TABLE pipeline_versions (
    tenant_id   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    pipeline    TEXT NOT NULL,               -- JSON Pipeline document
    source      TEXT NOT NULL,               -- "put", or "rollback:N" for a copy of version N
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

ALTER TABLE pipelines ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
INSERT INTO pipeline_versions (tenant_id, version, pipeline, source, created_at)
    SELECT tenant_id, 1, pipeline, 'put', updated_at FROM pipelines;

ALTER TABLE jobs ADD COLUMN pipeline_version BIGINT;   -- the tenant's pipeline version the job last ran with (0: none)
ALTER TABLE jobs ADD COLUMN machine_detect TEXT;       -- DetectResult JSON as the machine left it, kept at the first box edit
ALTER TABLE jobs ADD COLUMN reviewed_at BIGINT;        -- last reviewer edit of boxes or text
CREATE INDEX jobs_tenant_reviewed ON jobs (tenant_id, reviewed_at);

ALTER TABLE tenant_settings ADD COLUMN share_corrections BIGINT NOT NULL DEFAULT 0;  -- 1: corrections may be exported

-- What review changed on a job, recomputed at every edit: the operator's accuracy figure.
CREATE TABLE job_reviews (
    job_id         TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    model          TEXT NOT NULL,            -- models that read the job ("" before recognition)
    reviewed_at    BIGINT NOT NULL,
    lines          BIGINT NOT NULL,          -- recognized lines
    lines_changed  BIGINT NOT NULL,          -- lines whose text a reviewer changed
    chars          BIGINT NOT NULL,          -- characters of the reviewed text
    char_errors    BIGINT NOT NULL,          -- edit distance machine → reviewed text, summed
    boxes_machine  BIGINT NOT NULL,
    boxes_added    BIGINT NOT NULL,
    boxes_removed  BIGINT NOT NULL,
    boxes_moved    BIGINT NOT NULL
);

CREATE INDEX job_reviews_tenant_time ON job_reviews (tenant_id, reviewed_at);
