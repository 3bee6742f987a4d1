//! Build script: a digest of what decides wcmon's results, for the state's
//! version (`state::STATE_VERSION`).
//!
//! An incremental run reuses the normalised values cached by the last run and
//! the parts it computed. Those are only valid for the code that made them, so
//! the state is keyed by a digest of the sources (`src/`), the manifest and the
//! lock file (a dependency's version can change what is read or written). Any
//! change to them makes the next run read every file and compute every part
//! again once, instead of mixing results of two builds; nobody has to remember
//! to bump a number.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Every file under `dir`, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let mut files = Vec::new();
    files_under(&root.join("src"), &mut files);
    files.extend(["Cargo.toml", "Cargo.lock", "build.rs"].map(|f| root.join(f)));
    // Relative paths with '/' and sorted bytes: the same digest on every machine.
    let mut named: Vec<(String, PathBuf)> = files.into_iter().map(|p| (p.strip_prefix(&root).unwrap_or(&p).to_string_lossy().replace('\\', "/"), p)).collect();
    named.sort();
    let mut h = Sha256::new();
    for (name, path) in &named {
        h.update(name.as_bytes());
        h.update(b"\0");
        h.update(std::fs::read(path).unwrap_or_default());
        h.update(b"\0");
    }
    let hex: String = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=WCMON_SOURCE_DIGEST={hex}");
    for watched in ["src", "Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={watched}");
    }
}
