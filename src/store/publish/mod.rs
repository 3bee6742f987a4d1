//! Publishing: Parquet tables into a new version folder, made current with
//! one atomic rename. Each table is written as its entry in the registry
//! (`crate::tables`) says: its name, partitioning and declared order
//! ([`Table::of`]); [`Staging::write`] refuses any other.
//!
//! ```text
//! monitoring_db/
//!   current -> versions/v000007        the link readers go through (switched atomically)
//!   versions/v000006/ v000007/         the newest versions (5 by default), each complete
//!   data_values -> current/data_values  stable top-level names, links through current
//!   issues.parquet -> current/issues.parquet   …
//!   state/                             what the next incremental run needs
//!   .lock                              one writer at a time
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use super::Layout;
use crate::tables::{self, TableDef, Written};

pub(crate) mod parquet;

/// One finished table.
pub struct Table {
    pub name: &'static str,
    pub df: DataFrame,
    /// Hive-partition by this integer column (`year=YYYY/part-0.parquet`).
    pub partition_by: Option<&'static str>,
    /// The order to write the rows in, when `df` is not in it yet (see
    /// `frames::sort_order`): each partition is gathered as it is written, so a large
    /// table is never held twice.
    pub order: Option<Vec<IdxSize>>,
    /// The columns the written rows are sorted by, ascending, each with whether its
    /// nulls come first: the files' `sorting_columns` (the partition key, constant
    /// in each file and not in it, is left out).
    pub sorted_by: Vec<(&'static str, bool)>,
}

impl Table {
    /// A table written as it is.
    pub fn new(name: &'static str, df: DataFrame) -> Table {
        Table { name, df, partition_by: None, order: None, sorted_by: Vec::new() }
    }

    /// A published table as its registry entry says: its name, partitioning and
    /// declared order (the rows of `df` in that order, or gathered in it by `order`).
    pub fn of(def: &'static TableDef, df: DataFrame) -> Table {
        Table { name: def.name, df, partition_by: def.partition_by, order: None, sorted_by: def.sorted_by() }
    }

    /// The table as it is, its rows sorted by `columns` (ascending; nulls first or not).
    pub fn sorted_by(mut self, columns: &[&'static str], nulls_first: bool) -> Table {
        self.sorted_by = columns.iter().map(|c| (*c, nulls_first)).collect();
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("writing {table}: {source}")]
    Polars { table: String, source: PolarsError },
    #[error("writing {table} to {path}: {source}")]
    Write { table: String, path: PathBuf, source: PolarsError },
    /// A table a run may not write: not in the registry (`crate::tables`), or not as its entry says.
    #[error("publishing {table}: {why} (see src/tables.rs)")]
    NotRegistered { table: String, why: &'static str },
}

/// The registry's entry of a table a run writes (part `part` of it), checked against it.
fn registered(t: &Table, part: usize) -> Result<&'static TableDef, PublishError> {
    let refuse = |why| Err(PublishError::NotRegistered { table: t.name.to_string(), why });
    let Some(def) = tables::by_name(t.name) else { return refuse("not a table of the registry") };
    if def.written == Written::Export {
        return refuse("a table of the public export, not of a run");
    }
    if t.partition_by != def.partition_by || t.sorted_by != def.sorted_by() {
        return refuse("its partitioning or order is not its registry entry's");
    }
    if part != 0 && def.written != Written::PerPart {
        return refuse("written in parts but registered as one file per run");
    }
    Ok(def)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io { path: path.to_path_buf(), source }
}

/// What the run publishes beside the tables (`manifest.json`; the report reads it back,
/// a field an older database lacks as its default).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Manifest {
    pub run_id: String,
    pub mode: String,
    pub tool: String,
    pub tool_version: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u128,
    pub inbox: String,
    pub inputs_digest: String,
    pub files: usize,
    pub outcome: String,
    /// The version folder under `versions/` these tables are in.
    pub version: String,
    /// Files read this run / taken from the state cache unchanged.
    pub files_read: usize,
    pub files_cached: usize,
    pub row_counts: std::collections::BTreeMap<String, usize>,
    pub issues_by_severity: std::collections::BTreeMap<String, usize>,
    /// Only in a public export's manifest (`wcmon export --public`): what was withheld. A run
    /// never writes it (so the run's manifest.json keeps its bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_export: Option<serde_json::Value>,
}

fn write_parquet(df: &mut DataFrame, path: &Path, table: &str, sorted_by: &[(&str, bool)]) -> Result<(), PublishError> {
    let file = fs::File::create(path).map_err(io(path))?;
    // Buffered: the writer makes a small write per page header and statistic.
    parquet::write_with(df, std::io::BufWriter::with_capacity(1 << 20, file), &parquet::Layout::published(sorted_by))
        .map_err(|source| PublishError::Write { table: table.to_string(), path: path.to_path_buf(), source })?;
    // A published file is never written again: read-only, so an editor cannot change a
    // version in place (nor, through the hard links of `state/parts/`, a later one).
    let mut perm = fs::metadata(path).map_err(io(path))?.permissions();
    perm.set_readonly(true);
    fs::set_permissions(path, perm).map_err(io(path))?;
    Ok(())
}

/// Write a table into `dir`; a partitioned table's files are `part-<part>.parquet`
/// (a run split by area subtree writes one per part).
pub fn write_table(dir: &Path, t: &mut Table, part: usize) -> Result<usize, PublishError> {
    let rows = t.df.height();
    let pe = |source| PublishError::Polars { table: t.name.into(), source };
    let gather = |df: &DataFrame, rows: &[IdxSize]| df.take(&IdxCa::from_vec("idx".into(), rows.to_vec()));
    match t.partition_by {
        None => {
            let path = dir.join(format!("{}.parquet", t.name));
            match &t.order {
                Some(order) => write_parquet(&mut gather(&t.df, order).map_err(pe)?, &path, t.name, &t.sorted_by)?,
                None => write_parquet(&mut t.df, &path, t.name, &t.sorted_by)?,
            }
        }
        Some(key) => {
            let root = dir.join(t.name);
            fs::create_dir_all(&root).map_err(io(&root))?;
            // One chunk first: a gather from several chunks (values + aggregates) joins
            // them again for every partition (measured: 1.5 s and 0.8 GB more).
            tracing::debug!(table = t.name, chunks = t.df.first_col_n_chunks(), "publish: chunks");
            if t.order.is_some() && t.df.first_col_n_chunks() > 1 {
                t.df.rechunk_mut_par();
            }
            let identity: Vec<IdxSize>;
            let order: &[IdxSize] = match &t.order {
                Some(o) => o,
                None => {
                    identity = (0..rows as IdxSize).collect();
                    &identity
                }
            };
            // The rows are in partition-key order, so each partition is a run of `order`;
            // when they are not, each partition's rows are picked out (in order).
            let ca = t.df.column(key).map_err(pe)?.i32().map_err(pe)?.clone();
            let mut runs: Vec<(i32, usize, usize)> = Vec::new();
            for (i, &row) in order.iter().enumerate() {
                let Some(y) = ca.get(row as usize) else { continue };
                match runs.last_mut() {
                    Some((last, start, len)) if *last == y && *start + *len == i => *len += 1,
                    _ => runs.push((y, i, 1)),
                }
            }
            let contiguous = runs.windows(2).all(|w| w[0].0 < w[1].0);
            let parts: Vec<(i32, Vec<IdxSize>)> = if contiguous {
                runs.iter().map(|&(y, start, len)| (y, order[start..start + len].to_vec())).collect()
            } else {
                let mut by_year: std::collections::BTreeMap<i32, Vec<IdxSize>> = std::collections::BTreeMap::new();
                for &row in order {
                    if let Some(y) = ca.get(row as usize) {
                        by_year.entry(y).or_default().push(row);
                    }
                }
                by_year.into_iter().collect()
            };
            let sorted_by: Vec<(&str, bool)> = t.sorted_by.iter().filter(|(c, _)| *c != key).copied().collect();
            let keep: Vec<Expr> = t.df.get_column_names().iter().filter(|n| n.as_str() != key).map(|n| col(n.as_str())).collect();
            use rayon::prelude::*;
            let df = &t.df;
            let part_no = part;
            parts.into_par_iter().try_for_each(|(y, part_rows)| {
                let pdir = root.join(format!("{key}={y}"));
                fs::create_dir_all(&pdir).map_err(io(&pdir))?;
                // A slice when the rows are already in place (no copy), else a gather.
                let in_place = part_rows.windows(2).all(|w| w[1] == w[0] + 1);
                let part = match (in_place, part_rows.first()) {
                    (true, Some(&first)) => df.slice(i64::from(first), part_rows.len()),
                    _ => gather(df, &part_rows).map_err(pe)?,
                };
                let mut part = part.lazy().select(keep.clone()).collect().map_err(pe)?;
                write_parquet(&mut part, &pdir.join(format!("part-{part_no}.parquet")), t.name, &sorted_by)
            })?;
        }
    }
    Ok(rows)
}

/// Test hook: with `WCMON_PAUSE_AT=<step>` the run stops at that step of the
/// publish, writes `WCMON_PAUSE_FILE` (if set) and sleeps, so a test can kill
/// it there. Steps: `staging` (half the tables written), `staged` (the new
/// version complete, not yet current), `switched` (current points at it),
/// `pruned` (old versions removed, state not yet saved).
///
/// Only in a build with the `test-hooks` feature (`tools/test` passes it); in any
/// other build this does nothing and the environment is not read.
pub fn pause_point(step: &str) {
    #[cfg(feature = "test-hooks")]
    {
        if std::env::var("WCMON_PAUSE_AT").ok().as_deref() != Some(step) {
            return;
        }
        if let Ok(f) = std::env::var("WCMON_PAUSE_FILE") {
            let _ = fs::write(f, step);
        }
        std::thread::sleep(std::time::Duration::from_secs(120));
    }
    #[cfg(not(feature = "test-hooks"))]
    let _ = step;
}

/// The version folder `current` points at, if any.
pub fn current_version(db: &Path) -> Option<PathBuf> {
    let target = fs::read_link(Layout::of(db).current()).ok()?;
    let full = if target.is_absolute() { target } else { db.join(target) };
    full.is_dir().then_some(full)
}

/// The version numbers under `db/versions/`, sorted.
fn version_numbers(db: &Path) -> Vec<u64> {
    let mut numbers: Vec<u64> = fs::read_dir(Layout::of(db).versions())
        .map(|rd| rd.filter_map(|e| e.ok()).filter_map(|e| Layout::version_number(&e.file_name().to_string_lossy())).collect())
        .unwrap_or_default();
    numbers.sort();
    numbers
}

/// The name the next published version will have (the caller holds the lock).
pub fn next_version(db: &Path) -> String {
    Layout::version_name(version_numbers(db).last().map_or(1, |n| n + 1))
}

/// Write every table and the manifest as a new version under `db/versions/`,
/// then make it current with one atomic rename of the `current` link.
/// Readers see the old version or the new one, never a mix; a crash at any
/// point leaves the last current version intact. Keeps the newest `keep`
/// versions. Returns the new version's folder.
pub fn publish(db: &Path, tables: &mut [Table], manifest: &mut Manifest, keep: usize) -> Result<PathBuf, PublishError> {
    let staging = Staging::begin(db)?;
    let half = tables.len() / 2;
    for (i, t) in tables.iter_mut().enumerate() {
        if i == half {
            pause_point("staging");
        }
        staging.write(t, 0, manifest)?;
    }
    staging.finish(manifest, keep)
}

/// A new version being written: tables go into a staging folder (a partitioned
/// table possibly in several parts), then [`Staging::finish`] makes it current.
pub struct Staging {
    db: PathBuf,
    versions: PathBuf,
    numbers: Vec<u64>,
    next: u64,
    /// The version's name (v000007).
    pub name: String,
    /// The staging folder.
    pub dir: PathBuf,
}

impl Staging {
    /// Clear leftovers of runs that died while staging and open a new staging folder.
    pub fn begin(db: &Path) -> Result<Staging, PublishError> {
        let versions = Layout::of(db).versions();
        fs::create_dir_all(&versions).map_err(io(&versions))?;
        for e in fs::read_dir(&versions).map_err(io(&versions))?.filter_map(|e| e.ok()) {
            if Layout::is_staging(&e.file_name().to_string_lossy()) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
        let numbers = version_numbers(db);
        let next = numbers.last().map_or(1, |n| n + 1);
        let name = Layout::version_name(next);
        let dir = Layout::of(db).staging(&name);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(Staging { db: db.to_path_buf(), versions, numbers, next, name, dir })
    }

    /// Write one table (or one part of a partitioned table); its rows are added to the manifest's count.
    pub fn write(&self, t: &mut Table, part: usize, manifest: &mut Manifest) -> Result<usize, PublishError> {
        let rows = self.write_part(t, part)?;
        *manifest.row_counts.entry(t.name.to_string()).or_default() += rows;
        Ok(rows)
    }

    /// Write one part of a partitioned table (the caller counts its rows into the
    /// manifest). Safe to call from several threads for different parts. The table
    /// must be as its registry entry says (`crate::tables`).
    pub fn write_part(&self, t: &mut Table, part: usize) -> Result<usize, PublishError> {
        registered(t, part)?;
        let t0 = std::time::Instant::now();
        let rows = write_table(&self.dir, t, part)?;
        tracing::debug!(ms = t0.elapsed().as_millis() as u64, rows, part, "publish: {}", t.name);
        Ok(rows)
    }

    /// Write the manifest, then make the version current with one atomic rename
    /// of the `current` link. Readers see the old version or the new one, never a
    /// mix; a crash at any point leaves the last current version intact. Keeps the
    /// newest `keep` versions. Returns the new version's folder.
    pub fn finish(self, manifest: &mut Manifest, keep: usize) -> Result<PathBuf, PublishError> {
        let Staging { db, versions, mut numbers, next, name, dir: staging } = self;
        let db = db.as_path();
        manifest.version = name.clone();
        let mpath = staging.join(tables::MANIFEST);
        let json = serde_json::to_string_pretty(manifest).map_err(|e| PublishError::Io { path: mpath.clone(), source: e.into() })?;
        fs::write(&mpath, json).map_err(io(&mpath))?;
        let dir = versions.join(&name);
        fs::rename(&staging, &dir).map_err(io(&dir))?;
        pause_point("staged");

        // The switch: a new link beside `current`, renamed over it (atomic on POSIX).
        let link = Layout::of(db).current_next();
        let _ = fs::remove_file(&link);
        symlink(&Layout::current_target(&name), &link)?;
        let current = Layout::of(db).current();
        fs::rename(&link, &current).map_err(io(&current))?;
        pause_point("switched");

        // Stable names at the top level, each a link through `current`.
        for entry in tables::top_level() {
            let top = db.join(&entry);
            match fs::symlink_metadata(&top) {
                Ok(m) if m.file_type().is_symlink() => continue,
                // A database from before versions: its files give way to the links.
                Ok(m) if m.is_dir() => fs::remove_dir_all(&top).map_err(io(&top))?,
                Ok(_) => fs::remove_file(&top).map_err(io(&top))?,
                Err(_) => {}
            }
            symlink(&Layout::top_level_target(&entry), &top)?;
        }
        // Keep the newest versions.
        numbers.push(next);
        let cut = numbers.len().saturating_sub(keep.max(1));
        for n in &numbers[..cut] {
            let old = versions.join(Layout::version_name(*n));
            let _ = fs::remove_dir_all(&old);
        }
        pause_point("pruned");
        Ok(dir)
    }
}

fn symlink(target: &Path, link: &Path) -> Result<(), PublishError> {
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(target, link).map_err(io(link))
    }
    #[cfg(not(unix))]
    {
        let _ = target;
        Err(PublishError::Io { path: link.to_path_buf(), source: std::io::Error::other("versioned databases need symbolic links (Unix)") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        df!("area" => ["421321", "421321100"], "year" => [2024i32, 2024]).unwrap()
    }

    #[test]
    fn a_table_is_written_only_as_its_registry_entry_says() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = Staging::begin(tmp.path()).unwrap();
        let mut manifest = Manifest::default();
        let refused = |t: &mut Table, part: usize| matches!(staging.write_part(t, part), Err(PublishError::NotRegistered { .. }));
        // Not in the registry; the export's; a whole-run table with an order of its own, or in parts.
        assert!(refused(&mut Table::new("areas_copy", frame()), 0));
        assert!(refused(&mut Table::of(&tables::SUPPRESSION, frame()), 0));
        assert!(refused(&mut Table::new("areas", frame()).sorted_by(&["area"], true), 0));
        assert!(refused(&mut Table::of(&tables::AREAS, frame()), 1));
        assert!(staging.dir.read_dir().unwrap().next().is_none(), "a refused table left a file");
        // As registered: written, and counted.
        assert_eq!(staging.write(&mut Table::of(&tables::AREAS, frame()), 0, &mut manifest).unwrap(), 2);
        assert!(staging.dir.join("areas.parquet").is_file());
        assert_eq!(manifest.row_counts.get("areas"), Some(&2));
        // A per-part table in parts: `year=2024/part-3.parquet`.
        let mut values = Table::of(&tables::DATA_VALUES, frame());
        assert!(!refused(&mut values, 3));
        assert!(staging.dir.join("data_values/year=2024/part-3.parquet").is_file());
    }
}
