#!/usr/bin/env bash
# The whole test suite: brings up the services (PostgreSQL, Redis, S3-compatible server),
# fetches the models, builds the plugins and the review UI, then runs every test of the workspace
# and the review UI's browser test.
# Nothing is skipped: a missing service or model fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
scripts/tools.sh
scripts/check-infra.sh
# No module of host/ imports a module that imports it back.
scripts/check-imports.sh
scripts/fetch-models.sh
if [ -x scripts/build-plugins.sh ]; then scripts/build-plugins.sh; fi
# The review UI first: the server binary embeds ui/dist when it compiles.
scripts/build-ui.sh
cargo test --workspace --locked "$@"
# The built-in plugins' own unit tests (their workspace is apart from the host's).
cargo test --manifest-path plugins/Cargo.toml --workspace --locked
# The review UI end to end in a real browser (Chromium) against the real server.
scripts/ui-test.sh
