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
use rayon::prelude::*;

use crate::config::forms::AreaFrom;
use crate::config::Config;
use crate::model::{Issue, Severity};
use crate::pipeline::FileResult;

/// What a return replaces: (form, years, reporting units). The reporting unit of a
/// value is its area for forms with one file per area; otherwise the area that
/// reports it: a town's county (a return lists the towns of one county), a
/// higher area itself.
type SupersessionKey = (String, Vec<i32>, Vec<String>);

/// Mark superseded returns. `mtime_ns[i]` is the modification time of `results[i]`'s file.
/// Returns, for each submission in force that replaced another, the replaced source files.
pub fn supersede(results: &mut [FileResult], facts: &[crate::pipeline::FileFacts], mtime_ns: &[u64], cfg: &Config) -> HashMap<String, Vec<String>> {
    let mut groups: BTreeMap<SupersessionKey, Vec<usize>> = BTreeMap::new();
    let parents: std::collections::HashSet<&str> = cfg.areas.list.iter().filter_map(|a| a.parent.as_deref()).collect();
    for (i, r) in results.iter().enumerate() {
        if r.submission.status != "loaded" {
            continue;
        }
        let Some(form) = r.submission.form.as_deref().and_then(|id| cfg.forms.iter().find(|f| f.id() == id)) else { continue };
        let years: BTreeSet<i32> = facts[i].years.iter().copied().collect();
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
        let areas: BTreeSet<String> = facts[i].areas.iter().map(|a| unit(a)).collect();
        groups.entry((form.id().to_string(), years.into_iter().collect(), areas.into_iter().collect())).or_default().push(i);
    }
    let mut replaced: HashMap<String, Vec<String>> = HashMap::new();
    for (_, mut members) in groups {
        if members.len() < 2 {
            continue;
        }
        // The newest file is in force; equal times fall back to the path (later wins).
        members.sort_by(|&a, &b| (mtime_ns[a], &results[a].submission.source_file).cmp(&(mtime_ns[b], &results[b].submission.source_file)));
        let Some(&winner) = members.last() else { continue };
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

/// The year partitions of `data_values` in the current version of `db`, by year.
pub fn previous_partitions(db: &Path) -> BTreeMap<i32, std::path::PathBuf> {
    crate::publish::current_version(db).map(|v| year_dirs(&v)).unwrap_or_default()
}

/// The year folders (`year=YYYY`) of `data_values` in a version folder, by year.
pub fn year_dirs(version: &Path) -> BTreeMap<i32, std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(version.join("data_values")) else { return BTreeMap::new() };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let year = e.file_name().to_str()?.strip_prefix("year=")?.parse::<i32>().ok()?;
            Some((year, e.path()))
        })
        .collect()
}

/// The reported (not derived, not aggregated) values of one year partition (every
/// part file in it): key columns, `value`, `submission`, `source_file`, `source_cell`.
pub fn previous_values(partition: &Path, year: i32) -> PolarsResult<DataFrame> {
    values_except(partition, year, &Unchanged::default())
}

/// Rows a diff can skip: the part files a run took unchanged from the last run
/// (the same files, linked: known by device and inode) and the areas their returns report.
#[derive(Debug, Default)]
pub struct Unchanged {
    pub files: std::collections::HashSet<(u64, u64)>,
    pub areas: crate::compute::AreaSet,
}

impl Unchanged {
    fn file(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        !self.files.is_empty() && std::fs::metadata(path).is_ok_and(|m| self.files.contains(&(m.dev(), m.ino())))
    }
}

/// [`previous_values`] without the rows of `skip`.
fn values_except(partition: &Path, year: i32, skip: &Unchanged) -> PolarsResult<DataFrame> {
    let listing = std::fs::read_dir(partition).map_err(|e| PolarsError::ComputeError(format!("{}: {e}", partition.display()).into()))?;
    let mut files: Vec<std::path::PathBuf> =
        listing.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "parquet") && !skip.file(p)).collect();
    files.sort();
    let mut frames = Vec::with_capacity(files.len());
    for path in files {
        let file = std::fs::File::open(&path).map_err(|e| PolarsError::ComputeError(format!("{}: {e}", path.display()).into()))?;
        // Only the columns the diff needs (the partition has twenty).
        let wanted = ["data_element", "area", "sex", "age", "residence", "value", "derived", "submission", "source_file", "source_cell"];
        frames.push(
            ParquetReader::new(file)
                .with_columns(Some(wanted.iter().map(|c| c.to_string()).collect()))
                .finish()?
                .lazy()
                .filter(col("derived").eq(lit(false)))
                .select([
                    col("data_element"),
                    col("area"),
                    lit(year).alias("year"),
                    col("sex"),
                    col("age"),
                    col("residence"),
                    col("value"),
                    col("submission"),
                    col("source_file"),
                    col("source_cell"),
                ])
                .collect()?,
        );
    }
    let all = crate::compute::stack(frames)?.unwrap_or_else(empty_diff);
    if skip.areas.is_empty() {
        return Ok(all);
    }
    Ok(crate::compute::split_by_area(all, &skip.areas)?.0)
}

/// A frame of no values with the columns of [`previous_values`].
fn empty_diff() -> DataFrame {
    let s = |n: &str| Column::new(n.into(), Vec::<String>::new());
    DataFrame::new_infer_height(vec![
        s("data_element"),
        s("area"),
        Column::new("year".into(), Vec::<i32>::new()),
        s("sex"),
        s("age"),
        s("residence"),
        Column::new("value".into(), Vec::<Option<f64>>::new()),
        s("submission"),
        s("source_file"),
        s("source_cell"),
    ])
    .unwrap_or_default()
}

/// The changes since the version in force, year by year (one previous partition in
/// memory at a time, not the whole previous table), in key order.
pub fn changes_since(db: &Path, now: &DataFrame, ctx: &Context) -> PolarsResult<DataFrame> {
    let previous = previous_partitions(db);
    let empty = now.clear().lazy().select(DIFF_COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>()).collect()?;
    if previous.is_empty() {
        // No version in force: nothing to compare with (the first run, or a database
        // whose previous version has no values).
        return changes(&empty, &now.clear(), ctx);
    }
    let mut years: BTreeSet<i32> = previous.keys().copied().collect();
    if now.height() > 0 {
        years.extend(now.column("year")?.i32()?.iter().flatten());
    }
    let mut out = Vec::with_capacity(years.len());
    for year in years {
        let prev = match previous.get(&year) {
            Some(p) => previous_values(p, year)?,
            None => empty.clone(),
        };
        let now_y = now.clone().lazy().filter(col("year").eq(lit(year))).collect()?;
        out.push(changes(&prev, &now_y, ctx)?);
    }
    sorted_changes(out, || changes(&empty, &now.clear(), ctx))
}

/// [`changes_since`] for a run whose values are already written, in parts, to the
/// `staged` version folder: both sides are read back year by year.
/// Parts taken unchanged from the last run (`skip`) are left out of both sides: their rows are the same.
pub fn changes_staged(db: &Path, staged: &Path, ctx: &Context, skip: &Unchanged) -> PolarsResult<DataFrame> {
    let previous = previous_partitions(db);
    let empty = empty_diff();
    if previous.is_empty() {
        return changes(&empty, &empty, ctx);
    }
    let now = year_dirs(staged);
    let years: BTreeSet<i32> = previous.keys().chain(now.keys()).copied().collect();
    // Years are independent: diffed on both cores (in year order, as before).
    let out = years
        .into_par_iter()
        .map(|year| {
            let read = |dirs: &BTreeMap<i32, std::path::PathBuf>| dirs.get(&year).map_or_else(|| Ok(empty.clone()), |p| values_except(p, year, skip));
            changes(&read(&previous)?, &read(&now)?, ctx)
        })
        .collect::<PolarsResult<Vec<DataFrame>>>()?;
    sorted_changes(out, || changes(&empty, &empty, ctx))
}

fn sorted_changes(parts: Vec<DataFrame>, none: impl FnOnce() -> PolarsResult<DataFrame>) -> PolarsResult<DataFrame> {
    match crate::compute::stack(parts)? {
        Some(df) => {
            df.lazy().sort(["data_element", "area", "year", "sex", "age", "residence"], SortMultipleOptions::default().with_maintain_order(true)).collect()
        }
        None => none(),
    }
}

const DIFF_COLUMNS: [&str; 10] = ["data_element", "area", "year", "sex", "age", "residence", "value", "submission", "source_file", "source_cell"];

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

/// New rows of the changes table: `prev` (the last version's reported values, see
/// [`previous_values`]) against `now` (this run's reported values as a frame, derived rows
/// included or not). A full join on the key; only the differing keys come back to Rust.
pub fn changes(prev: &DataFrame, now: &DataFrame, ctx: &Context) -> PolarsResult<DataFrame> {
    let key = ["data_element", "area", "year", "sex", "age", "residence"];
    let keys: Vec<Expr> = key.iter().map(|k| col(*k)).collect();
    let side = |df: &DataFrame, tag: &str| -> LazyFrame {
        let mut sel: Vec<Expr> = keys.clone();
        for c in ["value", "submission", "source_file", "source_cell"] {
            sel.push(col(c).alias(format!("{tag}_{c}")));
        }
        sel.push(lit(true).alias(format!("_{tag}")));
        df.clone().lazy().select(sel)
    };
    // Reported values only (a frame read back from a version has no derived rows left).
    let cur = match now.column("derived") {
        Ok(_) => now.clone().lazy().filter(col("derived").eq(lit(false))).collect()?,
        Err(_) => now.clone(),
    };
    let diff = side(prev, "old")
        .join(side(&cur, "new"), keys.clone(), keys.clone(), JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns))
        .filter(col("_old").is_null().or(col("_new").is_null()).or(col("old_value").eq_missing(col("new_value")).not()))
        .sort(key.to_vec(), SortMultipleOptions::default())
        .collect()?;
    let s = |c: &str| diff.column(c).and_then(|c| c.str().cloned());
    let (de, area, sex, age, res) = (s("data_element")?, s("area")?, s("sex")?, s("age")?, s("residence")?);
    let year = diff.column("year")?.i32()?.clone();
    let (old_v, new_v) = (diff.column("old_value")?.f64()?.clone(), diff.column("new_value")?.f64()?.clone());
    let (old_s, new_s, old_f, new_f, old_c, new_c) =
        (s("old_submission")?, s("new_submission")?, s("old_source_file")?, s("new_source_file")?, s("old_source_cell")?, s("new_source_cell")?);
    let (has_old, has_new) = (diff.column("_old")?.bool()?.clone(), diff.column("_new")?.bool()?.clone());
    let why_new = |sub: Option<&str>, file: Option<&str>| -> Option<String> {
        let file = file.unwrap_or_default();
        if let Some(old) = sub.and_then(|s| ctx.replaced.get(s)) {
            return Some(format!("correction: {file} supersedes {}", old.join(", ")));
        }
        ctx.changed_files.contains(file).then(|| format!("{file} was changed"))
    };
    let mut c = Cols::default();
    for i in 0..diff.height() {
        let (o, n) = (has_old.get(i) == Some(true), has_new.get(i) == Some(true));
        let (kind, reason) = match (o, n) {
            (true, true) => ("changed", why_new(new_s.get(i), new_f.get(i)).unwrap_or_else(|| "value changed".into())),
            (true, false) => {
                let file = old_f.get(i).unwrap_or_default();
                let reason = if ctx.removed_files.contains(file) {
                    format!("file removed: {file}")
                } else if let Some((sub, _)) = ctx.replaced.iter().find(|(_, old)| old.iter().any(|x| x == file)) {
                    format!("superseded by submission {sub}, which does not report it or whose value was withheld by a validation error (see issues)")
                } else {
                    "no longer reported (or withheld by a validation error)".into()
                };
                ("removed", reason)
            }
            // New data is not a change; a value a correction adds is.
            (false, true) => match why_new(new_s.get(i), new_f.get(i)) {
                Some(r) => ("added", r),
                None => continue,
            },
            (false, false) => continue,
        };
        let txt = |x: Option<&str>| x.map(str::to_string);
        c.version.push(ctx.version.to_string());
        c.kind.push(kind);
        c.de.push(de.get(i).unwrap_or_default().to_string());
        c.area.push(area.get(i).unwrap_or_default().to_string());
        c.year.push(year.get(i).unwrap_or_default());
        c.sex.push(sex.get(i).unwrap_or_default().to_string());
        c.age.push(age.get(i).unwrap_or_default().to_string());
        c.res.push(res.get(i).unwrap_or_default().to_string());
        c.old_value.push(if o { old_v.get(i) } else { None });
        c.new_value.push(if n { new_v.get(i) } else { None });
        c.old_sub.push(txt(old_s.get(i)));
        c.new_sub.push(txt(new_s.get(i)));
        c.old_file.push(txt(old_f.get(i)));
        c.new_file.push(txt(new_f.get(i)));
        c.old_cell.push(txt(old_c.get(i)));
        c.new_cell.push(txt(new_c.get(i)));
        c.reason.push(reason);
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
