//! Checks on computed indicator values (after compute, not on returns): a % above
//! its maximum, and an aggregate whose two sides cover different areas.

use polars::prelude::*;

use crate::config::Config;
use crate::model::{Issue, RuleStat, Scope, StatKind};
use crate::util::fmt_num;

/// The key columns of an indicator row, to say where a finding is.
struct RowKeys<'a> {
    code: &'a StringChunked,
    area: &'a StringChunked,
    year: &'a Int32Chunked,
    sex: &'a StringChunked,
    age: &'a StringChunked,
}

impl<'a> RowKeys<'a> {
    fn of(ind: &'a DataFrame) -> PolarsResult<Self> {
        let s = |c: &str| ind.column(c).and_then(|c| c.str());
        Ok(RowKeys { code: s("indicator")?, area: s("area")?, year: ind.column("year")?.i32()?, sex: s("sex")?, age: s("age")? })
    }

    fn place(&self, mut issue: Issue, indicator: &str, i: usize) -> Issue {
        issue.indicator = Some(indicator.to_string());
        issue.area = self.area.get(i).map(str::to_string);
        issue.year = self.year.get(i);
        issue.sex = self.sex.get(i).map(str::to_string);
        issue.age = self.age.get(i).map(str::to_string);
        issue
    }
}

/// Checks on computed indicator values: a % above 100 means a numerator
/// larger than its denominator somewhere in the sums (rule `indicator_out_of_range`).
pub fn indicator_checks(ind: &DataFrame, cfg: &Config, stats: &mut Vec<RuleStat>) -> PolarsResult<Vec<Issue>> {
    let rule = "indicator_out_of_range";
    let sev = cfg.rules.severity_of(rule);
    let mut stat = RuleStat::new(rule, StatKind::BuiltIn, sev, Scope::Catalogue, "a computed % lies within 0–100 (numerator <= denominator)");
    let mut out = Vec::new();
    if ind.height() > 0 {
        let keys = RowKeys::of(ind)?;
        let code = keys.code;
        let (unit, value, num, den) =
            (ind.column("unit")?.str()?, ind.column("value")?.f64()?, ind.column("numerator")?.f64()?, ind.column("denominator")?.f64()?);
        for i in 0..ind.height() {
            let (Some("%"), Some(v)) = (unit.get(i), value.get(i)) else { continue };
            let Some(def) = code.get(i).and_then(|c| cfg.catalogue.indicator(c)) else { continue };
            if def.factor != 100.0 || def.denominator.is_empty() {
                continue;
            }
            stat.items += 1;
            if (0.0..=def.max.unwrap_or(100.0) + 1e-9).contains(&v) {
                stat.passes += 1;
                continue;
            }
            stat.fails += 1;
            let issue = Issue::new(
                sev,
                rule,
                format!(
                    "{} = {}% : numerator {} exceeds denominator {}",
                    def.name_zh,
                    fmt_num((v * 100.0).round() / 100.0),
                    num.get(i).map(fmt_num).unwrap_or_default(),
                    den.get(i).map(fmt_num).unwrap_or_default()
                ),
            )
            .observed(fmt_num(v))
            .expected(format!("0..{}", def.max.unwrap_or(100.0)));
            out.push(keys.place(issue, &def.code, i));
        }
    }
    stats.push(stat);
    // An aggregate whose numerator and denominator come from different numbers of areas.
    let rule = "unpaired_aggregate";
    let sev = cfg.rules.severity_of(rule);
    let mut stat = RuleStat::new(rule, StatKind::BuiltIn, sev, Scope::Catalogue, "numerator_areas = denominator_areas for an aggregated ratio of single terms");
    if ind.height() > 0 {
        let keys = RowKeys::of(ind)?;
        let code = keys.code;
        let (na, da) = (ind.column("numerator_areas")?.u32()?, ind.column("denominator_areas")?.u32()?);
        for i in 0..ind.height() {
            let (Some(n), Some(d)) = (na.get(i), da.get(i)) else { continue };
            let Some(def) = code.get(i).and_then(|c| cfg.catalogue.indicator(c)) else { continue };
            if def.numerator.len() != 1 || def.denominator.len() != 1 || (n <= 1 && d <= 1) {
                continue;
            }
            stat.items += 1;
            if n == d {
                stat.passes += 1;
                continue;
            }
            stat.fails += 1;
            let issue = Issue::new(
                sev,
                rule,
                format!(
                    "{}: the numerator is summed over {n} areas but the denominator over {d}; the aggregate rate mixes coverage (see numerator_areas / denominator_areas)",
                    def.name_zh
                ),
            )
            .observed(format!("{n} / {d} areas"))
            .expected("the same areas on both sides");
            let mut issue = keys.place(issue, &def.code, i);
            let (area, year) = (issue.area.clone().unwrap_or_else(|| "—".into()), issue.year.map(|y| y.to_string()).unwrap_or_else(|| "—".into()));
            issue.message_zh =
                Some(crate::t!(crate::i18n::Lang::Zh, "issue-unpaired-aggregate-areas", indicator = &def.code, area = &area, year = &year, n = n, d = d));
            out.push(issue);
        }
    }
    stats.push(stat);
    Ok(out)
}
