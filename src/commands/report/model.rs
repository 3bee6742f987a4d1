//! The report's data: everything the HTML and the workbook show, loaded once from
//! a published database (`DB/current/`: its Parquet tables and `manifest.json`),
//! never from the returns.
//!
//! [`ReportModel::load`] reads the tables, keeps what concerns the report's area
//! (the area itself, and its direct children — the towns of a county), and hands
//! out typed rows. The writers (html, charts, the workbook) only read the model.
//!
//! Stable for the writers: fields are added, never renamed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;

/// What can go wrong loading a report's data; every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: no published database here (expected {path}/current/ with manifest.json; run `wcmon run --db {path}` first)")]
    NoDatabase { path: PathBuf },
    #[error("{path}: the table is missing from the database (was it published by an older wcmon? run `wcmon rebuild`)")]
    MissingTable { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot read the table: {source}")]
    Parquet { path: PathBuf, source: PolarsError },
    #[error("{path}: column `{column}` is missing or not of the expected type: {detail}")]
    Column { path: PathBuf, column: String, detail: String },
    #[error("{path}: manifest.json is not valid: {source}")]
    Manifest { path: PathBuf, source: serde_json::Error },
    #[error("area `{area}` is not in {path} (areas there: {known})")]
    UnknownArea { area: String, path: PathBuf, known: String },
    #[error("year {year} has no indicator values in {path} (years with data: {known})")]
    NoDataForYear { year: i32, path: PathBuf, known: String },
    #[error("{path}: no indicator values at all; nothing to report")]
    Empty { path: PathBuf },
    #[error(
        "year {year}: the database's progress statuses are computed for its latest year {latest}; a report for an earlier year is not supported (use --year {latest}, or a database version built from the returns up to {year})"
    )]
    YearNotAssessed { year: i32, latest: i32 },
    #[error("--since {version}: no such version in the database's changes (versions there: {known})")]
    UnknownVersion { version: String, known: String },
    #[error("unknown report kind `{0}` (annual, midterm or final)")]
    UnknownKind(String),
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("chart for {indicator}: {detail}")]
    Chart { indicator: String, detail: String },
}

/// Which report: the annual monitoring, or the mid-term (2025) / final (2030) evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportKind {
    /// The latest year against both targets.
    Annual,
    /// The 2025 evaluation: status against the 2025 targets, and the projection to 2030.
    Midterm,
    /// The 2030 evaluation.
    Final,
}

impl ReportKind {
    pub fn parse(s: &str) -> Result<ReportKind, ReportError> {
        match s {
            "annual" => Ok(ReportKind::Annual),
            "midterm" => Ok(ReportKind::Midterm),
            "final" => Ok(ReportKind::Final),
            other => Err(ReportError::UnknownKind(other.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Annual => "annual",
            ReportKind::Midterm => "midterm",
            ReportKind::Final => "final",
        }
    }

    /// 年度监测报告 / 中期评估报告 / 终期评估报告.
    pub fn zh(self) -> &'static str {
        crate::labels::zh(crate::labels::KINDS, self.as_str())
    }

    /// The target years whose status the report assesses (the columns of 进展状态).
    pub fn assessed_target_years(self) -> &'static [i32] {
        match self {
            ReportKind::Annual => &[2025, 2030],
            ReportKind::Midterm => &[2025],
            ReportKind::Final => &[2030],
        }
    }

    /// The target year the summary counts statuses for.
    pub fn headline_target_year(self) -> i32 {
        match self {
            ReportKind::Midterm => 2025,
            ReportKind::Annual | ReportKind::Final => 2030,
        }
    }

    /// The target years whose projection the report shows.
    pub fn projected_target_years(self) -> &'static [i32] {
        match self {
            ReportKind::Annual | ReportKind::Midterm => &[2025, 2030],
            ReportKind::Final => &[2030],
        }
    }
}

/// What the report is asked for.
#[derive(Debug, Clone)]
pub struct ModelOptions {
    /// The database folder (its `current/` is read).
    pub db: PathBuf,
    /// The report year; `None`: the latest year with indicator values.
    pub year: Option<i32>,
    pub kind: ReportKind,
    /// The area code; `None`: the root of the hierarchy (the county).
    pub area: Option<String>,
    /// `--since vNNNNNN`: list the values changed after that version.
    pub since: Option<String>,
}

/// The run that published the database (`manifest.json`).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct ManifestFacts {
    pub run_id: String,
    pub mode: String,
    pub tool: String,
    pub tool_version: String,
    pub started_at: String,
    pub finished_at: String,
    pub inbox: String,
    pub inputs_digest: String,
    pub files: usize,
    pub outcome: String,
    pub version: String,
    pub row_counts: BTreeMap<String, usize>,
    pub issues_by_severity: BTreeMap<String, usize>,
}

/// A row of `areas.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent: Option<String>,
    pub depth: u32,
}

/// One term of a numerator or denominator (`births[sex=F]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaTerm {
    pub data_element: String,
    pub sex: Option<String>,
    pub age: Option<String>,
    pub residence: Option<String>,
}

/// A catalogued indicator (a row of `indicators.parquet`).
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueRow {
    pub indicator: String,
    pub plan: String,
    pub domain: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub factor: Option<f64>,
    /// As published (`a + b[sex=F]`).
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    pub value_of: Option<String>,
    pub direction: String,
    pub target_kind: String,
    pub target_2025: Option<f64>,
    pub target_2030: Option<f64>,
    pub target_low: Option<f64>,
    pub target_high: Option<f64>,
    pub relative_change: Option<f64>,
    pub baseline_year: Option<i32>,
    pub baseline_value: Option<f64>,
    pub responsible: Option<String>,
    pub source: Option<String>,
    pub note: Option<String>,
}

impl CatalogueRow {
    /// A ratio (numerator / denominator × factor), which has a 95% interval.
    pub fn is_rate(&self) -> bool {
        self.numerator.is_some() && self.denominator.is_some()
    }

    pub fn numerator_terms(&self) -> Vec<FormulaTerm> {
        self.numerator.as_deref().map(parse_formula).unwrap_or_default()
    }

    pub fn denominator_terms(&self) -> Vec<FormulaTerm> {
        self.denominator.as_deref().map(parse_formula).unwrap_or_default()
    }

    pub fn value_terms(&self) -> Vec<FormulaTerm> {
        self.value_of.as_deref().map(parse_formula).unwrap_or_default()
    }

    /// The target for a target year (2025 or 2030).
    pub fn target(&self, year: i32) -> Option<f64> {
        match year {
            2025 => self.target_2025,
            2030 => self.target_2030,
            _ => None,
        }
    }
}

/// `a + b[sex=F,age=Y0T4]` → terms (the inverse of the catalogue's `formula_text`).
pub fn parse_formula(text: &str) -> Vec<FormulaTerm> {
    text.split(" + ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (de, pins) = match t.split_once('[') {
                Some((de, rest)) => (de.trim(), rest.trim_end_matches(']')),
                None => (t, ""),
            };
            let mut term = FormulaTerm { data_element: de.to_string(), sex: None, age: None, residence: None };
            for pin in pins.split(',').filter(|p| !p.is_empty()) {
                match pin.split_once('=') {
                    Some(("sex", v)) => term.sex = Some(v.to_string()),
                    Some(("age", v)) => term.age = Some(v.to_string()),
                    Some(("residence", v)) => term.residence = Some(v.to_string()),
                    _ => {}
                }
            }
            term
        })
        .collect()
}

/// A row of `progress.parquet` for the report's area.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRow {
    pub indicator: String,
    pub area: String,
    pub sex: String,
    pub age: String,
    pub target_year: i32,
    pub target_kind: String,
    pub target_value: Option<f64>,
    pub target_low: Option<f64>,
    pub target_high: Option<f64>,
    pub baseline_year: Option<i32>,
    pub baseline_value: Option<f64>,
    pub latest_year: Option<i32>,
    pub latest_value: Option<f64>,
    pub latest_ci_low: Option<f64>,
    pub latest_ci_high: Option<f64>,
    pub projected_value: Option<f64>,
    pub progress_ratio: Option<f64>,
    pub method: Option<String>,
    /// `annual` or `pooled_3y`.
    pub series: Option<String>,
    /// A status code (`achieved`, …; labels in [`crate::labels`]).
    pub status: String,
    /// Warning codes.
    pub warnings: Vec<String>,
    pub warning_text: Option<String>,
}

/// One indicator value of the report's area or of one of its children (`indicator_values`).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub indicator: String,
    pub area: String,
    pub year: i32,
    pub sex: String,
    pub age: String,
    pub residence: String,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub numerator_areas: Option<u32>,
    pub denominator_areas: Option<u32>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub ci_method: Option<String>,
    pub small_count: bool,
    pub obs_status: Option<String>,
    pub pooled_value: Option<f64>,
    pub pooled_numerator: Option<f64>,
    pub pooled_denominator: Option<f64>,
    pub pooled_ci_low: Option<f64>,
    pub pooled_ci_high: Option<f64>,
    pub pooled_from_year: Option<i32>,
}

/// A data element value behind a latest value (`data_values`): the area's own and
/// its children's, with the return, sheet and cell it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LineageRow {
    pub data_element: String,
    pub data_element_name: Option<String>,
    pub area: String,
    pub year: i32,
    pub sex: String,
    pub age: String,
    pub residence: String,
    pub value: Option<f64>,
    pub obs_status: Option<String>,
    /// Computed by wcmon (an aggregate of lower areas, or male = total − female).
    pub derived: bool,
    pub n_sources: Option<u32>,
    pub form: Option<String>,
    pub source_file: Option<String>,
    pub source_sheet: Option<String>,
    pub source_cell: Option<String>,
    pub submission: Option<String>,
    pub flags: Option<String>,
}

/// A row of `submissions.parquet` (one return).
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionRow {
    pub submission: String,
    pub form: Option<String>,
    pub reporter: Option<String>,
    pub year: Option<i32>,
    pub source_file: String,
    pub format: Option<String>,
    pub status: String,
    pub cells_read: i64,
    pub values_landed: i64,
    pub values_rejected: i64,
    pub values_superseded: i64,
    pub superseded_by: Option<String>,
}

/// A row of `issues.parquet` (errors and warnings; `info` findings are counted, not kept).
#[derive(Debug, Clone, PartialEq)]
pub struct IssueRow {
    pub severity: String,
    pub rule: String,
    pub message: String,
    pub source_file: Option<String>,
    pub source_sheet: Option<String>,
    pub source_cell: Option<String>,
    pub data_element: Option<String>,
    pub indicator: Option<String>,
    pub year: Option<i32>,
    pub area: Option<String>,
    pub observed: Option<String>,
    pub expected: Option<String>,
    pub form: Option<String>,
    pub submission: Option<String>,
    /// The body that sent the return (from `submissions.reporter`).
    pub reporter: Option<String>,
}

/// Returns and findings per body, for the data-quality annex.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BodyQuality {
    pub reporter: String,
    pub returns: usize,
    pub loaded: usize,
    pub superseded: usize,
    pub failed: usize,
    pub cells_read: i64,
    pub values_landed: i64,
    pub values_rejected: i64,
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
}

/// The data-quality annex.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataQuality {
    /// The returns of the report year (and those whose year could not be read), sorted by body and file.
    pub submissions: Vec<SubmissionRow>,
    /// Per body (sorted by body).
    pub bodies: Vec<BodyQuality>,
    /// Errors and warnings of those returns, in the issues table's order.
    pub issues: Vec<IssueRow>,
    /// Info findings of those returns (counted only).
    pub info_count: usize,
    /// Catalogued indicators with no value for the report's area (codes, catalogue order).
    pub no_data: Vec<String>,
}

/// A row of `changes.parquet` after `--since`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    pub version: String,
    pub kind: String,
    pub data_element: String,
    pub data_element_name: Option<String>,
    pub area: String,
    pub year: Option<i32>,
    pub sex: Option<String>,
    pub age: Option<String>,
    pub old_value: Option<f64>,
    pub new_value: Option<f64>,
    pub old_source_file: Option<String>,
    pub new_source_file: Option<String>,
    pub old_source_cell: Option<String>,
    pub new_source_cell: Option<String>,
    pub reason: Option<String>,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct ReportModel {
    /// The database folder given (`--db`).
    pub db: PathBuf,
    /// The folder the tables were read from (`DB/current/`, resolved).
    pub tables: PathBuf,
    pub manifest: ManifestFacts,
    pub kind: ReportKind,
    /// The report year.
    pub year: i32,
    /// Years with indicator values for the report's area, ascending.
    pub years: Vec<i32>,
    pub area: Area,
    /// The area's direct children (a county's towns), by code.
    pub children: Vec<Area>,
    /// The area's ancestors, root first.
    pub ancestors: Vec<Area>,
    /// Every area of the database, by code.
    pub areas: BTreeMap<String, Area>,
    /// The catalogue, sorted by plan (women first), domain (plan order), indicator.
    pub catalogue: Vec<CatalogueRow>,
    /// Progress rows of the report's area (all sexes, ages, target years).
    pub progress: Vec<ProgressRow>,
    /// Indicator values of the report's area up to the report year (all sexes, ages, residences).
    pub series: Vec<SeriesPoint>,
    /// Indicator values of the children for the report year (all ages, residence `_T`).
    pub towns: Vec<SeriesPoint>,
    /// Data element values behind the latest values: the area's and its children's,
    /// for the data elements of the catalogue's formulas and the years of the latest values.
    pub lineage: Vec<LineageRow>,
    pub quality: DataQuality,
    /// `--since`: the version given, and the changes after it (empty without `--since`).
    pub since: Option<String>,
    pub changes: Vec<ChangeRow>,
    /// Data element names (`data_elements.parquet`).
    pub data_element_names: BTreeMap<String, String>,
    /// Each indicator's headline age group: the age of its progress rows (infant
    /// mortality is `Y_LT1`), else `_T` when the area has values for it, else the
    /// first age it has values for. The series, charts and towns use it.
    pub headline_age: BTreeMap<String, String>,
}

impl ReportModel {
    /// Read the database and keep what the report needs.
    pub fn load(opts: &ModelOptions) -> Result<ReportModel, ReportError> {
        load(opts)
    }

    pub fn indicator(&self, code: &str) -> Option<&CatalogueRow> {
        self.catalogue.iter().find(|c| c.indicator == code)
    }

    /// An indicator's headline age group (see [`ReportModel::headline_age`]).
    pub fn age_of(&self, indicator: &str) -> &str {
        self.headline_age.get(indicator).map(String::as_str).unwrap_or("_T")
    }

    /// The area's progress row for (indicator, sex, the headline age unless no such row, target year).
    pub fn progress_for(&self, indicator: &str, sex: &str, target_year: i32) -> Option<&ProgressRow> {
        let age = self.age_of(indicator);
        let rows = || self.progress.iter().filter(|p| p.indicator == indicator && p.sex == sex && p.target_year == target_year);
        rows().find(|p| p.age == age).or_else(|| rows().next())
    }

    /// The sexes an indicator has progress rows for (`_T` first, then F, M).
    pub fn progress_sexes(&self, indicator: &str) -> Vec<String> {
        let set: BTreeSet<&str> = self.progress.iter().filter(|p| p.indicator == indicator).map(|p| p.sex.as_str()).collect();
        sort_sexes(set.into_iter().map(str::to_string).collect())
    }

    /// The headline row of an indicator: `_T` when there is one, else the first sex.
    pub fn headline_progress(&self, indicator: &str, target_year: i32) -> Option<&ProgressRow> {
        self.progress_sexes(indicator).first().and_then(|s| self.progress_for(indicator, s, target_year))
    }

    /// The area's series for (indicator, sex), the headline age, residence `_T`, by year.
    pub fn series_for(&self, indicator: &str, sex: &str) -> Vec<&SeriesPoint> {
        let age = self.age_of(indicator);
        self.series.iter().filter(|p| p.indicator == indicator && p.sex == sex && p.age == age && p.residence == "_T").collect()
    }

    /// The sexes the area has values for (headline age, residence `_T`), `_T` first.
    pub fn series_sexes(&self, indicator: &str) -> Vec<String> {
        let age = self.age_of(indicator);
        let set: BTreeSet<&str> =
            self.series.iter().filter(|p| p.indicator == indicator && p.age == age && p.residence == "_T").map(|p| p.sex.as_str()).collect();
        sort_sexes(set.into_iter().map(str::to_string).collect())
    }

    /// Whether an indicator has any value for the report's area.
    pub fn has_data(&self, indicator: &str) -> bool {
        self.series.iter().any(|p| p.indicator == indicator && p.value.is_some())
    }

    /// The area's value for (indicator, year, sex), the headline age, residence `_T`.
    pub fn value_at(&self, indicator: &str, year: i32, sex: &str) -> Option<&SeriesPoint> {
        let age = self.age_of(indicator);
        self.series.iter().find(|p| p.indicator == indicator && p.year == year && p.sex == sex && p.age == age && p.residence == "_T")
    }

    /// The children's values of an indicator for the report year and a sex (headline age), highest first (no value last).
    pub fn towns_for(&self, indicator: &str, sex: &str) -> Vec<&SeriesPoint> {
        let age = self.age_of(indicator);
        let mut v: Vec<&SeriesPoint> = self.towns.iter().filter(|p| p.indicator == indicator && p.sex == sex && p.age == age).collect();
        v.sort_by(|a, b| match (a.value, b.value) {
            (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.area.cmp(&b.area)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.area.cmp(&b.area),
        });
        v
    }

    /// The data element values behind an indicator's value for (year, sex, age): for each
    /// term of the numerator (or the reported value) and the denominator, the area's own
    /// row and its children's rows. Returns (numerator rows, denominator rows).
    pub fn lineage_for(&self, indicator: &str, year: i32, sex: &str, age: &str) -> (Vec<&LineageRow>, Vec<&LineageRow>) {
        let Some(c) = self.indicator(indicator) else { return (Vec::new(), Vec::new()) };
        let pick = |terms: Vec<FormulaTerm>| -> Vec<&LineageRow> {
            let mut out = Vec::new();
            for t in terms {
                let (s, r) = (t.sex.as_deref().unwrap_or(sex), t.residence.as_deref().unwrap_or("_T"));
                let rows = |a: &str| -> Vec<&LineageRow> {
                    self.lineage.iter().filter(|l| l.data_element == t.data_element && l.year == year && l.sex == s && l.age == a && l.residence == r).collect()
                };
                // A pinned age, else the indicator row's age; an indicator of an age group
                // computed from all-ages counts (infant deaths / live births) reads them at `_T`.
                let found = match t.age.as_deref() {
                    Some(a) => rows(a),
                    None => {
                        let v = rows(age);
                        if v.is_empty() {
                            rows("_T")
                        } else {
                            v
                        }
                    }
                };
                out.extend(found);
            }
            out
        };
        let num = if c.value_of.is_some() && c.numerator.is_none() { pick(c.value_terms()) } else { pick(c.numerator_terms()) };
        (num, pick(c.denominator_terms()))
    }

    /// An area's Chinese name (the code when unknown).
    pub fn area_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.areas.get(code).map(|a| a.name.as_str()).unwrap_or(code)
    }

    /// The catalogue's (plan, domain) groups in report order, each with its indicators.
    pub fn sections(&self) -> Vec<(&str, &str, Vec<&CatalogueRow>)> {
        let mut out: Vec<(&str, &str, Vec<&CatalogueRow>)> = Vec::new();
        for c in &self.catalogue {
            match out.last_mut() {
                Some((p, d, v)) if *p == c.plan && *d == c.domain => v.push(c),
                _ => out.push((c.plan.as_str(), c.domain.as_str(), vec![c])),
            }
        }
        out
    }

    /// Status counts for the summary: (plan, domain) → status → indicators, at the
    /// headline target year, by the headline row of each indicator (indicators with a
    /// numeric target only; directional ones have no progress row).
    pub fn status_counts(&self) -> BTreeMap<(String, String), BTreeMap<String, usize>> {
        let ty = self.kind.headline_target_year();
        let mut out: BTreeMap<(String, String), BTreeMap<String, usize>> = BTreeMap::new();
        for c in &self.catalogue {
            if let Some(p) = self.headline_progress(&c.indicator, ty) {
                *out.entry((c.plan.clone(), c.domain.clone())).or_default().entry(p.status.clone()).or_default() += 1;
            }
        }
        out
    }

    /// The early-warning list: progress rows of the assessed target years with an early
    /// warning (预计难以完成, 波动较大, 倒退, 达标后回落, 最新年份缺数), most urgent first,
    /// then catalogue order. `no_data` and `not_distinguishable` alone are not early
    /// warnings (the indicator table and the data-quality annex show them).
    pub fn warning_rows(&self) -> Vec<&ProgressRow> {
        let order: BTreeMap<&str, usize> = self.catalogue.iter().enumerate().map(|(i, c)| (c.indicator.as_str(), i)).collect();
        let years = self.kind.assessed_target_years();
        let mut v: Vec<&ProgressRow> =
            self.progress.iter().filter(|p| years.contains(&p.target_year) && p.warnings.iter().any(|w| is_early_warning(w))).collect();
        let urgency = |p: &ProgressRow| p.warnings.iter().map(|w| crate::labels::warning_rank(w)).min().unwrap_or(usize::MAX);
        v.sort_by(|a, b| {
            (urgency(a), order.get(a.indicator.as_str()), sex_rank(&a.sex), &a.age, a.target_year).cmp(&(
                urgency(b),
                order.get(b.indicator.as_str()),
                sex_rank(&b.sex),
                &b.age,
                b.target_year,
            ))
        });
        v
    }
}

/// The warnings the plans call early warnings (difficult to achieve, fluctuating, …).
pub fn is_early_warning(code: &str) -> bool {
    !matches!(code, "no_data" | "not_distinguishable")
}

fn sex_rank(s: &str) -> usize {
    match s {
        "_T" => 0,
        "F" => 1,
        "M" => 2,
        _ => 3,
    }
}

fn sort_sexes(mut v: Vec<String>) -> Vec<String> {
    v.sort_by(|a, b| (sex_rank(a), a).cmp(&(sex_rank(b), b)));
    v
}

// ---------------------------------------------------------------- reading

fn read_parquet(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame, ReportError> {
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

/// The year partitions of a hive-partitioned table (`dir/year=YYYY/*.parquet`), sorted.
fn year_files(dir: &Path) -> Result<Vec<(i32, PathBuf)>, ReportError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReportError::MissingTable { path: dir.to_path_buf() }),
        Err(source) => return Err(ReportError::Io { path: dir.to_path_buf(), source }),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|source| ReportError::Io { path: dir.to_path_buf(), source })?;
        let p = e.path();
        let Some(year) = p.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("year=")).and_then(|y| y.parse::<i32>().ok()) else {
            continue;
        };
        let files = std::fs::read_dir(&p).map_err(|source| ReportError::Io { path: p.clone(), source })?;
        for f in files {
            let f = f.map_err(|source| ReportError::Io { path: p.clone(), source })?.path();
            if f.extension().is_some_and(|x| x == "parquet") {
                out.push((year, f));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Typed access to a frame's columns, with the path in every error.
struct Cols<'a> {
    df: &'a DataFrame,
    path: &'a Path,
}

impl Cols<'_> {
    fn err(&self, column: &str, detail: impl std::fmt::Display) -> ReportError {
        ReportError::Column { path: self.path.to_path_buf(), column: column.to_string(), detail: detail.to_string() }
    }

    fn cast(&self, name: &str, dt: &DataType) -> Result<Column, ReportError> {
        let c = self.df.column(name).map_err(|e| self.err(name, e))?;
        c.cast(dt).map_err(|e| self.err(name, e))
    }

    fn has(&self, name: &str) -> bool {
        self.df.column(name).is_ok()
    }

    fn strs(&self, name: &str) -> Result<Vec<Option<String>>, ReportError> {
        let c = self.cast(name, &DataType::String)?;
        Ok(c.str().map_err(|e| self.err(name, e))?.iter().map(|s| s.map(str::to_string)).collect())
    }

    /// A column that newer databases have: all `None` when absent.
    fn opt_strs(&self, name: &str) -> Result<Vec<Option<String>>, ReportError> {
        if self.has(name) {
            self.strs(name)
        } else {
            Ok(vec![None; self.df.height()])
        }
    }

    fn f64s(&self, name: &str) -> Result<Vec<Option<f64>>, ReportError> {
        let c = self.cast(name, &DataType::Float64)?;
        Ok(c.f64().map_err(|e| self.err(name, e))?.iter().collect())
    }

    fn opt_f64s(&self, name: &str) -> Result<Vec<Option<f64>>, ReportError> {
        if self.has(name) {
            self.f64s(name)
        } else {
            Ok(vec![None; self.df.height()])
        }
    }

    fn i64s(&self, name: &str) -> Result<Vec<Option<i64>>, ReportError> {
        let c = self.cast(name, &DataType::Int64)?;
        Ok(c.i64().map_err(|e| self.err(name, e))?.iter().collect())
    }

    fn i32s(&self, name: &str) -> Result<Vec<Option<i32>>, ReportError> {
        Ok(self.i64s(name)?.into_iter().map(|v| v.and_then(|v| i32::try_from(v).ok())).collect())
    }

    fn u32s(&self, name: &str) -> Result<Vec<Option<u32>>, ReportError> {
        if !self.has(name) {
            return Ok(vec![None; self.df.height()]);
        }
        Ok(self.i64s(name)?.into_iter().map(|v| v.and_then(|v| u32::try_from(v).ok())).collect())
    }

    fn bools(&self, name: &str) -> Result<Vec<Option<bool>>, ReportError> {
        if !self.has(name) {
            return Ok(vec![None; self.df.height()]);
        }
        let c = self.cast(name, &DataType::Boolean)?;
        Ok(c.bool().map_err(|e| self.err(name, e))?.iter().collect())
    }
}

/// The rows of `df` whose `column` is in `keep`.
fn filter_in(df: DataFrame, column: &str, keep: &BTreeSet<String>, path: &Path) -> Result<DataFrame, ReportError> {
    let cols = Cols { df: &df, path };
    let mask: BooleanChunked = {
        let c = cols.cast(column, &DataType::String)?;
        let s = c.str().map_err(|e| cols.err(column, e))?;
        s.iter().map(|v| Some(v.is_some_and(|v| keep.contains(v)))).collect()
    };
    df.filter(&mask).map_err(|source| ReportError::Parquet { path: path.to_path_buf(), source })
}

fn s(v: &mut [Option<String>], i: usize) -> String {
    v[i].take().unwrap_or_default()
}

fn load(opts: &ModelOptions) -> Result<ReportModel, ReportError> {
    let db = &opts.db;
    let current = db.join("current");
    let manifest_path = current.join("manifest.json");
    if !manifest_path.is_file() {
        return Err(ReportError::NoDatabase { path: db.clone() });
    }
    let tables = std::fs::canonicalize(&current).map_err(|source| ReportError::Io { path: current.clone(), source })?;
    let text = std::fs::read_to_string(&manifest_path).map_err(|source| ReportError::Io { path: manifest_path.clone(), source })?;
    let manifest: ManifestFacts = serde_json::from_str(&text).map_err(|source| ReportError::Manifest { path: manifest_path.clone(), source })?;

    // Areas.
    let areas_path = tables.join("areas.parquet");
    let df = read_parquet(&areas_path, None)?;
    let c = Cols { df: &df, path: &areas_path };
    let (mut code, mut name, mut level, mut parent) = (c.strs("area")?, c.strs("name_zh")?, c.opt_strs("level")?, c.opt_strs("parent")?);
    let depth = c.u32s("depth")?;
    let mut areas = BTreeMap::new();
    for i in 0..df.height() {
        let a = Area { code: s(&mut code, i), name: s(&mut name, i), level: s(&mut level, i), parent: parent[i].take(), depth: depth[i].unwrap_or(0) };
        areas.insert(a.code.clone(), a);
    }
    let area = match &opts.area {
        Some(code) => areas.get(code).cloned().ok_or_else(|| ReportError::UnknownArea {
            area: code.clone(),
            path: areas_path.clone(),
            known: areas.values().take(40).map(|a| format!("{} {}", a.code, a.name)).collect::<Vec<_>>().join(", "),
        })?,
        None => {
            let mut roots: Vec<&Area> = areas.values().filter(|a| a.parent.as_deref().is_none_or(|p| !areas.contains_key(p))).collect();
            roots.sort_by(|a, b| (a.depth, &a.code).cmp(&(b.depth, &b.code)));
            roots.first().map(|a| (*a).clone()).ok_or_else(|| ReportError::Empty { path: areas_path.clone() })?
        }
    };
    let children: Vec<Area> = areas.values().filter(|a| a.parent.as_deref() == Some(area.code.as_str())).cloned().collect();
    let mut ancestors = Vec::new();
    let mut up = area.parent.clone();
    while let Some(p) = up {
        match areas.get(&p) {
            Some(a) if ancestors.len() < 64 => {
                ancestors.push(a.clone());
                up = a.parent.clone();
            }
            _ => break,
        }
    }
    ancestors.reverse();

    // Catalogue.
    let cat_path = tables.join("indicators.parquet");
    let df = read_parquet(&cat_path, None)?;
    let c = Cols { df: &df, path: &cat_path };
    let (mut ind, mut plan, mut domain, mut name_zh, mut name_en, mut unit) =
        (c.strs("indicator")?, c.strs("plan")?, c.strs("domain")?, c.strs("name_zh")?, c.opt_strs("name_en")?, c.opt_strs("unit")?);
    let (mut num, mut den, mut value_of, mut direction, mut target_kind) =
        (c.opt_strs("numerator")?, c.opt_strs("denominator")?, c.opt_strs("value_of")?, c.opt_strs("direction")?, c.opt_strs("target_kind")?);
    let (factor, t25, t30, tlo, thi, rel, bval) = (
        c.opt_f64s("factor")?,
        c.opt_f64s("target_2025")?,
        c.opt_f64s("target_2030")?,
        c.opt_f64s("target_low")?,
        c.opt_f64s("target_high")?,
        c.opt_f64s("relative_change")?,
        c.opt_f64s("baseline_value")?,
    );
    let byear = if c.has("baseline_year") { c.i32s("baseline_year")? } else { vec![None; df.height()] };
    let (mut resp, mut source, mut note) = (c.opt_strs("responsible")?, c.opt_strs("source")?, c.opt_strs("note")?);
    let mut catalogue = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        catalogue.push(CatalogueRow {
            indicator: s(&mut ind, i),
            plan: s(&mut plan, i),
            domain: s(&mut domain, i),
            name_zh: s(&mut name_zh, i),
            name_en: s(&mut name_en, i),
            unit: s(&mut unit, i),
            factor: factor[i],
            numerator: num[i].take(),
            denominator: den[i].take(),
            value_of: value_of[i].take(),
            direction: s(&mut direction, i),
            target_kind: s(&mut target_kind, i),
            target_2025: t25[i],
            target_2030: t30[i],
            target_low: tlo[i],
            target_high: thi[i],
            relative_change: rel[i],
            baseline_year: byear[i],
            baseline_value: bval[i],
            responsible: resp[i].take(),
            source: source[i].take(),
            note: note[i].take(),
        });
    }
    let plan_rank = |p: &str| crate::labels::PLANS.iter().position(|x| x.code == p).unwrap_or(usize::MAX);
    catalogue.sort_by(|a, b| {
        (plan_rank(&a.plan), &a.plan, crate::labels::domain_rank(&a.domain), &a.domain, &a.indicator).cmp(&(
            plan_rank(&b.plan),
            &b.plan,
            crate::labels::domain_rank(&b.domain),
            &b.domain,
            &b.indicator,
        ))
    });

    // Data element names.
    let de_path = tables.join("data_elements.parquet");
    let mut data_element_names = BTreeMap::new();
    if de_path.is_file() {
        let df = read_parquet(&de_path, Some(&["data_element", "name_zh"]))?;
        let c = Cols { df: &df, path: &de_path };
        for (k, v) in c.strs("data_element")?.into_iter().zip(c.strs("name_zh")?) {
            if let (Some(k), Some(v)) = (k, v) {
                data_element_names.insert(k, v);
            }
        }
    }

    // Indicator values: the area's series and the children's values.
    let iv_dir = tables.join("indicator_values");
    let iv_files = year_files(&iv_dir)?;
    let mut wanted: BTreeSet<String> = children.iter().map(|a| a.code.clone()).collect();
    wanted.insert(area.code.clone());
    let mut all_points: Vec<SeriesPoint> = Vec::new();
    for (year, f) in &iv_files {
        let df = filter_in(read_parquet(f, None)?, "area", &wanted, f)?;
        read_points(&df, f, *year, &mut all_points)?;
    }
    if iv_files.is_empty() {
        return Err(ReportError::Empty { path: iv_dir });
    }
    let years: Vec<i32> = all_points.iter().filter(|p| p.area == area.code && p.value.is_some()).map(|p| p.year).collect::<BTreeSet<_>>().into_iter().collect();
    let Some(&latest) = years.last() else {
        return Err(ReportError::Empty { path: iv_dir });
    };
    let year = opts.year.unwrap_or(latest);
    if !years.contains(&year) {
        return Err(ReportError::NoDataForYear { year, path: iv_dir, known: years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ") });
    }

    // Progress of the area.
    let pr_path = tables.join("progress.parquet");
    let progress = filter_in(read_parquet(&pr_path, None)?, "area", &BTreeSet::from([area.code.clone()]), &pr_path)?;
    let progress = read_progress(&progress, &pr_path)?;
    let progress_latest = progress.iter().filter_map(|p| p.latest_year).max();
    if let Some(l) = progress_latest {
        if year < l {
            return Err(ReportError::YearNotAssessed { year, latest: l });
        }
    }

    let (series, towns): (Vec<SeriesPoint>, Vec<SeriesPoint>) = all_points.into_iter().filter(|p| p.year <= year).partition(|p| p.area == area.code);
    let towns: Vec<SeriesPoint> = towns.into_iter().filter(|p| p.year == year && p.residence == "_T").collect();
    let mut headline_age: BTreeMap<String, String> = BTreeMap::new();
    for c in &catalogue {
        let ages_p: BTreeSet<&str> = progress.iter().filter(|p| p.indicator == c.indicator).map(|p| p.age.as_str()).collect();
        let ages_s: BTreeSet<&str> = series.iter().filter(|p| p.indicator == c.indicator && p.value.is_some()).map(|p| p.age.as_str()).collect();
        let pick = |set: &BTreeSet<&str>| if set.contains("_T") { Some("_T".to_string()) } else { set.iter().next().map(|a| a.to_string()) };
        if let Some(a) = pick(&ages_p).or_else(|| pick(&ages_s)) {
            headline_age.insert(c.indicator.clone(), a);
        }
    }

    // Lineage: the data elements of the formulas, for the years of the latest values.
    let mut lineage_years: BTreeSet<i32> = progress.iter().filter_map(|p| p.latest_year).filter(|y| *y <= year).collect();
    lineage_years.insert(year);
    let elements: BTreeSet<String> =
        catalogue.iter().flat_map(|c| c.numerator_terms().into_iter().chain(c.denominator_terms()).chain(c.value_terms())).map(|t| t.data_element).collect();
    let dv_dir = tables.join("data_values");
    let mut lineage = Vec::new();
    let mut year_submissions: BTreeSet<String> = BTreeSet::new();
    for (y, f) in year_files(&dv_dir)? {
        if !lineage_years.contains(&y) {
            continue;
        }
        let df = filter_in(read_parquet(&f, None)?, "area", &wanted, &f)?;
        if y == year {
            let c = Cols { df: &df, path: &f };
            year_submissions.extend(c.opt_strs("submission")?.into_iter().flatten());
        }
        let df = filter_in(df, "data_element", &elements, &f)?;
        read_lineage(&df, &f, y, &data_element_names, &mut lineage)?;
    }

    // Data quality.
    let is_root = area.parent.as_deref().is_none_or(|p| !areas.contains_key(p));
    let quality = read_quality(&tables, year, is_root, &wanted, &year_submissions, &catalogue, &series)?;

    // Changes since a version.
    let changes = match &opts.since {
        Some(v) => read_changes(&tables, v, &wanted, &data_element_names)?,
        None => Vec::new(),
    };

    Ok(ReportModel {
        db: db.clone(),
        tables,
        manifest,
        kind: opts.kind,
        year,
        years: years.into_iter().filter(|y| *y <= year).collect(),
        area,
        children,
        ancestors,
        areas,
        catalogue,
        progress,
        series,
        towns,
        lineage,
        quality,
        since: opts.since.clone(),
        changes,
        data_element_names,
        headline_age,
    })
}

fn read_points(df: &DataFrame, path: &Path, year: i32, out: &mut Vec<SeriesPoint>) -> Result<(), ReportError> {
    let c = Cols { df, path };
    let (mut ind, mut area, mut sex, mut age, mut res) = (c.strs("indicator")?, c.strs("area")?, c.strs("sex")?, c.strs("age")?, c.strs("residence")?);
    let (value, num, den, lo, hi) = (c.f64s("value")?, c.opt_f64s("numerator")?, c.opt_f64s("denominator")?, c.opt_f64s("ci_low")?, c.opt_f64s("ci_high")?);
    let (na, da) = (c.u32s("numerator_areas")?, c.u32s("denominator_areas")?);
    let (mut ci_method, small, mut obs) = (c.opt_strs("ci_method")?, c.bools("small_count")?, c.opt_strs("obs_status")?);
    let (pv, pn, pd, plo, phi) = (
        c.opt_f64s("pooled_value")?,
        c.opt_f64s("pooled_numerator")?,
        c.opt_f64s("pooled_denominator")?,
        c.opt_f64s("pooled_ci_low")?,
        c.opt_f64s("pooled_ci_high")?,
    );
    let pfy = if c.has("pooled_from_year") { c.i32s("pooled_from_year")? } else { vec![None; df.height()] };
    for i in 0..df.height() {
        out.push(SeriesPoint {
            indicator: s(&mut ind, i),
            area: s(&mut area, i),
            year,
            sex: s(&mut sex, i),
            age: s(&mut age, i),
            residence: s(&mut res, i),
            value: value[i].filter(|v| v.is_finite()),
            numerator: num[i],
            denominator: den[i],
            numerator_areas: na[i],
            denominator_areas: da[i],
            ci_low: lo[i].filter(|v| v.is_finite()),
            ci_high: hi[i].filter(|v| v.is_finite()),
            ci_method: ci_method[i].take(),
            small_count: small[i].unwrap_or(false),
            obs_status: obs[i].take(),
            pooled_value: pv[i].filter(|v| v.is_finite()),
            pooled_numerator: pn[i],
            pooled_denominator: pd[i],
            pooled_ci_low: plo[i].filter(|v| v.is_finite()),
            pooled_ci_high: phi[i].filter(|v| v.is_finite()),
            pooled_from_year: pfy[i],
        });
    }
    Ok(())
}

fn read_progress(df: &DataFrame, path: &Path) -> Result<Vec<ProgressRow>, ReportError> {
    let c = Cols { df, path };
    let (mut ind, mut area, mut sex, mut age, mut kind) = (c.strs("indicator")?, c.strs("area")?, c.strs("sex")?, c.strs("age")?, c.opt_strs("target_kind")?);
    let ty = c.i32s("target_year")?;
    let (tv, tlo, thi, bv, lv, llo, lhi, pv, ratio) = (
        c.opt_f64s("target_value")?,
        c.opt_f64s("target_low")?,
        c.opt_f64s("target_high")?,
        c.opt_f64s("baseline_value")?,
        c.opt_f64s("latest_value")?,
        c.opt_f64s("latest_ci_low")?,
        c.opt_f64s("latest_ci_high")?,
        c.opt_f64s("projected_value")?,
        c.opt_f64s("progress_ratio")?,
    );
    let by = if c.has("baseline_year") { c.i32s("baseline_year")? } else { vec![None; df.height()] };
    let ly = if c.has("latest_year") { c.i32s("latest_year")? } else { vec![None; df.height()] };
    let (mut method, mut series, mut status, warnings, mut wtext) =
        (c.opt_strs("method")?, c.opt_strs("series")?, c.strs("status")?, c.opt_strs("warnings")?, c.opt_strs("warning_text")?);
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(target_year) = ty[i] else { continue };
        out.push(ProgressRow {
            indicator: s(&mut ind, i),
            area: s(&mut area, i),
            sex: s(&mut sex, i),
            age: s(&mut age, i),
            target_year,
            target_kind: s(&mut kind, i),
            target_value: tv[i],
            target_low: tlo[i],
            target_high: thi[i],
            baseline_year: by[i],
            baseline_value: bv[i],
            latest_year: ly[i],
            latest_value: lv[i].filter(|v| v.is_finite()),
            latest_ci_low: llo[i].filter(|v| v.is_finite()),
            latest_ci_high: lhi[i].filter(|v| v.is_finite()),
            projected_value: pv[i].filter(|v| v.is_finite()),
            progress_ratio: ratio[i].filter(|v| v.is_finite()),
            method: method[i].take(),
            series: series[i].take(),
            status: s(&mut status, i),
            warnings: warnings[i]
                .as_deref()
                .map(|w| w.split([',', ';', ' ']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect())
                .unwrap_or_default(),
            warning_text: wtext[i].take(),
        });
    }
    Ok(out)
}

fn read_lineage(df: &DataFrame, path: &Path, year: i32, names: &BTreeMap<String, String>, out: &mut Vec<LineageRow>) -> Result<(), ReportError> {
    let c = Cols { df, path };
    let (mut de, mut area, mut sex, mut age, mut res) = (c.strs("data_element")?, c.strs("area")?, c.strs("sex")?, c.strs("age")?, c.strs("residence")?);
    let (value, mut obs, derived, n_sources) = (c.f64s("value")?, c.opt_strs("obs_status")?, c.bools("derived")?, c.u32s("n_sources")?);
    let (mut form, mut file, mut sheet, mut cell, mut sub, mut flags) = (
        c.opt_strs("form")?,
        c.opt_strs("source_file")?,
        c.opt_strs("source_sheet")?,
        c.opt_strs("source_cell")?,
        c.opt_strs("submission")?,
        c.opt_strs("flags")?,
    );
    for i in 0..df.height() {
        let data_element = s(&mut de, i);
        out.push(LineageRow {
            data_element_name: names.get(&data_element).cloned(),
            data_element,
            area: s(&mut area, i),
            year,
            sex: s(&mut sex, i),
            age: s(&mut age, i),
            residence: s(&mut res, i),
            value: value[i],
            obs_status: obs[i].take(),
            derived: derived[i].unwrap_or(false),
            n_sources: n_sources[i],
            form: form[i].take(),
            source_file: file[i].take(),
            source_sheet: sheet[i].take(),
            source_cell: cell[i].take(),
            submission: sub[i].take(),
            flags: flags[i].take(),
        });
    }
    Ok(())
}

/// Submissions and findings of the report year. For the root area every return of
/// the year counts; for a lower area, the returns whose values or findings are in
/// its subtree (the area and its children).
fn read_quality(
    tables: &Path,
    year: i32,
    is_root: bool,
    areas: &BTreeSet<String>,
    year_submissions: &BTreeSet<String>,
    catalogue: &[CatalogueRow],
    series: &[SeriesPoint],
) -> Result<DataQuality, ReportError> {
    let sub_path = tables.join("submissions.parquet");
    let df = read_parquet(&sub_path, None)?;
    let c = Cols { df: &df, path: &sub_path };
    let (mut id, mut form, mut reporter, mut file, mut format, mut status, mut by) = (
        c.strs("submission")?,
        c.opt_strs("form")?,
        c.opt_strs("reporter")?,
        c.strs("source_file")?,
        c.opt_strs("format")?,
        c.strs("status")?,
        c.opt_strs("superseded_by")?,
    );
    let yr = c.i32s("year")?;
    let (cr, vl, vr) = (c.i64s("cells_read")?, c.i64s("values_landed")?, c.i64s("values_rejected")?);
    let vs = if c.has("values_superseded") { c.i64s("values_superseded")? } else { vec![None; df.height()] };
    let mut all = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        all.push(SubmissionRow {
            submission: s(&mut id, i),
            form: form[i].take(),
            reporter: reporter[i].take(),
            year: yr[i],
            source_file: s(&mut file, i),
            format: format[i].take(),
            status: s(&mut status, i),
            cells_read: cr[i].unwrap_or(0),
            values_landed: vl[i].unwrap_or(0),
            values_rejected: vr[i].unwrap_or(0),
            values_superseded: vs[i].unwrap_or(0),
            superseded_by: by[i].take(),
        });
    }

    let iss_path = tables.join("issues.parquet");
    let df = read_parquet(&iss_path, None)?;
    let c = Cols { df: &df, path: &iss_path };
    let (mut sev, mut rule, mut msg) = (c.strs("severity")?, c.strs("rule")?, c.strs("message")?);
    let (mut file, mut sheet, mut cell, mut de, mut ind, mut area, mut obs, mut exp, mut form, mut sub) = (
        c.opt_strs("source_file")?,
        c.opt_strs("source_sheet")?,
        c.opt_strs("source_cell")?,
        c.opt_strs("data_element")?,
        c.opt_strs("indicator")?,
        c.opt_strs("area")?,
        c.opt_strs("observed")?,
        c.opt_strs("expected")?,
        c.opt_strs("form")?,
        c.opt_strs("submission")?,
    );
    let iyear = c.i32s("year")?;
    let mut issues_all = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        issues_all.push(IssueRow {
            severity: s(&mut sev, i),
            rule: s(&mut rule, i),
            message: s(&mut msg, i),
            source_file: file[i].take(),
            source_sheet: sheet[i].take(),
            source_cell: cell[i].take(),
            data_element: de[i].take(),
            indicator: ind[i].take(),
            year: iyear[i],
            area: area[i].take(),
            observed: obs[i].take(),
            expected: exp[i].take(),
            form: form[i].take(),
            submission: sub[i].take(),
            reporter: None,
        });
    }

    // Which returns: of the report year (or of no readable year), and for a lower area,
    // those with values or findings in its subtree.
    let mut in_scope: BTreeSet<String> = year_submissions.clone();
    if !is_root {
        for i in &issues_all {
            if let (Some(a), Some(sub)) = (&i.area, &i.submission) {
                if areas.contains(a) {
                    in_scope.insert(sub.clone());
                }
            }
        }
    }
    let submissions: Vec<SubmissionRow> = {
        let mut v: Vec<SubmissionRow> =
            all.into_iter().filter(|s| (s.year == Some(year) || s.year.is_none()) && (is_root || in_scope.contains(&s.submission))).collect();
        v.sort_by(|a, b| (&a.reporter, &a.source_file, &a.submission).cmp(&(&b.reporter, &b.source_file, &b.submission)));
        v
    };
    let by_id: BTreeMap<&str, &SubmissionRow> = submissions.iter().map(|s| (s.submission.as_str(), s)).collect();
    let by_file: BTreeMap<&str, &SubmissionRow> = submissions.iter().map(|s| (s.source_file.as_str(), s)).collect();
    let mut issues = Vec::new();
    let mut info_count = 0;
    let mut bodies: BTreeMap<String, BodyQuality> = BTreeMap::new();
    for s in &submissions {
        let body = s.reporter.clone().unwrap_or_else(|| "(未识别)".to_string());
        let b = bodies.entry(body.clone()).or_insert_with(|| BodyQuality { reporter: body, ..Default::default() });
        b.returns += 1;
        match s.status.as_str() {
            "loaded" => b.loaded += 1,
            "superseded" => b.superseded += 1,
            _ => b.failed += 1,
        }
        b.cells_read += s.cells_read;
        b.values_landed += s.values_landed;
        b.values_rejected += s.values_rejected;
    }
    for mut i in issues_all {
        let sub = i.submission.as_deref().and_then(|x| by_id.get(x)).or_else(|| i.source_file.as_deref().and_then(|f| by_file.get(f)));
        let Some(sub) = sub else { continue };
        if !is_root && i.area.as_deref().is_some_and(|a| !areas.contains(a)) {
            continue;
        }
        i.reporter = sub.reporter.clone();
        let body = sub.reporter.clone().unwrap_or_else(|| "(未识别)".to_string());
        let b = bodies.entry(body.clone()).or_insert_with(|| BodyQuality { reporter: body, ..Default::default() });
        match i.severity.as_str() {
            "error" => b.errors += 1,
            "warning" => b.warnings += 1,
            _ => b.info += 1,
        }
        if i.severity == "error" || i.severity == "warning" {
            issues.push(i);
        } else {
            info_count += 1;
        }
    }
    let with_data: BTreeSet<&str> = series.iter().filter(|p| p.value.is_some()).map(|p| p.indicator.as_str()).collect();
    let no_data = catalogue.iter().filter(|c| !with_data.contains(c.indicator.as_str())).map(|c| c.indicator.clone()).collect();
    Ok(DataQuality { submissions, bodies: bodies.into_values().collect(), issues, info_count, no_data })
}

fn read_changes(tables: &Path, since: &str, areas: &BTreeSet<String>, names: &BTreeMap<String, String>) -> Result<Vec<ChangeRow>, ReportError> {
    let path = tables.join("changes.parquet");
    let df = read_parquet(&path, None)?;
    let c = Cols { df: &df, path: &path };
    let (mut version, mut kind, mut de, mut area, mut sex, mut age) =
        (c.strs("version")?, c.strs("kind")?, c.strs("data_element")?, c.strs("area")?, c.opt_strs("sex")?, c.opt_strs("age")?);
    let year = c.i32s("year")?;
    let (old, new) = (c.opt_f64s("old_value")?, c.opt_f64s("new_value")?);
    let (mut of, mut nf, mut oc, mut nc, mut reason) =
        (c.opt_strs("old_source_file")?, c.opt_strs("new_source_file")?, c.opt_strs("old_source_cell")?, c.opt_strs("new_source_cell")?, c.opt_strs("reason")?);
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for i in 0..df.height() {
        let v = s(&mut version, i);
        known.insert(v.clone());
        // Versions are `v` and a zero-padded number: text order is version order.
        if v.as_str() <= since {
            continue;
        }
        let a = s(&mut area, i);
        if !areas.contains(&a) {
            continue;
        }
        let d = s(&mut de, i);
        out.push(ChangeRow {
            version: v,
            kind: s(&mut kind, i),
            data_element_name: names.get(&d).cloned(),
            data_element: d,
            area: a,
            year: year[i],
            sex: sex[i].take(),
            age: age[i].take(),
            old_value: old[i],
            new_value: new[i],
            old_source_file: of[i].take(),
            new_source_file: nf[i].take(),
            old_source_cell: oc[i].take(),
            new_source_cell: nc[i].take(),
            reason: reason[i].take(),
        });
    }
    let valid = since.len() == 7 && since.starts_with('v') && since[1..].chars().all(|c| c.is_ascii_digit());
    if !valid {
        return Err(ReportError::UnknownVersion { version: since.to_string(), known: known.into_iter().collect::<Vec<_>>().join(", ") });
    }
    out.sort_by(|a, b| (&a.version, &a.data_element, &a.area, a.year, &a.sex, &a.age).cmp(&(&b.version, &b.data_element, &b.area, b.year, &b.sex, &b.age)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_parse_back_into_terms() {
        let t = parse_formula("live_births + deaths[sex=F,age=Y_LT1] + x[residence=R]");
        assert_eq!(t.len(), 3);
        assert_eq!(t[0], FormulaTerm { data_element: "live_births".into(), sex: None, age: None, residence: None });
        assert_eq!(t[1], FormulaTerm { data_element: "deaths".into(), sex: Some("F".into()), age: Some("Y_LT1".into()), residence: None });
        assert_eq!(t[2].residence.as_deref(), Some("R"));
        assert!(parse_formula("").is_empty());
    }

    #[test]
    fn kinds_assess_their_target_years() {
        assert_eq!(ReportKind::parse("annual").ok(), Some(ReportKind::Annual));
        assert_eq!(ReportKind::Annual.assessed_target_years(), &[2025, 2030]);
        assert_eq!(ReportKind::Midterm.assessed_target_years(), &[2025]);
        assert_eq!(ReportKind::Final.assessed_target_years(), &[2030]);
        assert_eq!(ReportKind::Midterm.zh(), "中期评估报告");
        assert!(ReportKind::parse("weekly").is_err());
    }

    #[test]
    fn a_missing_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = ReportModel::load(&ModelOptions { db: dir.path().join("nope"), year: None, kind: ReportKind::Annual, area: None, since: None }).unwrap_err();
        assert!(matches!(e, ReportError::NoDatabase { .. }), "{e}");
        assert!(e.to_string().contains("nope"));
    }
}
