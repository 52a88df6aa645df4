#!/usr/bin/env python3
"""Counts Vietnamese tone-mark confusions between a reading and its ground truth.

usage: scripts/tone-confusions.py PRED.json --gt GT.json

PRED and GT are in the fixtures' gt.json shape (`images[].lines[].poly/text`; `bench-cost.py
--out DIR` writes PRED files so). Each ground-truth line is paired with the predicted line whose
box overlaps it most (intersection over union of the axis-aligned boxes, at least 0.3); the two
texts are aligned character by character (difflib), and every substituted letter whose base
letter is the same but whose tone mark differs counts as one confusion `GT tone -> read tone`.
Tones: none, sắc (U+0301), huyền (U+0300), hỏi (U+0309), ngã (U+0303), nặng (U+0323).
Plain python3, no packages.
"""
import argparse
import collections
import difflib
import json
import unicodedata

TONES = {"\u0301": "sắc", "\u0300": "huyền", "\u0309": "hỏi", "\u0303": "ngã", "\u0323": "nặng"}


def split(ch):
    """(letter without its tone, tone name) of one character."""
    d = unicodedata.normalize("NFD", ch)
    tone = next((TONES[c] for c in d if c in TONES), "none")
    base = unicodedata.normalize("NFC", "".join(c for c in d if c not in TONES))
    return base, tone


def box(poly):
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    return min(xs), min(ys), max(xs), max(ys)


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pred")
    ap.add_argument("--gt", required=True)
    args = ap.parse_args()
    gt = {i["file"]: i for i in json.load(open(args.gt))["images"]}
    pred = {i["file"]: i for i in json.load(open(args.pred))["images"]}
    counts, toned = collections.Counter(), 0
    for file, g in gt.items():
        if g.get("lang") != "vi" or file not in pred:
            continue
        plines = [(box(p["poly"]), p["text"]) for p in pred[file]["lines"]]
        for line in g["lines"]:
            if line.get("ignore") or not plines:
                continue
            b = box(line["poly"])
            score, text = max(((iou(b, pb), t) for pb, t in plines), key=lambda x: x[0])
            if score < 0.3:
                continue
            want = unicodedata.normalize("NFC", line["text"])
            got = unicodedata.normalize("NFC", text)
            toned += sum(1 for c in want if split(c)[1] != "none")
            for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, want, got, autojunk=False).get_opcodes():
                if op != "replace" or i2 - i1 != j2 - j1:
                    continue
                for a, c in zip(want[i1:i2], got[j1:j2]):
                    (ba, ta), (bc, tc) = split(a), split(c)
                    if ba.lower() == bc.lower() and ta != tc:
                        counts[f"{ta} -> {tc}"] += 1
    print(f"toned letters in the ground truth: {toned}; tone confusions: {sum(counts.values())}")
    for k, v in counts.most_common():
        print(f"  {k}: {v}")


if __name__ == "__main__":
    main()
