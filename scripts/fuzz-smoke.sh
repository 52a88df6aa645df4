#!/usr/bin/env bash
# Fuzz smoke test: builds the libFuzzer targets in fuzz/ (their own cargo workspace) and runs
# each for FUZZ_SECS seconds (default 30) from a few tiny seeds this script writes. Exits 1 when
# a target crashes (panic, failed assertion, allocation past the decode limits, ASan report,
# timeout, out of memory); the input that did it is in fuzz/artifacts/<target>/.
#
#   scripts/fuzz-smoke.sh                          # all targets, 30 s each
#   FUZZ_SECS=300 scripts/fuzz-smoke.sh decode_upload
#   FUZZ_SANITIZER=none scripts/fuzz-smoke.sh      # no AddressSanitizer (faster, fewer findings)
#   FUZZ_BUILD_FLAGS="-O -a" scripts/fuzz-smoke.sh # with overflow checks and debug assertions
#
# Targets: decode_upload (sniff + decode_pages, limits 2000x2000 px, 4 pages), detect_edit
# (PATCH …/detect payloads: DetectResult JSON → validate_edit / apply_edit), api_key
# (api_key::well_formed). Needs cargo-fuzz (installed from crates.io when missing).
#
# Stable Rust: cargo fuzz passes nightly-only flags (-Zsanitizer=…, -Cpasses=sancov-module);
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them (its rust-std ships the sanitizer
# runtimes for x86_64 Linux). The corpora grow under fuzz/corpus/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${FUZZ_SECS:-30}"
sanitizer="${FUZZ_SANITIZER:-address}"
# -O: optimised like a release build (integer overflow wraps, as in production); add -a for
# overflow checks and debug assertions (finds more, mostly in third-party decoders).
build_flags="${FUZZ_BUILD_FLAGS:--O}"
cargo_fuzz_version="0.13.2"
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=(decode_upload detect_edit api_key); fi

say() { echo "fuzz-smoke: $*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz $cargo_fuzz_version"
  cargo install --locked cargo-fuzz --version "$cargo_fuzz_version"
fi
export RUSTC_BOOTSTRAP=1

# Seeds: tiny files of each shape, written fresh (nothing big, nothing committed).
python3 - <<'EOF'
import json, os, struct, zlib

def put(target, name, data):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def png(w, h, color_type=2, channels=3):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\0" + b"\x80" * (w * channels) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

def tiff(w, h, pages=1):
    # Little-endian, 8-bit grey, uncompressed, one strip per page.
    out = bytearray(b"II*\0" + struct.pack("<I", 8))
    for p in range(pages):
        ifd_at = len(out)
        tags = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
                (273, 4, 1, 0), (277, 3, 1, 1), (278, 3, 1, h), (279, 4, 1, w * h)]
        size = 2 + 12 * len(tags) + 4
        data_at = ifd_at + size
        next_at = data_at + w * h if p + 1 < pages else 0
        out += struct.pack("<H", len(tags))
        for tag, typ, n, val in tags:
            if tag == 273:
                val = data_at
            out += struct.pack("<HHI", tag, typ, n) + (struct.pack("<HH", val, 0) if typ == 3 else struct.pack("<I", val))
        out += struct.pack("<I", next_at)
        out += bytes((x * 37) & 0xFF for x in range(w * h))
    if len(out) >= 4:
        struct.pack_into("<I", out, 4, 8)
    return bytes(out)

def bmp(w, h):
    row = (w * 3 + 3) & ~3
    pixels = b"\x40\x80\xc0" * w + b"\0" * (row - 3 * w)
    body = pixels * h
    return (b"BM" + struct.pack("<IHHI", 14 + 40 + len(body), 0, 0, 54)
            + struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(body), 2835, 2835, 0, 0) + body)

def pdf():
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 20 10] /Contents 4 0 R >>"]
    stream = b"0 0 1 rg 2 2 10 5 re f"
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)

put("decode_upload", "1x1.png", png(1, 1))
put("decode_upload", "3x2-grey.png", png(3, 2, color_type=0, channels=1))
put("decode_upload", "4x3.tiff", tiff(4, 3))
put("decode_upload", "2x2-3pages.tiff", tiff(2, 2, pages=3))
put("decode_upload", "2x2.bmp", bmp(2, 2))
put("decode_upload", "20x10.pdf", pdf())
put("decode_upload", "jpeg-magic", b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9")
put("decode_upload", "webp-magic", b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10\x07\x10\x11\x11\x88\x88\xfe\x07\0")

box = lambda x0, y0, x1, y1: {"points": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], "score": 0.5}
put("detect_edit", "edit-page0.json", json.dumps({"pages": [{"page_index": 0, "width": 100, "height": 50, "boxes": [box(1, 1, 50, 20)]}]}))
put("detect_edit", "edit-both.json", json.dumps({"pages": [
    {"page_index": 1, "width": 640, "height": 480, "boxes": [{"points": [[0, 0], [640, 0], [640, 480], [0, 480]]}]},
    {"page_index": 0, "width": 100, "height": 50, "boxes": []}]}))
put("detect_edit", "edit-outside.json", json.dumps({"pages": [{"page_index": 0, "width": 100, "height": 50, "boxes": [box(-1, 0, 1e30, 2)]}]}))

put("api_key", "key", "ocrk_" + "0" * 64 + "_abcdef")
put("api_key", "bearer", "Bearer ocrk_x_y")
put("api_key", "multibyte", "ocrk_" + "\u00e9" * 32 + "_" + "\u00e9" * 3)
EOF

# Inputs that once crashed a target (fuzz/regressions/<target>/, committed) are replayed first.
for t in "${targets[@]}"; do
  if [ -d "fuzz/regressions/$t" ]; then mkdir -p "fuzz/corpus/$t" && cp fuzz/regressions/"$t"/* "fuzz/corpus/$t/"; fi
done

say "building ${targets[*]} (sanitizer: $sanitizer)"
for t in "${targets[@]}"; do
  cargo fuzz build --fuzz-dir fuzz $build_flags -s "$sanitizer" "$t"
done

failed=()
for t in "${targets[@]}"; do
  say "running $t for ${secs}s"
  mkdir -p "fuzz/artifacts/$t" fuzz/target/smoke-logs
  log="fuzz/target/smoke-logs/$t.log"
  # -rss_limit_mb: whole-process memory cap; -malloc_limit_mb: one allocation (ASan builds);
  # -timeout: seconds per input (a decoder stuck on one input is a finding too).
  if cargo fuzz run --fuzz-dir fuzz $build_flags -s "$sanitizer" "$t" "fuzz/corpus/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=20 \
      -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
    say "$t: ok in ${secs}s ($(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs)"
  else
    say "$t: FAILED (log: $log); last lines:"
    # The reason and the top of the stack, without the corpus dump cargo fuzz appends.
    grep -E -m1 -B1 -A25 'ERROR: libFuzzer|panicked at|==ERROR' "$log" | cut -c1-240 >&2 || tail -30 "$log" >&2
    failed+=("$t")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  say "crashed: ${failed[*]} (inputs in fuzz/artifacts/<target>/)"
  exit 1
fi
say "all targets ran ${secs}s without a crash"
