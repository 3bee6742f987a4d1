//! Who has sent what: the returns each form's `[schedule]` expects against those
//! received (`reporting.parquet`), and the warnings for the latest year's missing
//! and late returns.
//!
//! **One row per form × reporting year × area** that is expected or received:
//!
//! * the **areas** of a form: for a form with one file per area (its area comes from
//!   the file name or the title), each area of `[schedule] areas`' level, or each
//!   area without sub-areas; for a return that lists the towns, the county (the
//!   parent of the towns) or the areas of `[schedule] areas`' level; for a form
//!   with a fixed area, that area;
//! * the **years** expected: from `[schedule] from` (or the first year any return of
//!   the form reports) through the latest year any return of the run reports;
//! * **received**: a return of that form reports values of that year for that area
//!   (status `loaded` or `superseded`); `submissions` counts its files;
//! * **first_received**: when wcmon first saw the earliest of them (by path or content,
//!   `state/first_seen.json`); **last_corrected**: when the return in force was first
//!   seen, if that is later (a correction arrived);
//! * **on_time**: first received on or before the due date (dates in UTC); null when
//!   not received, not scheduled, or already in the inbox when the database was first
//!   built after the due date (when it arrived is unknown: it is never counted late);
//! * **status**: not received: `pending` until the due date has passed (as of the
//!   run), then `missing`; received: `late` (after the due date), else `corrected`
//!   (a correction arrived), else `received`.
//!
//! "Now" is the run's time, or the date in `WCMON_AS_OF` (YYYY-MM-DD; for tests and
//! for replaying a season): the sightings of that run are then recorded at that date.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use polars::prelude::*;

use crate::config::forms::AreaFrom;
use crate::config::schedule::date_of;
use crate::config::{Config, Form};
use crate::model::{FileFacts, FileResult, SubmissionStatus};
use crate::model::{Issue, Severity};
use crate::store::state::first_seen::{FirstSeen, Sighting};

/// The environment variable that sets the run's date (tests).
pub const AS_OF_VAR: &str = "WCMON_AS_OF";

/// The time a run takes as "now" for reporting and first sightings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsOf {
    /// YYYY-MM-DD.
    pub date: String,
    /// RFC 3339.
    pub at: String,
}

/// `WCMON_AS_OF` set to something that is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::t!(crate::i18n::lang(), "err-as-of", var = AS_OF_VAR, value = &format!("{:?}", self.value)))]
pub struct AsOfError {
    /// The variable's value.
    pub value: String,
}

impl AsOf {
    /// `WCMON_AS_OF` if set (a date, YYYY-MM-DD), else the run's start time.
    pub fn from_env(started_at: &str) -> Result<AsOf, AsOfError> {
        match std::env::var(AS_OF_VAR) {
            Ok(v) => {
                let date = date_of(v.trim()).filter(|d| d.len() == v.trim().len()).ok_or_else(|| AsOfError { value: v.clone() })?;
                Ok(AsOf { at: format!("{date}T00:00:00Z"), date })
            }
            Err(_) => Ok(AsOf { date: date_of(started_at).unwrap_or_default(), at: started_at.to_string() }),
        }
    }
}

/// Whether the reporting table of the version in force is out of date although no
/// return changed: a due date passed since it was computed (a pending return is now
/// missing), or it predates the table.
pub fn stale(cfg: &Config, seen: &FirstSeen, as_of: &AsOf, current: &std::path::Path) -> bool {
    if !current.join("reporting.parquet").exists() {
        return true;
    }
    let Some(prev) = seen.as_of.as_deref() else { return true };
    let (Some(from), Some(to)) = (prev.get(..4).and_then(|y| y.parse::<i32>().ok()), as_of.date.get(..4).and_then(|y| y.parse::<i32>().ok())) else {
        return true;
    };
    // A return is missing once the date is past its due date: did a due date fall in [prev, now)?
    cfg.forms.iter().filter_map(|f| f.raw.schedule.as_ref()).any(|s| {
        (from..=to).any(|y| {
            let due = s.due.date_for(y - 1);
            prev <= due.as_str() && due.as_str() < as_of.date.as_str()
        })
    })
}

/// One return as received: what reporting needs of a file recognised as a form.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub form: String,
    pub rel: String,
    pub submission: String,
    pub in_force: bool,
    pub years: Vec<i32>,
    /// Reporting units (see `crate::incremental::reporting_unit`).
    pub units: Vec<String>,
    /// When it was first received (path or content, the earlier).
    pub received: Option<Sighting>,
    /// When its content was first seen.
    pub content: Option<Sighting>,
}

/// The receipts of a run's files (`facts` as before superseded files' are cleared).
pub fn receipts(results: &[FileResult], facts: &[FileFacts], cfg: &Config, seen: &FirstSeen) -> Vec<Receipt> {
    let parents: HashSet<&str> = cfg.areas.list.iter().filter_map(|a| a.parent.as_deref()).collect();
    let mut out = Vec::new();
    for (r, fact) in results.iter().zip(facts) {
        let s = &r.submission;
        if !matches!(s.status, SubmissionStatus::Loaded | SubmissionStatus::Superseded) {
            continue;
        }
        let Some(form) = s.form.as_deref().and_then(|id| cfg.forms.iter().find(|f| f.id() == id)) else { continue };
        let sha = s.source_sha256.as_deref().unwrap_or_default();
        let units: BTreeSet<String> = fact.areas.iter().map(|a| crate::incremental::reporting_unit(form, a, cfg, &parents)).collect();
        out.push(Receipt {
            form: form.id().to_string(),
            rel: s.source_file.clone(),
            submission: s.submission.clone(),
            in_force: s.status == SubmissionStatus::Loaded,
            years: fact.years.clone(),
            units: units.into_iter().collect(),
            received: seen.received(&s.source_file, sha).cloned(),
            content: seen.content(sha).cloned(),
        });
    }
    out
}

/// The areas a form expects a return from (see the module documentation).
pub fn expected_units(form: &Form, cfg: &Config) -> Vec<String> {
    let parents: HashSet<&str> = cfg.areas.list.iter().filter_map(|a| a.parent.as_deref()).collect();
    let level = form.raw.schedule.as_ref().and_then(|s| s.areas.as_deref());
    let mut units: BTreeSet<String> = BTreeSet::new();
    if let Some(level) = level {
        units.extend(cfg.areas.list.iter().filter(|a| a.level == level).map(|a| a.code.clone()));
    } else if crate::incremental::per_area(form) {
        units.extend(cfg.areas.list.iter().filter(|a| !parents.contains(a.code.as_str())).map(|a| a.code.clone()));
    } else if let (AreaFrom::Fixed, Some(v)) = (form.raw.area.from, form.raw.area.value.as_deref()) {
        units.extend(cfg.areas.get(v).or_else(|| cfg.areas.resolve(v)).map(|a| a.code.clone()));
    } else {
        // The parents of the leaves: the county whose towns a return lists.
        let leaves: Vec<&str> = cfg.areas.list.iter().filter(|a| !parents.contains(a.code.as_str())).map(|a| a.code.as_str()).collect();
        units.extend(leaves.iter().filter_map(|l| cfg.areas.get(l).and_then(|a| a.parent.clone())));
        if units.is_empty() {
            units.extend(leaves.iter().map(|l| l.to_string()));
        }
    }
    units.into_iter().collect()
}

/// One row of `reporting.parquet`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub form: String,
    pub form_name: String,
    pub reporter: String,
    pub year: i32,
    pub area: String,
    pub area_name: Option<String>,
    pub expected: bool,
    pub received: bool,
    pub due: Option<String>,
    pub on_time: Option<bool>,
    pub status: &'static str,
    pub first_received: Option<String>,
    pub last_corrected: Option<String>,
    pub submissions: i32,
    /// The submission in force and its file.
    pub submission: Option<String>,
    pub source_file: Option<String>,
    /// Every file received for it, in the order of arrival, separated by "; ".
    pub source_files: Option<String>,
}

/// The reporting table of a run.
#[derive(Debug, Clone, Default)]
pub struct Reporting {
    pub rows: Vec<Row>,
    /// The latest year any return of the run reports.
    pub latest_year: Option<i32>,
    pub as_of: String,
}

/// Build the rows: every expected (form, year, area) and every received one.
pub fn build(cfg: &Config, receipts: &[Receipt], as_of: &AsOf) -> Reporting {
    let latest = receipts.iter().flat_map(|r| r.years.iter().copied()).max();
    // (form, year, unit) -> the receipts of it.
    let mut got: BTreeMap<(String, i32, String), Vec<&Receipt>> = BTreeMap::new();
    for r in receipts {
        for &y in &r.years {
            for u in &r.units {
                got.entry((r.form.clone(), y, u.clone())).or_default().push(r);
            }
        }
    }
    let mut keys: BTreeSet<(String, i32, String)> = got.keys().cloned().collect();
    let mut expected: HashSet<(String, i32, String)> = HashSet::new();
    if let Some(latest) = latest {
        for form in cfg.forms.iter().filter(|f| f.raw.schedule.is_some()) {
            let first = form.raw.schedule.as_ref().and_then(|s| s.from).or_else(|| got.keys().filter(|k| k.0 == form.id()).map(|k| k.1).min());
            let Some(first) = first else { continue };
            for unit in expected_units(form, cfg) {
                for y in first..=latest {
                    expected.insert((form.id().to_string(), y, unit.clone()));
                }
            }
        }
    }
    keys.extend(expected.iter().cloned());
    let mut rows = Vec::with_capacity(keys.len());
    for key in keys {
        let Some(form) = cfg.forms.iter().find(|f| f.id() == key.0) else { continue };
        let due = form.raw.schedule.as_ref().map(|s| s.due.date_for(key.1));
        let mut members: Vec<&Receipt> = got.get(&key).cloned().unwrap_or_default();
        let order = |r: &&Receipt| (r.received.as_ref().map_or(u64::MAX, |s| s.run), r.rel.clone());
        members.sort_by_key(order);
        let first = members.iter().filter_map(|r| r.received.as_ref()).min_by_key(|s| s.run);
        let in_force = members.iter().find(|r| r.in_force).or(members.last());
        let corrected = match (first, in_force.and_then(|r| r.content.as_ref())) {
            (Some(f), Some(c)) if c.run > f.run => Some(c.at.clone()),
            _ => None,
        };
        let received = !members.is_empty();
        // A return already in the inbox at the database's first run arrived then or before:
        // on time if that run was by the due date, else unknown.
        let on_time = match (first, &due) {
            (Some(f), Some(d)) if received => date_of(&f.at).map(|at| at.as_str() <= d.as_str()).filter(|&ok| ok || !f.initial),
            _ => None,
        };
        let status = if !received {
            match &due {
                Some(d) if as_of.date.as_str() > d.as_str() => "missing",
                _ => "pending",
            }
        } else if on_time == Some(false) {
            "late"
        } else if corrected.is_some() {
            "corrected"
        } else {
            "received"
        };
        let files: Vec<&str> = members.iter().map(|r| r.rel.as_str()).collect();
        rows.push(Row {
            form_name: form.raw.form.name.clone(),
            reporter: form.raw.form.body.clone(),
            year: key.1,
            area_name: cfg.areas.get(&key.2).map(|a| a.name_zh.clone()),
            expected: expected.contains(&key),
            received,
            due,
            on_time,
            status,
            first_received: first.map(|s| s.at.clone()),
            last_corrected: corrected,
            submissions: members.len() as i32,
            submission: in_force.map(|r| r.submission.clone()),
            source_file: in_force.map(|r| r.rel.clone()),
            source_files: received.then(|| files.join("; ")),
            area: key.2,
            form: key.0,
        });
    }
    Reporting { rows, latest_year: latest, as_of: as_of.date.clone() }
}

impl Reporting {
    /// `reporting.parquet`, sorted by form, year and area.
    pub fn frame(&self) -> PolarsResult<DataFrame> {
        let r = &self.rows;
        let txt = |f: &dyn Fn(&Row) -> Option<String>| -> Vec<Option<String>> { r.iter().map(f).collect() };
        DataFrame::new_infer_height(vec![
            Column::new("form".into(), r.iter().map(|x| x.form.clone()).collect::<Vec<_>>()),
            Column::new("reporter".into(), r.iter().map(|x| x.reporter.clone()).collect::<Vec<_>>()),
            Column::new("year".into(), r.iter().map(|x| x.year).collect::<Vec<i32>>()),
            Column::new("area".into(), r.iter().map(|x| x.area.clone()).collect::<Vec<_>>()),
            Column::new("expected".into(), r.iter().map(|x| x.expected).collect::<Vec<bool>>()),
            Column::new("received".into(), r.iter().map(|x| x.received).collect::<Vec<bool>>()),
            Column::new("on_time".into(), r.iter().map(|x| x.on_time).collect::<Vec<Option<bool>>>()),
            Column::new("status".into(), r.iter().map(|x| x.status).collect::<Vec<&str>>()),
            Column::new("first_received".into(), txt(&|x| x.first_received.clone())),
            Column::new("last_corrected".into(), txt(&|x| x.last_corrected.clone())),
            Column::new("submissions".into(), r.iter().map(|x| x.submissions).collect::<Vec<i32>>()),
            Column::new("form_name".into(), r.iter().map(|x| x.form_name.clone()).collect::<Vec<_>>()),
            Column::new("area_name".into(), txt(&|x| x.area_name.clone())),
            Column::new("due".into(), txt(&|x| x.due.clone())),
            Column::new("submission".into(), txt(&|x| x.submission.clone())),
            Column::new("source_file".into(), txt(&|x| x.source_file.clone())),
            Column::new("source_files".into(), txt(&|x| x.source_files.clone())),
        ])
    }

    /// A warning for each return of the latest year that is missing or late.
    pub fn issues(&self) -> Vec<Issue> {
        let Some(latest) = self.latest_year else { return Vec::new() };
        let mut out = Vec::new();
        for r in self.rows.iter().filter(|r| r.year == latest && r.expected) {
            let area = r.area_name.clone().unwrap_or_else(|| r.area.clone());
            let due = r.due.clone().unwrap_or_default();
            let mut issue = match r.status {
                "missing" => Issue::new(
                    Severity::Warning,
                    "return_missing",
                    format!("{} 未报送 {} 年《{}》（{}），应于 {} 前报送", r.reporter, r.year, r.form_name, area, due),
                ),
                "late" => {
                    let at = r.first_received.as_deref().and_then(date_of).unwrap_or_default();
                    let mut i = Issue::new(
                        Severity::Warning,
                        "return_late",
                        format!("{} 迟报 {} 年《{}》（{}）：应于 {} 前报送，{} 首次收到", r.reporter, r.year, r.form_name, area, due, at),
                    );
                    i.observed = Some(at);
                    if let Some(f) = r.source_files.as_deref().and_then(|f| f.split("; ").next()) {
                        i.source_file = Some(f.to_string());
                    }
                    i
                }
                _ => continue,
            };
            issue.form = Some(r.form.clone());
            issue.year = Some(r.year);
            issue.area = Some(r.area.clone());
            issue.expected = Some(due);
            out.push(issue);
        }
        out
    }

    /// What the run's summary says about the latest year.
    pub fn summary(&self) -> ReportingSummary {
        let mut s = ReportingSummary { latest_year: self.latest_year, as_of: self.as_of.clone(), ..Default::default() };
        let Some(latest) = self.latest_year else { return s };
        for r in self.rows.iter().filter(|r| r.year == latest && r.expected) {
            s.expected += 1;
            s.received += usize::from(r.received);
            let what = || {
                let area = r.area_name.clone().unwrap_or_else(|| r.area.clone());
                format!("{}《{}》{} 年（{}）", r.reporter, r.form_name, r.year, area)
            };
            match r.status {
                "missing" => s.missing.push(format!("{}，应于 {} 前报送", what(), r.due.as_deref().unwrap_or_default())),
                "late" => s.late.push(format!(
                    "{}，应于 {} 前报送，{} 首次收到",
                    what(),
                    r.due.as_deref().unwrap_or_default(),
                    r.first_received.as_deref().and_then(date_of).unwrap_or_default()
                )),
                "pending" => s.pending += 1,
                _ => {}
            }
        }
        s
    }
}

/// The latest year's returns, for the run's summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReportingSummary {
    pub latest_year: Option<i32>,
    pub as_of: String,
    pub expected: usize,
    pub received: usize,
    pub pending: usize,
    /// One line per missing return (body, form, year, area, due date).
    pub missing: Vec<String>,
    pub late: Vec<String>,
}

impl ReportingSummary {
    /// The lines `wcmon run` prints (none when nothing is expected).
    pub fn lines(&self) -> Vec<String> {
        let Some(year) = self.latest_year.filter(|_| self.expected > 0) else { return Vec::new() };
        let mut out = vec![format!(
            "  returns for {year} (as of {}): {} expected, {} received, {} late, {} missing, {} pending",
            self.as_of,
            self.expected,
            self.received,
            self.late.len(),
            self.missing.len(),
            self.pending
        )];
        out.extend(self.missing.iter().map(|m| format!("    missing: {m}")));
        out.extend(self.late.iter().map(|m| format!("    late: {m}")));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sighting(run: u64, at: &str, initial: bool) -> Option<Sighting> {
        Some(Sighting { run, run_id: format!("r{run}"), at: at.into(), initial })
    }

    fn receipt(form: &str, rel: &str, year: i32, in_force: bool, received: Option<Sighting>, content: Option<Sighting>) -> Receipt {
        Receipt {
            form: form.into(),
            rel: rel.into(),
            submission: format!("s-{rel}"),
            in_force,
            years: vec![year],
            units: vec!["421321".into()],
            received,
            content,
        }
    }

    fn cfg() -> Config {
        Config::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines").as_path()).unwrap()
    }

    fn status_of<'a>(r: &'a Reporting, form: &str, year: i32) -> &'a Row {
        r.rows.iter().find(|x| x.form == form && x.year == year).unwrap_or_else(|| panic!("{form} {year}"))
    }

    #[test]
    fn every_status_from_hand_made_receipts() {
        let cfg = cfg();
        let mch = cfg.forms.iter().find(|f| f.id() == "wjj_mch_annual").unwrap();
        let due = mch.raw.schedule.as_ref().unwrap().due.date_for(2024);
        let from = mch.raw.schedule.as_ref().unwrap().from.unwrap();
        let initial = sighting(1, "2025-01-10T00:00:00Z", true);
        let due_2023 = mch.raw.schedule.as_ref().unwrap().due.date_for(2023);
        let on_time = sighting(2, &format!("{due_2023}T00:00:00Z"), false);
        let late = sighting(3, "2025-12-01T00:00:00Z", false);
        let receipts = vec![
            receipt("wjj_mch_annual", "a2022.xlsx", 2022, true, initial.clone(), initial.clone()),
            receipt("wjj_mch_annual", "a2023.xlsx", 2023, true, on_time.clone(), on_time.clone()),
            // 2023 again: a correction that arrived later (and is in force).
            receipt("wjj_mch_annual", "a2023_更正.xlsx", 2023, true, late.clone(), late.clone()),
            receipt("wjj_mch_annual", "a2021.xlsx", 2021, true, late.clone(), late.clone()),
        ];
        // The 2023 original is superseded by its correction.
        let mut receipts = receipts;
        receipts[1].in_force = false;
        // Another form reports 2024: the latest year of the run.
        receipts.push(receipt("wjj_health_services_long", "h2024.xlsx", 2024, true, initial.clone(), initial.clone()));
        let as_of = |d: &str| AsOf { date: d.into(), at: format!("{d}T00:00:00Z") };
        let r = build(&cfg, &receipts, &as_of("2025-12-02"));
        assert_eq!(r.latest_year, Some(2024));
        let row = status_of(&r, "wjj_mch_annual", 2022);
        assert_eq!((row.status, row.on_time, row.expected), ("received", None, true), "initial receipts are never late");
        // Already there at a first run before its due date: on time.
        let row = status_of(&r, "wjj_health_services_long", 2024);
        assert_eq!((row.status, row.on_time), ("received", Some(true)));
        let row = status_of(&r, "wjj_mch_annual", 2023);
        assert_eq!((row.status, row.on_time, row.submissions), ("corrected", Some(true), 2));
        assert_eq!(row.first_received, Some(format!("{due_2023}T00:00:00Z")), "on the due date: on time");
        assert_eq!(row.last_corrected.as_deref(), Some("2025-12-01T00:00:00Z"));
        assert_eq!(row.source_file.as_deref(), Some("a2023_更正.xlsx"));
        assert_eq!(row.source_files.as_deref(), Some("a2023.xlsx; a2023_更正.xlsx"));
        let row = status_of(&r, "wjj_mch_annual", 2021);
        assert_eq!((row.status, row.on_time), ("late", Some(false)));
        // 2024 not received and its due date has passed: missing; before it, pending.
        assert_eq!(status_of(&r, "wjj_mch_annual", 2024).status, "missing");
        let before = build(&cfg, &receipts, &as_of(&due));
        assert_eq!(status_of(&before, "wjj_mch_annual", 2024).status, "pending", "due that day: not yet missing");
        // Every year from `from` is expected.
        if from < 2021 {
            assert_eq!(status_of(&r, "wjj_mch_annual", from).status, "missing");
        }
        // The warnings are for the latest year only.
        let issues = r.issues();
        let rules: Vec<(&str, Option<i32>)> = issues.iter().filter(|i| i.form.as_deref() == Some("wjj_mch_annual")).map(|i| (i.rule, i.year)).collect();
        assert_eq!(rules, vec![("return_missing", Some(2024))]);
        let mch_issue = issues.iter().find(|i| i.form.as_deref() == Some("wjj_mch_annual")).unwrap();
        assert!(mch_issue.message.contains("卫健局") && mch_issue.expected.as_deref() == Some(due.as_str()), "{mch_issue:?}");
        // Every form but the one that reported 2024 misses it (8 of the 9 bundled forms).
        assert_eq!(issues.len(), cfg.forms.len() - 1, "{issues:?}");
        let s = r.summary();
        assert!(s.missing.iter().any(|m| m.starts_with("卫健局《")), "{s:?}");
    }

    #[test]
    fn the_areas_expected_to_report() {
        let cfg = cfg();
        let towns: Vec<String> = {
            let mut t: Vec<String> = cfg.areas.list.iter().filter(|a| a.parent.as_deref() == Some("421321")).map(|a| a.code.clone()).collect();
            t.sort();
            t
        };
        assert!(towns.len() > 10);
        let mut form = cfg.forms.iter().find(|f| f.id() == "wjj_mch_annual").unwrap().clone();
        // A return that lists the towns: the county sends it.
        assert_eq!(expected_units(&form, &cfg), vec!["421321".to_string()]);
        // One file per town (the town in the file name): every town.
        form.raw.area.from = AreaFrom::FileName;
        assert_eq!(expected_units(&form, &cfg), towns);
        // A declared level wins.
        if let Some(s) = form.raw.schedule.as_mut() {
            s.areas = Some("county".into());
        }
        assert_eq!(expected_units(&form, &cfg), vec!["421321".to_string()]);
        // A fixed area: that one.
        let env = cfg.forms.iter().find(|f| f.raw.area.from == AreaFrom::Fixed).unwrap();
        assert_eq!(expected_units(env, &cfg), vec!["421321".to_string()]);
    }

    #[test]
    fn a_due_date_passing_makes_the_table_stale() {
        let cfg = cfg();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("reporting.parquet"), b"x").unwrap();
        let dues: BTreeSet<String> = cfg.forms.iter().filter_map(|f| f.raw.schedule.as_ref()).map(|s| s.due.date_for(2024)).collect();
        let first = dues.iter().next().unwrap().clone();
        let mut seen = FirstSeen::default();
        seen.as_of = Some("2025-01-01".into());
        let at = |d: &str| AsOf { date: d.into(), at: String::new() };
        assert!(!stale(&cfg, &seen, &at("2025-01-01"), dir.path()));
        assert!(!stale(&cfg, &seen, &at(&first), dir.path()), "on the due date a return is still pending");
        // The day after the first due date.
        let (y, m, d): (i32, u32, u32) = (first[..4].parse().unwrap(), first[5..7].parse().unwrap(), first[8..].parse().unwrap());
        let next = if d >= 28 { format!("{y:04}-{:02}-01", m + 1) } else { format!("{y:04}-{m:02}-{:02}", d + 1) };
        assert!(stale(&cfg, &seen, &at(&next), dir.path()), "{next}");
        std::fs::remove_file(dir.path().join("reporting.parquet")).unwrap();
        assert!(stale(&cfg, &seen, &at("2025-01-01"), dir.path()), "a version without the table");
    }
}
