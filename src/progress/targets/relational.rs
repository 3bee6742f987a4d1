//! `relational`: an indicator against another of the same area, year and sex
//! (`compare_with`, W36 ≥ W35): the series of differences `value − reference`
//! assessed against 0 (`at_least`: d ≥ 0; `about`: |d| ≤ tolerance) with
//! [`method::assess`], so the status, progress ratio (linear form), projection
//! and warnings are those of the gap to the reference; one row, for the last
//! target year.

use super::{Cx, Evaluate, One};
use crate::config::catalogue::{Comparison, RelationalTarget, TargetKind};
use crate::config::Indicator;
use crate::progress::method::{self, Goal, Point};
use crate::progress::rows::ProgressRow;

impl Evaluate for RelationalTarget {
    fn rows(&self, one: &One<'_>, cx: &Cx<'_>) -> Vec<ProgressRow> {
        let (def, rows) = (one.def, one.rows);
        let (code, area, sex, _) = one.key;
        let reference = self.compare_with.as_str();
        let ref_age = cx.cfg.catalogue.indicator(reference).and_then(|r| r.age.as_deref()).unwrap_or("_T");
        let Some(ref_rows) = cx.by_key.get(&(reference, area, sex, ref_age, "_T")) else { return Vec::new() };
        // (year, own value, reference value), years where both exist.
        let pairs: Vec<(i32, f64, f64)> = rows
            .iter()
            .filter_map(|(_, r)| {
                let v = r.value?;
                let other = ref_rows.iter().find(|x| x.1.year == r.year)?.1.value?;
                Some((r.year, v, other))
            })
            .collect();
        let goal = match self.comparison {
            Comparison::AtLeast => Goal::AtLeast(0.0),
            Comparison::About => Goal::About { value: 0.0, tolerance: self.tolerance.unwrap_or(0.0).abs() },
        };
        let diffs: Vec<Point> = pairs.iter().map(|&(y, v, r)| Point { year: y, value: v - r, ci_low: None, ci_high: None }).collect();
        let a = method::assess(&diffs, goal, cx.last_target_year, Some(def.base_year()), cx.last_data_year, &cx.p);
        let first = pairs.iter().find(|x| Some(x.0) == a.baseline_year);
        let last = pairs.last();
        let mut r = ProgressRow::new(one.key, cx.last_target_year, TargetKind::Relational);
        // The target is the reference's latest value (± the tolerance for "about").
        let tol = match goal {
            Goal::About { tolerance, .. } => Some(tolerance),
            _ => None,
        };
        r.target_value = last.map(|x| x.2);
        r.target_low = tol.and_then(|t| last.map(|x| x.2 - t));
        r.target_high = tol.and_then(|t| last.map(|x| x.2 + t));
        r.baseline_year = a.baseline_year;
        r.baseline_value = first.map(|x| x.1);
        r.latest_year = a.latest_year;
        r.latest_value = last.map(|x| x.1);
        // Projected: the reference's latest value plus the projected gap.
        r.projected_value = a.projected_value.and_then(|d| last.map(|x| x.2 + d));
        r.progress_ratio = a.progress_ratio;
        r.observed_rate = a.observed_rate;
        r.required_rate = a.required_rate;
        r.method = format!("relational_{}", a.method);
        r.series = "annual".into();
        r.status = a.status;
        r.warnings = a.warnings.iter().map(|w| w.code()).collect();
        let gap = last.map(|x| format!("{} − {reference} = {} in {}", code, crate::util::fmt_num(((x.1 - x.2) * 100.0).round() / 100.0), x.0));
        let texts: Vec<String> = gap.into_iter().chain(a.warnings.iter().map(|w| w.reason())).collect();
        r.warning_text = Some(texts.join("; "));
        let gap_zh = last.map(|x| {
            let d = crate::util::fmt_num(((x.1 - x.2) * 100.0).round() / 100.0);
            crate::t!(crate::i18n::Lang::Zh, "relational-gap", code = code, reference = reference, gap = &d, year = &x.0.to_string())
        });
        let texts_zh: Vec<String> = gap_zh.into_iter().chain(a.warnings.iter().map(|w| w.reason_zh())).collect();
        r.warning_text_zh = Some(texts_zh.join("；"));
        vec![r]
    }

    /// One row, for the last target year: `insufficient_data`.
    fn no_data(&self, def: &Indicator, root: &str, cx: &Cx<'_>) -> Vec<ProgressRow> {
        let key = (def.code.as_str(), root, def.sex.as_deref().unwrap_or("_T"), def.age.as_deref().unwrap_or("_T"));
        vec![ProgressRow::no_data(key, cx.last_target_year, TargetKind::Relational)]
    }
}
