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
//!   compacted into the current one ([`State::compact`]);
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
use crate::model::{FileResult, Observation, Text};

pub mod first_seen;

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
            f.cache = read_entry(db, loc).and_then(|bytes| writer.append(&bytes).ok());
            moved += 1;
        }
        tracing::debug!(packs = moving.len(), entries = moved, "cache packs compacted");
    }
}

/// More packs than this and the small ones are merged (see [`State::compact`]).
pub const MAX_PACKS: usize = 8;

/// Appends this run's cache entries to one pack file, `state/cache/pack-<run>.bin`,
/// created on the first entry. Entries are encoded on the caller's thread; only the
/// append is serialised. One file rather than one per workbook: creating ten
/// thousand small files cost a rebuild more time than encoding them.
pub struct CacheWriter {
    path: PathBuf,
    name: String,
    /// The open pack and its length; `Err` once a write failed (later entries are not cached).
    out: std::sync::Mutex<Result<Option<(std::fs::File, u64)>, ()>>,
}

impl CacheWriter {
    pub fn new(db: &Path, run_id: &str) -> CacheWriter {
        let name = format!("pack-{run_id}.bin");
        CacheWriter { path: Layout::of(db).cache().join(&name), name, out: std::sync::Mutex::new(Ok(None)) }
    }

    /// Cache a file's normalised result; where it went.
    pub fn put(&self, rel: &str, sha256: &str, r: &FileResult) -> std::io::Result<CacheLoc> {
        self.append(&encode_entry(rel, sha256, r)?)
    }

    fn append(&self, bytes: &[u8]) -> std::io::Result<CacheLoc> {
        use std::io::Write;
        let mut guard = self.out.lock().map_err(|_| std::io::Error::other("cache writer poisoned"))?;
        let Ok(slot) = guard.as_mut() else { return Err(std::io::Error::other("an earlier cache write failed")) };
        if slot.is_none() {
            if let Some(d) = self.path.parent() {
                std::fs::create_dir_all(d)?;
            }
            *slot = Some((std::fs::File::create(&self.path)?, 0));
        }
        let Some((file, len)) = slot.as_mut() else { return Err(std::io::Error::other("no pack")) };
        let offset = *len;
        match file.write_all(bytes) {
            Ok(()) => {
                *len += bytes.len() as u64;
                Ok(CacheLoc { pack: self.name.clone(), offset, len: bytes.len() as u64 })
            }
            Err(e) => {
                // The pack's length is unknown now: stop appending to it.
                *guard = Err(());
                Err(e)
            }
        }
    }
}

fn cache_name(rel: &str, sha256: &str) -> String {
    let mut h = Sha256::new();
    h.update(CACHE_FORMAT);
    h.update(rel.as_bytes());
    h.update(b"\0");
    h.update(sha256.as_bytes());
    crate::util::hex(&h.finalize())[..32].to_string()
}

/// Bumped when the cache layout changes: older entries then miss and are read again.
const CACHE_FORMAT: &[u8] = b"columnar-3\0";

/// A file's normalised result as cached, inside one zstd frame:
///
/// * the length of the head (`u32`, little-endian), then the head: the
///   submission, the ingest findings, the return's totals and each distinct
///   string of the values once (`texts`), as MessagePack;
/// * the number of values (`u32`), then the values column by column in
///   fixed-width little-endian arrays ([`encode_result`] has the order): the
///   13 text fields as indices into `texts` ([`NONE`] for none), the year,
///   whether there is a value, the value, `derived`.
///
/// The values were MessagePack rows until the values' decoding showed in
/// profiles (every part of a run decodes its files' entries): fixed-width
/// columns decode without parsing. Indices keep the sharing of [`Text`] on reload.
#[derive(Serialize, Deserialize)]
struct Head {
    submission: crate::model::Submission,
    issues: Vec<crate::model::Issue>,
    controls: Vec<crate::model::Control>,
    texts: Vec<String>,
}

const NONE: u32 = u32::MAX;

/// The text fields of a value, in their column order.
const TEXT_COLUMNS: usize = 14;

/// Bytes per value in the columns: the text indices, the year, whether there is
/// a value, the value, `derived`.
const ROW_BYTES: usize = TEXT_COLUMNS * 4 + 4 + 1 + 8 + 1;

/// The values' text fields as indices (`NONE` for none), in [`TEXT_COLUMNS`] order.
fn text_fields(o: &Observation) -> [Option<&str>; TEXT_COLUMNS] {
    [
        Some(&o.data_element),
        Some(&o.area),
        Some(&o.sex),
        Some(&o.age),
        Some(&o.residence),
        Some(o.obs_status),
        o.form.as_deref(),
        o.source_file.as_deref(),
        o.source_sheet.as_deref(),
        o.source_cell.as_deref(),
        o.source_sha256.as_deref(),
        o.submission.as_deref(),
        o.flags.as_deref(),
        o.note.as_deref(),
    ]
}

fn encode_result(r: &FileResult) -> std::io::Result<Vec<u8>> {
    let mut index: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
    let mut texts: Vec<String> = Vec::new();
    let n = r.observations.len();
    let mut ids: Vec<Vec<u32>> = (0..TEXT_COLUMNS).map(|_| Vec::with_capacity(n)).collect();
    // A column mostly repeats the row before's string (the same allocation): no lookup then.
    let mut last: [(*const u8, usize, u32); TEXT_COLUMNS] = [(std::ptr::null(), 0, NONE); TEXT_COLUMNS];
    for o in &r.observations {
        for ((col, field), last) in ids.iter_mut().zip(text_fields(o)).zip(last.iter_mut()) {
            col.push(field.map_or(NONE, |s| {
                if (s.as_ptr(), s.len()) == (last.0, last.1) {
                    return last.2;
                }
                let id = *index.entry(s).or_insert_with(|| {
                    texts.push(s.to_string());
                    (texts.len() - 1) as u32
                });
                *last = (s.as_ptr(), s.len(), id);
                id
            }));
        }
    }
    drop(index);
    let head = Head { submission: r.submission.clone(), issues: r.issues.clone(), controls: r.controls.clone(), texts };
    let head = rmp_serde::to_vec(&head).map_err(std::io::Error::other)?;
    let mut out = Vec::with_capacity(4 + head.len() + 4 + n * ROW_BYTES);
    out.extend_from_slice(&u32::try_from(head.len()).map_err(std::io::Error::other)?.to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(&u32::try_from(n).map_err(std::io::Error::other)?.to_le_bytes());
    for col in &ids {
        col.iter().for_each(|i| out.extend_from_slice(&i.to_le_bytes()));
    }
    r.observations.iter().for_each(|o| out.extend_from_slice(&o.year.to_le_bytes()));
    r.observations.iter().for_each(|o| out.push(o.value.is_some() as u8));
    r.observations.iter().for_each(|o| out.extend_from_slice(&o.value.unwrap_or(0.0).to_le_bytes()));
    r.observations.iter().for_each(|o| out.push(o.derived as u8));
    Ok(out)
}

/// Splits `n` bytes off the front of `bytes`.
fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
    if bytes.len() < n {
        return None;
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Some(head)
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}

fn decode_result(raw: &[u8]) -> Option<FileResult> {
    let mut rest = raw;
    let head_len = u32_at(take(&mut rest, 4)?, 0) as usize;
    let head: Head = rmp_serde::from_slice(take(&mut rest, head_len)?).ok()?;
    let n = u32_at(take(&mut rest, 4)?, 0) as usize;
    if rest.len() != n.checked_mul(ROW_BYTES)? {
        return None;
    }
    let ids: Vec<&[u8]> = (0..TEXT_COLUMNS).map(|_| take(&mut rest, 4 * n)).collect::<Option<_>>()?;
    let (years, has, values, derived) = (take(&mut rest, 4 * n)?, take(&mut rest, n)?, take(&mut rest, 8 * n)?, take(&mut rest, n)?);
    let texts: Vec<Text> = head.texts.iter().map(|s| Text::from(s.as_str())).collect();
    // Statuses are interned process-wide (one lock each): once per file and text, not per value.
    let mut statuses: Vec<Option<&'static str>> = vec![None; texts.len()];
    let mut observations = Vec::with_capacity(n);
    for row in 0..n {
        let id = |col: usize| u32_at(ids[col], row);
        let text = |col: usize| texts.get(id(col) as usize).cloned();
        let opt = |col: usize| if id(col) == NONE { Some(None) } else { text(col).map(Some) };
        let opt_string = |col: usize| if id(col) == NONE { Some(None) } else { head.texts.get(id(col) as usize).cloned().map(Some) };
        let status = {
            let i = id(5) as usize;
            let slot = statuses.get_mut(i)?;
            if slot.is_none() {
                *slot = Some(crate::model::intern(head.texts.get(i)?));
            }
            (*slot)?
        };
        let value = match has[row] {
            0 => None,
            1 => Some(f64::from_le_bytes(values[8 * row..8 * row + 8].try_into().ok()?)),
            _ => return None,
        };
        observations.push(Observation {
            data_element: text(0)?,
            area: text(1)?,
            year: i32::from_le_bytes(years[4 * row..4 * row + 4].try_into().ok()?),
            sex: text(2)?,
            age: text(3)?,
            residence: text(4)?,
            value,
            obs_status: status,
            derived: derived[row] != 0,
            form: opt(6)?,
            source_file: opt(7)?,
            source_sheet: opt(8)?,
            source_cell: opt(9)?,
            source_sha256: opt(10)?,
            submission: opt(11)?,
            flags: opt_string(12)?,
            note: opt(13)?,
        });
    }
    Some(FileResult { submission: head.submission, observations, issues: head.issues, controls: head.controls })
}

/// The bytes of one entry: the 32-character key of (format, path, content hash), then
/// a zstd frame with its length and a checksum. A damaged or cut-short entry, or one
/// that belongs to another file, fails to decode and the file is simply read again.
fn encode_entry(rel: &str, sha256: &str, r: &FileResult) -> std::io::Result<Vec<u8>> {
    thread_local! {
        // One compression context per thread (creating one per entry showed in profiles).
        static ENCODER: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> = const { std::cell::RefCell::new(None) };
    }
    let raw = encode_result(r)?;
    let mut out = cache_name(rel, sha256).into_bytes();
    ENCODER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut enc = zstd::bulk::Compressor::new(1)?;
            enc.include_checksum(true)?;
            enc.include_contentsize(true)?;
            *slot = Some(enc);
        }
        let Some(enc) = slot.as_mut() else { return Err(std::io::Error::other("no zstd context")) };
        out.extend_from_slice(&enc.compress(&raw)?);
        Ok(())
    })?;
    Ok(out)
}

fn read_entry(db: &Path, loc: &CacheLoc) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    // A pack name is ours (pack-<run>.bin); refuse anything that could leave the folder.
    if loc.pack.contains(['/', '\\']) || loc.pack.starts_with('.') || loc.len > 1 << 31 {
        return None;
    }
    let mut f = std::fs::File::open(Layout::of(db).cache().join(&loc.pack)).ok()?;
    f.seek(SeekFrom::Start(loc.offset)).ok()?;
    let mut bytes = vec![0u8; usize::try_from(loc.len).ok()?];
    f.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

/// A file's cached normalised result (None when missing or unreadable: the file is read again).
pub fn read_cached(db: &Path, rel: &str, sha256: &str, loc: &CacheLoc) -> Option<FileResult> {
    thread_local! {
        // One decompression context per thread, as for compression.
        static DECODER: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { std::cell::RefCell::new(None) };
    }
    let bytes = read_entry(db, loc)?;
    let frame = bytes.strip_prefix(cache_name(rel, sha256).as_bytes())?;
    // The frame says its content's size (written with it); a damaged size is refused past 2 GB.
    let size = zstd::zstd_safe::get_frame_content_size(frame).ok()??;
    if size > 1 << 31 {
        return None;
    }
    let raw = DECODER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = zstd::bulk::Decompressor::new().ok();
        }
        slot.as_mut()?.decompress(frame, size as usize).ok()
    })?;
    decode_result(&raw)
}

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
            source_cell: Some(cell.into()),
            source_sha256: Some("ab".repeat(32).into()),
            submission: Some("abababab".into()),
            flags: flags.map(str::to_string),
            note: None,
        }
    }

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

    #[test]
    fn cache_round_trip_keeps_every_field_and_shares_the_strings() {
        let db = tempfile::tempdir().unwrap();
        let file: Text = "卫健/2024 妇幼.xlsx".into();
        let mut sub = Submission::new("abababab".into(), &file);
        sub.status = crate::model::SubmissionStatus::Loaded;
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
        let loc = CacheWriter::new(db.path(), "t").put(&file, "ab", &r).unwrap();
        let back = read_cached(db.path(), &file, "ab", &loc).expect("cached");
        assert_eq!(back.observations, r.observations);
        assert_eq!(back.issues, r.issues);
        assert_eq!(back.submission, r.submission);
        // One allocation per distinct string of the file, not per value.
        let (a, b) = (&back.observations[0], &back.observations[2]);
        assert!(std::sync::Arc::ptr_eq(a.source_file.as_ref().unwrap(), b.source_file.as_ref().unwrap()));
        assert!(std::sync::Arc::ptr_eq(&a.area, &b.area));
        // Another key (different content hash) misses.
        assert!(read_cached(db.path(), &file, "cd", &loc).is_none());
    }

    fn fingerprint(sha: &str, cache: Option<CacheLoc>) -> FileState {
        FileState { size: 1, mtime_ns: 1, sha256: sha.into(), cache, summary: None }
    }

    #[test]
    fn a_cut_short_or_padded_payload_is_refused_not_misread() {
        let file: Text = "a.xlsx".into();
        let r = FileResult {
            submission: Submission::new("ab".into(), &file),
            observations: vec![value("live_births", "421321100", "C7", &file, Some(2.0), None), value("x", "421321101", "C8", &file, None, Some("f"))],
            issues: vec![],
            controls: vec![],
        };
        let raw = encode_result(&r).unwrap();
        assert_eq!(decode_result(&raw).unwrap().observations, r.observations);
        for cut in 0..raw.len() {
            assert!(decode_result(&raw[..cut]).is_none(), "cut at {cut}");
        }
        let mut padded = raw.clone();
        padded.push(0);
        assert!(decode_result(&padded).is_none());
        // A has-value byte other than 0 or 1 is damage.
        let mut bad = raw.clone();
        let derived_and_values = 2 + 2 * 8 + 2;
        bad[raw.len() - derived_and_values] = 7;
        assert!(decode_result(&bad).is_none());
    }

    #[test]
    fn a_damaged_or_misplaced_cache_entry_misses() {
        let db = tempfile::tempdir().unwrap();
        let r = FileResult { submission: Submission::new("s".into(), "a.xlsx"), observations: vec![], issues: vec![], controls: vec![] };
        let w = CacheWriter::new(db.path(), "run1");
        let locs: Vec<CacheLoc> = [("a.xlsx", "1"), ("b.xlsx", "2"), ("c.xlsx", "3")].iter().map(|(rel, sha)| w.put(rel, sha, &r).unwrap()).collect();
        drop(w);
        assert_eq!(locs[1].offset, locs[0].len, "entries follow each other in one pack");
        assert!(locs.iter().all(|l| l.pack == "pack-run1.bin"));
        assert!(read_cached(db.path(), "b.xlsx", "2", &locs[1]).is_some());
        // Another file's entry, or the same file with other content: a miss, not its values.
        assert!(read_cached(db.path(), "a.xlsx", "1", &locs[1]).is_none());
        assert!(read_cached(db.path(), "b.xlsx", "9", &locs[1]).is_none());
        // One byte flipped inside b's compressed frame (after its 32-byte key): a miss.
        let pack = Layout::of(db.path()).cache().join("pack-run1.bin");
        let mut bytes = std::fs::read(&pack).unwrap();
        let mid = (locs[1].offset + 32 + (locs[1].len - 32) / 2) as usize;
        bytes[mid] ^= 0x40;
        // The pack cut short (a crash while appending c): c misses, a still reads.
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&pack, &bytes).unwrap();
        assert!(read_cached(db.path(), "b.xlsx", "2", &locs[1]).is_none());
        assert!(read_cached(db.path(), "c.xlsx", "3", &locs[2]).is_none());
        assert!(read_cached(db.path(), "a.xlsx", "1", &locs[0]).is_some());
        // A location naming a path outside the cache folder is refused.
        let escape = CacheLoc { pack: "../state.json".into(), offset: 0, len: 10 };
        assert!(read_cached(db.path(), "a.xlsx", "1", &escape).is_none());
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
