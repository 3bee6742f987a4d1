//! One run: discover → read + recognise + normalise + validate (in parallel,
//! one workbook per rayon task) → compute → publish.
//!
//! * [`files`]: one input file's way in, and what the run keeps of it;
//! * [`stage`]: the compute stage for a set of values;
//! * [`split`]: runs split in parts (planning, computing one part);
//! * [`totals`]: what a run adds up over its parts;
//! * [`tables`]: the published tables built from the frames;
//! * this module: [`run`], which drives them, reading, and publishing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::compute::frames;
use crate::config::{Config, ConfigError};
use crate::incremental::planning;
use crate::ingest::{self, InputFile};
use crate::model::{RunMode, RunOutcome, Submission, SubmissionStatus};
use crate::store::publish::{self, Manifest, Table};
use crate::util::now_rfc3339;
use crate::validate;

mod files;
mod part;
mod split;
mod stage;
mod tables;
mod totals;

pub use files::{process_bytes, process_file, recognise, validate_and_derive, FileFacts, FileResult};
use files::{process_file_error, process_ingest_error, take_rereads};
use split::plan_parts;
pub use split::{DEFAULT_PART_VALUES, PARTS_AT_ONCE};
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
    Lock(#[from] crate::store::lock::LockError),
    #[error("state: {0}")]
    State(String),
    /// The guard before publishing: an empty inbox, or one that would drop too many returns.
    #[error("{0}")]
    Guard(String),
}

/// One file after the read stage: its result, content hash, whether it was parsed
/// this run (or came from the cache), and where its result is cached.
struct Outcome {
    result: FileResult,
    sha: String,
    read: bool,
    cache: Option<crate::store::state::CacheLoc>,
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
    let started = Instant::now();
    let mut start = open(opts, started)?;
    if start.unchanged() {
        return unchanged_run(opts, &start.run_id, &start.files, start.current.as_deref(), started);
    }
    let mut summary = RunSummary {
        files: start.files.len(),
        indicators_total: start.cfg.catalogue.indicators.len(),
        top_level: start.cfg.areas.tree_roots().next().map_or("county", |a| a.level.as_str()).to_string(),
        ..Default::default()
    };
    let mut read = read(opts, &start, &mut summary, started);
    let in_force = in_force(&mut start, &mut read, &mut summary, started);
    let version_hint = publish::next_version(&opts.db);
    let audit = crate::incremental::Context {
        replaced: &in_force.replaced,
        changed_files: &read.changed_files,
        removed_files: &read.removed_files,
        version: &version_hint,
    };
    let staging = publish::Staging::begin(&opts.db)?;
    let mut manifest = new_manifest(opts, &start, &summary);
    let parts = plan_parts(&read.facts, &start.cfg, opts.part_values.max(1));
    summary.parts = parts.len();
    tracing::info!(parts = parts.len(), values = read.facts.iter().map(|f| f.values).sum::<usize>(), "parts planned");
    // Issues as compact frames, part by part, counted by rule as they come.
    let mut totals = Totals::default();
    let kept = if parts.len() > 1 { start.prev_state.as_ref().map(|s| s.parts.iter().map(String::as_str).collect()) } else { None };
    let shared = split::Shared {
        cfg: &start.cfg,
        db: &opts.db,
        staging: &staging,
        kept: kept.unwrap_or_default(),
        audit: &audit,
        started,
        at_once: opts.parts_at_once.max(1),
    };
    let files = split::Files { results: &mut read.results, facts: &mut read.facts, inputs: &start.files };
    let made = split::compute_parts(&shared, &parts, files, &mut read.new_state, &mut summary, &mut manifest, &mut totals)?;
    let tables = Published { totals, made, run_issues: in_force.run_issues, reporting: &in_force.reporting, audit: &audit };
    publish_tables(opts, &start, std::mem::take(&mut read.results), tables, &staging, &mut summary, &mut manifest)?;
    let dir = staging.finish(&mut manifest, opts.keep_versions)?;
    finish(opts, start, read, dir, &manifest, &mut summary)?;
    Ok(summary)
}

/// What a run starts from: its pipeline files, the inbox's files, the database
/// (locked) and what it holds of the last runs.
struct Start {
    cfg: Config,
    files: Vec<InputFile>,
    lock: crate::store::lock::DbLock,
    run_id: String,
    started_at: String,
    digest: String,
    prev_state: Option<crate::store::state::State>,
    current: Option<PathBuf>,
    /// When each return was first seen, and "now" for what is due (kept across rebuilds).
    as_of: crate::reporting::AsOf,
    seen: crate::store::state::first_seen::FirstSeen,
    unchanged: bool,
    started: Instant,
}

impl Start {
    /// Nothing new since the version in force: no file changed, no due date passed.
    fn unchanged(&self) -> bool {
        self.unchanged
    }
}

/// Load the pipeline files, list the inbox, lock the database, and check the inbox (see [`guard`]).
fn open(opts: &RunOptions, started: Instant) -> Result<Start, RunError> {
    let started_at = now_rfc3339();
    split::deep_stacks();
    // Pipeline files first: a bad one stops the run before the database is touched.
    let cfg = Config::load(&opts.pipelines)?;
    if !opts.inbox.exists() {
        return Err(RunError::Guard(format!(
            "the inbox {} does not exist (not mounted? a wrong path?): nothing was published, the database stays as it was",
            opts.inbox.display()
        )));
    }
    let files = ingest::discover(&opts.inbox).map_err(|source| RunError::Inbox { path: opts.inbox.clone(), source })?;
    let lock = crate::store::lock::DbLock::acquire(&opts.db)?;
    if let Some(prev) = &lock.recovered_from {
        tracing::warn!(lock = %lock.path.display(), "the previous run ended without releasing the lock ({prev}); recovered");
    }
    let run_id = format!("{}-{}", started_at.replace([':', '-'], ""), std::process::id());
    let digest = crate::store::state::config_digest(&opts.pipelines);
    let rebuild = opts.mode == RunMode::Rebuild;
    let prev_state = if rebuild { None } else { crate::store::state::State::load(&opts.db, &digest) };
    let current = publish::current_version(&opts.db);
    let as_of = crate::reporting::AsOf::from_env(&started_at).map_err(RunError::State)?;
    let seen = crate::store::state::first_seen::FirstSeen::load(&opts.db);
    tracing::info!(files = files.len(), inbox = %opts.inbox.display(), mode = %opts.mode, "discovered returns");
    guard(opts, &files, current.as_deref())?;
    let unchanged = planning::inputs_unchanged(prev_state.as_ref(), &files, current.is_some());
    // A due date passing makes a pending return missing: that is a change too.
    let unchanged = unchanged && current.as_deref().is_some_and(|c| !crate::reporting::stale(&cfg, &seen, &as_of, c));
    Ok(Start { cfg, files, lock, run_id, started_at, digest, prev_state, current, as_of, seen, unchanged, started })
}

/// The run's files after the read stage, and the state the run will leave.
struct Read {
    results: Vec<FileResult>,
    facts: Vec<FileFacts>,
    new_state: crate::store::state::State,
    /// Files read again because their content changed at the same path.
    changed_files: std::collections::BTreeSet<String>,
    /// Files of the last run no longer in the inbox.
    removed_files: std::collections::BTreeSet<String>,
    /// Where this run caches what it reads.
    cache: crate::store::state::CacheWriter,
}

/// Read what is new or changed (a touched file whose content is the same comes
/// from the cache). A file's values then wait in the cache until its part is
/// computed (memory stays flat).
fn read(opts: &RunOptions, start: &Start, summary: &mut RunSummary, started: Instant) -> Read {
    let (files, cfg, prev_state) = (&start.files, &start.cfg, start.prev_state.as_ref());
    // Which files can be taken from the cache: same size and modification time as last time.
    let fresh = |f: &InputFile| planning::fresh(prev_state, f);
    let bar = progress_bar(opts.progress, files.len());
    let cache = crate::store::state::CacheWriter::new(&opts.db, &start.run_id);
    let prev_entry = |f: &InputFile| prev_state.and_then(|s| s.files.get(&f.rel));
    let from_cache = |f: &InputFile, s: &crate::store::state::FileState| {
        let loc = s.cache.as_ref()?;
        crate::store::state::read_cached(&opts.db, &f.rel, &s.sha256, loc).map(|r| Outcome {
            result: r,
            sha: s.sha256.clone(),
            read: false,
            cache: Some(loc.clone()),
        })
    };
    take_rereads();
    let outcomes: Vec<(Outcome, FileFacts)> = files
        .par_iter()
        .map(|f| {
            // An entry of the inbox that could not be listed or followed: its issue, and the rest loads.
            if let Some((severity, msg)) = &f.problem {
                let mut r = process_file_error(f, msg.clone());
                for i in &mut r.issues {
                    i.severity = *severity;
                    i.rule = "inbox_entry";
                }
                bar.inc(1);
                return (Outcome { result: r, sha: String::new(), read: true, cache: None }, FileFacts::default());
            }
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
                    Err(e) => Outcome { result: process_ingest_error(f, &e), sha: String::new(), read: true, cache: None },
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
    let mut new_state = crate::store::state::State {
        tool_version: crate::store::state::STATE_VERSION.into(),
        config_digest: start.digest.clone(),
        files: BTreeMap::new(),
        parts: Vec::new(),
    };
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
            let summary = (fact.stripped && o.cache.is_some()).then(|| crate::store::state::FileSummary {
                submission: o.result.submission.clone(),
                years: fact.years.clone(),
                areas: fact.areas.clone(),
                values: fact.values,
            });
            new_state
                .files
                .insert(f.rel.clone(), crate::store::state::FileState { size: f.size, mtime_ns: f.mtime_ns, sha256: o.sha, cache: o.cache, summary });
        }
        results.push(o.result);
        facts.push(fact);
    }
    tracing::info!(ms = started.elapsed().as_millis() as u64, files = files.len(), read = summary.files_read, cached = summary.files_cached, "stage read");
    let removed_files = planning::removed(prev_state, &new_state);
    Read { results, facts, new_state, changed_files, removed_files, cache }
}

/// The corrections in force, and who has sent what.
struct InForce {
    /// Submission in force -> the files it superseded.
    replaced: std::collections::HashMap<String, Vec<String>>,
    /// The run's own issues (corrections, returns due).
    run_issues: Vec<crate::model::Issue>,
    reporting: crate::reporting::Reporting,
}

/// Corrections: the latest return of a form and year is in force (a correction
/// mark, then when wcmon first saw it, then the file time); the returns due.
fn in_force(start: &mut Start, read: &mut Read, summary: &mut RunSummary, started: Instant) -> InForce {
    let Start { cfg, files, run_id, as_of, seen, .. } = start;
    let Read { results, facts, new_state, .. } = read;
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
    InForce { replaced, run_issues, reporting }
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
    staging.write(&mut Table::new("reporting", reporting.frame()?), 0, manifest)?;
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
    staging.write(&mut Table::new("changes", changes), 0, manifest)?;
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
    new_state.save(&opts.db).map_err(|e| RunError::State(e.to_string()))?;
    seen.as_of = Some(as_of.date.clone());
    seen.save(&opts.db).map_err(|e| RunError::State(format!("first_seen.json: {e}")))?;
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

/// The guard before anything is read: an inbox with no returns (an unmounted
/// share, a wrong path) publishes nothing, and neither does one that would drop
/// more than the allowed share of the current version's files, unless allowed.
fn guard(opts: &RunOptions, files: &[InputFile], current: Option<&Path>) -> Result<(), RunError> {
    if files.is_empty() {
        return Err(RunError::Guard(format!(
            "the inbox {} holds no returns (not mounted? the wrong folder?): nothing was published, the database stays as it was",
            opts.inbox.display()
        )));
    }
    if opts.allow_removals {
        return Ok(());
    }
    let Some(previous) = current.and_then(previous_sources) else { return Ok(()) };
    if previous.is_empty() {
        return Ok(());
    }
    let now: std::collections::HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    let gone: Vec<&String> = previous.iter().filter(|p| !now.contains(p.as_str())).collect();
    if gone.len() as f64 > opts.max_removed_share * previous.len() as f64 {
        let some: Vec<&str> = gone.iter().take(3).map(|s| s.as_str()).collect();
        return Err(RunError::Guard(format!(
            "{} of the {} returns of the current version are gone from the inbox {} (e.g. {}), more than the {:.0}% allowed: nothing was published; \
             if they were removed on purpose, run again with --allow-removals (or a larger --max-removals)",
            gone.len(),
            previous.len(),
            opts.inbox.display(),
            some.join(", "),
            opts.max_removed_share * 100.0
        )));
    }
    Ok(())
}

/// The input files of a published version (its `submissions.parquet`); None when it cannot be read.
fn previous_sources(version: &Path) -> Option<std::collections::BTreeSet<String>> {
    let path = version.join("submissions.parquet");
    let file = std::fs::File::open(&path).ok()?;
    use polars_io::SerReader as _;
    let df = polars_io::prelude::ParquetReader::new(file).with_columns(Some(vec!["source_file".into()])).finish().ok()?;
    let col = df.column("source_file").ok()?.str().ok()?.clone();
    Some(col.iter().flatten().map(str::to_string).collect())
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
        Table::new("indicators", catalogue).sorted_by(&["indicator"], true),
        sorted_table("progress", progress_df, cfg, &["indicator", "area", "sex", "age", "target_year"], None)?,
        sorted_table("gaps", gaps_df, cfg, &["indicator", "area", "year", "dimension", "age", "sex", "residence"], None)?,
        Table::new("data_elements", data_elements_frame(cfg)?).sorted_by(&["data_element"], true),
        Table::new("areas", frames::areas(&cfg.areas)?).sorted_by(&["area"], false),
        Table::new("submissions", frames::submissions(&subs)?),
        Table::new("issues", issues).sorted_by(&["source_file", "source_sheet"], true),
        Table::new("rule_summary", frames::rule_summary(&rule_stats)?),
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

fn progress_bar(show: bool, n: usize) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(n as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} reading returns [{bar:30}] {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// Nothing changed since the version in force: no file is read, nothing is published.
fn unchanged_run(opts: &RunOptions, run_id: &str, files: &[InputFile], current: Option<&Path>, started: Instant) -> Result<RunSummary, RunError> {
    let manifest: serde_json::Value =
        current.and_then(|c| std::fs::read_to_string(c.join("manifest.json")).ok()).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    let mut summary = RunSummary { files: files.len(), files_cached: files.len(), outcome: RunOutcome::Unchanged, ..Default::default() };
    summary.version = manifest["version"].as_str().unwrap_or_default().to_string();
    if let Some(m) = manifest["issues_by_severity"].as_object() {
        for (k, v) in m {
            summary.issues_by_severity.insert(k.clone(), v.as_u64().unwrap_or(0) as usize);
        }
    }
    summary.duration_ms = started.elapsed().as_millis();
    tracing::info!(ms = summary.duration_ms as u64, outcome = "unchanged", version = %summary.version, files = files.len(), read = 0, "run finished");
    let _ = crate::store::state::log_run(
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
