#!/usr/bin/env bash
# Installs the command-line tools the test suite uses, from Debian's packages, when missing:
# xmllint (libxml2-utils) validates ALTO against its XSD; pdftotext and pdfimages (poppler-utils)
# read the searchable PDF back. Tests fail under CI=true when one is missing.
set -euo pipefail

say() { echo "tools: $*" >&2; }

missing=()
command -v xmllint >/dev/null || missing+=(libxml2-utils)
{ command -v pdftotext >/dev/null && command -v pdfimages >/dev/null; } || missing+=(poppler-utils)

if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v xmllint >/dev/null && command -v pdftotext >/dev/null && command -v pdfimages >/dev/null \
  || { say "xmllint, pdftotext or pdfimages is still missing"; exit 1; }
