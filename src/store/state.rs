//! What an incremental run remembers beside the database (`DB/state/`).
//!
//! * `state.json`: every input file's size, modification time and SHA-256 as
//!   of the last published version, and a digest of the pipeline files and
//!   the tool version with its sources' digest ([`STATE_VERSION`]; when either changes, every file is read again);
//! * `cache/pack-<run>.bin`: each file's normalised result (values, ingest
//!   findings, the return's own totals), before validation — validation spans
//!   files and is always redone. A run appends the files it read to one pack;
//!   `state.json` says where each file's entry is ([`CacheLoc`]). Packs that
//!   no file refers to are deleted, and mostly dead or small packs are
//!   compacted into the current one ([`State::compact`]); the packs' format
//!   is [`cache`]'s;
//! * `state.json` also keeps each cached file's summary (its submission as
//!   read, the years and areas it reports, its value count), so an unchanged
//!   file is decoded only when its part is computed;
//! * `parts/<key>/`: each part of the last run split in parts, kept to be
//!   taken as it was when its files are unchanged (see `crate::store::parts`);
//! * `runs.jsonl`: one line per run, including runs that found nothing to do;
//! * `first_seen.json`: when each return was first seen (kept across builds and
//!   rebuilds, see [`first_seen`]).
//!
//! The state is written after the new version is current, by rename, so a
//! crash leaves either the old state (the next run reads a few files again) or
//! the new one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::StoreError;
use super::Layout;

mod cache;
pub mod first_seen;

pub use cache::{read_cached, CacheWriter};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileState {
    pub size: u64,
    pub mtime_ns: u64,
    pub sha256: String,
    /// Where the file's normalised result is cached (none: the file is read again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheLoc>,
    /// What a run needs of the file before its values (its submission as read,
    /// the years and areas it reports): an unchanged file's cache entry is then
    /// decoded only when its part is computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<FileSummary>,
}

/// See [`FileState::summary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub submission: crate::model::Submission,
    pub years: Vec<i32>,
    pub areas: Vec<String>,
    pub values: usize,
}

/// One cache entry: a byte range of a pack file under `state/cache/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheLoc {
    pub pack: String,
    pub offset: u64,
    pub len: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub tool_version: String,
    pub config_digest: String,
    /// Relative path -> fingerprint.
    pub files: BTreeMap<String, FileState>,
    /// The parts of the last run split in parts, by key (see `crate::store::parts`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
}

/// What made a state and its kept parts: the tool's version and a digest of its
/// sources, manifest and lock file (`build.rs`). A build with another value reads
/// every file and computes every part again once, instead of mixing its results
/// with an older build's: a change to how values are read, validated or computed
/// cannot be served stale from the cache, and no number has to be bumped by hand.
pub const STATE_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("WCMON_SOURCE_DIGEST"));

impl State {
    /// The state of the last published version, if it is usable for this configuration.
    /// A state that cannot be read (cut short, edited) is not used, with a warning
    /// naming it: every file is then read again, and the run's new state replaces it.
    pub fn load(db: &Path, config_digest: &str) -> Option<State> {
        let s = match State::read(db) {
            Ok(s) => s?,
            Err(e) => {
                tracing::warn!("the state of the last run cannot be used, every file is read again: {e}");
                return None;
            }
        };
        (s.config_digest == config_digest && s.tool_version == STATE_VERSION).then_some(s)
    }

    /// The state file of `db` as it is (None when there is none), whatever made it.
    pub fn read(db: &Path) -> Result<Option<State>, StoreError> {
        let path = Layout::of(db).state_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::Io { path, source: e }),
        };
        serde_json::from_str(&text).map(Some).map_err(StoreError::json(&path))
    }

    /// Write atomically (temp file + rename), then delete the packs no file refers to
    /// (and anything else in the cache folder: an older layout, a crashed run's pack).
    pub fn save(&self, db: &Path) -> Result<(), StoreError> {
        let l = Layout::of(db);
        let cache = l.cache();
        std::fs::create_dir_all(&cache).map_err(StoreError::io(&cache))?;
        let tmp = l.state_file_next();
        std::fs::write(&tmp, serde_json::to_vec(self).map_err(StoreError::json(&tmp))?).map_err(StoreError::io(&tmp))?;
        let path = l.state_file();
        std::fs::rename(&tmp, &path).map_err(StoreError::io(&path))?;
        // Parts this state does not name are gone (their files live on in the versions that publish them).
        if let Ok(entries) = std::fs::read_dir(l.parts()) {
            for e in entries.filter_map(|e| e.ok()) {
                if !self.parts.iter().any(|k| e.file_name().to_str() == Some(k.as_str())) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let keep: std::collections::HashSet<&str> = self.files.values().filter_map(|f| f.cache.as_ref()).map(|c| c.pack.as_str()).collect();
        for e in walkdir::WalkDir::new(l.cache()).min_depth(1).contents_first(true).into_iter().filter_map(|e| e.ok()) {
            let live = e.depth() == 1 && e.file_name().to_str().is_some_and(|n| keep.contains(n));
            if e.file_type().is_dir() {
                let _ = std::fs::remove_dir(e.path());
            } else if !live {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }

    /// Move the entries of wasteful packs into `writer`'s pack: packs less than half
    /// alive (their files changed or went), and, once there are more than
    /// [`MAX_PACKS`], every pack but the largest (each nightly run adds a small one).
    /// Entries are copied as bytes, not decoded. An entry that cannot be copied is
    /// dropped from the cache (its file is read again next time).
    pub fn compact(&mut self, db: &Path, writer: &CacheWriter) {
        let mut live: BTreeMap<String, u64> = BTreeMap::new();
        for c in self.files.values().filter_map(|f| f.cache.as_ref()) {
            *live.entry(c.pack.clone()).or_default() += c.len;
        }
        let size = |pack: &str| std::fs::metadata(Layout::of(db).cache().join(pack)).map(|m| m.len()).unwrap_or(0);
        let others = || live.iter().filter(|(p, _)| **p != writer.name);
        let largest = others().max_by_key(|(p, n)| (**n, (*p).clone())).map(|(p, _)| p.clone());
        let many = others().count() > MAX_PACKS;
        let moving: std::collections::HashSet<String> =
            others().filter(|(p, n)| 2 * **n < size(p) || (many && largest.as_ref() != Some(*p))).map(|(p, _)| p.clone()).collect();
        if moving.is_empty() {
            return;
        }
        let mut moved = 0usize;
        for f in self.files.values_mut() {
            let Some(loc) = f.cache.as_ref().filter(|c| moving.contains(&c.pack)) else { continue };
            f.cache = cache::read_entry(db, loc).and_then(|bytes| writer.append(&bytes).ok());
            moved += 1;
        }
        tracing::debug!(packs = moving.len(), entries = moved, "cache packs compacted");
    }
}

/// More packs than this and the small ones are merged (see [`State::compact`]).
pub const MAX_PACKS: usize = 8;

/// Append one line to `runs.jsonl`.
pub fn log_run(db: &Path, line: &serde_json::Value) -> Result<(), StoreError> {
    use std::io::Write;
    let l = Layout::of(db);
    let (dir, path) = (l.state(), l.runs_log());
    std::fs::create_dir_all(&dir).map_err(StoreError::io(&dir))?;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(StoreError::io(&path))?;
    writeln!(f, "{line}").map_err(StoreError::io(&path))
}

/// Digest of every file under the pipelines folder (paths and contents) and the tool version.
pub fn config_digest(pipelines: &Path) -> String {
    let mut paths: Vec<PathBuf> =
        walkdir::WalkDir::new(pipelines).into_iter().filter_map(|e| e.ok()).filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect();
    paths.sort();
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for p in paths {
        h.update(p.strip_prefix(pipelines).unwrap_or(&p).to_string_lossy().as_bytes());
        h.update(b"\0");
        h.update(std::fs::read(&p).unwrap_or_default());
        h.update(b"\0");
    }
    crate::util::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::cache::tests::value;
    use super::*;
    use crate::model::{FileResult, Submission};

    #[test]
    fn the_state_version_is_the_digest_of_the_sources_manifest_and_lock_file() {
        // Recomputed here from the files on disk (walkdir, not build.rs's walk).
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = walkdir::WalkDir::new(root.join("src"))
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.path().strip_prefix(root).unwrap().to_str().unwrap().to_string())
            .chain(["Cargo.toml", "Cargo.lock", "build.rs"].map(String::from))
            .collect();
        names.sort();
        assert!(names.iter().any(|n| n == "src/store/state.rs") && names.len() > 40, "{names:?}");
        let mut h = Sha256::new();
        for n in &names {
            h.update(n.as_bytes());
            h.update(b"\0");
            h.update(std::fs::read(root.join(n)).unwrap());
            h.update(b"\0");
        }
        let digest = crate::util::hex(&h.finalize());
        assert_eq!(STATE_VERSION, format!("{}+{}", env!("CARGO_PKG_VERSION"), &digest[..16]));
    }

    #[test]
    fn a_state_made_by_another_build_or_configuration_is_not_used() {
        let db = tempfile::tempdir().unwrap();
        let state = |tool: &str| State { tool_version: tool.into(), config_digest: "pipelines-1".into(), files: BTreeMap::new(), parts: vec!["p".into()] };
        state("0.1.0+0123456789abcdef").save(db.path()).unwrap();
        assert!(State::load(db.path(), "pipelines-1").is_none(), "another build's state was used");
        state(STATE_VERSION).save(db.path()).unwrap();
        assert!(State::load(db.path(), "pipelines-2").is_none(), "another configuration's state was used");
        assert_eq!(State::load(db.path(), "pipelines-1").unwrap().parts, vec!["p".to_string()]);
    }

    #[test]
    fn a_state_file_cut_short_is_an_error_naming_it_and_is_not_used() {
        let db = tempfile::tempdir().unwrap();
        assert!(State::read(db.path()).unwrap().is_none(), "no state yet is not an error");
        let s = State { tool_version: STATE_VERSION.into(), config_digest: "d".into(), files: BTreeMap::new(), parts: vec!["p".into()] };
        s.save(db.path()).unwrap();
        let path = Layout::of(db.path()).state_file();
        let text = std::fs::read(&path).unwrap();
        std::fs::write(&path, &text[..text.len() - 5]).unwrap();
        let e = State::read(db.path()).unwrap_err();
        assert!(matches!(e, StoreError::Json { .. }) && e.path() == path, "{e:?}");
        assert!(e.to_string().starts_with(&format!("{}: unreadable (", path.display())), "{e}");
        // The run then reads every file again.
        assert!(State::load(db.path(), "d").is_none());
        // A state that cannot be written names the file it could not write.
        let blocked = tempfile::tempdir().unwrap();
        std::fs::write(blocked.path().join("state"), b"a file where the state folder goes").unwrap();
        let e = s.save(blocked.path()).unwrap_err();
        assert!(matches!(e, StoreError::Io { .. }) && e.path().starts_with(blocked.path().join("state")), "{e:?}");
    }

    fn fingerprint(sha: &str, cache: Option<CacheLoc>) -> FileState {
        FileState { size: 1, mtime_ns: 1, sha256: sha.into(), cache, summary: None }
    }

    #[test]
    fn dead_packs_are_deleted_and_mostly_dead_ones_compacted() {
        let db = tempfile::tempdir().unwrap();
        let r = |n: usize| FileResult {
            submission: Submission::new("s".into(), "f.xlsx"),
            observations: (0..n).map(|i| value("live_births", "421321100", &format!("C{i}"), &"f.xlsx".into(), Some(i as f64), None)).collect(),
            issues: vec![],
            controls: vec![],
        };
        let old = CacheWriter::new(db.path(), "old");
        let a = old.put("a.xlsx", "1", &r(200)).unwrap();
        let _b = old.put("b.xlsx", "2", &r(200)).unwrap();
        let _c = old.put("c.xlsx", "3", &r(200)).unwrap();
        let gone = CacheWriter::new(db.path(), "gone");
        let _d = gone.put("d.xlsx", "4", &r(5)).unwrap();
        drop((old, gone));
        let stray = Layout::of(db.path()).cache().join("0123.msgpack.zst");
        std::fs::write(&stray, b"an entry of the older one-file-per-workbook layout").unwrap();
        // b and c changed (now in this run's pack), d's file went: a is all that lives in
        // the old pack, a third of it, so a moves to the new pack.
        let new = CacheWriter::new(db.path(), "new");
        let mut state = State { tool_version: "t".into(), config_digest: "d".into(), files: BTreeMap::new(), parts: Vec::new() };
        state.files.insert("a.xlsx".into(), fingerprint("1", Some(a)));
        state.files.insert("b.xlsx".into(), fingerprint("5", Some(new.put("b.xlsx", "5", &r(3)).unwrap())));
        state.files.insert("c.xlsx".into(), fingerprint("6", None));
        state.compact(db.path(), &new);
        drop(new);
        let a_now = state.files["a.xlsx"].cache.clone().unwrap();
        assert_eq!(a_now.pack, "pack-new.bin");
        state.save(db.path()).unwrap();
        let left: Vec<String> =
            std::fs::read_dir(Layout::of(db.path()).cache()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        assert_eq!(left, vec!["pack-new.bin".to_string()]);
        assert_eq!(read_cached(db.path(), "a.xlsx", "1", &a_now).unwrap().observations, r(200).observations);
    }

    #[test]
    fn small_packs_are_merged_past_the_limit() {
        let db = tempfile::tempdir().unwrap();
        let r = FileResult { submission: Submission::new("s".into(), "a.xlsx"), observations: vec![], issues: vec![], controls: vec![] };
        let mut state = State::default();
        // MAX_PACKS + 2 nightly runs, each leaving one live entry in its own pack.
        for i in 0..MAX_PACKS + 2 {
            let w = CacheWriter::new(db.path(), &format!("n{i:02}"));
            let (rel, sha) = (format!("f{i}.xlsx"), i.to_string());
            state.files.insert(rel.clone(), fingerprint(&sha, Some(w.put(&rel, &sha, &r).unwrap())));
        }
        let w = CacheWriter::new(db.path(), "now");
        state.compact(db.path(), &w);
        drop(w);
        let packs: std::collections::BTreeSet<&str> = state.files.values().map(|f| f.cache.as_ref().unwrap().pack.as_str()).collect();
        // Every pack but the largest (all equal: the last by name) moved into this run's pack.
        assert_eq!(packs.into_iter().collect::<Vec<_>>(), vec![format!("pack-n{:02}.bin", MAX_PACKS + 1).as_str(), "pack-now.bin"]);
        for (rel, f) in &state.files {
            assert!(read_cached(db.path(), rel, &f.sha256, f.cache.as_ref().unwrap()).is_some(), "{rel}");
        }
    }
}
