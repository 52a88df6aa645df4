-- Tenant plugins, the per-tenant pipeline, and what plugins left on a job.
-- Portable SQL: the same file runs on PostgreSQL and SQLite.

CREATE TABLE plugins (
    id          TEXT PRIMARY KEY,      -- UUIDv7
    tenant_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    sha256      TEXT NOT NULL,         -- of the component bytes
    object_key  TEXT NOT NULL,         -- the component in object storage
    size        BIGINT NOT NULL,
    hooks       TEXT NOT NULL,         -- JSON: {"filter_boxes": bool, "normalize_text": bool}
    created_at  BIGINT NOT NULL
);

CREATE UNIQUE INDEX plugins_tenant_name_version ON plugins (tenant_id, name, version);

-- The ordered plugins per hook of a tenant (JSON Pipeline document).
CREATE TABLE pipelines (
    tenant_id   TEXT PRIMARY KEY,
    pipeline    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

ALTER TABLE jobs ADD COLUMN warnings TEXT;      -- JSON list of strings (skipped plugin failures)
ALTER TABLE jobs ADD COLUMN plugin_logs TEXT;   -- JSON list of plugin log lines (truncated)
