//! Embeds the review UI (`ui/dist`, built by `scripts/build-ui.sh`) into the binary: copies its
//! files under `$OUT_DIR/ui` (so a UI rebuild while this crate compiles cannot pull files away
//! from under it) and writes `$OUT_DIR/ui_assets.rs`, a table of every file with
//! `include_bytes!`. Without a build the table is empty and `/ui` says how to make one; the crate
//! compiles either way.

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
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let copies = out_dir.join("ui");
    let _ = std::fs::remove_dir_all(&copies);
    std::fs::create_dir_all(&copies).expect("creating OUT_DIR/ui");
    let mut out = String::from(
        "/// Files of `ui/dist`: path relative to it, contents.\npub static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for (i, (rel, path)) in files.iter().enumerate() {
        // A file gone since the listing (a UI build running now) is left out this time; the
        // change makes cargo run this script again on the next build.
        let Ok(bytes) = std::fs::read(path) else { continue };
        let copy = copies.join(i.to_string());
        std::fs::write(&copy, bytes).expect("copying a UI file into OUT_DIR");
        let _ = writeln!(out, "    ({rel:?}, include_bytes!({:?})),", copy.display().to_string());
    }
    out.push_str("];\n");
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
            files.push((rel.join("/"), path));
        }
    }
}
