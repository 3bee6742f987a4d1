//! The kinds that are a goal by target year (`level`, `range`, `relative`): each
//! year's goal assessed on the series by [`method::assess`], or, for a small count
//! of events, by [`method::assess_windows`] on two pooled windows.

use super::{Cx, Evaluate, One};
use crate::config::catalogue::TargetKind;
use crate::config::Indicator;
use crate::progress::method::{self, Goal, Point};
use crate::progress::rows::ProgressRow;
use crate::progress::series::small_count_windows;

/// A kind that is a goal by target year.
pub(super) trait Goals {
    fn kind(&self) -> TargetKind;
    /// The goal for `target_year` (None: no target that year); `base`: the value
    /// at the base year (a relative target's base).
    fn goal(&self, target_year: i32, base: Option<f64>, cx: &Cx<'_>) -> Option<Goal>;
    /// The target columns (value, low, high) of the row saying no return reports
    /// the indicator, for `target_year`; None: no row that year.
    fn no_data_target(&self, target_year: i32, cx: &Cx<'_>) -> Option<[Option<f64>; 3]>;
}

impl<T: Goals + ?Sized> Goals for &T {
    fn kind(&self) -> TargetKind {
        (**self).kind()
    }
    fn goal(&self, target_year: i32, base: Option<f64>, cx: &Cx<'_>) -> Option<Goal> {
        (**self).goal(target_year, base, cx)
    }
    fn no_data_target(&self, target_year: i32, cx: &Cx<'_>) -> Option<[Option<f64>; 3]> {
        (**self).no_data_target(target_year, cx)
    }
}

/// A goal kind's evaluator.
pub(super) struct ByGoal<G>(pub(super) G);

impl<G: Goals> Evaluate for ByGoal<G> {
    /// One row per target year with a goal. Small counts of events are assessed
    /// from two pooled windows of the same length (see [`method::assess_windows`]),
    /// and the series says so; stocks are exact and never small.
    fn rows(&self, one: &One<'_>, cx: &Cx<'_>) -> Vec<ProgressRow> {
        let (def, rows, s) = (one.def, one.rows, cx.s);
        let [pv, plo, phi] = &cx.pooled;
        let small = rows.iter().any(|r| r.1.small) && !def.denominator.is_empty();
        let events = cx.cfg.catalogue.counts_events(def);
        let annual: Vec<Point> = rows.iter().filter_map(|(_, r)| r.value.map(|v| Point { year: r.year, value: v, ci_low: r.lo, ci_high: r.hi })).collect();
        let base_year = def.base_year();
        let windows = if small { small_count_windows(rows, base_year, def, s.pool_years) } else { None };
        let points: Vec<Point> = if small {
            rows.iter().filter_map(|(i, r)| pv.get(*i).map(|v| Point { year: r.year, value: v, ci_low: plo.get(*i), ci_high: phi.get(*i) })).collect()
        } else {
            annual.clone()
        };
        let series_kind = match (&windows, small) {
            (Some((b, _)), _) => format!("pooled_{}y", b.to - b.from + 1),
            (None, true) => "pooled_3y".to_string(),
            (None, false) => "annual".to_string(),
        };
        // A relative target's base: the baseline window's pooled value for a small count
        // (the catalogue's note for C26), else the base year's value.
        let rel_year = def.target.relative_base_year().unwrap_or(base_year);
        let base_value = match &windows {
            Some((b, _)) if rel_year == b.from => Some(b.value),
            _ => annual.iter().find(|pt| pt.year == rel_year).map(|pt| pt.value),
        };
        let latest = points.iter().max_by_key(|pt| pt.year);
        // The latest window's interval, for a pooled series.
        let (latest_lo, latest_hi) = windows.map(|(_, l)| (l.ci_low, l.ci_high)).unwrap_or((latest.and_then(|pt| pt.ci_low), latest.and_then(|pt| pt.ci_high)));
        let mut out = Vec::new();
        for &ty in &s.target_years {
            let Some(goal) = self.0.goal(ty, base_value, cx) else { continue };
            let mut a = match &windows {
                Some((b, l)) => method::assess_windows(*b, *l, &annual, goal, ty, cx.last_data_year, s.min_events, &cx.p),
                None => {
                    let mut a = method::assess(&points, goal, ty, Some(base_year), cx.last_data_year, &cx.p);
                    // Events: a latest interval holding both the baseline and the target cannot tell.
                    if let (true, Some(l), Some(x0), Some(g)) = (events, latest, a.baseline_value, a.target_value) {
                        let firm = !matches!(a.status, method::Status::InsufficientData);
                        if firm && method::not_assessable(None, (l.ci_low, l.ci_high), x0, g, s.min_events) {
                            a.status = method::Status::NotAssessable;
                            a.warnings.retain(|w| *w != method::Warning::Deteriorating);
                        }
                    }
                    a
                }
            };
            // A projected % cannot leave 0..100 (or the indicator's max).
            if def.unit == "%" {
                a.projected_value = a.projected_value.map(|v| v.clamp(0.0, def.max.unwrap_or(100.0)));
            }
            let mut r = ProgressRow::new(one.key, ty, self.0.kind());
            (r.target_low, r.target_high) = match goal {
                Goal::Range { low, high } => (Some(low), Some(high)),
                Goal::About { value, tolerance } => (Some(value - tolerance), Some(value + tolerance)),
                _ => (None, None),
            };
            r.target_value = a.target_value;
            r.baseline_year = a.baseline_year;
            r.baseline_value = a.baseline_value;
            r.latest_year = a.latest_year;
            r.latest_value = a.latest_value;
            r.latest_ci_low = latest_lo;
            r.latest_ci_high = latest_hi;
            r.projected_value = a.projected_value;
            r.progress_ratio = a.progress_ratio;
            r.observed_rate = a.observed_rate;
            r.required_rate = a.required_rate;
            r.aarr = a.aarr;
            r.required_aarr = a.required_aarr;
            r.method = a.method.to_string();
            r.series = series_kind.clone();
            r.status = a.status;
            r.warnings = a.warnings.iter().map(|w| w.code()).collect();
            let texts: Vec<String> = a.warnings.iter().map(|w| w.reason()).collect();
            let texts_zh: Vec<String> = a.warnings.iter().map(|w| w.reason_zh()).collect();
            let mut text = texts.join("; ");
            if series_kind.starts_with("pooled_") && !text.is_empty() {
                text.push_str(" (pooled rates: fewer than ");
                text.push_str(&crate::util::fmt_num(s.small_count));
                text.push_str(" events a year)");
            }
            r.warning_text = (!text.is_empty()).then_some(text);
            let mut text_zh = texts_zh.join("；");
            if series_kind.starts_with("pooled_") && !text_zh.is_empty() {
                text_zh.push_str(&crate::t!(crate::i18n::Lang::Zh, "warning-pooled", events = &crate::util::fmt_num(s.small_count)));
            }
            r.warning_text_zh = (!text_zh.is_empty()).then_some(text_zh);
            out.push(r);
        }
        out
    }

    /// A row for each target year the goal kind has one, saying no return reports it.
    fn no_data(&self, def: &Indicator, root: &str, cx: &Cx<'_>) -> Vec<ProgressRow> {
        let key = (def.code.as_str(), root, def.sex.as_deref().unwrap_or("_T"), def.age.as_deref().unwrap_or("_T"));
        cx.s.target_years
            .iter()
            .filter_map(|&ty| {
                let [value, low, high] = self.0.no_data_target(ty, cx)?;
                let mut r = ProgressRow::no_data(key, ty, self.0.kind());
                (r.target_value, r.target_low, r.target_high) = (value, low, high);
                Some(r)
            })
            .collect()
    }
}
