//! The compute stage for one set of values: aggregation, indicators, pooled
//! rates, progress and indicator checks — over everything, one part of a split
//! run, or the roots from the parts' sums.

use std::time::Instant;

use polars::prelude::*;

use crate::compute;
use crate::config::Config;
use crate::model::Issue;
use crate::validate;

use super::RunError;

/// What the compute stage made of some values: everything published, and for a
/// part of a split run what it hands up to the roots.
pub(super) struct Computed {
    pub(super) values: DataFrame,
    pub(super) indicators: DataFrame,
    pub(super) progress: DataFrame,
    pub(super) progress_summary: crate::progress::ProgressSummary,
    /// Gaps between women and men, rural and urban (`gaps.parquet`).
    pub(super) gaps: DataFrame,
    pub(super) issues: Vec<Issue>,
    pub(super) stats: Vec<crate::model::RuleStat>,
    pub(super) aggregated: usize,
    pub(super) root_sums: Option<DataFrame>,
    pub(super) pair_sums: Vec<(String, DataFrame)>,
}

/// Aggregate, compute the indicators, pooled rates, progress and indicator checks.
/// `split`: the run is split by area subtree, with this part's role and the whole
/// run's latest year of data.
pub(super) fn compute(values: &DataFrame, cfg: &Config, split: Option<(Role, i32)>, started: Instant) -> Result<Computed, RunError> {
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
    let (ind, pair_sums, lost) = compute::indicators_in(&all_values, cfg, &scope)?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "stage indicators");
    let (ind, (progress, progress_summary)) = match &split {
        None => crate::progress::pooled_and_progress_until(ind, cfg, None, true)?,
        Some((role, last_year)) => crate::progress::pooled_and_progress_until(ind, cfg, Some(*last_year), matches!(role, Role::Top(..)))?,
    };
    tracing::info!(ms = started.elapsed().as_millis() as u64, "stage indicators+progress");
    let gaps = compute::gaps::gaps_frame(&ind, cfg)?;
    let mut stats = Vec::new();
    let mut issues = validate::indicators::indicator_checks(&ind, cfg, &mut stats)?;
    // Numerators left out of every aggregate rate for want of a denominator: named, cell by cell.
    let (mut unpaired, stat) = compute::unpaired::issues(&lost, &all_values, cfg)?;
    issues.append(&mut unpaired);
    stats.push(stat);
    Ok(Computed { values: all_values, indicators: ind, progress, progress_summary, gaps, issues, stats, aggregated, root_sums, pair_sums })
}

/// A split run's roles: a part (the roots are computed apart), or the roots
/// themselves from the parts' sums (values, and paired sums by indicator).
pub(super) enum Role<'a> {
    Part(&'a compute::AreaSet),
    Top(&'a Vec<DataFrame>, &'a std::collections::HashMap<String, DataFrame>),
}
