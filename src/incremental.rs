//! Corrections and the audit trail.
//!
//! * [`supersede`]: of several returns of the same form and year (and area,
//!   for forms with one file per area), the most recently modified one is in
//!   force; the others get status `superseded` and their values are kept out.
//! * [`changes`]: every reported value that differs from the previous
//!   published version (changed, removed, or added by a correction), with the
//!   old and new value, submission, file and cell, and why.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use polars::prelude::*;

use crate::config::forms::AreaFrom;
use crate::config::Config;
use crate::model::{Issue, Observation, Severity};
use crate::pipeline::FileResult;

/// What a return replaces: (form, years, reporting units). The reporting unit of a
/// value is its area for forms with one file per area; otherwise the area that
/// reports it: a town's county (a return lists the towns of one county), a
/// higher area itself.
type SupersessionKey = (String, Vec<i32>, Vec<String>);

/// Mark superseded returns. `mtime_ns[i]` is the modification time of `results[i]`'s file.
/// Returns, for each submission in force that replaced another, the replaced source files.
pub fn supersede(results: &mut [FileResult], mtime_ns: &[u64], cfg: &Config) -> HashMap<String, Vec<String>> {
    let mut groups: BTreeMap<SupersessionKey, Vec<usize>> = BTreeMap::new();
    let parents: std::collections::HashSet<&str> = cfg.areas.list.iter().filter_map(|a| a.parent.as_deref()).collect();
    for (i, r) in results.iter().enumerate() {
        if r.submission.status != "loaded" {
            continue;
        }
        let Some(form) = r.submission.form.as_deref().and_then(|id| cfg.forms.iter().find(|f| f.id() == id)) else { continue };
        let years: BTreeSet<i32> = r.observations.iter().map(|o| o.year).collect();
        let per_area = matches!(form.raw.area.from, AreaFrom::FileName | AreaFrom::Title);
        let unit = |area: &str| -> String {
            if per_area {
                return area.to_string();
            }
            let leaf = !parents.contains(area);
            match cfg.areas.get(area).and_then(|a| a.parent.clone()) {
                Some(parent) if leaf => parent,
                _ => area.to_string(),
            }
        };
        let areas: BTreeSet<String> = r.observations.iter().map(|o| o.area.as_str()).collect::<BTreeSet<&str>>().into_iter().map(unit).collect();
        groups.entry((form.id().to_string(), years.into_iter().collect(), areas.into_iter().collect())).or_default().push(i);
    }
    let mut replaced: HashMap<String, Vec<String>> = HashMap::new();
    for (_, mut members) in groups {
        if members.len() < 2 {
            continue;
        }
        // The newest file is in force; equal times fall back to the path (later wins).
        members.sort_by(|&a, &b| (mtime_ns[a], &results[a].submission.source_file).cmp(&(mtime_ns[b], &results[b].submission.source_file)));
        let winner = *members.last().expect("two or more");
        let (win_sub, win_file) = (results[winner].submission.submission.clone(), results[winner].submission.source_file.clone());
        for &i in &members[..members.len() - 1] {
            let r = &mut results[i];
            replaced.entry(win_sub.clone()).or_default().push(r.submission.source_file.clone());
            let s = &mut r.submission;
            s.status = "superseded".into();
            s.superseded_by = Some(win_sub.clone());
            s.values_superseded = s.cells_read;
            s.values_landed = 0;
            s.values_rejected = 0;
            let mut issue = Issue::new(
                Severity::Info,
                "superseded",
                format!("superseded by {win_file} (a newer return of the same form and year): its values are not used"),
            )
            .at(&s.source_file, None, None);
            issue.form = s.form.clone();
            issue.submission = Some(s.submission.clone());
            issue.year = s.year;
            r.issues = vec![issue];
            r.observations.clear();
            r.controls.clear();
        }
    }
    replaced
}

/// A reported value as the changes table sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    pub value: Option<f64>,
    pub submission: Option<String>,
    pub source_file: Option<String>,
    pub source_cell: Option<String>,
}

type Key = (String, String, i32, String, String, String);

/// The reported (not derived, not aggregated) values of the current version of `db`.
pub fn previous_values(db: &Path) -> Result<Option<BTreeMap<Key, Reported>>, String> {
    let Some(current) = crate::publish::current_version(db) else { return Ok(None) };
    let dir = current.join("data_values");
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(Some(out)) };
    let mut parts: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    parts.sort();
    for p in parts {
        let Some(year) = p.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("year=")).and_then(|y| y.parse::<i32>().ok()) else {
            continue;
        };
        let f = p.join("part-0.parquet");
        let file = std::fs::File::open(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let df = ParquetReader::new(file).finish().map_err(|e| format!("{}: {e}", f.display()))?;
        let s = |c: &str| df.column(c).and_then(|c| c.str().cloned()).map_err(|e| e.to_string());
        let (de, area, sex, age, res) = (s("data_element")?, s("area")?, s("sex")?, s("age")?, s("residence")?);
        let (sub, file_col, cell) = (s("submission")?, s("source_file")?, s("source_cell")?);
        let value = df.column("value").and_then(|c| c.f64().cloned()).map_err(|e| e.to_string())?;
        let derived = df.column("derived").and_then(|c| c.bool().cloned()).map_err(|e| e.to_string())?;
        for i in 0..df.height() {
            if derived.get(i) != Some(false) {
                continue;
            }
            let k = (
                de.get(i).unwrap_or_default().to_string(),
                area.get(i).unwrap_or_default().to_string(),
                year,
                sex.get(i).unwrap_or_default().to_string(),
                age.get(i).unwrap_or_default().to_string(),
                res.get(i).unwrap_or_default().to_string(),
            );
            out.insert(
                k,
                Reported {
                    value: value.get(i),
                    submission: sub.get(i).map(str::to_string),
                    source_file: file_col.get(i).map(str::to_string),
                    source_cell: cell.get(i).map(str::to_string),
                },
            );
        }
    }
    Ok(Some(out))
}

/// The changes table of the current version (the audit trail so far), if any.
pub fn previous_changes(db: &Path) -> Option<DataFrame> {
    let current = crate::publish::current_version(db)?;
    let file = std::fs::File::open(current.join("changes.parquet")).ok()?;
    ParquetReader::new(file).finish().ok()
}

/// Why the inputs changed, for the `reason` column.
pub struct Context<'a> {
    /// Submission in force -> the files it superseded.
    pub replaced: &'a HashMap<String, Vec<String>>,
    /// Files read again because their content changed at the same path.
    pub changed_files: &'a BTreeSet<String>,
    /// Files of the previous version no longer in the inbox.
    pub removed_files: &'a BTreeSet<String>,
    /// The version these changes lead to (e.g. v000007).
    pub version: &'a str,
}

#[derive(Default)]
struct Cols {
    version: Vec<String>,
    kind: Vec<&'static str>,
    de: Vec<String>,
    area: Vec<String>,
    year: Vec<i32>,
    sex: Vec<String>,
    age: Vec<String>,
    res: Vec<String>,
    old_value: Vec<Option<f64>>,
    new_value: Vec<Option<f64>>,
    old_sub: Vec<Option<String>>,
    new_sub: Vec<Option<String>>,
    old_file: Vec<Option<String>>,
    new_file: Vec<Option<String>>,
    old_cell: Vec<Option<String>>,
    new_cell: Vec<Option<String>>,
    reason: Vec<String>,
}

/// New rows of the changes table: `prev` (the last version's reported values) against `now`.
pub fn changes(prev: &BTreeMap<Key, Reported>, now: &[Observation], ctx: &Context) -> PolarsResult<DataFrame> {
    let mut cur: BTreeMap<Key, Reported> = BTreeMap::new();
    for o in now.iter().filter(|o| !o.derived) {
        cur.insert(
            (o.data_element.clone(), o.area.clone(), o.year, o.sex.clone(), o.age.clone(), o.residence.clone()),
            Reported { value: o.value, submission: o.submission.clone(), source_file: o.source_file.clone(), source_cell: o.source_cell.clone() },
        );
    }
    let why_new = |r: &Reported| -> Option<String> {
        let file = r.source_file.clone().unwrap_or_default();
        if let Some(old) = r.submission.as_ref().and_then(|s| ctx.replaced.get(s)) {
            return Some(format!("correction: {file} supersedes {}", old.join(", ")));
        }
        ctx.changed_files.contains(&file).then(|| format!("{file} was changed"))
    };
    let mut c = Cols::default();
    let push = |c: &mut Cols, kind: &'static str, k: &Key, old: Option<&Reported>, new: Option<&Reported>, reason: String| {
        c.version.push(ctx.version.to_string());
        c.kind.push(kind);
        c.de.push(k.0.clone());
        c.area.push(k.1.clone());
        c.year.push(k.2);
        c.sex.push(k.3.clone());
        c.age.push(k.4.clone());
        c.res.push(k.5.clone());
        c.old_value.push(old.and_then(|r| r.value));
        c.new_value.push(new.and_then(|r| r.value));
        c.old_sub.push(old.and_then(|r| r.submission.clone()));
        c.new_sub.push(new.and_then(|r| r.submission.clone()));
        c.old_file.push(old.and_then(|r| r.source_file.clone()));
        c.new_file.push(new.and_then(|r| r.source_file.clone()));
        c.old_cell.push(old.and_then(|r| r.source_cell.clone()));
        c.new_cell.push(new.and_then(|r| r.source_cell.clone()));
        c.reason.push(reason);
    };
    let keys: BTreeSet<&Key> = prev.keys().chain(cur.keys()).collect();
    for k in keys {
        match (prev.get(k), cur.get(k)) {
            (Some(o), Some(n)) if o.value != n.value => {
                let reason = why_new(n).unwrap_or_else(|| "value changed".into());
                push(&mut c, "changed", k, Some(o), Some(n), reason);
            }
            (Some(o), None) => {
                let file = o.source_file.clone().unwrap_or_default();
                let reason = if ctx.removed_files.contains(&file) {
                    format!("file removed: {file}")
                } else if let Some((sub, _)) = ctx.replaced.iter().find(|(_, old)| old.contains(&file)) {
                    format!("superseded by submission {sub}, which does not report it or whose value was withheld by a validation error (see issues)")
                } else {
                    "no longer reported (or withheld by a validation error)".into()
                };
                push(&mut c, "removed", k, Some(o), None, reason);
            }
            (None, Some(n)) => {
                // New data is not a change; a value a correction adds is.
                if let Some(reason) = why_new(n) {
                    push(&mut c, "added", k, None, Some(n), reason);
                }
            }
            _ => {}
        }
    }
    DataFrame::new_infer_height(vec![
        Column::new("version".into(), c.version),
        Column::new("kind".into(), c.kind),
        Column::new("data_element".into(), c.de),
        Column::new("area".into(), c.area),
        Column::new("year".into(), c.year),
        Column::new("sex".into(), c.sex),
        Column::new("age".into(), c.age),
        Column::new("residence".into(), c.res),
        Column::new("old_value".into(), c.old_value),
        Column::new("new_value".into(), c.new_value),
        Column::new("old_submission".into(), c.old_sub),
        Column::new("new_submission".into(), c.new_sub),
        Column::new("old_source_file".into(), c.old_file),
        Column::new("new_source_file".into(), c.new_file),
        Column::new("old_source_cell".into(), c.old_cell),
        Column::new("new_source_cell".into(), c.new_cell),
        Column::new("reason".into(), c.reason),
    ])
}
