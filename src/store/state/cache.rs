//! The state's cache of normalised files (`DB/state/cache/pack-<run>.bin`): each
//! file's result appended by a run to its pack, read back by its location
//! ([`CacheLoc`]), refused (a miss, the file read again) when damaged, cut short
//! or another file's.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::CacheLoc;
use crate::model::{FileResult, Observation, Text};
use crate::store::Layout;

/// Appends this run's cache entries to one pack file, `state/cache/pack-<run>.bin`,
/// created on the first entry. Entries are encoded on the caller's thread; only the
/// append is serialised. One file rather than one per workbook: creating ten
/// thousand small files cost a rebuild more time than encoding them.
pub struct CacheWriter {
    path: PathBuf,
    pub(super) name: String,
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

    pub(super) fn append(&self, bytes: &[u8]) -> std::io::Result<CacheLoc> {
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

pub(super) fn read_entry(db: &Path, loc: &CacheLoc) -> Option<Vec<u8>> {
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{Issue, Severity, Submission};

    pub(in crate::store::state) fn value(de: &str, area: &str, cell: &str, file: &Text, value: Option<f64>, flags: Option<&str>) -> Observation {
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
}
