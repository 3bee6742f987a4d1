//! The declared rules' evaluators, one file per rule kind (`compare.rs`,
//! `balance.rs`, `pair.rs`, `range.rs`), each implementing [`Check`] for its
//! kind's struct (`config::rules::<Kind>`); the dispatch from a rule's kind to
//! its evaluator is made from the one list of kinds (`for_each_rule_kind!`).
//! Here: what the evaluators share, the index of the values in a rule's scope
//! (all values for catalogue rules, one return for form rules), a term's value at
//! a key, and the Chinese message of a declared rule's finding.

use crate::config::rules::{Missing, RuleKind};
use crate::config::{Config, DataElement, Rule, Term};
use crate::i18n::Lang;
use crate::model::{Issue, StatKind};
use crate::util::fmt_num;
use crate::validate::{cell_of, At, Batch, Code, Ctx, Key5, Keys, Marks};

mod balance;
mod compare;
mod pair;
mod range;

/// A rule kind's evaluator. Every method has a default doing nothing, so a kind
/// implements the ones it needs: a check of each value on its own
/// (`check_value`, in the pass of the built-in range checks) or of the values of
/// a scope (`check_scope`, after the built-in checks).
pub(in crate::validate) trait Check {
    /// Whether [`Check::check_value`] checks anything (only such rules are asked, value by value).
    fn checks_values(&self) -> bool {
        false
    }

    /// Check the value at `at` (of data element `de`, value `v`).
    fn check_value(&self, _rule: &Rule, _at: At, _de: &DataElement, _v: f64, _batches: &[Batch], _ctx: &mut Ctx) {}

    /// Check the values of a scope: every value of the run (a catalogue rule) or one return's (a form rule).
    fn check_scope(&self, _rule: &Rule, _scope: &InScope, _batches: &[Batch], _ctx: &mut Ctx) {}

    /// Whether [`Check::check_scope`] looks values up by key in the scope's index
    /// (a form's index is only built when one of its rules does).
    fn looks_up(&self) -> bool {
        false
    }

    /// Whether the rule, in rules.toml, compares values of different area subtrees
    /// (then the run's values are validated as one group, see `validate::area_groups`).
    fn spans_subtrees(&self) -> bool {
        false
    }

    /// Whether a form's rule of this kind that checked nothing in a run with the
    /// form's returns is itself a warning (`balance_checked_nothing`).
    fn idle_is_a_finding(&self) -> bool {
        false
    }
}

macro_rules! check_of {
    ($($tag:literal => $variant:ident),* $(,)?) => {
        /// The evaluator of a rule's kind.
        pub(in crate::validate) fn check_of(kind: &RuleKind) -> &dyn Check {
            match kind {
                $(RuleKind::$variant(k) => k),*
            }
        }
    };
}

crate::for_each_rule_kind!(check_of);

/// The `rule_summary.kind` of a declared rule.
pub(in crate::validate) fn stat_kind(r: &Rule) -> StatKind {
    StatKind::Declared(r.kind.tag())
}

/// The values a rule checks: their places, indexed, and the returns they are of
/// (empty for a catalogue rule, which sees every value of the run).
pub(in crate::validate) struct InScope<'s, 'k, 'a> {
    pub values: &'s [At],
    pub idx: &'s Index<'k, 'a>,
    pub batches: &'s [usize],
}

/// (area, year, sex, age, residence) with "*" for a dimension every term pins.
type EvalKey<'a> = (Code<'a>, i32, Code<'a>, Code<'a>, Code<'a>);

/// One data element's values in a rule's scope: the first at each key, and all in order.
#[derive(Default)]
struct Element<'a> {
    at: rustc_hash::FxHashMap<EvalKey<'a>, At>,
    all: Vec<At>,
}

/// The values a rule sees, indexed once: by data element, then by the rest of the key.
/// A rule reads two or three data elements, so its lookups stay within a few small
/// tables (one table of every value missed the cache on most lookups).
/// Withheld values stay in the index; lookups skip them.
pub(in crate::validate) struct Index<'k, 'a> {
    keys: &'k Keys<'a>,
    /// Data element -> its place in `elements`.
    by_de: rustc_hash::FxHashMap<Code<'a>, usize>,
    elements: Vec<(Code<'a>, Element<'a>)>,
}

impl<'k, 'a> Index<'k, 'a> {
    pub(in crate::validate) fn new(scope: &[At], keys: &'k Keys<'a>, marks: &Marks) -> Self {
        let mut by_de: rustc_hash::FxHashMap<Code<'a>, usize> = rustc_hash::FxHashMap::default();
        let mut elements: Vec<(Code<'a>, Element<'a>)> = Vec::new();
        // A file's values of one data element come together: the element is looked up once
        // per run. First each value's element (and each element's size, to size its table once).
        let mut last: Option<(Code<'a>, usize)> = None;
        let mut placed: Vec<(At, u32)> = Vec::with_capacity(scope.len());
        for &a in scope {
            if marks.dropped[a.0][a.1] || marks.withheld[a.0][a.1] {
                continue;
            }
            let de = keys.of(a).0;
            let i = match last {
                Some((c, i)) if c == de => i,
                _ => {
                    let i = *by_de.entry(de).or_insert_with(|| {
                        elements.push((de, Element::default()));
                        elements.len() - 1
                    });
                    last = Some((de, i));
                    i
                }
            };
            elements[i].1.all.push(a);
            placed.push((a, i as u32));
        }
        for (_, e) in &mut elements {
            e.at.reserve(e.all.len());
        }
        for (a, i) in placed {
            let (_, area, year, sex, age, res) = keys.of(a);
            elements[i as usize].1.at.entry((area, year, sex, age, res)).or_insert(a);
        }
        Index { keys, by_de, elements }
    }

    fn element(&self, de: Code<'a>) -> Option<&Element<'a>> {
        self.by_de.get(&de).map(|&i| &self.elements[i].1)
    }

    /// Every value indexed, first at its key, with its whole key.
    fn entries(&self) -> impl Iterator<Item = (Key5<'a>, At)> + '_ {
        self.elements.iter().flat_map(|(de, e)| e.at.iter().map(move |(&(area, year, sex, age, res), &a)| ((*de, area, year, sex, age, res), a)))
    }

    /// The first value at a whole key, withheld or not.
    fn at(&self, k: &Key5<'a>) -> Option<At> {
        self.element(k.0)?.at.get(&(k.1, k.2, k.3, k.4, k.5)).copied()
    }

    /// A term's data element and pins, looked up once per rule instead of at every
    /// key; None when the values have no such element or pinned code (the term is
    /// then reported nowhere).
    fn resolve(&self, t: &Term) -> Option<Resolved<'_, 'a>> {
        let pin = |p: &Option<String>| -> Option<Option<Code<'a>>> {
            match p {
                Some(p) => Some(Some(self.keys.code(p)?)),
                None => Some(None),
            }
        };
        let element = self.element(self.keys.code(&t.data_element)?)?;
        Some(Resolved { element, pins: [pin(&t.sex)?, pin(&t.age)?, pin(&t.residence)?] })
    }

    /// The value of a (resolved) term at a key: (where, value); None when not reported or withheld.
    fn term(&self, t: Option<&Resolved<'_, 'a>>, k: &EvalKey<'a>, batches: &[Batch], marks: &Marks) -> Option<(At, Option<f64>)> {
        let t = t?;
        let [sex, age, res] = [(t.pins[0], k.2), (t.pins[1], k.3), (t.pins[2], k.4)].map(|(pin, at_key)| pin.unwrap_or(at_key));
        if *sex == *"*" || *age == *"*" || *res == *"*" {
            return None;
        }
        let a = *t.element.at.get(&(k.0, k.1, sex, age, res))?;
        marks.live(a).then(|| (a, batches[a.0].observations[a.1].value))
    }

    /// The places of a data element's values.
    fn of_element(&self, de: &str) -> &[At] {
        self.keys.code(de).and_then(|c| self.element(c)).map(|e| e.all.as_slice()).unwrap_or_default()
    }
}

/// A term of a rule with its codes looked up: its data element's values, and the
/// codes it pins sex, age and residence to (None: the key's own).
struct Resolved<'i, 'a> {
    element: &'i Element<'a>,
    pins: [Option<Code<'a>>; 3],
}

fn pinned(t: &Term) -> bool {
    t.sex.is_some() || t.age.is_some() || t.residence.is_some()
}

/// Every key at which a rule's terms have values.
fn eval_keys<'a>(terms: &[&Term], idx: &Index<'_, 'a>, batches: &[Batch], marks: &Marks) -> Vec<EvalKey<'a>> {
    let unpinned: Vec<&&Term> = terms.iter().filter(|t| !pinned(t)).collect();
    let from: Vec<&Term> = if unpinned.is_empty() { terms.to_vec() } else { unpinned.into_iter().copied().collect() };
    let star = idx.keys.star;
    let mut keys: rustc_hash::FxHashSet<EvalKey<'a>> = rustc_hash::FxHashSet::default();
    for t in &from {
        for &a in idx.of_element(&t.data_element) {
            if !marks.live(a) {
                continue;
            }
            let o = &batches[a.0].observations[a.1];
            let fits = |pin: &Option<String>, v: &str| pin.as_deref().is_none_or(|p| p == v);
            if !(fits(&t.sex, &o.sex) && fits(&t.age, &o.age) && fits(&t.residence, &o.residence)) {
                continue;
            }
            let (_, area, year, sex, age, res) = idx.keys.of(a);
            let star = |pin: &Option<String>, v: Code<'a>| -> Code<'a> {
                if pin.is_some() {
                    star
                } else {
                    v
                }
            };
            keys.insert((area, year, star(&t.sex, sex), star(&t.age, age), star(&t.residence, res)));
        }
    }
    let mut keys: Vec<EvalKey<'a>> = keys.into_iter().collect();
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

/// The values of a rule's two sides at every key where one of its terms has a value,
/// in key order: `f(ctx, key, where the finding is, left values, right values)`
/// (the finding is at the first value there is, left first).
fn each_key<'a>(
    left: &[Term],
    right: &[Term],
    idx: &Index<'_, 'a>,
    batches: &[Batch],
    ctx: &mut Ctx,
    mut f: impl FnMut(&mut Ctx, &EvalKey<'a>, At, &[TermValue], &[TermValue]),
) {
    let terms: Vec<&Term> = left.iter().chain(right.iter()).collect();
    let keys = eval_keys(&terms, idx, batches, &ctx.marks);
    // The terms' values at a key, in buffers kept from key to key.
    let (mut lv, mut rv): (Vec<TermValue>, Vec<TermValue>) = (Vec::new(), Vec::new());
    let (left_terms, right_terms): (Vec<_>, Vec<_>) = (left.iter().map(|t| idx.resolve(t)).collect(), right.iter().map(|t| idx.resolve(t)).collect());
    for k in keys {
        lv.clear();
        lv.extend(left_terms.iter().map(|t| idx.term(t.as_ref(), &k, batches, &ctx.marks)));
        rv.clear();
        rv.extend(right_terms.iter().map(|t| idx.term(t.as_ref(), &k, batches, &ctx.marks)));
        let Some(&at) = lv.iter().chain(rv.iter()).flatten().map(|(a, _)| a).next() else { continue };
        f(ctx, &k, at, &lv, &rv);
    }
}

/// Whether any of the values is there.
fn present(v: &[TermValue]) -> bool {
    v.iter().any(|x| x.and_then(|(_, v)| v).is_some())
}

/// The places of the values a finding read.
fn read(left: &[TermValue], right: &[TermValue]) -> Vec<At> {
    left.iter().chain(right.iter()).filter_map(|x| x.map(|(a, _)| a)).collect()
}

/// A side's terms with their values and cells: "活产数 12 (表1!B7) + …" ("… missing" for a term not there).
fn cells(side: &[TermValue], terms: &[Term], batches: &[Batch], cfg: &Config) -> String {
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
}

fn terms_list(terms: &[Term], cfg: &Config) -> String {
    terms.iter().map(|t| term_text(t, cfg)).collect::<Vec<_>>().join(" + ")
}

/// A rule's description when a Chinese message can say it: written in Chinese and
/// without English words (a word of three or more ASCII letters; codes such as
/// `live_births` or `Y0T4` are not words). A rule without a description has its
/// English formula, which is not said.
fn description_zh(description: &str) -> Option<&str> {
    let chinese = description.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let english = description.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()));
    (chinese && !english).then_some(description)
}

/// A declared rule's finding in Chinese: its place, id and (Chinese) description,
/// what was found and `expected` (as Chinese or symbols: `<= 12`, `= 7 (±0.5)`).
fn declared_zh(issue: &Issue, rule: &Rule, expected: &str) -> String {
    let place = crate::i18n::place_zh(issue.source_sheet.as_deref(), issue.source_cell.as_deref());
    let observed = issue.observed.as_deref().unwrap_or("—");
    match description_zh(&rule.description) {
        Some(d) => crate::t!(Lang::Zh, "issue-declared-described", place = &place, rule = rule.id, description = d, observed = observed, expected = expected),
        None => crate::t!(Lang::Zh, "issue-declared", place = &place, rule = rule.id, observed = observed, expected = expected),
    }
}

/// [`declared_zh`] with the issue's own `expected` (symbols and numbers).
fn with_zh(mut issue: Issue, rule: &Rule) -> Issue {
    let zh = declared_zh(&issue, rule, issue.expected.as_deref().unwrap_or("—"));
    issue.message_zh = Some(zh);
    issue
}

/// A term's value at a key: where it is and its value (None when not reported or withheld).
type TermValue = Option<(At, Option<f64>)>;
