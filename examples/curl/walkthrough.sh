#!/usr/bin/env bash
# The OCR Platform API step by step with curl: create a job, upload a document, wait for the
# detected boxes, review them (remove the one the detector is least sure of) and save the edit
# with If-Match, run recognition, wait, print the text.
#
#   examples/curl/walkthrough.sh [FILE]        (default: tests/fixtures/en_invoice.png)
#
# Environment:
#   OCR_URL       the server (default http://127.0.0.1:8000, where scripts/quickstart.sh serves)
#   OCR_TENANT    tenant sent as X-Tenant-Id, auth mode `header` (default demo)
#   OCR_API_KEY   API key sent as `Authorization: Bearer`, auth mode `api-key`; replaces OCR_TENANT
#   OCR_CANVAS    detection canvas in pixels, e.g. 960 (faster); the server's default when unset
#   OCR_LANG      recognition language, vi or en; the server's default when unset
#   OCR_TIMEOUT   seconds to wait for detection, and again for recognition (default 300)
#
# Needs bash, curl and python3 (only to read and edit JSON). Steps are printed on stderr, the
# recognized text on stdout. Any refused request stops the walkthrough with the server's error
# code and message, and exit status 1.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
FILE=${1:-$(cd "$here/../.." && pwd)/tests/fixtures/en_invoice.png}
API=${OCR_URL:-http://127.0.0.1:8000}
API=${API%/}
if [[ -n ${OCR_API_KEY:-} ]]; then
  AUTH="Authorization: Bearer $OCR_API_KEY"
else
  AUTH="X-Tenant-Id: ${OCR_TENANT:-demo}"
fi
TIMEOUT=${OCR_TIMEOUT:-300}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf '%s\n' "$*" >&2; }

# json FILE EXPR: prints a Python expression over the JSON document in FILE, bound to `d`.
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# call EXPECTED METHOD PATH [curl options…]: one request. The body goes to $work/body, the
# headers to $work/headers. Any status but EXPECTED stops here with the server's error, which is
# always JSON: {"code": "...", "message": "..."}.
# --retry: curl sends the request again after the server's Retry-After when it answers 429 (rate
# limited, too many jobs) or 503 (a backend briefly down), for up to two minutes (also after 500,
# 502, 504 and timeouts, which curl counts as transient too).
call() {
  local expected=$1 method=$2 path=$3 status
  shift 3
  status=$(curl -sS --retry 20 --retry-max-time 120 -X "$method" "$API$path" -H "$AUTH" \
    -D "$work/headers" -o "$work/body" -w '%{http_code}' "$@") || { say "error: no answer from $API"; exit 1; }
  if [[ $status != "$expected" ]]; then
    say "error: $method $path answered HTTP $status"
    json "$work/body" 'd["code"] + ": " + d["message"]' >&2 2>/dev/null || cat "$work/body" >&2
    exit 1
  fi
}

# wait_for STATUS: waits until the job reaches STATUS, by long polls (each read returns when the
# status changes, or after 20 s); stops if it fails or time runs out.
wait_for() {
  local deadline=$((SECONDS + TIMEOUT)) status=""
  while :; do
    call 200 GET "/v1/ocr/jobs/$JOB?wait=20${status:+&since_status=$status}"
    status=$(json "$work/body" 'd["status"]')
    [[ $status == "$1" ]] && return
    if [[ $status == FAILED ]]; then
      say "error: job $JOB failed: $(json "$work/body" 'd["error"]["code"] + ": " + d["error"]["message"]')"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      say "error: job $JOB is still $status after $TIMEOUT s (waiting for $1)"
      exit 1
    fi
  done
}

[[ -r $FILE ]] || { say "error: cannot read $FILE"; exit 1; }

# 1. Create a job. The body is optional: job options (auto_ocr, lang, detect.canvas_size, …).
#    Idempotency-Key: repeating the same request (after a lost answer) returns the same job.
options=$(python3 -c '
import json, os
o = {}
if os.environ.get("OCR_CANVAS"): o["detect"] = {"canvas_size": int(os.environ["OCR_CANVAS"])}
if os.environ.get("OCR_LANG"): o["lang"] = os.environ["OCR_LANG"]
print(json.dumps(o))')
key=$(python3 -c 'import uuid; print(uuid.uuid4())')
call 201 POST /v1/ocr/jobs -H 'Content-Type: application/json' -H "Idempotency-Key: $key" -d "$options"
JOB=$(json "$work/body" 'd["job_id"]')
say "created job $JOB"

# 2. Upload the document as the multipart field `file` (PNG, JPEG, WebP, BMP, TIFF or PDF; the
#    type is read from the bytes). 202: detection is queued.
call 202 POST "/v1/ocr/jobs/$JOB/upload" -F "file=@$FILE"
say "uploaded $FILE; detecting text"

# 3. Follow the job until detection is done.
wait_for DETECT_DONE

# 4. Read the boxes: pages[].boxes[] with four corners (`points`) and the detector's `score`.
#    The ETag header is the revision; an edit must name it in If-Match.
call 200 GET "/v1/ocr/jobs/$JOB/detect"
cp "$work/body" "$work/detect.json"
ETAG=$(grep -i '^etag:' "$work/headers" | tail -n 1 | cut -d' ' -f2- | tr -d '\r')
say "detected $(json "$work/detect.json" 'sum(len(p["boxes"]) for p in d["pages"])') boxes on" \
  "$(json "$work/detect.json" 'len(d["pages"])') page(s) (revision $(json "$work/detect.json" 'd["revision"]'))"

# 5. Review: remove the box the detector is least sure of, as a person would remove a false
#    detection, and send that page back. Pages named in the edit replace the stored ones. If
#    someone saved since our GET, the server answers 412 precondition_failed and keeps theirs.
review=$(python3 - "$work/detect.json" "$work/edit.json" <<'PY'
import json, sys
detect = json.load(open(sys.argv[1]))
boxes = [(b["score"], p, i) for p in detect["pages"] for i, b in enumerate(p["boxes"])]
if len(boxes) >= 2:  # else nothing worth removing: print nothing
    score, page, index = min(boxes, key=lambda s: s[0])
    del page["boxes"][index]
    json.dump({"job_id": detect["job_id"], "pages": [page]}, open(sys.argv[2], "w"))
    print(f"{score:.3f} {page['page_index']}")
PY
)
if [[ -n $review ]]; then
  read -r score page <<<"$review"
  call 200 PATCH "/v1/ocr/jobs/$JOB/detect" -H "If-Match: $ETAG" -H 'Content-Type: application/json' \
    --data-binary "@$work/edit.json"
  say "review: removed the box with the lowest score ($score) on page $page;" \
    "$(json "$work/body" 'sum(len(p["boxes"]) for p in d["pages"])') boxes saved" \
    "(revision $(json "$work/body" 'd["revision"]'))"
else
  say "review: nothing to remove"
fi

# 6. Run recognition on the stored (edited) boxes, and follow the job until it is done.
call 202 POST "/v1/ocr/jobs/$JOB/run-ocr"
say "recognizing"
wait_for DONE

# 7. The result: ?format=text is the plain text; without it, JSON with every line's box and
#    confidence.
call 200 GET "/v1/ocr/jobs/$JOB/result"
say "done: $(json "$work/body" 'sum(len(p["lines"]) for p in d["pages"])') lines" \
  "read by $(json "$work/body" 'd["model"]')"
call 200 GET "/v1/ocr/jobs/$JOB/result?format=text"
cat "$work/body"
echo
