//! Progress towards the 2025 and 2030 targets (`progress.parquet`), and the
//! 3-year pooled rates published beside small-count values.
//!
//! The method (ESCAP progress ratio, AARR, time-weighted projection,
//! warnings) is in [`method`]; this module picks the series out of
//! `indicator_values`, turns the catalogue's targets into goals, and writes
//! one row per indicator × area × sex × age × target year.

mod directional;
pub mod method;
mod series;

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::config::catalogue::TargetKind;
pub use crate::config::ProgressSettings;
use crate::config::{Config, Indicator};
use directional::{relational_rows, trend_rows, RelationalRow, TrendRow};
use method::{Goal, Params, Point};
use series::{add_pooled_to, series, small_count_windows, Series};

/// Add the pooled 3-year rate beside every small-count value of a ratio indicator.
pub fn add_pooled(ind: DataFrame, cfg: &Config) -> PolarsResult<DataFrame> {
    let s = series(&ind)?;
    add_pooled_to(&ind, &s, cfg)
}

/// The pooled rates and then progress, from one reading of the indicator series
/// (building the series was about two thirds of both steps' time).
pub fn pooled_and_progress_until(
    ind: DataFrame,
    cfg: &Config,
    last_data_year: Option<i32>,
    roots: bool,
) -> PolarsResult<(DataFrame, (DataFrame, ProgressSummary))> {
    let s = series(&ind)?;
    let pooled = add_pooled_to(&ind, &s, cfg)?;
    let last_data_year = match last_data_year {
        Some(y) => y,
        None => latest_year(&ind)?,
    };
    // `pooled` has `ind`'s rows in the same order, so the series' row numbers hold for it.
    let progress = progress_of(&pooled, &s, cfg, last_data_year, roots)?;
    Ok((pooled, progress))
}

/// The goal for one target year, or None when the indicator has no numeric target for it.
fn goal_for(def: &Indicator, target_year: i32, base_value: Option<f64>, s: &ProgressSettings) -> Option<Goal> {
    let t = match target_year {
        2025 => def.target_2025,
        2030 => def.target_2030,
        _ => None,
    };
    // A range or relative target is stated once, without a year: it applies to the last target
    // year (2030), as a target stated once does (the catalogue's rule), not to 2025 as well.
    let stated_once = target_year == *s.target_years.iter().max().unwrap_or(&2030);
    match def.target_kind {
        TargetKind::AtLeast => t.map(Goal::AtLeast),
        TargetKind::AtMost => t.map(Goal::AtMost),
        TargetKind::About => t.map(|v| Goal::About { value: v, tolerance: s.about_tolerance * v.abs() }),
        TargetKind::Range => def.target_range.filter(|_| stated_once).map(|[low, high]| Goal::Range { low, high }),
        TargetKind::Relative if stated_once => Some(method::relative_goal(base_value?, def.relative_change?)),
        TargetKind::Relative => None,
        TargetKind::Trend | TargetKind::Relational | TargetKind::Reference => None,
    }
}

/// Counts printed at the end of a run.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ProgressSummary {
    pub rows: usize,
    /// County level, latest target year with a target: status -> indicators.
    pub county_status: BTreeMap<String, usize>,
    /// County level: warning code -> rows.
    pub county_warnings: BTreeMap<String, usize>,
    /// County level: status -> rows with at least one warning.
    pub county_warned_by_status: BTreeMap<String, usize>,
}

impl ProgressSummary {
    /// Add another part's counts (a run split by area subtree).
    pub fn add(&mut self, other: ProgressSummary) {
        self.rows += other.rows;
        for (mine, theirs) in [
            (&mut self.county_status, other.county_status),
            (&mut self.county_warnings, other.county_warnings),
            (&mut self.county_warned_by_status, other.county_warned_by_status),
        ] {
            for (k, v) in theirs {
                *mine.entry(k).or_default() += v;
            }
        }
    }
}

/// One row per indicator with a target × area × sex × age × target year.
pub fn progress(ind: &DataFrame, cfg: &Config) -> PolarsResult<(DataFrame, ProgressSummary)> {
    progress_until(ind, cfg, latest_year(ind)?, true)
}

fn latest_year(ind: &DataFrame) -> PolarsResult<i32> {
    Ok(if ind.height() > 0 { ind.column("year")?.i32()?.max().unwrap_or(0) } else { 0 })
}

/// [`progress`] with the latest year of data given (a run split by area subtree
/// assesses each part against the whole run's latest year). `roots`: whether
/// `ind` is where the roots' rows are (then a target indicator with no value at a
/// root gets a row saying so); a part of a split run has none of them.
pub fn progress_until(ind: &DataFrame, cfg: &Config, last_data_year: i32, roots: bool) -> PolarsResult<(DataFrame, ProgressSummary)> {
    let s = series(ind)?;
    progress_of(ind, &s, cfg, last_data_year, roots)
}

/// [`progress_until`] with the series already read (from `ind` or a frame with its rows in the same order).
fn progress_of(ind: &DataFrame, all_series: &Series<'_>, cfg: &Config, last_data_year: i32, roots: bool) -> PolarsResult<(DataFrame, ProgressSummary)> {
    let with_roots = roots;
    let s = &cfg.rules.progress;
    let p = Params {
        on_track: s.on_track,
        needs_acceleration: s.needs_acceleration,
        fluctuation_multiple: s.fluctuation_multiple,
        fluctuation_min_relative: s.fluctuation_min_relative,
    };
    let pooled_ok = ind.column("pooled_value").is_ok();
    let (pv, plo, phi) = if pooled_ok {
        (ind.column("pooled_value")?.f64()?.clone(), ind.column("pooled_ci_low")?.f64()?.clone(), ind.column("pooled_ci_high")?.f64()?.clone())
    } else {
        (
            Float64Chunked::full_null("".into(), ind.height()),
            Float64Chunked::full_null("".into(), ind.height()),
            Float64Chunked::full_null("".into(), ind.height()),
        )
    };
    let roots: Vec<String> = cfg.areas.tree_roots().map(|a| a.code.clone()).collect();
    let mut summary = ProgressSummary::default();
    #[derive(Default)]
    struct Out {
        indicator: Vec<String>,
        area: Vec<String>,
        sex: Vec<String>,
        age: Vec<String>,
        target_year: Vec<i32>,
        target_kind: Vec<String>,
        target_value: Vec<Option<f64>>,
        target_low: Vec<Option<f64>>,
        target_high: Vec<Option<f64>>,
        baseline_year: Vec<Option<i32>>,
        baseline_value: Vec<Option<f64>>,
        latest_year: Vec<Option<i32>>,
        latest_value: Vec<Option<f64>>,
        latest_ci_low: Vec<Option<f64>>,
        latest_ci_high: Vec<Option<f64>>,
        projected_value: Vec<Option<f64>>,
        progress_ratio: Vec<Option<f64>>,
        observed_rate: Vec<Option<f64>>,
        required_rate: Vec<Option<f64>>,
        aarr: Vec<Option<f64>>,
        required_aarr: Vec<Option<f64>>,
        method: Vec<String>,
        series: Vec<String>,
        status: Vec<String>,
        warnings: Vec<Option<String>>,
        warning_text: Vec<Option<String>>,
        warning_text_zh: Vec<Option<String>>,
        trend_class: Vec<Option<String>>,
        trend_p_value: Vec<Option<f64>>,
    }
    let mut o = Out::default();
    // Each series is assessed on its own (in parallel); the rows are then laid out in series order.
    struct Assessed<'a> {
        key: (&'a str, &'a str, &'a str, &'a str),
        def: &'a Indicator,
        series_kind: String,
        points: Vec<Point>,
        by_year: Vec<(i32, Goal, method::Assessment)>,
        /// The latest window's interval, for a pooled series.
        latest_ci: Option<(Option<f64>, Option<f64>)>,
    }
    let assessed: Vec<Assessed> = {
        use rayon::prelude::*;
        all_series
            .par_iter()
            .filter_map(|((code, area, sex, age, res), rows)| {
                if *res != "_T" {
                    return None;
                }
                let def = cfg.catalogue.indicator(code)?;
                if def.target_kind == TargetKind::Trend {
                    return None;
                }
                // A women's target is assessed on the women's rows (the men's are there for the gap).
                if def.sex.as_deref().is_some_and(|s| s != *sex) {
                    return None;
                }
                // Small counts of events: assessed from two pooled windows of the same length (see
                // method::assess_windows), and the series says so. Stocks are exact and never small.
                let small = rows.iter().any(|r| r.1.small) && !def.denominator.is_empty();
                let events = cfg.catalogue.counts_events(def);
                let annual: Vec<Point> =
                    rows.iter().filter_map(|(_, r)| r.value.map(|v| Point { year: r.year, value: v, ci_low: r.lo, ci_high: r.hi })).collect();
                let base_year = def.baseline_year.or(def.relative_base_year).unwrap_or(2020);
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
                let base_value = match &windows {
                    Some((b, _)) if def.relative_base_year.unwrap_or(base_year) == b.from => Some(b.value),
                    _ => annual.iter().find(|pt| pt.year == def.relative_base_year.unwrap_or(base_year)).map(|pt| pt.value),
                };
                let by_year = s
                    .target_years
                    .iter()
                    .filter_map(|&ty| {
                        let goal = goal_for(def, ty, base_value, s)?;
                        let mut a = match &windows {
                            Some((b, l)) => method::assess_windows(*b, *l, &annual, goal, ty, last_data_year, s.min_events, &p),
                            None => {
                                let mut a = method::assess(&points, goal, ty, Some(base_year), last_data_year, &p);
                                // Events: a latest interval holding both the baseline and the target cannot tell.
                                let latest = points.iter().max_by_key(|pt| pt.year);
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
                        Some((ty, goal, a))
                    })
                    .collect();
                let latest_ci = windows.map(|(_, l)| (l.ci_low, l.ci_high));
                Some(Assessed { key: (code, area, sex, age), def, series_kind, points, by_year, latest_ci })
            })
            .collect()
    };
    for Assessed { key: (code, area, sex, age), def, series_kind, points, by_year, latest_ci } in assessed {
        for (ty, goal, a) in by_year {
            let latest = points.iter().max_by_key(|pt| pt.year);
            let (latest_lo, latest_hi) = latest_ci.unwrap_or((latest.and_then(|pt| pt.ci_low), latest.and_then(|pt| pt.ci_high)));
            let codes: Vec<&str> = a.warnings.iter().map(|w| w.code()).collect();
            let texts: Vec<String> = a.warnings.iter().map(|w| w.reason()).collect();
            let texts_zh: Vec<String> = a.warnings.iter().map(|w| w.reason_zh()).collect();
            if roots.iter().any(|r| r == area) && ty == *s.target_years.iter().max().unwrap_or(&2030) && sex == def.sex.clone().unwrap_or_else(|| "_T".into()) {
                *summary.county_status.entry(a.status.as_str().to_string()).or_default() += 1;
                for c in &codes {
                    *summary.county_warnings.entry(c.to_string()).or_default() += 1;
                }
                if !codes.is_empty() {
                    *summary.county_warned_by_status.entry(a.status.as_str().to_string()).or_default() += 1;
                }
            }
            o.indicator.push(code.to_string());
            o.area.push(area.to_string());
            o.sex.push(sex.to_string());
            o.age.push(age.to_string());
            o.target_year.push(ty);
            o.target_kind.push(serde_json::to_value(def.target_kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default());
            o.target_value.push(a.target_value);
            let (lo, hi) = match goal {
                Goal::Range { low, high } => (Some(low), Some(high)),
                Goal::About { value, tolerance } => (Some(value - tolerance), Some(value + tolerance)),
                _ => (None, None),
            };
            o.target_low.push(lo);
            o.target_high.push(hi);
            o.baseline_year.push(a.baseline_year);
            o.baseline_value.push(a.baseline_value);
            o.latest_year.push(a.latest_year);
            o.latest_value.push(a.latest_value);
            o.latest_ci_low.push(latest_lo);
            o.latest_ci_high.push(latest_hi);
            o.projected_value.push(a.projected_value);
            o.progress_ratio.push(a.progress_ratio);
            o.observed_rate.push(a.observed_rate);
            o.required_rate.push(a.required_rate);
            o.aarr.push(a.aarr);
            o.required_aarr.push(a.required_aarr);
            o.method.push(a.method.to_string());
            o.series.push(series_kind.clone());
            o.status.push(a.status.as_str().to_string());
            o.warnings.push((!codes.is_empty()).then(|| codes.join(",")));
            let mut text = texts.join("; ");
            if series_kind.starts_with("pooled_") && !text.is_empty() {
                text.push_str(" (pooled rates: fewer than ");
                text.push_str(&crate::util::fmt_num(s.small_count));
                text.push_str(" events a year)");
            }
            o.warning_text.push((!text.is_empty()).then_some(text));
            let mut text_zh = texts_zh.join("；");
            if series_kind.starts_with("pooled_") && !text_zh.is_empty() {
                text_zh.push_str(&crate::t!(crate::i18n::Lang::Zh, "warning-pooled", events = &crate::util::fmt_num(s.small_count)));
            }
            o.warning_text_zh.push((!text_zh.is_empty()).then_some(text_zh));
            o.trend_class.push(None);
            o.trend_p_value.push(None);
        }
    }
    // Direction-only targets (逐步提高, 持续下降 …): the robust trend of the series, for the last target year.
    let trend_year = *s.target_years.iter().max().unwrap_or(&2030);
    for t in trend_rows(all_series, cfg, last_data_year, &p) {
        let TrendRow { key: (code, area, sex, age), def, points, trend, class, status, warnings, text, text_zh } = t;
        let latest = points.last();
        if roots.iter().any(|r| r == area) && sex == def.sex.as_deref().unwrap_or("_T") {
            *summary.county_status.entry(status.as_str().to_string()).or_default() += 1;
            for c in &warnings {
                *summary.county_warnings.entry(c.to_string()).or_default() += 1;
            }
            if !warnings.is_empty() {
                *summary.county_warned_by_status.entry(status.as_str().to_string()).or_default() += 1;
            }
        }
        o.indicator.push(code.to_string());
        o.area.push(area.to_string());
        o.sex.push(sex.to_string());
        o.age.push(age.to_string());
        o.target_year.push(trend_year);
        o.target_kind.push("trend".into());
        for v in [&mut o.target_value, &mut o.target_low, &mut o.target_high, &mut o.progress_ratio, &mut o.required_rate, &mut o.aarr, &mut o.required_aarr] {
            v.push(None);
        }
        let base_year = def.baseline_year.unwrap_or(2020);
        let base = points.iter().find(|pt| pt.year >= base_year);
        o.baseline_year.push(base.map(|b| b.year));
        o.baseline_value.push(base.map(|b| b.value));
        o.latest_year.push(latest.map(|l| l.year));
        o.latest_value.push(latest.map(|l| l.value));
        o.latest_ci_low.push(latest.and_then(|l| l.ci_low));
        o.latest_ci_high.push(latest.and_then(|l| l.ci_high));
        o.projected_value.push(trend.map(|t| t.intercept + t.slope * f64::from(trend_year)));
        o.observed_rate.push(trend.map(|t| t.slope));
        o.method.push("theil_sen_mann_kendall".into());
        o.series.push("annual".into());
        o.status.push(status.as_str().to_string());
        o.warnings.push((!warnings.is_empty()).then(|| warnings.join(",")));
        o.warning_text.push(Some(text));
        o.warning_text_zh.push(Some(text_zh));
        o.trend_class.push(Some(class.as_str().to_string()));
        o.trend_p_value.push(trend.map(|t| t.p_value));
    }
    // Relational targets (W36 ≥ W35 …): the gap to the reference indicator, for the last target year.
    for r in relational_rows(all_series, cfg, last_data_year, &p) {
        let RelationalRow { key: (code, area, sex, age), def, reference, pairs, goal, assessment: a } = r;
        let codes: Vec<&str> = a.warnings.iter().map(|w| w.code()).collect();
        if roots.iter().any(|x| x == area) && sex == def.sex.as_deref().unwrap_or("_T") {
            *summary.county_status.entry(a.status.as_str().to_string()).or_default() += 1;
            for c in &codes {
                *summary.county_warnings.entry(c.to_string()).or_default() += 1;
            }
            if !codes.is_empty() {
                *summary.county_warned_by_status.entry(a.status.as_str().to_string()).or_default() += 1;
            }
        }
        let first = pairs.iter().find(|x| Some(x.0) == a.baseline_year);
        let last = pairs.last();
        o.indicator.push(code.to_string());
        o.area.push(area.to_string());
        o.sex.push(sex.to_string());
        o.age.push(age.to_string());
        o.target_year.push(trend_year);
        o.target_kind.push("relational".into());
        // The target is the reference's latest value (± the tolerance for "about").
        let tol = match goal {
            Goal::About { tolerance, .. } => Some(tolerance),
            _ => None,
        };
        o.target_value.push(last.map(|x| x.2));
        o.target_low.push(tol.and_then(|t| last.map(|x| x.2 - t)));
        o.target_high.push(tol.and_then(|t| last.map(|x| x.2 + t)));
        o.baseline_year.push(a.baseline_year);
        o.baseline_value.push(first.map(|x| x.1));
        o.latest_year.push(a.latest_year);
        o.latest_value.push(last.map(|x| x.1));
        o.latest_ci_low.push(None);
        o.latest_ci_high.push(None);
        // Projected: the reference's latest value plus the projected gap.
        o.projected_value.push(a.projected_value.and_then(|d| last.map(|x| x.2 + d)));
        o.progress_ratio.push(a.progress_ratio);
        o.observed_rate.push(a.observed_rate);
        o.required_rate.push(a.required_rate);
        o.aarr.push(None);
        o.required_aarr.push(None);
        o.method.push(format!("relational_{}", a.method));
        o.series.push("annual".into());
        o.status.push(a.status.as_str().to_string());
        o.warnings.push((!codes.is_empty()).then(|| codes.join(",")));
        let gap = last.map(|x| format!("{} − {reference} = {} in {}", code, crate::util::fmt_num(((x.1 - x.2) * 100.0).round() / 100.0), x.0));
        let texts: Vec<String> = gap.into_iter().chain(a.warnings.iter().map(|w| w.reason())).collect();
        o.warning_text.push(Some(texts.join("; ")));
        let gap_zh = last.map(|x| {
            let d = crate::util::fmt_num(((x.1 - x.2) * 100.0).round() / 100.0);
            crate::t!(crate::i18n::Lang::Zh, "relational-gap", code = code, reference = &reference.to_string(), gap = &d, year = &x.0.to_string())
        });
        let texts_zh: Vec<String> = gap_zh.into_iter().chain(a.warnings.iter().map(|w| w.reason_zh())).collect();
        o.warning_text_zh.push(Some(texts_zh.join("；")));
        o.trend_class.push(None);
        o.trend_p_value.push(None);
    }
    // Target indicators with no value at the top area: a row that says so.
    for def in cfg.catalogue.indicators.iter().filter(|_| with_roots) {
        if matches!(def.target_kind, TargetKind::Trend | TargetKind::Relational) {
            for root in &roots {
                if o.indicator.iter().zip(&o.area).any(|(i, a)| i == &def.code && a == root) {
                    continue;
                }
                o.indicator.push(def.code.clone());
                o.area.push(root.clone());
                o.sex.push(def.sex.clone().unwrap_or_else(|| "_T".into()));
                o.age.push(def.age.clone().unwrap_or_else(|| "_T".into()));
                o.target_year.push(trend_year);
                o.target_kind.push(if def.target_kind == TargetKind::Trend { "trend" } else { "relational" }.into());
                for v in [
                    &mut o.target_value,
                    &mut o.target_low,
                    &mut o.target_high,
                    &mut o.baseline_value,
                    &mut o.latest_value,
                    &mut o.latest_ci_low,
                    &mut o.latest_ci_high,
                    &mut o.projected_value,
                    &mut o.progress_ratio,
                    &mut o.observed_rate,
                    &mut o.required_rate,
                    &mut o.aarr,
                    &mut o.required_aarr,
                    &mut o.trend_p_value,
                ] {
                    v.push(None);
                }
                o.baseline_year.push(None);
                o.latest_year.push(None);
                o.method.push("none".into());
                o.series.push("none".into());
                o.status.push("insufficient_data".into());
                o.warnings.push(Some("no_data".into()));
                o.warning_text.push(Some("no return reports this indicator yet".into()));
                o.warning_text_zh.push(Some(crate::t!(crate::i18n::Lang::Zh, "warning-no-data")));
                o.trend_class.push((def.target_kind == TargetKind::Trend).then(|| method::TrendClass::InsufficientData.as_str().into()));
                *summary.county_status.entry("insufficient_data".into()).or_default() += 1;
                *summary.county_warnings.entry("no_data".into()).or_default() += 1;
                *summary.county_warned_by_status.entry("insufficient_data".into()).or_default() += 1;
            }
            continue;
        }
        for root in &roots {
            if o.indicator.iter().zip(&o.area).any(|(i, a)| i == &def.code && a == root) {
                continue;
            }
            for &ty in &s.target_years {
                let stated_once = matches!(def.target_kind, TargetKind::Range | TargetKind::Relative);
                if (stated_once && ty != trend_year) || (!stated_once && goal_for(def, ty, None, s).is_none()) {
                    continue;
                }
                let t = match ty {
                    2025 => def.target_2025,
                    2030 => def.target_2030,
                    _ => None,
                };
                o.indicator.push(def.code.clone());
                o.area.push(root.clone());
                o.sex.push(def.sex.clone().unwrap_or_else(|| "_T".into()));
                o.age.push(def.age.clone().unwrap_or_else(|| "_T".into()));
                o.target_year.push(ty);
                o.target_kind.push(serde_json::to_value(def.target_kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default());
                o.target_value.push(t);
                o.target_low.push(def.target_range.map(|r| r[0]));
                o.target_high.push(def.target_range.map(|r| r[1]));
                for v in [
                    &mut o.baseline_value,
                    &mut o.latest_value,
                    &mut o.latest_ci_low,
                    &mut o.latest_ci_high,
                    &mut o.projected_value,
                    &mut o.progress_ratio,
                    &mut o.observed_rate,
                    &mut o.required_rate,
                    &mut o.aarr,
                    &mut o.required_aarr,
                ] {
                    v.push(None);
                }
                o.baseline_year.push(None);
                o.latest_year.push(None);
                o.method.push("none".into());
                o.series.push("none".into());
                o.status.push("insufficient_data".into());
                o.warnings.push(Some("no_data".into()));
                o.warning_text.push(Some("no return reports this indicator yet".into()));
                o.warning_text_zh.push(Some(crate::t!(crate::i18n::Lang::Zh, "warning-no-data")));
                o.trend_class.push(None);
                o.trend_p_value.push(None);
                if ty == *s.target_years.iter().max().unwrap_or(&2030) {
                    *summary.county_status.entry("insufficient_data".into()).or_default() += 1;
                    *summary.county_warnings.entry("no_data".into()).or_default() += 1;
                    *summary.county_warned_by_status.entry("insufficient_data".into()).or_default() += 1;
                }
            }
        }
    }
    summary.rows = o.indicator.len();
    let df = DataFrame::new_infer_height(vec![
        Column::new("indicator".into(), o.indicator),
        Column::new("area".into(), o.area),
        Column::new("sex".into(), o.sex),
        Column::new("age".into(), o.age),
        Column::new("target_year".into(), o.target_year),
        Column::new("target_kind".into(), o.target_kind),
        Column::new("target_value".into(), o.target_value),
        Column::new("target_low".into(), o.target_low),
        Column::new("target_high".into(), o.target_high),
        Column::new("baseline_year".into(), o.baseline_year),
        Column::new("baseline_value".into(), o.baseline_value),
        Column::new("latest_year".into(), o.latest_year),
        Column::new("latest_value".into(), o.latest_value),
        Column::new("latest_ci_low".into(), o.latest_ci_low),
        Column::new("latest_ci_high".into(), o.latest_ci_high),
        Column::new("projected_value".into(), o.projected_value),
        Column::new("progress_ratio".into(), o.progress_ratio),
        Column::new("observed_rate".into(), o.observed_rate),
        Column::new("required_rate".into(), o.required_rate),
        Column::new("aarr".into(), o.aarr),
        Column::new("required_aarr".into(), o.required_aarr),
        Column::new("method".into(), o.method),
        Column::new("series".into(), o.series),
        Column::new("status".into(), o.status),
        Column::new("warnings".into(), o.warnings),
        Column::new("warning_text".into(), o.warning_text),
        Column::new("warning_text_zh".into(), o.warning_text_zh),
        Column::new("trend_class".into(), o.trend_class),
        Column::new("trend_p_value".into(), o.trend_p_value),
    ])?;
    let df = crate::compute::frames::sort_by_ranks(df, &["indicator", "area", "sex", "age", "target_year"])?;
    Ok((df, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::testing::{cfg, COUNTY};

    /// Indicator rows of the county (indicator, sex, year, value), as the indicator pass gives them.
    fn frame(rows: &[(&str, &str, i32, f64)]) -> DataFrame {
        let n = rows.len();
        DataFrame::new_infer_height(vec![
            Column::new("indicator".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            Column::new("area".into(), vec![COUNTY; n]),
            Column::new("sex".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            Column::new("age".into(), vec!["_T"; n]),
            Column::new("residence".into(), vec!["_T"; n]),
            Column::new("year".into(), rows.iter().map(|r| r.2).collect::<Vec<i32>>()),
            Column::new("value".into(), rows.iter().map(|r| Some(r.3)).collect::<Vec<_>>()),
            Column::new("numerator".into(), vec![None::<f64>; n]),
            Column::new("denominator".into(), vec![None::<f64>; n]),
            Column::new("ci_low".into(), vec![None::<f64>; n]),
            Column::new("ci_high".into(), vec![None::<f64>; n]),
            Column::new("small_count".into(), vec![Some(false); n]),
            Column::new("unit".into(), vec!["%"; n]),
        ])
        .unwrap()
    }

    /// (status, target_value, latest_value, progress_ratio, method, target_year).
    type Got = (String, Option<f64>, Option<f64>, Option<f64>, String, i32);

    fn row_of(p: &DataFrame, code: &str) -> Vec<Got> {
        let s = |c: &str| p.column(c).unwrap().str().unwrap().clone();
        let f = |c: &str| p.column(c).unwrap().f64().unwrap().clone();
        let (ind, status, method) = (s("indicator"), s("status"), s("method"));
        let (target, latest, ratio) = (f("target_value"), f("latest_value"), f("progress_ratio"));
        let ty = p.column("target_year").unwrap().i32().unwrap().clone();
        (0..p.height())
            .filter(|&i| ind.get(i) == Some(code))
            .map(|i| (status.get(i).unwrap().to_string(), target.get(i), latest.get(i), ratio.get(i), method.get(i).unwrap().to_string(), ty.get(i).unwrap()))
            .collect()
    }

    /// W36 (women among party congress delegates) is not to fall below W35 (women among
    /// party members): the gap W36 − W35 = −5, −4, −3, −2, −1 in 2020–2024 is assessed
    /// against 0 — observed +1 a year, required (0 − (−5)) / (2030 − 2020) = 0.5 a year:
    /// progress ratio 2, on track, not yet achieved; the target is W35's latest value, 29.
    #[test]
    fn a_relational_target_is_the_gap_to_its_reference() {
        let cfg = cfg();
        assert_eq!(cfg.catalogue.indicator("W36").unwrap().target_kind, TargetKind::Relational);
        let mut rows: Vec<(&str, &str, i32, f64)> = Vec::new();
        for (k, y) in (2020..=2024).enumerate() {
            rows.push(("W35", "F", y, 25.0 + k as f64));
            rows.push(("W36", "F", y, 20.0 + 2.0 * k as f64));
        }
        let (p, _) = progress(&frame(&rows), &cfg).unwrap();
        let w36 = row_of(&p, "W36");
        assert_eq!(w36.len(), 1, "one row, for 2030: {w36:?}");
        let (status, target, latest, ratio, method, ty) = w36[0].clone();
        assert_eq!((status.as_str(), target, latest, ty), ("on_track", Some(29.0), Some(28.0), 2030));
        assert!((ratio.unwrap() - 2.0).abs() < 1e-9, "{ratio:?}");
        assert_eq!(method, "relational_linear");
        // Delegates above the members' share in 2024: achieved.
        let last = rows.iter_mut().find(|r| r.0 == "W36" && r.2 == 2024).unwrap();
        last.3 = 30.0;
        let (p, _) = progress(&frame(&rows), &cfg).unwrap();
        assert_eq!(row_of(&p, "W36")[0].0, "achieved");
    }

    /// A range target stated without a year (W80, the sex ratio at birth) applies to 2030 only.
    #[test]
    fn a_range_target_stated_once_has_no_2025_row() {
        let cfg = cfg();
        let rows: Vec<(&str, &str, i32, f64)> = (2020..=2024).map(|y| ("W80", "_T", y, 105.0)).collect();
        let (p, _) = progress(&frame(&rows), &cfg).unwrap();
        let years: Vec<i32> = row_of(&p, "W80").iter().map(|r| r.5).collect();
        assert_eq!(years, vec![2030]);
    }
}
