//! One run: discover → read + recognise + normalise + validate (in parallel,
//! one workbook per rayon task) → compute → publish.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::compute::{self, frames};
use crate::config::{Config, ConfigError, Form};
use crate::ingest::{self, InputFile, Workbook};
use crate::model::{Issue, Observation, Severity, Submission};
use crate::normalise::{self, FileCtx, Normalised};
use crate::publish::{self, Manifest, Table};
use crate::validate;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub inbox: PathBuf,
    pub db: PathBuf,
    pub pipelines: PathBuf,
    /// `run` (incremental: only new or changed files are read) or `rebuild` (every file, ignoring the state).
    pub mode: String,
    pub progress: bool,
    /// Versions of the database to keep (the current one included).
    pub keep_versions: usize,
    /// A run of more values than this is computed part by part: whole area
    /// subtrees (a province's counties) at a time, then the roots from the parts'
    /// sums. Memory then grows with the part, not the inbox; the rows published
    /// are the same.
    pub part_values: usize,
}

/// Counts printed at the end of a run and recorded in the manifest.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunSummary {
    pub files: usize,
    pub files_loaded: usize,
    pub files_failed: usize,
    pub cells_read: u64,
    pub values_landed: u64,
    pub values_rejected: u64,
    pub values_derived: u64,
    pub aggregated_values: usize,
    pub issues_by_severity: BTreeMap<String, usize>,
    pub indicator_values: usize,
    pub indicators_with_data: usize,
    pub indicators_total: usize,
    pub progress: crate::progress::ProgressSummary,
    /// Files read (parsed) this run; the rest came from the state cache.
    pub files_read: usize,
    pub files_cached: usize,
    pub files_superseded: usize,
    /// Parts the run was computed in (1: one pass), and of them taken unchanged from the last run.
    pub parts: usize,
    pub parts_reused: usize,
    /// Rows added to the changes table by this run.
    pub changes: usize,
    /// `published` or `unchanged` (nothing new: the current version stands).
    pub outcome: String,
    pub version: String,
    pub duration_ms: u128,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot list the inbox {path}: {source}")]
    Inbox { path: PathBuf, source: std::io::Error },
    #[error("compute: {0}")]
    Compute(#[from] PolarsError),
    #[error(transparent)]
    Publish(#[from] publish::PublishError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error("state: {0}")]
    State(String),
}

/// Everything one input file produced (before validation, which spans files):
/// what the state cache keeps per file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FileResult {
    pub submission: Submission,
    pub observations: Vec<Observation>,
    pub issues: Vec<Issue>,
    /// The return's own totals, for the area balance rule.
    pub controls: Vec<normalise::Control>,
}

/// One file after the read stage: its result, content hash, whether it was parsed
/// this run (or came from the cache), and where its result is cached.
struct Outcome {
    result: FileResult,
    sha: String,
    read: bool,
    cache: Option<crate::state::CacheLoc>,
}

/// Which forms a workbook is; errors are issues for the file.
pub fn recognise<'c>(wb: &Workbook, file_name: &str, cfg: &'c Config) -> Vec<&'c Form> {
    cfg.forms
        .iter()
        .filter(|f| f.file_name_re.as_ref().is_none_or(|re| re.is_match(file_name)))
        .filter(|f| normalise::workbook_has_labels(wb, &f.raw.matching.header_labels))
        .filter(|f| f.raw.matching.file_name.is_some() || !f.raw.matching.header_labels.is_empty())
        .collect()
}

/// Read, recognise and normalise one file. Never panics on bad input.
pub fn process_file(file: &InputFile, cfg: &Config) -> FileResult {
    match ingest::read_bytes(&file.path) {
        Ok((bytes, sha)) => process_bytes(file, bytes, sha, cfg),
        Err(e) => process_file_error(file, e.to_string()),
    }
}

/// Recognise, normalise one file already read (its bytes and SHA-256).
pub fn process_bytes(file: &InputFile, bytes: Vec<u8>, sha: String, cfg: &Config) -> FileResult {
    let file_name = file.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let mut sub = Submission::new(String::new(), &file.rel);
    let fail = |sub: Submission, rule: &'static str, msg: String| {
        let mut issue = Issue::new(Severity::Error, rule, msg).at(&sub.source_file, None, None);
        issue.submission = Some(sub.submission.clone());
        FileResult { submission: sub, observations: Vec::new(), issues: vec![issue], controls: Vec::new() }
    };
    sub.submission = sha[..16].to_string();
    sub.source_sha256 = Some(sha.clone());
    let wb = match std::panic::catch_unwind(|| ingest::read_workbook(bytes)) {
        Ok(Ok(wb)) => wb,
        Ok(Err(e)) => return fail(sub, "unreadable_file", e.to_string()),
        Err(_) => return fail(sub, "unreadable_file", "the spreadsheet reader failed on this file (corrupt workbook)".into()),
    };
    sub.format = Some(wb.format.to_string());
    let mut issues: Vec<Issue> = wb
        .sheet_errors
        .iter()
        .map(|(sheet, reason)| {
            let mut i = Issue::new(Severity::Error, "unreadable_sheet", format!("sheet {sheet:?} refused: {reason}"))
                .at(&file.rel, Some(sheet), None);
            i.submission = Some(sub.submission.clone());
            i
        })
        .collect();
    let forms = recognise(&wb, &file_name, cfg);
    let form = match forms.as_slice() {
        [f] => *f,
        [] => {
            sub.status = "unrecognised".into();
            let sheets: Vec<&str> = wb.sheets.iter().map(|s| s.name.as_str()).collect();
            let mut r = fail(
                sub,
                "unrecognised_file",
                format!(
                    "no pipeline file recognises this return (sheets {sheets:?}); add a form under pipelines/forms/ (see `wcmon inspect`)"
                ),
            );
            r.submission.status = "unrecognised".into();
            r.issues.extend(issues);
            return r;
        }
        many => {
            let ids: Vec<&str> = many.iter().map(|f| f.id()).collect();
            let mut r = fail(sub, "ambiguous_form", format!("several forms recognise this file: {ids:?}; make their [match] stricter"));
            r.issues.extend(issues);
            return r;
        }
    };
    sub.form = Some(form.id().to_string());
    sub.reporter = Some(form.raw.form.body.clone());
    let ctx = FileCtx { rel: &file.rel, file_name: &file_name, sha256: &sha, submission: &sub.submission };
    let mut n: Normalised = normalise::normalise_workbook(&wb, form, cfg, &ctx);
    issues.append(&mut n.issues);
    sub.cells_read = n.cells_read;
    sub.values_landed = n.landed;
    sub.values_rejected = n.rejected;
    sub.values_derived = n.derived;
    sub.year = n.years.first().copied().filter(|_| n.years.len() == 1);
    sub.status = if n.tables_found > 0 { "loaded".into() } else { "failed".into() };
    FileResult { submission: sub, observations: n.observations, issues, controls: n.controls }
}

/// Validate all files' values together (rules span returns), then derive the
/// sexes each return implies from what was kept, and update the counts.
pub fn validate_and_derive(results: &mut [FileResult], cfg: &Config, history: &validate::History) -> Vec<validate::RuleStat> {
    let mut batches: Vec<validate::Batch> = results
        .iter_mut()
        .map(|r| validate::Batch {
            form: r.submission.form.as_deref(),
            file: r.submission.source_file.as_str(),
            observations: &mut r.observations,
            controls: &r.controls,
            issues: &mut r.issues,
            withheld: 0,
        })
        .collect();
    let t = Instant::now();
    let stats = validate::validate(&mut batches, cfg, history);
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "validated");
    let withheld: Vec<u64> = batches.iter().map(|b| b.withheld).collect();
    drop(batches);
    // Each file on its own, on every core.
    results.par_iter_mut().zip(withheld).for_each(|(r, w)| {
        r.submission.values_landed -= w;
        r.submission.values_rejected += w;
        if let Some(form) = r.submission.form.as_deref().and_then(|id| cfg.forms.iter().find(|f| f.id() == id)) {
            let derived = normalise::derive_sexes(form, cfg, &r.observations);
            r.submission.values_derived = derived.len() as u64;
            r.observations.extend(derived);
        }
    });
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "sexes derived");
    stats
}

/// Digest of the inputs: sorted (path, sha256) pairs.
fn inputs_digest(subs: &[Submission]) -> String {
    let mut h = Sha256::new();
    for s in subs {
        h.update(s.source_file.as_bytes());
        h.update(b"\0");
        h.update(s.source_sha256.as_deref().unwrap_or("-").as_bytes());
        h.update(b"\n");
    }
    ingest::hex(&h.finalize())
}

pub fn now_rfc3339() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The catalogue as a table, with each indicator's county baseline value.
fn catalogue_frame(cfg: &Config, ind_values: &DataFrame) -> PolarsResult<DataFrame> {
    let roots: Vec<&str> = cfg.areas.roots().map(|a| a.code.as_str()).collect();
    let mut baseline: BTreeMap<String, f64> = BTreeMap::new();
    if ind_values.height() > 0 {
        let ind = ind_values.column("indicator")?.str()?;
        let area = ind_values.column("area")?.str()?;
        let year = ind_values.column("year")?.i32()?;
        let sex = ind_values.column("sex")?.str()?;
        let age = ind_values.column("age")?.str()?;
        let res = ind_values.column("residence")?.str()?;
        let val = ind_values.column("value")?.f64()?;
        for i in 0..ind_values.height() {
            let Some(code) = ind.get(i) else { continue };
            let Some(def) = cfg.catalogue.indicator(code) else { continue };
            let want_sex = def.sex.as_deref().unwrap_or("_T");
            let want_age = def.age.as_deref().unwrap_or("_T");
            let by = def.baseline_year.unwrap_or(2020);
            if roots.len() == 1
                && area.get(i) == Some(roots[0])
                && year.get(i) == Some(by)
                && sex.get(i).is_some_and(|s| s == want_sex || s == "*")
                && age.get(i) == Some(want_age)
                && res.get(i) == Some("_T")
            {
                if let Some(v) = val.get(i) {
                    baseline.insert(code.to_string(), v);
                }
            }
        }
    }
    let inds = &cfg.catalogue.indicators;
    let strs = |f: &dyn Fn(&crate::config::Indicator) -> String| -> Vec<String> { inds.iter().map(f).collect() };
    let opt = |f: &dyn Fn(&crate::config::Indicator) -> Option<String>| -> Vec<Option<String>> { inds.iter().map(f).collect() };
    let f64s = |f: &dyn Fn(&crate::config::Indicator) -> Option<f64>| -> Vec<Option<f64>> { inds.iter().map(f).collect() };
    let df = DataFrame::new_infer_height(vec![
        Column::new("indicator".into(), strs(&|i| i.code.clone())),
        Column::new("plan".into(), strs(&|i| i.plan.clone())),
        Column::new("domain".into(), strs(&|i| i.domain.clone())),
        Column::new("name_zh".into(), strs(&|i| i.name_zh.clone())),
        Column::new("name_en".into(), strs(&|i| i.name_en.clone())),
        Column::new("unit".into(), strs(&|i| i.unit.clone())),
        Column::new("factor".into(), inds.iter().map(|i| i.factor).collect::<Vec<f64>>()),
        Column::new("numerator".into(), opt(&|i| (!i.numerator.is_empty()).then(|| crate::config::Indicator::formula_text(&i.numerator)))),
        Column::new("denominator".into(), opt(&|i| (!i.denominator.is_empty()).then(|| crate::config::Indicator::formula_text(&i.denominator)))),
        Column::new("value_of".into(), opt(&|i| i.value.as_ref().map(|t| crate::config::Indicator::formula_text(std::slice::from_ref(t))))),
        Column::new("direction".into(), strs(&|i| enum_str(&i.direction))),
        Column::new("target_kind".into(), strs(&|i| enum_str(&i.target_kind))),
        Column::new("target_2025".into(), f64s(&|i| i.target_2025)),
        Column::new("target_2030".into(), f64s(&|i| i.target_2030)),
        Column::new("target_low".into(), f64s(&|i| i.target_range.map(|r| r[0]))),
        Column::new("target_high".into(), f64s(&|i| i.target_range.map(|r| r[1]))),
        Column::new("relative_change".into(), f64s(&|i| i.relative_change)),
        Column::new("baseline_year".into(), inds.iter().map(|i| i.baseline_year.or(i.relative_base_year).unwrap_or(2020)).collect::<Vec<i32>>()),
        Column::new("baseline_value".into(), inds.iter().map(|i| baseline.get(&i.code).copied()).collect::<Vec<Option<f64>>>()),
        Column::new("responsible".into(), opt(&|i| i.responsible.clone())),
        Column::new("source".into(), strs(&|i| i.source.clone())),
        Column::new("note".into(), opt(&|i| i.note.clone())),
    ])?;
    df.lazy().sort(["indicator"], SortMultipleOptions::default()).collect()
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn data_elements_frame(cfg: &Config) -> PolarsResult<DataFrame> {
    let d = &cfg.catalogue.data_elements;
    DataFrame::new_infer_height(vec![
        Column::new("data_element".into(), d.iter().map(|x| x.code.clone()).collect::<Vec<_>>()),
        Column::new("name_zh".into(), d.iter().map(|x| x.name_zh.clone()).collect::<Vec<_>>()),
        Column::new("name_en".into(), d.iter().map(|x| x.name_en.clone()).collect::<Vec<_>>()),
        Column::new("unit".into(), d.iter().map(|x| x.unit.clone()).collect::<Vec<_>>()),
        Column::new("kind".into(), d.iter().map(|x| enum_str(&x.kind)).collect::<Vec<_>>()),
        Column::new("body".into(), d.iter().map(|x| x.body.clone()).collect::<Vec<Option<String>>>()),
    ])?
    .lazy()
    .sort(["data_element"], SortMultipleOptions::default())
    .collect()
}

/// The table with an `area_name` column, and the order to publish its rows in.
fn add_area_names(df: DataFrame, cfg: &Config, sort_by: &[&str]) -> PolarsResult<(DataFrame, Vec<IdxSize>)> {
    if df.height() == 0 {
        return Ok((df, Vec::new()));
    }
    // A lookup per row rather than a join: the area table is small, the value tables are not.
    let names: rustc_hash::FxHashMap<&str, &str> = cfg.areas.list.iter().map(|a| (a.code.as_str(), a.name_zh.as_str())).collect();
    let area_name: Vec<Option<&str>> = df.column("area")?.str()?.iter().map(|a| a.and_then(|a| names.get(a).copied())).collect();
    let mut df = df;
    df.with_column(Column::new("area_name".into(), area_name))?;
    tracing::debug!(rows = df.height(), "area names added");
    let order = frames::sort_order(&df, sort_by)?;
    Ok((df, order))
}

/// A table published in the order of `sort_by` (rows gathered as they are written).
fn sorted_table(name: &'static str, df: DataFrame, cfg: &Config, sort_by: &[&str], partition_by: Option<&'static str>) -> PolarsResult<Table> {
    let (df, order) = add_area_names(df, cfg, sort_by)?;
    Ok(Table { name, df, partition_by, order: Some(order) })
}

/// Sort issues so output is deterministic.
pub fn sort_issues(issues: &mut [Issue]) {
    // The cell's (row, column) is computed once per issue, not per comparison.
    let mut keyed: Vec<((u64, u64), usize)> = issues.iter().enumerate().map(|(i, x)| {
        let (r, c, _) = cell_order(x.source_cell.as_deref());
        ((r, c), i)
    }).collect();
    keyed.sort_by(|(ka, a), (kb, b)| {
        let (a, b) = (&issues[*a], &issues[*b]);
        (a.source_file.as_deref(), a.source_sheet.as_deref(), ka, a.source_cell.as_deref(), a.rule, &a.message, a.data_element.as_deref())
            .cmp(&(b.source_file.as_deref(), b.source_sheet.as_deref(), kb, b.source_cell.as_deref(), b.rule, &b.message, b.data_element.as_deref()))
    });
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    let sorted: Vec<Issue> = order.iter().map(|&i| issues[i].clone()).collect();
    issues.clone_from_slice(&sorted);
}

/// An issues frame (see `frames::issues`) in the order of [`sort_issues`].
pub fn sort_issues_frame(df: DataFrame) -> PolarsResult<DataFrame> {
    let mut df = df;
    df.rechunk_mut_par();
    let text = |c: &str| -> PolarsResult<Vec<Option<&str>>> { Ok(df.column(c)?.str()?.iter().collect()) };
    let (file, sheet, cell, rule, message, de) =
        (text("source_file")?, text("source_sheet")?, text("source_cell")?, text("rule")?, text("message")?, text("data_element")?);
    let rc: Vec<(u64, u64)> = cell.iter().map(|c| {
        let (r, c, _) = cell_order(*c);
        (r, c)
    }).collect();
    let mut idx: Vec<IdxSize> = (0..df.height() as IdxSize).collect();
    idx.sort_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        (file[a], sheet[a], rc[a], cell[a], rule[a], message[a], de[a]).cmp(&(file[b], sheet[b], rc[b], cell[b], rule[b], message[b], de[b]))
    });
    drop((file, sheet, cell, rule, message, de));
    df.take(&IdxCa::from_vec("idx".into(), idx))
}

/// "D7" -> (7, 4) so D7 sorts before D10 and rows before columns.
fn cell_order(cell: Option<&str>) -> (u64, u64, String) {
    let Some(c) = cell else { return (0, 0, String::new()) };
    let letters: String = c.chars().take_while(|ch| ch.is_ascii_uppercase()).collect();
    let digits: String = c[letters.len()..].chars().take_while(|ch| ch.is_ascii_digit()).collect();
    let col = letters.bytes().fold(0u64, |acc, b| acc * 26 + (b - b'A' + 1) as u64);
    (digits.parse().unwrap_or(0), col, c.to_string())
}

/// Values per part by default (see [`RunOptions::part_values`]): a county's
/// returns are one part; a province's are computed a few dozen counties at a time.
pub const DEFAULT_PART_VALUES: usize = 400_000;

/// What the run keeps of a file while its values wait in the state cache: the
/// years and areas it reports (for supersession and for grouping files into
/// parts) and how many values it has.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    pub years: Vec<i32>,
    pub areas: Vec<String>,
    pub values: usize,
    /// The values and controls are in the cache, not in memory.
    pub stripped: bool,
    /// So are the file's ingest findings (the file was not decoded this run).
    pub issues_stripped: bool,
}

impl FileFacts {
    pub fn of(r: &FileResult) -> FileFacts {
        let years: std::collections::BTreeSet<i32> = r.observations.iter().map(|o| o.year).collect();
        let areas: std::collections::BTreeSet<&str> = r.observations.iter().map(|o| &*o.area).collect();
        FileFacts {
            years: years.into_iter().collect(),
            areas: areas.into_iter().map(str::to_string).collect(),
            values: r.observations.len(),
            stripped: false,
            issues_stripped: false,
        }
    }
}

/// Files into parts: whole groups of files that share an area subtree (see
/// `validate::area_groups`), in order of their first file, a part closed when the
/// next group would take it past `budget` values. Files with no values go with
/// the first part. One part when everything fits (or the groups cannot be split).
fn plan_parts(facts: &[FileFacts], cfg: &Config, budget: usize) -> Vec<Vec<usize>> {
    let total: usize = facts.iter().map(|f| f.values).sum();
    if total <= budget {
        return vec![(0..facts.len()).collect()];
    }
    let group_of = validate::area_groups(facts.iter().map(|f| f.areas.iter().map(String::as_str)), cfg);
    let n_groups = group_of.iter().copied().max().map_or(0, |m| m + 1);
    let mut groups: Vec<(Vec<usize>, usize)> = vec![(Vec::new(), 0); n_groups];
    let mut empty = Vec::new();
    for (i, (&g, f)) in group_of.iter().zip(facts).enumerate() {
        if f.values == 0 {
            empty.push(i);
        } else {
            groups[g].0.push(i);
            groups[g].1 += f.values;
        }
    }
    let mut parts: Vec<(Vec<usize>, usize)> = Vec::new();
    for (files, n) in groups.into_iter().filter(|g| !g.0.is_empty()) {
        match parts.last_mut() {
            Some((p, pn)) if *pn + n <= budget => {
                p.extend(files);
                *pn += n;
            }
            _ => parts.push((files, n)),
        }
    }
    let mut parts: Vec<Vec<usize>> = parts.into_iter().map(|(mut p, _)| {
        p.sort_unstable();
        p
    }).collect();
    match parts.first_mut() {
        Some(p) => {
            p.extend(empty);
            p.sort_unstable();
        }
        None => parts.push(empty),
    }
    parts
}

/// Bring back the values and controls of files whose result waits in the cache
/// (read again from the inbox if the cache entry is gone).
fn restore(results: &mut [FileResult], facts: &mut [FileFacts], files: &[InputFile], state: &crate::state::State, cfg: &Config, db: &Path) {
    results.par_iter_mut().zip(facts.par_iter_mut()).zip(files.par_iter()).for_each(|((r, fact), f)| {
        if !fact.stripped {
            return;
        }
        fact.stripped = false;
        let cached = state.files.get(&f.rel).and_then(|s| Some((s, s.cache.as_ref()?))).and_then(|(s, loc)| crate::state::read_cached(db, &f.rel, &s.sha256, loc));
        let fresh = cached.unwrap_or_else(|| {
            tracing::warn!(file = %f.rel, "the cached values are gone: reading the file again");
            process_file(f, cfg)
        });
        r.observations = fresh.observations;
        r.controls = fresh.controls;
        if fact.issues_stripped {
            r.issues = fresh.issues;
            fact.issues_stripped = false;
        }
    });
}

/// Counts of one file's outcome into the run's summary.
fn count_file(summary: &mut RunSummary, r: &FileResult) {
    summary.cells_read += r.submission.cells_read;
    summary.values_landed += r.submission.values_landed;
    summary.values_rejected += r.submission.values_rejected;
    summary.values_derived += r.submission.values_derived;
    match r.submission.status.as_str() {
        "loaded" => summary.files_loaded += 1,
        "superseded" => summary.files_superseded += 1,
        _ => {
            summary.files_failed += 1;
            if let Some(i) = r.issues.first() {
                tracing::warn!(file = %r.submission.source_file, "{}", i.message);
            }
        }
    }
}

/// Add rule counts of another part (a rule is summed over parts; rules keep the order they came in).
fn merge_stats(into: &mut Vec<validate::RuleStat>, more: Vec<validate::RuleStat>) {
    for s in more {
        match into.iter_mut().find(|t| t.rule == s.rule) {
            Some(t) => {
                t.items += s.items;
                t.passes += s.passes;
                t.fails += s.fails;
                t.missing += s.missing;
            }
            None => into.push(s),
        }
    }
}

/// What the compute stage made of some values: everything published, and for a
/// part of a split run what it hands up to the roots.
struct Computed {
    values: DataFrame,
    indicators: DataFrame,
    progress: DataFrame,
    progress_summary: crate::progress::ProgressSummary,
    issues: Vec<Issue>,
    stats: Vec<validate::RuleStat>,
    aggregated: usize,
    root_sums: Option<DataFrame>,
    pair_sums: Vec<(String, DataFrame)>,
}

/// Aggregate, compute the indicators, pooled rates, progress and indicator checks.
/// `split`: the run is split by area subtree, with this part's role and the whole
/// run's latest year of data.
fn compute(values: &DataFrame, cfg: &Config, split: Option<(Role, i32)>, started: Instant) -> Result<Computed, RunError> {
    let (all_values, root_sums) = match &split {
        None => (compute::aggregate(values, cfg)?, None),
        Some((Role::Part(roots), _)) => {
            let (all, sums) = compute::aggregate_part(values, cfg, roots)?;
            (all, Some(sums))
        }
        Some((Role::Top(sums, _), _)) => (compute::aggregate_top(values, sums.to_vec(), cfg)?, None),
    };
    tracing::info!(ms = started.elapsed().as_millis() as u64, "stage aggregated");
    let aggregated = all_values.height() - values.height();
    let scope = match &split {
        None => compute::Scope::Whole,
        Some((Role::Part(roots), _)) => compute::Scope::Part { roots },
        Some((Role::Top(_, pair_sums), _)) => compute::Scope::Top { pair_sums },
    };
    let (ind, pair_sums) = compute::indicators_in(&all_values, cfg, &scope)?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "stage indicators");
    let ind = crate::progress::add_pooled(ind, cfg)?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "pooled rates added");
    let (progress, progress_summary) = match &split {
        None => crate::progress::progress(&ind, cfg)?,
        Some((role, last_year)) => crate::progress::progress_until(&ind, cfg, *last_year, matches!(role, Role::Top(..)))?,
    };
    tracing::info!(ms = started.elapsed().as_millis() as u64, "stage indicators+progress");
    let mut stats = Vec::new();
    let issues = validate::indicators::indicator_checks(&ind, cfg, &mut stats)?;
    Ok(Computed { values: all_values, indicators: ind, progress, progress_summary, issues, stats, aggregated, root_sums, pair_sums })
}

/// Compute one part of a split run (its files' values restored from the cache)
/// and keep its progress and issue rows in `part_dir`. Returns the part (without
/// its published rows' counts) and its `data_values` and `indicator_values` rows.
#[allow(clippy::too_many_arguments)]
fn compute_part(
    members: &[usize],
    results: &mut [FileResult],
    facts: &mut [FileFacts],
    files: &[InputFile],
    state: &crate::state::State,
    cfg: &Config,
    db: &Path,
    (roots, last_year): (&compute::AreaSet, i32),
    part_dir: &Path,
    started: Instant,
) -> Result<(crate::parts::PartOut, DataFrame, DataFrame), RunError> {
    let mut part: Vec<FileResult> = Vec::with_capacity(members.len());
    let mut part_facts: Vec<FileFacts> = Vec::with_capacity(members.len());
    let mut part_files: Vec<InputFile> = Vec::with_capacity(members.len());
    for &i in members {
        part.push(std::mem::replace(&mut results[i], placeholder()));
        part_facts.push(std::mem::take(&mut facts[i]));
        part_files.push(files[i].clone());
    }
    restore(&mut part, &mut part_facts, &part_files, state, cfg, db);
    let validation_stats = validate_and_derive(&mut part, cfg, &validate::History::new());
    let obs: Vec<Vec<Observation>> = part.iter_mut().map(|r| std::mem::take(&mut r.observations)).collect();
    let reported = frames::observations(&obs)?;
    obs.into_par_iter().for_each(drop);
    let (values, at_roots) = compute::split_by_area(reported, roots)?;
    let c = compute(&values, cfg, Some((Role::Part(roots), last_year)), started)?;
    drop(values);
    let with_data: std::collections::BTreeSet<String> =
        if c.indicators.height() > 0 { c.indicators.column("indicator")?.str()?.iter().flatten().map(str::to_string).collect() } else { Default::default() };
    // The part's issues: the indicator checks', then its files' (sorted at the end of the run).
    let mut issues = c.issues;
    for r in &mut part {
        issues.append(&mut r.issues);
    }
    let mut counts = validate::IssueCounts::new();
    validate::count_issues(&issues, &mut counts);
    let (progress_file, issues_file) = (part_dir.join("progress.parquet"), part_dir.join("issues.parquet"));
    crate::parts::write_frame(&mut frames::issues(&issues)?, &issues_file)?;
    drop(issues);
    let mut progress = c.progress;
    crate::parts::write_frame(&mut progress, &progress_file)?;
    let record = crate::parts::PartRecord {
        submissions: part.iter().map(|r| r.submission.clone()).collect(),
        aggregated: c.aggregated,
        indicator_values: c.indicators.height(),
        with_data: with_data.into_iter().collect(),
        progress: c.progress_summary,
        issue_counts: counts.into_iter().map(|(rule, (sev, n))| (rule, sev, n)).collect(),
        validation_stats,
        indicator_stats: c.stats,
        rows: BTreeMap::new(),
    };
    for (&i, r) in members.iter().zip(part) {
        results[i] = r;
    }
    let out = crate::parts::PartOut {
        record,
        root_values: compute::owned_strings(at_roots)?,
        root_sums: c.root_sums.map(compute::owned_strings).transpose()?,
        pairs: c.pair_sums.into_iter().map(|(code, df)| Ok((code, compute::owned_strings(df)?))).collect::<PolarsResult<_>>()?,
        progress_file,
        issues_file,
    };
    Ok((out, c.values, c.indicators))
}

/// A split run's roles: a part (the roots are computed apart), or the roots
/// themselves from the parts' sums (values, and paired sums by indicator).
enum Role<'a> {
    Part(&'a compute::AreaSet),
    Top(&'a Vec<DataFrame>, &'a std::collections::HashMap<String, DataFrame>),
}

/// The whole run.
pub fn run(opts: &RunOptions) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let started_at = now_rfc3339();
    // Pipeline files first: a bad one stops the run before the database is touched.
    let cfg = Config::load(&opts.pipelines)?;
    let files = ingest::discover(&opts.inbox).map_err(|source| RunError::Inbox { path: opts.inbox.clone(), source })?;
    let lock = crate::lock::DbLock::acquire(&opts.db)?;
    if let Some(prev) = &lock.recovered_from {
        tracing::warn!(lock = %lock.path.display(), "the previous run ended without releasing the lock ({prev}); recovered");
    }
    let run_id = format!("{}-{}", started_at.replace([':', '-'], ""), std::process::id());
    let digest = crate::state::config_digest(&opts.pipelines);
    let rebuild = opts.mode == "rebuild";
    let prev_state = if rebuild { None } else { crate::state::State::load(&opts.db, &digest) };
    let current = publish::current_version(&opts.db);
    tracing::info!(files = files.len(), inbox = %opts.inbox.display(), mode = %opts.mode, "discovered returns");

    // Which files can be taken from the cache: same size and modification time as last time.
    let fresh = |f: &InputFile| -> Option<&crate::state::FileState> {
        let s = prev_state.as_ref()?.files.get(&f.rel)?;
        (s.size == f.size && s.mtime_ns == f.mtime_ns).then_some(s)
    };
    let unchanged = current.is_some()
        && prev_state.as_ref().is_some_and(|s| s.files.len() == files.len())
        && files.iter().all(|f| fresh(f).is_some());
    if unchanged {
        return unchanged_run(opts, &run_id, &files, current.as_deref(), started);
    }

    // Read what is new or changed (a touched file whose content is the same comes from the cache).
    // A file's values then wait in the cache until its part is computed (memory stays flat).
    let bar = progress_bar(opts.progress, files.len());
    let cache = crate::state::CacheWriter::new(&opts.db, &run_id);
    let prev_entry = |f: &InputFile| prev_state.as_ref().and_then(|s| s.files.get(&f.rel));
    let from_cache = |f: &InputFile, s: &crate::state::FileState| {
        let loc = s.cache.as_ref()?;
        crate::state::read_cached(&opts.db, &f.rel, &s.sha256, loc).map(|r| Outcome { result: r, sha: s.sha256.clone(), read: false, cache: Some(loc.clone()) })
    };
    let outcomes: Vec<(Outcome, FileFacts)> = files
        .par_iter()
        .map(|f| {
            // An unchanged file with its summary in the state is not decoded now.
            if let Some((s, sum, loc)) = fresh(f).and_then(|s| Some((s, s.summary.as_ref()?, s.cache.clone()?))) {
                let result = FileResult { submission: sum.submission.clone(), observations: Vec::new(), issues: Vec::new(), controls: Vec::new() };
                let facts = FileFacts { years: sum.years.clone(), areas: sum.areas.clone(), values: sum.values, stripped: true, issues_stripped: true };
                bar.inc(1);
                return (Outcome { result, sha: s.sha256.clone(), read: false, cache: Some(loc) }, facts);
            }
            let mut out = match fresh(f).and_then(|s| from_cache(f, s)) {
                Some(o) => o,
                None => match ingest::read_bytes(&f.path) {
                    Ok((bytes, sha)) => match prev_entry(f).filter(|s| s.sha256 == sha).and_then(|s| from_cache(f, s)) {
                        Some(o) => o,
                        None => {
                            let r = process_bytes(f, bytes, sha.clone(), &cfg);
                            // Cache it now, in parallel (a failed write only costs a re-read next time).
                            let loc = cache.put(&f.rel, &sha, &r).map_err(|e| tracing::warn!(file = %f.rel, "cannot cache the normalised file: {e}")).ok();
                            Outcome { result: r, sha, read: true, cache: loc }
                        }
                    },
                    Err(e) => Outcome { result: process_file_error(f, e.to_string()), sha: String::new(), read: true, cache: None },
                },
            };
            let mut facts = FileFacts::of(&out.result);
            if out.cache.is_some() && !out.result.observations.is_empty() {
                out.result.observations = Vec::new();
                out.result.controls = Vec::new();
                facts.stripped = true;
            }
            bar.inc(1);
            (out, facts)
        })
        .collect();
    bar.finish_and_clear();
    tracing::info!(ms = started.elapsed().as_millis() as u64, "stage read");
    let mut summary = RunSummary { files: files.len(), indicators_total: cfg.catalogue.indicators.len(), ..Default::default() };
    let mut new_state = crate::state::State { tool_version: env!("CARGO_PKG_VERSION").into(), config_digest: digest, files: BTreeMap::new(), parts: Vec::new() };
    let mut results = Vec::with_capacity(outcomes.len());
    let mut facts = Vec::with_capacity(outcomes.len());
    let mut changed_files = std::collections::BTreeSet::new();
    for (f, (o, fact)) in files.iter().zip(outcomes) {
        if o.read {
            summary.files_read += 1;
            if prev_entry(f).is_some_and(|s| s.sha256 != o.sha) {
                changed_files.insert(f.rel.clone());
            }
        } else {
            summary.files_cached += 1;
        }
        if !o.sha.is_empty() {
            // The summary of a file whose values wait in the cache (a file with none is decoded whole).
            let summary = (fact.stripped && o.cache.is_some()).then(|| crate::state::FileSummary {
                submission: o.result.submission.clone(),
                years: fact.years.clone(),
                areas: fact.areas.clone(),
                values: fact.values,
            });
            new_state.files.insert(f.rel.clone(), crate::state::FileState { size: f.size, mtime_ns: f.mtime_ns, sha256: o.sha, cache: o.cache, summary });
        }
        results.push(o.result);
        facts.push(fact);
    }
    let removed_files: std::collections::BTreeSet<String> = prev_state
        .as_ref()
        .map(|s| s.files.keys().filter(|k| !new_state.files.contains_key(*k)).cloned().collect())
        .unwrap_or_default();

    // Corrections: the newest return of a form and year is in force.
    let mtimes: Vec<u64> = files.iter().map(|f| f.mtime_ns).collect();
    let replaced = crate::incremental::supersede(&mut results, &facts, &mtimes, &cfg);
    for (r, fact) in results.iter().zip(facts.iter_mut()) {
        if r.submission.status == "superseded" {
            *fact = FileFacts::default();
        }
    }
    tracing::info!(ms = started.elapsed().as_millis() as u64, "stage superseded");

    let version_hint = publish::next_version(&opts.db);
    let ctx = crate::incremental::Context { replaced: &replaced, changed_files: &changed_files, removed_files: &removed_files, version: &version_hint };
    let staging = publish::Staging::begin(&opts.db)?;
    let mut manifest = Manifest {
        run_id: run_id.clone(),
        mode: opts.mode.clone(),
        tool: "wcmon".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        finished_at: String::new(),
        duration_ms: 0,
        inbox: opts.inbox.display().to_string(),
        inputs_digest: String::new(),
        files: files.len(),
        outcome: String::new(),
        version: String::new(),
        files_read: summary.files_read,
        files_cached: summary.files_cached,
        row_counts: BTreeMap::new(),
        issues_by_severity: BTreeMap::new(),
    };
    let parts = plan_parts(&facts, &cfg, opts.part_values.max(1));
    summary.parts = parts.len();
    tracing::info!(parts = parts.len(), values = facts.iter().map(|f| f.values).sum::<usize>(), "parts planned");
    // Issues as compact frames, part by part, counted by rule as they come.
    let mut issue_frames = Kept::default();
    let mut issue_counts = validate::IssueCounts::new();
    // Validation's rule counts, then the indicator checks'.
    let mut rule_stats: Vec<validate::RuleStat> = Vec::new();
    let mut ind_stats: Vec<validate::RuleStat> = Vec::new();
    let mut progress_frames = Kept::default();
    let mut with_data: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let ind_top: DataFrame;
    let changes: DataFrame;
    let note_indicators = |summary: &mut RunSummary, with_data: &mut std::collections::BTreeSet<String>, ind: &DataFrame| -> PolarsResult<()> {
        summary.indicator_values += ind.height();
        if ind.height() > 0 {
            with_data.extend(ind.column("indicator")?.str()?.iter().flatten().map(str::to_string));
        }
        Ok(())
    };
    if parts.len() <= 1 {
        // One pass over everything.
        restore(&mut results, &mut facts, &files, &new_state, &cfg, &opts.db);
        merge_stats(&mut rule_stats, validate_and_derive(&mut results, &cfg, &validate::History::new()));
        tracing::info!(ms = started.elapsed().as_millis() as u64, "stage validated");
        for r in &results {
            count_file(&mut summary, r);
        }
        let obs: Vec<Vec<Observation>> = results.iter_mut().map(|r| std::mem::take(&mut r.observations)).collect();
        let reported = frames::observations(&obs)?;
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "data_values frame built");
        // Freed file by file on both cores (millions of values).
        obs.into_par_iter().for_each(drop);
        tracing::info!(ms = started.elapsed().as_millis() as u64, "stage frames");
        let c = compute(&reported, &cfg, None, started)?;
        summary.aggregated_values += c.aggregated;
        // The audit trail: what changed since the version in force.
        changes = crate::incremental::changes_since(&opts.db, &reported, &ctx)?;
        tracing::info!(ms = started.elapsed().as_millis() as u64, "stage changes");
        // Its rows are in `c.values` too; its own columns would outlive the publish's copies.
        drop(reported);
        note_indicators(&mut summary, &mut with_data, &c.indicators)?;
        summary.progress.add(c.progress_summary);
        keep_issues(&mut issue_frames, &mut issue_counts, &mut results, c.issues)?;
        merge_stats(&mut ind_stats, c.stats);
        progress_frames.push(c.progress);
        staging.write(&mut sorted_table("data_values", c.values, &cfg, &DATA_ORDER, Some("year"))?, 0, &mut manifest)?;
        pause_point_half();
        staging.write(&mut sorted_table("indicator_values", c.indicators.clone(), &cfg, &INDICATOR_ORDER, Some("year"))?, 0, &mut manifest)?;
        ind_top = c.indicators;
    } else {
        // Part by part: each part's values are read back from the cache, validated,
        // computed and written; the roots are computed last from the parts' sums.
        let roots: compute::AreaSet = cfg.areas.roots().map(|a| a.code.clone()).collect();
        // The latest year any return reports, known before any part is computed (one
        // pass takes the latest year of its indicator values: the same unless the
        // newest year's values feed no indicator at all).
        let last_year = facts.iter().flat_map(|f| f.years.iter().copied()).max().unwrap_or(0);
        let mut root_values = Vec::new();
        let mut root_sums = Vec::new();
        let mut pair_sums: std::collections::HashMap<String, Vec<DataFrame>> = std::collections::HashMap::new();
        let n_parts = parts.len();
        let mut unchanged = crate::incremental::Unchanged::default();
        let kept_parts: std::collections::HashSet<&str> = prev_state.as_ref().map(|s| s.parts.iter().map(String::as_str).collect()).unwrap_or_default();
        for (k, members) in parts.iter().enumerate() {
            let subs: Vec<&Submission> = members.iter().map(|&i| &results[i].submission).collect();
            let key = crate::parts::key(&new_state.tool_version, &new_state.config_digest, last_year, &subs);
            let part_dir = crate::parts::dir(&opts.db, &key);
            let reused = if kept_parts.contains(key.as_str()) { crate::parts::reuse(&part_dir, &staging.dir, k) } else { None };
            let out = match reused {
                Some(out) => {
                    summary.parts_reused += 1;
                    unchanged.note(&part_dir, members.iter().flat_map(|&i| facts[i].areas.iter()));
                    for (t, n) in &out.record.rows {
                        *manifest.row_counts.entry(t.clone()).or_default() += n;
                    }
                    out
                }
                None => {
                    let part_dir = crate::parts::begin(&opts.db, &key)?;
                    let mut out = compute_part(members, &mut results, &mut facts, &files, &new_state, &cfg, &opts.db, (&roots, last_year), &part_dir, started)?;
                    for (t, order) in [("data_values", &DATA_ORDER[..]), ("indicator_values", &INDICATOR_ORDER[..])] {
                        let df = if t == "data_values" { std::mem::take(&mut out.1) } else { std::mem::take(&mut out.2) };
                        let rows = staging.write(&mut sorted_table(t, df, &cfg, order, Some("year"))?, k, &mut manifest)?;
                        out.0.record.rows.insert(t.to_string(), rows);
                    }
                    crate::parts::save(&part_dir, &staging.dir, k, &mut out.0)?;
                    out.0
                }
            };
            new_state.parts.push(key);
            for (&i, sub) in members.iter().zip(&out.record.submissions) {
                let r = &mut results[i];
                r.submission = sub.clone();
                r.issues = Vec::new();
                r.observations = Vec::new();
                r.controls = Vec::new();
                count_file(&mut summary, r);
            }
            let rec = out.record;
            merge_stats(&mut rule_stats, rec.validation_stats);
            merge_stats(&mut ind_stats, rec.indicator_stats);
            for (rule, sev, n) in rec.issue_counts {
                issue_counts.entry(rule).or_insert((sev, 0)).1 += n;
            }
            summary.aggregated_values += rec.aggregated;
            summary.indicator_values += rec.indicator_values;
            with_data.extend(rec.with_data);
            summary.progress.add(rec.progress);
            issue_frames.push_file(out.issues_file);
            progress_frames.push_file(out.progress_file);
            root_values.push(out.root_values);
            root_sums.extend(out.root_sums);
            for (code, df) in out.pairs {
                pair_sums.entry(code).or_default().push(df);
            }
            tracing::info!(ms = started.elapsed().as_millis() as u64, part = k + 1, of = n_parts, "part done");
        }
        pause_point_half();
        let root_values = compute::stack(root_values)?.unwrap_or_default();
        let pair_sums: std::collections::HashMap<String, DataFrame> =
            pair_sums.into_iter().map(|(code, dfs)| Ok((code, compute::stack(dfs)?.unwrap_or_default()))).collect::<PolarsResult<_>>()?;
        let c = compute(&root_values, &cfg, Some((Role::Top(&root_sums, &pair_sums), last_year)), started)?;
        summary.aggregated_values += c.aggregated;
        note_indicators(&mut summary, &mut with_data, &c.indicators)?;
        summary.progress.add(c.progress_summary);
        keep_issues(&mut issue_frames, &mut issue_counts, &mut [], c.issues)?;
        merge_stats(&mut ind_stats, c.stats);
        progress_frames.push(c.progress);
        staging.write(&mut sorted_table("data_values", c.values, &cfg, &DATA_ORDER, Some("year"))?, n_parts, &mut manifest)?;
        staging.write(&mut sorted_table("indicator_values", c.indicators.clone(), &cfg, &INDICATOR_ORDER, Some("year"))?, n_parts, &mut manifest)?;
        ind_top = c.indicators;
        changes = crate::incremental::changes_staged(&opts.db, &staging.dir, &ctx, &unchanged)?;
        tracing::info!(ms = started.elapsed().as_millis() as u64, "stage changes");
    }
    summary.indicators_with_data = with_data.len();
    let subs: Vec<Submission> = results.into_iter().map(|r| r.submission).collect();
    let issues = sort_issues_frame(issue_frames.take()?.unwrap_or_else(|| frames::issues(&[]).unwrap_or_default()))?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "issues sorted");
    for (sev, n) in issue_counts.values() {
        *summary.issues_by_severity.entry(sev.as_str().to_string()).or_default() += *n as usize;
    }
    rule_stats.append(&mut ind_stats);
    validate::ingest_stats_from(&issue_counts, summary.cells_read, &mut rule_stats);
    summary.changes = changes.height();
    let mut changes = changes;
    if let Some(old) = crate::incremental::previous_changes(&opts.db) {
        let mut all = old;
        if all.get_column_names() == changes.get_column_names() {
            all.vstack_mut(&changes)?;
            changes = all;
        }
    }

    let catalogue = catalogue_frame(&cfg, &ind_top)?;
    drop(ind_top);
    let progress_df = progress_frames.take()?.unwrap_or_default();
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "catalogue");
    let mut tables = vec![
        Table::new("indicators", catalogue),
        sorted_table("progress", progress_df, &cfg, &["indicator", "area", "sex", "age", "target_year"], None)?,
        Table::new("data_elements", data_elements_frame(&cfg)?),
        Table::new("areas", frames::areas(&cfg.areas)?),
        Table::new("submissions", frames::submissions(&subs)?),
        Table::new("issues", issues),
        Table::new("rule_summary", frames::rule_summary(&rule_stats)?),
        Table::new("changes", changes),
    ];
    for t in &mut tables {
        staging.write(t, 0, &mut manifest)?;
    }
    summary.duration_ms = started.elapsed().as_millis();
    manifest.finished_at = now_rfc3339();
    manifest.duration_ms = summary.duration_ms;
    manifest.inputs_digest = inputs_digest(&subs);
    manifest.outcome = if summary.issues_by_severity.contains_key("error") { "completed_with_errors".into() } else { "ok".into() };
    manifest.issues_by_severity = summary.issues_by_severity.clone();
    let dir = staging.finish(&mut manifest, opts.keep_versions)?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "stage published");
    summary.version = manifest.version.clone();
    summary.outcome = "published".into();
    new_state.compact(&opts.db, &cache);
    drop(cache);
    new_state.save(&opts.db).map_err(|e| RunError::State(e.to_string()))?;
    summary.duration_ms = started.elapsed().as_millis();
    let _ = crate::state::log_run(
        &opts.db,
        &serde_json::json!({"run_id": run_id, "mode": opts.mode, "outcome": manifest.outcome, "version": manifest.version,
            "files": files.len(), "files_read": summary.files_read, "files_cached": summary.files_cached,
            "changes": summary.changes, "duration_ms": summary.duration_ms, "dir": dir.display().to_string()}),
    );
    drop(lock);
    Ok(summary)
}

const DATA_ORDER: [&str; 9] = ["year", "data_element", "area", "sex", "age", "residence", "derived", "source_file", "source_cell"];
const INDICATOR_ORDER: [&str; 6] = ["year", "indicator", "area", "sex", "age", "residence"];

/// The crash-test pause between the value tables and the rest (see `publish::pause_point`).
fn pause_point_half() {
    publish::pause_point("staging");
}

/// Frames a run keeps until its end (progress, issues): in memory, or for a run
/// split in parts in each part's folder (so they neither grow with the inbox
/// nor pin the memory the parts free).
#[derive(Default)]
struct Kept {
    frames: Vec<DataFrame>,
    files: Vec<PathBuf>,
}

impl Kept {
    fn push(&mut self, df: DataFrame) {
        self.frames.push(df);
    }

    fn push_file(&mut self, path: PathBuf) {
        self.files.push(path);
    }

    /// Everything kept, the files' frames first, stacked in order (None for nothing).
    fn take(self) -> Result<Option<DataFrame>, RunError> {
        let mut frames = Vec::with_capacity(self.files.len() + self.frames.len());
        for path in &self.files {
            frames.push(crate::parts::read_frame(path)?);
        }
        frames.extend(self.frames);
        Ok(compute::stack(frames)?)
    }
}

/// Keep issues (those given, then the files') as a frame, counted by rule.
fn keep_issues(kept: &mut Kept, counts: &mut validate::IssueCounts, files: &mut [FileResult], more: Vec<Issue>) -> Result<(), RunError> {
    let mut all: Vec<Issue> = more;
    for r in files {
        all.append(&mut r.issues);
    }
    validate::count_issues(&all, counts);
    kept.push(frames::issues(&all)?);
    Ok(())
}

/// Stands in for a file's result while its part is being computed.
fn placeholder() -> FileResult {
    FileResult { submission: Submission::new(String::new(), ""), observations: Vec::new(), issues: Vec::new(), controls: Vec::new() }
}

fn progress_bar(show: bool, n: usize) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(n as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} reading returns [{bar:30}] {pos}/{len} {wide_msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

fn process_file_error(f: &InputFile, msg: String) -> FileResult {
    let sub = Submission::new(format!("file:{}", f.rel), &f.rel);
    let mut issue = Issue::new(Severity::Error, "unreadable_file", msg).at(&f.rel, None, None);
    issue.submission = Some(sub.submission.clone());
    FileResult { submission: sub, observations: Vec::new(), issues: vec![issue], controls: Vec::new() }
}

/// Nothing changed since the version in force: no file is read, nothing is published.
fn unchanged_run(opts: &RunOptions, run_id: &str, files: &[InputFile], current: Option<&Path>, started: Instant) -> Result<RunSummary, RunError> {
    let manifest: serde_json::Value = current
        .and_then(|c| std::fs::read_to_string(c.join("manifest.json")).ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut summary = RunSummary { files: files.len(), files_cached: files.len(), outcome: "unchanged".into(), ..Default::default() };
    summary.version = manifest["version"].as_str().unwrap_or_default().to_string();
    if let Some(m) = manifest["issues_by_severity"].as_object() {
        for (k, v) in m {
            summary.issues_by_severity.insert(k.clone(), v.as_u64().unwrap_or(0) as usize);
        }
    }
    summary.duration_ms = started.elapsed().as_millis();
    let _ = crate::state::log_run(
        &opts.db,
        &serde_json::json!({"run_id": run_id, "mode": opts.mode, "outcome": "unchanged", "version": summary.version,
            "files": files.len(), "files_read": 0, "files_cached": files.len(), "changes": 0, "duration_ms": summary.duration_ms}),
    );
    Ok(summary)
}

/// Path helper for tests and the CLI: the bundled pipelines folder.
pub fn default_pipelines() -> PathBuf {
    Path::new("pipelines").to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(areas: &[&str], values: usize) -> FileFacts {
        FileFacts { years: vec![2024], areas: areas.iter().map(|a| a.to_string()).collect(), values, stripped: true, issues_stripped: false }
    }

    #[test]
    fn parts_are_whole_groups_of_files_sharing_a_subtree() {
        let cfg = Config::load(&default_pipelines()).unwrap();
        // The sample county's towns are each a subtree of their own.
        let (t1, t2, t3, t4) = ("421321100", "421321101", "421321102", "421321103");
        let files = vec![
            facts(&[t1], 100),
            facts(&[t1, t2], 50), // joins t1's and t2's files into one group
            facts(&[t3], 100),
            facts(&[], 0), // a file with no values
            facts(&[t4], 300),
            facts(&[t2], 10),
        ];
        // Everything fits: one part, every file.
        assert_eq!(plan_parts(&files, &cfg, 560), vec![vec![0, 1, 2, 3, 4, 5]]);
        // Groups {0, 1, 5} = 160 values, {2} = 100, {4} = 300 (over the budget, but a
        // group is never split); the file with no values goes with the first part.
        assert_eq!(plan_parts(&files, &cfg, 200), vec![vec![0, 1, 3, 5], vec![2], vec![4]]);
        assert_eq!(plan_parts(&files, &cfg, 260), vec![vec![0, 1, 2, 3, 5], vec![4]]);
    }

    #[test]
    fn one_group_when_a_rule_balances_parents_against_children() {
        let mut cfg = Config::load(&default_pipelines()).unwrap();
        let mut rule = cfg.rules.rules.first().cloned().expect("the sample pipelines have rules");
        rule.kind = crate::config::rules::RuleKind::Balance;
        rule.over = crate::config::rules::Over::Area;
        cfg.rules.rules.push(rule);
        let files = vec![facts(&["421321100"], 100), facts(&["421321101"], 100)];
        assert_eq!(plan_parts(&files, &cfg, 100), vec![vec![0, 1]]);
    }
}
