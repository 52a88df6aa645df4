-- Tenants and their API keys. Keys are stored only as SHA-256 hashes; the key itself is shown
-- once, when it is issued. Portable SQL: the same file runs on PostgreSQL and SQLite.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    disabled    BIGINT NOT NULL DEFAULT 0,   -- 1: every key of the tenant stops working
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,            -- UUIDv7, for listing and revoking
    tenant_id   TEXT NOT NULL,
    hash        TEXT NOT NULL,               -- SHA-256 (hex) of the whole key
    prefix      TEXT NOT NULL,               -- first characters of the key, to recognise it in lists
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
