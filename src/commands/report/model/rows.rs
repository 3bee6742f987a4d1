//! The rows the report reads from the published tables, each declared once with the
//! column every field comes from ([`table_row!`]), and the per-body tallies of the
//! data-quality annex.

use super::columns::{finite, table_row};

/// The run that published the database (`manifest.json`): the run's own manifest type.
pub use crate::store::publish::Manifest as ManifestFacts;

table_row! {
    /// A row of `areas.parquet`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Area {
        pub code: String = req("area"),
        pub name: String = req("name_zh"),
        pub level: String = opt("level"),
        pub parent: Option<String> = opt("parent"),
        pub depth: u32 = opt("depth"),
    }
}

/// One term of a numerator or denominator (`births[sex=F]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaTerm {
    pub data_element: String,
    pub sex: Option<String>,
    pub age: Option<String>,
    pub residence: Option<String>,
}

table_row! {
    /// A catalogued indicator (a row of `indicators.parquet`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct CatalogueRow {
        pub indicator: String = req("indicator"),
        pub plan: String = req("plan"),
        pub domain: String = req("domain"),
        pub name_zh: String = req("name_zh"),
        pub name_en: String = opt("name_en"),
        pub unit: String = opt("unit"),
        pub factor: Option<f64> = opt("factor"),
        /// As published (`a + b[sex=F]`).
        pub numerator: Option<String> = opt("numerator"),
        pub denominator: Option<String> = opt("denominator"),
        pub value_of: Option<String> = opt("value_of"),
        /// A gap indicator's base (its value is the base's rural − urban difference).
        pub gap_of: Option<String> = opt("gap_of"),
        pub direction: String = opt("direction"),
        pub target_kind: String = opt("target_kind"),
        pub target_2025: Option<f64> = opt("target_2025"),
        pub target_2030: Option<f64> = opt("target_2030"),
        pub target_low: Option<f64> = opt("target_low"),
        pub target_high: Option<f64> = opt("target_high"),
        pub relative_change: Option<f64> = opt("relative_change"),
        pub baseline_year: Option<i32> = opt("baseline_year"),
        pub baseline_value: Option<f64> = opt("baseline_value"),
        pub responsible: Option<String> = opt("responsible"),
        pub source: Option<String> = opt("source"),
        pub note: Option<String> = opt("note"),
    }
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

/// `warnings` as published (codes separated by commas, semicolons or spaces).
fn warning_codes(text: Option<String>) -> Vec<String> {
    text.as_deref().map(|w| w.split([',', ';', ' ']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}

table_row! {
    /// A row of `progress.parquet` for the report's area (rows without a target year are dropped before).
    #[derive(Debug, Clone, PartialEq)]
    pub struct ProgressRow {
        pub indicator: String = req("indicator"),
        pub area: String = req("area"),
        pub sex: String = req("sex"),
        pub age: String = req("age"),
        pub target_year: i32 = req("target_year"),
        pub target_kind: String = opt("target_kind"),
        pub target_value: Option<f64> = opt("target_value"),
        pub target_low: Option<f64> = opt("target_low"),
        pub target_high: Option<f64> = opt("target_high"),
        pub baseline_year: Option<i32> = opt("baseline_year"),
        pub baseline_value: Option<f64> = opt("baseline_value"),
        pub latest_year: Option<i32> = opt("latest_year"),
        pub latest_value: Option<f64> = opt("latest_value", finite),
        pub latest_ci_low: Option<f64> = opt("latest_ci_low", finite),
        pub latest_ci_high: Option<f64> = opt("latest_ci_high", finite),
        pub projected_value: Option<f64> = opt("projected_value", finite),
        pub progress_ratio: Option<f64> = opt("progress_ratio", finite),
        pub method: Option<String> = opt("method"),
        /// `annual` or `pooled_3y`.
        pub series: Option<String> = opt("series"),
        /// A status code (`achieved`, …; labels in [`crate::labels`]).
        pub status: String = req("status"),
        /// Warning codes.
        pub warnings: Vec<String> = opt("warnings", warning_codes),
        pub warning_text: Option<String> = opt("warning_text"),
    }
}

table_row! {
    /// One indicator value of the report's area or of one of its children (`indicator_values`;
    /// the year is the partition's).
    #[derive(Debug, Clone, PartialEq)]
    pub struct SeriesPoint {
        pub indicator: String = req("indicator"),
        pub area: String = req("area"),
        pub year: i32 = unset,
        pub sex: String = req("sex"),
        pub age: String = req("age"),
        pub residence: String = req("residence"),
        pub value: Option<f64> = req("value", finite),
        pub numerator: Option<f64> = opt("numerator"),
        pub denominator: Option<f64> = opt("denominator"),
        pub numerator_areas: Option<u32> = opt("numerator_areas"),
        pub denominator_areas: Option<u32> = opt("denominator_areas"),
        pub ci_low: Option<f64> = opt("ci_low", finite),
        pub ci_high: Option<f64> = opt("ci_high", finite),
        pub ci_method: Option<String> = opt("ci_method"),
        pub small_count: bool = opt("small_count"),
        pub obs_status: Option<String> = opt("obs_status"),
        pub pooled_value: Option<f64> = opt("pooled_value", finite),
        pub pooled_numerator: Option<f64> = opt("pooled_numerator"),
        pub pooled_denominator: Option<f64> = opt("pooled_denominator"),
        pub pooled_ci_low: Option<f64> = opt("pooled_ci_low", finite),
        pub pooled_ci_high: Option<f64> = opt("pooled_ci_high", finite),
        pub pooled_from_year: Option<i32> = opt("pooled_from_year"),
    }
}

table_row! {
    /// A data element value behind a latest value (`data_values`): the area's own and
    /// its children's, with the return, sheet and cell it came from.
    #[derive(Debug, Clone, PartialEq)]
    pub struct LineageRow {
        pub data_element: String = req("data_element"),
        /// From `data_elements.parquet`.
        pub data_element_name: Option<String> = unset,
        pub area: String = req("area"),
        pub year: i32 = unset,
        pub sex: String = req("sex"),
        pub age: String = req("age"),
        pub residence: String = req("residence"),
        pub value: Option<f64> = req("value"),
        pub obs_status: Option<String> = opt("obs_status"),
        /// Computed by wcmon (an aggregate of lower areas, or male = total − female).
        pub derived: bool = opt("derived"),
        pub n_sources: Option<u32> = opt("n_sources"),
        pub form: Option<String> = opt("form"),
        pub source_file: Option<String> = opt("source_file"),
        pub source_sheet: Option<String> = opt("source_sheet"),
        pub source_cell: Option<String> = opt("source_cell"),
        pub submission: Option<String> = opt("submission"),
        pub flags: Option<String> = opt("flags"),
    }
}

table_row! {
    /// A row of `submissions.parquet` (one return).
    #[derive(Debug, Clone, PartialEq)]
    pub struct SubmissionRow {
        pub submission: String = req("submission"),
        pub form: Option<String> = opt("form"),
        pub reporter: Option<String> = opt("reporter"),
        pub year: Option<i32> = req("year"),
        pub source_file: String = req("source_file"),
        pub format: Option<String> = opt("format"),
        pub status: String = req("status"),
        pub cells_read: i64 = req("cells_read"),
        pub values_landed: i64 = req("values_landed"),
        pub values_rejected: i64 = req("values_rejected"),
        pub values_superseded: i64 = opt("values_superseded"),
        pub superseded_by: Option<String> = opt("superseded_by"),
    }
}

table_row! {
    /// A row of `issues.parquet` (errors and warnings; `info` findings are counted, not kept).
    #[derive(Debug, Clone, PartialEq)]
    pub struct IssueRow {
        pub severity: String = req("severity"),
        pub rule: String = req("rule"),
        pub message: String = req("message"),
        pub source_file: Option<String> = opt("source_file"),
        pub source_sheet: Option<String> = opt("source_sheet"),
        pub source_cell: Option<String> = opt("source_cell"),
        pub data_element: Option<String> = opt("data_element"),
        pub indicator: Option<String> = opt("indicator"),
        pub year: Option<i32> = req("year"),
        pub area: Option<String> = opt("area"),
        pub observed: Option<String> = opt("observed"),
        pub expected: Option<String> = opt("expected"),
        pub form: Option<String> = opt("form"),
        pub submission: Option<String> = opt("submission"),
        /// The body that sent the return (from `submissions.reporter`).
        pub reporter: Option<String> = unset,
    }
}

table_row! {
    /// A row of `changes.parquet` after `--since`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ChangeRow {
        pub version: String = req("version"),
        pub kind: String = req("kind"),
        pub data_element: String = req("data_element"),
        /// From `data_elements.parquet`.
        pub data_element_name: Option<String> = unset,
        pub area: String = req("area"),
        pub year: Option<i32> = req("year"),
        pub sex: Option<String> = opt("sex"),
        pub age: Option<String> = opt("age"),
        pub old_value: Option<f64> = opt("old_value"),
        pub new_value: Option<f64> = opt("new_value"),
        pub old_source_file: Option<String> = opt("old_source_file"),
        pub new_source_file: Option<String> = opt("new_source_file"),
        pub old_source_cell: Option<String> = opt("old_source_cell"),
        pub new_source_cell: Option<String> = opt("new_source_cell"),
        pub reason: Option<String> = opt("reason"),
    }
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
