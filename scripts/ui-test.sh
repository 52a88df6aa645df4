#!/usr/bin/env bash
# End-to-end test of the review UI in a real browser: builds the UI and the server when they are
# stale, starts `ocr-server serve` on embedded defaults (temp data folder, free port, the real
# models), and runs ui/tests/*.test.mjs (Playwright from npm driving Debian's Chromium, headless).
# Screenshots land in ui/test-output (or $OCR_UI_TEST_OUT); their paths are printed.
# Chromium is installed with apt-get when missing (as root); under CI=true a missing browser fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ui-test: installing Chromium (apt-get install chromium)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [ ! -x "$CHROMIUM" ]; then
    echo "ui-test: Chromium is needed at $CHROMIUM (apt-get install chromium, or set CHROMIUM)" >&2
    if [ "${CI:-}" = true ]; then exit 1; fi
    echo "ui-test: SKIPPED (not CI)" >&2
    exit 0
fi
export CHROMIUM

scripts/build-ui.sh
scripts/fetch-models.sh >/dev/null
cargo build --locked -p ocr-server

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# Embedded defaults: nothing inherited that could point the server elsewhere.
(
    cd "$WORK"
    exec env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL -u S3_ENDPOINT -u MINIO_ENDPOINT -u OCR_AUTH_MODE \
        OCR_DATA_DIR="$WORK/data" OCR_BIND="127.0.0.1:$PORT" OCR_BUILTIN_PLUGINS_DIR="$ROOT/plugins/dist" \
        "$ROOT/target/debug/ocr-server" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log" >&2; echo "ui-test: the server did not start" >&2; exit 1; fi
    sleep 0.2
done

export OCR_UI_TEST_URL="http://127.0.0.1:$PORT"
export OCR_UI_TEST_OUT=${OCR_UI_TEST_OUT:-$ROOT/ui/test-output}
mkdir -p "$OCR_UI_TEST_OUT" && rm -f "$OCR_UI_TEST_OUT"/*.png
if ! (cd ui && node --test --test-reporter=spec --test-timeout=900000 tests/); then
    echo "ui-test: FAILED; server log:" >&2
    tail -n 60 "$WORK/server.log" >&2
    exit 1
fi
echo "ui-test: screenshots in $OCR_UI_TEST_OUT"
