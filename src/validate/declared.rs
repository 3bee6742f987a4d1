//! The declared `compare`, `pair` and `balance` rules, evaluated over an index
//! of the values in their scope (all values for catalogue rules, one return for form rules).

use super::*;

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
pub(super) struct Index<'k, 'a> {
    keys: &'k Keys<'a>,
    /// Data element -> its place in `elements`.
    by_de: rustc_hash::FxHashMap<Code<'a>, usize>,
    elements: Vec<(Code<'a>, Element<'a>)>,
}

impl<'k, 'a> Index<'k, 'a> {
    pub(super) fn new(scope: &[At], keys: &'k Keys<'a>, marks: &Marks) -> Self {
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

/// A declared compare / pair / balance rule on a scope of values.
pub(super) fn declared(r: &Rule, scope: &[At], idx: &Index<'_, '_>, batch_scope: &[usize], batches: &[Batch], ctx: &mut Ctx) {
    match r.kind {
        RuleKind::Range => {}
        RuleKind::Compare | RuleKind::Pair => compare(r, idx, batches, ctx),
        RuleKind::Balance => match r.over {
            Over::Sex | Over::Age | Over::Residence => balance_dims(r, scope, idx.keys, batches, ctx),
            Over::Area => balance_area(r, idx, batch_scope, batches, ctx),
        },
    }
}

/// A term's value at a key: where it is and its value (None when not reported or withheld).
type TermValue = Option<(At, Option<f64>)>;

fn compare(r: &Rule, idx: &Index<'_, '_>, batches: &[Batch], ctx: &mut Ctx) {
    let terms: Vec<&Term> = r.left.iter().chain(r.right.iter()).collect();
    let keys = eval_keys(&terms, idx, batches, &ctx.marks);
    let cfg = ctx.cfg;
    // The terms' values at a key, in buffers kept from key to key.
    let (mut left, mut right): (Vec<TermValue>, Vec<TermValue>) = (Vec::new(), Vec::new());
    let (left_terms, right_terms): (Vec<_>, Vec<_>) = (r.left.iter().map(|t| idx.resolve(t)).collect(), r.right.iter().map(|t| idx.resolve(t)).collect());
    for k in keys {
        left.clear();
        left.extend(left_terms.iter().map(|t| idx.term(t.as_ref(), &k, batches, &ctx.marks)));
        right.clear();
        right.extend(right_terms.iter().map(|t| idx.term(t.as_ref(), &k, batches, &ctx.marks)));
        let present = |v: &[Option<(At, Option<f64>)>]| v.iter().any(|x| x.and_then(|(_, v)| v).is_some());
        let any = present(&left) || present(&right);
        // The values a finding reads (only needed when the check fails).
        let read = || -> Vec<At> { left.iter().chain(right.iter()).filter_map(|x| x.map(|(a, _)| a)).collect() };
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
                ctx.finding(batches, at, r.severity, r.id, issue, &read());
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
        ctx.finding(batches, at, r.severity, r.id, issue, &read());
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

/// F + M = _T, U + R = _T, or age groups = all ages, among the values of a scope.
fn balance_dims<'a>(r: &Rule, scope: &[At], keys: &Keys<'a>, batches: &[Batch], ctx: &mut Ctx) {
    let cfg = ctx.cfg;
    // (de, area, year, other dims) -> (whole, parts), hashed by the codes' pointers,
    // then taken in key order (codes order by their text).
    type G<'a> = rustc_hash::FxHashMap<(Code<'a>, Code<'a>, i32, Code<'a>, Code<'a>), (Option<At>, Vec<(Code<'a>, At)>)>;
    let mut groups: G = G::default();
    // Whether the rule covers a data element, for the last one seen (values of one come together).
    let mut covered: Option<(Code<'a>, bool)> = None;
    for &a in scope {
        if ctx.marks.dropped[a.0][a.1] || batches[a.0].observations[a.1].derived {
            continue;
        }
        let (de, area, year, sex, age, res) = keys.of(a);
        let inside = match covered {
            Some((c, inside)) if c == de => inside,
            _ => {
                let inside = in_rule(r, cfg, &de);
                covered = Some((de, inside));
                inside
            }
        };
        if !inside {
            continue;
        }
        let (part_dim, other1, other2) = match r.over {
            Over::Sex => (sex, age, res),
            Over::Residence => (res, sex, age),
            _ => (age, sex, res),
        };
        let g = groups.entry((de, area, year, other1, other2)).or_default();
        if &*part_dim == "_T" {
            g.0 = Some(a);
        } else {
            g.1.push((part_dim, a));
        }
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, (whole, parts)) in groups {
        let Some(w) = whole else { continue };
        // A total no return splits by residence (a sex's or an age group's) is no residence balance.
        if r.over == Over::Residence && parts.is_empty() {
            continue;
        }
        let wanted: Vec<String> = match (r.over, r.parts.is_empty()) {
            (Over::Sex, _) => vec!["F".into(), "M".into()],
            (Over::Residence, _) => vec!["U".into(), "R".into()],
            (_, false) => r.parts.clone(),
            (_, true) => parts.iter().map(|p| p.0.to_string()).collect(),
        };
        if wanted.is_empty() {
            continue;
        }
        let vals: Vec<Option<(At, Option<f64>)>> =
            wanted.iter().map(|code| parts.iter().find(|p| *p.0 == **code).map(|p| (p.1, batches[p.1 .0].observations[p.1 .1].value))).collect();
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
fn balance_area(r: &Rule, idx: &Index<'_, '_>, batch_scope: &[usize], batches: &[Batch], ctx: &mut Ctx) {
    let cfg = ctx.cfg;
    if batch_scope.is_empty() {
        // Catalogue scope: parent vs its children.
        let mut parents: Vec<(Key5, At)> = idx.entries().collect();
        parents.sort_by(|a, b| a.0.cmp(&b.0));
        for ((de, area, year, sex, age, res), w) in parents {
            if !in_rule(r, cfg, &de) {
                continue;
            }
            let children: Vec<&str> = cfg.areas.list.iter().filter(|a| a.parent.as_deref() == Some(&*area)).map(|a| a.code.as_str()).collect();
            if children.is_empty() {
                continue;
            }
            // A child no value names cannot be in the index.
            let vals: Vec<Option<At>> = children.iter().map(|c| idx.keys.code(c).and_then(|c| idx.at(&(de, c, year, sex, age, res)))).collect();
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
    /// (data element, year, sex, age, residence)
    type PartKey<'o> = (&'o str, i32, &'o str, &'o str, &'o str);
    for &b in batch_scope {
        let batch = &batches[b];
        // The return's values by key, in cell order: made when the first total is checked.
        let mut by_key: Option<rustc_hash::FxHashMap<PartKey, Vec<At>>> = None;
        for c in batch.controls {
            if !in_rule(r, cfg, &c.data_element) {
                continue;
            }
            let by_key = by_key.get_or_insert_with(|| {
                let mut m: rustc_hash::FxHashMap<PartKey, Vec<At>> = rustc_hash::FxHashMap::default();
                for (i, o) in batch.observations.iter().enumerate() {
                    if !ctx.marks.dropped[b][i] && !o.derived {
                        m.entry((&o.data_element, o.year, &o.sex, &o.age, &o.residence)).or_default().push((b, i));
                    }
                }
                m
            });
            let Some(parts) = by_key.get(&(c.data_element.as_str(), c.year, c.sex.as_str(), c.age.as_str(), c.residence.as_str())) else {
                continue;
            };
            let parts = parts.as_slice();
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
            issue.form = first.form.as_deref().map(str::to_string);
            issue.submission = first.submission.as_deref().map(str::to_string);
            ctx.finding(batches, parts[0], r.severity, r.id, issue, parts);
        }
    }
}

/// "D7" -> (7, "D").
pub(super) fn split_a1(cell: &str) -> (u32, String) {
    let col: String = cell.chars().take_while(|c| c.is_ascii_uppercase()).collect();
    (cell[col.len()..].parse().unwrap_or(0), col)
}
