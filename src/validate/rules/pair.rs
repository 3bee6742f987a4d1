//! The evaluator of `pair` rules: where a value on the left is reported, every
//! term on the right must be too.

use super::{cells, description_zh, each_key, present, read, side_sum, term_text, terms_list, Check, InScope, TermValue};
use crate::config::rules::{Missing, Pair};
use crate::config::{Config, Rule, Term};
use crate::i18n::Lang;
use crate::model::Issue;
use crate::util::fmt_num;
use crate::validate::{cell_of, issue_for, Batch, Ctx};

impl Check for Pair {
    fn looks_up(&self) -> bool {
        true
    }

    fn check_scope(&self, r: &Rule, scope: &InScope, batches: &[Batch], ctx: &mut Ctx) {
        let cfg = ctx.cfg;
        each_key(&self.left, &self.right, scope.idx, batches, ctx, |ctx, _, at, left, right| {
            if !present(left) {
                return;
            }
            if right.iter().all(|x| x.and_then(|(_, v)| v).is_some()) {
                ctx.stats.pass(r.id);
                return;
            }
            let o = &batches[at.0].observations[at.1];
            let needs = terms_list(&self.right, cfg);
            let msg = format!("{} is reported but {needs} is not: {}", cells(left, &self.left, batches, cfg), r.description);
            let mut issue = issue_for(o, r.severity, r.id, msg).expected(format!("a value of {needs}"));
            issue.observed = side_sum(left, Missing::NeverSkip, true).map(fmt_num);
            issue.message_zh = Some(message_zh(&issue, r, left, &self.left, &needs, batches, cfg));
            ctx.finding(batches, at, r.severity, r.id, issue, &read(left, right));
        });
    }
}

/// "表1!B7：未通过校验规则 r：已填报 活产数 12（表1!B7），但 产妇数 未填报（或已被退回）".
fn message_zh(issue: &Issue, r: &Rule, left: &[TermValue], terms: &[Term], needs: &str, batches: &[Batch], cfg: &Config) -> String {
    let place = crate::i18n::place_zh(issue.source_sheet.as_deref(), issue.source_cell.as_deref());
    let reported: Vec<String> = left
        .iter()
        .zip(terms)
        .filter_map(|(v, t)| {
            let (a, x) = (*v)?;
            let at = cell_of(&batches[a.0].observations[a.1]);
            Some(crate::t!(Lang::Zh, "issue-term-value", term = &term_text(t, cfg), value = &x.map(fmt_num).unwrap_or_else(|| "—".into()), at = &at))
        })
        .collect();
    let reported = reported.join(" + ");
    match description_zh(&r.description) {
        Some(d) => crate::t!(Lang::Zh, "issue-pair-missing-described", place = &place, rule = r.id, description = d, left = &reported, right = needs),
        None => crate::t!(Lang::Zh, "issue-pair-missing", place = &place, rule = r.id, left = &reported, right = needs),
    }
}
