//! No silent loss from a rate: a town's reported numerator whose denominator is
//! missing (no value, "—") or withheld (a validation error) is left out of both
//! sums of every aggregate rate (see [`super::ratios`]), so its events are in no
//! county figure. Every such numerator becomes an issue (rule
//! `rate_denominator_missing`) naming the indicator, the town, the year, the
//! numerator's cell and the events left out — for every ratio indicator, not only
//! those with a declared pair rule. Numerators of 0 lose no event and are not listed.

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::ratios::Lost;
use crate::config::Config;
use crate::model::{Issue, RuleStat, Scope, StatKind};
use crate::util::fmt_num;

/// The rule's name (a built-in rule, `[severity]` can change its level).
pub const RULE: &str = "rate_denominator_missing";

/// The issues of the numerators left out, each with the cell of the numerator's
/// (first term's) reported value found in `values`, and the rule's counts.
pub fn issues(lost: &[Lost], values: &DataFrame, cfg: &Config) -> PolarsResult<(Vec<Issue>, RuleStat)> {
    let sev = cfg.rules.severity_of(RULE);
    let mut stat = RuleStat::new(
        RULE,
        StatKind::BuiltIn,
        sev,
        Scope::Catalogue,
        "a town's reported numerator of a rate has its denominator (else its events are in no aggregate)",
    );
    if lost.is_empty() {
        return Ok((Vec::new(), stat));
    }
    // (data element, area, year, sex, age, residence) -> row, for the data elements named.
    let wanted: rustc_hash::FxHashSet<&str> = lost.iter().map(|l| l.data_element.as_str()).collect();
    let s = |c: &str| -> PolarsResult<&StringChunked> { values.column(c)?.str() };
    let (de, area, sex, age, res) = (s("data_element")?, s("area")?, s("sex")?, s("age")?, s("residence")?);
    let (file, sheet, cell, form, sub) = (s("source_file")?, s("source_sheet")?, s("source_cell")?, s("form")?, s("submission")?);
    let year = values.column("year")?.cast(&DataType::Int32)?;
    let year = year.i32()?;
    let mut at: FxHashMap<(&str, &str, i32, &str, &str, &str), usize> = FxHashMap::default();
    for i in 0..values.height() {
        let Some(d) = de.get(i).filter(|d| wanted.contains(d)) else { continue };
        if let (Some(a), Some(y), Some(sx), Some(ag), Some(r)) = (area.get(i), year.get(i), sex.get(i), age.get(i), res.get(i)) {
            at.entry((d, a, y, sx, ag, r)).or_insert(i);
        }
    }
    let names: FxHashMap<&str, &str> = cfg.areas.list.iter().map(|a| (a.code.as_str(), a.name_zh.as_str())).collect();
    let mut out = Vec::with_capacity(lost.len());
    for l in lost {
        let Some(def) = cfg.catalogue.indicator(&l.indicator) else { continue };
        stat.items += 1;
        stat.fails += 1;
        let row = at.get(&(l.data_element.as_str(), l.area.as_str(), l.year, l.sex.as_str(), l.age.as_str(), l.residence.as_str())).copied();
        let town = names.get(l.area.as_str()).copied().unwrap_or(l.area.as_str());
        let group = match l.published_sex.as_deref() {
            Some("M") => "(男性)",
            _ => "",
        };
        let mut issue = Issue::new(
            sev,
            RULE,
            format!(
                "{}{group}:{town} {} 年分子 {} = {} 已报送,但分母({})缺失或被退回,这 {} 例未计入任何汇总比率(县级合计偏低)",
                def.name_zh,
                l.year,
                l.data_element,
                fmt_num(l.events),
                l.denominator,
                fmt_num(l.events),
            ),
        );
        issue.indicator = Some(l.indicator.clone());
        issue.data_element = Some(l.data_element.clone());
        issue.area = Some(l.area.clone());
        issue.year = Some(l.year);
        issue.sex = Some(l.sex.clone());
        issue.age = Some(l.age.clone());
        issue.observed = Some(fmt_num(l.events));
        issue.expected = Some("denominator reported".into());
        if let Some(i) = row {
            issue.source_file = file.get(i).map(str::to_string);
            issue.source_sheet = sheet.get(i).map(str::to_string);
            issue.source_cell = cell.get(i).map(str::to_string);
            issue.form = form.get(i).map(str::to_string);
            issue.submission = sub.get(i).map(str::to_string);
        }
        out.push(issue);
    }
    Ok((out, stat))
}
