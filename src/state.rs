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

use crate::model::{Observation, Text};
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
        let keep: std::collections::HashSet<PathBuf> = self.files.iter().map(|(rel, f)| cache_path(db, rel, &f.sha256)).collect();
        // Entries sit in shard folders; anything else (an older layout, a stray file) goes too.
        for e in walkdir::WalkDir::new(d.join("cache")).min_depth(1).max_depth(2).into_iter().filter_map(|e| e.ok()) {
            if e.file_type().is_file() && !keep.contains(e.path()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }
}

/// Where a file's cache entry lives: `state/cache/<2 hex>/<30 hex>.msgpack.zst`. The 256
/// shard folders keep each directory small and let the two readers create entries
/// without queueing on one directory's lock (a single folder of 10,000 entries cost
/// a fifth of a rebuild's CPU time in the kernel).
fn cache_path(db: &Path, rel: &str, sha256: &str) -> PathBuf {
    let name = cache_name(rel, sha256);
    dir(db).join("cache").join(&name[..2]).join(&name[2..])
}

fn cache_name(rel: &str, sha256: &str) -> String {
    let mut h = Sha256::new();
    h.update(CACHE_FORMAT);
    h.update(rel.as_bytes());
    h.update(b"\0");
    h.update(sha256.as_bytes());
    format!("{}.msgpack.zst", &crate::ingest::hex(&h.finalize())[..32])
}

/// Bumped when the cache layout changes: older entries then miss and are read again.
const CACHE_FORMAT: &[u8] = b"columnar-2\0";

/// A file's normalised result as cached: each distinct string once (`texts`),
/// the values as rows of indices into it. About 3x faster to write and read
/// than the values as maps, and it keeps the sharing of [`Text`] on reload.
#[derive(Serialize, Deserialize)]
struct CachedFile {
    submission: crate::model::Submission,
    issues: Vec<crate::model::Issue>,
    controls: Vec<crate::normalise::Control>,
    texts: Vec<String>,
    values: Vec<CachedValue>,
}

/// One value: text fields are indices into `CachedFile::texts` (`NONE` for none).
#[derive(Serialize, Deserialize)]
struct CachedValue(u32, u32, i32, u32, u32, u32, Option<f64>, u32, bool, u32, u32, u32, Option<String>, u32, u32, Option<String>);

const NONE: u32 = u32::MAX;

impl CachedFile {
    fn from_result(r: &FileResult) -> CachedFile {
        fn index_of<'a>(index: &mut rustc_hash::FxHashMap<&'a str, u32>, texts: &mut Vec<String>, s: &'a str) -> u32 {
            *index.entry(s).or_insert_with(|| {
                texts.push(s.to_string());
                (texts.len() - 1) as u32
            })
        }
        let mut index: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
        let mut texts: Vec<String> = Vec::new();
        let mut id = |s| index_of(&mut index, &mut texts, s);
        let values = r
            .observations
            .iter()
            .map(|o| {
                let form = o.form.as_deref().map_or(NONE, &mut id);
                let file = o.source_file.as_deref().map_or(NONE, &mut id);
                let sheet = o.source_sheet.as_deref().map_or(NONE, &mut id);
                let sha = o.source_sha256.as_deref().map_or(NONE, &mut id);
                let sub = o.submission.as_deref().map_or(NONE, &mut id);
                CachedValue(
                    id(&o.data_element),
                    id(&o.area),
                    o.year,
                    id(&o.sex),
                    id(&o.age),
                    id(&o.residence),
                    o.value,
                    id(o.obs_status),
                    o.derived,
                    form,
                    file,
                    sheet,
                    o.source_cell.clone(),
                    sha,
                    sub,
                    o.flags.clone(),
                )
            })
            .collect();
        drop(index);
        CachedFile { submission: r.submission.clone(), issues: r.issues.clone(), controls: r.controls.clone(), texts, values }
    }

    fn into_result(self) -> Option<FileResult> {
        let texts: Vec<Text> = self.texts.iter().map(|s| Text::from(s.as_str())).collect();
        let get = |i: u32| texts.get(i as usize).cloned();
        let opt = |i: u32| if i == NONE { Some(None) } else { get(i).map(Some) };
        let observations = self
            .values
            .into_iter()
            .map(|v| {
                Some(Observation {
                    data_element: get(v.0)?,
                    area: get(v.1)?,
                    year: v.2,
                    sex: get(v.3)?,
                    age: get(v.4)?,
                    residence: get(v.5)?,
                    value: v.6,
                    obs_status: crate::model::intern(self.texts.get(v.7 as usize)?),
                    derived: v.8,
                    form: opt(v.9)?,
                    source_file: opt(v.10)?,
                    source_sheet: opt(v.11)?,
                    source_cell: v.12,
                    source_sha256: opt(v.13)?,
                    submission: opt(v.14)?,
                    flags: v.15,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(FileResult { submission: self.submission, observations, issues: self.issues, controls: self.controls })
    }
}

/// A file's cached normalised result (None when missing or unreadable: the file is read again).
pub fn read_cached(db: &Path, rel: &str, sha256: &str) -> Option<FileResult> {
    let bytes = std::fs::read(cache_path(db, rel, sha256)).ok()?;
    let raw = zstd::decode_all(&bytes[..]).ok()?;
    rmp_serde::from_slice::<CachedFile>(&raw).ok()?.into_result()
}

/// Store a file's normalised result. Written in place, without a temporary name: the
/// zstd frame carries its length and a checksum, so an entry cut short by a crash (or
/// damaged later) fails to decode and the file is simply read again.
pub fn write_cached(db: &Path, rel: &str, sha256: &str, r: &FileResult) -> std::io::Result<()> {
    let path = cache_path(db, rel, sha256);
    if let Some(shard) = path.parent() {
        if !shard.is_dir() {
            std::fs::create_dir_all(shard)?;
        }
    }
    let raw = rmp_serde::to_vec(&CachedFile::from_result(r)).map_err(std::io::Error::other)?;
    let mut enc = zstd::bulk::Compressor::new(1)?;
    enc.include_checksum(true)?;
    enc.include_contentsize(true)?;
    std::fs::write(&path, enc.compress(&raw)?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Issue, Severity, Submission};

    fn value(de: &str, area: &str, cell: &str, file: &Text, value: Option<f64>, flags: Option<&str>) -> Observation {
        Observation {
            data_element: de.into(),
            area: area.into(),
            year: 2024,
            sex: "F".into(),
            age: "Y0T4".into(),
            residence: "_T".into(),
            value,
            obs_status: if value.is_some() { "A" } else { "M" },
            derived: value.is_none(),
            form: Some("health".into()),
            source_file: Some(file.clone()),
            source_sheet: None,
            source_cell: Some(cell.to_string()),
            source_sha256: Some("ab".repeat(32).into()),
            submission: Some("abababab".into()),
            flags: flags.map(str::to_string),
        }
    }

    #[test]
    fn cache_round_trip_keeps_every_field_and_shares_the_strings() {
        let db = tempfile::tempdir().unwrap();
        let file: Text = "卫健/2024 妇幼.xlsx".into();
        let mut sub = Submission::new("abababab".into(), &file);
        sub.status = "loaded".into();
        sub.values_landed = 3;
        let r = FileResult {
            submission: sub,
            observations: vec![
                value("live_births", "421321100", "C7", &file, Some(1234.5), None),
                value("live_births", "421321101", "C8", &file, None, Some("yoy_outlier")),
                value("maternal_deaths", "421321100", "D7", &file, Some(0.0), None),
            ],
            issues: vec![Issue::new(Severity::Info, "skipped_total", "合计 row").at(&file, Some("表1"), Some("A30".into()))],
            controls: vec![],
        };
        write_cached(db.path(), &file, "ab", &r).unwrap();
        let back = read_cached(db.path(), &file, "ab").expect("cached");
        assert_eq!(back.observations, r.observations);
        assert_eq!(back.issues, r.issues);
        assert_eq!(back.submission, r.submission);
        // One allocation per distinct string of the file, not per value.
        let (a, b) = (&back.observations[0], &back.observations[2]);
        assert!(std::sync::Arc::ptr_eq(a.source_file.as_ref().unwrap(), b.source_file.as_ref().unwrap()));
        assert!(std::sync::Arc::ptr_eq(&a.area, &b.area));
        // Another key (different content hash) misses.
        assert!(read_cached(db.path(), &file, "cd").is_none());
    }

    #[test]
    fn a_damaged_cache_entry_misses_and_stale_entries_are_dropped() {
        let db = tempfile::tempdir().unwrap();
        let r = FileResult { submission: Submission::new("s".into(), "a.xlsx"), observations: vec![], issues: vec![], controls: vec![] };
        for (rel, sha) in [("a.xlsx", "1"), ("b.xlsx", "2"), ("c.xlsx", "3")] {
            write_cached(db.path(), rel, sha, &r).unwrap();
            assert!(read_cached(db.path(), rel, sha).is_some());
        }
        // Cut short (a crash mid-write) and one byte flipped in the payload: both miss.
        let a = cache_path(db.path(), "a.xlsx", "1");
        let bytes = std::fs::read(&a).unwrap();
        std::fs::write(&a, &bytes[..bytes.len() - 3]).unwrap();
        assert!(read_cached(db.path(), "a.xlsx", "1").is_none());
        let b = cache_path(db.path(), "b.xlsx", "2");
        let mut bytes = std::fs::read(&b).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        std::fs::write(&b, &bytes).unwrap();
        assert!(read_cached(db.path(), "b.xlsx", "2").is_none());
        // Saving a state that refers only to c.xlsx removes the other entries and a
        // file left by an older flat layout.
        let stray = dir(db.path()).join("cache").join("0123.msgpack.zst");
        std::fs::write(&stray, b"old").unwrap();
        let mut state = State { tool_version: "t".into(), config_digest: "d".into(), files: BTreeMap::new() };
        state.files.insert("c.xlsx".into(), FileState { size: 1, mtime_ns: 1, sha256: "3".into() });
        state.save(db.path()).unwrap();
        assert!(!a.exists() && !b.exists() && !stray.exists());
        assert!(read_cached(db.path(), "c.xlsx", "3").is_some());
    }
}
