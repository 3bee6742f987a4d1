//! The start of a run: the pipeline files loaded, the inbox listed and checked,
//! the database locked and what it holds of the last runs; and the run that
//! stops there because nothing changed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::Config;
use crate::incremental::planning;
use crate::ingest::{self, InputFile};
use crate::model::{RunMode, RunOutcome};
use crate::store::publish;
use crate::util::now_rfc3339;

use super::{split, GuardError, RunError, RunOptions, RunSummary};

/// What a run starts from: its pipeline files, the inbox's files, the database
/// (locked) and what it holds of the last runs.
pub(super) struct Start {
    pub(super) cfg: Config,
    pub(super) files: Vec<InputFile>,
    pub(super) lock: crate::store::lock::DbLock,
    pub(super) run_id: String,
    pub(super) started_at: String,
    pub(super) digest: String,
    pub(super) prev_state: Option<crate::store::state::State>,
    pub(super) current: Option<PathBuf>,
    /// When each return was first seen, and "now" for what is due (kept across rebuilds).
    pub(super) as_of: crate::reporting::AsOf,
    pub(super) seen: crate::store::state::first_seen::FirstSeen,
    /// Nothing new since the version in force: no file changed, no due date passed.
    pub(super) unchanged: bool,
    pub(super) started: Instant,
}

impl Start {
    /// The run's summary as far as the start knows it.
    pub(super) fn summary(&self) -> RunSummary {
        RunSummary {
            files: self.files.len(),
            indicators_total: self.cfg.catalogue.indicators.len(),
            top_level: self.cfg.areas.tree_roots().next().map_or("county", |a| a.level.as_str()).to_string(),
            ..Default::default()
        }
    }
}

/// Load the pipeline files, list the inbox, lock the database, and check the inbox (see [`guard`]).
pub(super) fn open(opts: &RunOptions) -> Result<Start, RunError> {
    let started = Instant::now();
    let started_at = now_rfc3339();
    split::deep_stacks();
    // Pipeline files first: a bad one stops the run before the database is touched.
    let cfg = Config::load(&opts.pipelines)?;
    if !opts.inbox.exists() {
        return Err(GuardError::NoInbox { inbox: opts.inbox.clone() }.into());
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
    let as_of = crate::reporting::AsOf::from_env(&started_at)?;
    let seen = crate::store::state::first_seen::FirstSeen::load(&opts.db);
    tracing::info!(files = files.len(), inbox = %opts.inbox.display(), mode = %opts.mode, "discovered returns");
    guard(opts, &files, current.as_deref())?;
    let unchanged = planning::inputs_unchanged(prev_state.as_ref(), &files, current.is_some());
    // A due date passing makes a pending return missing: that is a change too.
    let unchanged = unchanged && current.as_deref().is_some_and(|c| !crate::reporting::stale(&cfg, &seen, &as_of, c));
    Ok(Start { cfg, files, lock, run_id, started_at, digest, prev_state, current, as_of, seen, unchanged, started })
}

/// The guard before anything is read: an inbox with no returns (an unmounted
/// share, a wrong path) publishes nothing, and neither does one that would drop
/// more than the allowed share of the current version's files, unless allowed.
fn guard(opts: &RunOptions, files: &[InputFile], current: Option<&Path>) -> Result<(), RunError> {
    if files.is_empty() {
        return Err(GuardError::EmptyInbox { inbox: opts.inbox.clone() }.into());
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
        let some: Vec<String> = gone.iter().take(3).map(|s| s.to_string()).collect();
        let (gone, of, inbox, allowed) = (gone.len(), previous.len(), opts.inbox.clone(), opts.max_removed_share);
        return Err(GuardError::Removals { gone, of, inbox, some, allowed }.into());
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

/// Nothing changed since the version in force: no file is read, nothing is published.
pub(super) fn unchanged_run(opts: &RunOptions, start: &Start) -> Result<RunSummary, RunError> {
    let (run_id, files, current, started) = (&start.run_id, &start.files, start.current.as_deref(), start.started);
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
