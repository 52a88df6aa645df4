#!/usr/bin/env bash
# One command from a fresh clone to a running server on embedded defaults (SQLite and files
# under ./data, in-process queue) at http://127.0.0.1:8000 — review UI at /ui, API docs at /docs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-models.sh
scripts/build-plugins.sh
# The review UI (/ui) is embedded at compile time: build it first (needs Node.js and npm).
if command -v npm >/dev/null; then
    scripts/build-ui.sh
else
    echo "quickstart: npm not found, so the review UI is not built (/ui will say how); the API works" >&2
fi
exec cargo run --release --locked -p ocr-server -- serve "$@"
