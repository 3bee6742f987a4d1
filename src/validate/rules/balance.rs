//! The evaluator of `balance` rules: parts add up to the whole over sexes, age
//! groups or residence (among a scope's values), or over areas (a return's towns
//! to its 合计 row / 全县 column; in rules.toml, a reported parent to its areas).

use super::{side_sum, with_zh, Check, InScope, Index};
use crate::config::rules::{Balance, Missing, Over};
use crate::config::{Config, Rule};
use crate::model::{Issue, Severity};
use crate::util::fmt_num;
use crate::validate::{cell_of, issue_for, At, Batch, Code, Ctx, Key5, Keys};

impl Check for Balance {
    fn check_scope(&self, r: &Rule, scope: &InScope, batches: &[Batch], ctx: &mut Ctx) {
        match self.over {
            Over::Sex | Over::Age | Over::Residence => balance_dims(self, r, scope.values, scope.idx.keys, batches, ctx),
            Over::Area => balance_area(self, r, scope.idx, scope.batches, batches, ctx),
        }
    }

    fn spans_subtrees(&self) -> bool {
        self.over == Over::Area
    }

    fn idle_is_a_finding(&self) -> bool {
        true
    }
}

fn in_rule(b: &Balance, cfg: &Config, de: &str) -> bool {
    if b.data_elements.is_empty() {
        cfg.catalogue.data_element(de).is_some_and(|d| d.kind.additive())
    } else {
        b.data_elements.iter().any(|d| d == de)
    }
}

/// F + M = _T, U + R = _T, or age groups = all ages, among the values of a scope.
fn balance_dims<'a>(bal: &Balance, r: &Rule, scope: &[At], keys: &Keys<'a>, batches: &[Batch], ctx: &mut Ctx) {
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
                let inside = in_rule(bal, cfg, &de);
                covered = Some((de, inside));
                inside
            }
        };
        if !inside {
            continue;
        }
        let (part_dim, other1, other2) = match bal.over {
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
        if bal.over == Over::Residence && parts.is_empty() {
            continue;
        }
        let wanted: Vec<String> = match (bal.over, bal.parts.is_empty()) {
            (Over::Sex, _) => vec!["F".into(), "M".into()],
            (Over::Residence, _) => vec!["U".into(), "R".into()],
            (_, false) => bal.parts.clone(),
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
        if (total - sum).abs() <= bal.tolerance {
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
        let issue = issue_for(wo, r.severity, r.id, msg).expected(format!("= {} (±{})", fmt_num(sum), bal.tolerance));
        let read: Vec<At> = std::iter::once(w).chain(vals.iter().filter_map(|v| v.map(|x| x.0))).collect();
        ctx.finding(batches, w, r.severity, r.id, with_zh(issue, r), &read);
    }
}

/// Areas add up to the return's 合计 row / 全县 column (form scope), or to the
/// reported parent area when every child is reported (catalogue scope).
fn balance_area(bal: &Balance, r: &Rule, idx: &Index<'_, '_>, batch_scope: &[usize], batches: &[Batch], ctx: &mut Ctx) {
    let cfg = ctx.cfg;
    if batch_scope.is_empty() {
        // Catalogue scope: parent vs its children.
        let mut parents: Vec<(Key5, At)> = idx.entries().collect();
        parents.sort_by(|a, b| a.0.cmp(&b.0));
        for ((de, area, year, sex, age, res), w) in parents {
            if !in_rule(bal, cfg, &de) {
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
            if (total - sum).abs() <= bal.tolerance {
                ctx.stats.pass(r.id);
                continue;
            }
            let msg = format!("the value for {area} ({}) is not the sum of its {} areas ({})", fmt_num(total), children.len(), fmt_num(sum));
            let issue = issue_for(wo, r.severity, r.id, msg).expected(format!("= {} (±{})", fmt_num(sum), bal.tolerance));
            let read: Vec<At> = std::iter::once(w).chain(vals.iter().flatten().copied()).collect();
            ctx.finding(batches, w, r.severity, r.id, with_zh(issue, r), &read);
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
            if !in_rule(bal, cfg, &c.data_element) {
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
            if (c.value - sum).abs() <= bal.tolerance {
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
                .expected(format!("= {} (±{})", fmt_num(sum), bal.tolerance));
            issue.data_element = Some(c.data_element.clone());
            issue.year = Some(c.year);
            issue.sex = Some(c.sex.clone());
            issue.age = Some(c.age.clone());
            issue.form = first.form.as_deref().map(str::to_string);
            issue.submission = first.submission.as_deref().map(str::to_string);
            ctx.finding(batches, parts[0], r.severity, r.id, with_zh(issue, r), parts);
        }
    }
}

/// "D7" -> (7, "D").
fn split_a1(cell: &str) -> (u32, String) {
    let col: String = cell.chars().take_while(|c| c.is_ascii_uppercase()).collect();
    (cell[col.len()..].parse().unwrap_or(0), col)
}
