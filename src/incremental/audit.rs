//! The audit trail (`changes.parquet`): every reported value that differs from
//! the previous published version (changed, removed, or added by a correction),
//! with the old and new value, submission, file and cell, and why.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use polars::prelude::*;
use polars_io::prelude::{ParquetReader, SerReader};
use rayon::prelude::*;

use crate::store::parts::Unchanged;
use crate::store::StoreError;

/// Why the changes could not be made: a file of a version that cannot be read
/// (named), or the diff itself.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}", crate::t!(crate::i18n::lang(), "err-changes", error = &.0.to_string()))]
    Compute(#[from] PolarsError),
}

/// The year partitions of `data_values` in the current version of `db`, by year.
pub fn previous_partitions(db: &Path) -> BTreeMap<i32, std::path::PathBuf> {
    crate::store::publish::current_version(db).map(|v| year_dirs(&v)).unwrap_or_default()
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
///
/// A file of the version in force that cannot be read (damaged on disk) is left
/// out with a warning naming it: the diff then counts its rows as new, and the
/// run still publishes (a rebuild repairs a damaged database).
pub fn previous_values(partition: &Path, year: i32) -> Result<DataFrame, AuditError> {
    values_except(partition, year, &Unchanged::default(), &BTreeSet::new(), true)
}

/// The Parquet files of a year partition, in name order.
fn part_files(partition: &Path) -> Result<Vec<std::path::PathBuf>, StoreError> {
    let listing = std::fs::read_dir(partition).map_err(StoreError::io(partition))?;
    let mut files: Vec<std::path::PathBuf> =
        listing.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "parquet")).collect();
    files.sort();
    Ok(files)
}

/// The names of the part files two year partitions both hold with the same bytes.
///
/// Their rows are the same on both sides, and no key of them is anywhere else in
/// either partition (a reported value's key is unique in its year: parts are
/// disjoint area subtrees, and validation keeps one value per key), so leaving
/// them out of both sides changes no row of the diff. Output is deterministic, so
/// a part whose returns did not change since the last version (most of a year's
/// parts after a correction or a rebuild) is written again byte for byte.
fn identical_parts(old: &Path, new: &Path) -> Result<BTreeSet<std::ffi::OsString>, StoreError> {
    let mut same = BTreeSet::new();
    for path in part_files(new)? {
        let Some(name) = path.file_name() else { continue };
        let before = old.join(name);
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
        if size(&before).is_none_or(|n| Some(n) != size(&path)) {
            continue;
        }
        if let (Ok(a), Ok(b)) = (std::fs::read(&before), std::fs::read(&path)) {
            if a == b {
                same.insert(name.to_os_string());
            }
        }
    }
    Ok(same)
}

/// [`previous_values`] without the rows of `skip`, nor those of the part files named in `same`.
/// With `tolerant`, a file that cannot be read is left out with a warning (the version in force, damaged).
fn values_except(partition: &Path, year: i32, skip: &Unchanged, same: &BTreeSet<std::ffi::OsString>, tolerant: bool) -> Result<DataFrame, AuditError> {
    let files: Vec<std::path::PathBuf> =
        part_files(partition)?.into_iter().filter(|p| !skip.file(p) && !p.file_name().is_some_and(|n| same.contains(n))).collect();
    let mut frames = Vec::with_capacity(files.len());
    for path in files {
        let read = || -> Result<DataFrame, StoreError> {
            let file = std::fs::File::open(&path).map_err(StoreError::io(&path))?;
            // Only the columns the diff needs (the partition has twenty).
            let wanted = ["data_element", "area", "sex", "age", "residence", "value", "derived", "submission", "source_file", "source_cell"];
            ParquetReader::new(file).with_columns(Some(wanted.iter().map(|c| c.to_string()).collect())).finish().map_err(StoreError::parquet(&path))
        };
        let df = match read() {
            Ok(df) => df,
            Err(e) if tolerant => {
                tracing::warn!("a file of the version in force cannot be read, its rows are left out of the changes: {e}");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        frames.push(
            df.lazy()
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
pub fn changes_since(db: &Path, now: &DataFrame, ctx: &Context) -> Result<DataFrame, AuditError> {
    let previous = previous_partitions(db);
    let empty = now.clear().lazy().select(DIFF_COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>()).collect()?;
    if previous.is_empty() {
        // No version in force: nothing to compare with (the first run, or a database
        // whose previous version has no values).
        return Ok(changes(&empty, &now.clear(), ctx)?);
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
    Ok(sorted_changes(out, || changes(&empty, &now.clear(), ctx))?)
}

/// [`changes_since`] for a run whose values are already written, in parts, to the
/// `staged` version folder: both sides are read back year by year.
/// Parts taken unchanged from the last run (`skip`), and part files written again
/// with the same bytes as the last version's, are left out of both sides: their rows are the same.
pub fn changes_staged(db: &Path, staged: &Path, ctx: &Context, skip: &Unchanged) -> Result<DataFrame, AuditError> {
    let previous = previous_partitions(db);
    let empty = empty_diff();
    if previous.is_empty() {
        return Ok(changes(&empty, &empty, ctx)?);
    }
    let now = year_dirs(staged);
    let years: BTreeSet<i32> = previous.keys().chain(now.keys()).copied().collect();
    // Years are independent: diffed on both cores (in year order, as before).
    let out = years
        .into_par_iter()
        .map(|year| {
            let same = match (previous.get(&year), now.get(&year)) {
                (Some(old), Some(new)) => identical_parts(old, new)?,
                _ => BTreeSet::new(),
            };
            let read = |dirs: &BTreeMap<i32, std::path::PathBuf>, tolerant: bool| {
                dirs.get(&year).map_or_else(|| Ok(empty.clone()), |p| values_except(p, year, skip, &same, tolerant))
            };
            Ok(changes(&read(&previous, true)?, &read(&now, false)?, ctx)?)
        })
        .collect::<Result<Vec<DataFrame>, AuditError>>()?;
    Ok(sorted_changes(out, || changes(&empty, &empty, ctx))?)
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
    let current = crate::store::publish::current_version(db)?;
    let file = std::fs::File::open(current.join("changes.parquet")).ok()?;
    ParquetReader::new(file).finish().ok()
}

/// (submission, file, cell) of a side's row (the columns in that order).
fn origin<'a>(
    row: Option<IdxSize>,
    (s, f, c): (&'a StringChunked, &'a StringChunked, &'a StringChunked),
) -> (Option<&'a str>, Option<&'a str>, Option<&'a str>) {
    match row.map(|r| r as usize) {
        Some(r) => (s.get(r), f.get(r), c.get(r)),
        None => (None, None, None),
    }
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
/// included or not). A full join on the key and the value, each side's row number
/// carried through; only the differing keys come back to Rust, which then reads their
/// submission, file and cell by row number. (Joining those along gathered three text
/// columns a side for every one of millions of rows, most of the diff's time.)
pub fn changes(prev: &DataFrame, now: &DataFrame, ctx: &Context) -> PolarsResult<DataFrame> {
    let key = ["data_element", "area", "year", "sex", "age", "residence"];
    let keys: Vec<Expr> = key.iter().map(|k| col(*k)).collect();
    // The key, the value and the row number (`_old`, `_new`: null where that side has no row).
    let side = |df: &DataFrame, tag: &str| -> LazyFrame {
        let mut sel: Vec<Expr> = keys.clone();
        sel.push(col("value").alias(format!("{tag}_value")));
        sel.push(col(format!("_{tag}")));
        df.clone().lazy().with_row_index(format!("_{tag}"), None).select(sel)
    };
    // Reported values only (a frame read back from a version has no derived rows left).
    let cur = match now.column("derived") {
        Ok(_) => now.clone().lazy().filter(col("derived").eq(lit(false))).collect()?,
        Err(_) => now.clone(),
    };
    let diff = side(prev, "old")
        .join(side(&cur, "new"), keys.clone(), keys.clone(), JoinArgs::new(JoinType::Full).with_coalesce(polars_ops::frame::JoinCoalesce::CoalesceColumns))
        .filter(col("_old").is_null().or(col("_new").is_null()).or(col("old_value").eq_missing(col("new_value")).not()))
        .sort(key.to_vec(), SortMultipleOptions::default())
        .collect()?;
    let s = |c: &str| diff.column(c).and_then(|c| c.str().cloned());
    let (de, area, sex, age, res) = (s("data_element")?, s("area")?, s("sex")?, s("age")?, s("residence")?);
    let year = diff.column("year")?.i32()?.clone();
    let (old_v, new_v) = (diff.column("old_value")?.f64()?.clone(), diff.column("new_value")?.f64()?.clone());
    let (old_row, new_row) = (diff.column("_old")?.idx()?.clone(), diff.column("_new")?.idx()?.clone());
    // A side's submission, file or cell at the row a diff row came from.
    let text = |df: &DataFrame, c: &str| df.column(c).and_then(|c| c.str().cloned());
    let (prev_s, prev_f, prev_c, cur_s, cur_f, cur_c) = (
        text(prev, "submission")?,
        text(prev, "source_file")?,
        text(prev, "source_cell")?,
        text(&cur, "submission")?,
        text(&cur, "source_file")?,
        text(&cur, "source_cell")?,
    );

    let why_new = |sub: Option<&str>, file: Option<&str>| -> Option<String> {
        let file = file.unwrap_or_default();
        if let Some(old) = sub.and_then(|s| ctx.replaced.get(s)) {
            return Some(format!("correction: {file} supersedes {}", old.join(", ")));
        }
        ctx.changed_files.contains(file).then(|| format!("{file} was changed"))
    };
    let mut c = Cols::default();
    for i in 0..diff.height() {
        let (o, n) = (old_row.get(i).is_some(), new_row.get(i).is_some());
        let (old_s, old_f, old_c) = origin(old_row.get(i), (&prev_s, &prev_f, &prev_c));
        let (new_s, new_f, new_c) = origin(new_row.get(i), (&cur_s, &cur_f, &cur_c));
        let (kind, reason) = match (o, n) {
            (true, true) => ("changed", why_new(new_s, new_f).unwrap_or_else(|| "value changed".into())),
            (true, false) => {
                let file = old_f.unwrap_or_default();
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
            (false, true) => match why_new(new_s, new_f) {
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
        c.old_sub.push(txt(old_s));
        c.new_sub.push(txt(new_s));
        c.old_file.push(txt(old_f));
        c.new_file.push(txt(new_f));
        c.old_cell.push(txt(old_c));
        c.new_cell.push(txt(new_c));
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    type Key = (String, String, i32, String, String, String);
    /// Where a reported value comes from: (value, submission, file, cell).
    type Origin = (Option<f64>, String, String, String);
    /// A reported value: its key and origin.
    type Row = (Key, Origin);

    fn frame(rows: &[Row]) -> DataFrame {
        let text = |f: &dyn Fn(&Row) -> String| rows.iter().map(f).collect::<Vec<String>>();
        DataFrame::new_infer_height(vec![
            Column::new("data_element".into(), text(&|r| r.0 .0.clone())),
            Column::new("area".into(), text(&|r| r.0 .1.clone())),
            Column::new("year".into(), rows.iter().map(|r| r.0 .2).collect::<Vec<i32>>()),
            Column::new("sex".into(), text(&|r| r.0 .3.clone())),
            Column::new("age".into(), text(&|r| r.0 .4.clone())),
            Column::new("residence".into(), text(&|r| r.0 .5.clone())),
            Column::new("value".into(), rows.iter().map(|r| r.1 .0).collect::<Vec<Option<f64>>>()),
            Column::new("submission".into(), text(&|r| r.1 .1.clone())),
            Column::new("source_file".into(), text(&|r| r.1 .2.clone())),
            Column::new("source_cell".into(), text(&|r| r.1 .3.clone())),
        ])
        .unwrap()
    }

    /// The changes as the contract states them, from the two sides' rows by key.
    fn expected(old: &[Row], new: &[Row], ctx: &Context) -> Vec<Vec<String>> {
        let (o, n): (BTreeMap<&Key, _>, BTreeMap<&Key, _>) = (old.iter().map(|r| (&r.0, &r.1)).collect(), new.iter().map(|r| (&r.0, &r.1)).collect());
        let keys: BTreeSet<&Key> = o.keys().chain(n.keys()).copied().collect();
        let why = |sub: &str, file: &str| match ctx.replaced.get(sub) {
            Some(old) => Some(format!("correction: {file} supersedes {}", old.join(", "))),
            None => ctx.changed_files.contains(file).then(|| format!("{file} was changed")),
        };
        let mut out = Vec::new();
        for k in keys {
            let (kind, reason) = match (o.get(k), n.get(k)) {
                (Some(a), Some(b)) if a.0 == b.0 => continue,
                (Some(_), Some(b)) => ("changed", why(&b.1, &b.2).unwrap_or("value changed".into())),
                (Some(a), None) if ctx.removed_files.contains(&a.2) => ("removed", format!("file removed: {}", a.2)),
                (Some(a), None) => match ctx.replaced.iter().find(|(_, files)| files.contains(&a.2)) {
                    Some((sub, _)) => (
                        "removed",
                        format!("superseded by submission {sub}, which does not report it or whose value was withheld by a validation error (see issues)"),
                    ),
                    None => ("removed", "no longer reported (or withheld by a validation error)".into()),
                },
                (None, Some(b)) => match why(&b.1, &b.2) {
                    Some(r) => ("added", r),
                    None => continue,
                },
                (None, None) => continue,
            };
            let num = |x: Option<&&Origin>| format!("{:?}", x.and_then(|x| x.0));
            let txt = |x: Option<&&Origin>, f: fn(&Origin) -> &String| format!("{:?}", x.map(|x| f(x)));
            let (a, b) = (o.get(k), n.get(k));
            out.push(vec![
                ctx.version.to_string(),
                kind.to_string(),
                k.0.clone(),
                k.1.clone(),
                k.2.to_string(),
                k.3.clone(),
                k.4.clone(),
                k.5.clone(),
                num(a),
                num(b),
                txt(a, |x| &x.1),
                txt(b, |x| &x.1),
                txt(a, |x| &x.2),
                txt(b, |x| &x.2),
                txt(a, |x| &x.3),
                txt(b, |x| &x.3),
                reason,
            ]);
        }
        out
    }

    /// The changes table's rows as text, in its column order.
    fn rows_of(df: &DataFrame) -> Vec<Vec<String>> {
        let s = |c: &str, i: usize| df.column(c).unwrap().str().unwrap().get(i).map(str::to_string);
        let f = |c: &str, i: usize| format!("{:?}", df.column(c).unwrap().f64().unwrap().get(i));
        let o = |c: &str, i: usize| format!("{:?}", s(c, i));
        (0..df.height())
            .map(|i| {
                let mut row: Vec<String> = ["version", "kind", "data_element", "area"].iter().map(|c| s(c, i).unwrap()).collect();
                row.push(df.column("year").unwrap().i32().unwrap().get(i).unwrap().to_string());
                row.extend(["sex", "age", "residence"].iter().map(|c| s(c, i).unwrap()));
                row.extend([f("old_value", i), f("new_value", i)]);
                row.extend(
                    ["old_submission", "new_submission", "old_source_file", "new_source_file", "old_source_cell", "new_source_cell"].iter().map(|c| o(c, i)),
                );
                row.push(s("reason", i).unwrap());
                row
            })
            .collect()
    }

    #[test]
    fn the_changes_are_the_keys_whose_value_came_or_went_or_moved() {
        let replaced = HashMap::from([("s9".to_string(), vec!["d.xlsx".to_string()])]);
        let (changed, removed) = (BTreeSet::from(["b.xlsx".to_string()]), BTreeSet::from(["c.xlsx".to_string()]));
        let ctx = Context { replaced: &replaced, changed_files: &changed, removed_files: &removed, version: "v000002" };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        let values = [Some(1.0), Some(2.0), Some(0.0), None, Some(12.5)];
        let (files, subs) = (["a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"], ["s1", "s2", "s9"]);
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for round in 0..100 {
            // Every key of a small space at most once a side (as `data_values` holds them).
            let mut space: Vec<Key> = Vec::new();
            for de in ["births", "deaths"] {
                for area in ["421321100", "421321101"] {
                    for year in [2023, 2024] {
                        for sex in ["F", "M", "_T"] {
                            space.push((de.into(), area.into(), year, sex.into(), "_T".into(), "_T".into()));
                        }
                    }
                }
            }
            let row = |k: &Key, rng: &mut rand_chacha::ChaCha8Rng| -> Row {
                let origin = (values[rng.random_range(0..values.len())], subs[rng.random_range(0..3)].to_string(), files[rng.random_range(0..4)].to_string());
                (k.clone(), (origin.0, origin.1, origin.2, format!("B{}", rng.random_range(1..20))))
            };
            let mut old: Vec<Row> = Vec::new();
            for k in &space {
                if rng.random_bool(0.6) {
                    old.push(row(k, &mut rng));
                }
            }
            let mut new: Vec<Row> = Vec::new();
            for k in &space {
                if !rng.random_bool(0.6) {
                    continue;
                }
                new.push(match old.iter().find(|r| &r.0 == k) {
                    // Mostly the same value again (from the same or another submission), now and then another.
                    Some(r) if rng.random_bool(0.7) => {
                        let mut r = r.clone();
                        r.1 .1 = subs[rng.random_range(0..3)].to_string();
                        r
                    }
                    _ => row(k, &mut rng),
                });
            }
            // Rows in no particular order, as parts come.
            let (mut old_rows, mut new_rows) = (old.clone(), new.clone());
            old_rows.reverse();
            let third = new_rows.len() / 3;
            new_rows.rotate_left(third);
            let got = rows_of(&changes(&frame(&old_rows), &frame(&new_rows), &ctx).unwrap());
            let want = expected(&old, &new, &ctx);
            assert_eq!(got, want, "round {round}");
            for r in &want {
                *kinds.entry(format!("{} {}", r[1], r[16].split(':').next().unwrap())).or_default() += 1;
            }
        }
        // Every kind and reason came up.
        assert_eq!(kinds.len(), 8, "{kinds:?}");
    }

    /// Write rows as a part file of `data_values` (with a derived row that the diff must ignore).
    fn write_part(dir: &Path, name: &str, rows: &[Row]) -> Result<(), Box<dyn std::error::Error>> {
        std::fs::create_dir_all(dir)?;
        let mut df = frame(rows).lazy().with_column(lit(false).alias("derived")).collect()?;
        let derived = frame(&rows[..1]).lazy().with_columns([lit(99.0).alias("value"), lit(true).alias("derived")]).collect()?;
        df.vstack_mut(&derived)?;
        crate::store::publish::parquet::write(&mut df, std::fs::File::create(dir.join(name))?)?;
        Ok(())
    }

    #[test]
    fn part_files_written_again_with_the_same_bytes_are_left_out_of_the_diff_without_changing_it() -> Result<(), Box<dyn std::error::Error>> {
        let (replaced, changed, removed) = (HashMap::new(), BTreeSet::from(["b.xlsx".to_string()]), BTreeSet::new());
        let ctx = Context { replaced: &replaced, changed_files: &changed, removed_files: &removed, version: "v000002" };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for round in 0..20 {
            let tmp = tempfile::tempdir()?;
            let (db, staged) = (tmp.path().join("db"), tmp.path().join("staged"));
            std::fs::create_dir_all(db.join("versions/v000001"))?;
            std::os::unix::fs::symlink("versions/v000001", db.join("current"))?;
            let (mut old_all, mut new_all) = (Vec::new(), Vec::new());
            // Part k holds area k's values; part 0 is the same on both sides, part 1
            // has one value changed and part 2 one removed (both from b.xlsx, a changed file).
            for year in [2023, 2024] {
                for part in 0..3 {
                    let area = format!("42132110{part}");
                    let rows: Vec<Row> = ["births", "deaths", "women"]
                        .iter()
                        .flat_map(|de| ["F", "M", "_T"].map(|sex| (de.to_string(), sex)))
                        .map(|(de, sex)| {
                            let key = (de, area.clone(), year, sex.to_string(), "_T".to_string(), "_T".to_string());
                            (key, (Some(rng.random_range(0..50) as f64), "s1".to_string(), "b.xlsx".to_string(), format!("C{}", rng.random_range(1..30))))
                        })
                        .collect();
                    let mut new = rows.clone();
                    match part {
                        1 => {
                            let at = rng.random_range(0..new.len());
                            new[at].1 .0 = Some(1000.0);
                        }
                        2 => {
                            let at = rng.random_range(0..new.len());
                            new.remove(at);
                        }
                        _ => {}
                    }
                    let name = format!("part-{part}.parquet");
                    let dir = |root: &Path| root.join(format!("data_values/year={year}"));
                    write_part(&dir(&db.join("versions/v000001")), &name, &rows)?;
                    // 2024 is gone from the new version but for its part 0.
                    if year == 2023 || part == 0 {
                        write_part(&dir(&staged), &name, &new)?;
                        new_all.extend(new);
                    }
                    old_all.extend(rows);
                }
            }
            let same = |y: i32| identical_parts(&db.join(format!("versions/v000001/data_values/year={y}")), &staged.join(format!("data_values/year={y}")));
            let names = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<BTreeSet<_>>();
            assert_eq!((same(2023)?, same(2024)?), (names(&["part-0.parquet"]), names(&["part-0.parquet"])), "round {round}");
            let got = rows_of(&changes_staged(&db, &staged, &ctx, &Unchanged::default())?);
            let want = expected(&old_all, &new_all, &ctx);
            assert_eq!(got, want, "round {round}");
            // One changed in part 1 of 2023, one removed from part 2, and all 2024 rows but part 0's.
            assert_eq!(want.len(), 2 + 2 * 9, "round {round}");
        }
        Ok(())
    }
}
