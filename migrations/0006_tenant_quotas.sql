-- Per-tenant quotas on work waiting (queued or running), set by the operator; the row is also
-- the lock that makes admission atomic: an upload locks its tenant's row, counts what waits and
-- records itself in one transaction, so concurrent uploads never overshoot the quota.
-- Portable SQL: the same file runs on PostgreSQL and SQLite.

CREATE TABLE tenant_quotas (
    tenant_id          TEXT PRIMARY KEY,
    max_waiting_jobs   BIGINT,              -- NULL: the server default (OCR_TENANT_MAX_WAITING_JOBS)
    max_waiting_bytes  BIGINT,              -- NULL: the server default (OCR_TENANT_MAX_WAITING_BYTES)
    locked_at          BIGINT NOT NULL      -- last admission that took the lock
);

-- Counting a tenant's waiting jobs, and the change feed that long polls and event streams read.
CREATE INDEX jobs_tenant_status ON jobs (tenant_id, status);
CREATE INDEX jobs_updated_at ON jobs (updated_at);
