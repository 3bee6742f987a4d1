//! Landed values -> checked values + issues + a per-rule summary.
//!
//! A failed rule is data (an issue row), never an `Err`. What a finding does
//! depends on its severity: an `error` withholds every value the failing
//! check read (the value leaves `data_values`, is counted as rejected in
//! `submissions`, and stays visible in `issues` with its observed and
//! expected values); a `warning` lets the values land with the rule's name in
//! their `flags`; `info` only reports.
//!
//! Rules run in this order, each on the values the earlier ones kept:
//! 1. value ranges (built-in by unit and kind, the catalogue's min/max, `range` rules);
//! 2. one value per key: `duplicate` and `conflict` across all cells and files;
//! 3. `female_exceeds_total` (其中:女 above 合计 in the same return);
//! 4. declared `balance`, `compare` and `pair` rules (catalogue rules on all
//!    values, form rules on each return of that form);
//! 5. year-over-year outliers (modified z-score against the series' own earlier years).
//!
//! Where things are: this module holds the run order and the shared state
//! (findings, marks, the per-rule summary); [`builtin`] the built-in checks,
//! [`rules`] the declared rules' evaluators (one file per rule kind, each an
//! implementation of `rules::Check` for the kind's struct of `config::rules`),
//! [`history`] the checks against a series' history, and [`indicators`] the
//! checks on computed indicator values (run after compute).

use std::collections::{BTreeMap, HashMap};

use crate::config::rules::BUILT_IN;
use crate::config::{Config, Kind, Rule};
use crate::model::{Control, Issue, Observation, RuleStat, Scope, Severity, StatKind};
use crate::util::fmt_num;

mod builtin;
mod history;
pub mod indicators;
mod rules;
#[cfg(test)]
mod tests;

use builtin::{female_within_total, one_value_per_key, ranges};
use history::{build_series, outliers, repeated_last_year};
pub use history::{median, modified_z};
use rules::{check_of, stat_kind, InScope, Index};

/// The values and totals of one return, as validation sees them.
#[derive(Debug)]
pub struct Batch<'a> {
    pub form: Option<&'a str>,
    pub file: &'a str,
    pub observations: &'a mut Vec<Observation>,
    pub controls: &'a [Control],
    pub issues: &'a mut Vec<Issue>,
    /// Set by validation: values an error withheld.
    pub withheld: u64,
}

/// Each declared rule's counts, by name. The checks count a value at a time, mostly
/// the same rule or two many times in a row: the last few rules counted are
/// remembered by where their (static) names are, so a count is not a search of
/// the names each time.
#[derive(Default)]
struct Stats {
    rules: Vec<RuleStat>,
    by_name: BTreeMap<String, usize>,
    /// The last few rules counted: each name's address and length, and its place in
    /// `rules` (a check that counts two rules in turn, as the range checks do for
    /// counts, found both in a comparison of texts per value when only one was kept).
    recent: [(usize, usize, usize); 4],
    /// The slot of `recent` the next rule looked up replaces.
    next: usize,
}

impl Stats {
    fn declare(&mut self, rule: &str, kind: StatKind, severity: Severity, scope: Scope, expression: &str) {
        if !self.by_name.contains_key(rule) {
            self.by_name.insert(rule.to_string(), self.rules.len());
            self.rules.push(RuleStat::new(rule, kind, severity, scope, expression));
        }
    }

    fn get_mut(&mut self, rule: &'static str) -> Option<&mut RuleStat> {
        let at = (rule.as_ptr() as usize, rule.len());
        let i = match self.recent.iter().find(|r| (r.0, r.1) == at) {
            Some(r) => r.2,
            None => {
                let i = *self.by_name.get(rule)?;
                self.recent[self.next] = (at.0, at.1, i);
                self.next = (self.next + 1) % self.recent.len();
                i
            }
        };
        self.rules.get_mut(i)
    }

    /// The counts in order of the rules' names.
    fn into_sorted(mut self) -> Vec<RuleStat> {
        let mut rules: Vec<Option<RuleStat>> = std::mem::take(&mut self.rules).into_iter().map(Some).collect();
        self.by_name.values().filter_map(|&i| rules.get_mut(i).and_then(Option::take)).collect()
    }

    fn count(&mut self, rule: &'static str, what: fn(&mut RuleStat)) {
        if let Some(s) = self.get_mut(rule) {
            s.items += 1;
            what(s);
        }
    }

    fn pass(&mut self, rule: &'static str) {
        self.count(rule, |s| s.passes += 1);
    }
    fn fail(&mut self, rule: &'static str) {
        self.count(rule, |s| s.fails += 1);
    }
    fn missing(&mut self, rule: &'static str) {
        self.count(rule, |s| s.missing += 1);
    }
}

/// A value's place: (batch, index in the batch).
type At = (usize, usize);

/// What the checks decided about each value.
struct Marks {
    withheld: Vec<Vec<bool>>,
    /// Dropped as a duplicate (not an error: the first copy stays).
    dropped: Vec<Vec<bool>>,
    flags: Vec<Vec<Vec<&'static str>>>,
}

impl Marks {
    fn live(&self, (b, i): At) -> bool {
        !self.withheld[b][i] && !self.dropped[b][i]
    }
}

fn issue_for(o: &Observation, sev: Severity, rule: &'static str, msg: String) -> Issue {
    let mut i =
        Issue::new(sev, rule, msg).at(o.source_file.as_deref().unwrap_or_default(), o.source_sheet.as_deref(), o.source_cell.as_deref().map(String::from));
    i.data_element = Some(o.data_element.to_string());
    i.area = Some(o.area.to_string());
    i.year = Some(o.year);
    i.sex = Some(o.sex.to_string());
    i.age = Some(o.age.to_string());
    i.form = o.form.as_deref().map(str::to_string);
    i.submission = o.submission.as_deref().map(str::to_string);
    i.observed = o.value.map(fmt_num);
    i
}

fn cell_of(o: &Observation) -> String {
    format!("{}!{}", o.source_sheet.as_deref().unwrap_or("?"), o.source_cell.as_deref().unwrap_or("?"))
}

/// Everything a rule check needs to report.
struct Ctx<'c> {
    cfg: &'c Config,
    stats: Stats,
    marks: Marks,
    /// (batch, issue)
    found: Vec<(usize, Issue)>,
}

impl Ctx<'_> {
    /// Record a failure found at value `at`; an error withholds every value in `read`
    /// (each gets its own row naming the finding), a warning flags them.
    fn finding(&mut self, batches: &[Batch], at: At, sev: Severity, rule: &'static str, issue: Issue, read: &[At]) {
        self.stats.fail(rule);
        let (file, cell) = (issue.source_file.clone(), issue.source_cell.clone());
        let place = format!("{}!{}", issue.source_sheet.as_deref().unwrap_or("?"), cell.as_deref().unwrap_or("?"));
        self.found.push((at.0, issue));
        for &(b, i) in read {
            match sev {
                Severity::Error => {
                    if self.marks.withheld[b][i] {
                        continue;
                    }
                    self.marks.withheld[b][i] = true;
                    let o = &batches[b].observations[i];
                    if o.source_file.as_deref() != file.as_deref() || o.source_cell.as_deref() != cell.as_deref() {
                        let companion =
                            issue_for(o, sev, rule, format!("withheld: the value is part of the {rule} finding at {place}")).expected(format!("see {place}"));
                        let here = crate::i18n::place_zh(companion.source_sheet.as_deref(), companion.source_cell.as_deref());
                        let companion = companion.zh(crate::t!(crate::i18n::Lang::Zh, "issue-withheld", place = &here, rule = rule, at = &place));
                        self.found.push((b, companion));
                    }
                }
                Severity::Warning => {
                    if !self.marks.flags[b][i].contains(&rule) {
                        self.marks.flags[b][i].push(rule)
                    }
                }
                Severity::Info => {}
            }
        }
    }
}

/// The code of the finding that a form's balance rule checked nothing.
pub const IDLE_BALANCE: &str = "balance_checked_nothing";

/// A form's balance rule that checked nothing although the form had returns in the
/// run (`loaded`: each loaded return's form and file) is itself a warning: its
/// total is not there to compare (e.g. the 合计 row or 全县 column is loaded as an
/// area instead of skipped), or none of its values was reported. A rule of a
/// form with no return in the run says nothing (a one-file inbox does not warn for
/// the other forms' rules); catalogue balance rules (rules.toml) are not judged:
/// they check reported parent areas, which most inboxes do not have.
pub fn idle_balance_rules<'a>(stats: &[RuleStat], cfg: &Config, loaded: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Issue> {
    let mut files: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (form, file) in loaded {
        files.entry(form).or_default().push(file);
    }
    let mut out = Vec::new();
    for f in &cfg.forms {
        let Some(list) = files.get(f.id()) else { continue };
        for r in f.rules.iter().filter(|r| check_of(&r.kind).idle_is_a_finding()) {
            let items = stats.iter().find(|s| s.rule == r.id).map_or(0, |s| s.items);
            if items > 0 {
                continue;
            }
            let first = list.iter().min().copied().unwrap_or_default();
            let msg = format!(
                "balance rule {} ({}) checked nothing in the {} returns of form {}: its total is not there to compare \
                 (is the 合计 row or 全县 column loaded as an area instead of skipped?) or none of its values is reported",
                r.id,
                r.expression(),
                list.len(),
                f.id()
            );
            let zh = crate::t!(crate::i18n::Lang::Zh, "issue-balance-checked-nothing", rule = r.id, form = f.id(), n = list.len());
            let mut issue = Issue::new(Severity::Warning, IDLE_BALANCE, msg).at(first, None, None).zh(zh);
            issue.form = Some(f.id().to_string());
            issue.observed = Some("0".into());
            issue.expected = Some(format!("{} >= 1", r.id));
            out.push(issue);
        }
    }
    out
}

/// History of a series from an earlier database: (data_element, area, sex, age, residence) -> year -> value.
pub type History = HashMap<(String, String, String, String, String), BTreeMap<i32, f64>>;

/// Validate every batch in place. Returns the per-rule summary.
///
/// Every check compares values of one area (or, for the area balance of a
/// return, the areas that return lists). So the returns split into groups that
/// share no area subtree below the top of the hierarchy (a province's
/// counties), and the groups are validated in parallel, each exactly as it
/// would be on its own. A catalogue rule that balances a parent against its
/// children spans subtrees, and then everything is one group.
pub fn validate(batches: &mut [Batch], cfg: &Config, history: &History) -> Vec<RuleStat> {
    let group_of = independent_groups(batches, cfg);
    let n_groups = group_of.iter().copied().max().map_or(0, |m| m + 1);
    if n_groups <= 1 {
        return validate_group(batches, cfg, history);
    }
    let mut grouped: Vec<(Vec<usize>, Vec<Batch>)> = (0..n_groups).map(|_| (Vec::new(), Vec::new())).collect();
    for (i, b) in batches.iter_mut().enumerate() {
        let (members, group) = &mut grouped[group_of[i]];
        members.push(i);
        group.push(Batch { form: b.form, file: b.file, observations: &mut *b.observations, controls: b.controls, issues: &mut *b.issues, withheld: 0 });
    }
    use rayon::prelude::*;
    // Per group: (batch index, values withheld) and the group's rule summary.
    type Done = (Vec<(usize, u64)>, Vec<RuleStat>);
    let done: Vec<Done> = grouped
        .into_par_iter()
        .map(|(members, mut group)| {
            let stats = validate_group(&mut group, cfg, history);
            (members.into_iter().zip(group.iter().map(|b| b.withheld)).collect(), stats)
        })
        .collect();
    let mut total: BTreeMap<String, RuleStat> = BTreeMap::new();
    for (withheld, stats) in done {
        for (i, w) in withheld {
            batches[i].withheld = w;
        }
        for s in stats {
            match total.get_mut(&s.rule) {
                Some(t) => {
                    t.items += s.items;
                    t.passes += s.passes;
                    t.fails += s.fails;
                    t.missing += s.missing;
                }
                None => {
                    total.insert(s.rule.clone(), s);
                }
            }
        }
    }
    total.into_values().collect()
}

/// For each batch, the group it is validated in: batches are in the same group
/// when their values share a subtree under the top of the area hierarchy.
fn independent_groups(batches: &[Batch], cfg: &Config) -> Vec<usize> {
    if batches.len() < 2 {
        return vec![0; batches.len()];
    }
    let areas = batches.iter().map(|b| {
        let mut last: Option<&str> = None;
        b.observations.iter().map(|o| &*o.area).filter(move |a| last.replace(*a) != Some(*a))
    });
    area_groups(areas, cfg)
}

/// For each file (given by the areas of its values), the group of files it belongs
/// to: files are in one group when their areas share a subtree under the top of the
/// hierarchy (a root is a subtree of its own; areas not in areas.toml are one more).
/// Groups are numbered by their first file. A catalogue rule that balances a parent
/// against its children spans subtrees, and then every file is in group 0.
pub fn area_groups<'a, I, A>(files: I, cfg: &Config) -> Vec<usize>
where
    I: IntoIterator<Item = A>,
    A: Iterator<Item = &'a str>,
{
    let files = files.into_iter();
    let spans_subtrees = cfg.rules.rules.iter().any(|r| check_of(&r.kind).spans_subtrees());
    if spans_subtrees {
        return files.map(|_| 0).collect();
    }
    // Subtree of an area: its ancestor just below a root (a root is its own).
    let subtree = |code: &str| -> Option<usize> {
        let a = cfg.areas.get(code)?;
        let top = match a.ancestors.len() {
            0 => a.code.as_str(),
            1 => a.code.as_str(),
            n => a.ancestors[n - 2].as_str(),
        };
        cfg.areas.index_of(top)
    };
    // Union-find over subtrees (plus one node for areas not in areas.toml).
    let unknown = cfg.areas.list.len();
    let mut parent: Vec<usize> = (0..=unknown).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut first: Vec<Option<usize>> = Vec::new();
    for areas in files {
        let mut head: Option<usize> = None;
        for area in areas {
            let t = subtree(area).unwrap_or(unknown);
            match head {
                None => head = Some(t),
                Some(h) => {
                    let (x, y) = (find(&mut parent, h), find(&mut parent, t));
                    if x != y {
                        parent[y] = x;
                    }
                }
            }
        }
        first.push(head);
    }
    let mut ids: rustc_hash::FxHashMap<usize, usize> = rustc_hash::FxHashMap::default();
    first
        .into_iter()
        .map(|h| {
            let root = h.map_or(unknown, |h| find(&mut parent, h));
            let next = ids.len();
            *ids.entry(root).or_insert(next)
        })
        .collect()
}

fn validate_group(batches: &mut [Batch], cfg: &Config, history: &History) -> Vec<RuleStat> {
    let mut ctx = Ctx {
        cfg,
        stats: Stats::default(),
        marks: Marks {
            withheld: batches.iter().map(|b| vec![false; b.observations.len()]).collect(),
            dropped: batches.iter().map(|b| vec![false; b.observations.len()]).collect(),
            flags: batches.iter().map(|b| vec![Vec::new(); b.observations.len()]).collect(),
        },
        found: Vec::new(),
    };
    for (name, _, what) in BUILT_IN {
        if *name != "indicator_out_of_range" {
            ctx.stats.declare(name, StatKind::BuiltIn, cfg.rules.severity_of(name), Scope::Catalogue, what);
        }
    }
    let o = &cfg.rules.outliers;
    if o.enabled {
        ctx.stats.declare(
            "yoy_outlier",
            StatKind::Outlier,
            o.severity,
            Scope::Catalogue,
            &format!(
                "|x - median| / max(MAD/0.6745, sqrt(median) for counts) <= {} against >= {} earlier years (values >= {}, change >= {}% from the median and from the year before)",
                o.threshold,
                o.min_history,
                o.min_value,
                o.min_relative_change * 100.0
            ),
        );
    }
    let form_rules: Vec<&Rule> = cfg.forms.iter().flat_map(|f| f.rules.iter()).collect();
    for r in cfg.rules.rules.iter().chain(form_rules.iter().copied()) {
        ctx.stats.declare(r.id, stat_kind(r), r.severity, Scope::of(&r.scope), &r.expression());
    }

    let t = std::time::Instant::now();
    let lap = |what: &str| tracing::trace!(ms = t.elapsed().as_millis() as u64, "validate: {what}");
    {
        // The checks read the values; they are changed only when the findings are applied.
        let batches: &[Batch] = batches;
        let keys = Keys::new(batches);
        lap("keys");
        ranges(batches, &mut ctx);
        lap("ranges");
        one_value_per_key(batches, &keys, &mut ctx);
        lap("one value per key");
        female_within_total(batches, &keys, &mut ctx);
        lap("female within total");
        // Catalogue rules: every value of the run.
        let all: Vec<At> = (0..batches.len()).flat_map(|b| (0..batches[b].observations.len()).map(move |i| (b, i))).collect();
        {
            let idx = Index::new(&all, &keys, &ctx.marks);
            let scope = InScope { values: &all, idx: &idx, batches: &[] };
            for r in &cfg.rules.rules {
                check_of(&r.kind).check_scope(r, &scope, batches, &mut ctx);
            }
        }
        lap("catalogue rules");
        // Form rules: each return of the form on its own.
        for b in 0..batches.len() {
            let Some(form) = batches[b].form.and_then(|id| cfg.forms.iter().find(|f| f.id() == id)) else { continue };
            if form.rules.is_empty() {
                continue;
            }
            let scope: Vec<At> = (0..batches[b].observations.len()).map(|i| (b, i)).collect();
            // Only some kinds look values up by key (compare, pair): for the others the index stays empty.
            let looks_up = form.rules.iter().any(|r| check_of(&r.kind).looks_up());
            let idx = Index::new(if looks_up { &scope } else { &[] }, &keys, &ctx.marks);
            let in_scope = InScope { values: &scope, idx: &idx, batches: &[b] };
            for r in &form.rules {
                check_of(&r.kind).check_scope(r, &in_scope, batches, &mut ctx);
            }
        }
        lap("form rules");
        let series = build_series(batches, &keys, history, &ctx.marks);
        if o.enabled {
            outliers(batches, &keys, &series, &mut ctx);
        }
        lap("outliers");
        repeated_last_year(batches, &series, &mut ctx);
        drop(series);
        lap("repeated last year");
    }

    // Apply: findings to their batches, withheld/dropped values out, flags on.
    for (b, issue) in ctx.found.drain(..) {
        batches[b].issues.push(issue);
    }
    for (b, batch) in batches.iter_mut().enumerate() {
        let obs = std::mem::take(batch.observations);
        let mut keep = Vec::with_capacity(obs.len());
        for (i, mut o) in obs.into_iter().enumerate() {
            if ctx.marks.withheld[b][i] || ctx.marks.dropped[b][i] {
                batch.withheld += 1;
                continue;
            }
            let f = &ctx.marks.flags[b][i];
            if !f.is_empty() {
                let mut all: Vec<&str> = o.flags.as_deref().map(|s| s.split(',').collect()).unwrap_or_default();
                all.extend(f.iter().copied());
                all.sort();
                all.dedup();
                o.flags = Some(all.join(","));
            }
            keep.push(o);
        }
        *batch.observations = keep;
    }
    lap("applied");
    ctx.stats.into_sorted()
}

/// A code (data element, area, sex, age, residence) of the values a group
/// validates, canonical within the group: one text is one pointer, so a key of
/// codes hashes and compares a word per code instead of the text. Codes order
/// by their text, so anything sorted by key comes out as it did with strings.
#[derive(Clone, Copy, Debug)]
pub(super) struct Code<'a>(&'a str);

impl PartialEq for Code<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Code<'_> {}

impl std::hash::Hash for Code<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.0.as_ptr() as usize).hash(state);
    }
}

impl PartialOrd for Code<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Code<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(other.0)
    }
}

impl std::ops::Deref for Code<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl std::fmt::Display for Code<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// (data element, area, year, sex, age, residence)
type Key5<'a> = (Code<'a>, Code<'a>, i32, Code<'a>, Code<'a>, Code<'a>);

/// Every value's key as codes, made once per group, and the codes by text (for
/// the data elements, pins and area codes that rules and the hierarchy name).
pub(super) struct Keys<'a> {
    of: Vec<Vec<Key5<'a>>>,
    by_text: rustc_hash::FxHashMap<&'a str, Code<'a>>,
    /// "*": a dimension every term of a rule pins.
    star: Code<'a>,
}

impl<'a> Keys<'a> {
    fn new(batches: &'a [Batch]) -> Keys<'a> {
        let mut by_text: rustc_hash::FxHashMap<&'a str, Code<'a>> = rustc_hash::FxHashMap::default();
        // A file's values share each code's allocation: the text is looked up only
        // when a field's pointer differs from the value before.
        let mut last: [Option<(&'a str, Code<'a>)>; 5] = [None; 5];
        let mut code = |s: &'a str, field: usize| -> Code<'a> {
            match last[field] {
                Some((p, c)) if std::ptr::eq(p, s) => c,
                _ => {
                    let c = *by_text.entry(s).or_insert(Code(s));
                    last[field] = Some((s, c));
                    c
                }
            }
        };
        let of = batches
            .iter()
            .map(|b| {
                b.observations
                    .iter()
                    .map(|o| (code(&o.data_element, 0), code(&o.area, 1), o.year, code(&o.sex, 2), code(&o.age, 3), code(&o.residence, 4)))
                    .collect()
            })
            .collect();
        let star = *by_text.entry("*").or_insert(Code("*"));
        Keys { of, by_text, star }
    }

    fn of(&self, (b, i): At) -> Key5<'a> {
        self.of[b][i]
    }

    /// The code of a text no value may have (a rule's data element or pin, an
    /// area of the hierarchy): None when no value of the group has it.
    fn code(&self, s: &str) -> Option<Code<'a>> {
        self.by_text.get(s).copied()
    }
}

/// Summary rows for the ingest rules (unparseable values, unknown areas, ...): every cell read was checked.
pub fn ingest_stats(issues: &[Issue], cells_read: u64, stats: &mut Vec<RuleStat>) {
    let mut counts = IssueCounts::new();
    count_issues(issues, &mut counts);
    ingest_stats_from(&counts, cells_read, stats);
}

/// Issues by rule: (severity of the first, how many).
pub type IssueCounts = BTreeMap<String, (Severity, u64)>;

/// Add issues to the counts by rule.
pub fn count_issues(issues: &[Issue], counts: &mut IssueCounts) {
    for i in issues {
        match counts.get_mut(i.rule) {
            Some(c) => c.1 += 1,
            None => {
                counts.insert(i.rule.to_string(), (i.severity, 1));
            }
        }
    }
}

/// [`ingest_stats`] from issue counts (a run split in parts counts its issues part by part).
pub fn ingest_stats_from(counts: &IssueCounts, cells_read: u64, stats: &mut Vec<RuleStat>) {
    let by: Vec<(&str, Severity, u64)> =
        counts.iter().filter(|(rule, _)| !stats.iter().any(|s| &s.rule == *rule)).map(|(rule, (sev, n))| (rule.as_str(), *sev, *n)).collect();
    for (rule, sev, n) in by {
        stats.push(RuleStat {
            items: cells_read.max(n),
            passes: cells_read.saturating_sub(n),
            fails: n,
            ..RuleStat::new(rule, StatKind::Ingest, sev, Scope::Catalogue, ingest_rule_text(rule))
        });
    }
    stats.sort_by(|a, b| a.rule.cmp(&b.rule));
}

fn ingest_rule_text(rule: &str) -> &'static str {
    match rule {
        "unparseable_value" => "a value cell holds a number",
        "unknown_area" => "every area label is in areas.toml",
        "unmapped_cell" => "every value cell maps to a data element, area and year",
        "unknown_label" => "sex and age labels are understood",
        "unit_mismatch" => "the written unit converts to the data element's unit",
        "year_not_found" => "the year is found where the form says",
        "skipped_total" => "the return's own totals are not loaded (wcmon sums the areas)",
        "table_not_found" => "the form's table is in the workbook",
        "unreadable_file" | "unreadable_sheet" => "the file can be read",
        "unrecognised_file" => "a form recognises the file",
        "ambiguous_form" => "only one form recognises the file",
        _ => "",
    }
}
