#!/usr/bin/env python3
"""Cost and reading quality per page: `ocr-server ocr` beside Tesseract 5 on the same images.

usage: scripts/bench-cost.py [--ocr-bin PATH] [--tesseract-lang vie+eng] [--no-tesseract]
                             [--score score.py] [--out DIR] [--json FILE] [--runs N]
                             [--production [--workers K]] [--lang-from-gt] [-- OCR-ARGS...] SET...

A SET is a folder of images, or a fixtures folder with `images/` and `gt.json`
(../shared/fixtures/devset, ../shared/fixtures/devset-vi). For each set, in one run:

1. `ocr-server ocr --format json FILES...` in one process (model loading included, as a user
   runs it), then
2. Tesseract 5 (`tesseract LIST OUT -l vie+eng tsv`, Debian's package) in one process over the
   same files, with one OpenMP thread (`OMP_THREAD_LIMIT=1`, `--tesseract-threads`): its
   OpenMP threads spin while they wait, so with its default threads its CPU time is several
   times the work it does,

each timed by the kernel: CPU seconds (user + sys, all threads, from wait4), wall seconds and
peak RSS. Prints CPU s/page and wall s/page for both and the ratio ours / Tesseract. Both
readings are written as PRED files in the shape of the fixtures' gt.json (`--out`, default
./bench-cost), so `score.py PRED --gt gt.json` scores them; with `--score PATH/score.py` this
script runs it for both and prints bag-of-words F1, cover recall, detection F1, CER and word
accuracy per language. `--runs N` repeats each program N times and keeps the fastest run
(CPU), to damp a busy machine.

With `--production`, the same images also go through the server in production mode
(`e2e-bench --production --workers K`: PostgreSQL, Redis, the S3-compatible server, one api and K
worker processes; build it with `cargo build --release -p ocr-server --bins --examples`), and the
workers' CPU seconds per page (user + sys of the worker processes, over the measured jobs) and the
server's wall time per page are put beside Tesseract's.

Arguments after `--` go to `ocr-server ocr` (e.g. `-- --canvas 960`).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMAGE_EXT = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def images_of(folder: Path):
    root = folder / "images" if (folder / "images").is_dir() else folder
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_EXT)
    if not files:
        sys.exit(f"no images in {root}")
    gt = folder / "gt.json"
    return files, (gt if gt.is_file() else None)


def timed(cmd, stdout, env=None):
    """Runs cmd (with `env` added to the environment); returns (cpu_s, wall_s, peak_rss_mib) of
    that process and its threads."""
    # stderr goes to a file, not a pipe: a pipe nobody reads while we wait would block a chatty child.
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # reaped by wait4: keep Popen from waiting again
        if code != 0:
            err.seek(0)
            sys.exit(f"{cmd[0]} failed ({code}):\n{err.read().decode(errors='replace')[-4000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024.0


def best_of(runs, fn):
    results = [fn() for _ in range(max(1, runs))]
    return min(results, key=lambda r: r[0])


def run_ours(bin_path, files, extra, out_json, langs=None):
    """One `ocr` process over the files, or with `langs` (file -> language) one per language, the
    costs added up and the outputs joined."""
    groups = {}
    for f in files:
        groups.setdefault((langs or {}).get(f.name), []).append(f)

    def once():
        cpu = wall = rss = 0.0
        docs = []
        for lang, group in groups.items():
            args = [bin_path, "ocr", "--format", "json", *(["--lang", lang] if lang else []), *extra, *map(str, group)]
            with tempfile.TemporaryFile() as out:
                c, w, r = timed(args, out)
                out.seek(0)
                docs += json.load(out)
            cpu, wall, rss = cpu + c, wall + w, max(rss, r)
        Path(out_json).write_text(json.dumps(docs, ensure_ascii=False))
        return cpu, wall, rss

    return once


def ours_pred(out_json):
    docs = json.loads(Path(out_json).read_text())
    images = []
    for d in docs:
        lines = []
        for page in d["result"]["pages"][:1]:
            for line in page["lines"]:
                lines.append({"poly": line["points"], "text": line["text"]})
        images.append({"file": Path(d["file"]).name, "lines": lines})
    return {"images": images}


def run_tesseract(files, lang, out_base, threads):
    listing = Path(out_base).with_suffix(".list")
    listing.write_text("".join(f"{f}\n" for f in files))
    env = {"OMP_THREAD_LIMIT": str(threads)} if threads > 0 else {}

    def once():
        return timed(["tesseract", str(listing), str(out_base), "-l", lang, "tsv"], subprocess.DEVNULL, env)

    return once


def tesseract_pred(tsv_path, files):
    """Tesseract's TSV (level 5 = words) grouped into its own lines (level 4 boxes)."""
    pages = {}
    rows = Path(tsv_path).read_text(errors="replace").splitlines()
    header = rows[0].split("\t")
    col = {name: i for i, name in enumerate(header)}
    for row in rows[1:]:
        f = row.split("\t")
        if len(f) < len(header):
            continue
        level, page = int(f[col["level"]]), int(f[col["page_num"]])
        key = (int(f[col["block_num"]]), int(f[col["par_num"]]), int(f[col["line_num"]]))
        x, y, w, h = (int(f[col[k]]) for k in ("left", "top", "width", "height"))
        lines = pages.setdefault(page, {})
        if level == 4:
            lines[key] = {"poly": [[x, y], [x + w, y], [x + w, y + h], [x, y + h]], "words": []}
        elif level == 5 and f[col["text"]].strip() and key in lines:
            lines[key]["words"].append(f[col["text"]].strip())
    images = []
    for i, path in enumerate(files, start=1):
        lines = [
            {"poly": l["poly"], "text": " ".join(l["words"])}
            for l in pages.get(i, {}).values()
            if l["words"]
        ]
        images.append({"file": path.name, "lines": lines})
    return {"images": images}


def score(score_py, pred_path, gt_path):
    """score.py's JSON summary: {group: {metric: value}}."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as t:
        out = t.name
    subprocess.run([sys.executable, score_py, str(pred_path), "--gt", str(gt_path), "--json", out],
                   check=True, stdout=subprocess.DEVNULL)
    data = json.loads(Path(out).read_text())
    os.unlink(out)
    return data


def main():
    argv = sys.argv[1:]
    ocr_extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, ocr_extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--ocr-bin", default="target/release/ocr-server")
    ap.add_argument("--tesseract-lang", default="vie+eng")
    ap.add_argument("--no-tesseract", action="store_true")
    ap.add_argument("--tesseract-threads", type=int, default=1,
                    help="OpenMP threads Tesseract may use (OMP_THREAD_LIMIT; 0: its default, all cores). "
                         "1 by default: Tesseract's OpenMP threads spin while they wait, which on this 2-core "
                         "machine cost 4-5x the CPU time of one thread for the same reading")
    ap.add_argument("--score", help="path of score.py (needs shapely)")
    ap.add_argument("--out", type=Path, default=Path("bench-cost"))
    ap.add_argument("--json", type=Path, help="write every number here")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--label", default="ours", help="name of this configuration in the output files")
    ap.add_argument("--lang-from-gt", action="store_true",
                    help="read each image in the language gt.json gives it (vi/en: one ocr process per language)")
    ap.add_argument("--production", action="store_true", help="also measure the server's workers (e2e-bench)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--e2e-bin", default="target/release/examples/e2e-bench")
    a = ap.parse_args(argv)
    if not os.access(a.ocr_bin, os.X_OK):
        sys.exit(f"{a.ocr_bin} not found: cargo build --release -p ocr-server --bins --examples")
    a.out.mkdir(parents=True, exist_ok=True)

    report = {"ocr_args": ocr_extra, "sets": {}}
    rows = []
    for folder in a.sets:
        files, gt = images_of(folder)
        name = folder.resolve().name
        entry = {"pages": len(files)}
        raw = a.out / f"{name}.{a.label}.raw.json"
        langs = None
        if a.lang_from_gt and gt:
            langs = {e["file"]: e["lang"] for e in json.loads(gt.read_text())["images"] if e.get("lang") in ("vi", "en")}
        cpu, wall, rss = best_of(a.runs, run_ours(a.ocr_bin, files, ocr_extra, raw, langs))
        entry["ours"] = {"cpu_s": cpu, "wall_s": wall, "peak_rss_mib": rss}
        pred = a.out / f"{name}.{a.label}.pred.json"
        pred.write_text(json.dumps(ours_pred(raw), ensure_ascii=False))
        entry["ours"]["pred"] = str(pred)
        if not a.no_tesseract:
            base = a.out / f"{name}.tesseract"
            cpu, wall, rss = best_of(a.runs, run_tesseract(files, a.tesseract_lang, base, a.tesseract_threads))
            entry["tesseract"] = {"cpu_s": cpu, "wall_s": wall, "peak_rss_mib": rss}
            tpred = a.out / f"{name}.tesseract.pred.json"
            tpred.write_text(json.dumps(tesseract_pred(f"{base}.tsv", files), ensure_ascii=False))
            entry["tesseract"]["pred"] = str(tpred)
        if a.production:
            out = a.out / f"{name}.e2e.json"
            images = folder / "images" if (folder / "images").is_dir() else folder
            subprocess.run([a.e2e_bin, "--production", "--workers", str(a.workers), "--json", str(out), str(images)],
                           check=True, stdout=subprocess.DEVNULL)
            e2e = json.loads(out.read_text())
            entry["worker"] = {"cpu_s": e2e["worker_cpu_s_per_page"] * len(files),
                               "wall_s": e2e["wall_s"] / e2e["pages"] * len(files),
                               "peak_rss_mib": max(p["peak_rss_mib"] for p in e2e["processes"] if "worker" in p["process"]),
                               "workers": a.workers}
        if a.score and gt:
            for who in ("ours", "tesseract"):
                if who in entry:
                    entry[who]["scores"] = score(a.score, entry[who]["pred"], gt)
        report["sets"][name] = entry
        rows.append((name, entry))

    threads = f"OMP_THREAD_LIMIT={a.tesseract_threads}" if a.tesseract_threads > 0 else "OpenMP default threads"
    print(f"\n`ocr-server ocr {' '.join(ocr_extra)}` vs Tesseract 5 (-l {a.tesseract_lang}, {threads}), one process per program and set")
    print("| set | pages | ours CPU s/page | ours wall s/page | Tesseract CPU s/page | Tesseract wall s/page | CPU ratio | wall ratio | peak RSS ours / Tesseract |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, e in rows:
        n = e["pages"]
        o = e["ours"]
        t = e.get("tesseract")
        if t:
            print(f"| {name} | {n} | {o['cpu_s']/n:.2f} | {o['wall_s']/n:.2f} | {t['cpu_s']/n:.2f} | {t['wall_s']/n:.2f} | "
                  f"{o['cpu_s']/t['cpu_s']:.2f} | {o['wall_s']/t['wall_s']:.2f} | {o['peak_rss_mib']:.0f} / {t['peak_rss_mib']:.0f} MiB |")
        else:
            print(f"| {name} | {n} | {o['cpu_s']/n:.2f} | {o['wall_s']/n:.2f} | | | | | {o['peak_rss_mib']:.0f} MiB |")
    if a.production:
        print(f"\nThe server in production mode (api + {a.workers} worker process(es)), the same images, vs the same Tesseract run")
        print("| set | pages | worker CPU s/page | server wall s/page | Tesseract CPU s/page | CPU ratio | wall ratio | peak RSS per worker |")
        print("|---|---|---|---|---|---|---|---|")
        for name, e in rows:
            n, w, t = e["pages"], e["worker"], e.get("tesseract")
            ratio = f"{w['cpu_s']/t['cpu_s']:.2f} | {w['wall_s']/t['wall_s']:.2f}" if t else " | "
            tcpu = f"{t['cpu_s']/n:.2f}" if t else ""
            print(f"| {name} | {n} | {w['cpu_s']/n:.2f} | {w['wall_s']/n:.2f} | {tcpu} | {ratio} | {w['peak_rss_mib']:.0f} MiB |")
    if a.score:
        metrics = [("bow_F1", "BoW F1"), ("cover_R", "cover R"), ("det_F1", "det F1"), ("CER_matched", "CER"), ("word_acc_matched", "word acc")]
        print("\n| set | who | group | " + " | ".join(m[1] for m in metrics) + " |")
        print("|---|---|---|" + "---|" * len(metrics))
        for name, e in rows:
            for who in ("ours", "tesseract"):
                s = e.get(who, {}).get("scores")
                if not s:
                    continue
                for group, vals in s.items():
                    if not isinstance(vals, dict) or not (group.startswith("lang=") or group.startswith("cat=")):
                        continue
                    cells = " | ".join(f"{vals[k]:.3f}" if isinstance(vals.get(k), float) else "-" for k, _ in metrics)
                    print(f"| {name} | {who} | {group} | {cells} |")
    if a.json:
        a.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
