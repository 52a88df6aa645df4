#!/usr/bin/env python3
"""A small client of the OCR Platform API, standard library only (Python 3.11+).

Runs the whole flow on one document, with a review step in the middle, and prints the text:

    python3 examples/python/ocr_client.py [--url URL] [--tenant T | --api-key KEY] [--canvas N] FILE

create a job -> upload the file -> wait for DETECT_DONE -> read the boxes and their ETag ->
review (remove the box the detector is least sure of) and save with If-Match -> run recognition
-> wait for DONE -> read the result. Steps go to stderr, the text to stdout; on failure the
server's error code and message go to stderr and the exit status is 1.

`OcrClient` can be imported and used on its own. Answers 429 and 503 are retried after the
server's Retry-After, for up to two minutes; job creation carries an Idempotency-Key, so a retried create never makes
a second job.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

RETRY_BUDGET = 120.0  # seconds one request may wait out 429/503 answers, in all
MAX_RETRY_WAIT = 60.0  # seconds between two tries, whatever Retry-After says
LONG_POLL = 20  # seconds the server may hold a status read until the job changes
FLOW_TIMEOUT = 300.0  # seconds to wait for detection, and again for recognition


class OcrError(Exception):
    """A request the server refused (its HTTP status and error body), a failed job, or a timeout."""

    def __init__(self, status: int | None, code: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, {code})" if status else f"{message} ({code})")
        self.status = status
        self.code = code
        self.message = message


class OcrClient:
    """One server, one tenant: `tenant` sends X-Tenant-Id (auth mode `header`, the quickstart),
    `api_key` sends `Authorization: Bearer` (auth mode `api-key`, production)."""

    def __init__(self, url: str, tenant: str | None = None, api_key: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.auth = {"Authorization": f"Bearer {api_key}"} if api_key else {"X-Tenant-Id": tenant or "demo"}

    def _request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):
        """Sends a request; returns (status, headers, body bytes). Error statuses raise OcrError,
        after waiting out 429 and 503 answers as the server's Retry-After says (RETRY_BUDGET)."""
        waited = 0.0
        while True:
            all_headers = {**self.auth, **(headers or {})}
            req = urllib.request.Request(self.url + path, data=body, method=method, headers=all_headers)
            try:
                with urllib.request.urlopen(req, timeout=60) as res:
                    return res.status, res.headers, res.read()
            except urllib.error.HTTPError as e:
                data = e.read()
                wait = _retry_after(e.headers.get("Retry-After"))
                if e.code in (429, 503) and waited + wait <= RETRY_BUDGET:
                    waited += wait
                    time.sleep(wait)
                    continue
                raise _api_error(e.code, data) from None
            except urllib.error.URLError as e:
                raise OcrError(None, "connection_failed", f"cannot reach {self.url}: {e.reason}") from None

    def _json(self, method: str, path: str, payload: Any = None, headers: dict[str, str] | None = None):
        body = None if payload is None else json.dumps(payload).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})} if body is not None else headers
        status, res_headers, data = self._request(method, path, body, hdrs)
        return json.loads(data), res_headers

    def create_job(self, options: dict | None = None) -> dict:
        """POST /v1/ocr/jobs -> {"job_id", "status": "PENDING_UPLOAD"}."""
        key = str(uuid.uuid4())  # the same key on every retry: one job, however often it is sent
        return self._json("POST", "/v1/ocr/jobs", options or {}, {"Idempotency-Key": key})[0]

    def upload(self, job_id: str, file: Path) -> dict:
        """POST /v1/ocr/jobs/{id}/upload: the document as multipart field `file`; detection starts."""
        boundary = uuid.uuid4().hex
        name = file.name.replace('"', "_").replace("\r", "_").replace("\n", "_")
        ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n"
        ).encode() + file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        _, _, data = self._request("POST", f"/v1/ocr/jobs/{job_id}/upload", body, headers)
        return json.loads(data)

    def job(self, job_id: str) -> dict:
        """GET /v1/ocr/jobs/{id}: status, error, results."""
        return self._json("GET", f"/v1/ocr/jobs/{job_id}")[0]

    def wait(self, job_id: str, status: str, timeout: float = FLOW_TIMEOUT) -> dict:
        """Waits until the job reaches `status` (long polls: each read returns when the status
        changes, or after LONG_POLL seconds); OcrError when it fails or time runs out."""
        start = time.monotonic()
        job = self.job(job_id)
        while True:
            if job["status"] == status:
                return job
            if job["status"] == "FAILED":
                err = job.get("error") or {}
                raise OcrError(None, err.get("code", "unknown"), f"job {job_id} failed: {err.get('message', '')}")
            if time.monotonic() - start > timeout:
                raise OcrError(None, "timeout", f"job {job_id} is still {job['status']} after {timeout:.0f} s")
            path = f"/v1/ocr/jobs/{job_id}?wait={LONG_POLL}&since_status={job['status']}"
            job = self._json("GET", path)[0]

    def detect(self, job_id: str) -> tuple[dict, str]:
        """GET /v1/ocr/jobs/{id}/detect -> (boxes per page, ETag of this revision)."""
        detect, headers = self._json("GET", f"/v1/ocr/jobs/{job_id}/detect")
        return detect, headers["ETag"]

    def save_boxes(self, job_id: str, etag: str, pages: list[dict]) -> tuple[dict, str]:
        """PATCH /v1/ocr/jobs/{id}/detect with If-Match: the pages given replace the stored ones.
        If someone saved since `etag` was read: OcrError precondition_failed (412), nothing changes."""
        payload = {"job_id": job_id, "pages": pages}
        detect, headers = self._json("PATCH", f"/v1/ocr/jobs/{job_id}/detect", payload, {"If-Match": etag})
        return detect, headers["ETag"]

    def run_ocr(self, job_id: str) -> dict:
        """POST /v1/ocr/jobs/{id}/run-ocr: recognition on the stored boxes."""
        return self._json("POST", f"/v1/ocr/jobs/{job_id}/run-ocr")[0]

    def result(self, job_id: str) -> dict:
        """GET /v1/ocr/jobs/{id}/result: pages -> lines (text, confidence, points), and `text`."""
        return self._json("GET", f"/v1/ocr/jobs/{job_id}/result")[0]


def _retry_after(value: str | None) -> float:
    try:
        return min(float(value), MAX_RETRY_WAIT) if value else 1.0
    except ValueError:  # an HTTP date: this server sends seconds, a proxy might not
        return 1.0


def _api_error(status: int, data: bytes) -> OcrError:
    try:
        body = json.loads(data)
        return OcrError(status, body["code"], body["message"])
    except (ValueError, KeyError, TypeError):  # not the API's JSON error (a proxy's page)
        return OcrError(status, f"http_{status}", data.decode(errors="replace")[:200].strip())


def drop_lowest_score_box(pages: list[dict]) -> tuple[dict, dict] | None:
    """The review step: the page holding the box the detector is least sure of, without that box,
    and the box removed. None when the document has fewer than two boxes."""
    if sum(len(p["boxes"]) for p in pages) < 2:
        return None
    page, index = min(
        ((p, i) for p in pages for i in range(len(p["boxes"]))), key=lambda pi: pi[0]["boxes"][pi[1]]["score"]
    )
    boxes = list(page["boxes"])
    removed = boxes.pop(index)
    return {**page, "boxes": boxes}, removed


def review_flow(client: OcrClient, file: Path, options: dict | None = None) -> dict:
    """The whole flow with the review step; returns the result (GET …/result)."""
    file.stat()  # a missing file stops here (OSError), before a job is made
    job_id = client.create_job(options)["job_id"]
    log(f"created job {job_id}")
    client.upload(job_id, file)
    log(f"uploaded {file}; detecting text")
    client.wait(job_id, "DETECT_DONE")

    detect, etag = client.detect(job_id)
    count = sum(len(p["boxes"]) for p in detect["pages"])
    log(f"detected {count} boxes on {len(detect['pages'])} page(s) (revision {detect['revision']})")

    review = drop_lowest_score_box(detect["pages"])
    if review is None:
        log("review: nothing to remove")
    else:
        page, removed = review
        saved, _ = client.save_boxes(job_id, etag, [page])
        kept = sum(len(p["boxes"]) for p in saved["pages"])
        log(
            f"review: removed the box with the lowest score ({removed['score']:.3f}) on page "
            f"{page['page_index']}; {kept} boxes saved (revision {saved['revision']})"
        )

    client.run_ocr(job_id)
    log("recognizing")
    client.wait(job_id, "DONE")
    result = client.result(job_id)
    lines = sum(len(p["lines"]) for p in result["pages"])
    log(f"done: {lines} lines read by {result['model']}")
    return result


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        description="Runs the OCR flow with a review step on one document and prints the recognized text."
    )
    parser.add_argument("--url", default=env("OCR_URL", "http://127.0.0.1:8000"), help="server address (env OCR_URL)")
    auth = parser.add_mutually_exclusive_group()
    auth.add_argument(
        "--tenant", default=env("OCR_TENANT", "demo"), help="X-Tenant-Id, auth mode header (env OCR_TENANT)"
    )
    auth.add_argument(
        "--api-key",
        default=env("OCR_API_KEY"),
        help="API key sent as Authorization: Bearer, auth mode api-key; takes the place of --tenant (env OCR_API_KEY)",
    )
    parser.add_argument(
        "--canvas",
        type=int,
        default=env("OCR_CANVAS"),
        help="detection canvas (longest side in pixels; smaller is faster) (env OCR_CANVAS)",
    )
    parser.add_argument(
        "--lang", default=env("OCR_LANG"), choices=["auto", "vi", "en"], help="recognition language (env OCR_LANG; the server reads auto when unset)"
    )
    parser.add_argument("file", type=Path, help="the document: PNG, JPEG, WebP, BMP, TIFF or PDF")
    args = parser.parse_args()

    options: dict[str, Any] = {}
    if args.canvas:
        options["detect"] = {"canvas_size": args.canvas}
    if args.lang:
        options["lang"] = args.lang
    client = OcrClient(args.url, tenant=args.tenant, api_key=args.api_key)
    try:
        result = review_flow(client, args.file, options)
    except OcrError as e:
        log(f"error: {e}")
        return 1
    except OSError as e:
        log(f"error: cannot read {args.file}: {e.strerror}")
        return 1
    print(result["text"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
