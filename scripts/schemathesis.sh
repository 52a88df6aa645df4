#!/usr/bin/env bash
# Property-based API fuzzing with Schemathesis against a freshly started embedded server
# (SQLite and files in a temporary folder, in-process queue and worker, `header` auth) on a free
# loopback port. Two passes over /openapi.json: the tenant routes with `X-Tenant-Id: fuzz`, and
# the operator routes with a throw-away operator token. Fails (exit 1) on any 5xx, any response
# that does not match its documented schema / status / content type, or a server that dies.
#
#   scripts/schemathesis.sh                       # defaults: 25 examples per operation, 120 s per pass
#   ST_MAX_EXAMPLES=100 ST_MAX_TIME=600 scripts/schemathesis.sh
#   ST_CHECKS=not_a_server_error scripts/schemathesis.sh      # 5xx only
#
# Schemathesis lives in a virtual environment under .ci/.services (gitignored), made on first use.
# Reports (JUnit XML, server log) go to $ST_REPORT_DIR (default: a temporary folder, printed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

venv="$root/.ci/.services/schemathesis-venv"
st_version="${ST_VERSION:-4.32.5}"
max_examples="${ST_MAX_EXAMPLES:-25}"
max_time="${ST_MAX_TIME:-120}"
checks="${ST_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}"
seed="${ST_SEED:-1}"

say() { echo "schemathesis.sh: $*" >&2; }

if [ ! -x "$venv/bin/st" ]; then
  say "installing schemathesis $st_version into .ci/.services/schemathesis-venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$st_version"
fi

cargo build -q --locked -p ocr-server
bin="$root/target/debug/ocr-server"

work=$(mktemp -d)
report="${ST_REPORT_DIR:-$work/report}"
mkdir -p "$report"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
operator_token="op-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
}
cleanup() {
  stop_server
  if [ -z "${ST_REPORT_DIR:-}" ] && [ "${ST_KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

# Rate limit off and a high active-job cap: the fuzzer is one tenant sending thousands of requests.
say "starting ocr-server on $base (data in $work/data, log in $report/server.log)"
OCR_DATA_DIR="$work/data" OCR_AUTH_MODE=header OCR_BUILTIN_PLUGINS_DIR="$root/plugins/dist" \
  OCR_OPERATOR_TOKEN="$operator_token" OCR_WRITE_RATE_PER_SEC=0 OCR_READ_RATE_PER_SEC=0 OCR_TENANT_MAX_WAITING_JOBS=100000 \
  RUST_LOG="${RUST_LOG:-info}" \
  "$bin" serve --bind "127.0.0.1:$port" >"$report/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { say "the server exited at start-up:"; tail -20 "$report/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$base/health" >/dev/null || { say "the server does not answer on $base"; exit 1; }

status=0
run_pass() {
  local name=$1; shift
  say "pass '$name': checks $checks, $max_examples examples per operation, at most ${max_time}s"
  # timeout: a hard stop in case a request hangs; --max-time bounds the fuzzing itself.
  # Run from the temporary folder: Schemathesis keeps a cache (.schemathesis/) in the working directory.
  (cd "$work" && timeout --kill-after=10 $((max_time + 120)) \
    "$venv/bin/st" --no-color run "$base/openapi.json" \
      --checks "$checks" --max-examples "$max_examples" --max-time "$max_time" --seed "$seed" \
      --request-timeout 30 --workers 2 --generation-database none \
      --report junit --report-junit-path "$report/$name.junit.xml" \
      "$@") || status=1
  kill -0 "$server_pid" 2>/dev/null || { say "the server died during pass '$name'"; status=1; }
}

run_pass tenant -H "X-Tenant-Id: fuzz" --exclude-tag admin
run_pass operator -H "Authorization: Bearer $operator_token" --include-tag admin

if grep -n "panicked at" "$report/server.log" >&2; then
  say "the server log has panics (above)"
  status=1
fi
if [ "$status" -ne 0 ]; then
  say "FAILED; reports in $report"
  ST_KEEP=1
else
  say "passed"
fi
exit "$status"
