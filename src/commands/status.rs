//! `wcmon status`: who has sent what, per body, from the published `reporting.parquet`.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::i18n::Lang;
use crate::t;

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("{path}: no reporting table (run `wcmon run` first, with forms that declare a [schedule])")]
    Missing { path: String },
    #[error("{path}: {source}")]
    Read { path: String, source: PolarsError },
    #[error("{path}: no return is expected or received yet")]
    Empty { path: String },
    #[error("{path}: no return of year {year} is expected or received (years in the table: {years:?})")]
    NoYear { path: String, year: i32, years: Vec<i32> },
}

/// One return expected or received, as `status` lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Return {
    pub form: String,
    pub form_name: String,
    pub area: String,
    pub area_name: Option<String>,
    pub status: String,
    pub due: Option<String>,
    pub first_received: Option<String>,
    pub last_corrected: Option<String>,
    /// The files received, in the order of arrival (the last in force unless a correction mark says otherwise).
    pub files: Vec<String>,
}

/// One body's returns of the year.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Body {
    pub reporter: String,
    pub expected: usize,
    pub received: usize,
    pub on_time: usize,
    pub late: usize,
    pub missing: usize,
    pub pending: usize,
    pub corrected: usize,
    pub returns: Vec<Return>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusReport {
    pub year: i32,
    pub bodies: Vec<Body>,
}

/// Read `DB/reporting.parquet` and group the year's returns (default: the latest year in it) by body.
pub fn status(db: &Path, year: Option<i32>) -> Result<StatusReport, StatusError> {
    let path = db.join("reporting.parquet");
    let shown = path.display().to_string();
    let file = std::fs::File::open(&path).map_err(|_| StatusError::Missing { path: shown.clone() })?;
    use polars_io::SerReader as _;
    let df = polars_io::prelude::ParquetReader::new(file).finish().map_err(|source| StatusError::Read { path: shown.clone(), source })?;
    let read = |source| StatusError::Read { path: shown.clone(), source };
    let text = |c: &str| -> Result<Vec<Option<String>>, StatusError> {
        let col = df.column(c).map_err(read)?.str().map_err(read)?.clone();
        Ok(col.iter().map(|v| v.map(str::to_string)).collect())
    };
    let years: Vec<Option<i32>> = df.column("year").map_err(read)?.i32().map_err(read)?.iter().collect();
    let bools = |c: &str| -> Result<Vec<Option<bool>>, StatusError> { Ok(df.column(c).map_err(read)?.bool().map_err(read)?.iter().collect()) };
    let (form, form_name, reporter, area, area_name, status, due) =
        (text("form")?, text("form_name")?, text("reporter")?, text("area")?, text("area_name")?, text("status")?, text("due")?);
    let (first, corrected, files) = (text("first_received")?, text("last_corrected")?, text("source_files")?);
    let (expected, received, on_time) = (bools("expected")?, bools("received")?, bools("on_time")?);
    let all_years: std::collections::BTreeSet<i32> = years.iter().flatten().copied().collect();
    let year = match year.or_else(|| all_years.iter().next_back().copied()) {
        Some(y) if all_years.contains(&y) => y,
        Some(y) => return Err(StatusError::NoYear { path: shown, year: y, years: all_years.into_iter().collect() }),
        None => return Err(StatusError::Empty { path: shown }),
    };
    let mut bodies: BTreeMap<String, Body> = BTreeMap::new();
    for i in (0..df.height()).filter(|&i| years[i] == Some(year)) {
        let who = reporter[i].clone().unwrap_or_default();
        let b = bodies.entry(who.clone()).or_insert_with(|| Body { reporter: who, ..Default::default() });
        let st = status[i].clone().unwrap_or_default();
        if expected[i] == Some(true) {
            b.expected += 1;
        }
        if received[i] == Some(true) {
            b.received += 1;
        }
        if on_time[i] == Some(true) {
            b.on_time += 1;
        }
        match st.as_str() {
            "late" => b.late += 1,
            "missing" => b.missing += 1,
            "pending" => b.pending += 1,
            "corrected" => b.corrected += 1,
            _ => {}
        }
        b.returns.push(Return {
            form: form[i].clone().unwrap_or_default(),
            form_name: form_name[i].clone().unwrap_or_default(),
            area: area[i].clone().unwrap_or_default(),
            area_name: area_name[i].clone(),
            status: st,
            due: due[i].clone(),
            first_received: first[i].clone(),
            last_corrected: corrected[i].clone(),
            files: files[i].as_deref().map(|f| f.split("; ").map(str::to_string).collect()).unwrap_or_default(),
        });
    }
    Ok(StatusReport { year, bodies: bodies.into_values().collect() })
}

/// The report for people (in English; see [`render_text_in`]).
pub fn render_text(r: &StatusReport) -> String {
    render_text_in(r, Lang::En)
}

/// The report for people, in a language of the catalogue (statuses stay codes, with their label).
pub fn render_text_in(r: &StatusReport, lang: Lang) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let total = |f: fn(&Body) -> usize| r.bodies.iter().map(f).sum::<usize>();
    let head = t!(
        lang,
        "status-year",
        year = i64::from(r.year),
        expected = total(|b| b.expected),
        received = total(|b| b.received),
        late = total(|b| b.late),
        corrected = total(|b| b.corrected),
        missing = total(|b| b.missing),
        pending = total(|b| b.pending)
    );
    let _ = writeln!(out, "{head}");
    for b in &r.bodies {
        let line = t!(
            lang,
            "status-body",
            body = &b.reporter,
            expected = b.expected,
            received = b.received,
            late = b.late,
            missing = b.missing,
            pending = b.pending,
            corrected = b.corrected
        );
        let _ = writeln!(out, "{line}");
        for x in &b.returns {
            let area = x.area_name.clone().unwrap_or_else(|| x.area.clone());
            let when = match (&x.first_received, &x.last_corrected) {
                (Some(f), Some(c)) => t!(lang, "status-received-corrected", first = day(f), corrected = day(c)),
                (Some(f), None) => t!(lang, "status-received", first = day(f)),
                _ => String::new(),
            };
            let due = x.due.as_deref().map(|d| t!(lang, "status-due", due = d)).unwrap_or_default();
            let status = match lang {
                Lang::En => x.status.clone(),
                Lang::Zh => match crate::i18n::tr(lang, &format!("return-status-{}", x.status), &[]) {
                    label if label.starts_with("return-status-") => x.status.clone(),
                    label => format!("{label}·{}", x.status),
                },
            };
            let line = [format!("[{status}] {}", x.form), format!("《{}》", x.form_name), area, due, when];
            let _ = writeln!(out, "  {}", line.iter().filter(|p| !p.is_empty()).cloned().collect::<Vec<_>>().join(" "));
            for f in &x.files {
                let _ = writeln!(out, "      {f}");
            }
        }
    }
    out
}

impl StatusError {
    /// The error in a language of the catalogue.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            StatusError::Missing { path } => t!(lang, "status-err-missing", path = path),
            StatusError::Read { path, source } => t!(lang, "status-err-read", path = path, error = &source.to_string()),
            StatusError::Empty { path } => t!(lang, "status-err-empty", path = path),
            StatusError::NoYear { path, year, years } => {
                let list = years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ");
                t!(lang, "status-err-no-year", path = path, year = i64::from(*year), years = &list)
            }
        }
    }
}

fn day(t: &str) -> &str {
    t.get(..10).unwrap_or(t)
}
