#!/usr/bin/env python3
"""Reading quality on the tune half and the check half of a development set.

usage: scripts/score-halves.py --score PATH/score.py --gt GT.json PRED.json [score.py options]

The images of GT.json sorted by file name: the 1st, 3rd, 5th, ... are the tune half (where a
rule or threshold may be chosen), the 2nd, 4th, ... the check half (where it is shown), the
same split as `scripts/structure-pred.py --split`. PRED.json is `ocr-server ocr --format json`
output or a PRED file of `scripts/bench-cost.py`. Prints score.py's rows (all, and per
language) for each half; options after PRED.json (`--case`, `--fold`) go to score.py.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def halves(gt):
    files = sorted(im["file"] for im in gt["images"])
    return {"tune": set(files[0::2]), "check": set(files[1::2])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--score", required=True)
    ap.add_argument("--gt", required=True)
    ap.add_argument("pred")
    args, rest = ap.parse_known_args()
    gt = json.load(open(args.gt, encoding="utf-8"))
    pred = json.load(open(args.pred, encoding="utf-8"))
    pred_images = pred["images"] if isinstance(pred, dict) else pred
    for name, keep in halves(gt).items():
        with tempfile.TemporaryDirectory() as tmp:
            g, p = os.path.join(tmp, "gt.json"), os.path.join(tmp, "pred.json")
            json.dump({**gt, "images": [im for im in gt["images"] if im["file"] in keep]}, open(g, "w"))
            json.dump({"images": [im for im in pred_images if os.path.basename(im["file"]) in keep]}, open(p, "w"))
            out = subprocess.run([sys.executable, args.score, p, "--gt", g, *rest],
                                 capture_output=True, text=True, check=True).stdout
        rows = [l for l in out.splitlines() if l.startswith(("group", "all", "lang="))]
        print(f"{name} half ({len(keep)} pages)")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
