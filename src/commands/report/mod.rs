//! `wcmon report`: the annual monitoring report, or the mid-term (2025) / final
//! (2030) evaluation, for one area, from the published database alone.
//!
//! [`report`] loads the [`ReportModel`] once ([`model`]), then writes each output
//! from it: the self-contained Chinese HTML ([`html`], charts from [`charts`]) and
//! the Excel workbook. Files are named `监测报告_<area>_<year>_<kind>.html` (and
//! `.xlsx`) under the output folder; the same database gives the same bytes.

pub mod charts;
mod error;
pub mod html;
mod kind;
pub mod model;
pub mod xlsx;

use std::path::{Path, PathBuf};

pub use error::ReportError;
pub use kind::ReportKind;
pub use model::{ModelOptions, ReportModel};

/// What `wcmon report` is asked for.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The database folder (default `monitoring_db`).
    pub db: PathBuf,
    /// The report year (default: the latest year with data).
    pub year: Option<i32>,
    pub kind: ReportKind,
    /// The area code (default: the root of the hierarchy, the county).
    pub area: Option<String>,
    /// The output folder (default `report`).
    pub out: PathBuf,
    /// `--since vNNNNNN`: list the values corrected after that version.
    pub since: Option<String>,
    /// `--public`: the report from the public export only (made with these pipeline
    /// files' sensitivity and `[disclosure]` rules), named `…_公开.html`.
    pub public: Option<crate::config::Config>,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct ReportOutput {
    /// The HTML report.
    pub html: PathBuf,
    /// Every file written (the HTML first).
    pub files: Vec<PathBuf>,
    pub area: String,
    pub area_name: String,
    pub year: i32,
    pub kind: ReportKind,
    /// The database version reported on.
    pub version: String,
    /// Catalogued indicators / with data for the area / charts drawn.
    pub indicators: usize,
    pub indicators_with_data: usize,
    pub charts: usize,
    /// Rows of the early-warning list.
    pub warnings: usize,
    /// Values changed since `--since` (0 without it).
    pub changes: usize,
}

/// The output files' name without extension: `监测报告_<area>_<year>_<kind>`.
pub fn file_stem(m: &ReportModel) -> String {
    format!("监测报告_{}_{}_{}", m.area.code, m.year, m.kind.as_str())
}

/// Write `bytes` to `path` through a temporary file and a rename, so a reader never
/// sees half a report.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|source| ReportError::Write { path: tmp.clone(), source })?;
    std::fs::rename(&tmp, path).map_err(|source| ReportError::Write { path: path.to_path_buf(), source })
}

/// Load the report's data once and write the report's files.
pub fn report(opts: &ReportOptions) -> Result<ReportOutput, ReportError> {
    std::fs::create_dir_all(&opts.out).map_err(|source| ReportError::Write { path: opts.out.clone(), source })?;
    // --public: the public export made beside the output, read as the database, then removed.
    let public_db = opts.out.join(".public-export");
    let db = match &opts.public {
        Some(cfg) => {
            let export = crate::disclosure::ExportOptions { db: opts.db.clone(), public: public_db.join("current"), internal: public_db.join("internal") };
            crate::disclosure::export_public(cfg, &export).map_err(|e| ReportError::Public { detail: e.to_string() })?;
            public_db.clone()
        }
        None => opts.db.clone(),
    };
    let loaded = ReportModel::load(&ModelOptions { db, year: opts.year, kind: opts.kind, area: opts.area.clone(), since: opts.since.clone() });
    if opts.public.is_some() {
        let _ = std::fs::remove_dir_all(&public_db);
    }
    let model = loaded?;
    let stem = if opts.public.is_some() { format!("{}_公开", file_stem(&model)) } else { file_stem(&model) };
    let mut files = Vec::new();

    let rendered = html::render(&model)?;
    let html_path = opts.out.join(format!("{stem}.html"));
    write_file(&html_path, rendered.html.as_bytes())?;
    files.push(html_path.clone());

    // The Excel workbook of the same tables, from the same model.
    files.push(xlsx::write(&model, &opts.out.join(format!("{stem}.xlsx")))?);

    Ok(ReportOutput {
        html: html_path,
        files,
        area: model.area.code.clone(),
        area_name: model.area.name.clone(),
        year: model.year,
        kind: model.kind,
        version: model.manifest.version.clone(),
        indicators: model.catalogue.len(),
        indicators_with_data: model.catalogue.iter().filter(|c| model.has_data(&c.indicator)).count(),
        charts: rendered.charts,
        warnings: model.warning_rows().len(),
        changes: model.changes.len(),
    })
}

/// `wcmon report` from its arguments: the report written, and the lines to print.
pub fn run_command(
    db: PathBuf,
    year: Option<i32>,
    kind: &str,
    area: Option<String>,
    out: PathBuf,
    since: Option<String>,
    public: Option<crate::config::Config>,
) -> Result<String, ReportError> {
    let opts = ReportOptions { db, year, kind: ReportKind::parse(kind)?, area, out, since, public };
    let o = report(&opts)?;
    let mut s = format!(
        "wcmon report: {} {} {}年{} (database version {})\n  indicators {} catalogued, {} with data; {} charts; {} early warnings",
        o.area,
        o.area_name,
        o.year,
        o.kind.zh(),
        o.version,
        o.indicators,
        o.indicators_with_data,
        o.charts,
        o.warnings
    );
    if opts.since.is_some() {
        s.push_str(&format!("; {} values changed since {}", o.changes, opts.since.as_deref().unwrap_or("")));
    }
    s.push('\n');
    for f in &o.files {
        s.push_str(&format!("  wrote {}\n", f.display()));
    }
    Ok(s)
}
