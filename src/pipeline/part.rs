//! One part of a run computed (`compute_part`): its files' values restored from
//! the state cache, validated, aggregated, the indicators, progress and checks.
//! A run of few values is one part, the whole run ([`Scope::Whole`]); a larger
//! one is split by area subtree ([`Scope::Split`]), each part handing its roots'
//! values up to the top (see `split`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use rayon::prelude::*;

use crate::compute::{self, frames};
use crate::config::Config;
use crate::ingest::InputFile;
use crate::model::Observation;
use crate::store::parts::PartRecord;
use crate::validate;

use super::files::{restore, validate_and_derive, FileFacts, FileResult};
use super::stage::{compute, Role};
use super::RunError;

/// Which part of the run a part is.
pub(super) enum Scope<'a> {
    /// The only part: every value, the roots' included; its rows wait in memory.
    Whole,
    /// One of several: the roots' values are handed up (computed after the parts,
    /// from their sums, with the run's latest year); its issue, progress and gap
    /// rows wait in its folder `dir`, kept for the next run.
    Split { roots: &'a compute::AreaSet, last_year: i32, dir: PathBuf },
}

/// One part's files, moved out of the run's lists.
pub(super) struct PartInput {
    pub(super) results: Vec<FileResult>,
    pub(super) facts: Vec<FileFacts>,
    pub(super) inputs: Vec<InputFile>,
}

/// What a part hands on to the run.
pub(super) enum PartOut {
    /// A part of a split run (computed now or kept from the last run).
    Split(crate::store::parts::PartOut),
    /// The only part.
    Whole(Whole),
}

impl PartOut {
    pub(super) fn record(&self) -> &PartRecord {
        match self {
            PartOut::Split(o) => &o.record,
            PartOut::Whole(w) => &w.record,
        }
    }

    pub(super) fn record_mut(&mut self) -> &mut PartRecord {
        match self {
            PartOut::Split(o) => &mut o.record,
            PartOut::Whole(w) => &mut w.record,
        }
    }
}

/// The only part's results, in memory: its counts, its issue, progress and gap
/// rows, its reported values until they are diffed with the version in force,
/// then its indicator rows (the roots', for the catalogue) and that diff.
pub(super) struct Whole {
    pub(super) record: PartRecord,
    pub(super) issues: DataFrame,
    pub(super) progress: DataFrame,
    pub(super) gaps: DataFrame,
    pub(super) reported: Option<DataFrame>,
    pub(super) top: Option<(DataFrame, DataFrame)>,
}

/// A computed part: what it hands on, its `data_values` and `indicator_values`
/// rows, and its files' results (submissions as validated, values and issues taken).
pub(super) struct ComputedPart {
    pub(super) out: PartOut,
    pub(super) values: DataFrame,
    pub(super) indicators: DataFrame,
    pub(super) results: Vec<FileResult>,
}

/// Compute one part (its files' values restored from the cache). A part of a
/// split run keeps its issue, progress and gap rows in its folder; the only
/// part keeps them, and its reported values, in memory.
pub(super) fn compute_part(
    input: PartInput,
    scope: &Scope,
    state: &crate::store::state::State,
    cfg: &Config,
    db: &Path,
    started: Instant,
) -> Result<ComputedPart, RunError> {
    let PartInput { mut results, mut facts, inputs } = input;
    restore(&mut results, &mut facts, &inputs, state, cfg, db);
    let validation_stats = validate_and_derive(&mut results, cfg, &validate::History::new());
    validated(&results, started);
    let obs: Vec<Vec<Observation>> = results.iter_mut().map(|r| std::mem::take(&mut r.observations)).collect();
    let reported = frames::observations(&obs)?;
    // Freed file by file on both cores (millions of values).
    obs.into_par_iter().for_each(drop);
    tracing::info!(ms = started.elapsed().as_millis() as u64, values = reported.height(), "stage frames");
    let (values, at_roots, role) = match scope {
        Scope::Whole => (reported, None, None),
        Scope::Split { roots, last_year, .. } => {
            let (values, at_roots) = compute::split_by_area(reported, roots)?;
            (values, Some(at_roots), Some((Role::Part(roots), *last_year)))
        }
    };
    let c = compute(&values, cfg, role, started)?;
    // The only part's reported values are diffed with the version in force before
    // its tables are written (their rows are in `c.values` too); a part's go now.
    let reported = match scope {
        Scope::Whole => Some(values),
        Scope::Split { .. } => {
            drop(values);
            None
        }
    };
    // Each code once (a String per row would be a quarter of a million allocations).
    let with_data: BTreeSet<String> = if c.indicators.height() > 0 {
        let codes: BTreeSet<&str> = c.indicators.column("indicator")?.str()?.iter().flatten().collect();
        codes.into_iter().map(str::to_string).collect()
    } else {
        Default::default()
    };
    // The part's issues: the indicator checks', then its files' (sorted at the end of the run).
    let mut issues = c.issues;
    for r in &mut results {
        issues.append(&mut r.issues);
    }
    let mut counts = validate::IssueCounts::new();
    validate::count_issues(&issues, &mut counts);
    let issues = frames::issues(&issues)?;
    let record = PartRecord {
        submissions: results.iter().map(|r| r.submission.clone()).collect(),
        aggregated: c.aggregated,
        indicator_values: c.indicators.height(),
        with_data: with_data.into_iter().collect(),
        progress: c.progress_summary,
        issue_counts: counts.into_iter().map(|(rule, (sev, n))| (rule, sev, n)).collect(),
        validation_stats,
        indicator_stats: c.stats,
        rows: BTreeMap::new(),
        checksums: BTreeMap::new(),
    };
    let out = match scope {
        Scope::Whole => PartOut::Whole(Whole { record, issues, progress: c.progress, gaps: c.gaps, reported, top: None }),
        Scope::Split { dir, .. } => {
            let (progress_file, issues_file, gaps_file) = (dir.join("progress.parquet"), dir.join("issues.parquet"), dir.join("gaps.parquet"));
            let mut issues = issues;
            crate::store::parts::write_frame(&mut issues, &issues_file)?;
            drop(issues);
            let mut progress = c.progress;
            crate::store::parts::write_frame(&mut progress, &progress_file)?;
            let mut gaps = c.gaps;
            crate::store::parts::write_frame(&mut gaps, &gaps_file)?;
            PartOut::Split(crate::store::parts::PartOut {
                record,
                root_values: compute::owned_strings(at_roots.unwrap_or_default())?,
                root_sums: c.root_sums.map(compute::owned_strings).transpose()?,
                pairs: c.pair_sums.into_iter().map(|(code, df)| Ok((code, compute::owned_strings(df)?))).collect::<PolarsResult<_>>()?,
                progress_file,
                issues_file,
                gaps_file,
            })
        }
    };
    Ok(ComputedPart { out, values: c.values, indicators: c.indicators, results })
}

/// The log line of a part's validated files (and a warning for each file that failed).
fn validated(results: &[FileResult], started: Instant) {
    let sum = |f: &dyn Fn(&crate::model::Submission) -> u64| -> u64 { results.iter().map(|r| f(&r.submission)).sum() };
    for r in results.iter().filter(|r| !matches!(r.submission.status.as_str(), "loaded" | "superseded")) {
        if let Some(i) = r.issues.first() {
            tracing::warn!(file = %r.submission.source_file, "{}", i.message);
        }
    }
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        cells_read = sum(&|s| s.cells_read),
        landed = sum(&|s| s.values_landed),
        rejected = sum(&|s| s.values_rejected),
        derived = sum(&|s| s.values_derived),
        derived_total = sum(&|s| s.values_derived_total),
        "stage validated"
    );
}
