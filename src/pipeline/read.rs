//! The read stage: every file of the inbox read, recognised and normalised, or
//! taken from the state cache when it is unchanged since the last run; what a
//! file's values are waits in the cache until its part is computed.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::incremental::planning;
use crate::ingest::{self, InputFile};

use super::files::{process_bytes, process_file_error, process_ingest_error, take_rereads, FileFacts, FileResult};
use super::start::Start;
use super::{RunOptions, RunSummary};

/// One file after the read stage: its result, content hash, whether it was parsed
/// this run (or came from the cache), and where its result is cached.
struct Outcome {
    result: FileResult,
    sha: String,
    read: bool,
    pub(super) cache: Option<crate::store::state::CacheLoc>,
}

/// The run's files after the read stage, and the state the run will leave.
pub(super) struct Read {
    pub(super) results: Vec<FileResult>,
    pub(super) facts: Vec<FileFacts>,
    pub(super) new_state: crate::store::state::State,
    /// What changed among the files since the last run.
    pub(super) changed: Changed,
    /// Where this run caches what it reads.
    pub(super) cache: crate::store::state::CacheWriter,
}

/// Files that changed since the last run, for the changes table's reasons.
#[derive(Default)]
pub(super) struct Changed {
    /// Files read again because their content changed at the same path.
    pub(super) files: std::collections::BTreeSet<String>,
    /// Files of the last run no longer in the inbox.
    pub(super) removed: std::collections::BTreeSet<String>,
}

/// Read what is new or changed (a touched file whose content is the same comes
/// from the cache). A file's values then wait in the cache until its part is
/// computed (memory stays flat).
pub(super) fn read(opts: &RunOptions, start: &Start, summary: &mut RunSummary) -> Read {
    let started = start.started;
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
                            let r = process_bytes(f, bytes, sha.clone(), cfg);
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
    Read { results, facts, new_state, changed: Changed { files: changed_files, removed: removed_files }, cache }
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
