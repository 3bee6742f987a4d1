//! Gaps between groups (`gaps.parquet`): women against men (`dimension = sex`,
//! `group = F`, `reference_group = M`) and rural against urban (`dimension =
//! residence`, `group = R`, `reference_group = U`), for every indicator × area ×
//! year × age where both groups have a value, each with a 95% interval.
//!
//! Three kinds of comparison, by what the indicator is:
//!
//! * **Proportions** (`unit = "%"`, whole counts, numerator ≤ denominator in both
//!   groups): the difference of the two percentages with **Newcombe's hybrid
//!   score interval** (method 10 of Newcombe 1998: each group's Wilson interval,
//!   squared distances added — [`stats::newcombe_difference`]) and their ratio
//!   (the parity index F/M) with the **Katz log interval**
//!   `exp(ln RR ± z √(1/x₁ − 1/n₁ + 1/x₂ − 1/n₂))` ([`stats::katz_ratio`]).
//!   `method = "newcombe+katz"`.
//! * **Rates** (‰, per 100,000, per 1,000 children, and % whose numerator can
//!   pass its denominator such as gross enrolment): the numerator is taken as a
//!   Poisson count over the denominator. The difference of the two rates with the
//!   MOVER interval from each rate's exact (Garwood) Poisson limits
//!   ([`stats::poisson_difference`]), the rate ratio with the log interval
//!   `exp(ln IRR ± z √(1/x₁ + 1/x₂))` ([`stats::poisson_ratio`]).
//!   `method = "mover_poisson+log_rate_ratio"`.
//! * **Count shares** (the female share of one count: committee members,
//!   trainees, employed persons — numerator `X[sex=F]`, denominator `X`): the
//!   women's share p = F/T against the men's share (T − F)/T; `difference` is
//!   the gap in percentage points (2p − 1, its interval from p's Wilson interval
//!   (l, u) as 2l − 1, 2u − 1), and `ratio` is the F/M ratio of the counts
//!   p/(1 − p), its interval l/(1 − l), u/(1 − u) ([`stats::count_ratio`]).
//!   `method = "share_wilson"`. The men's count is the total less the women's.
//!
//! The difference is in the indicator's unit (percentage points, ‰ points, per
//! 100,000) and is `value − reference_value`; the ratio is `value /
//! reference_value`. No interval is given where a count is zero for a ratio
//! (the log is not finite), or where the counts are not whole numbers.
//!
//! `better` is the catalogue's direction: `higher` (increase, or maintain an
//! at-least target), `lower` (decrease, or maintain an at-most target),
//! `parity` for a share (the aim is balance), none for a range.
//! `favours` names the group that is better off where the interval says so
//! (the difference's interval excludes 0; for a share, the ratio's excludes 1),
//! `none` where it does not, and is empty without an interval or a direction.
//! Dimension `age` (age groups against each other) is not computed.

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::stats;
use crate::config::catalogue::{Direction, Target};
use crate::config::{Config, Indicator};

/// How an indicator's groups are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A ratio of counts (proportion or rate) compared between two groups' own values.
    Rate,
    /// The female share of one count (`X[sex=F] / X`).
    Share,
}

/// Whether an indicator is the female share of one count: one term each side, the
/// same data element with the same age and residence, the numerator pinned to F
/// and the denominator to the total.
pub fn kind(ind: &Indicator) -> Option<Kind> {
    if ind.value.is_some() || ind.numerator.is_empty() || ind.denominator.is_empty() {
        return None;
    }
    if let ([n], [d]) = (ind.numerator.as_slice(), ind.denominator.as_slice()) {
        let total = |s: &Option<String>| s.as_deref().is_none_or(|s| s == "_T");
        if n.data_element == d.data_element && n.sex.as_deref() == Some("F") && total(&d.sex) && n.age == d.age && n.residence == d.residence {
            return Some(Kind::Share);
        }
    }
    Some(Kind::Rate)
}

/// One gap row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gap {
    pub indicator: String,
    pub area: String,
    pub year: i32,
    pub dimension: &'static str,
    pub group: &'static str,
    pub reference_group: &'static str,
    /// The level of the dimensions not compared (None for the one compared).
    pub sex: Option<String>,
    pub age: String,
    pub residence: Option<String>,
    pub kind: &'static str,
    pub unit: String,
    pub value: f64,
    pub reference_value: f64,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub reference_numerator: Option<f64>,
    pub reference_denominator: Option<f64>,
    pub difference: f64,
    pub difference_ci_low: Option<f64>,
    pub difference_ci_high: Option<f64>,
    pub ratio: Option<f64>,
    pub ratio_ci_low: Option<f64>,
    pub ratio_ci_high: Option<f64>,
    pub method: &'static str,
    pub better: Option<&'static str>,
    pub favours: Option<&'static str>,
}

/// Counts of one group: (value, numerator, denominator).
#[derive(Debug, Clone, Copy)]
pub struct Side {
    pub value: f64,
    pub num: f64,
    pub den: f64,
}

fn whole(x: f64) -> bool {
    x >= 0.0 && x.is_finite() && x.fract() == 0.0
}

/// The comparison of two groups' rates or proportions of an indicator with this
/// factor and unit: (difference, its interval, ratio, its interval, method).
#[allow(clippy::type_complexity)]
pub fn compare_rates(g: Side, r: Side, factor: f64, unit: &str) -> (f64, Option<(f64, f64)>, Option<f64>, Option<(f64, f64)>, &'static str) {
    let difference = g.value - r.value;
    let ratio = (r.value != 0.0).then(|| g.value / r.value);
    if !(whole(g.num) && whole(g.den) && whole(r.num) && whole(r.den)) || g.den <= 0.0 || r.den <= 0.0 {
        return (difference, None, ratio, None, "none");
    }
    let proportion = unit == "%" && g.num <= g.den && r.num <= r.den;
    if proportion {
        let d = stats::newcombe_difference(g.num, g.den, r.num, r.den, stats::Z95).map(|(l, h)| (l * factor, h * factor));
        (difference, d, ratio, stats::katz_ratio(g.num, g.den, r.num, r.den, stats::Z95), "newcombe+katz")
    } else {
        let d = stats::poisson_difference(g.num, g.den, r.num, r.den).map(|(l, h)| (l * factor, h * factor));
        (difference, d, ratio, stats::poisson_ratio(g.num, g.den, r.num, r.den, stats::Z95), "mover_poisson+log_rate_ratio")
    }
}

/// The female share F/T of a count against the male share, in the unit's scale
/// (`factor`, 100 for %): (male count, difference, its interval, F/M ratio, its interval).
#[allow(clippy::type_complexity)]
pub fn compare_share(f: f64, t: f64, factor: f64) -> Option<(f64, f64, Option<(f64, f64)>, Option<f64>, Option<(f64, f64)>)> {
    if !(t > 0.0 && f >= 0.0 && f <= t) {
        return None;
    }
    let m = t - f;
    let p = f / t;
    let difference = (2.0 * p - 1.0) * factor;
    let exact = whole(f) && whole(t);
    let ci = exact.then(|| stats::wilson(f, t, stats::Z95)).flatten();
    let d = ci.map(|(l, u)| ((2.0 * l - 1.0) * factor, (2.0 * u - 1.0) * factor));
    let (ratio, rci) = match stats::count_ratio(f, m, stats::Z95) {
        Some((x, l, u)) => (Some(x), exact.then_some((l, u))),
        None => (None, None),
    };
    Some((m, difference, d, ratio, rci))
}

fn better_of(ind: &Indicator, kind: Kind) -> Option<&'static str> {
    match (kind, ind.direction) {
        (Kind::Share, _) => Some("parity"),
        (_, Direction::Increase) => Some("higher"),
        (_, Direction::Decrease) => Some("lower"),
        // "Maintain" a level: the side the target bounds.
        (_, Direction::Maintain) => match ind.target {
            Target::AtLeast(_) => Some("higher"),
            Target::AtMost(_) => Some("lower"),
            _ => None,
        },
        _ => None,
    }
}

fn favours(g: &Gap) -> Option<&'static str> {
    let (lo, hi) = match g.better? {
        "parity" => (g.ratio_ci_low.map(|x| x - 1.0)?, g.ratio_ci_high.map(|x| x - 1.0)?),
        _ => (g.difference_ci_low?, g.difference_ci_high?),
    };
    let higher_wins = g.better != Some("lower");
    Some(if lo > 0.0 {
        if higher_wins {
            g.group
        } else {
            g.reference_group
        }
    } else if hi < 0.0 {
        if higher_wins {
            g.reference_group
        } else {
            g.group
        }
    } else {
        "none"
    })
}

/// Every gap of the indicator rows `ind` (the indicator pass's frame: indicator,
/// area, year, sex, age, residence, value, numerator, denominator, unit).
pub fn gaps(ind: &DataFrame, cfg: &Config) -> PolarsResult<Vec<Gap>> {
    if ind.height() == 0 {
        return Ok(Vec::new());
    }
    let s = |c: &str| -> PolarsResult<&StringChunked> { ind.column(c)?.str() };
    let f = |c: &str| -> PolarsResult<&Float64Chunked> { ind.column(c)?.f64() };
    let (code, area, sex, age, res, unit) = (s("indicator")?, s("area")?, s("sex")?, s("age")?, s("residence")?, s("unit")?);
    let year = ind.column("year")?.i32()?;
    let (value, num, den) = (f("value")?, f("numerator")?, f("denominator")?);
    type Key<'a> = (&'a str, &'a str, i32, &'a str, &'a str, &'a str);
    let mut at: FxHashMap<Key, usize> = FxHashMap::default();
    for i in 0..ind.height() {
        if let (Some(c), Some(a), Some(y), Some(sx), Some(ag), Some(r)) = (code.get(i), area.get(i), year.get(i), sex.get(i), age.get(i), res.get(i)) {
            at.insert((c, a, y, sx, ag, r), i);
        }
    }
    let side = |i: usize| -> Option<Side> { Some(Side { value: value.get(i)?, num: num.get(i)?, den: den.get(i)? }) };
    let defs: FxHashMap<&str, &Indicator> = cfg.catalogue.indicators.iter().map(|d| (d.code.as_str(), d)).collect();
    let mut out = Vec::new();
    // Rows in key order, so the output does not depend on the hash map's.
    let mut keys: Vec<(&Key, &usize)> = at.iter().collect();
    keys.sort_unstable();
    for (&(c, a, y, sx, ag, r), &i) in keys {
        let Some(def) = defs.get(c).copied() else { continue };
        let Some(k) = kind(def) else { continue };
        let Some(g) = side(i) else { continue };
        let base = |dimension, group, reference_group| Gap {
            indicator: c.to_string(),
            area: a.to_string(),
            year: y,
            dimension,
            group,
            reference_group,
            sex: (dimension != "sex").then(|| sx.to_string()),
            age: ag.to_string(),
            residence: (dimension != "residence").then(|| r.to_string()),
            unit: unit.get(i).unwrap_or_default().to_string(),
            better: better_of(def, k),
            ..Default::default()
        };
        // Women against men.
        if k == Kind::Share && sx == "F" {
            if let Some((m, difference, d, ratio, rci)) = compare_share(g.num, g.den, def.factor) {
                let mut gap = base("sex", "F", "M");
                gap.kind = "share";
                gap.value = g.value;
                gap.reference_value = m / g.den * def.factor;
                (gap.numerator, gap.denominator, gap.reference_numerator, gap.reference_denominator) = (Some(g.num), Some(g.den), Some(m), Some(g.den));
                gap.difference = difference;
                (gap.difference_ci_low, gap.difference_ci_high) = (d.map(|x| x.0), d.map(|x| x.1));
                gap.ratio = ratio;
                (gap.ratio_ci_low, gap.ratio_ci_high) = (rci.map(|x| x.0), rci.map(|x| x.1));
                gap.method = "share_wilson";
                gap.favours = favours(&gap);
                out.push(gap);
            }
        } else if k == Kind::Rate && sx == "F" {
            if let Some(m) = at.get(&(c, a, y, "M", ag, r)).and_then(|&j| side(j)) {
                out.push(rate_gap(base("sex", "F", "M"), g, m, def));
            }
        }
        // Rural against urban (the same sex, shares compared as proportions).
        if r == "R" {
            if let Some(u) = at.get(&(c, a, y, sx, ag, "U")).and_then(|&j| side(j)) {
                out.push(rate_gap(base("residence", "R", "U"), g, u, def));
            }
        }
    }
    Ok(out)
}

fn rate_gap(mut gap: Gap, g: Side, r: Side, def: &Indicator) -> Gap {
    let (difference, d, ratio, rci, method) = compare_rates(g, r, def.factor, &gap.unit);
    gap.kind = "rate";
    gap.value = g.value;
    gap.reference_value = r.value;
    (gap.numerator, gap.denominator, gap.reference_numerator, gap.reference_denominator) = (Some(g.num), Some(g.den), Some(r.num), Some(r.den));
    gap.difference = difference;
    (gap.difference_ci_low, gap.difference_ci_high) = (d.map(|x| x.0), d.map(|x| x.1));
    gap.ratio = ratio;
    (gap.ratio_ci_low, gap.ratio_ci_high) = (rci.map(|x| x.0), rci.map(|x| x.1));
    gap.method = method;
    gap.favours = favours(&gap);
    gap
}

/// The gap rows as the published frame (`gaps.parquet` before its area names).
pub fn frame(rows: &[Gap]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&Gap) -> &str| -> Vec<&str> { rows.iter().map(f).collect() };
    let o = |f: fn(&Gap) -> Option<&str>| -> Vec<Option<&str>> { rows.iter().map(f).collect() };
    let x = |f: fn(&Gap) -> Option<f64>| -> Vec<Option<f64>> { rows.iter().map(f).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("indicator".into(), s(|g| &g.indicator)),
        Column::new("area".into(), s(|g| &g.area)),
        Column::new("year".into(), rows.iter().map(|g| g.year).collect::<Vec<i32>>()),
        Column::new("dimension".into(), s(|g| g.dimension)),
        Column::new("group".into(), s(|g| g.group)),
        Column::new("reference_group".into(), s(|g| g.reference_group)),
        Column::new("sex".into(), o(|g| g.sex.as_deref())),
        Column::new("age".into(), s(|g| &g.age)),
        Column::new("residence".into(), o(|g| g.residence.as_deref())),
        Column::new("kind".into(), s(|g| g.kind)),
        Column::new("unit".into(), s(|g| &g.unit)),
        Column::new("value".into(), rows.iter().map(|g| g.value).collect::<Vec<f64>>()),
        Column::new("reference_value".into(), rows.iter().map(|g| g.reference_value).collect::<Vec<f64>>()),
        Column::new("numerator".into(), x(|g| g.numerator)),
        Column::new("denominator".into(), x(|g| g.denominator)),
        Column::new("reference_numerator".into(), x(|g| g.reference_numerator)),
        Column::new("reference_denominator".into(), x(|g| g.reference_denominator)),
        Column::new("difference".into(), rows.iter().map(|g| g.difference).collect::<Vec<f64>>()),
        Column::new("difference_ci_low".into(), x(|g| g.difference_ci_low)),
        Column::new("difference_ci_high".into(), x(|g| g.difference_ci_high)),
        Column::new("ratio".into(), x(|g| g.ratio)),
        Column::new("ratio_ci_low".into(), x(|g| g.ratio_ci_low)),
        Column::new("ratio_ci_high".into(), x(|g| g.ratio_ci_high)),
        Column::new("method".into(), s(|g| g.method)),
        Column::new("better".into(), o(|g| g.better)),
        Column::new("favours".into(), o(|g| g.favours)),
    ])
}

/// The gaps of `ind` as a frame (with its columns even when there are none).
pub fn gaps_frame(ind: &DataFrame, cfg: &Config) -> PolarsResult<DataFrame> {
    frame(&gaps(ind, cfg)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::testing::{cfg, COUNTY};

    /// Indicator rows as the indicator pass gives them: (indicator, sex, residence, value, numerator, denominator, unit).
    type Input<'a> = (&'a str, &'a str, &'a str, f64, f64, &'a str);

    fn rows(r: &[Input], factor: &[f64]) -> DataFrame {
        let s = |f: for<'a> fn(&Input<'a>) -> &'a str| -> Vec<&str> { r.iter().map(f).collect() };
        DataFrame::new_infer_height(vec![
            Column::new("indicator".into(), s(|x| x.0)),
            Column::new("area".into(), vec![COUNTY; r.len()]),
            Column::new("year".into(), vec![2024i32; r.len()]),
            Column::new("sex".into(), s(|x| x.1)),
            Column::new("age".into(), vec!["_T"; r.len()]),
            Column::new("residence".into(), s(|x| x.2)),
            Column::new("value".into(), r.iter().zip(factor).map(|(x, f)| Some(x.3 / x.4 * f)).collect::<Vec<_>>()),
            Column::new("numerator".into(), r.iter().map(|x| Some(x.3)).collect::<Vec<_>>()),
            Column::new("denominator".into(), r.iter().map(|x| Some(x.4)).collect::<Vec<_>>()),
            Column::new("unit".into(), s(|x| x.5)),
        ])
        .unwrap()
    }

    #[test]
    fn the_catalogue_tells_shares_from_rates() {
        let cfg = cfg();
        let k = |c: &str| kind(cfg.catalogue.indicator(c).unwrap());
        assert_eq!(k("W58"), Some(Kind::Share), "women among village committee members");
        assert_eq!(k("W30"), Some(Kind::Share));
        assert_eq!(k("W25"), Some(Kind::Rate), "women's completion rate: F over F");
        assert_eq!(k("C02"), Some(Kind::Rate));
        assert_eq!(k("W80"), Some(Kind::Rate));
    }

    #[test]
    fn a_share_is_compared_with_the_mens_share_and_the_counts_ratio() {
        let cfg = cfg();
        // 30 women among 100 village committee members.
        let g = gaps(&rows(&[("W58", "F", "_T", 30.0, 100.0, "%")], &[100.0]), &cfg).unwrap();
        assert_eq!(g.len(), 1);
        let g = &g[0];
        assert_eq!((g.dimension, g.group, g.reference_group, g.kind, g.method), ("sex", "F", "M", "share", "share_wilson"));
        assert!((g.value - 30.0).abs() < 1e-12 && (g.reference_value - 70.0).abs() < 1e-12);
        assert_eq!((g.reference_numerator, g.reference_denominator), (Some(70.0), Some(100.0)));
        assert!((g.difference - -40.0).abs() < 1e-12);
        // Wilson 30/100 by hand: (0.218949, 0.395849): 2l − 1, 2u − 1 in points; l/(1 − l), u/(1 − u).
        assert!((g.difference_ci_low.unwrap() - -56.21023).abs() < 1e-4 && (g.difference_ci_high.unwrap() - -20.83029).abs() < 1e-4);
        assert!((g.ratio.unwrap() - 30.0 / 70.0).abs() < 1e-12);
        assert!((g.ratio_ci_low.unwrap() - 0.280326).abs() < 1e-5 && (g.ratio_ci_high.unwrap() - 0.655214).abs() < 1e-5);
        // The aim is parity, and the interval excludes it in the men's favour.
        assert_eq!((g.better, g.favours), (Some("parity"), Some("M")));
        assert_eq!((g.sex.as_deref(), g.residence.as_deref()), (None, Some("_T")));
    }

    #[test]
    fn rates_by_sex_and_proportions_by_residence() {
        let cfg = cfg();
        // Infant deaths per 1,000 live births: girls 5 / 1000, boys 10 / 1000 (Poisson counts);
        // women's medical insurance (%) rural 56/70 against urban 48/80 (Newcombe's example a).
        let df = rows(
            &[
                ("C02", "F", "_T", 5.0, 1000.0, "‰"),
                ("C02", "M", "_T", 10.0, 1000.0, "‰"),
                ("W67", "F", "R", 56.0, 70.0, "%"),
                ("W67", "F", "U", 48.0, 80.0, "%"),
            ],
            &[1000.0, 1000.0, 100.0, 100.0],
        );
        let g = gaps(&df, &cfg).unwrap();
        assert_eq!(g.len(), 2, "{g:?}");
        let c02 = g.iter().find(|g| g.indicator == "C02").unwrap();
        assert_eq!((c02.dimension, c02.kind, c02.method), ("sex", "rate", "mover_poisson+log_rate_ratio"));
        assert!((c02.difference - -5.0).abs() < 1e-9);
        // The MOVER limits of stats::poisson_difference's test, in ‰.
        assert!((c02.difference_ci_low.unwrap() - -14.044).abs() < 5e-3 && (c02.difference_ci_high.unwrap() - 3.459).abs() < 5e-3);
        // Rate ratio 0.5, se = √(1/5 + 1/10) = 0.547723: 0.5 e^(∓1.959964 · 0.547723) = 0.17090, 1.46282.
        assert!((c02.ratio.unwrap() - 0.5).abs() < 1e-12);
        assert!((c02.ratio_ci_low.unwrap() - 0.17090).abs() < 1e-4 && (c02.ratio_ci_high.unwrap() - 1.46282).abs() < 1e-4);
        // Lower is better; the interval of the difference covers 0.
        assert_eq!((c02.better, c02.favours), (Some("lower"), Some("none")));
        let w67 = g.iter().find(|g| g.indicator == "W67").unwrap();
        assert_eq!((w67.dimension, w67.group, w67.reference_group, w67.method), ("residence", "R", "U", "newcombe+katz"));
        assert_eq!((w67.sex.as_deref(), w67.residence.as_deref()), (Some("F"), None));
        // Newcombe 1998 Table II example (a), in percentage points: 20 (5.24, 33.39).
        assert!((w67.difference - 20.0).abs() < 1e-9);
        assert!((w67.difference_ci_low.unwrap() - 5.24).abs() < 6e-3 && (w67.difference_ci_high.unwrap() - 33.39).abs() < 6e-3);
        assert_eq!((w67.better, w67.favours), (Some("higher"), Some("R")));
    }

    #[test]
    fn no_gap_without_both_groups() {
        let cfg = cfg();
        let g = gaps(&rows(&[("C02", "F", "_T", 5.0, 1000.0, "‰"), ("W67", "F", "R", 5.0, 10.0, "%")], &[1000.0, 100.0]), &cfg).unwrap();
        assert!(g.is_empty(), "{g:?}");
    }
}
