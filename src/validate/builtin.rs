//! The built-in checks: ranges by unit and kind (and `range` rules), one value
//! per key (`duplicate`, `conflict`), and 其中:女 within 合计.

use super::rules::{check_of, Check};
use super::*;
use crate::i18n::Lang;

/// Built-in range checks by unit and kind, the catalogue's min/max, and declared `range` rules.
pub(super) fn ranges(batches: &[Batch], ctx: &mut Ctx) {
    let cfg = ctx.cfg;
    // Declared rules checked value by value (`range`), each with its evaluator.
    let value_rules: Vec<(&Rule, &dyn Check)> = cfg
        .rules
        .rules
        .iter()
        .chain(cfg.forms.iter().flat_map(|f| f.rules.iter()))
        .map(|r| (r, check_of(&r.kind)))
        .filter(|(_, c)| c.checks_values())
        .collect();
    // Each data element's entry, by the address of its shared code: a file's values hold
    // a few codes, in turn (a row of a return is a value of each column's element), so
    // its text is hashed once per file instead of once per value.
    let mut entry_at: rustc_hash::FxHashMap<usize, Option<&crate::config::DataElement>> = rustc_hash::FxHashMap::default();
    for (b, batch) in batches.iter().enumerate() {
        entry_at.clear();
        for (i, o) in batch.observations.iter().enumerate() {
            let de = *entry_at.entry(o.data_element.as_ptr() as usize).or_insert_with(|| cfg.catalogue.data_element(&o.data_element));
            let Some(de) = de else { continue };
            let Some(v) = o.value else { continue };
            // The message and the expected range are only written for a value that fails.
            let check = |ctx: &mut Ctx, rule: &'static str, ok: bool, msg: &dyn Fn() -> String, expected: &dyn Fn() -> String| {
                if ok {
                    ctx.stats.pass(rule);
                } else {
                    let sev = cfg.rules.severity_of(rule);
                    let issue = issue_for(o, sev, rule, msg()).expected(expected());
                    ctx.finding(batches, (b, i), sev, rule, issue, &[(b, i)]);
                }
            };
            if de.min.is_some() || de.max.is_some() {
                let (lo, hi) = (de.min.unwrap_or(f64::NEG_INFINITY), de.max.unwrap_or(f64::INFINITY));
                let exp = || format!("{}..{}", de.min.map(fmt_num).unwrap_or_default(), de.max.map(fmt_num).unwrap_or_default());
                check(ctx, "out_of_range", (lo..=hi).contains(&v), &|| format!("{} must lie within {} {}", de.name_zh, exp(), de.unit), &exp);
            } else {
                match de.kind {
                    Kind::Count => {
                        check(ctx, "negative_count", v >= 0.0, &|| format!("{} cannot be negative", de.name_zh), &|| ">= 0".into());
                        if v >= 0.0 {
                            check(ctx, "non_integer_count", v.fract() == 0.0, &|| format!("{} should be a whole number", de.name_zh), &|| "integer".into());
                        }
                    }
                    Kind::Amount => check(ctx, "negative_amount", v >= 0.0, &|| format!("{} is negative", de.name_zh), &|| ">= 0".into()),
                    Kind::Rate => {
                        let limit = match de.unit.as_str() {
                            "%" => Some(100.0),
                            "‰" => Some(1000.0),
                            _ => None,
                        };
                        if let Some(l) = limit {
                            check(ctx, "rate_out_of_range", (0.0..=l).contains(&v), &|| format!("{} must lie within 0–{l}{}", de.name_zh, de.unit), &|| {
                                format!("0..{l}")
                            });
                        }
                    }
                }
            }
            for (r, c) in &value_rules {
                c.check_value(r, (b, i), de, v, batches, ctx);
            }
        }
    }
}

/// The same key from two cells: the same value is a `duplicate` (later copies
/// dropped), different values a `conflict` (every copy withheld on error).
pub(super) fn one_value_per_key(batches: &[Batch], keys: &Keys, ctx: &mut Ctx) {
    // First pass: the first place and the count of each key (no allocation per key),
    // in a table per data element: a file's values of one element come together, so
    // the table at hand is small and stays in cache (one table of every value did not).
    type Rest<'a> = (Code<'a>, i32, Code<'a>, Code<'a>, Code<'a>);
    /// A data element, how many values it has, and its keys: (first place, count).
    type Element<'a> = (Code<'a>, usize, rustc_hash::FxHashMap<Rest<'a>, (At, u32)>);
    let mut element_of: rustc_hash::FxHashMap<Code, usize> = rustc_hash::FxHashMap::default();
    let mut elements: Vec<Element> = Vec::new();
    let mut placed: Vec<(At, u32)> = Vec::with_capacity(batches.iter().map(|b| b.observations.len()).sum());
    let mut last: Option<(Code, usize)> = None;
    for (b, batch) in batches.iter().enumerate() {
        for (i, o) in batch.observations.iter().enumerate() {
            if ctx.marks.live((b, i)) && !o.derived {
                let de = keys.of((b, i)).0;
                let e = match last {
                    Some((c, e)) if c == de => e,
                    _ => {
                        let e = *element_of.entry(de).or_insert_with(|| {
                            elements.push((de, 0, Default::default()));
                            elements.len() - 1
                        });
                        last = Some((de, e));
                        e
                    }
                };
                elements[e].1 += 1;
                placed.push(((b, i), e as u32));
            }
        }
    }
    for (_, n, table) in &mut elements {
        table.reserve(*n);
    }
    for (a, e) in placed {
        let (_, area, year, sex, age, res) = keys.of(a);
        elements[e as usize].2.entry((area, year, sex, age, res)).and_modify(|c| c.1 += 1).or_insert((a, 1));
    }
    let singles = elements.iter().map(|(_, _, t)| t.values().filter(|c| c.1 == 1).count() as u64).sum::<u64>();
    for rule in ["duplicate", "conflict"] {
        if let Some(s) = ctx.stats.get_mut(rule) {
            s.items += singles;
            s.passes += singles;
        }
    }
    // Second pass: every place of the keys seen more than once, in file and cell order.
    let mut multi: rustc_hash::FxHashMap<Key5, Vec<At>> = elements
        .into_iter()
        .flat_map(|(de, _, table)| {
            table.into_iter().filter(|(_, c)| c.1 > 1).map(move |((area, year, sex, age, res), _)| ((de, area, year, sex, age, res), Vec::new()))
        })
        .collect();
    if !multi.is_empty() {
        for (b, batch) in batches.iter().enumerate() {
            for (i, o) in batch.observations.iter().enumerate() {
                if ctx.marks.live((b, i)) && !o.derived {
                    if let Some(v) = multi.get_mut(&keys.of((b, i))) {
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
                let place = crate::i18n::place_zh(issue.source_sheet.as_deref(), issue.source_cell.as_deref());
                let issue = issue.zh(crate::t!(Lang::Zh, "issue-duplicate-kept", place = &place, kept = &where_first));
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
        let what_zh = if sev == Severity::Error { "issue-conflict-withheld" } else { "issue-conflict-first-kept" };
        let values_zh: Vec<String> = at
            .iter()
            .map(|&a| {
                let o = obs(a);
                let place = format!("{} {}", o.source_file.as_deref().unwrap_or("?"), cell_of(o));
                crate::t!(Lang::Zh, "issue-conflict-value", value = &o.value.map(fmt_num).unwrap_or_else(|| "—".into()), at = &place)
            })
            .collect();
        for (n, &a) in at.iter().enumerate() {
            let o = obs(a);
            let others: Vec<&String> = values.iter().enumerate().filter(|(m, _)| *m != n).map(|(_, v)| v).collect();
            let others: Vec<&str> = others.iter().map(|s| s.as_str()).collect();
            let issue =
                issue_for(o, sev, "conflict", format!("different values for the same key: {}; {what}", values.join(" vs "))).expected(others.join("; "));
            let others_zh: Vec<&str> = values_zh.iter().enumerate().filter(|(m, _)| *m != n).map(|(_, v)| v.as_str()).collect();
            let place = crate::i18n::place_zh(issue.source_sheet.as_deref(), issue.source_cell.as_deref());
            let observed = issue.observed.clone().unwrap_or_else(|| "—".into());
            let issue = issue.zh(crate::t!(Lang::Zh, what_zh, place = &place, observed = &observed, others = &others_zh.join("；")));
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
pub(super) fn female_within_total(batches: &[Batch], keys: &Keys, ctx: &mut Ctx) {
    let sev = ctx.cfg.rules.severity_of("female_exceeds_total");
    for b in 0..batches.len() {
        // (data element, area, year, age, residence) -> the places of 合计 and 其中:女
        type Pair<'a> = (Code<'a>, Code<'a>, i32, Code<'a>, Code<'a>);
        let mut by: rustc_hash::FxHashMap<Pair, [Option<usize>; 2]> = rustc_hash::FxHashMap::default();
        by.reserve(batches[b].observations.len());
        for (i, o) in batches[b].observations.iter().enumerate() {
            let additive = ctx.cfg.catalogue.data_element(&o.data_element).is_some_and(|d| d.kind.additive());
            if !additive || !ctx.marks.live((b, i)) || o.value.is_none() {
                continue;
            }
            let slot = match &*o.sex {
                "_T" => 0,
                "F" => 1,
                _ => continue,
            };
            let (de, area, year, _, age, res) = keys.of((b, i));
            by.entry((de, area, year, age, res)).or_default()[slot] = Some(i);
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
            let issue =
                issue_for(of, sev, "female_exceeds_total", format!("其中:女 ({}) is larger than the total ({}, {})", fmt_num(vf), fmt_num(vt), cell_of(ot)))
                    .expected(format!("<= {}", fmt_num(vt)));
            ctx.finding(batches, (b, f), sev, "female_exceeds_total", issue, &[(b, t), (b, f)]);
        }
    }
}
