//! `trend`: a direction only (逐步提高, 持续下降 …): the robust trend of the
//! annual values from the baseline year on (see [`method::trend`],
//! [`method::classify_trend`]), one row for the last target year; a small count
//! of events whose latest window has fewer than `min_events` is `not_assessable`.
//! A gap (`gap_of`, rural − urban) narrows towards 0.

use super::{Cx, Evaluate, One};
use crate::config::catalogue::{TargetKind, TrendTarget};
use crate::config::Indicator;
use crate::progress::method::{self, Point};
use crate::progress::rows::ProgressRow;
use crate::progress::series::small_count_windows;

impl Evaluate for TrendTarget {
    fn rows(&self, one: &One<'_>, cx: &Cx<'_>) -> Vec<ProgressRow> {
        let (def, rows, s, last_data_year) = (one.def, one.rows, cx.s, cx.last_data_year);
        let (_, area, sex, age) = one.key;
        let by_key = &cx.by_key;
        let base_year = def.base_year();
        let points: Vec<Point> = method::clean_series(
            &rows
                .iter()
                .filter(|r| r.1.year >= base_year)
                .filter_map(|(_, r)| r.value.map(|v| Point { year: r.year, value: v, ci_low: r.lo, ci_high: r.hi }))
                .collect::<Vec<_>>(),
        );
        let trend = method::trend(&points);
        let maintain = def.direction == crate::config::catalogue::Direction::Maintain;
        let mut higher_better = def.direction != crate::config::catalogue::Direction::Decrease;
        // A gap (R − U) narrows towards 0: down while rural is above urban, up while below (by the series' median).
        if def.gap_of.is_some() {
            let mut v: Vec<f64> = points.iter().map(|p| p.value).collect();
            higher_better = method::median(&mut v).is_some_and(|m| m < 0.0);
        }
        let class = method::classify_trend(trend.as_ref(), higher_better, s.trend_alpha, s.trend_min_years);
        let mut status = class.status(maintain);
        let small = rows.iter().any(|r| r.1.small) && !def.denominator.is_empty();
        if small && class != method::TrendClass::InsufficientData {
            if let Some((_, l)) = small_count_windows(rows, base_year, def, s.pool_years) {
                if l.events < s.min_events {
                    status = method::Status::NotAssessable;
                }
            }
        }
        // A gap: each group's own events in its latest pooled window (the gap is as noisy as its smaller side).
        let mut few: Option<String> = None;
        let mut few_zh: Option<String> = None;
        if let (Some(base), true) = (def.gap_of.as_deref().and_then(|b| cx.cfg.catalogue.indicator(b)), class != method::TrendClass::InsufficientData) {
            let latest: Vec<(&str, Option<f64>)> = ["R", "U"]
                .iter()
                .map(|g| {
                    let w = by_key.get(&(base.code.as_str(), area, sex, age, *g)).and_then(|r| small_count_windows(r, base_year, base, s.pool_years));
                    (*g, w.map(|(_, l)| l.events))
                })
                .collect();
            if latest.iter().any(|(_, e)| e.is_none_or(|e| e < s.min_events)) {
                status = method::Status::NotAssessable;
                let counts: Vec<String> = latest.iter().map(|(g, e)| format!("{g} {}", e.map(crate::util::fmt_num).unwrap_or_else(|| "–".into()))).collect();
                few = Some(format!("fewer than {} events in a group's latest window ({})", crate::util::fmt_num(s.min_events), counts.join(", ")));
                let counts_zh: Vec<String> = latest
                    .iter()
                    .map(|(g, e)| format!("{}{}", if *g == "R" { "农村 " } else { "城镇 " }, e.map(crate::util::fmt_num).unwrap_or_else(|| "–".into())))
                    .collect();
                few_zh =
                    Some(crate::t!(crate::i18n::Lang::Zh, "trend-gap-few-events", min = &crate::util::fmt_num(s.min_events), counts = &counts_zh.join("，")));
            }
        }
        let mut warnings = Vec::new();
        if status == method::Status::Deterioration {
            warnings.push("deteriorating");
        }
        if points.last().is_some_and(|l| l.year < last_data_year) {
            warnings.push("latest_missing");
        }
        let text = match &trend {
            Some(t) => format!(
                "{}: Theil–Sen slope {} per year over {} years, Mann–Kendall S = {}, p = {}",
                class.as_str(),
                crate::util::fmt_num((t.slope * 1e4).round() / 1e4),
                t.n,
                t.s,
                crate::util::fmt_num((t.p_value * 1e4).round() / 1e4)
            ),
            None => format!("{}: fewer than 3 years", class.as_str()),
        };
        let text = match (&def.gap_of, few) {
            (Some(b), Some(f)) => format!("{b} rural − urban; {text}; {f}"),
            (Some(b), None) => format!("{b} rural − urban; {text}"),
            (None, _) => text,
        };
        let class_zh = crate::i18n::tr(crate::i18n::Lang::Zh, &format!("trend-class-{}", class.as_str().replace('_', "-")), &[]);
        let text_zh = match &trend {
            Some(t) => crate::t!(
                crate::i18n::Lang::Zh,
                "trend-text",
                class = &class_zh,
                slope = &crate::util::fmt_num((t.slope * 1e4).round() / 1e4),
                n = t.n,
                s = &t.s.to_string(),
                p = &crate::util::fmt_num((t.p_value * 1e4).round() / 1e4)
            ),
            None => crate::t!(crate::i18n::Lang::Zh, "trend-text-short", class = &class_zh),
        };
        let text_zh = match (&def.gap_of, few_zh) {
            (Some(b), Some(f)) => format!("{b} 农村减城镇；{text_zh}；{f}"),
            (Some(b), None) => format!("{b} 农村减城镇；{text_zh}"),
            (None, _) => text_zh,
        };
        let trend_year = cx.last_target_year;
        let latest = points.last();
        let mut r = ProgressRow::new(one.key, trend_year, TargetKind::Trend);
        let base = points.iter().find(|pt| pt.year >= base_year);
        r.baseline_year = base.map(|b| b.year);
        r.baseline_value = base.map(|b| b.value);
        r.latest_year = latest.map(|l| l.year);
        r.latest_value = latest.map(|l| l.value);
        r.latest_ci_low = latest.and_then(|l| l.ci_low);
        r.latest_ci_high = latest.and_then(|l| l.ci_high);
        r.projected_value = trend.map(|t| t.intercept + t.slope * f64::from(trend_year));
        r.observed_rate = trend.map(|t| t.slope);
        r.method = "theil_sen_mann_kendall".into();
        r.series = "annual".into();
        r.status = status;
        r.warnings = warnings;
        r.warning_text = Some(text);
        r.warning_text_zh = Some(text_zh);
        r.trend_class = Some(class.as_str());
        r.trend_p_value = trend.map(|t| t.p_value);
        vec![r]
    }

    /// One row, for the last target year: `insufficient_data`.
    fn no_data(&self, def: &Indicator, root: &str, cx: &Cx<'_>) -> Vec<ProgressRow> {
        let key = (def.code.as_str(), root, def.sex.as_deref().unwrap_or("_T"), def.age.as_deref().unwrap_or("_T"));
        let mut r = ProgressRow::no_data(key, cx.last_target_year, TargetKind::Trend);
        r.trend_class = Some(method::TrendClass::InsufficientData.as_str());
        vec![r]
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use crate::compute::testing::{cfg, COUNTY};

    /// C01 (neonatal deaths per 1,000 live births) by residence, 2020–2024, 1,000 births a
    /// year in each: (rural deaths, urban deaths) by year; with C01G's rows appended.
    fn frame(deaths: &[(f64, f64)]) -> DataFrame {
        let mut ind: Vec<&str> = Vec::new();
        let (mut year, mut res, mut num) = (Vec::new(), Vec::new(), Vec::new());
        for (k, (r, u)) in deaths.iter().enumerate() {
            for (g, x) in [("R", *r), ("U", *u), ("_T", r + u)] {
                ind.push("C01");
                year.push(2020 + k as i32);
                res.push(g);
                num.push(x);
            }
        }
        let n = ind.len();
        let den: Vec<f64> = res.iter().map(|g| if *g == "_T" { 2000.0 } else { 1000.0 }).collect();
        let df = DataFrame::new_infer_height(vec![
            Column::new("indicator".into(), ind),
            Column::new("area".into(), vec![COUNTY; n]),
            Column::new("sex".into(), vec!["_T"; n]),
            Column::new("age".into(), vec!["_T"; n]),
            Column::new("residence".into(), res),
            Column::new("year".into(), year),
            Column::new("value".into(), num.iter().zip(&den).map(|(x, d)| Some(x / d * 1000.0)).collect::<Vec<_>>()),
            Column::new("numerator".into(), num.iter().map(|x| Some(*x)).collect::<Vec<_>>()),
            Column::new("denominator".into(), den.iter().map(|x| Some(*x)).collect::<Vec<_>>()),
            Column::new("ci_low".into(), vec![None::<f64>; n]),
            Column::new("ci_high".into(), vec![None::<f64>; n]),
            Column::new("small_count".into(), num.iter().map(|x| Some(*x < 20.0)).collect::<Vec<_>>()),
            Column::new("unit".into(), vec!["‰"; n]),
        ])
        .unwrap();
        let mut df = df;
        if let Some(g) = crate::compute::gap_series::rows(&df, &cfg()).unwrap() {
            df.vstack_mut(&g).unwrap();
        }
        df
    }

    /// (status, trend_class, latest_value, warning_text) of C01G at the county.
    fn c01g(df: &DataFrame) -> (String, String, Option<f64>, String) {
        let (p, _) = crate::progress::progress(df, &cfg()).unwrap();
        let s = |c: &str| p.column(c).unwrap().str().unwrap().clone();
        let i = (0..p.height()).find(|&i| s("indicator").get(i) == Some("C01G") && s("area").get(i) == Some(COUNTY)).unwrap();
        let latest = p.column("latest_value").unwrap().f64().unwrap().get(i);
        (s("status").get(i).unwrap().into(), s("trend_class").get(i).unwrap().into(), latest, s("warning_text").get(i).unwrap().into())
    }

    /// Rural 15, 14, 13, 12, 11 against urban 10 deaths a year (per 1,000 births each): the
    /// gap R − U = 5, 4, 3, 2, 1 ‰ falls every year. Mann–Kendall S = −10 over 5 years, exact
    /// two-sided p = 2/5! = 0.0167 < 0.1; the median gap (3) is above 0, so falling narrows it:
    /// improving, on track. Latest 2-year windows: rural 23, urban 20 deaths, at least 10 each.
    /// Mirrored (rural below urban: −5 … −1) it narrows too. With 1 urban death a year the
    /// urban window holds 2: not assessable, whatever the trend.
    #[test]
    fn a_gap_narrowing_towards_zero_improves_and_few_events_cannot_tell() {
        let falling: Vec<(f64, f64)> = (0..5).map(|k| (15.0 - k as f64, 10.0)).collect();
        let (status, class, latest, text) = c01g(&frame(&falling));
        assert_eq!((status.as_str(), class.as_str()), ("on_track", "improving"), "{text}");
        assert!((latest.unwrap() - 1.0).abs() < 1e-9);
        assert!(text.contains("S = -10") && text.contains("p = 0.0167"), "{text}");
        let mirrored: Vec<(f64, f64)> = (0..5).map(|k| (10.0, 15.0 - k as f64)).collect();
        assert_eq!(c01g(&frame(&mirrored)).1, "improving");
        // Widening: 1, 2, 3, 4, 5.
        let rising: Vec<(f64, f64)> = (0..5).map(|k| (11.0 + k as f64, 10.0)).collect();
        assert_eq!(c01g(&frame(&rising)).0, "deterioration");
        let few: Vec<(f64, f64)> = (0..5).map(|k| (6.0 - k as f64, 1.0)).collect();
        let (status, class, _, text) = c01g(&frame(&few));
        assert_eq!((status.as_str(), class.as_str()), ("not_assessable", "improving"), "{text}");
        assert!(text.contains("(R 5, U 2)"), "{text}");
    }
}
