//! What can go wrong making a report; every variant names the path or the argument.

use std::path::PathBuf;

use polars::prelude::PolarsError;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: no published database here (expected {path}/current/ with manifest.json; run `wcmon run --db {path}` first)")]
    NoDatabase { path: PathBuf },
    #[error("{path}: the table is missing from the database (was it published by an older wcmon? run `wcmon rebuild`)")]
    MissingTable { path: PathBuf },
    #[error("{path}: no indicator values at all; nothing to report")]
    Empty { path: PathBuf },
    #[error("{path}: column `{column}` is missing or not of the expected type: {detail}")]
    Column { path: PathBuf, column: String, detail: String },
    #[error("area `{area}` is not in {path} (areas there: {known})")]
    UnknownArea { area: String, path: PathBuf, known: String },
    #[error("year {year} has no indicator values in {path} (years with data: {known})")]
    NoDataForYear { year: i32, path: PathBuf, known: String },
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot read the table: {source}")]
    Parquet { path: PathBuf, source: PolarsError },
    #[error("{path}: manifest.json is not valid: {source}")]
    Manifest { path: PathBuf, source: serde_json::Error },
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("--public: the public export failed: {detail}")]
    Public { detail: String },
    #[error("chart for {indicator}: {detail}")]
    Chart { indicator: String, detail: String },
    #[error("--since {version}: no such version in the database's changes (versions there: {known})")]
    UnknownVersion { version: String, known: String },
    #[error("unknown report kind `{0}` (annual, midterm or final)")]
    UnknownKind(String),
}
