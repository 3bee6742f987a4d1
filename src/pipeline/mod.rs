//! One run, in phases: open (pipeline files, inbox, lock) → read (every new or
//! changed workbook, in parallel; the rest from the state cache) → corrections in
//! force → plan the parts (one when the run is small) → compute each part (its
//! value tables written as it is done; a split run's roots last) → publish the
//! other tables and the version → the state for the next run.
//!
//! * [`start`]: what a run starts from, and the run that stops there (nothing changed);
//! * [`read`]: the read stage;
//! * [`files`]: one input file's way in, and what the run keeps of it;
//! * [`split`]: the parts planned, each computed and written, the roots of a split run;
//! * [`part`]: one part computed (the whole run, or one of a split run's parts);
//! * [`stage`]: the compute stage for a set of values;
//! * [`totals`]: what a run adds up over its parts;
//! * [`tables`]: the published tables built from the frames;
//! * this module: [`run`] and its phases after the read, publishing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::compute::frames;
use crate::config::Config;
use crate::model::{RunMode, RunOutcome, Submission, SubmissionStatus};
use crate::store::publish::{self, Manifest, Table};
use crate::tables as registry;
use crate::util::now_rfc3339;
use crate::validate;

mod error;
mod files;
mod part;
mod read;
mod split;
mod stage;
mod start;
mod tables;
mod totals;

pub use error::{GuardError, PartsError, RunError};
use files::take_rereads;
pub use files::{process_bytes, process_file, recognise, validate_and_derive, FileFacts, FileResult};
use read::Read;
use split::plan_parts;
pub use split::{DEFAULT_PART_VALUES, PARTS_AT_ONCE};
use start::Start;
use tables::{catalogue_frame, data_elements_frame, sorted_table};
pub use tables::{sort_issues, sort_issues_frame};
use totals::Totals;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub inbox: PathBuf,
    pub db: PathBuf,
    pub pipelines: PathBuf,
    /// `run` (incremental: only new or changed files are read) or `rebuild` (every file, ignoring the state).
    pub mode: RunMode,
    pub progress: bool,
    /// Versions of the database to keep (the current one included).
    pub keep_versions: usize,
    /// A run of more values than this is computed part by part: whole area
    /// subtrees (a province's counties) at a time, then the roots from the parts'
    /// sums. Memory then grows with the part, not the inbox; the rows published
    /// are the same.
    pub part_values: usize,
    /// Parts computed at the same time (at least 1; see [`PARTS_AT_ONCE`]).
    pub parts_at_once: usize,
    /// The share of the current version's input files that may be gone from the
    /// inbox (0.5: half); a run that would drop more publishes nothing.
    pub max_removed_share: f64,
    /// Publish however many of the current version's files are gone.
    pub allow_removals: bool,
}

/// The default of [`RunOptions::max_removed_share`].
pub const DEFAULT_MAX_REMOVED_SHARE: f64 = 0.5;

/// Counts printed at the end of a run and recorded in the manifest.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunSummary {
    /// The level of the top of the area tree ("county", "province", "country"), as the summary names it.
    #[serde(skip)]
    pub top_level: String,
    pub files: usize,
    pub files_loaded: usize,
    pub files_failed: usize,
    pub cells_read: u64,
    pub values_landed: u64,
    pub values_rejected: u64,
    pub values_derived: u64,
    /// Of `values_derived`, the totals derived as 女 + 男 (the rest are 男 = 合计 − 女).
    pub values_derived_total: u64,
    pub aggregated_values: usize,
    pub issues_by_severity: BTreeMap<String, usize>,
    /// Towns' reported numerators of rates left out of every aggregate for want of a denominator (rule `rate_denominator_missing`).
    pub numerators_left_out: u64,
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
    /// The latest year's expected returns: received, late, missing (see `crate::reporting`).
    pub returns: crate::reporting::ReportingSummary,
    /// `published` or `unchanged` (nothing new: the current version stands).
    pub outcome: RunOutcome,
    pub version: String,
    pub duration_ms: u128,
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
    crate::util::hex(&h.finalize())
}

/// The whole run: open the database, read the returns, put the corrections in
/// force, plan the parts (one when the run is small), compute each part, publish.
pub fn run(opts: &RunOptions) -> Result<RunSummary, RunError> {
    let mut start = start::open(opts)?;
    if start.unchanged {
        return start::unchanged_run(opts, &start);
    }
    let mut summary = start.summary();
    let mut read = read::read(opts, &start, &mut summary);
    let (in_force, run_issues) = in_force(&mut start, &mut read, &mut summary);
    let version_hint = publish::next_version(&opts.db);
    let audit = in_force.audit(&version_hint);
    let staging = publish::Staging::begin(&opts.db)?;
    let mut manifest = new_manifest(opts, &start, &summary);
    let parts = plan(opts, &start, &read, &mut summary);
    let (totals, made) = compute(opts, &start, &mut read, &parts, (&staging, &audit), &mut summary, &mut manifest)?;
    let tables = Published { totals, made, run_issues, reporting: &in_force.reporting, audit: &audit };
    publish_tables(opts, &start, std::mem::take(&mut read.results), tables, &staging, &mut summary, &mut manifest)?;
    let dir = staging.finish(&mut manifest, opts.keep_versions)?;
    finish(opts, start, read, dir, &manifest, &mut summary)?;
    Ok(summary)
}

/// The run's parts: files grouped by area subtree, one part when everything fits `--part-values`.
fn plan(opts: &RunOptions, start: &Start, read: &Read, summary: &mut RunSummary) -> Vec<Vec<usize>> {
    let parts = plan_parts(&read.facts, &start.cfg, opts.part_values.max(1));
    summary.parts = parts.len();
    tracing::info!(parts = parts.len(), values = read.facts.iter().map(|f| f.values).sum::<usize>(), "parts planned");
    parts
}

/// Compute every part, writing its value tables into the staging version (see
/// [`split::compute_parts`]); returns what the run adds up over its parts and
/// what they made besides.
fn compute(
    opts: &RunOptions,
    start: &Start,
    read: &mut Read,
    parts: &[Vec<usize>],
    (staging, audit): (&publish::Staging, &crate::incremental::Context),
    summary: &mut RunSummary,
    manifest: &mut Manifest,
) -> Result<(Totals, split::Made), RunError> {
    // Issues as compact frames, part by part, counted by rule as they come.
    let mut totals = Totals::default();
    // Only a run split in parts takes parts from the last run.
    let kept = match (&start.prev_state, parts.len() > 1) {
        (Some(s), true) => s.parts.iter().map(String::as_str).collect(),
        _ => Default::default(),
    };
    let shared = split::Shared { cfg: &start.cfg, db: &opts.db, staging, kept, audit, started: start.started, at_once: opts.parts_at_once.max(1) };
    let files = split::Files { results: &mut read.results, facts: &mut read.facts, inputs: &start.files };
    let made = split::compute_parts(&shared, parts, files, &mut read.new_state, summary, manifest, &mut totals)?;
    Ok((totals, made))
}

/// The corrections in force, who has sent what, and why values may have changed.
struct InForce {
    /// Submission in force -> the files it superseded.
    replaced: std::collections::HashMap<String, Vec<String>>,
    /// Files changed at the same path, or gone, since the last run.
    changed: read::Changed,
    reporting: crate::reporting::Reporting,
}

impl InForce {
    /// Why values changed on the way to `version`, for the changes table's reasons.
    fn audit<'a>(&'a self, version: &'a str) -> crate::incremental::Context<'a> {
        crate::incremental::Context { replaced: &self.replaced, changed_files: &self.changed.files, removed_files: &self.changed.removed, version }
    }
}

/// Corrections: the latest return of a form and year is in force (a correction
/// mark, then when wcmon first saw it, then the file time); the returns due.
/// Returns them and the run's own issues (of corrections, of returns due).
fn in_force(start: &mut Start, read: &mut Read, summary: &mut RunSummary) -> (InForce, Vec<crate::model::Issue>) {
    let Start { cfg, files, run_id, as_of, seen, started, .. } = start;
    let Read { results, facts, new_state, changed, .. } = read;
    seen.begin(run_id, &as_of.at);
    let ranks = crate::incremental::order::see_and_rank(files, new_state, seen);
    let (replaced, mut run_issues) = crate::incremental::supersede(results, facts, &ranks, cfg);
    // Who has sent what (before the superseded files' facts are cleared).
    let reporting = crate::reporting::build(cfg, &crate::reporting::receipts(results, facts, cfg, seen), as_of);
    run_issues.extend(reporting.issues());
    summary.returns = reporting.summary();
    for (r, fact) in results.iter().zip(facts.iter_mut()) {
        if r.submission.status == SubmissionStatus::Superseded {
            *fact = FileFacts::default();
        }
    }
    tracing::info!(ms = started.elapsed().as_millis() as u64, superseded = replaced.values().map(Vec::len).sum::<usize>(), "stage superseded");
    (InForce { replaced, changed: std::mem::take(changed), reporting }, run_issues)
}

/// The version's manifest as far as it is known before the tables are written.
fn new_manifest(opts: &RunOptions, start: &Start, summary: &RunSummary) -> Manifest {
    Manifest {
        run_id: start.run_id.clone(),
        mode: opts.mode.as_str().to_string(),
        tool: "wcmon".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at: start.started_at.clone(),
        finished_at: String::new(),
        duration_ms: 0,
        inbox: opts.inbox.display().to_string(),
        inputs_digest: String::new(),
        files: start.files.len(),
        outcome: String::new(),
        version: String::new(),
        files_read: summary.files_read,
        files_cached: summary.files_cached,
        row_counts: BTreeMap::new(),
        issues_by_severity: BTreeMap::new(),
        public_export: None,
    }
}

/// What the tables besides the value tables are made of.
struct Published<'a> {
    totals: Totals,
    made: split::Made,
    run_issues: Vec<crate::model::Issue>,
    reporting: &'a crate::reporting::Reporting,
    audit: &'a crate::incremental::Context<'a>,
}

/// Write the run's tables besides the value tables (the parts wrote those):
/// reporting, the changes (diffed while the others are built and written), the
/// catalogue, progress, issues and the rest; then the manifest's counts.
fn publish_tables(
    opts: &RunOptions,
    start: &Start,
    results: Vec<FileResult>,
    t: Published,
    staging: &publish::Staging,
    summary: &mut RunSummary,
    manifest: &mut Manifest,
) -> Result<(), RunError> {
    let Published { mut totals, made, mut run_issues, reporting, audit } = t;
    let (cfg, started) = (&start.cfg, start.started);
    // A form's balance rule that checked nothing although the form had returns.
    let loaded = results.iter().filter(|r| r.submission.status == "loaded");
    run_issues.extend(validate::idle_balance_rules(
        &totals.rule_stats,
        cfg,
        loaded.filter_map(|r| Some((r.submission.form.as_deref()?, r.submission.source_file.as_str()))),
    ));
    totals::keep_issues(&mut totals.issues, &mut totals.issue_counts, &mut [], run_issues)?;
    staging.write(&mut Table::of(&registry::REPORTING, reporting.frame()?), 0, manifest)?;
    // The changes table: known already (the only part's), or diffed from the staged
    // parts while the run's other tables are built and written.
    let (db, staged) = (&opts.db, &staging.dir);
    let changes_job = move || match made.changes {
        split::Changes::Known(changes) => Ok(changes),
        split::Changes::Staged(unchanged) => {
            let changes = crate::incremental::changes_staged(db, staged, audit, &unchanged);
            tracing::info!(ms = started.elapsed().as_millis() as u64, changes = changes.as_ref().map_or(0, |c| c.height()), "stage changes");
            changes
        }
    };
    let (changes, subs) =
        rayon::join(changes_job, || other_tables(OtherTables { cfg, totals, results, ind_top: made.ind_top, staging, started }, summary, manifest));
    let subs = subs?;
    let mut changes = changes?;
    summary.changes = changes.height();
    if let Some(old) = crate::incremental::previous_changes(&opts.db) {
        let mut all = old;
        if all.get_column_names() == changes.get_column_names() {
            all.vstack_mut(&changes)?;
            changes = all;
        }
    }
    staging.write(&mut Table::of(&registry::CHANGES, changes), 0, manifest)?;
    // Files whose cached values were gone were read again: not "unchanged from the cache".
    let reread = take_rereads();
    summary.files_read += reread;
    summary.files_cached = summary.files_cached.saturating_sub(reread);
    (manifest.files_read, manifest.files_cached) = (summary.files_read, summary.files_cached);
    summary.duration_ms = started.elapsed().as_millis();
    manifest.finished_at = now_rfc3339();
    manifest.duration_ms = summary.duration_ms;
    manifest.inputs_digest = inputs_digest(&subs);
    manifest.outcome = if summary.issues_by_severity.contains_key("error") { "completed_with_errors".into() } else { "ok".into() };
    manifest.issues_by_severity = summary.issues_by_severity.clone();
    Ok(())
}

/// After the version is published: the state the next run starts from, the run's log line.
fn finish(opts: &RunOptions, start: Start, read: Read, dir: PathBuf, manifest: &Manifest, summary: &mut RunSummary) -> Result<(), RunError> {
    let Start { lock, run_id, files, as_of, mut seen, started, .. } = start;
    let Read { mut new_state, cache, .. } = read;
    let (errors, warnings) = (summary.issues_by_severity.get("error").copied().unwrap_or(0), summary.issues_by_severity.get("warning").copied().unwrap_or(0));
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        version = %manifest.version,
        data_values = manifest.row_counts.get("data_values").copied().unwrap_or(0),
        indicator_values = manifest.row_counts.get("indicator_values").copied().unwrap_or(0),
        errors,
        warnings,
        "stage published"
    );
    summary.version = manifest.version.clone();
    summary.outcome = RunOutcome::Published;
    new_state.compact(&opts.db, &cache);
    drop(cache);
    new_state.save(&opts.db)?;
    seen.as_of = Some(as_of.date.clone());
    seen.save(&opts.db)?;
    summary.duration_ms = started.elapsed().as_millis();
    tracing::info!(
        ms = summary.duration_ms as u64,
        outcome = %manifest.outcome,
        version = %manifest.version,
        files = files.len(),
        read = summary.files_read,
        errors,
        warnings,
        changes = summary.changes,
        "run finished"
    );
    let _ = crate::store::state::log_run(
        &opts.db,
        &serde_json::json!({"run_id": run_id, "mode": opts.mode, "outcome": manifest.outcome, "version": manifest.version,
            "files": files.len(), "files_read": summary.files_read, "files_cached": summary.files_cached,
            "changes": summary.changes, "duration_ms": summary.duration_ms, "dir": dir.display().to_string()}),
    );
    drop(lock);
    Ok(())
}

/// What the run's tables other than the value tables and `changes` are made of.
struct OtherTables<'a> {
    cfg: &'a Config,
    totals: Totals,
    results: Vec<FileResult>,
    ind_top: DataFrame,
    staging: &'a publish::Staging,
    started: Instant,
}

/// Builds and writes the catalogue, progress, dimension, submission, issue and rule
/// tables (counting issues into the summary); returns the submissions, for the
/// manifest's input digest.
fn other_tables(t: OtherTables, summary: &mut RunSummary, manifest: &mut Manifest) -> Result<Vec<Submission>, RunError> {
    let OtherTables { cfg, totals, results, ind_top, staging, started } = t;
    let Totals { mut rule_stats, mut ind_stats, issue_counts, issues: issue_frames, progress: progress_frames, gaps: gap_frames, with_data } = totals;
    summary.indicators_with_data = with_data.len();
    let subs: Vec<Submission> = results.into_iter().map(|r| r.submission).collect();
    rule_stats.append(&mut ind_stats);
    validate::ingest_stats_from(&issue_counts, summary.cells_read, &mut rule_stats);
    let issues = sort_issues_frame(issue_frames.take()?.unwrap_or_else(|| frames::issues(&[]).unwrap_or_default()))?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "issues sorted");
    for (sev, n) in issue_counts.values() {
        *summary.issues_by_severity.entry(sev.as_str().to_string()).or_default() += *n as usize;
    }
    summary.numerators_left_out = issue_counts.get(crate::compute::unpaired::RULE).map_or(0, |c| c.1);
    let catalogue = catalogue_frame(cfg, &ind_top)?;
    drop(ind_top);
    let progress_df = progress_frames.take()?.unwrap_or_default();
    let gaps_df = match gap_frames.take()? {
        Some(df) => df,
        None => crate::compute::gaps::frame(&[])?,
    };
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "catalogue");
    let mut tables = vec![
        // Sorted by Polars' sort (nulls first; none are null), areas by their code, issues by
        // file and sheet (None before any text), then by the cell's row and column.
        Table::of(&registry::INDICATORS, catalogue),
        sorted_table(&registry::PROGRESS, progress_df, cfg)?,
        sorted_table(&registry::GAPS, gaps_df, cfg)?,
        Table::of(&registry::DATA_ELEMENTS, data_elements_frame(cfg)?),
        Table::of(&registry::AREAS, frames::areas(&cfg.areas)?),
        Table::of(&registry::SUBMISSIONS, frames::submissions(&subs)?),
        Table::of(&registry::ISSUES, issues),
        Table::of(&registry::RULE_SUMMARY, frames::rule_summary(&rule_stats)?),
    ];
    for t in &mut tables {
        staging.write(t, 0, manifest)?;
    }
    Ok(subs)
}

/// The crash-test pause between the value tables and the rest (see `publish::pause_point`).
pub(super) fn pause_point_half() {
    publish::pause_point("staging");
}

/// Path helper for tests and the CLI: the bundled pipelines folder.
pub fn default_pipelines() -> PathBuf {
    Path::new("pipelines").to_path_buf()
}
