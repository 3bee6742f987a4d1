//! Reading the published tables for the export: whole files into frames, a
//! hive-partitioned table with its `year` column restored, and typed columns.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use polars_io::prelude::{ParquetReader, SerReader};

use super::ExportError;

pub fn parquet(path: &Path) -> Result<DataFrame, ExportError> {
    let file = std::fs::File::open(path).map_err(|source| ExportError::Io { path: path.to_path_buf(), source })?;
    ParquetReader::new(file).finish().map_err(|source| ExportError::Parquet { path: path.to_path_buf(), source })
}

/// Every `dir/year=YYYY/*.parquet`, in year and file order, with `year` (i32) as the last column.
pub fn partitioned(dir: &Path) -> Result<DataFrame, ExportError> {
    let io = |source| ExportError::Io { path: dir.to_path_buf(), source };
    let mut files: Vec<(i32, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        let p = e.map_err(io)?.path();
        let Some(year) = p.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("year=")).and_then(|y| y.parse::<i32>().ok()) else {
            continue;
        };
        for f in std::fs::read_dir(&p).map_err(|source| ExportError::Io { path: p.clone(), source })? {
            let f = f.map_err(|source| ExportError::Io { path: p.clone(), source })?.path();
            if f.extension().is_some_and(|x| x == "parquet") {
                files.push((year, f));
            }
        }
    }
    files.sort();
    let mut out: Option<DataFrame> = None;
    for (year, f) in files {
        let mut df = parquet(&f)?;
        let h = df.height();
        df.with_column(Column::new("year".into(), vec![year; h])).map_err(|source| ExportError::Parquet { path: f.clone(), source })?;
        match &mut out {
            None => out = Some(df),
            Some(o) => {
                o.vstack_mut(&df).map_err(|source| ExportError::Parquet { path: f.clone(), source })?;
            }
        }
    }
    out.ok_or_else(|| ExportError::Empty { path: dir.to_path_buf() })
}

/// Typed access to a frame's columns, the path in every error.
pub struct Cols<'a> {
    pub df: &'a DataFrame,
    pub path: &'a Path,
}

impl Cols<'_> {
    fn err(&self, column: &str, detail: impl std::fmt::Display) -> ExportError {
        ExportError::Column { path: self.path.to_path_buf(), column: column.to_string(), detail: detail.to_string() }
    }

    fn cast(&self, name: &str, dt: &DataType) -> Result<Column, ExportError> {
        let c = self.df.column(name).map_err(|e| self.err(name, e))?;
        c.cast(dt).map_err(|e| self.err(name, e))
    }

    pub fn has(&self, name: &str) -> bool {
        self.df.column(name).is_ok()
    }

    /// A string column; empty strings for nulls (keys are never null).
    pub fn strs(&self, name: &str) -> Result<Vec<String>, ExportError> {
        let c = self.cast(name, &DataType::String)?;
        Ok(c.str().map_err(|e| self.err(name, e))?.iter().map(|s| s.unwrap_or_default().to_string()).collect())
    }

    pub fn f64s(&self, name: &str) -> Result<Vec<Option<f64>>, ExportError> {
        let c = self.cast(name, &DataType::Float64)?;
        Ok(c.f64().map_err(|e| self.err(name, e))?.iter().collect())
    }

    pub fn i32s(&self, name: &str) -> Result<Vec<Option<i32>>, ExportError> {
        let c = self.cast(name, &DataType::Int32)?;
        Ok(c.i32().map_err(|e| self.err(name, e))?.iter().collect())
    }
}
