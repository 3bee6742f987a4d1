//! Parquet tables into a staging folder, then swapped in place of the old database.

use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

/// One finished table.
pub struct Table {
    pub name: &'static str,
    pub df: DataFrame,
    /// Hive-partition by this integer column (`year=YYYY/part-0.parquet`).
    pub partition_by: Option<&'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("writing {table}: {source}")]
    Polars { table: String, source: PolarsError },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io { path: path.to_path_buf(), source }
}

/// What the run publishes beside the tables.
#[derive(Debug, Clone, Serialize)]
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
    pub row_counts: std::collections::BTreeMap<String, usize>,
    pub issues_by_severity: std::collections::BTreeMap<String, usize>,
}

fn write_parquet(df: &mut DataFrame, path: &Path, table: &str) -> Result<(), PublishError> {
    let file = fs::File::create(path).map_err(io(path))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::full())
        .finish(df)
        .map_err(|source| PublishError::Polars { table: table.to_string(), source })?;
    Ok(())
}

fn write_table(dir: &Path, t: &mut Table) -> Result<usize, PublishError> {
    let rows = t.df.height();
    match t.partition_by {
        None => write_parquet(&mut t.df, &dir.join(format!("{}.parquet", t.name)), t.name)?,
        Some(key) => {
            let root = dir.join(t.name);
            fs::create_dir_all(&root).map_err(io(&root))?;
            let years: Vec<i32> = {
                let c = t.df.column(key).map_err(|source| PublishError::Polars { table: t.name.into(), source })?;
                let ca = c.i32().map_err(|source| PublishError::Polars { table: t.name.into(), source })?;
                let mut v: Vec<i32> = (0..ca.len()).filter_map(|i| ca.get(i)).collect();
                v.sort();
                v.dedup();
                v
            };
            for y in years {
                let mut part = t
                    .df
                    .clone()
                    .lazy()
                    .filter(col(key).eq(lit(y)))
                    .select(t.df.get_column_names().iter().filter(|n| n.as_str() != key).map(|n| col(n.as_str())).collect::<Vec<_>>())
                    .collect()
                    .map_err(|source| PublishError::Polars { table: t.name.into(), source })?;
                let pdir = root.join(format!("{key}={y}"));
                fs::create_dir_all(&pdir).map_err(io(&pdir))?;
                write_parquet(&mut part, &pdir.join("part-0.parquet"), t.name)?;
            }
        }
    }
    Ok(rows)
}

/// Write every table and the manifest into a staging folder beside `db`,
/// then replace `db` with it. Readers see the old folder until the swap.
pub fn publish(db: &Path, tables: &mut [Table], manifest: &mut Manifest) -> Result<(), PublishError> {
    let parent = db.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = db.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "monitoring_db".into());
    let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    fs::create_dir_all(&staging).map_err(io(&staging))?;
    for t in tables.iter_mut() {
        let rows = write_table(&staging, t)?;
        manifest.row_counts.insert(t.name.to_string(), rows);
    }
    let mpath = staging.join("manifest.json");
    let json = serde_json::to_string_pretty(manifest).map_err(|e| PublishError::Io { path: mpath.clone(), source: e.into() })?;
    fs::write(&mpath, json).map_err(io(&mpath))?;
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if db.exists() {
        fs::rename(db, &old).map_err(io(db))?;
    }
    fs::rename(&staging, db).map_err(io(db))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}
