//! The evaluator of `range` rules: each value of the named data elements within
//! [min, max] (and whole), checked with the built-in range checks, value by value.

use super::{declared_zh, Check};
use crate::config::rules::Range;
use crate::config::{DataElement, Rule};
use crate::i18n::Lang;
use crate::util::fmt_num;
use crate::validate::{issue_for, At, Batch, Ctx};

impl Check for Range {
    fn checks_values(&self) -> bool {
        true
    }

    fn check_value(&self, r: &Rule, at: At, de: &DataElement, v: f64, batches: &[Batch], ctx: &mut Ctx) {
        let o = &batches[at.0].observations[at.1];
        if !self.data_elements.iter().any(|d| **d == *o.data_element) || (r.scope != "catalogue" && o.form.as_deref() != Some(r.scope.as_str())) {
            return;
        }
        if self.holds(v) {
            ctx.stats.pass(r.id);
            return;
        }
        let msg = format!("{} = {} breaks {}: {}", de.name_zh, fmt_num(v), r.id, r.description);
        let mut issue = issue_for(o, r.severity, r.id, msg).expected(r.expression());
        issue.message_zh = Some(declared_zh(&issue, r, &expected_zh(self)));
        ctx.finding(batches, at, r.severity, r.id, issue, &[at]);
    }
}

/// The bounds in Chinese: "0 至 100 之间的整数", "不小于 0", "整数" …
fn expected_zh(range: &Range) -> String {
    let (min, max) = (range.min.map(fmt_num).unwrap_or_default(), range.max.map(fmt_num).unwrap_or_default());
    let bounds = match (range.min, range.max) {
        (Some(_), Some(_)) => "issue-range-between",
        (Some(_), None) => "issue-range-min",
        (None, Some(_)) => "issue-range-max",
        (None, None) => return crate::t!(Lang::Zh, "issue-range-integer"),
    };
    let id = if range.integer { format!("{bounds}-integer") } else { bounds.to_string() };
    crate::t!(Lang::Zh, &id, min = &min, max = &max)
}
