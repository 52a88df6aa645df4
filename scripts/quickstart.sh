#!/usr/bin/env bash
# One command from a fresh clone to a running server on embedded defaults (SQLite and files
# under ./data, in-process queue) at http://127.0.0.1:8000 — API docs at /docs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-models.sh
scripts/build-plugins.sh
exec cargo run --release --locked -p ocr-server -- serve "$@"
