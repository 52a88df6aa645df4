#!/usr/bin/env bash
# The whole test suite: brings up the services (PostgreSQL, Redis, S3-compatible server),
# fetches the models, builds the plugins, then runs every test of the workspace.
# Nothing is skipped: a missing service or model fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
scripts/tools.sh
scripts/check-infra.sh
scripts/fetch-models.sh
if [ -x scripts/build-plugins.sh ]; then scripts/build-plugins.sh; fi
cargo test --workspace --locked "$@"
