#!/usr/bin/env python3
"""Replay throughput: how many stored jobs per second `POST /v1/pipeline/replay` covers with the
built-in plugins (min-box-filter, text-normalizer, pii-redactor) on a 100-line page.

Starts `ocr-server serve` on embedded defaults in a temporary folder, renders a 100-line page
(Pillow, DejaVu Sans), runs it once through OCR, then replays the pipeline on that job repeated
100 times per request (`job_ids`), several rounds, and prints jobs/s with the time spent inside the
sandbox. Needs a built binary (`--ocr-bin`, default target/release/ocr-server), the models and the
built plugins (scripts/build-plugins.sh).

    python3 scripts/bench-replay.py [--ocr-bin target/release/ocr-server] [--rounds 5]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINE = {
    "filter_boxes": [{"plugin": "builtin.min-box-filter"}],
    "normalize_text": [
        {"plugin": "builtin.text-normalizer", "config": {"fix_confusions": "true", "tone_style": "new"}},
        {"plugin": "builtin.pii-redactor"},
    ],
}


def call(base, method, path, tenant, body=None, timeout=600):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"X-Tenant-Id": tenant})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def page(path, lines=100):
    """Renders `lines` text lines; returns the page size and one box per line."""
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 18)
    size = (1240, 40 + 34 * lines)
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    boxes = []
    for i in range(lines):
        text = f"Hóa đơn số {48213 + i} tổng tiền {(i + 3) * 12}.000 đ ĐT 028 3555 {2200 + i}"
        y = 20 + 34 * i
        draw.text((40, y), text, fill="black", font=font)
        x1 = 40 + font.getlength(text) + 6
        boxes.append({"points": [[34, y - 4], [x1, y - 4], [x1, y + 26], [34, y + 26]], "score": 1.0})
    img.save(path)
    return size, boxes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ocr-bin", default=os.path.join(ROOT, "target/release/ocr-server"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jobs-per-request", type=int, default=100)
    args = ap.parse_args()
    args.ocr_bin = os.path.abspath(args.ocr_bin)

    work = tempfile.mkdtemp(prefix="bench-replay-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "S3_ENDPOINT", "MINIO_ENDPOINT")}
    env.update(OCR_BIND=f"127.0.0.1:{port}", OCR_AUTH_MODE="header", OCR_DATA_DIR=os.path.join(work, "data"),
               OCR_BUILTIN_PLUGINS_DIR=os.path.join(ROOT, "plugins/dist"), RUST_LOG="warn")
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([args.ocr_bin, "serve"], env=env, cwd=work, stdout=log, stderr=log)
    base, tenant = f"http://127.0.0.1:{port}", "bench-replay"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        image = os.path.join(work, "page.png")
        (width, height), boxes = page(image)
        job = call(base, "POST", "/v1/ocr/jobs", tenant, {})["job_id"]
        subprocess.run(["curl", "-sf", "-H", f"X-Tenant-Id: {tenant}", "-F", f"file=@{image}",
                        f"{base}/v1/ocr/jobs/{job}/upload"], check=True, stdout=subprocess.DEVNULL)

        def wait(target):
            status = ""
            while True:
                view = call(base, "GET", f"/v1/ocr/jobs/{job}?wait=30&since_status={status or 'PENDING_UPLOAD'}", tenant)
                status = view["status"]
                if status == target:
                    return view
                if status == "FAILED":
                    sys.exit(f"the bench page failed: {view['error']}")

        wait("DETECT_DONE")
        # One box per rendered line, as a reviewer would draw them: a page of exactly 100 lines.
        edit = {"pages": [{"page_index": 0, "width": width, "height": height, "boxes": boxes}]}
        call(base, "PATCH", f"/v1/ocr/jobs/{job}/detect", tenant, edit)
        call(base, "POST", f"/v1/ocr/jobs/{job}/run-ocr", tenant)
        view = wait("DONE")
        lines = sum(len(p["lines"]) for p in view["ocr_result"]["pages"])
        body = {"pipeline": PIPELINE, "job_ids": [job] * args.jobs_per_request}
        call(base, "POST", "/v1/pipeline/replay", tenant, body)  # warm-up: plugin compile caches
        walls, inside, changed = [], [], 0
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            report = call(base, "POST", "/v1/pipeline/replay", tenant, body)
            walls.append(time.perf_counter() - t0)
            inside.append(report["total"]["elapsed_ms"] / 1000)
            changed = report["jobs"][0]["lines_changed"]
            assert report["total"]["jobs"] == args.jobs_per_request, report["total"]
        n = args.jobs_per_request
        print(f"page: {lines} recognized lines; pipeline: min-box-filter, text-normalizer, pii-redactor "
              f"({changed} lines changed per job)")
        print(f"replay of {n} jobs per request, {args.rounds} rounds:")
        print(f"  throughput   {n / statistics.median(walls):8.1f} jobs/s (median request {statistics.median(walls) * 1000:.0f} ms, "
              f"best {n / min(walls):.1f} jobs/s)")
        print(f"  per job      {statistics.median(walls) / n * 1000:8.2f} ms wall, "
              f"{statistics.median(inside) / n * 1000:.2f} ms inside the sandbox (3 hooks' calls)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
