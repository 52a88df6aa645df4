#!/usr/bin/env bash
# Builds the review UI (ui/) into ui/dist, which the ocr-server build embeds (served at /ui).
# Installs the npm packages from ui/package-lock.json first when they are missing or stale.
# Needs Node.js 20.19+ and npm.
set -euo pipefail
cd "$(dirname "$0")/../ui"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "build-ui: Node.js (20.19 or newer) and npm are needed to build the review UI" >&2
    exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
    echo "build-ui: Node.js $(node --version) is too old; the UI build (Vite) needs 20.19 or newer" >&2
    exit 1
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
fi
npm run --silent build
echo "build-ui: ui/dist is ready ($(find dist -type f | wc -l) files)"
