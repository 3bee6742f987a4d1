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

use std::collections::{BTreeMap, HashMap};

use crate::config::rules::{Missing, Over, RuleKind, BUILT_IN};
use crate::config::{Config, Kind, Rule, Term};
use crate::ingest::fmt_num;
use crate::model::{Issue, Observation, Severity};
use crate::normalise::Control;

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

/// One row of the per-rule summary (`rule_summary.parquet`), after R's `validate`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuleStat {
    pub rule: String,
    pub kind: String,
    pub severity: String,
    pub scope: String,
    pub expression: String,
    /// Checks made (passes + fails) plus checks skipped for missing values.
    pub items: u64,
    pub passes: u64,
    pub fails: u64,
    pub missing: u64,
}

#[derive(Default)]
struct Stats(BTreeMap<String, RuleStat>);

impl Stats {
    fn declare(&mut self, rule: &str, kind: &str, severity: Severity, scope: &str, expression: &str) {
        self.0.entry(rule.to_string()).or_insert_with(|| RuleStat {
            rule: rule.to_string(),
            kind: kind.to_string(),
            severity: severity.as_str().to_string(),
            scope: scope.to_string(),
            expression: expression.to_string(),
            items: 0,
            passes: 0,
            fails: 0,
            missing: 0,
        });
    }
    fn pass(&mut self, rule: &str) {
        if let Some(s) = self.0.get_mut(rule) {
            s.items += 1;
            s.passes += 1;
        }
    }
    fn fail(&mut self, rule: &str) {
        if let Some(s) = self.0.get_mut(rule) {
            s.items += 1;
            s.fails += 1;
        }
    }
    fn missing(&mut self, rule: &str) {
        if let Some(s) = self.0.get_mut(rule) {
            s.items += 1;
            s.missing += 1;
        }
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
    let mut i = Issue::new(sev, rule, msg).at(o.source_file.as_deref().unwrap_or_default(), o.source_sheet.as_deref(), o.source_cell.clone());
    i.data_element = Some(o.data_element.clone());
    i.area = Some(o.area.clone());
    i.year = Some(o.year);
    i.sex = Some(o.sex.clone());
    i.age = Some(o.age.clone());
    i.form = o.form.clone();
    i.submission = o.submission.clone();
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
                    if o.source_file != file || o.source_cell != cell {
                        let companion = issue_for(o, sev, rule, format!("withheld: the value is part of the {rule} finding at {place}"))
                            .expected(format!("see {place}"));
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

/// History of a series from an earlier database: (data_element, area, sex, age, residence) -> year -> value.
pub type History = HashMap<(String, String, String, String, String), BTreeMap<i32, f64>>;

/// Validate every batch in place. Returns the per-rule summary.
pub fn validate(batches: &mut [Batch], cfg: &Config, history: &History) -> Vec<RuleStat> {
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
            ctx.stats.declare(name, "built_in", cfg.rules.severity_of(name), "catalogue", what);
        }
    }
    let o = &cfg.rules.outliers;
    if o.enabled {
        ctx.stats.declare(
            "yoy_outlier",
            "outlier",
            o.severity,
            "catalogue",
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
        ctx.stats.declare(r.id, kind_name(r.kind), r.severity, &r.scope, &r.expression());
    }

    let t = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(ms = t.elapsed().as_millis() as u64, "validate: {what}");
    ranges(batches, &mut ctx);
    lap("ranges");
    one_value_per_key(batches, &mut ctx);
    lap("one value per key");
    female_within_total(batches, &mut ctx);
    lap("female within total");
    // Catalogue rules: every value of the run.
    let all: Vec<At> = (0..batches.len()).flat_map(|b| (0..batches[b].observations.len()).map(move |i| (b, i))).collect();
    {
        let idx = Index::new(&all, batches, &ctx.marks);
        for r in &cfg.rules.rules {
            declared(r, &all, &idx, &[], batches, &mut ctx);
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
        let idx = Index::new(&scope, batches, &ctx.marks);
        for r in &form.rules {
            declared(r, &scope, &idx, &[b], batches, &mut ctx);
        }
    }
    lap("form rules");
    let series = build_series(batches, history, &ctx.marks);
    if o.enabled {
        outliers(batches, &series, &mut ctx);
    }
    lap("outliers");
    repeated_last_year(batches, &series, &mut ctx);
    drop(series);
    lap("repeated last year");

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
    ctx.stats.0.into_values().collect()
}

fn kind_name(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Compare => "compare",
        RuleKind::Balance => "balance",
        RuleKind::Pair => "pair",
        RuleKind::Range => "range",
    }
}

/// Built-in range checks by unit and kind, the catalogue's min/max, and declared `range` rules.
fn ranges(batches: &[Batch], ctx: &mut Ctx) {
    let cfg = ctx.cfg;
    let range_rules: Vec<&Rule> = cfg
        .rules
        .rules
        .iter()
        .chain(cfg.forms.iter().flat_map(|f| f.rules.iter()))
        .filter(|r| r.kind == RuleKind::Range)
        .collect();
    for (b, batch) in batches.iter().enumerate() {
        for (i, o) in batch.observations.iter().enumerate() {
            let Some(de) = cfg.catalogue.data_element(&o.data_element) else { continue };
            let Some(v) = o.value else { continue };
            let check = |ctx: &mut Ctx, rule: &'static str, ok: bool, msg: &dyn Fn() -> String, expected: &str| {
                if ok {
                    ctx.stats.pass(rule);
                } else {
                    let sev = cfg.rules.severity_of(rule);
                    let issue = issue_for(o, sev, rule, msg()).expected(expected);
                    ctx.finding(batches, (b, i), sev, rule, issue, &[(b, i)]);
                }
            };
            if de.min.is_some() || de.max.is_some() {
                let (lo, hi) = (de.min.unwrap_or(f64::NEG_INFINITY), de.max.unwrap_or(f64::INFINITY));
                let exp = format!("{}..{}", de.min.map(fmt_num).unwrap_or_default(), de.max.map(fmt_num).unwrap_or_default());
                check(ctx, "out_of_range", (lo..=hi).contains(&v), &|| format!("{} must lie within {exp} {}", de.name_zh, de.unit), &exp);
            } else {
                match de.kind {
                    Kind::Count => {
                        check(ctx, "negative_count", v >= 0.0, &|| format!("{} cannot be negative", de.name_zh), ">= 0");
                        if v >= 0.0 {
                            check(ctx, "non_integer_count", v.fract() == 0.0, &|| format!("{} should be a whole number", de.name_zh), "integer");
                        }
                    }
                    Kind::Amount => check(ctx, "negative_amount", v >= 0.0, &|| format!("{} is negative", de.name_zh), ">= 0"),
                    Kind::Rate => {
                        let limit = match de.unit.as_str() {
                            "%" => Some(100.0),
                            "‰" => Some(1000.0),
                            _ => None,
                        };
                        if let Some(l) = limit {
                            check(
                                ctx,
                                "rate_out_of_range",
                                (0.0..=l).contains(&v),
                                &|| format!("{} must lie within 0–{l}{}", de.name_zh, de.unit),
                                &format!("0..{l}"),
                            );
                        }
                    }
                }
            }
            for r in &range_rules {
                if !r.data_elements.contains(&o.data_element) || (r.scope != "catalogue" && o.form.as_deref() != Some(r.scope.as_str())) {
                    continue;
                }
                let ok = r.min.is_none_or(|m| v >= m) && r.max.is_none_or(|m| v <= m) && (!r.integer || v.fract() == 0.0);
                if ok {
                    ctx.stats.pass(r.id);
                } else {
                    let msg = format!("{} = {} breaks {}: {}", de.name_zh, fmt_num(v), r.id, r.description);
                    let issue = issue_for(o, r.severity, r.id, msg).expected(r.expression());
                    ctx.finding(batches, (b, i), r.severity, r.id, issue, &[(b, i)]);
                }
            }
        }
    }
}

type Key5<'a> = (&'a str, &'a str, i32, &'a str, &'a str, &'a str);

fn key_of(o: &Observation) -> Key5<'_> {
    (&o.data_element, &o.area, o.year, &o.sex, &o.age, &o.residence)
}

/// The same key from two cells: the same value is a `duplicate` (later copies
/// dropped), different values a `conflict` (every copy withheld on error).
fn one_value_per_key(batches: &[Batch], ctx: &mut Ctx) {
    // First pass: the first place and the count of each key (no allocation per key).
    let mut first: rustc_hash::FxHashMap<Key5, (At, u32)> = rustc_hash::FxHashMap::default();
    first.reserve(batches.iter().map(|b| b.observations.len()).sum());
    for (b, batch) in batches.iter().enumerate() {
        for (i, o) in batch.observations.iter().enumerate() {
            if ctx.marks.live((b, i)) && !o.derived {
                first.entry(key_of(o)).and_modify(|e| e.1 += 1).or_insert(((b, i), 1));
            }
        }
    }
    let singles = first.values().filter(|e| e.1 == 1).count() as u64;
    for rule in ["duplicate", "conflict"] {
        if let Some(s) = ctx.stats.0.get_mut(rule) {
            s.items += singles;
            s.passes += singles;
        }
    }
    // Second pass: every place of the keys seen more than once, in file and cell order.
    let mut multi: rustc_hash::FxHashMap<Key5, Vec<At>> = first.into_iter().filter(|(_, e)| e.1 > 1).map(|(k, _)| (k, Vec::new())).collect();
    if !multi.is_empty() {
        for (b, batch) in batches.iter().enumerate() {
            for (i, o) in batch.observations.iter().enumerate() {
                if ctx.marks.live((b, i)) && !o.derived {
                    if let Some(v) = multi.get_mut(&key_of(o)) {
                        v.push((b, i));
                    }
                }
            }
        }
    }
    let mut groups: Vec<(Key5, Vec<At>)> = multi.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, at) in groups {
        let obs = |a: At| &batches[a.0].observations[a.1];
        let first = obs(at[0]);
        let same = at.iter().all(|&a| match (obs(a).value, first.value) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            (None, None) => true,
            _ => false,
        });
        let where_first = format!("{} {}", first.source_file.as_deref().unwrap_or("?"), cell_of(first));
        if same {
            ctx.stats.pass("conflict");
            for &a in &at[1..] {
                let o = obs(a);
                let sev = ctx.cfg.rules.severity_of("duplicate");
                let issue = issue_for(o, sev, "duplicate", format!("the same value is already given in {where_first}; this copy is dropped"))
                    .expected(format!("one value (kept: {where_first})"));
                ctx.stats.fail("duplicate");
                ctx.found.push((a.0, issue));
                ctx.marks.dropped[a.0][a.1] = true;
            }
            continue;
        }
        ctx.stats.pass("duplicate");
        let sev = ctx.cfg.rules.severity_of("conflict");
        let values: Vec<String> = at
            .iter()
            .map(|&a| {
                let o = obs(a);
                format!("{} in {} {}", o.value.map(fmt_num).unwrap_or_else(|| "—".into()), o.source_file.as_deref().unwrap_or("?"), cell_of(o))
            })
            .collect();
        let what = if sev == Severity::Error { "all are withheld" } else { "the first is kept" };
        for (n, &a) in at.iter().enumerate() {
            let o = obs(a);
            let others: Vec<&String> = values.iter().enumerate().filter(|(m, _)| *m != n).map(|(_, v)| v).collect();
            let others: Vec<&str> = others.iter().map(|s| s.as_str()).collect();
            let issue = issue_for(o, sev, "conflict", format!("different values for the same key: {}; {what}", values.join(" vs ")))
                .expected(others.join("; "));
            ctx.stats.fail("conflict");
            ctx.found.push((a.0, issue));
            match sev {
                Severity::Error => ctx.marks.withheld[a.0][a.1] = true,
                _ if n > 0 => ctx.marks.dropped[a.0][a.1] = true,
                _ => ctx.marks.flags[a.0][a.1].push("conflict"),
            }
        }
    }
}

/// 其中:女 cannot exceed 合计 for an additive data element in the same return.
fn female_within_total(batches: &[Batch], ctx: &mut Ctx) {
    let sev = ctx.cfg.rules.severity_of("female_exceeds_total");
    for b in 0..batches.len() {
        let mut by: rustc_hash::FxHashMap<(&str, &str, i32, &str, &str), [Option<usize>; 2]> = rustc_hash::FxHashMap::default();
        for (i, o) in batches[b].observations.iter().enumerate() {
            let additive = ctx.cfg.catalogue.data_element(&o.data_element).is_some_and(|d| d.kind.additive());
            if !additive || !ctx.marks.live((b, i)) || o.value.is_none() {
                continue;
            }
            let slot = match o.sex.as_str() {
                "_T" => 0,
                "F" => 1,
                _ => continue,
            };
            by.entry((&o.data_element, &o.area, o.year, &o.age, &o.residence)).or_default()[slot] = Some(i);
        }
        let mut pairs: Vec<(usize, usize)> = by.into_values().filter_map(|s| Some((s[0]?, s[1]?))).collect();
        pairs.sort();
        for (t, f) in pairs {
            let (ot, of) = (&batches[b].observations[t], &batches[b].observations[f]);
            let (vt, vf) = (ot.value.unwrap_or_default(), of.value.unwrap_or_default());
            if vf <= vt {
                ctx.stats.pass("female_exceeds_total");
                continue;
            }
            let issue = issue_for(of, sev, "female_exceeds_total", format!("其中:女 ({}) is larger than the total ({}, {})", fmt_num(vf), fmt_num(vt), cell_of(ot)))
                .expected(format!("<= {}", fmt_num(vt)));
            ctx.finding(batches, (b, f), sev, "female_exceeds_total", issue, &[(b, t), (b, f)]);
        }
    }
}

/// (area, year, sex, age, residence) with "*" for a dimension every term pins.
type EvalKey<'a> = (&'a str, i32, &'a str, &'a str, &'a str);

/// The values a rule sees, indexed once: by full key and by data element.
/// Withheld values stay in the index; lookups skip them.
struct Index<'a> {
    map: rustc_hash::FxHashMap<Key5<'a>, At>,
    by_de: rustc_hash::FxHashMap<&'a str, Vec<At>>,
}

impl<'a> Index<'a> {
    fn new(scope: &[At], batches: &'a [Batch], marks: &Marks) -> Self {
        let mut map = rustc_hash::FxHashMap::default();
        let mut by_de: rustc_hash::FxHashMap<&str, Vec<At>> = rustc_hash::FxHashMap::default();
        for &a in scope {
            if marks.dropped[a.0][a.1] || marks.withheld[a.0][a.1] {
                continue;
            }
            let o = &batches[a.0].observations[a.1];
            map.entry(key_of(o)).or_insert(a);
            by_de.entry(o.data_element.as_str()).or_default().push(a);
        }
        Index { map, by_de }
    }

    /// The value of a term at a key: (where, value); None when not reported or withheld.
    fn term(&self, t: &Term, k: &EvalKey, batches: &[Batch], marks: &Marks) -> Option<(At, Option<f64>)> {
        let sex = t.sex.as_deref().unwrap_or(k.2);
        let age = t.age.as_deref().unwrap_or(k.3);
        let res = t.residence.as_deref().unwrap_or(k.4);
        if sex == "*" || age == "*" || res == "*" {
            return None;
        }
        let a = *self.map.get(&(t.data_element.as_str(), k.0, k.1, sex, age, res))?;
        marks.live(a).then(|| (a, batches[a.0].observations[a.1].value))
    }
}

fn pinned(t: &Term) -> bool {
    t.sex.is_some() || t.age.is_some() || t.residence.is_some()
}

/// Every key at which a rule's terms have values.
fn eval_keys<'b>(terms: &[&Term], idx: &Index, batches: &'b [Batch], marks: &Marks) -> Vec<EvalKey<'b>> {
    let unpinned: Vec<&&Term> = terms.iter().filter(|t| !pinned(t)).collect();
    let from: Vec<&Term> = if unpinned.is_empty() { terms.to_vec() } else { unpinned.into_iter().copied().collect() };
    let mut keys: rustc_hash::FxHashSet<EvalKey<'b>> = rustc_hash::FxHashSet::default();
    for t in &from {
        for &a in idx.by_de.get(t.data_element.as_str()).map(Vec::as_slice).unwrap_or_default() {
            if !marks.live(a) {
                continue;
            }
            let o = &batches[a.0].observations[a.1];
            let fits = |pin: &Option<String>, v: &str| pin.as_deref().is_none_or(|p| p == v);
            if !(fits(&t.sex, &o.sex) && fits(&t.age, &o.age) && fits(&t.residence, &o.residence)) {
                continue;
            }
            let star = |pin: &Option<String>, v: &'b str| -> &'b str { if pin.is_some() { "*" } else { v } };
            keys.insert((o.area.as_str(), o.year, star(&t.sex, &o.sex), star(&t.age, &o.age), star(&t.residence, &o.residence)));
        }
    }
    let mut keys: Vec<EvalKey<'b>> = keys.into_iter().collect();
    keys.sort_unstable();
    keys
}

fn term_text(t: &Term, cfg: &Config) -> String {
    let name = cfg.catalogue.data_element(&t.data_element).map(|d| d.name_zh.as_str()).unwrap_or(&t.data_element);
    let f = crate::config::Indicator::formula_text(std::slice::from_ref(t));
    if f == t.data_element {
        name.to_string()
    } else {
        format!("{name}{}", &f[t.data_element.len()..])
    }
}

/// Sum of terms with the missing-value strategy; None = skip (missing).
fn side_sum(vals: &[Option<(At, Option<f64>)>], strategy: Missing, any_present: bool) -> Option<f64> {
    let mut sum = 0.0;
    for v in vals {
        match v.and_then(|(_, x)| x) {
            Some(x) => sum += x,
            None if strategy == Missing::SkipIfAnyMissing => return None,
            None if strategy == Missing::SkipIfAllMissing && !any_present => return None,
            None => {}
        }
    }
    Some(sum)
}

/// A declared compare / pair / balance rule on a scope of values.
fn declared(r: &Rule, scope: &[At], idx: &Index, batch_scope: &[usize], batches: &[Batch], ctx: &mut Ctx) {
    match r.kind {
        RuleKind::Range => {}
        RuleKind::Compare | RuleKind::Pair => compare(r, idx, batches, ctx),
        RuleKind::Balance => match r.over {
            Over::Sex | Over::Age => balance_dims(r, scope, batches, ctx),
            Over::Area => balance_area(r, idx, batch_scope, batches, ctx),
        },
    }
}

fn compare(r: &Rule, idx: &Index, batches: &[Batch], ctx: &mut Ctx) {
    let terms: Vec<&Term> = r.left.iter().chain(r.right.iter()).collect();
    let keys = eval_keys(&terms, idx, batches, &ctx.marks);
    let cfg = ctx.cfg;
    for k in keys {
        let left: Vec<_> = r.left.iter().map(|t| idx.term(t, &k, batches, &ctx.marks)).collect();
        let right: Vec<_> = r.right.iter().map(|t| idx.term(t, &k, batches, &ctx.marks)).collect();
        let present = |v: &[Option<(At, Option<f64>)>]| v.iter().any(|x| x.and_then(|(_, v)| v).is_some());
        let any = present(&left) || present(&right);
        let read: Vec<At> = left.iter().chain(right.iter()).filter_map(|x| x.map(|(a, _)| a)).collect();
        let Some(&at) = left.iter().chain(right.iter()).flatten().map(|(a, _)| a).next() else { continue };
        let o = &batches[at.0].observations[at.1];
        let cells = |side: &[Option<(At, Option<f64>)>], terms: &[Term]| -> String {
            side.iter()
                .zip(terms)
                .map(|(v, t)| match v {
                    Some((a, x)) => {
                        let ob = &batches[a.0].observations[a.1];
                        format!("{} {} ({})", term_text(t, cfg), x.map(fmt_num).unwrap_or_else(|| "—".into()), cell_of(ob))
                    }
                    None => format!("{} missing", term_text(t, cfg)),
                })
                .collect::<Vec<_>>()
                .join(" + ")
        };
        if r.kind == RuleKind::Pair {
            if !present(&left) {
                continue;
            }
            if right.iter().all(|x| x.and_then(|(_, v)| v).is_some()) {
                ctx.stats.pass(r.id);
            } else {
                let msg = format!("{} is reported but {} is not: {}", cells(&left, &r.left), terms_list(&r.right, cfg), r.description);
                let mut issue = issue_for(o, r.severity, r.id, msg).expected(format!("a value of {}", terms_list(&r.right, cfg)));
                issue.observed = side_sum(&left, Missing::NeverSkip, true).map(fmt_num);
                ctx.finding(batches, at, r.severity, r.id, issue, &read);
            }
            continue;
        }
        let (Some(l), Some(rv)) = (side_sum(&left, r.missing, any), side_sum(&right, r.missing, any)) else {
            ctx.stats.missing(r.id);
            continue;
        };
        if r.op.holds(l, rv, r.tolerance) {
            ctx.stats.pass(r.id);
            continue;
        }
        let msg = format!("{} {} {} does not hold: {}", cells(&left, &r.left), r.op.as_str(), cells(&right, &r.right), r.description);
        let mut issue = issue_for(o, r.severity, r.id, msg).expected(format!("{} {}", r.op.as_str(), fmt_num(rv)));
        issue.observed = Some(fmt_num(l));
        issue.sex = Some(k.2.to_string());
        issue.age = Some(k.3.to_string());
        ctx.finding(batches, at, r.severity, r.id, issue, &read);
    }
}

fn terms_list(terms: &[Term], cfg: &Config) -> String {
    terms.iter().map(|t| term_text(t, cfg)).collect::<Vec<_>>().join(" + ")
}

fn in_rule(r: &Rule, cfg: &Config, de: &str) -> bool {
    if r.data_elements.is_empty() {
        cfg.catalogue.data_element(de).is_some_and(|d| d.kind.additive())
    } else {
        r.data_elements.iter().any(|d| d == de)
    }
}

/// F + M = _T, or age groups = all ages, among the values of a scope.
fn balance_dims(r: &Rule, scope: &[At], batches: &[Batch], ctx: &mut Ctx) {
    let cfg = ctx.cfg;
    // (de, area, year, other dims) -> (whole, parts)
    type G = BTreeMap<(String, String, i32, String, String), (Option<At>, Vec<(String, At)>)>;
    let mut groups: G = BTreeMap::new();
    for &a in scope {
        if ctx.marks.dropped[a.0][a.1] {
            continue;
        }
        let o = &batches[a.0].observations[a.1];
        if o.derived || !in_rule(r, cfg, &o.data_element) {
            continue;
        }
        let (part_dim, other1, other2) = match r.over {
            Over::Sex => (&o.sex, &o.age, &o.residence),
            _ => (&o.age, &o.sex, &o.residence),
        };
        let g = groups.entry((o.data_element.clone(), o.area.clone(), o.year, other1.clone(), other2.clone())).or_default();
        if part_dim == "_T" {
            g.0 = Some(a);
        } else {
            g.1.push((part_dim.clone(), a));
        }
    }
    for ((_, _, _, _, _), (whole, parts)) in groups {
        let Some(w) = whole else { continue };
        let wanted: Vec<String> = match (r.over, r.parts.is_empty()) {
            (Over::Sex, _) => vec!["F".into(), "M".into()],
            (_, false) => r.parts.clone(),
            (_, true) => parts.iter().map(|p| p.0.clone()).collect(),
        };
        if wanted.is_empty() {
            continue;
        }
        let vals: Vec<Option<(At, Option<f64>)>> = wanted
            .iter()
            .map(|code| parts.iter().find(|p| &p.0 == code).map(|p| (p.1, batches[p.1 .0].observations[p.1 .1].value)))
            .collect();
        let wo = &batches[w.0].observations[w.1];
        let any = vals.iter().any(|v| v.and_then(|x| x.1).is_some());
        let (Some(total), Some(sum)) = (wo.value, side_sum(&vals, r.missing, any)) else {
            ctx.stats.missing(r.id);
            continue;
        };
        if (total - sum).abs() <= r.tolerance {
            ctx.stats.pass(r.id);
            continue;
        }
        let parts_text: Vec<String> = wanted
            .iter()
            .zip(&vals)
            .map(|(code, v)| match v {
                Some((a, x)) => format!("{code} {} ({})", x.map(fmt_num).unwrap_or_else(|| "—".into()), cell_of(&batches[a.0].observations[a.1])),
                None => format!("{code} missing"),
            })
            .collect();
        let name = cfg.catalogue.data_element(&wo.data_element).map(|d| d.name_zh.as_str()).unwrap_or_default();
        let msg = format!("{name}: the total {} ({}) is not the sum of its parts {} = {}", fmt_num(total), cell_of(wo), parts_text.join(" + "), fmt_num(sum));
        let issue = issue_for(wo, r.severity, r.id, msg).expected(format!("= {} (±{})", fmt_num(sum), r.tolerance));
        let read: Vec<At> = std::iter::once(w).chain(vals.iter().filter_map(|v| v.map(|x| x.0))).collect();
        ctx.finding(batches, w, r.severity, r.id, issue, &read);
    }
}

/// Areas add up to the return's 合计 row / 全县 column (form scope), or to the
/// reported parent area when every child is reported (catalogue scope).
fn balance_area(r: &Rule, idx: &Index, batch_scope: &[usize], batches: &[Batch], ctx: &mut Ctx) {
    let cfg = ctx.cfg;
    if batch_scope.is_empty() {
        // Catalogue scope: parent vs its children.
        let mut parents: Vec<(Key5, At)> = idx.map.iter().map(|(k, a)| (*k, *a)).collect();
        parents.sort_by(|a, b| a.0.cmp(&b.0));
        for ((de, area, year, sex, age, res), w) in parents {
            if !in_rule(r, cfg, de) {
                continue;
            }
            let children: Vec<&str> = cfg.areas.list.iter().filter(|a| a.parent.as_deref() == Some(area)).map(|a| a.code.as_str()).collect();
            if children.is_empty() {
                continue;
            }
            let vals: Vec<Option<At>> = children.iter().map(|c| idx.map.get(&(de, *c, year, sex, age, res)).copied()).collect();
            if vals.iter().all(Option::is_none) {
                continue;
            }
            let wo = &batches[w.0].observations[w.1];
            let sum: Option<f64> = vals.iter().map(|v| v.and_then(|a| batches[a.0].observations[a.1].value)).sum();
            let (Some(total), Some(sum)) = (wo.value, sum) else {
                ctx.stats.missing(r.id);
                continue;
            };
            if (total - sum).abs() <= r.tolerance {
                ctx.stats.pass(r.id);
                continue;
            }
            let msg = format!("the value for {area} ({}) is not the sum of its {} areas ({})", fmt_num(total), children.len(), fmt_num(sum));
            let issue = issue_for(wo, r.severity, r.id, msg).expected(format!("= {} (±{})", fmt_num(sum), r.tolerance));
            let read: Vec<At> = std::iter::once(w).chain(vals.iter().flatten().copied()).collect();
            ctx.finding(batches, w, r.severity, r.id, issue, &read);
        }
        return;
    }
    for &b in batch_scope {
        let batch = &batches[b];
        for c in batch.controls {
            if !in_rule(r, cfg, &c.data_element) {
                continue;
            }
            let parts: Vec<At> = (0..batch.observations.len())
                .filter(|&i| {
                    let o = &batch.observations[i];
                    !ctx.marks.dropped[b][i]
                        && !o.derived
                        && o.data_element == c.data_element
                        && o.year == c.year
                        && o.sex == c.sex
                        && o.age == c.age
                        && o.residence == c.residence
                })
                .map(|i| (b, i))
                .collect();
            if parts.is_empty() {
                continue;
            }
            // A cell of the same column (or row) that could not be read makes the sum unknowable.
            let (crow, ccol) = split_a1(&c.cell);
            let unreadable = batch.issues.iter().any(|i| {
                i.severity == Severity::Error
                    && i.source_sheet.as_deref() == Some(c.sheet.as_str())
                    && i.source_cell.as_deref().map(split_a1).is_some_and(|(r, col)| r == crow || col == ccol)
            });
            let sum: Option<f64> = parts.iter().map(|a| batches[a.0].observations[a.1].value).sum();
            let sum = match sum {
                Some(s) if !unreadable => Some(s),
                _ if r.missing == Missing::SkipIfAnyMissing || unreadable => None,
                _ => Some(parts.iter().filter_map(|a| batches[a.0].observations[a.1].value).sum()),
            };
            let Some(sum) = sum else {
                ctx.stats.missing(r.id);
                continue;
            };
            if (c.value - sum).abs() <= r.tolerance {
                ctx.stats.pass(r.id);
                continue;
            }
            let first = &batch.observations[parts[0].1];
            let last = &batch.observations[parts[parts.len() - 1].1];
            let name = cfg.catalogue.data_element(&c.data_element).map(|d| d.name_zh.as_str()).unwrap_or_default();
            let msg = format!(
                "{name}: the return's total {} ({}!{}) is not the sum of its {} areas {} ({}..{})",
                fmt_num(c.value),
                c.sheet,
                c.cell,
                parts.len(),
                fmt_num(sum),
                first.source_cell.as_deref().unwrap_or("?"),
                last.source_cell.as_deref().unwrap_or("?")
            );
            let mut issue = Issue::new(r.severity, r.id, msg)
                .at(batch.file, Some(&c.sheet), Some(c.cell.clone()))
                .observed(fmt_num(c.value))
                .expected(format!("= {} (±{})", fmt_num(sum), r.tolerance));
            issue.data_element = Some(c.data_element.clone());
            issue.year = Some(c.year);
            issue.sex = Some(c.sex.clone());
            issue.age = Some(c.age.clone());
            issue.form = first.form.clone();
            issue.submission = first.submission.clone();
            ctx.finding(batches, parts[0], r.severity, r.id, issue, &parts);
        }
    }
}

/// "D7" -> (7, "D").
fn split_a1(cell: &str) -> (u32, String) {
    let col: String = cell.chars().take_while(|c| c.is_ascii_uppercase()).collect();
    (cell[col.len()..].parse().unwrap_or(0), col)
}

/// Median of a slice (sorted in place); None when empty.
pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// Modified z-score of `x` against `history` (Iglewicz & Hoaglin): (x − median) / s with
/// s = MAD / 0.6745, or 1.253314 · mean absolute deviation when MAD is 0. For counts,
/// s is at least √median, the Poisson standard deviation: a count's chance variation is
/// not an outlier however steady its history. None when there is no scale.
pub fn modified_z(x: f64, history: &[f64], count: bool) -> Option<(f64, f64)> {
    let mut h = history.to_vec();
    let med = median(&mut h)?;
    let mut dev: Vec<f64> = h.iter().map(|v| (v - med).abs()).collect();
    let mad = median(&mut dev)?;
    let mut scale = if mad > 0.0 { mad / 0.6745 } else { 1.253314 * dev.iter().sum::<f64>() / dev.len() as f64 };
    if count {
        scale = scale.max(med.max(0.0).sqrt());
    }
    (scale > 0.0).then(|| ((x - med) / scale, med))
}

type SeriesKey<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);
type Series<'a> = rustc_hash::FxHashMap<SeriesKey<'a>, BTreeMap<i32, f64>>;

/// Every series (data element × area × sex × age × residence): the database's history, then this run's live reported values.
fn build_series<'a>(batches: &'a [Batch], history: &'a History, marks: &Marks) -> Series<'a> {
    let mut series: Series<'a> = rustc_hash::FxHashMap::default();
    for (k, years) in history {
        series.insert((k.0.as_str(), k.1.as_str(), k.2.as_str(), k.3.as_str(), k.4.as_str()), years.clone());
    }
    for (b, batch) in batches.iter().enumerate() {
        for (i, o) in batch.observations.iter().enumerate() {
            if let (true, Some(v)) = (marks.live((b, i)) && !o.derived, o.value) {
                series.entry((&o.data_element, &o.area, &o.sex, &o.age, &o.residence)).or_default().insert(o.year, v);
            }
        }
    }
    series
}

/// Year-over-year outliers: each reported value against the same series' earlier years.
fn outliers(batches: &[Batch], series: &Series, ctx: &mut Ctx) {
    let s = ctx.cfg.rules.outliers.clone();
    for (b, batch) in batches.iter().enumerate() {
        for (i, o) in batch.observations.iter().enumerate() {
            let Some(x) = o.value else { continue };
            if !ctx.marks.live((b, i)) || o.derived {
                continue;
            }
            let key: SeriesKey = (&o.data_element, &o.area, &o.sex, &o.age, &o.residence);
            let earlier: Vec<(i32, f64)> = series.get(&key).map(|m| m.range(..o.year).map(|(y, v)| (*y, *v)).collect()).unwrap_or_default();
            if earlier.len() < s.min_history {
                ctx.stats.missing("yoy_outlier");
                continue;
            }
            let hist: Vec<f64> = earlier.iter().map(|e| e.1).collect();
            let count = ctx.cfg.catalogue.data_element(&o.data_element).is_some_and(|d| d.kind == Kind::Count);
            let Some((z, med)) = modified_z(x, &hist, count) else {
                ctx.stats.missing("yoy_outlier");
                continue;
            };
            let small = x.abs() < s.min_value && med.abs() < s.min_value;
            // A trend moves the value away from an old median; an error also jumps from last year.
            let prev = earlier[earlier.len() - 1].1;
            let big_change = (x - med).abs() >= s.min_relative_change * med.abs() && (x - prev).abs() >= s.min_relative_change * prev.abs();
            if small || z.abs() <= s.threshold || !big_change {
                ctx.stats.pass("yoy_outlier");
                continue;
            }
            let name = ctx.cfg.catalogue.data_element(&o.data_element).map(|d| d.name_zh.as_str()).unwrap_or_default();
            let (y0, y1) = (earlier[0].0, earlier[earlier.len() - 1].0);
            let msg = format!(
                "{name} {} in {} is far from its own history: median {} over {y0}–{y1}, modified z = {:.1} (limit {})",
                fmt_num(x),
                o.year,
                fmt_num(med),
                z,
                s.threshold
            );
            let issue = issue_for(o, s.severity, "yoy_outlier", msg).expected(format!("about {} (|z| <= {})", fmt_num(med), s.threshold));
            ctx.finding(batches, (b, i), s.severity, "yoy_outlier", issue, &[(b, i)]);
        }
    }
}

/// A return whose values are (almost) all the same as the year before: last year's file sent again.
fn repeated_last_year(batches: &[Batch], series: &Series, ctx: &mut Ctx) {
    const MIN_VALUES: usize = 10;
    const SHARE: f64 = 0.9;
    let sev = ctx.cfg.rules.severity_of("repeated_last_year");
    for (b, batch) in batches.iter().enumerate() {
        let mut compared: Vec<At> = Vec::new();
        let mut same = 0usize;
        let mut years = std::collections::BTreeSet::new();
        for (i, o) in batch.observations.iter().enumerate() {
            let Some(v) = o.value.filter(|v| *v != 0.0) else { continue };
            if !ctx.marks.live((b, i)) || o.derived {
                continue;
            }
            let key: SeriesKey = (&o.data_element, &o.area, &o.sex, &o.age, &o.residence);
            let Some(prev) = series.get(&key).and_then(|m| m.get(&(o.year - 1))) else { continue };
            compared.push((b, i));
            years.insert(o.year);
            if (prev - v).abs() <= 1e-9 * v.abs().max(1.0) {
                same += 1;
            }
        }
        if compared.len() < MIN_VALUES {
            continue;
        }
        if (same as f64) < SHARE * compared.len() as f64 {
            ctx.stats.pass("repeated_last_year");
            continue;
        }
        let year = years.iter().next().copied().unwrap_or_default();
        let first = &batch.observations[compared[0].1];
        let mut issue = Issue::new(
            sev,
            "repeated_last_year",
            format!("{same} of {} values are exactly the same as {}: is this last year's return sent again?", compared.len(), year - 1),
        )
        .at(batch.file, None, None)
        .observed(format!("{same} of {} values as in {}", compared.len(), year - 1))
        .expected(format!("the figures for {year}"));
        issue.year = Some(year);
        issue.form = first.form.clone();
        issue.submission = first.submission.clone();
        ctx.finding(batches, compared[0], sev, "repeated_last_year", issue, &compared);
    }
}

/// Summary rows for the ingest rules (unparseable values, unknown areas, ...): every cell read was checked.
pub fn ingest_stats(issues: &[Issue], cells_read: u64, stats: &mut Vec<RuleStat>) {
    let mut by: BTreeMap<&str, (Severity, u64)> = BTreeMap::new();
    for i in issues {
        if stats.iter().any(|s| s.rule == i.rule) {
            continue;
        }
        let e = by.entry(i.rule).or_insert((i.severity, 0));
        e.1 += 1;
    }
    for (rule, (sev, n)) in by {
        stats.push(RuleStat {
            rule: rule.to_string(),
            kind: "ingest".into(),
            severity: sev.as_str().into(),
            scope: "catalogue".into(),
            expression: ingest_rule_text(rule).into(),
            items: cells_read.max(n),
            passes: cells_read.saturating_sub(n),
            fails: n,
            missing: 0,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::rules::{resolve_rules, RawRule};
    use std::path::Path;

    fn cfg() -> Config {
        Config::load(Path::new("pipelines")).unwrap()
    }

    /// Add catalogue rules written as TOML.
    fn with_rules(mut cfg: Config, toml_text: &str) -> Config {
        #[derive(serde::Deserialize)]
        struct R {
            rule: Vec<RawRule>,
        }
        let raw: R = toml::from_str(toml_text).unwrap();
        let rules = resolve_rules(raw.rule, "catalogue", Path::new("test.toml"), toml_text, &cfg.catalogue).unwrap();
        cfg.rules.rules.extend(rules);
        cfg
    }

    fn ob(de: &str, area: &str, sex: &str, age: &str, value: Option<f64>, cell: &str) -> Observation {
        Observation {
            data_element: de.into(),
            area: area.into(),
            year: 2024,
            sex: sex.into(),
            age: age.into(),
            residence: "_T".into(),
            value,
            obs_status: "A",
            derived: false,
            form: None,
            source_file: Some("t.xlsx".into()),
            source_sheet: Some("S".into()),
            source_cell: Some(cell.into()),
            source_sha256: None,
            submission: None,
            flags: None,
        }
    }

    /// Validate files (one Vec per file); returns kept values, issues and the summary.
    fn run(cfg: &Config, files: Vec<Vec<Observation>>, history: &History) -> (Vec<Vec<Observation>>, Vec<Issue>, Vec<RuleStat>) {
        let mut files = files;
        let mut issues: Vec<Vec<Issue>> = files.iter().map(|_| Vec::new()).collect();
        let names: Vec<String> = (0..files.len()).map(|i| format!("f{i}.xlsx")).collect();
        let stats = {
            let mut batches: Vec<Batch> = files
                .iter_mut()
                .zip(issues.iter_mut())
                .zip(&names)
                .map(|((o, i), n)| Batch { form: None, file: n, observations: o, controls: &[], issues: i, withheld: 0 })
                .collect();
            validate(&mut batches, cfg, history)
        };
        (files, issues.into_iter().flatten().collect(), stats)
    }

    fn stat<'a>(stats: &'a [RuleStat], rule: &str) -> &'a RuleStat {
        stats.iter().find(|s| s.rule == rule).unwrap()
    }

    const A: &str = "421321100";
    const B: &str = "421321101";

    #[test]
    fn compare_withholds_both_sides_and_skips_missing() {
        let cfg = cfg();
        let files = vec![vec![
            ob("infant_deaths", A, "_T", "_T", Some(3.0), "B2"),
            ob("neonatal_deaths", A, "_T", "_T", Some(5.0), "C2"),
            ob("infant_deaths", B, "_T", "_T", Some(2.0), "B3"),
        ]];
        let (kept, issues, stats) = run(&cfg, files.clone(), &History::new());
        let s = stat(&stats, "infant_ge_neonatal_deaths");
        assert_eq!((s.items, s.passes, s.fails, s.missing), (2, 0, 1, 1));
        let cells: Vec<(&str, &str)> = issues.iter().map(|i| (i.rule, i.source_cell.as_deref().unwrap())).collect();
        assert_eq!(cells, vec![("infant_ge_neonatal_deaths", "B2"), ("infant_ge_neonatal_deaths", "C2")]);
        assert_eq!(issues[0].observed.as_deref(), Some("3"));
        assert_eq!(issues[0].expected.as_deref(), Some(">= 5"));
        assert_eq!(kept[0].len(), 1, "the error withheld both sides");
        assert_eq!(kept[0][0].source_cell.as_deref(), Some("B3"));

        // never_skip counts the missing neonatal deaths as 0: 2 >= 0 passes.
        let mut cfg2 = cfg.clone();
        cfg2.rules.rules.iter_mut().find(|r| r.id == "infant_ge_neonatal_deaths").unwrap().missing = Missing::NeverSkip;
        let (_, _, stats) = run(&cfg2, files, &History::new());
        let s = stat(&stats, "infant_ge_neonatal_deaths");
        assert_eq!((s.passes, s.fails, s.missing), (1, 1, 0));
    }

    #[test]
    fn balance_over_age_with_parts_and_tolerance() {
        let cfg = with_rules(
            cfg(),
            "[[rule]]\nid = \"ages\"\nkind = \"balance\"\nover = \"age\"\nparts = [\"Y0T4\", \"Y5T9\"]\ndata_elements = [\"population\"]\ntolerance = 0.5\n",
        );
        let files = vec![vec![
            ob("population", A, "_T", "_T", Some(100.0), "B2"),
            ob("population", A, "_T", "Y0T4", Some(60.0), "C2"),
            ob("population", A, "_T", "Y5T9", Some(41.0), "D2"),
            // within the tolerance: 50 vs 30 + 20.4
            ob("population", B, "_T", "_T", Some(50.0), "B3"),
            ob("population", B, "_T", "Y0T4", Some(30.0), "C3"),
            ob("population", B, "_T", "Y5T9", Some(20.4), "D3"),
            // a part missing: not judged
            ob("population", B, "F", "_T", Some(25.0), "B4"),
            ob("population", B, "F", "Y0T4", Some(25.0), "C4"),
        ]];
        let (kept, issues, stats) = run(&cfg, files, &History::new());
        let s = stat(&stats, "ages");
        assert_eq!((s.items, s.passes, s.fails, s.missing), (3, 1, 1, 1));
        let f: Vec<&Issue> = issues.iter().filter(|i| i.rule == "ages").collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].source_cell.as_deref(), Some("B2"));
        assert_eq!(f[0].expected.as_deref(), Some("= 101 (±0.5)"));
        // A warning: every value stays, the three read are flagged.
        assert_eq!(kept[0].len(), 8);
        assert_eq!(kept[0].iter().filter(|o| o.flags.as_deref() == Some("ages")).count(), 3);
    }

    #[test]
    fn parent_area_balance_and_pair_in_catalogue_scope() {
        let cfg = with_rules(
            cfg(),
            "[[rule]]\nid = \"towns\"\nkind = \"balance\"\nover = \"area\"\ndata_elements = [\"live_births\"]\n\n[[rule]]\nid = \"needs_births\"\nkind = \"pair\"\nleft = [\"newborns_visited\"]\nright = [\"live_births\"]\n",
        );
        let root = cfg.areas.roots().next().unwrap().code.clone();
        let towns: Vec<String> = cfg.areas.list.iter().filter(|a| a.parent.as_deref() == Some(root.as_str())).map(|a| a.code.clone()).collect();
        let mut file: Vec<Observation> = towns.iter().enumerate().map(|(i, t)| ob("live_births", t, "_T", "_T", Some(10.0), &format!("B{}", i + 2))).collect();
        file.push(ob("live_births", &root, "_T", "_T", Some(10.0 * towns.len() as f64 + 3.0), "B99"));
        file.push(ob("newborns_visited", A, "_T", "_T", Some(9.0), "C2"));
        file.push(ob("newborns_visited", "421321400", "_T", "_T", Some(9.0), "C30"));
        // the farm's births are not reported: the pair fails there, and the county is not judged
        file.retain(|o| !(o.data_element == "live_births" && o.area == "421321400"));
        let (_, issues, stats) = run(&cfg, vec![file], &History::new());
        assert_eq!(stat(&stats, "towns").missing, 1);
        let p = stat(&stats, "needs_births");
        assert_eq!((p.passes, p.fails), (1, 1));
        let pair: Vec<&str> = issues.iter().filter(|i| i.rule == "needs_births").map(|i| i.source_cell.as_deref().unwrap()).collect();
        assert_eq!(pair, vec!["C30"]);

        // all towns reported: 21 × 10 = 210 against the county's 213
        let mut file: Vec<Observation> = towns.iter().enumerate().map(|(i, t)| ob("live_births", t, "_T", "_T", Some(10.0), &format!("B{}", i + 2))).collect();
        file.push(ob("live_births", &root, "_T", "_T", Some(10.0 * towns.len() as f64 + 3.0), "B99"));
        let (_, issues, _) = run(&cfg, vec![file], &History::new());
        let t: Vec<&Issue> = issues.iter().filter(|i| i.rule == "towns").collect();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].source_cell.as_deref(), Some("B99"));
        assert_eq!(t[0].expected, Some(format!("= {} (±0.5)", 10 * towns.len())));
    }

    #[test]
    fn duplicates_drop_the_copy_conflicts_withhold_all() {
        let cfg = cfg();
        let files = vec![
            vec![ob("live_births", A, "_T", "_T", Some(100.0), "B2"), ob("deliveries", A, "_T", "_T", Some(99.0), "C2")],
            vec![ob("live_births", A, "_T", "_T", Some(100.0), "B5"), ob("deliveries", A, "_T", "_T", Some(98.0), "C5")],
        ];
        let (kept, issues, _) = run(&cfg, files, &History::new());
        assert_eq!(kept[0].iter().map(|o| o.data_element.as_str()).collect::<Vec<_>>(), vec!["live_births"]);
        assert!(kept[1].is_empty());
        let got: Vec<(&str, &str)> = issues.iter().map(|i| (i.rule, i.source_cell.as_deref().unwrap())).collect();
        assert!(got.contains(&("duplicate", "B5")) && got.contains(&("conflict", "C2")) && got.contains(&("conflict", "C5")), "{got:?}");
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn outliers_against_the_database_history() {
        let cfg = cfg();
        let mut h = History::new();
        let years: BTreeMap<i32, f64> = [(2020, 100.0), (2021, 105.0), (2022, 98.0), (2023, 102.0)].into_iter().collect();
        h.insert(("live_births".into(), A.into(), "_T".into(), "_T".into(), "_T".into()), years.clone());
        h.insert(("live_births".into(), B.into(), "_T".into(), "_T".into(), "_T".into()), years);
        let files = vec![vec![ob("live_births", A, "_T", "_T", Some(1000.0), "B2"), ob("live_births", B, "_T", "_T", Some(110.0), "B3")]];
        let (kept, issues, stats) = run(&cfg, files, &h);
        let s = stat(&stats, "yoy_outlier");
        assert_eq!((s.passes, s.fails), (1, 1));
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].source_cell.as_deref(), Some("B2"));
        // median 101, MAD = median(1, 4, 3, 1) = 2 -> s = max(2/0.6745, sqrt(101)) = 10.05; z = 899/10.05
        let z = 899.0 / 101f64.sqrt();
        assert!(issues[0].message.contains(&format!("{z:.1}")), "{}", issues[0].message);
        assert_eq!(kept[0][0].flags.as_deref(), Some("yoy_outlier"));
    }

    #[test]
    fn modified_z_by_hand() {
        // history 10, 12, 11, 13: median 11.5, |dev| 1.5, .5, .5, 1.5 -> MAD 1.0
        let (z, med) = modified_z(20.0, &[10.0, 12.0, 11.0, 13.0], false).unwrap();
        assert_eq!(med, 11.5);
        assert!((z - 0.6745 * 8.5).abs() < 1e-12);
        // As a count the scale is at least sqrt(11.5) = 3.391 > 1/0.6745 = 1.483.
        let (z, _) = modified_z(20.0, &[10.0, 12.0, 11.0, 13.0], true).unwrap();
        assert!((z - 8.5 / 11.5f64.sqrt()).abs() < 1e-12);
        // MAD 0: history 5, 5, 5, 9 -> median 5, |dev| 0,0,0,4 -> MAD 0, mean AD 1
        let (z, _) = modified_z(10.0, &[5.0, 5.0, 5.0, 9.0], false).unwrap();
        assert!((z - 5.0 / 1.253314).abs() < 1e-12);
        // A constant history has no scale, unless it is a count.
        assert!(modified_z(10.0, &[5.0, 5.0, 5.0], false).is_none());
        let (z, _) = modified_z(10.0, &[5.0, 5.0, 5.0], true).unwrap();
        assert!((z - 5.0 / 5f64.sqrt()).abs() < 1e-12);
    }
}
