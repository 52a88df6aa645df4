#!/usr/bin/env bash
# Builds the WebAssembly plugins (workspace plugins/) and the plugin template, in release, for
# wasm32-wasip2, and copies the components to:
#   plugins/dist/*.wasm       built-in plugins the platform ships (min-box-filter, text-normalizer)
#   plugins/dist/test/*.wasm  test-only plugins (hostile, fs-reader, plugin-template)
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
for name in min_box_filter text_normalizer; do
    cp "$out/$name.wasm" "$root/plugins/dist/${name//_/-}.wasm"
done
for name in test_plugin_hostile test_plugin_fs_reader plugin_template; do
    cp "$out/$name.wasm" "$root/plugins/dist/test/${name//_/-}.wasm"
done
echo "plugins in $root/plugins/dist: $(cd "$root/plugins/dist" && ls *.wasm test/*.wasm | tr '\n' ' ')"
