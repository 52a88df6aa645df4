#!/usr/bin/env python3
"""Where a FUNSD half's labelled pairs stand against the OCR's lines, in totals only (no page,
box or text is printed, so a held-out half can be diagnosed without being looked at).

usage: scripts/structure-diag.py OCR.json GT.json

OCR.json: what `ocr-server ocr --format json FILES...` prints (or `relayout`'s output); GT.json:
a FUNSD ground truth in score_structure.py's shape (../shared/tools/), such as a half written by
`scripts/structure-pred.py --split tune|check --gt-out`. Per question -> answer pair:

- `own_lines`: the key and the value each match an OCR line box (IoU >= 0.5): the case the
  layout's pair rules can link;
- `same_line`: key and value lie in one OCR line (more than half of each box inside it): only
  an in-line split (`Label: value`, `Label 1989`) can link them;
- `key_unread` / `value_unread`: no OCR line holds more than half of the key's / value's box;
- `colon_keys`: keys whose text ends with a colon (the rules' strongest cue);
- `unread_split_across` / `unread_split_down` / `unread_partly` / `unread_missing`: how an
  unread key or value lies in the OCR: in two or more lines side by side, in two or more lines
  one over another (a label set on two lines), partly in one line (a line holds between a
  tenth and half of it), or in no line at all (the detector did not find it).
"""
import json
import sys


def overlap(a, b):
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def area(a):
    return max(1e-6, (a[2] - a[0]) * (a[3] - a[1]))


def iou(a, b):
    inter = overlap(a, b)
    return inter / (area(a) + area(b) - inter)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ocr = {d["file"].split("/")[-1]: d["result"]["pages"][0] for d in json.load(open(sys.argv[1]))}
    totals = dict(pairs=0, own_lines=0, same_line=0, key_unread=0, value_unread=0, colon_keys=0,
                  unread_split_across=0, unread_split_down=0, unread_partly=0, unread_missing=0)
    for image in json.load(open(sys.argv[2]))["images"]:
        page = ocr.get(image["file"])
        if page is None:
            sys.exit(f"{image['file']} is not in {sys.argv[1]}")
        boxes = []
        for line in page["lines"]:
            xs = [p[0] for p in line["points"]]
            ys = [p[1] for p in line["points"]]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
        entities = {e["id"]: e for e in image["entities"]}
        for link in image.get("pairs", []):
            key, value = entities.get(link["key_id"]), entities.get(link["value_id"])
            if not key or not value or key["label"] != "question" or value["label"] != "answer":
                continue
            totals["pairs"] += 1
            totals["colon_keys"] += key["text"].strip().endswith(":")
            kb, vb = key["box"], value["box"]
            held = lambda b: max((overlap(b, x) / area(b) for x in boxes), default=0.0)
            if any(overlap(kb, x) / area(kb) > 0.5 and overlap(vb, x) / area(vb) > 0.5 for x in boxes):
                totals["same_line"] += 1
            elif max((iou(kb, x) for x in boxes), default=0) >= 0.5 and max((iou(vb, x) for x in boxes), default=0) >= 0.5:
                totals["own_lines"] += 1
            else:
                for b, name in ((kb, "key_unread"), (vb, "value_unread")):
                    if held(b) > 0.5:
                        continue
                    totals[name] += 1
                    pieces = [x for x in boxes if overlap(b, x) / area(x) > 0.5]
                    if held(b) < 0.1:
                        totals["unread_missing"] += 1
                    elif len(pieces) < 2:
                        totals["unread_partly"] += 1
                    elif max(x[1] for x in pieces) - min(x[1] for x in pieces) > 0.5 * min(x[3] - x[1] for x in pieces):
                        totals["unread_split_down"] += 1
                    else:
                        totals["unread_split_across"] += 1
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
