//! Reading the published Parquet tables into typed rows: the files (a table, or the
//! year partitions of a hive-partitioned one), typed column access with the path in
//! every error, and [`table_row!`], which declares a row struct together with its
//! reader so each field and its column are spelled once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::commands::report::ReportError;

/// Read a Parquet file (all columns, or the ones named); a missing file is a missing table.
pub fn read_parquet(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame, ReportError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReportError::MissingTable { path: path.to_path_buf() }),
        Err(source) => return Err(ReportError::Io { path: path.to_path_buf(), source }),
    };
    use polars_io::SerReader as _;
    let mut reader = polars_io::prelude::ParquetReader::new(file);
    if let Some(cols) = columns {
        reader = reader.with_columns(Some(cols.iter().map(|c| c.to_string()).collect()));
    }
    reader.finish().map_err(|source| ReportError::Parquet { path: path.to_path_buf(), source })
}

/// The rows of a Parquet file whose `area` is in `keep`. The `area` column is read
/// first: a file with none of them (the part of another county, in a database written
/// part by part) is not read further.
pub fn read_areas(path: &Path, keep: &BTreeSet<String>) -> Result<DataFrame, ReportError> {
    let areas = read_parquet(path, Some(&["area"]))?;
    let c = Cols { df: &areas, path };
    if c.filter_in("area", keep)?.height() == 0 {
        return Ok(areas.clear());
    }
    let df = read_parquet(path, None)?;
    Cols { df: &df, path }.filter_in("area", keep)
}

/// The year partitions of a hive-partitioned table (`dir/year=YYYY/*.parquet`), sorted.
pub fn year_files(dir: &Path) -> Result<Vec<(i32, PathBuf)>, ReportError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReportError::MissingTable { path: dir.to_path_buf() }),
        Err(source) => return Err(ReportError::Io { path: dir.to_path_buf(), source }),
    };
    let mut out = Vec::new();
    for e in entries {
        let p = e.map_err(io(dir))?.path();
        let Some(year) = p.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("year=")).and_then(|y| y.parse::<i32>().ok()) else {
            continue;
        };
        for f in std::fs::read_dir(&p).map_err(io(&p))? {
            let f = f.map_err(io(&p))?.path();
            if f.extension().is_some_and(|x| x == "parquet") {
                out.push((year, f));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io { path: path.to_path_buf(), source }
}

/// Typed access to a frame's columns, with the path in every error.
pub struct Cols<'a> {
    pub df: &'a DataFrame,
    pub path: &'a Path,
}

impl Cols<'_> {
    pub fn err(&self, column: &str, detail: impl std::fmt::Display) -> ReportError {
        ReportError::Column { path: self.path.to_path_buf(), column: column.to_string(), detail: detail.to_string() }
    }

    fn cast(&self, name: &str, dt: &DataType) -> Result<Column, ReportError> {
        let c = self.df.column(name).map_err(|e| self.err(name, e))?;
        c.cast(dt).map_err(|e| self.err(name, e))
    }

    pub fn has(&self, name: &str) -> bool {
        self.df.column(name).is_ok()
    }

    /// The values of column `name` as `T`; an absent column is an error when
    /// `required`, else every row's value is `T`'s default (a column newer databases have).
    pub fn get<T: FromColumn>(&self, name: &str, required: bool) -> Result<Vec<T>, ReportError> {
        if !required && !self.has(name) {
            return Ok(std::iter::repeat_with(T::default).take(self.df.height()).collect());
        }
        T::read(self, name)
    }

    /// A column cast to `dt`, each value turned into `T` by `get` from the cast chunked array.
    fn values<T>(&self, name: &str, dt: &DataType, get: impl Fn(&Column) -> PolarsResult<Vec<Option<T>>>) -> Result<Vec<Option<T>>, ReportError> {
        let c = self.cast(name, dt)?;
        get(&c).map_err(|e| self.err(name, e))
    }

    /// The rows of the frame whose `column` is in `keep`.
    pub fn filter_in(&self, column: &str, keep: &BTreeSet<String>) -> Result<DataFrame, ReportError> {
        let c = self.cast(column, &DataType::String)?;
        let mask: BooleanChunked = c.str().map_err(|e| self.err(column, e))?.iter().map(|v| Some(v.is_some_and(|v| keep.contains(v)))).collect();
        self.df.filter(&mask).map_err(|source| ReportError::Parquet { path: self.path.to_path_buf(), source })
    }

    /// The rows of the frame whose `column` is not null.
    pub fn not_null(&self, column: &str) -> Result<DataFrame, ReportError> {
        let mask = self.df.column(column).map_err(|e| self.err(column, e))?.is_not_null();
        self.df.filter(&mask).map_err(|source| ReportError::Parquet { path: self.path.to_path_buf(), source })
    }
}

/// A field type read from a column: nulls become the type's default (`None`, "", 0, false).
pub trait FromColumn: Sized + Default {
    fn read(c: &Cols, name: &str) -> Result<Vec<Self>, ReportError>;
}

/// `Option<T>` and `T` (nulls as the default) for each type read through a cast to a
/// Polars type (whole numbers outside `T`'s range read as null).
macro_rules! from_column {
    ($($t:ty => $dt:expr, |$c:ident| $get:expr;)*) => {$(
        impl FromColumn for Option<$t> {
            fn read(c: &Cols, name: &str) -> Result<Vec<Self>, ReportError> {
                c.values(name, &$dt, |$c: &Column| $get)
            }
        }
        impl FromColumn for $t {
            fn read(c: &Cols, name: &str) -> Result<Vec<Self>, ReportError> {
                Ok(<Option<$t>>::read(c, name)?.into_iter().map(Option::unwrap_or_default).collect())
            }
        }
    )*};
}

from_column! {
    String => DataType::String, |c| Ok(c.str()?.iter().map(|s| s.map(str::to_string)).collect());
    f64 => DataType::Float64, |c| Ok(c.f64()?.iter().collect());
    i64 => DataType::Int64, |c| Ok(c.i64()?.iter().collect());
    i32 => DataType::Int64, |c| Ok(c.i64()?.iter().map(|v| v.and_then(|v| i32::try_from(v).ok())).collect());
    u32 => DataType::Int64, |c| Ok(c.i64()?.iter().map(|v| v.and_then(|v| u32::try_from(v).ok())).collect());
    bool => DataType::Boolean, |c| Ok(c.bool()?.iter().collect());
}

/// A finite number, else none (NaN and infinities are no value).
pub fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

/// Declares a row struct and `fn from_frame(df, path) -> Vec<Self>`, each field with
/// where it comes from:
///
/// - `req("col")`: the column must be there; `opt("col")`: absent in older databases
///   (then the default); either with a function applied to each value (`req("col", finite)`,
///   whose argument type is the one read);
/// - `unset`: not a column (the default; the loader fills it in).
macro_rules! table_row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty = $how:ident $( ( $($arg:tt)* ) )? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// The frame's rows.
            pub fn from_frame(df: &polars::prelude::DataFrame, path: &std::path::Path) -> Result<Vec<$name>, $crate::commands::report::ReportError> {
                let c = $crate::commands::report::model::columns::Cols { df, path };
                $( let mut $field = $crate::commands::report::model::columns::table_row!(@column c, $how $( ( $($arg)* ) )?); )*
                let mut out = Vec::with_capacity(df.height());
                for _ in 0..df.height() {
                    out.push($name { $( $field: $field.next().unwrap_or_default(), )* });
                }
                Ok(out)
            }
        }
    };
    (@column $c:ident, req($col:literal)) => { $c.get($col, true)?.into_iter() };
    (@column $c:ident, opt($col:literal)) => { $c.get($col, false)?.into_iter() };
    (@column $c:ident, req($col:literal, $post:path)) => { $c.get($col, true)?.into_iter().map($post) };
    (@column $c:ident, opt($col:literal, $post:path)) => { $c.get($col, false)?.into_iter().map($post) };
    (@column $c:ident, unset) => { std::iter::repeat_with(Default::default) };
}
pub(crate) use table_row;
