//! `pipelines/forms/<body>/<form>.toml`: how to read one kind of return.
//!
//! The raw serde structs ([`raw`]) mirror the file (and are documented in
//! `pipelines/README.md`); [`Form::resolve`] ([`resolve`]) checks them against the
//! catalogue and compiles the regexes before any workbook is opened; [`columns`]
//! says how a form names its columns and header paths.

pub mod columns;
pub mod raw;
mod resolve;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;

pub use columns::{column_index, dedup_path, header_key, ColRef};
pub use raw::*;

use crate::config::{Catalogue, ConfigError};

/// A checked flag mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// The mark as written in the form (normalised for matching).
    pub mark: String,
    pub obs_status: Option<&'static str>,
    pub note: Option<String>,
}

/// SDMX 2.1 `CL_OBS_STATUS` codes a flag may set.
pub const OBS_STATUS_CODES: &[&str] = &["A", "B", "D", "E", "F", "G", "I", "K", "L", "M", "N", "O", "P", "S", "U", "V", "W"];

/// The largest `header_rows` (the header is searched for in the first [`crate::normalise::HEADER_SEARCH_ROWS`] rows).
pub const MAX_HEADER_ROWS: usize = 30;

/// Ingest findings whose severity a form's or rules.toml's `[severity]` may set.
pub const INGEST_FINDINGS: &[&str] = &[
    "unparseable_value",
    "unmapped_cell",
    "unknown_area",
    "unit_mismatch",
    "year_not_found",
    "unknown_label",
    "table_not_found",
    "skipped_total",
    "unknown_flag",
    "flag_without_value",
];

/// A checked form, ready to read workbooks.
#[derive(Debug, Clone)]
pub struct Form {
    pub raw: RawForm,
    pub file: PathBuf,
    pub file_name_re: Option<Regex>,
    pub sheet_name_re: Option<Regex>,
    pub year_re: Regex,
    pub area_re: Option<Regex>,
    /// Normalised header paths -> mapping index.
    pub columns: BTreeMap<String, usize>,
    /// Normalised row labels -> mapping index.
    pub rows: BTreeMap<String, usize>,
    pub items: BTreeMap<String, usize>,
    pub rules: Vec<crate::config::Rule>,
    /// `[table] flags`, checked: normalised mark -> meaning, longest marks first.
    pub flags: Vec<Flag>,
    /// The long list's value maps, normalised label -> code.
    pub sex_values: BTreeMap<String, String>,
    pub age_values: BTreeMap<String, String>,
    pub area_values: BTreeMap<String, String>,
}

impl Form {
    pub fn id(&self) -> &str {
        &self.raw.form.id
    }

    pub fn load(path: &Path, catalogue: &Catalogue) -> Result<Form, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.to_path_buf(), source })?;
        let raw: RawForm = toml::from_str(&text).map_err(|source| ConfigError::Toml { file: path.to_path_buf(), source: Box::new(source) })?;
        Form::resolve(raw, path, &text, catalogue)
    }
}
