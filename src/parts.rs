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
//!   progress.parquet  issues.parquet
//!   root_values.parquet  root_sums.parquet  pairs.parquet
//! ```
//!
//! A part's key is a digest of everything its rows depend on, so a stored part
//! is either exactly what computing it again would give or not found.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use polars_io::prelude::{ParquetReader, SerReader};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Severity, Submission};
use crate::progress::ProgressSummary;
use crate::validate::RuleStat;

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
}

/// The tables whose part files are kept (and linked back) per part.
pub const PART_TABLES: [&str; 2] = ["data_values", "indicator_values"];

/// The folder of the part with `key`.
pub fn dir(db: &Path, key: &str) -> PathBuf {
    db.join("state").join("parts").join(key)
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
    crate::ingest::hex(&h.finalize())[..32].to_string()
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PolarsError + '_ {
    move |e| PolarsError::ComputeError(format!("{}: {e}", path.display()).into())
}

pub fn write_frame(df: &mut DataFrame, path: &Path) -> PolarsResult<()> {
    let file = fs::File::create(path).map_err(io(path))?;
    crate::publish::parquet::write(df, std::io::BufWriter::with_capacity(1 << 20, file))?;
    Ok(())
}

pub fn read_frame(path: &Path) -> PolarsResult<DataFrame> {
    let file = fs::File::open(path).map_err(io(path))?;
    ParquetReader::new(file).finish()
}

/// A hard link (a copy where links are not possible).
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    let _ = fs::remove_file(to);
    fs::hard_link(from, to).or_else(|_| fs::copy(from, to).map(|_| ()))
}

/// Start a part's folder afresh.
pub fn begin(db: &Path, key: &str) -> PolarsResult<PathBuf> {
    let d = dir(db, key);
    let _ = fs::remove_dir_all(&d);
    for t in PART_TABLES {
        fs::create_dir_all(d.join(t)).map_err(io(&d))?;
    }
    Ok(d)
}

/// Keep a computed part: link its published files (part `k` of the staging
/// version) and write its frames and record.
pub fn save(part_dir: &Path, staged: &Path, k: usize, out: &mut PartOut) -> PolarsResult<()> {
    for t in PART_TABLES {
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
        let mut stacked = Vec::with_capacity(out.pairs.len());
        for (code, df) in &out.pairs {
            let mut df = df.clone();
            df.with_column(Column::new("indicator".into(), vec![code.as_str(); df.height()]))?;
            stacked.push(df);
        }
        if let Some(mut all) = crate::compute::stack(stacked)? {
            write_frame(&mut all, &part_dir.join("pairs.parquet"))?;
        }
    }
    let rec = part_dir.join("record.json");
    let json = serde_json::to_vec(&out.record).map_err(|e| PolarsError::ComputeError(e.to_string().into()))?;
    fs::write(&rec, json).map_err(io(&rec))
}

/// A kept part of `files` files, its files linked into the staging version as part
/// `k`; None when anything is missing or unreadable (the part is then computed
/// again, and nothing was linked: a link must never be written through).
pub fn reuse(part_dir: &Path, staged: &Path, k: usize, files: usize) -> Option<PartOut> {
    let record: PartRecord = serde_json::from_slice(&fs::read(part_dir.join("record.json")).ok()?).ok()?;
    if record.submissions.len() != files {
        return None;
    }
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
    let (progress_file, issues_file) = (part_dir.join("progress.parquet"), part_dir.join("issues.parquet"));
    if !progress_file.exists() || !issues_file.exists() {
        return None;
    }
    // Link the published files last: a part found incomplete leaves nothing behind.
    let mut linked = Vec::new();
    for t in PART_TABLES {
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
    Some(PartOut { record, root_values, root_sums, pairs, progress_file, issues_file })
}

impl crate::incremental::Unchanged {
    /// Add a part taken unchanged: its `data_values` files and the areas its returns report.
    pub fn note<'a>(&mut self, part_dir: &Path, areas: impl Iterator<Item = &'a String>) {
        use std::os::unix::fs::MetadataExt;
        if let Ok(entries) = fs::read_dir(part_dir.join("data_values")) {
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
