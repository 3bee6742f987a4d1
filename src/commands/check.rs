//! `wcmon check FILE…`: a dry run of ingest + validation on the given returns.
//!
//! Nothing is written. The database's reported values (when there is one)
//! give the year-over-year checks their history. The report is grouped by
//! file and rule with cell addresses, so a statistician can phone the body
//! and say "cell D7 of your return"; `--format json` gives the same as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use polars_io::prelude::{ParquetReader, SerReader};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::ingest::InputFile;
use crate::model::RuleStat;
use crate::model::{Issue, Severity, Submission};
use crate::pipeline::{self, FileResult};
use crate::store::StoreError;
use crate::validate::History;

#[derive(Debug, Serialize)]
pub struct FileReport {
    pub file: String,
    pub form: Option<String>,
    pub status: crate::model::SubmissionStatus,
    pub cells_read: u64,
    pub values_landed: u64,
    pub values_rejected: u64,
    pub values_derived: u64,
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
    pub issues: Vec<Issue>,
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub files: Vec<FileReport>,
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
    /// Years of history read from the database for the year-over-year checks.
    pub history_series: usize,
    pub rules: Vec<RuleStat>,
}

impl CheckReport {
    /// 0 when no error was found, 1 otherwise (a failed file is an error).
    pub fn exit_code(&self) -> u8 {
        u8::from(self.errors > 0)
    }
}

/// Reported values of an existing database, as history for the outlier rule.
pub fn history_from_db(db: &Path) -> Result<History, StoreError> {
    let mut h = History::new();
    let dir = crate::store::Layout::of(db).current().join("data_values");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(h) };
    let mut parts: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    parts.sort();
    for p in parts {
        let Some(year) = p.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("year=")).and_then(|y| y.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(files) = std::fs::read_dir(&p) else { continue };
        for f in files.filter_map(|e| e.ok()).map(|e| e.path()).filter(|f| f.extension().is_some_and(|x| x == "parquet")) {
            let file = std::fs::File::open(&f).map_err(StoreError::io(&f))?;
            let df = ParquetReader::new(file).finish().map_err(StoreError::parquet(&f))?;
            let s = |c: &str| df.column(c).and_then(|c| c.str().cloned()).map_err(StoreError::parquet(&f));
            let (de, area, sex, age, res) = (s("data_element")?, s("area")?, s("sex")?, s("age")?, s("residence")?);
            let value = df.column("value").and_then(|c| c.f64().cloned()).map_err(StoreError::parquet(&f))?;
            let derived = df.column("derived").and_then(|c| c.bool().cloned()).map_err(StoreError::parquet(&f))?;
            for i in 0..df.height() {
                if derived.get(i) != Some(false) {
                    continue;
                }
                let (Some(v), Some(d), Some(a), Some(sx), Some(ag), Some(r)) = (value.get(i), de.get(i), area.get(i), sex.get(i), age.get(i), res.get(i))
                else {
                    continue;
                };
                h.entry((d.into(), a.into(), sx.into(), ag.into(), r.into())).or_default().insert(year, v);
            }
        }
    }
    Ok(h)
}

/// Check the given files against the pipeline files and the database's history.
pub fn check(files: &[PathBuf], cfg: &Config, db: Option<&Path>) -> Result<CheckReport, StoreError> {
    let inputs: Vec<InputFile> = files
        .iter()
        .map(|p| {
            let meta = std::fs::metadata(p).ok();
            InputFile {
                path: p.clone(),
                rel: p.display().to_string(),
                size: meta.as_ref().map(|m| m.len()).unwrap_or(0),
                mtime_ns: meta.and_then(|m| m.modified().ok()).map(crate::ingest::mtime_nanos).unwrap_or(0),
                problem: None,
            }
        })
        .collect();
    let history = match db {
        Some(db) => history_from_db(db)?,
        None => History::new(),
    };
    let mut results: Vec<FileResult> = inputs.par_iter().map(|f| pipeline::process_file(f, cfg)).collect();
    let rules = pipeline::validate_and_derive(&mut results, cfg, &history);
    // A form's balance rule that checked nothing, with the first of the form's files.
    let loaded = results.iter().filter(|r| r.submission.status == "loaded");
    let idle =
        crate::validate::idle_balance_rules(&rules, cfg, loaded.filter_map(|r| Some((r.submission.form.as_deref()?, r.submission.source_file.as_str()))));
    for issue in idle {
        if let Some(r) = results.iter_mut().find(|r| Some(r.submission.source_file.as_str()) == issue.source_file.as_deref()) {
            r.issues.push(issue);
        }
    }
    let mut report = CheckReport { files: Vec::new(), errors: 0, warnings: 0, info: 0, history_series: history.len(), rules };
    for r in results {
        let FileResult {
            submission: Submission { source_file, form, status, cells_read, values_landed, values_rejected, values_derived, .. }, mut issues, ..
        } = r;
        pipeline::sort_issues(&mut issues);
        // The Chinese message beside the English one (`--format json` has both; the text report shows one).
        for i in &mut issues {
            i.message_zh = Some(crate::i18n::issue_message_zh(i));
        }
        let n = |s: Severity| issues.iter().filter(|i| i.severity == s).count();
        let (e, w, i) = (n(Severity::Error), n(Severity::Warning), n(Severity::Info));
        report.errors += e;
        report.warnings += w;
        report.info += i;
        report.files.push(FileReport {
            file: source_file,
            form,
            status,
            cells_read,
            values_landed,
            values_rejected,
            values_derived,
            errors: e,
            warnings: w,
            info: i,
            issues,
        });
    }
    Ok(report)
}

/// The readable report: per file, per rule, one line per finding with its cell.
pub fn render_text(r: &CheckReport, show_info: bool) -> String {
    render_text_in(r, show_info, crate::i18n::Lang::En)
}

/// [`render_text`] in a language of the catalogue (rule ids and codes stay codes).
pub fn render_text_in(r: &CheckReport, show_info: bool, lang: crate::i18n::Lang) -> String {
    use crate::t;
    let shown = |prefix: &str, code: &str| {
        let id = format!("{prefix}-{code}");
        let s = crate::i18n::tr(lang, &id, &[]);
        if s == id {
            code.to_string()
        } else {
            s
        }
    };
    let mut out = String::new();
    for f in &r.files {
        let form = f.form.as_deref().unwrap_or("-");
        let status = shown("status", f.status.as_str());
        let line = t!(
            lang,
            "check-form",
            form = form,
            status = &status,
            cells = f.cells_read,
            landed = f.values_landed,
            rejected = f.values_rejected,
            errors = f.errors,
            warnings = f.warnings,
            info = f.info
        );
        let _ = writeln!(out, "{}\n  {line}", f.file);
        let mut by_rule: BTreeMap<(Severity, &str), Vec<&Issue>> = BTreeMap::new();
        for i in &f.issues {
            if i.severity == Severity::Info && !show_info {
                continue;
            }
            by_rule.entry((i.severity, i.rule)).or_default().push(i);
        }
        for ((sev, rule), list) in by_rule {
            let _ = writeln!(out, "  {}", t!(lang, "check-rule", severity = &shown("severity", sev.as_str()), rule = rule, n = list.len()));
            for i in list {
                let place = match (&i.source_sheet, &i.source_cell) {
                    (Some(s), Some(c)) => format!("{s}!{c}"),
                    (Some(s), None) => s.clone(),
                    _ => t!(lang, "check-place-file"),
                };
                // The Chinese message names its place and, mostly, what was found and expected.
                let (mut line, said) = match lang {
                    crate::i18n::Lang::En => (format!("    {place}: {}", i.message), String::new()),
                    crate::i18n::Lang::Zh => {
                        let m = crate::i18n::issue_message_zh(i);
                        (if m.starts_with(&place) { format!("    {m}") } else { format!("    {place}：{m}") }, m)
                    }
                };
                if let Some(o) = i.observed.as_ref().filter(|o| !said.contains(o.as_str())) {
                    let _ = write!(line, " — {}", t!(lang, "check-observed", v = o));
                }
                // ("see 表1!H11" of a withheld value: its Chinese message names the finding's cell.)
                if let Some(e) = i.expected.as_ref().filter(|e| !(said.contains(e.as_str()) || lang == crate::i18n::Lang::Zh && e.starts_with("see "))) {
                    let sep = if lang == crate::i18n::Lang::Zh { "，" } else { ", " };
                    let _ = write!(line, "{sep}{}", t!(lang, "check-expected", v = e));
                }
                let _ = writeln!(out, "{line}");
            }
        }
        if !show_info && f.info > 0 {
            let _ = writeln!(out, "  {}", t!(lang, "check-info-hidden", n = f.info));
        }
    }
    let history = if r.history_series > 0 { t!(lang, "check-history", series = r.history_series) } else { String::new() };
    let _ = writeln!(out, "{}", t!(lang, "check-total", files = r.files.len(), errors = r.errors, warnings = r.warnings, info = r.info, history = &history));
    out
}
