#!/usr/bin/env bash
# Makes sure the services the test suite needs answer on loopback: PostgreSQL (5432), Redis
# (6379) and the S3-compatible server (scripts/s3-server.sh). Starts what is installed but
# stopped; installs PostgreSQL and Redis from Debian's packages when missing (as root).
# Fails loudly when a service cannot be brought up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

say() { echo "services: $*" >&2; }

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if ! command -v pg_ctlcluster >/dev/null || ! command -v redis-server >/dev/null; then
  say "installing postgresql and redis-server from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql redis-server >/dev/null
fi

if ! pg_up; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
fi
pg_up || { say "PostgreSQL does not answer on 127.0.0.1:5432"; exit 1; }
# Tests connect as postgres over TCP and create a database each.
psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1 \
  || { say "cannot connect to PostgreSQL as postgres on 127.0.0.1 (tests need trust or OCR_TEST_POSTGRES_URL)"; exit 1; }

if ! redis_up; then
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis_up && break; sleep 0.2; done
fi
redis_up || { say "Redis does not answer on 127.0.0.1:6379"; exit 1; }

"$here/s3-server.sh" start
say "PostgreSQL, Redis and the S3-compatible server are up"
