//! What a run split in parts keeps of each part for the next run
//! (`DB/state/parts/<key>/`): a part whose files are all unchanged (same
//! content, same status, same pipeline files and tool, same latest year) is not
//! computed again; its published files are linked into the new version and its
//! small results (the rows it hands up to the roots, its progress and issue
//! rows, its counts) are read back.
//!
//! ```text
//! state/parts/<key>/
//!   record.json                     submissions of its files, counts, rule summary rows
//!   data_values/year=YYYY.parquet   hard links to the published part files
//!   indicator_values/year=YYYY.parquet
//!   progress.parquet  issues.parquet  gaps.parquet
//!   root_values.parquet  root_sums.parquet  pairs.parquet
//! ```
//!
//! A part's key is a digest of everything its rows depend on, so a stored part
//! is either exactly what computing it again would give or not found.
//!
//! Every file of a kept part has its SHA-256 in `record.json`, recorded when the
//! part was written and checked before any of it is linked into a new version: a
//! damaged or edited file makes the part computed again (the run says so in an
//! info issue), never published. The files are made read-only when written (the
//! published part files and their links here are the same files), so an editor
//! cannot change the live version through a link (root still can: the checksum
//! then catches it at the next run, and `rebuild` recomputes every part).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use polars_io::prelude::{ParquetReader, SerReader};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{Damage, StoreError};
use crate::model::{RuleStat, Severity, Submission};
use crate::progress::ProgressSummary;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    StoreError::io(path)
}

/// The small results of one part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PartRecord {
    /// The part's files' submissions after validation, in the part's order.
    pub submissions: Vec<Submission>,
    pub aggregated: usize,
    pub indicator_values: usize,
    /// Indicators with at least one value in the part.
    pub with_data: Vec<String>,
    pub progress: ProgressSummary,
    pub issue_counts: Vec<(String, Severity, u64)>,
    pub validation_stats: Vec<RuleStat>,
    pub indicator_stats: Vec<RuleStat>,
    /// Rows written per partitioned table.
    pub rows: BTreeMap<String, usize>,
    /// SHA-256 of every file of the part folder (but this record), by path relative to it.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
}

/// A part's results: the record, the rows it hands up, and where its progress and issue rows are.
pub struct PartOut {
    pub record: PartRecord,
    pub root_values: DataFrame,
    pub root_sums: Option<DataFrame>,
    /// Paired sums for the roots, by ratio indicator.
    pub pairs: Vec<(String, DataFrame)>,
    pub progress_file: PathBuf,
    pub issues_file: PathBuf,
    pub gaps_file: PathBuf,
}

/// The folder of the part with `key`.
pub fn dir(db: &Path, key: &str) -> PathBuf {
    super::Layout::of(db).part(key)
}

/// The key of a part: the tool, the pipeline files, the run's latest year and
/// each of its files' path, content, status and superseding submission.
pub fn key(tool_version: &str, config_digest: &str, last_year: i32, files: &[&Submission]) -> String {
    let mut h = Sha256::new();
    h.update(b"part-1\0");
    for x in [tool_version, config_digest, &last_year.to_string()] {
        h.update(x.as_bytes());
        h.update(b"\0");
    }
    for s in files {
        for x in [s.source_file.as_str(), s.source_sha256.as_deref().unwrap_or("-"), s.status.as_str(), s.superseded_by.as_deref().unwrap_or("-")] {
            h.update(x.as_bytes());
            h.update(b"\0");
        }
        h.update(b"\n");
    }
    crate::util::hex(&h.finalize())[..32].to_string()
}

/// Write a frame of a part's folder (a Parquet file).
pub fn write_frame(df: &mut DataFrame, path: &Path) -> Result<(), StoreError> {
    let file = fs::File::create(path).map_err(io(path))?;
    crate::store::publish::parquet::write(df, std::io::BufWriter::with_capacity(1 << 20, file)).map_err(StoreError::parquet(path))?;
    Ok(())
}

/// Read a frame of a part's folder back.
pub fn read_frame(path: &Path) -> Result<DataFrame, StoreError> {
    let file = fs::File::open(path).map_err(io(path))?;
    ParquetReader::new(file).finish().map_err(StoreError::parquet(path))
}

/// The SHA-256 of a file, read in blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(crate::util::hex(&h.finalize()))
}

/// The files of a part folder (one level of table folders), by path relative to it, but the record.
fn part_contents(part_dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for e in fs::read_dir(part_dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().to_string();
        if e.file_type()?.is_dir() {
            for f in fs::read_dir(e.path())? {
                let f = f?;
                out.push(format!("{name}/{}", f.file_name().to_string_lossy()));
            }
        } else if name != "record.json" {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Read-only for everyone (a hard link shares the mode: the published file too).
fn make_read_only(path: &Path) -> std::io::Result<()> {
    let mut perm = fs::metadata(path)?.permissions();
    perm.set_readonly(true);
    fs::set_permissions(path, perm)
}

/// Check every file of a kept part against its recorded checksum: `Ok(false)` when
/// a file is missing (the part is incomplete: computed again, silently), Err naming
/// the first file that is extra or changed (damaged).
pub fn verify(part_dir: &Path, record: &PartRecord) -> Result<bool, StoreError> {
    let present = part_contents(part_dir).map_err(io(part_dir))?;
    for name in &present {
        if !record.checksums.contains_key(name) {
            return Err(StoreError::Corrupt { path: part_dir.join(name), damage: Damage::Extra });
        }
    }
    for (name, want) in &record.checksums {
        let path = part_dir.join(name);
        match sha256_file(&path) {
            Ok(got) if &got == want => {}
            Ok(_) => return Err(StoreError::Corrupt { path, damage: Damage::Changed }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(StoreError::Io { path, source: e }),
        }
    }
    Ok(true)
}

/// A hard link (a copy where links are not possible).
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    let _ = fs::remove_file(to);
    fs::hard_link(from, to).or_else(|_| fs::copy(from, to).map(|_| ()))
}

/// Start a part's folder afresh.
pub fn begin(db: &Path, key: &str) -> Result<PathBuf, StoreError> {
    let d = dir(db, key);
    let _ = fs::remove_dir_all(&d);
    for t in crate::tables::per_part() {
        let t = d.join(t);
        fs::create_dir_all(&t).map_err(io(&t))?;
    }
    Ok(d)
}

/// Keep a computed part: link its published files (part `k` of the staging
/// version) and write its frames and record.
pub fn save(part_dir: &Path, staged: &Path, k: usize, out: &mut PartOut) -> Result<(), StoreError> {
    for t in crate::tables::per_part() {
        for (year, path) in part_files(staged, t, k) {
            let to = part_dir.join(t).join(format!("year={year}.parquet"));
            link(&path, &to).map_err(io(&to))?;
        }
    }
    write_frame(&mut out.root_values, &part_dir.join("root_values.parquet"))?;
    if let Some(sums) = &mut out.root_sums {
        write_frame(sums, &part_dir.join("root_sums.parquet"))?;
    }
    if !out.pairs.is_empty() {
        let pairs = part_dir.join("pairs.parquet");
        let mut stacked = Vec::with_capacity(out.pairs.len());
        for (code, df) in &out.pairs {
            let mut df = df.clone();
            df.with_column(Column::new("indicator".into(), vec![code.as_str(); df.height()])).map_err(StoreError::parquet(&pairs))?;
            stacked.push(df);
        }
        if let Some(mut all) = crate::compute::stack(stacked).map_err(StoreError::parquet(&pairs))? {
            write_frame(&mut all, &pairs)?;
        }
    }
    // Checksums last, of everything the part folder holds (the progress and issue
    // rows were written into it while the part was computed).
    out.record.checksums.clear();
    for name in part_contents(part_dir).map_err(io(part_dir))? {
        let path = part_dir.join(&name);
        out.record.checksums.insert(name, sha256_file(&path).map_err(io(&path))?);
        make_read_only(&path).map_err(io(&path))?;
    }
    let rec = part_dir.join("record.json");
    let json = serde_json::to_vec(&out.record).map_err(StoreError::json(&rec))?;
    fs::write(&rec, json).map_err(io(&rec))
}

/// A kept part of `files` files, its files linked into the staging version as part
/// `k`: checked against its checksums first. `Ok(None)` when it is not there or
/// incomplete, `Err` (naming the file) when a file is damaged; either way the part
/// is then computed again, and nothing was linked (a link must never be written through).
pub fn reuse(part_dir: &Path, staged: &Path, k: usize, files: usize) -> Result<Option<PartOut>, StoreError> {
    let rec = part_dir.join("record.json");
    let Ok(raw) = fs::read(&rec) else { return Ok(None) };
    let record: PartRecord = serde_json::from_slice(&raw).map_err(StoreError::json(&rec))?;
    if record.submissions.len() != files || record.checksums.is_empty() {
        return Ok(None);
    }
    if !verify(part_dir, &record)? {
        return Ok(None);
    }
    Ok(reuse_verified(part_dir, staged, k, record))
}

fn reuse_verified(part_dir: &Path, staged: &Path, k: usize, record: PartRecord) -> Option<PartOut> {
    let root_values = read_frame(&part_dir.join("root_values.parquet")).ok()?;
    let sums_path = part_dir.join("root_sums.parquet");
    let root_sums = if sums_path.exists() { Some(read_frame(&sums_path).ok()?) } else { None };
    let pairs_path = part_dir.join("pairs.parquet");
    let mut pairs = Vec::new();
    if pairs_path.exists() {
        let all = read_frame(&pairs_path).ok()?;
        let codes: Vec<Option<&str>> = all.column("indicator").ok()?.str().ok()?.iter().collect();
        let mut rows: BTreeMap<&str, Vec<IdxSize>> = BTreeMap::new();
        for (i, c) in codes.iter().enumerate() {
            rows.entry((*c)?).or_default().push(i as IdxSize);
        }
        let keep: Vec<Expr> = all.get_column_names().iter().filter(|n| n.as_str() != "indicator").map(|n| col(n.as_str())).collect();
        for (code, idx) in rows {
            let df = all.take(&IdxCa::from_vec("idx".into(), idx)).ok()?.lazy().select(keep.clone()).collect().ok()?;
            pairs.push((code.to_string(), df));
        }
    }
    let (progress_file, issues_file, gaps_file) = (part_dir.join("progress.parquet"), part_dir.join("issues.parquet"), part_dir.join("gaps.parquet"));
    if !progress_file.exists() || !issues_file.exists() || !gaps_file.exists() {
        return None;
    }
    // Link the published files last: a part found incomplete leaves nothing behind.
    let mut linked = Vec::new();
    for t in crate::tables::per_part() {
        let Ok(entries) = fs::read_dir(part_dir.join(t)) else { return None };
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().to_string();
            let Some(year) = name.strip_prefix("year=").and_then(|n| n.strip_suffix(".parquet")) else { continue };
            let to_dir = staged.join(t).join(format!("year={year}"));
            let to = to_dir.join(format!("part-{k}.parquet"));
            if fs::create_dir_all(&to_dir).and_then(|_| link(&e.path(), &to)).is_err() {
                for l in linked {
                    let _ = fs::remove_file(l);
                }
                return None;
            }
            linked.push(to);
        }
    }
    Some(PartOut { record, root_values, root_sums, pairs, progress_file, issues_file, gaps_file })
}

/// Rows a diff can skip: the part files a run took unchanged from the last run
/// (the same files, linked: known by device and inode) and the areas their returns report.
#[derive(Debug, Default)]
pub struct Unchanged {
    pub files: std::collections::HashSet<(u64, u64)>,
    pub areas: crate::compute::AreaSet,
}

impl Unchanged {
    pub(crate) fn file(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        !self.files.is_empty() && std::fs::metadata(path).is_ok_and(|m| self.files.contains(&(m.dev(), m.ino())))
    }

    /// Add a part taken unchanged: its `data_values` files and the areas its returns report.
    pub fn note<'a>(&mut self, part_dir: &Path, areas: impl Iterator<Item = &'a String>) {
        use std::os::unix::fs::MetadataExt;
        if let Ok(entries) = fs::read_dir(part_dir.join(crate::tables::DATA_VALUES.name)) {
            for e in entries.filter_map(|e| e.ok()) {
                if let Ok(m) = e.metadata() {
                    self.files.insert((m.dev(), m.ino()));
                }
            }
        }
        self.areas.extend(areas.cloned());
    }
}

/// The files of part `k` of a partitioned table in a version folder: (year, path).
fn part_files(version: &Path, table: &str, k: usize) -> Vec<(i32, PathBuf)> {
    let Ok(entries) = fs::read_dir(version.join(table)) else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let year = e.file_name().to_str()?.strip_prefix("year=")?.parse::<i32>().ok()?;
            let path = e.path().join(format!("part-{k}.parquet"));
            path.exists().then_some((year, path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept part of one small frame, written by `save` (its checksums recorded).
    fn kept_part(db: &Path) -> (PathBuf, PathBuf) {
        let staged = db.join("versions/.staging-v000001-1");
        fs::create_dir_all(&staged).unwrap();
        let part = begin(db, "k").unwrap();
        let frame = || df!("area" => ["421321100"], "value" => [1.5]).unwrap();
        for name in ["progress.parquet", "issues.parquet", "gaps.parquet"] {
            write_frame(&mut frame(), &part.join(name)).unwrap();
        }
        let mut out = PartOut {
            record: PartRecord { submissions: vec![Submission::new("s".into(), "a.xlsx")], ..Default::default() },
            root_values: frame(),
            root_sums: None,
            pairs: Vec::new(),
            progress_file: part.join("progress.parquet"),
            issues_file: part.join("issues.parquet"),
            gaps_file: part.join("gaps.parquet"),
        };
        save(&part, &staged, 0, &mut out).unwrap();
        (part, staged)
    }

    #[test]
    fn a_damaged_kept_part_is_an_error_naming_the_file() {
        let db = tempfile::tempdir().unwrap();
        let (part, staged) = kept_part(db.path());
        assert!(reuse(&part, &staged, 0, 1).unwrap().is_some(), "an intact part is taken");
        // A file that was not there when the part was written.
        let extra = part.join("stray.parquet");
        fs::write(&extra, b"x").unwrap();
        match reuse(&part, &staged, 0, 1) {
            Err(e @ StoreError::Corrupt { damage: Damage::Extra, .. }) => assert_eq!(e.path(), extra),
            other => panic!("expected an extra file, got {:?}", other.map(|o| o.is_some())),
        }
        fs::remove_file(&extra).unwrap();
        // A file changed in place (it is read-only: made writable first, as root could).
        let victim = part.join("root_values.parquet");
        let mut perm = fs::metadata(&victim).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perm.set_readonly(false);
        fs::set_permissions(&victim, perm).unwrap();
        fs::write(&victim, b"garbage").unwrap();
        let e = verify(&part, &serde_json::from_slice(&fs::read(part.join("record.json")).unwrap()).unwrap()).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { damage: Damage::Changed, .. }) && e.path() == victim, "{e:?}");
        assert!(e.message(crate::i18n::Lang::En).starts_with(&format!("{}: ", victim.display())), "{e}");
        // A file that cannot be read (a folder where the file was): an IO error naming it.
        fs::remove_file(&victim).unwrap();
        fs::create_dir(&victim).unwrap();
        fs::write(victim.join("inside"), b"x").unwrap();
        let e = verify(&part, &serde_json::from_slice(&fs::read(part.join("record.json")).unwrap()).unwrap()).unwrap_err();
        assert!(e.path().starts_with(&victim), "{e:?}");
        // A record cut short: a JSON error naming record.json.
        let rec = part.join("record.json");
        let raw = fs::read(&rec).unwrap();
        fs::remove_file(&rec).unwrap();
        fs::write(&rec, &raw[..raw.len() / 2]).unwrap();
        match reuse(&part, &staged, 0, 1) {
            Err(e @ StoreError::Json { .. }) => {
                assert_eq!(e.path(), rec);
                assert!(e.to_string().contains("record.json: unreadable ("), "{e}");
            }
            other => panic!("expected a JSON error, got {:?}", other.map(|o| o.is_some())),
        }
    }

    #[test]
    fn a_part_frame_that_cannot_be_read_or_written_names_its_file() {
        let db = tempfile::tempdir().unwrap();
        let garbage = db.path().join("issues.parquet");
        fs::write(&garbage, b"not parquet").unwrap();
        let e = read_frame(&garbage).unwrap_err();
        assert!(matches!(e, StoreError::Parquet { .. }) && e.path() == garbage, "{e:?}");
        let missing = db.path().join("gone/progress.parquet");
        let e = read_frame(&missing).unwrap_err();
        assert!(e.is_not_found() && e.to_string().starts_with(&missing.display().to_string()), "{e}");
        let e = write_frame(&mut DataFrame::empty(), &missing).unwrap_err();
        assert!(matches!(e, StoreError::Io { .. }) && e.path() == missing, "{e:?}");
    }
}
