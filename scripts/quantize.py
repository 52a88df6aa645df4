#!/usr/bin/env python3
"""Static int8 quantization (QDQ) of the detector and the recognizer with ONNX Runtime's own
quantizer, calibrated on real pages. Run by `scripts/fetch-models.sh` in a throwaway venv
(onnxruntime, onnx, numpy, pillow); the models it writes are then loaded like the float ones.

usage: quantize.py craft|aster|ppdet MODELS_DIR OUT.onnx [--calib DIR]... [--method minmax|percentile|entropy]
                   [--percentile 99.999] [--canvas N]... [--keep-float N] [--per-channel]

--calib DIR   a folder of page images (or of images/ and gt files); the recognizer is calibrated
              on the line crops that the folder's *gt.json files (the fixtures' format) name.
--canvas N    CRAFT calibration sizes (long side), repeatable: activations are calibrated at
              the scales the detector really runs at (PP-OCRv6's detector, `ppdet`, is calibrated
              at its own input size: host/inference/src/db_detector.rs).
--keep-float  CRAFT's first N and last N convolutions stay float (the image input and
              the score maps are the most sensitive to rounding).
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import onnx
from onnx import version_converter
from PIL import Image
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
STD = np.array([0.229, 0.224, 0.225], np.float32) * 255


def page_paths(dirs):
    out = []
    for d in dirs:
        root = os.path.join(d, "images") if os.path.isdir(os.path.join(d, "images")) else d
        for ext in ("*.png", "*.jpg", "*.jpeg"):
            out += sorted(glob.glob(os.path.join(root, ext)))
    return out


def craft_input(path, canvas):
    """The detector's preprocessing (host/inference/src/detect.rs): long side to min(canvas,
    long side), bilinear, zero-pad right/bottom to multiples of 32, ImageNet mean/std."""
    im = Image.open(path).convert("RGB")
    r = min(1.0, canvas / max(im.size))
    w, h = max(1, int(im.width * r)), max(1, int(im.height * r))
    im = im.resize((w, h), Image.BILINEAR)
    a = np.zeros(((h + 31) // 32 * 32, (w + 31) // 32 * 32, 3), np.float32)
    a[:h, :w] = np.asarray(im, np.float32)
    a[:h, :w] = (a[:h, :w] - MEAN) / STD
    # Padding is zero before normalizing in the detector: normalized zero.
    a[h:, :] = -MEAN / STD
    a[:, w:] = -MEAN / STD
    return a.transpose(2, 0, 1)[None].astype(np.float32)


def ppdet_input(path):
    """PP-OCRv6's detector input (host/inference/src/db_detector.rs): BGR, the short side up to
    736, the long side at most 2048, each side rounded to a multiple of 32, x / 127.5 - 1."""
    im = Image.open(path).convert("RGB")
    short, long = min(im.size), max(im.size)
    r = 736 / short if short < 736 else 1.0
    if long * r > 2048:
        r = 2048 / long
    w, h = (max(1, round(n * r / 32)) * 32 for n in im.size)
    a = np.asarray(im.resize((w, h), Image.BILINEAR), np.float32)[:, :, ::-1] / 127.5 - 1.0
    return a.transpose(2, 0, 1)[None].astype(np.float32)


def line_crops(dirs, limit):
    """Axis-aligned crops of the gt lines, height 32, the recognizer's normalization."""
    entries = []
    for d in dirs:
        root = os.path.join(d, "images") if os.path.isdir(os.path.join(d, "images")) else d
        for gt_path in sorted(glob.glob(os.path.join(d, "*gt.json"))):
            entries += [(root, e) for e in json.load(open(gt_path, encoding="utf-8"))["images"]]
    crops = []
    for root, entry in entries:
        path = os.path.join(root, entry["file"])
        if not os.path.isfile(path):
            continue
        im = Image.open(path).convert("RGB")
        for line in entry["lines"]:
            if line.get("ignore"):
                continue
            xs = [p[0] for p in line["poly"]]
            ys = [p[1] for p in line["poly"]]
            box = (max(0, int(min(xs))), max(0, int(min(ys))), int(max(xs)) + 1, int(max(ys)) + 1)
            if box[2] - box[0] < 4 or box[3] - box[1] < 4:
                continue
            c = im.crop(box)
            w = max(32, int(c.width * 32 / c.height))
            w = min(1600, (w + 3) // 4 * 4)
            c = c.resize((w, 32), Image.BILINEAR)
            a = (np.asarray(c, np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
            crops.append(a.astype(np.float32))
    rng = np.random.default_rng(7)
    rng.shuffle(crops)
    return crops[:limit]


class Reader(CalibrationDataReader):
    """Feeds the samples in strides (`set_range`), so only one sample's activations are held."""

    def __init__(self, name, samples):
        self.name, self.samples = name, samples
        self.set_range(0, len(samples))

    def __len__(self):
        return len(self.samples)

    def set_range(self, start_index, end_index):
        self.it = iter(self.samples[start_index:end_index])

    def get_next(self):
        s = next(self.it, None)
        return None if s is None else {self.name: s}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=["craft", "aster", "ppdet"])
    ap.add_argument("models_dir")
    ap.add_argument("out")
    ap.add_argument("--calib", action="append", default=[])
    ap.add_argument("--method", default="percentile", choices=["minmax", "percentile", "entropy"])
    ap.add_argument("--percentile", type=float, default=99.999)
    ap.add_argument("--canvas", type=int, action="append")
    ap.add_argument("--keep-float", type=int, default=1)
    ap.add_argument("--keep-float-prefix", action="append", default=[],
                    help="detector nodes whose names start with this stay float (repeatable)")
    ap.add_argument("--per-channel", action="store_true")
    ap.add_argument("--max-samples", type=int, default=200)
    ap.add_argument("--ops", help="operator types to quantize, comma-separated (default: all ONNX Runtime can)")
    ap.add_argument("--cache", help="calibration ranges: reused when the file exists, written otherwise")
    a = ap.parse_args()

    src = os.path.join(a.models_dir, {"craft": "craftnet.onnx", "aster": "asternet.onnx",
                                      "ppdet": "PP-OCRv6_det_small.onnx"}[a.model])
    work = a.out + ".pre.onnx"
    model = onnx.load(src)
    if a.per_channel and model.opset_import[0].version < 13:
        # Per-channel DequantizeLinear (an axis) needs opset 13.
        model = version_converter.convert_version(model, 13)
    onnx.save(model, work + ".src.onnx")
    # The recognizer's sequence layers and PP-OCRv6's resizes defeat symbolic shape inference;
    # ONNX's own is enough there.
    quant_pre_process(work + ".src.onnx", work, skip_symbolic_shape=(a.model != "craft"))
    os.unlink(work + ".src.onnx")
    graph = onnx.load(work, load_external_data=False).graph
    input_name = graph.input[0].name

    exclude = []
    if a.model == "craft":
        paths = page_paths(a.calib)
        if not paths:
            sys.exit("no calibration images")
        canvases = a.canvas or [1280]
        samples = [craft_input(p, c) for p in paths for c in canvases][: a.max_samples]
        convs = [n.name for n in graph.node if n.op_type == "Conv"]
        if a.keep_float:
            exclude = convs[: a.keep_float] + convs[-a.keep_float:]
        exclude += [n.name for n in graph.node if n.name not in exclude and any(n.name.startswith(p) for p in a.keep_float_prefix)]
    elif a.model == "ppdet":
        samples = [ppdet_input(p) for p in page_paths(a.calib)][: a.max_samples]
        if not samples:
            sys.exit("no calibration images")
    else:
        samples = line_crops(a.calib, a.max_samples)
        if not samples:
            sys.exit("no calibration lines (a gt.json beside the images is needed)")
    print(f"calibrating {a.model} on {len(samples)} samples ({a.method}); float nodes: {exclude}", flush=True)

    method = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
              "entropy": CalibrationMethod.Entropy}[a.method]
    extra = {"CalibPercentile": a.percentile} if a.method == "percentile" else {}
    extra["CalibStridedMinMax"] = 1
    quantize_static(work, a.out + ".part", Reader(input_name, samples), quant_format=QuantFormat.QDQ,
                    per_channel=a.per_channel, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=method, nodes_to_exclude=exclude, extra_options=extra,
                    op_types_to_quantize=a.ops.split(",") if a.ops else None,
                    calibration_cache_path=a.cache)
    os.unlink(work)
    os.replace(a.out + ".part", a.out)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
