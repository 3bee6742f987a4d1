//! What a run adds up over its parts: per-file counts, rule counts, issue and
//! progress rows kept until the end.

use std::collections::BTreeSet;
use std::path::PathBuf;

use polars::prelude::*;

use crate::compute::{self, frames};
use crate::model::Issue;
use crate::validate;

use super::files::FileResult;
use super::part::PartOut;
use super::stage::Computed;
use super::{RunError, RunSummary};

/// Everything a run adds up besides its summary's counts: rule counts (validation's,
/// then the indicator checks'), issues and progress rows kept until the end, and
/// the indicators with data.
#[derive(Default)]
pub(super) struct Totals {
    pub(super) rule_stats: Vec<crate::model::RuleStat>,
    pub(super) ind_stats: Vec<crate::model::RuleStat>,
    pub(super) issue_counts: validate::IssueCounts,
    pub(super) issues: Kept,
    pub(super) progress: Kept,
    pub(super) gaps: Kept,
    pub(super) with_data: BTreeSet<String>,
}

impl Totals {
    /// Add the roots' compute stage of a split run; its values and indicator rows
    /// stay with `c` (to be written).
    pub(super) fn add_computed(&mut self, summary: &mut RunSummary, c: &mut Computed) -> Result<(), RunError> {
        summary.aggregated_values += c.aggregated;
        summary.indicator_values += c.indicators.height();
        if c.indicators.height() > 0 {
            let codes: BTreeSet<&str> = c.indicators.column("indicator")?.str()?.iter().flatten().collect();
            self.with_data.extend(codes.into_iter().map(str::to_string));
        }
        summary.progress.add(std::mem::take(&mut c.progress_summary));
        keep_issues(&mut self.issues, &mut self.issue_counts, &mut [], std::mem::take(&mut c.issues))?;
        merge_stats(&mut self.ind_stats, std::mem::take(&mut c.stats));
        self.progress.push(std::mem::take(&mut c.progress));
        self.gaps.push(std::mem::take(&mut c.gaps));
        Ok(())
    }

    /// Add a part: the only one, or one of a split run (computed now or kept from the last run).
    pub(super) fn add_part(&mut self, summary: &mut RunSummary, out: PartOut) {
        let rec = match out {
            PartOut::Split(o) => {
                self.issues.push_file(o.issues_file);
                self.progress.push_file(o.progress_file);
                self.gaps.push_file(o.gaps_file);
                o.record
            }
            PartOut::Whole(w) => {
                self.issues.push(w.issues);
                self.progress.push(w.progress);
                self.gaps.push(w.gaps);
                w.record
            }
        };
        merge_stats(&mut self.rule_stats, rec.validation_stats);
        merge_stats(&mut self.ind_stats, rec.indicator_stats);
        for (rule, sev, n) in rec.issue_counts {
            self.issue_counts.entry(rule).or_insert((sev, 0)).1 += n;
        }
        summary.aggregated_values += rec.aggregated;
        summary.indicator_values += rec.indicator_values;
        self.with_data.extend(rec.with_data);
        summary.progress.add(rec.progress);
    }
}

/// Counts of one file's outcome into the run's summary.
pub(super) fn count_file(summary: &mut RunSummary, r: &FileResult) {
    summary.cells_read += r.submission.cells_read;
    summary.values_landed += r.submission.values_landed;
    summary.values_rejected += r.submission.values_rejected;
    summary.values_derived += r.submission.values_derived;
    summary.values_derived_total += r.submission.values_derived_total;
    match r.submission.status.as_str() {
        "loaded" => summary.files_loaded += 1,
        "superseded" => summary.files_superseded += 1,
        _ => summary.files_failed += 1,
    }
}

/// Add rule counts of another part (a rule is summed over parts; rules keep the order they came in).
pub(super) fn merge_stats(into: &mut Vec<crate::model::RuleStat>, more: Vec<crate::model::RuleStat>) {
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

/// Frames a run keeps until its end (progress, issues): in memory, or for a run
/// split in parts in each part's folder (so they neither grow with the inbox
/// nor pin the memory the parts free).
#[derive(Default)]
pub(super) struct Kept {
    frames: Vec<DataFrame>,
    files: Vec<PathBuf>,
}

impl Kept {
    pub(super) fn push(&mut self, df: DataFrame) {
        self.frames.push(df);
    }

    pub(super) fn push_file(&mut self, path: PathBuf) {
        self.files.push(path);
    }

    /// Everything kept, the files' frames first, stacked in order (None for nothing).
    pub(super) fn take(self) -> Result<Option<DataFrame>, RunError> {
        let mut frames = Vec::with_capacity(self.files.len() + self.frames.len());
        for path in &self.files {
            frames.push(crate::store::parts::read_frame(path)?);
        }
        frames.extend(self.frames);
        Ok(compute::stack(frames)?)
    }
}

/// Keep issues (those given, then the files') as a frame, counted by rule.
pub(super) fn keep_issues(kept: &mut Kept, counts: &mut validate::IssueCounts, files: &mut [FileResult], more: Vec<Issue>) -> Result<(), RunError> {
    let mut all: Vec<Issue> = more;
    for r in files {
        all.append(&mut r.issues);
    }
    validate::count_issues(&all, counts);
    kept.push(frames::issues(&all)?);
    Ok(())
}
