#!/usr/bin/env python3
"""Measures a per-word TONE VOTE between asternet and trueocr on the Vietnamese dev pages.

A measurement only: nothing here is used by the engine.

What it does
1. Reads the engine's output (`ocr-server ocr --format json`, default options) for the Vietnamese
   pages of ../shared/fixtures/devset-vi (16) and ../shared/fixtures/devset (the 4 pages whose
   gt.json `lang` is `vi`); with `--raw FILE` it reuses such an output, else it runs the binary.
2. Crops every line the engine read with asternet (`reader == "asternet"`) from the page: the
   line's 4 corners (`points`, reading order) warped to an upright grey rectangle at native
   resolution (cv2.warpPerspective, white outside the page), then trueocr 0.1.1's own
   preprocessing (`trueocr.preprocess.prepare_image`: margins, 96-px 3-line window, ink map) and
   its recognizer `trueocr/models/rec.onnx` (one ONNX Runtime thread, greedy CTC as in
   `trueocr.recognizer`), keeping each character's probability (the highest peak probability of
   the frames of its CTC run).
3. Where both readings of a line have the same number of words, pairs the words by position; a
   TONE DISAGREEMENT is a word pair that differs but is equal (case-insensitive) once the five
   tone marks (U+0300 U+0301 U+0303 U+0309 U+0323) are removed (â ă ê ô ơ ư đ are kept as
   letters); its differing characters carry both readers' probabilities.
4. Pairs each engine line with a gt line (greedy one-to-one polygon IoU >= 0.5, as score.py
   does), aligns the engine's words with the gt words (difflib on tone-free, lower-cased words)
   and classes each disagreement by the word's tones: asternet right, trueocr right, neither, or
   no gt. It also lists asternet's tone-only word errors and what trueocr read there (the most
   any vote could fix).
5. Vote rules (fixed before measuring): `never` (the engine today), `always`, `pt>pa+M` (take
   trueocr's tone when its character probability passes asternet's by more than M; M = 0 is the
   plain "higher confidence" rule), `pa<T&pt>pa` (only where asternet's probability is under T),
   `hoi&pt>pa` (only where trueocr's tone is hỏi). The rule is chosen on the TUNE half only (pages
   sorted by name per set, 1st, 3rd, ...: most (trueocr right - asternet right) over the changed
   characters, ties to fewer changes), and reported on both halves (CHECK = 2nd, 4th, ...).
   A word is voted over when the rule holds for each of its differing characters; the vote puts
   trueocr's tones on asternet's letters (asternet's case and letters stay).
6. Writes PRED files (gt.json shape) before/after the vote per set and half into --out, scores them
   with ../shared/tools/score.py (BoW F1, CER) and scripts/tone-confusions.py (tone confusions),
   and times trueocr per line (one thread; one line per call, and a page's lines per call; crop +
   preprocessing + model).

Commands (from the repo root; needs `pip install trueocr==0.1.1 shapely`):
    target/release/ocr-server ocr --format json ../shared/fixtures/devset-vi/images/*.jpg \\
        ../shared/fixtures/devset/images/synth_vi_*.jpg > tone-vote/ours.raw.json
    python3 scripts/tone-vote.py --raw tone-vote/ours.raw.json --out tone-vote
(without --raw it runs target/release/ocr-server itself and writes tone-vote/ours.raw.json).
"""
import argparse
import collections
import difflib
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import cv2
import numpy as np

TONE_MARKS = {"\u0301": "sắc", "\u0300": "huyền", "\u0309": "hỏi", "\u0303": "ngã", "\u0323": "nặng"}
HSN = {"hỏi", "ngã", "sắc"}
SETS = ["../shared/fixtures/devset-vi", "../shared/fixtures/devset"]


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def split(ch):
    """(letter without tone, NFC; tone name) of one character."""
    d = unicodedata.normalize("NFD", ch)
    tone = next((TONE_MARKS[c] for c in d if c in TONE_MARKS), "none")
    return unicodedata.normalize("NFC", "".join(c for c in d if c not in TONE_MARKS)), tone


def detone(word):
    return "".join(split(c)[0] for c in unicodedata.normalize("NFC", word))


def with_tone(ch, tone):
    """`ch` with its tone replaced by `tone` (a name)."""
    base = split(ch)[0]
    mark = {v: k for k, v in TONE_MARKS.items()}.get(tone, "")
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", base) + mark)


# ---------------------------------------------------------------- trueocr with per-character probabilities
class TrueocrLines:
    def __init__(self, threads=1):
        import onnxruntime as ort
        import trueocr
        from trueocr import preprocess
        self.pre = preprocess
        d = Path(trueocr.__file__).parent / "models"
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        self.chars = meta["charset"]
        self.max_width, self.pad_y, self.pad_x = meta.get("max_width", 768), meta.get("pad_y", 0.2), meta.get("pad_x", 0.3)
        o = ort.SessionOptions()
        o.intra_op_num_threads, o.inter_op_num_threads = threads, 1
        o.enable_cpu_mem_arena = False
        o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(d / "rec.onnx"), o, providers=["CPUExecutionProvider"])

    def prepare(self, gray_crop):
        return self.pre.prepare_image(gray_crop, max_width=self.max_width, pad_y=self.pad_y, pad_x=self.pad_x)

    def read(self, gray_crops, batch=32):
        """[(text, [prob per char])] like trueocr.Recognizer.predict, with per-character probabilities."""
        maps = [self.prepare(c) for c in gray_crops]
        out = [None] * len(maps)
        for sel in self.pre.width_batches([m.shape[1] for m in maps], max_batch=batch):
            tensor, widths = self.pre.pad_batch([maps[i] for i in sel])
            ids, conf, lengths = self.session.run(["ids", "conf", "lengths"], {"x": tensor, "widths": widths})
            for j, i in enumerate(sel):
                out[i] = self.decode(ids[j, : int(lengths[j])], conf[j, : int(lengths[j])])
        return out

    def decode(self, seq, conf):
        chars, probs = [], []
        prev = 0
        for t, k in enumerate(seq):
            k = int(k)
            if k != 0 and k != prev:
                chars.append(self.chars[k - 1])
                probs.append(float(conf[t]))
            elif k != 0 and k == prev:
                probs[-1] = max(probs[-1], float(conf[t]))
            prev = k
        # trueocr NFC-normalises and collapses whitespace; keep one probability per output char
        text, tp = [], []
        for c, p in zip(chars, probs):
            for cc in unicodedata.normalize("NFC", c):
                if cc.isspace():
                    if not text or text[-1] == " ":
                        continue
                    cc = " "
                text.append(cc)
                tp.append(p)
        while text and text[-1] == " ":
            text.pop(), tp.pop()
        s = "".join(text)
        if unicodedata.normalize("NFC", s) != s:  # combining marks apart from their letters: rare; no per-char probs
            s = unicodedata.normalize("NFC", s)
            tp = [min(tp) if tp else 0.0] * len(s)
        return s, tp


def crop_quad(gray, quad):
    q = np.array(quad, np.float32)
    d = lambda a, b: float(np.hypot(*(q[a] - q[b])))
    w = max(1, round(max(d(0, 1), d(3, 2))))
    h = max(1, round(max(d(0, 3), d(1, 2))))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(q, dst)
    return cv2.warpPerspective(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)


# ---------------------------------------------------------------- rules
def rules():
    r = {"never": lambda pa, pt, ta, tt: False, "always": lambda pa, pt, ta, tt: True}
    for m in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5):
        r[f"pt>pa+{m}"] = (lambda m: lambda pa, pt, ta, tt: pt > pa + m)(m)
    for t in (0.5, 0.7, 0.9, 0.99):
        r[f"pa<{t}&pt>pa"] = (lambda t: lambda pa, pt, ta, tt: pa < t and pt > pa)(t)
    r["hoi&pt>pa"] = lambda pa, pt, ta, tt: tt == "hỏi" and pt > pa
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", type=Path, help="ocr-server ocr --format json output for the pages")
    ap.add_argument("--ocr-bin", default="target/release/ocr-server")
    ap.add_argument("--out", type=Path, default=Path("tone-vote"))
    ap.add_argument("--score", default="../shared/tools/score.py")
    ap.add_argument("--time-lines", type=int, default=200, help="lines timed one by one (0: none)")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    score_mod = load_module(a.score, "score")

    # pages: (set name, file, gt image, path), tune/check split per set
    pages = []
    for s in SETS:
        root = Path(s)
        gt = json.loads((root / "gt.json").read_text(encoding="utf-8"))
        vi = sorted((im for im in gt["images"] if im.get("lang") == "vi"), key=lambda im: im["file"])
        for k, im in enumerate(vi):
            pages.append({"set": root.name, "file": im["file"], "gt": im, "path": root / "images" / im["file"],
                          "half": "tune" if k % 2 == 0 else "check"})

    if a.raw is None:
        a.raw = a.out / "ours.raw.json"
        with open(a.raw, "w") as f:
            subprocess.run([a.ocr_bin, "ocr", "--format", "json", *map(str, (p["path"] for p in pages))], stdout=f, check=True)
    raw = {Path(d["file"]).name: d for d in json.loads(a.raw.read_text(encoding="utf-8"))}

    tr = TrueocrLines(threads=1)
    events = []  # one per word whose two readings differ in tone only
    ceiling = {"tune": collections.Counter(), "check": collections.Counter()}
    stats = collections.Counter()
    timing_crops = []
    for p in pages:
        doc = raw[p["file"]]
        lines = doc["result"]["pages"][0]["lines"]
        p["lines"] = lines
        gray = cv2.imread(str(p["path"]), cv2.IMREAD_GRAYSCALE)
        idx = [i for i, l in enumerate(lines) if l.get("reader") == "asternet" and l["text"].strip()]
        crops = [crop_quad(gray, lines[i]["points"]) for i in idx]
        timing_crops += [(gray, lines[i]["points"]) for i in idx]
        reads = tr.read(crops)
        p["trueocr"] = {i: r for i, r in zip(idx, reads)}
        # gt pairing as score.py: greedy one-to-one polygon IoU >= 0.5
        G = [(j, score_mod.poly(g["poly"])) for j, g in enumerate(p["gt"]["lines"]) if not g.get("ignore")]
        P = [(i, score_mod.poly(l["points"])) for i, l in enumerate(lines)]
        cand = sorted(((score_mod.iou(g, q), j, i) for j, g in G if g for i, q in P if q), reverse=True)
        ug, up, gt_of = set(), set(), {}
        for v, j, i in cand:
            if v < 0.5:
                break
            if j in ug or i in up:
                continue
            ug.add(j), up.add(i)
            gt_of[i] = p["gt"]["lines"][j]["text"]
        for i in idx:
            ta_text, pa_list = lines[i]["text"], lines[i]["char_confidences"]
            tt_text, pt_list = p["trueocr"][i]
            stats["lines"] += 1
            # word spans (start offsets) of each reading
            wa = [(m.start(), m.group()) for m in re.finditer(r"\S+", ta_text)]
            wt = [(m.start(), m.group()) for m in re.finditer(r"\S+", tt_text)]
            gwords = None
            if i in gt_of:
                gw = unicodedata.normalize("NFC", gt_of[i]).split()
                sm = difflib.SequenceMatcher(None, [detone(w).lower() for _, w in wa], [detone(w).lower() for w in gw], autojunk=False)
                gwords = {}
                for tag, i1, i2, j1, j2 in sm.get_opcodes():
                    if tag == "equal":
                        for k in range(i2 - i1):
                            gwords[i1 + k] = gw[j1 + k]
            if len(wa) != len(wt):
                stats["lines_word_count_differs"] += 1
                if gwords is not None:  # asternet's tone errors on lines the vote cannot pair
                    for k, (sa, a_w) in enumerate(wa):
                        g = gwords.get(k)
                        if g is not None and g != a_w and len(g) == len(a_w) and [split(c)[1] for c in g] != [split(c)[1] for c in a_w]:
                            ceiling[p["half"]]["word counts differ"] += 1
                continue
            stats["lines_compared"] += 1
            for k, ((sa, a_w), (st, t_w)) in enumerate(zip(wa, wt)):
                if a_w == t_w or len(a_w) != len(t_w) or detone(a_w).lower() != detone(t_w).lower():
                    continue
                diffs = [{"char": sa + c, "ta": split(ca)[1], "tt": split(ct)[1], "pa": pa_list[sa + c], "pt": pt_list[st + c]}
                         for c, (ca, ct) in enumerate(zip(a_w, t_w)) if split(ca)[1] != split(ct)[1]]
                if not diffs:
                    continue
                g = gwords.get(k) if gwords else None
                tones = lambda w: [split(c)[1] for c in w]
                if g is None or len(g) != len(a_w):
                    who = "no gt"
                else:
                    who = ("asternet" if tones(a_w) == tones(g) else "trueocr" if tones(t_w) == tones(g) else "neither")
                events.append({"set": p["set"], "half": p["half"], "file": p["file"], "line": i, "word_a": a_w, "word_t": t_w,
                               "word_gt": g, "diffs": diffs, "right": who})
            # ceiling: asternet's words whose only error is a tone (gt-paired), and what trueocr read there
            if gwords is not None:
                for k, (sa, a_w) in enumerate(wa):
                    g = gwords.get(k)
                    if g is None or g == a_w or len(g) != len(a_w) or [split(c)[1] for c in g] == [split(c)[1] for c in a_w]:
                        continue
                    t_w = wt[k][1]
                    kind = ("trueocr right" if [split(c)[1] for c in t_w] == [split(c)[1] for c in g] and detone(t_w).lower() == detone(g).lower()
                            else "trueocr same as asternet" if t_w == a_w
                            else "trueocr other tone" if len(t_w) == len(a_w) and detone(t_w).lower() == detone(a_w).lower()
                            else "trueocr other letters")
                    ceiling[p["half"]][kind] += 1

    (a.out / "events.json").write_text(json.dumps(events, ensure_ascii=False, indent=1))
    R = rules()

    def vote(rule, e):
        return all(R[rule](d["pa"], d["pt"], d["ta"], d["tt"]) for d in e["diffs"])

    def net(rule, half):
        ev = [e for e in events if e["half"] == half and vote(rule, e)]
        return sum(e["right"] == "trueocr" for e in ev) - sum(e["right"] == "asternet" for e in ev), len(ev)

    print(f"lines read by asternet: {stats['lines']}; same word count with trueocr: {stats['lines_compared']}")
    print("\nrules on the tune half (net = trueocr right - asternet right among the characters changed):")
    table = {name: net(name, "tune") for name in R}
    for name, (n, c) in table.items():
        print(f"  {name:16s} net {n:+3d}  changed {c:3d}   | check half: net {net(name, 'check')[0]:+3d} changed {net(name, 'check')[1]:3d}")
    chosen = max(R, key=lambda nm: (table[nm][0], -table[nm][1]))
    print(f"chosen on tune: {chosen}")

    def pred_for(sel_pages, rule):
        images = []
        for p in sel_pages:
            chg = {}
            for e in events:
                if e["file"] == p["file"] and vote(rule, e):
                    chg.setdefault(e["line"], []).extend(e["diffs"])
            out = []
            for i, l in enumerate(p["lines"]):
                t = list(l["text"])
                for e in chg.get(i, []):
                    t[e["char"]] = with_tone(t[e["char"]], e["tt"])
                out.append({"poly": l["points"], "text": "".join(t)})
            images.append({"file": p["file"], "lines": out})
        return {"images": images}

    def measure(sel_pages, rule, tag):
        gt = {"version": 1, "images": [p["gt"] for p in sel_pages]}
        gtf, pf, sf = a.out / f"{tag}.gt.json", a.out / f"{tag}.{rule}.pred.json", a.out / f"{tag}.{rule}.score.json"
        gtf.write_text(json.dumps(gt, ensure_ascii=False))
        pf.write_text(json.dumps(pred_for(sel_pages, rule), ensure_ascii=False))
        subprocess.run([sys.executable, a.score, str(pf), "--gt", str(gtf), "--json", str(sf)], check=True, stdout=subprocess.DEVNULL)
        s = json.loads(sf.read_text())["all"]
        tc = subprocess.run([sys.executable, str(Path(__file__).with_name("tone-confusions.py")), str(pf), "--gt", str(gtf)],
                            check=True, capture_output=True, text=True).stdout
        conf = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+(\S+ -> \S+): (\d+)$", tc, re.M)}
        hsn = sum(v for k, v in conf.items() if set(k.split(" -> ")) <= HSN)
        hoi = sum(v for k, v in conf.items() if "hỏi" in k.split(" -> "))
        return {"bow_F1": s["bow_F1"], "CER": s["CER_matched"], "tone_conf": sum(conf.values()), "hsn_conf": hsn,
                "hoi_conf": hoi, "conf": conf}

    rows = []
    report = {"chosen": chosen, "rules_tune": table, "rows": rows}
    print("\n| half | set | pages | tone disagreements | asternet right | trueocr right | neither | no gt | rule | changed | "
          "hỏi/ngã/sắc conf. before → after | (any hỏi) | all tone conf. | BoW F1 before → after | CER before → after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for half in ("tune", "check"):
        for setname in [Path(s).name for s in SETS] + ["both"]:
            sel = [p for p in pages if p["half"] == half and (setname == "both" or p["set"] == setname)]
            ev = [e for e in events if e["half"] == half and (setname == "both" or e["set"] == setname)]
            cnt = collections.Counter(e["right"] for e in ev)
            tag = f"{half}.{setname}"
            before = measure(sel, "never", tag)
            for rule in dict.fromkeys([chosen, "pt>pa+0.0"]):
                after = measure(sel, rule, tag)
                changed = [e for e in ev if vote(rule, e)]
                ch = collections.Counter(e["right"] for e in changed)
                row = {"half": half, "set": setname, "pages": len(sel), "disagreements": len(ev), **{k: cnt[k] for k in ("asternet", "trueocr", "neither", "no gt")},
                       "rule": rule, "changed": len(changed), "changed_by_right": dict(ch), "before": before, "after": after}
                rows.append(row)
                print(f"| {half} | {setname} | {len(sel)} | {len(ev)} | {cnt['asternet']} | {cnt['trueocr']} | {cnt['neither']} | {cnt['no gt']} | "
                      f"{rule} | {len(changed)} (fixes {ch['trueocr']}, breaks {ch['asternet']}) | {before['hsn_conf']} → {after['hsn_conf']} | "
                      f"{before['hoi_conf']} → {after['hoi_conf']} | {before['tone_conf']} → {after['tone_conf']} | "
                      f"{before['bow_F1']:.4f} → {after['bow_F1']:.4f} | {before['CER']:.4f} → {after['CER']:.4f} |")

    print("\nasternet's tone-only word errors (gt-paired) and what trueocr read there (a vote's ceiling):")
    for half in ("tune", "check"):
        print(f"  {half}: {dict(ceiling[half])}")
    report["ceiling"] = ceiling
    print("\ndisagreements (set half file: asternet / trueocr / gt; tones; probabilities asternet, trueocr):")
    for e in events:
        d = "; ".join(f"{x['ta']}->{x['tt']} pa {x['pa']:.3f} pt {x['pt']:.3f}" for x in e["diffs"])
        print(f"  {e['set']} {e['half']} {e['file']}: {e['word_a']} / {e['word_t']} / {e['word_gt']}  {d}  right: {e['right']}")

    if a.time_lines:
        t1 = TrueocrLines(threads=1)
        sample = timing_crops[:: max(1, len(timing_crops) // a.time_lines)][: a.time_lines]
        t1.read([crop_quad(*sample[0])])  # warm-up
        ms = []
        for g, q in sample:
            t0 = time.perf_counter()
            t1.read([crop_quad(g, q)])
            ms.append((time.perf_counter() - t0) * 1000)
        report["trueocr_ms_per_line"] = {"lines": len(ms), "mean": statistics.mean(ms), "median": statistics.median(ms),
                                         "p90": sorted(ms)[int(0.9 * (len(ms) - 1))]}
        # batched as the engine would read a page's Vietnamese lines: all of a page's lines in one call
        by_page = collections.defaultdict(list)
        for g, q in timing_crops:
            by_page[id(g)].append((g, q))
        t0, n = time.perf_counter(), 0
        for items in by_page.values():
            t1.read([crop_quad(g, q) for g, q in items])
            n += len(items)
        report["trueocr_ms_per_line_batched"] = (time.perf_counter() - t0) * 1000 / max(1, n)
        print(f"\ntrueocr, one thread, one line per call (warp + preprocessing + model): {report['trueocr_ms_per_line']}")
        print(f"trueocr, one thread, a page's lines per call: {report['trueocr_ms_per_line_batched']:.2f} ms per line over {n} lines")
    (a.out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
