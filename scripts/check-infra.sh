#!/usr/bin/env bash
# Validates infra/docker-compose.yml against the Compose specification's JSON schema (vendored
# in check-jsonschema, from PyPI) and checks that the Dockerfile runs the project's own scripts.
# Docker itself is not needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${OCR_SERVICES_DIR:-$root/.ci/.services}/venv-tools
if [ ! -x "$venv/bin/check-jsonschema" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'check-jsonschema==0.39.0'
fi
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$root/infra/docker-compose.yml"
for script in scripts/build-plugins.sh fetch-models.sh; do
  grep -q "$script" "$root/infra/Dockerfile" || { echo "infra/Dockerfile does not run $script" >&2; exit 1; }
done
echo "infra: compose file valid, Dockerfile uses the shared scripts"
