//! The report's data: everything the HTML and the workbook show, loaded once from
//! a published database (`DB/current/`: its Parquet tables and `manifest.json`),
//! never from the returns.
//!
//! [`ReportModel::load`] ([`load`]) reads the tables, keeps what concerns the report's
//! area (the area itself, and its direct children — the towns of a county), and hands
//! out typed rows ([`rows`], read through [`columns`]). The writers (html, charts, the
//! workbook) only read the model, through the queries here.
//!
//! Stable for the writers: fields are added, never renamed.

pub mod columns;
mod load;
mod quality;
pub mod rows;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub use super::{ReportError, ReportKind};
pub use rows::*;

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
    /// The year the progress statuses, warnings and projections are as of: the latest
    /// year of the data they were computed from (the database keeps the assessment of
    /// its latest year only). Later than `year` in a report for an earlier year.
    pub progress_year: Option<i32>,
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
        load::load(opts)
    }

    /// The year of the statuses when it is later than the report year (a report for an
    /// earlier year shows the database's assessment, said so where it is shown).
    pub fn statuses_later(&self) -> Option<i32> {
        self.progress_year.filter(|y| *y > self.year)
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
    fn a_missing_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = ReportModel::load(&ModelOptions { db: dir.path().join("nope"), year: None, kind: ReportKind::Annual, area: None, since: None }).unwrap_err();
        assert!(matches!(e, ReportError::NoDatabase { .. }), "{e}");
        assert!(e.to_string().contains("nope"));
    }
}
