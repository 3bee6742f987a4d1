//! A run's parts: files grouped into parts of whole area subtrees
//! (`plan_parts`; one part when the run is small), each part computed
//! (`part::compute_part`) and its value tables written, then for a run split in
//! parts the roots from the parts' sums (`compute_parts`). Keeping a part for
//! the next run is `crate::store::parts`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use polars::prelude::*;

use crate::compute;
use crate::config::Config;
use crate::ingest::InputFile;
use crate::tables::{TableDef, DATA_VALUES, INDICATOR_VALUES};
use crate::validate;

use super::files::{placeholder, FileFacts, FileResult};
use super::part::{compute_part, PartInput, PartOut, Scope};
use super::stage::{compute, Role};
use super::tables::sorted_table;
use super::totals::{count_file, Totals};
use super::{pause_point_half, PartsError, RunError, RunSummary};

/// Values per part by default (see [`super::RunOptions::part_values`]): a county's
/// returns are one part; a province's about ten counties at a time.
pub const DEFAULT_PART_VALUES: usize = 400_000;

/// What every part of a run shares.
pub(super) struct Shared<'a> {
    pub(super) cfg: &'a Config,
    pub(super) db: &'a Path,
    pub(super) staging: &'a crate::store::publish::Staging,
    /// The parts the last run kept (their keys).
    pub(super) kept: std::collections::HashSet<&'a str>,
    /// Why values changed since the version in force (the only part's values are
    /// diffed with it as soon as they are computed).
    pub(super) audit: &'a crate::incremental::Context<'a>,
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

/// What the parts made besides the tables they wrote.
pub(super) struct Made {
    /// The roots' indicator rows (for the catalogue's baselines).
    pub(super) ind_top: DataFrame,
    pub(super) changes: Changes,
}

/// Where the changes table comes from.
pub(super) enum Changes {
    /// The only part's values, diffed as they were computed.
    Known(DataFrame),
    /// A split run's staged part files, diffed after all parts (but the parts taken unchanged).
    Staged(crate::store::parts::Unchanged),
}

/// One part to compute: its files, moved out of the run's lists while it is
/// computed (and put back after).
struct Job {
    k: usize,
    input: PartInput,
}

/// Compute (or take as kept) each part and write its value tables into the
/// staging version, then for a run split in parts the roots from the parts'
/// sums. The only part of a small run is everything, the roots included: it is
/// neither kept for the next run nor taken from the last.
///
/// Parts are independent until the roots, so up to `run.at_once` are computed at
/// a time; what they hand up is then taken in part order, so the run's output
/// does not depend on which part finished first.
pub(super) fn compute_parts(
    run: &Shared,
    parts: &[Vec<usize>],
    files: Files,
    new_state: &mut crate::store::state::State,
    summary: &mut RunSummary,
    manifest: &mut crate::store::publish::Manifest,
    totals: &mut Totals,
) -> Result<Made, RunError> {
    let Files { results, facts, inputs } = files;
    let n_parts = parts.len();
    let split = n_parts > 1;
    let roots: compute::AreaSet = run.cfg.areas.roots().map(|a| a.code.clone()).collect();
    // The latest year any return reports, known before any part is computed (the
    // only part takes the latest year of its indicator values: the same unless the
    // newest year's values feed no indicator at all).
    let last_year = facts.iter().flat_map(|f| f.years.iter().copied()).max().unwrap_or(0);
    let keys: Vec<String> = if split {
        parts
            .iter()
            .map(|members| {
                let subs: Vec<&crate::model::Submission> = members.iter().map(|&i| &results[i].submission).collect();
                crate::store::parts::key(&new_state.tool_version, &new_state.config_digest, last_year, &subs)
            })
            .collect()
    } else {
        Vec::new()
    };
    // Parts kept from the last run are linked in first; the others become jobs.
    let mut outs: Vec<Option<(PartOut, bool)>> = Vec::with_capacity(n_parts);
    let mut jobs = Vec::new();
    let mut notes = Vec::new();
    for (k, members) in parts.iter().enumerate() {
        let kept = match keys.get(k).filter(|key| run.kept.contains(key.as_str())) {
            Some(key) => match crate::store::parts::reuse(&crate::store::parts::dir(run.db, key), &run.staging.dir, k, members.len()) {
                Ok(out) => out,
                Err(damage) => {
                    tracing::warn!("part {} of {n_parts} kept from the last run is damaged, computed again: {damage}", k + 1);
                    notes.push(crate::model::Issue::new(
                        crate::model::Severity::Info,
                        "part_recomputed",
                        format!(
                            "part {} of {n_parts} kept from the last run was damaged and was computed again: {}",
                            k + 1,
                            damage.message(crate::i18n::Lang::En)
                        ),
                    ));
                    None
                }
            },
            None => None,
        };
        match kept {
            Some(out) => outs.push(Some((PartOut::Split(out), true))),
            None => {
                outs.push(None);
                let input = PartInput {
                    results: members.iter().map(|&i| std::mem::replace(&mut results[i], placeholder())).collect(),
                    facts: members.iter().map(|&i| std::mem::take(&mut facts[i])).collect(),
                    inputs: members.iter().map(|&i| inputs[i].clone()).collect(),
                };
                jobs.push(Job { k, input });
            }
        }
    }
    let scope = |k: usize| -> Result<Scope, RunError> {
        Ok(match keys.get(k) {
            Some(key) => Scope::Split { roots: &roots, last_year, dir: crate::store::parts::begin(run.db, key)? },
            None => Scope::Whole,
        })
    };
    let computed = compute_jobs(jobs, run, &scope, new_state, n_parts)?;
    if !notes.is_empty() {
        super::totals::keep_issues(&mut totals.issues, &mut totals.issue_counts, &mut [], notes)?;
    }
    for (k, out, part_results) in computed {
        for (&i, r) in parts[k].iter().zip(part_results) {
            results[i] = r;
        }
        outs[k] = Some((out, false));
    }
    let mut up = Up::default();
    let mut changes = Changes::Staged(crate::store::parts::Unchanged::default());
    let mut whole_indicators = None;
    for (k, (members, out)) in parts.iter().zip(outs).enumerate() {
        let Some((out, reused)) = out else {
            return Err(PartsError::Missing { part: k + 1, of: n_parts }.into());
        };
        if let (true, Changes::Staged(unchanged)) = (reused, &mut changes) {
            summary.parts_reused += 1;
            unchanged.note(&crate::store::parts::dir(run.db, &keys[k]), members.iter().flat_map(|&i| facts[i].areas.iter()));
        }
        for (t, n) in &out.record().rows {
            *manifest.row_counts.entry(t.clone()).or_default() += n;
        }
        if let Some(key) = keys.get(k) {
            new_state.parts.push(key.clone());
        }
        for (&i, sub) in members.iter().zip(&out.record().submissions) {
            let r = &mut results[i];
            r.submission = sub.clone();
            r.issues = Vec::new();
            r.observations = Vec::new();
            r.controls = Vec::new();
            count_file(summary, r);
        }
        let out = match out {
            PartOut::Split(mut o) => {
                up.add(&mut o);
                PartOut::Split(o)
            }
            PartOut::Whole(mut w) => {
                let Some((indicators, diff)) = w.top.take() else {
                    return Err(PartsError::WholeIncomplete.into());
                };
                whole_indicators = Some(indicators);
                changes = Changes::Known(diff);
                PartOut::Whole(w)
            }
        };
        totals.add_part(summary, out);
    }
    pause_point_half();
    let ind_top = match whole_indicators {
        Some(ind) => ind,
        None => {
            // The roots from the parts' sums.
            let mut c = up.top(run.cfg, last_year, run.started)?;
            totals.add_computed(summary, &mut c)?;
            for (t, rows) in write_values(run, n_parts, c.values, c.indicators.clone())? {
                *manifest.row_counts.entry(t.to_string()).or_default() += rows;
            }
            c.indicators
        }
    };
    Ok(Made { ind_top, changes })
}

/// What the parts of a split run hand up to the roots, in part order.
#[derive(Default)]
struct Up {
    values: Vec<DataFrame>,
    sums: Vec<DataFrame>,
    pairs: HashMap<String, Vec<DataFrame>>,
}

impl Up {
    fn add(&mut self, out: &mut crate::store::parts::PartOut) {
        self.values.push(std::mem::take(&mut out.root_values));
        self.sums.extend(out.root_sums.take());
        for (code, df) in std::mem::take(&mut out.pairs) {
            self.pairs.entry(code).or_default().push(df);
        }
    }

    /// The roots computed from the parts' values and sums.
    fn top(self, cfg: &Config, last_year: i32, started: Instant) -> Result<super::stage::Computed, RunError> {
        let values = compute::stack(self.values)?.unwrap_or_default();
        let pairs: HashMap<String, DataFrame> =
            self.pairs.into_iter().map(|(code, dfs)| Ok((code, compute::stack(dfs)?.unwrap_or_default()))).collect::<PolarsResult<_>>()?;
        compute(&values, cfg, Some((Role::Top(&self.sums, &pairs), last_year)), started)
    }
}

/// Write a part's two value tables (part `k` of the staging version), sorted
/// and written side by side (a part computed alone, as in a correction's run,
/// otherwise leaves a core idle through its longest single step). Returns the
/// rows written per table.
fn write_values(run: &Shared, k: usize, values: DataFrame, indicators: DataFrame) -> Result<[(&'static str, usize); 2], RunError> {
    let write = |t: &'static TableDef, df: DataFrame| -> Result<(&'static str, usize), RunError> {
        Ok((t.name, run.staging.write_part(&mut sorted_table(t, df, run.cfg)?, k)?))
    };
    let (a, b) = rayon::join(|| write(&DATA_VALUES, values), || write(&INDICATOR_VALUES, indicators));
    Ok([a?, b?])
}

/// A computed part: its index, what it hands on, and its files' results.
type Done = (usize, PartOut, Vec<FileResult>);
/// What computing one part gives: what it hands on, and its files' results.
type PartDone = Result<(PartOut, Vec<FileResult>), RunError>;

/// Compute the jobs, up to `run.at_once` at a time, each written into the
/// staging version (a part of a split run also kept in `state/parts/`). Returns
/// them in part order; the first failure (in part order) stops the others from
/// starting new parts.
fn compute_jobs<'s>(
    jobs: Vec<Job>,
    run: &Shared,
    scope: &(dyn Fn(usize) -> Result<Scope<'s>, RunError> + Sync),
    state: &crate::store::state::State,
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
        let Job { k, input } = job;
        let scope = scope(k)?;
        let part = compute_part(input, &scope, state, run.cfg, run.db, run.started)?;
        let (mut out, values, indicators) = (part.out, part.values, part.indicators);
        if let PartOut::Whole(w) = &mut out {
            // The audit trail: what changed since the version in force.
            let reported = w.reported.take().unwrap_or_default();
            let changes = crate::incremental::changes_since(run.db, &reported, run.audit)?;
            drop(reported);
            tracing::info!(ms = run.started.elapsed().as_millis() as u64, changes = changes.height(), "stage changes");
            w.top = Some((indicators.clone(), changes));
        }
        for (t, rows) in write_values(run, k, values, indicators)? {
            out.record_mut().rows.insert(t.to_string(), rows);
        }
        if let (Scope::Split { dir, .. }, PartOut::Split(o)) = (&scope, &mut out) {
            crate::store::parts::save(dir, &run.staging.dir, k, o)?;
        }
        tracing::info!(ms = run.started.elapsed().as_millis() as u64, part = k + 1, of = n_parts, "part done");
        Ok((out, part.results))
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
