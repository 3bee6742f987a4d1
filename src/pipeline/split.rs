//! Runs split in parts: files grouped into parts of whole area subtrees
//! (`plan_parts`), and one part computed from the state cache (`compute_part`).
//! Keeping a part for the next run is `crate::store::parts`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use polars::prelude::*;
use rayon::prelude::*;

use crate::compute::{self, frames};
use crate::config::Config;
use crate::ingest::InputFile;
use crate::model::Observation;
use crate::tables::{TableDef, DATA_VALUES, INDICATOR_VALUES};
use crate::validate;

use super::files::{placeholder, restore, validate_and_derive, FileFacts, FileResult};
use super::stage::{compute, Role};
use super::tables::sorted_table;
use super::totals::{count_file, Totals};
use super::{pause_point_half, PartsError, RunError, RunSummary};

/// Values per part by default (see [`super::RunOptions::part_values`]): a county's
/// returns are one part; a province's about ten counties at a time.
pub const DEFAULT_PART_VALUES: usize = 400_000;

/// What every part of a split run shares.
pub(super) struct Split<'a> {
    pub(super) cfg: &'a Config,
    pub(super) db: &'a Path,
    pub(super) staging: &'a crate::store::publish::Staging,
    /// The parts the last run kept (their keys).
    pub(super) kept: std::collections::HashSet<&'a str>,
    pub(super) started: Instant,
    /// Parts computed at the same time.
    pub(super) at_once: usize,
}

/// The run's files: their results, facts and inbox entries (same order).
pub(super) struct Files<'a> {
    pub(super) results: &'a mut [FileResult],
    pub(super) facts: &'a mut [FileFacts],
    pub(super) inputs: &'a [InputFile],
}

/// Parts computed at once by default (`--parts-at-once`). Two keep both cores
/// busy through each part's less parallel steps (planning the indicators, writing
/// Parquet): a provincial rebuild took 1.4–1.8 s less (about 7%), for a peak about
/// a third higher (BENCHMARKS.md). More would only add memory on 2 cores.
pub const PARTS_AT_ONCE: u16 = 2;

/// Stack of a thread computing parts.
const PART_STACK: usize = 64 << 20;

/// Give rayon's global pool the stack of a part thread, unless it is running
/// already. Two parts computed at once share its threads, and a thread waiting
/// in one part's join runs the other part's work on top of its own stack.
pub(super) fn deep_stacks() {
    // An error means the pool exists (built by an earlier run in this process).
    let _ = rayon::ThreadPoolBuilder::new().stack_size(PART_STACK).build_global();
}

/// One part to compute: its files, moved out of the run's lists while it is
/// computed (and put back after).
struct Job {
    k: usize,
    results: Vec<FileResult>,
    facts: Vec<FileFacts>,
    inputs: Vec<InputFile>,
}

/// Compute (or take as kept) each part and write its files into the staging
/// version, then the roots from the parts' sums. Returns the roots' indicator
/// rows (for the catalogue's baselines) and the parts taken unchanged (for the
/// changes diff).
///
/// Parts are independent until the roots, so up to `run.at_once` are computed at
/// a time; what they hand up is then taken in part order, so the run's output
/// does not depend on which part finished first.
pub(super) fn run_parts(
    run: &Split,
    parts: &[Vec<usize>],
    files: Files,
    new_state: &mut crate::store::state::State,
    summary: &mut RunSummary,
    manifest: &mut crate::store::publish::Manifest,
    totals: &mut Totals,
) -> Result<(DataFrame, crate::store::parts::Unchanged), RunError> {
    let Files { results, facts, inputs } = files;
    let (cfg, staging, started) = (run.cfg, run.staging, run.started);
    let roots: compute::AreaSet = cfg.areas.roots().map(|a| a.code.clone()).collect();
    // The latest year any return reports, known before any part is computed (one
    // pass takes the latest year of its indicator values: the same unless the
    // newest year's values feed no indicator at all).
    let last_year = facts.iter().flat_map(|f| f.years.iter().copied()).max().unwrap_or(0);
    let n_parts = parts.len();
    let keys: Vec<String> = parts
        .iter()
        .map(|members| {
            let subs: Vec<&crate::model::Submission> = members.iter().map(|&i| &results[i].submission).collect();
            crate::store::parts::key(&new_state.tool_version, &new_state.config_digest, last_year, &subs)
        })
        .collect();
    // Parts kept from the last run are linked in first; the others become jobs.
    let mut outs: Vec<Option<(crate::store::parts::PartOut, bool)>> = Vec::with_capacity(n_parts);
    let mut jobs = Vec::new();
    let mut notes = Vec::new();
    for (k, (members, key)) in parts.iter().zip(&keys).enumerate() {
        let part_dir = crate::store::parts::dir(run.db, key);
        let kept = match run.kept.contains(key.as_str()).then(|| crate::store::parts::reuse(&part_dir, &staging.dir, k, members.len())) {
            Some(Ok(out)) => out,
            Some(Err(damage)) => {
                tracing::warn!("part {} of {n_parts} kept from the last run is damaged, computed again: {damage}", k + 1);
                notes.push(crate::model::Issue::new(
                    crate::model::Severity::Info,
                    "part_recomputed",
                    format!("part {} of {n_parts} kept from the last run was damaged and was computed again: {}", k + 1, damage.message(crate::i18n::Lang::En)),
                ));
                None
            }
            None => None,
        };
        match kept {
            Some(out) => outs.push(Some((out, true))),
            None => {
                outs.push(None);
                jobs.push(Job {
                    k,
                    results: members.iter().map(|&i| std::mem::replace(&mut results[i], placeholder())).collect(),
                    facts: members.iter().map(|&i| std::mem::take(&mut facts[i])).collect(),
                    inputs: members.iter().map(|&i| inputs[i].clone()).collect(),
                });
            }
        }
    }
    let computed = compute_jobs(jobs, run, &keys, new_state, (&roots, last_year), n_parts)?;
    if !notes.is_empty() {
        super::totals::keep_issues(&mut totals.issues, &mut totals.issue_counts, &mut [], notes)?;
    }
    for (k, out, part_results) in computed {
        for (&i, r) in parts[k].iter().zip(part_results) {
            results[i] = r;
        }
        outs[k] = Some((out, false));
    }
    let mut root_values = Vec::new();
    let mut root_sums = Vec::new();
    let mut pair_sums: std::collections::HashMap<String, Vec<DataFrame>> = std::collections::HashMap::new();
    let mut unchanged = crate::store::parts::Unchanged::default();
    for (k, (members, out)) in parts.iter().zip(outs).enumerate() {
        let Some((mut out, reused)) = out else {
            return Err(PartsError::Missing { part: k + 1, of: n_parts }.into());
        };
        if reused {
            summary.parts_reused += 1;
            unchanged.note(&crate::store::parts::dir(run.db, &keys[k]), members.iter().flat_map(|&i| facts[i].areas.iter()));
        }
        for (t, n) in &out.record.rows {
            *manifest.row_counts.entry(t.clone()).or_default() += n;
        }
        new_state.parts.push(keys[k].clone());
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
    }
    pause_point_half();
    let root_values = compute::stack(root_values)?.unwrap_or_default();
    let pair_sums: std::collections::HashMap<String, DataFrame> =
        pair_sums.into_iter().map(|(code, dfs)| Ok((code, compute::stack(dfs)?.unwrap_or_default()))).collect::<PolarsResult<_>>()?;
    let mut c = compute(&root_values, cfg, Some((Role::Top(&root_sums, &pair_sums), last_year)), started)?;
    totals.add_computed(summary, &mut c, &mut [])?;
    staging.write(&mut sorted_table(&DATA_VALUES, c.values, cfg)?, n_parts, manifest)?;
    staging.write(&mut sorted_table(&INDICATOR_VALUES, c.indicators.clone(), cfg)?, n_parts, manifest)?;
    Ok((c.indicators, unchanged))
}

/// A computed part: its index, what it hands on, and its files' results.
type Done = (usize, crate::store::parts::PartOut, Vec<FileResult>);
/// What computing one part gives: what it hands on, and its files' results.
type PartDone = Result<(crate::store::parts::PartOut, Vec<FileResult>), RunError>;

/// Compute the jobs, up to `run.at_once` at a time, each written into the
/// staging version and kept in `state/parts/`. Returns them in part order; the
/// first failure (in part order) stops the others from starting new parts.
fn compute_jobs(
    jobs: Vec<Job>,
    run: &Split,
    keys: &[String],
    state: &crate::store::state::State,
    (roots, last_year): (&compute::AreaSet, i32),
    n_parts: usize,
) -> Result<Vec<Done>, RunError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let workers = run.at_once.clamp(1, jobs.len());
    let queue = std::sync::Mutex::new(jobs.into_iter());
    let failed = std::sync::atomic::AtomicBool::new(false);
    let done: std::sync::Mutex<Vec<(usize, PartDone)>> = Default::default();
    let one = |job: Job| -> PartDone {
        let Job { k, results, facts, inputs } = job;
        let part_dir = crate::store::parts::begin(run.db, &keys[k])?;
        let input = PartInput { results, facts, inputs };
        let (mut out, values, indicators, results) = compute_part(input, state, run.cfg, run.db, (roots, last_year), &part_dir, run.started)?;
        // The two tables sorted and written side by side (a part computed alone, as in a
        // correction's run, otherwise leaves a core idle through its longest single step).
        let write = |t: &'static TableDef, df: DataFrame| -> Result<(&'static str, usize), RunError> {
            Ok((t.name, run.staging.write_part(&mut sorted_table(t, df, run.cfg)?, k)?))
        };
        let (a, b) = rayon::join(|| write(&DATA_VALUES, values), || write(&INDICATOR_VALUES, indicators));
        for (t, rows) in [a?, b?] {
            out.record.rows.insert(t.to_string(), rows);
        }
        crate::store::parts::save(&part_dir, &run.staging.dir, k, &mut out)?;
        tracing::info!(ms = run.started.elapsed().as_millis() as u64, part = k + 1, of = n_parts, "part done");
        Ok((out, results))
    };
    std::thread::scope(|s| -> Result<(), RunError> {
        for w in 0..workers {
            // A deep stack: planning and running Polars queries recurses deeply
            // (debug builds especially).
            let worker = std::thread::Builder::new().name(format!("part-{w}")).stack_size(PART_STACK);
            let spawned = worker.spawn_scoped(s, || loop {
                if failed.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                // A poisoned lock means another worker panicked; the scope re-raises it.
                let Some(job) = queue.lock().ok().and_then(|mut q| q.next()) else { break };
                let k = job.k;
                let r = one(job);
                if r.is_err() {
                    failed.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                if let Ok(mut d) = done.lock() {
                    d.push((k, r));
                }
            });
            if let Err(e) = spawned {
                failed.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(PartsError::Thread(e).into());
            }
        }
        Ok(())
    })?;
    let mut done = done.into_inner().map_err(|_| PartsError::Panicked)?;
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(k, r)| r.map(|(out, results)| (k, out, results))).collect()
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
    let mut parts: Vec<Vec<usize>> = parts
        .into_iter()
        .map(|(mut p, _)| {
            p.sort_unstable();
            p
        })
        .collect();
    match parts.first_mut() {
        Some(p) => {
            p.extend(empty);
            p.sort_unstable();
        }
        None => parts.push(empty),
    }
    parts
}

/// One part's files, moved out of the run's lists.
pub(super) struct PartInput {
    pub(super) results: Vec<FileResult>,
    pub(super) facts: Vec<FileFacts>,
    pub(super) inputs: Vec<InputFile>,
}

/// Compute one part of a split run (its files' values restored from the cache)
/// and keep its progress and issue rows in `part_dir`. Returns the part (without
/// its published rows' counts), its `data_values` and `indicator_values` rows,
/// and its files' results (submissions as validated, values dropped).
pub(super) fn compute_part(
    input: PartInput,
    state: &crate::store::state::State,
    cfg: &Config,
    db: &Path,
    (roots, last_year): (&compute::AreaSet, i32),
    part_dir: &Path,
    started: Instant,
) -> Result<(crate::store::parts::PartOut, DataFrame, DataFrame, Vec<FileResult>), RunError> {
    let PartInput { results: mut part, facts: mut part_facts, inputs: part_files } = input;
    restore(&mut part, &mut part_facts, &part_files, state, cfg, db);
    let validation_stats = validate_and_derive(&mut part, cfg, &validate::History::new());
    let obs: Vec<Vec<Observation>> = part.iter_mut().map(|r| std::mem::take(&mut r.observations)).collect();
    let reported = frames::observations(&obs)?;
    obs.into_par_iter().for_each(drop);
    let (values, at_roots) = compute::split_by_area(reported, roots)?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, rows = values.height(), "part: values frame built");
    let c = compute(&values, cfg, Some((Role::Part(roots), last_year)), started)?;
    drop(values);
    // Each code once (a String per row would be a quarter of a million allocations).
    let with_data: std::collections::BTreeSet<String> = if c.indicators.height() > 0 {
        let codes: std::collections::BTreeSet<&str> = c.indicators.column("indicator")?.str()?.iter().flatten().collect();
        codes.into_iter().map(str::to_string).collect()
    } else {
        Default::default()
    };
    // The part's issues: the indicator checks', then its files' (sorted at the end of the run).
    let mut issues = c.issues;
    for r in &mut part {
        issues.append(&mut r.issues);
    }
    let mut counts = validate::IssueCounts::new();
    validate::count_issues(&issues, &mut counts);
    let (progress_file, issues_file) = (part_dir.join("progress.parquet"), part_dir.join("issues.parquet"));
    crate::store::parts::write_frame(&mut frames::issues(&issues)?, &issues_file)?;
    drop(issues);
    let mut progress = c.progress;
    crate::store::parts::write_frame(&mut progress, &progress_file)?;
    let gaps_file = part_dir.join("gaps.parquet");
    let mut gaps = c.gaps;
    crate::store::parts::write_frame(&mut gaps, &gaps_file)?;
    let record = crate::store::parts::PartRecord {
        submissions: part.iter().map(|r| r.submission.clone()).collect(),
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
    let out = crate::store::parts::PartOut {
        record,
        root_values: compute::owned_strings(at_roots)?,
        root_sums: c.root_sums.map(compute::owned_strings).transpose()?,
        pairs: c.pair_sums.into_iter().map(|(code, df)| Ok((code, compute::owned_strings(df)?))).collect::<PolarsResult<_>>()?,
        progress_file,
        issues_file,
        gaps_file,
    };
    Ok((out, c.values, c.indicators, part))
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
        rule.kind = crate::config::rules::RuleKind::Balance(crate::config::rules::Balance::over(crate::config::rules::Over::Area));
        cfg.rules.rules.push(rule);
        let files = vec![facts(&["421321100"], 100), facts(&["421321101"], 100)];
        assert_eq!(plan_parts(&files, &cfg, 100), vec![vec![0, 1]]);
    }
}
