//! Embeds the review UI (`ui/dist`, built by `scripts/build-ui.sh`) into the binary: writes
//! `$OUT_DIR/ui_assets.rs`, a table of every file with `include_bytes!`. Without a build the
//! table is empty and `/ui` says how to make one; the crate compiles either way.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = manifest.join("../../ui/dist");
    // An empty folder (ignored by git) gives cargo something to watch: a later UI build changes
    // it and this script runs again. A missing path would make cargo rerun it on every build.
    let _ = std::fs::create_dir_all(&dist);
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Files of `ui/dist`: path relative to it, contents.\npub static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for (rel, abs) in &files {
        let _ = writeln!(out, "    ({rel:?}, include_bytes!({:?})),", abs.display().to_string());
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("ui_assets.rs"), out).expect("writing ui_assets.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>();
            let abs = std::fs::canonicalize(&path).unwrap_or(path);
            files.push((rel.join("/"), abs));
        }
    }
}
