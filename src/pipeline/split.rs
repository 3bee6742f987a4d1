//! Runs split in parts: files grouped into parts of whole area subtrees
//! (`plan_parts`), and one part computed from the state cache (`compute_part`).
//! Keeping a part for the next run is `crate::parts`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use polars::prelude::*;
use rayon::prelude::*;

use crate::compute::{self, frames};
use crate::config::Config;
use crate::ingest::InputFile;
use crate::model::Observation;
use crate::validate;

use super::files::{placeholder, restore, validate_and_derive, FileFacts, FileResult};
use super::stage::{compute, Role};
use super::tables::{sorted_table, DATA_ORDER, INDICATOR_ORDER};
use super::totals::{count_file, Totals};
use super::{pause_point_half, RunError, RunSummary};

/// Values per part by default (see [`super::RunOptions::part_values`]): a county's
/// returns are one part; a province's about ten counties at a time.
pub const DEFAULT_PART_VALUES: usize = 400_000;

/// What every part of a split run shares.
pub(super) struct Split<'a> {
    pub(super) cfg: &'a Config,
    pub(super) db: &'a Path,
    pub(super) staging: &'a crate::publish::Staging,
    /// The parts the last run kept (their keys).
    pub(super) kept: std::collections::HashSet<&'a str>,
    pub(super) started: Instant,
}

/// The run's files: their results, facts and inbox entries (same order).
pub(super) struct Files<'a> {
    pub(super) results: &'a mut [FileResult],
    pub(super) facts: &'a mut [FileFacts],
    pub(super) inputs: &'a [InputFile],
}

/// Compute (or take as kept) each part and write its files into the staging
/// version, then the roots from the parts' sums. Returns the roots' indicator
/// rows (for the catalogue's baselines) and the parts taken unchanged (for the
/// changes diff).
pub(super) fn run_parts(
    run: &Split,
    parts: &[Vec<usize>],
    files: Files,
    new_state: &mut crate::state::State,
    summary: &mut RunSummary,
    manifest: &mut crate::publish::Manifest,
    totals: &mut Totals,
) -> Result<(DataFrame, crate::incremental::Unchanged), RunError> {
    let Files { results, facts, inputs } = files;
    let (cfg, staging, started) = (run.cfg, run.staging, run.started);
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
    for (k, members) in parts.iter().enumerate() {
        let subs: Vec<&crate::model::Submission> = members.iter().map(|&i| &results[i].submission).collect();
        let key = crate::parts::key(&new_state.tool_version, &new_state.config_digest, last_year, &subs);
        let part_dir = crate::parts::dir(run.db, &key);
        let reused = if run.kept.contains(key.as_str()) { crate::parts::reuse(&part_dir, &staging.dir, k, members.len()) } else { None };
        let mut out = match reused {
            Some(out) => {
                summary.parts_reused += 1;
                unchanged.note(&part_dir, members.iter().flat_map(|&i| facts[i].areas.iter()));
                for (t, n) in &out.record.rows {
                    *manifest.row_counts.entry(t.clone()).or_default() += n;
                }
                out
            }
            None => {
                let part_dir = crate::parts::begin(run.db, &key)?;
                let mut out = compute_part(members, results, facts, inputs, new_state, cfg, run.db, (&roots, last_year), &part_dir, started)?;
                for (t, order) in [("data_values", &DATA_ORDER[..]), ("indicator_values", &INDICATOR_ORDER[..])] {
                    let df = if t == "data_values" { std::mem::take(&mut out.1) } else { std::mem::take(&mut out.2) };
                    let rows = staging.write(&mut sorted_table(t, df, cfg, order, Some("year"))?, k, manifest)?;
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
            count_file(summary, r);
        }
        root_values.push(std::mem::take(&mut out.root_values));
        root_sums.extend(out.root_sums.take());
        for (code, df) in std::mem::take(&mut out.pairs) {
            pair_sums.entry(code).or_default().push(df);
        }
        totals.add_part(summary, out);
        tracing::info!(ms = started.elapsed().as_millis() as u64, part = k + 1, of = n_parts, "part done");
    }
    pause_point_half();
    let root_values = compute::stack(root_values)?.unwrap_or_default();
    let pair_sums: std::collections::HashMap<String, DataFrame> =
        pair_sums.into_iter().map(|(code, dfs)| Ok((code, compute::stack(dfs)?.unwrap_or_default()))).collect::<PolarsResult<_>>()?;
    let mut c = compute(&root_values, cfg, Some((Role::Top(&root_sums, &pair_sums), last_year)), started)?;
    totals.add_computed(summary, &mut c, &mut [])?;
    staging.write(&mut sorted_table("data_values", c.values, cfg, &DATA_ORDER, Some("year"))?, n_parts, manifest)?;
    staging.write(&mut sorted_table("indicator_values", c.indicators.clone(), cfg, &INDICATOR_ORDER, Some("year"))?, n_parts, manifest)?;
    Ok((c.indicators, unchanged))
}

/// Files into parts: whole groups of files that share an area subtree (see
/// `validate::area_groups`), in order of their first file, a part closed when the
/// next group would take it past `budget` values. Files with no values go with
/// the first part. One part when everything fits (or the groups cannot be split).
pub(super) fn plan_parts(facts: &[FileFacts], cfg: &Config, budget: usize) -> Vec<Vec<usize>> {
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

/// Compute one part of a split run (its files' values restored from the cache)
/// and keep its progress and issue rows in `part_dir`. Returns the part (without
/// its published rows' counts) and its `data_values` and `indicator_values` rows.
#[allow(clippy::too_many_arguments)]
pub(super) fn compute_part(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::default_pipelines;

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

