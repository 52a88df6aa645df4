#!/usr/bin/env python3
"""Turns OCR output into the PRED shape of score_structure.py (../shared/tools/): pairs per
image from the pages' `pairs`, SROIE fields from the result's `fields`.

usage: scripts/structure-pred.py [--split tune|check|all [--gt GT.json --gt-out GT-HALF.json]]
                                INPUT.json... > PRED.json

An INPUT is
- what `ocr-server ocr --format json FILES...` prints: a list of {"file", "result"}; the image
  is the file's base name;
- or what `ocr-server plugin run receipt-fields.wasm --hook extract-fields --input OCR.json`
  prints for such output: a list of {"file", "report": {"fields"}};
- or a job's result (GET /v1/ocr/jobs/{id}/result, JSON), saved as `<image name>.json`
  (`sroie_003.jpg.json`): the image is the INPUT's name without `.json`.

Pairs: every page's `pairs`, key and value each as {"text", "points"} (the scorer takes the
bounding box of the points). Fields: the `extract-fields` names of the built-in
`receipt-fields` plugin mapped to SROIE's (seller_name -> company, seller_address -> address,
date, total); the `normalized` value when there is one (an ISO date, a plain number), else
the value as read.

--split tune|check keeps half of the images: sorted by file name, the 1st, 3rd, 5th, ... are
the tune half (the rules were looked at on them), the 2nd, 4th, ... the check half (never
looked at while choosing the rules). Default: all. The scorer counts a gt image missing from
PRED as "predicted nothing", so score a half against the same half of the gt: --gt names the
gt file, --gt-out where its half is written (outside the repository: FUNSD's licence).

Then: python3 ../shared/tools/score_structure.py PRED.json --funsd .../gt_funsd.json
(docs/structure.md has the whole command line and the numbers).
"""
import argparse
import json
import os
import sys

FIELDS = {"seller_name": "company", "seller_address": "address", "date": "date", "total": "total"}


def part(p):
    return {"text": p["text"], "points": p["points"]}


def image(file, result):
    pairs = [
        {"key": part(kv["key"]), "value": part(kv["value"])}
        for page in result.get("pages", [])
        for kv in page.get("pairs", [])
    ]
    out = {"file": os.path.basename(file), "pairs": pairs}
    fields = {}
    for f in result.get("fields", []):
        name = FIELDS.get(f["name"])
        if name and name not in fields:
            fields[name] = f.get("normalized") or f["value"]
    if fields:
        out["fields"] = fields
    return out


def read(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if isinstance(doc, list):
        # `plugin run --hook extract-fields` output has a report with the fields per file.
        return [image(d["file"], d["result"] if "result" in d else {"fields": d["report"]["fields"] or []}) for d in doc]
    if isinstance(doc, dict) and "pages" in doc:
        name = os.path.basename(path)
        return [image(name[: -len(".json")] if name.endswith(".json") else name, doc)]
    sys.exit(f"{path}: neither `ocr --format json` output nor a job's result")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--split", choices=["tune", "check", "all"], default="all")
    ap.add_argument("--gt", help="gt file to split like the predictions")
    ap.add_argument("--gt-out", help="where the gt half is written")
    args = ap.parse_args()
    images = sorted((im for path in args.inputs for im in read(path)), key=lambda im: im["file"])
    if args.split != "all":
        start = 0 if args.split == "tune" else 1
        if args.gt:
            with open(args.gt, encoding="utf-8") as f:
                gt = json.load(f)
            names = sorted(im["file"] for im in gt["images"])[start::2]
            gt["images"] = [im for im in gt["images"] if im["file"] in names]
            with open(args.gt_out, "w", encoding="utf-8") as f:
                json.dump(gt, f, ensure_ascii=False)
            images = [im for im in images if im["file"] in names]
        else:
            images = images[start::2]
    json.dump({"images": images}, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
