//! What an incremental run remembers beside the database (`DB/state/`).
//!
//! * `state.json`: every input file's size, modification time and SHA-256 as
//!   of the last published version, and a digest of the pipeline files and
//!   the tool version (when either changes, every file is read again);
//! * `cache/<key>.msgpack.zst`: each file's normalised result (values, ingest
//!   findings, the return's own totals), before validation — validation spans
//!   files and is always redone;
//! * `runs.jsonl`: one line per run, including runs that found nothing to do.
//!
//! The state is written after the new version is current, by rename, so a
//! crash leaves either the old state (the next run reads a few files again) or
//! the new one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::pipeline::FileResult;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub size: u64,
    pub mtime_ns: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub tool_version: String,
    pub config_digest: String,
    /// Relative path -> fingerprint.
    pub files: BTreeMap<String, FileState>,
}

fn dir(db: &Path) -> PathBuf {
    db.join("state")
}

impl State {
    /// The state of the last published version, if it is usable for this configuration.
    pub fn load(db: &Path, config_digest: &str) -> Option<State> {
        let text = std::fs::read_to_string(dir(db).join("state.json")).ok()?;
        let s: State = serde_json::from_str(&text).ok()?;
        (s.config_digest == config_digest && s.tool_version == env!("CARGO_PKG_VERSION")).then_some(s)
    }

    /// Write atomically (temp file + rename), then drop cache entries no file refers to.
    pub fn save(&self, db: &Path) -> std::io::Result<()> {
        let d = dir(db);
        std::fs::create_dir_all(d.join("cache"))?;
        let tmp = d.join(format!("state.json.tmp-{}", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
        std::fs::rename(&tmp, d.join("state.json"))?;
        let keep: std::collections::HashSet<String> = self.files.iter().map(|(rel, f)| cache_name(rel, &f.sha256)).collect();
        for e in std::fs::read_dir(d.join("cache"))?.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().to_string();
            if !keep.contains(&name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }
}

fn cache_name(rel: &str, sha256: &str) -> String {
    let mut h = Sha256::new();
    h.update(rel.as_bytes());
    h.update(b"\0");
    h.update(sha256.as_bytes());
    format!("{}.msgpack.zst", &crate::ingest::hex(&h.finalize())[..32])
}

/// A file's cached normalised result (None when missing or unreadable: the file is read again).
pub fn read_cached(db: &Path, rel: &str, sha256: &str) -> Option<FileResult> {
    let bytes = std::fs::read(dir(db).join("cache").join(cache_name(rel, sha256))).ok()?;
    let raw = zstd::decode_all(&bytes[..]).ok()?;
    rmp_serde::from_slice(&raw).ok()
}

/// Store a file's normalised result (written to a temp name, then renamed).
pub fn write_cached(db: &Path, rel: &str, sha256: &str, r: &FileResult) -> std::io::Result<()> {
    let d = dir(db).join("cache");
    std::fs::create_dir_all(&d)?;
    let name = cache_name(rel, sha256);
    let tmp = d.join(format!(".{name}.tmp-{}", std::process::id()));
    let raw = rmp_serde::to_vec_named(r).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, zstd::encode_all(&raw[..], 1)?)?;
    std::fs::rename(&tmp, d.join(name))
}

/// Append one line to `runs.jsonl`.
pub fn log_run(db: &Path, line: &serde_json::Value) -> std::io::Result<()> {
    use std::io::Write;
    let d = dir(db);
    std::fs::create_dir_all(&d)?;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(d.join("runs.jsonl"))?;
    writeln!(f, "{line}")
}

/// Digest of every file under the pipelines folder (paths and contents) and the tool version.
pub fn config_digest(pipelines: &Path) -> String {
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(pipelines)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for p in paths {
        h.update(p.strip_prefix(pipelines).unwrap_or(&p).to_string_lossy().as_bytes());
        h.update(b"\0");
        h.update(std::fs::read(&p).unwrap_or_default());
        h.update(b"\0");
    }
    crate::ingest::hex(&h.finalize())
}
