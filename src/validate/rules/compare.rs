//! The evaluator of `compare` rules: `Σleft op Σright` at every key where one of
//! the terms has a value, with the rule's missing-value strategy.

use super::{cells, each_key, read, side_sum, with_zh, Check, InScope};
use crate::config::rules::Compare;
use crate::config::Rule;
use crate::util::fmt_num;
use crate::validate::{issue_for, Batch, Ctx};

impl Check for Compare {
    fn looks_up(&self) -> bool {
        true
    }

    fn check_scope(&self, r: &Rule, scope: &InScope, batches: &[Batch], ctx: &mut Ctx) {
        let cfg = ctx.cfg;
        each_key(&self.left, &self.right, scope.idx, batches, ctx, |ctx, k, at, left, right| {
            let any = super::present(left) || super::present(right);
            let (Some(l), Some(rv)) = (side_sum(left, r.missing, any), side_sum(right, r.missing, any)) else {
                ctx.stats.missing(r.id);
                return;
            };
            if self.op.holds(l, rv, self.tolerance) {
                ctx.stats.pass(r.id);
                return;
            }
            let o = &batches[at.0].observations[at.1];
            let msg = format!(
                "{} {} {} does not hold: {}",
                cells(left, &self.left, batches, cfg),
                self.op.as_str(),
                cells(right, &self.right, batches, cfg),
                r.description
            );
            let mut issue = issue_for(o, r.severity, r.id, msg).expected(format!("{} {}", self.op.as_str(), fmt_num(rv)));
            issue.observed = Some(fmt_num(l));
            issue.sex = Some(k.2.to_string());
            issue.age = Some(k.3.to_string());
            ctx.finding(batches, at, r.severity, r.id, with_zh(issue, r), &read(left, right));
        });
    }
}
