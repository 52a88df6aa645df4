#!/usr/bin/env bash
# Builds the WebAssembly plugins (workspace plugins/) and the plugin template, in release, for
# wasm32-wasip2, and copies the components to:
#   plugins/dist/*.wasm       built-in plugins the platform ships (min-box-filter, receipt-fields,
#                             text-normalizer, pii-redactor)
#   plugins/dist/test/*.wasm  test-only plugins (hostile, fs-reader, plugin-template, and
#                             py-upper, written in Python)
# The Python plugin is built with componentize-py, installed (pinned) into plugins/.venv on the
# first run; that needs python3 with venv and pip, and PyPI (or a pip mirror) once.
# Build outputs are not committed (plugins/.gitignore); the tests of ocr-plugin-host run this
# script themselves, so `cargo test` works on a clean clone. Safe to run again: cargo rebuilds
# only what changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="$root/plugins/target"
out="$target_dir/wasm32-wasip2/release"

# Idempotent; a toolchain without rustup must already have the target.
if command -v rustup >/dev/null 2>&1; then
    rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2
fi

# Variables set by an outer cargo (the tests run this script) must not redirect this build.
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_MANIFEST_DIR

cargo build --release --target wasm32-wasip2 --manifest-path "$root/plugins/Cargo.toml" --workspace
# The template is its own workspace (customers copy it); it shares the plugins' target folder.
CARGO_TARGET_DIR="$target_dir" cargo build --release --target wasm32-wasip2 \
    --manifest-path "$root/examples/plugin-template/Cargo.toml"

mkdir -p "$root/plugins/dist/test"
for name in min_box_filter text_normalizer pii_redactor receipt_fields; do
    cp "$out/$name.wasm" "$root/plugins/dist/${name//_/-}.wasm"
done
for name in test_plugin_hostile test_plugin_fs_reader plugin_template; do
    cp "$out/$name.wasm" "$root/plugins/dist/test/${name//_/-}.wasm"
done

# A plugin in Python, to prove the contract does not depend on Rust. componentize-py embeds
# CPython (the component is ~18 MB) and, with --stub-wasi, replaces every WASI import with a
# trap, so the component imports only ocr:plugin/host. Rebuilt only when its sources change.
componentize_py_version=0.25.1
venv="$root/plugins/.venv"
if [ "$("$venv/bin/componentize-py" --version 2>/dev/null)" != "componentize-py $componentize_py_version" ]; then
    if ! python3 -m venv --help >/dev/null 2>&1; then
        echo "build-plugins: python3 with the venv module is needed to build plugins/py-upper" >&2
        exit 1
    fi
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$componentize_py_version"
fi
py_out="$root/plugins/dist/test/py-upper.wasm"
if [ ! -f "$py_out" ] || [ -n "$(find "$root/plugins/py-upper" "$root/wit" -newer "$py_out" -name '*.py' -o -newer "$py_out" -name '*.wit')" ]; then
    "$venv/bin/componentize-py" -d "$root/wit" -w text-normalizer-plugin componentize --stub-wasi \
        -p "$root/plugins/py-upper" app -o "$py_out.tmp" >/dev/null
    mv "$py_out.tmp" "$py_out"
fi

echo "plugins in $root/plugins/dist: $(cd "$root/plugins/dist" && ls *.wasm test/*.wasm | tr '\n' ' ')"
