//! Small numbers: pooled windows and `not_assessable`.

use super::assessment::{classify, finite, first_warnings, ratio_of_rates};
use super::goal::{boundaries, distance, meets, target_bound};
use super::projection::weighted_projection;
use super::{clean_series, Assessment, Goal, Params, Point, Status, Warning};

/// Events pooled over consecutive years `from..=to`: the rate, its interval and
/// the number of events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub from: i32,
    pub to: i32,
    pub value: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub events: f64,
}

impl Window {
    /// The window's midpoint in years (2020–2021 → 2020.5).
    pub fn mid(&self) -> f64 {
        f64::from(self.from) / 2.0 + f64::from(self.to) / 2.0
    }
}

/// Whether the data cannot separate the latest value from both the baseline
/// and the target: fewer than `min_events` events behind it, or its interval
/// holds both the baseline value and the target bound `g`.
pub fn not_assessable(events: Option<f64>, ci: (Option<f64>, Option<f64>), baseline: f64, g: f64, min_events: f64) -> bool {
    if events.is_some_and(|e| e < min_events) {
        return true;
    }
    match ci {
        (Some(a), Some(b)) if a.is_finite() && b.is_finite() => {
            let (lo, hi) = (a.min(b), a.max(b));
            (lo..=hi).contains(&baseline) && (lo..=hi).contains(&g)
        }
        _ => false,
    }
}

/// Progress of a small-count series from two pooled windows of the same length:
/// the baseline window (from the baseline year on) and the latest (ending in
/// the latest year). Elapsed time is between the windows' midpoints, so a
/// latest value pooled over 2023–2024 is not dated 2024 against a baseline
/// dated 2020: `CR_a = (x_t/x_0)^(1/(m_t − m_0)) − 1`,
/// `CR_r = (g/x_0)^(1/(T − m_0)) − 1` (the linear form likewise), AARR
/// `ln(x_0/x_t)/(m_t − m_0)` against `ln(x_0/g)/(T − m_0)`.
///
/// The status is `not_assessable` when [`not_assessable`] holds for the latest
/// window (too few events in it, or its interval holds both the baseline value
/// and the target), else as in [`assess`]. The projection is the time-weighted
/// line through the annual values (`annual`, from the baseline window on: a
/// regression averages their noise, and they are dated where they fall).
/// Warnings: `projected_miss`, `deteriorating`, `latest_missing` and
/// `not_distinguishable` as in [`assess`]; `fluctuating` and
/// `regressed_after_meeting` are not raised, since year-to-year swings of a
/// small count are its Poisson noise. `baseline_year` is the baseline window's
/// first year, `latest_year` the latest window's last.
#[allow(clippy::too_many_arguments)]
pub fn assess_windows(
    base: Window,
    latest: Window,
    annual: &[Point],
    goal: Goal,
    target_year: i32,
    last_data_year: i32,
    min_events: f64,
    p: &Params,
) -> Assessment {
    let (t0, x0, t, xt) = (base.mid(), base.value, latest.mid(), latest.value);
    let g = target_bound(goal, x0, xt);
    let enough = t > t0;
    let latest_met = meets(goal, xt);
    let mut method = "none";
    let (mut observed_rate, mut required_rate, mut progress_ratio) = (None, None, None);
    if enough {
        let n_obs = t - t0;
        let n_req = f64::from(target_year) - t0;
        let cagr = (x0 > 0.0 && xt > 0.0 && g > 0.0 && g != x0 && n_req > 0.0)
            .then(|| ((xt / x0).powf(1.0 / n_obs) - 1.0, (g / x0).powf(1.0 / n_req) - 1.0))
            .filter(|(_, r)| *r != 0.0 && r.is_finite());
        let (obs, req) = match cagr {
            Some((a, r)) => {
                method = "cagr";
                (a, Some(r))
            }
            None => {
                method = "linear";
                ((xt - x0) / n_obs, (n_req > 0.0).then(|| (g - x0) / n_req))
            }
        };
        observed_rate = finite(obs);
        required_rate = req.and_then(finite);
        progress_ratio = ratio_of_rates(goal, x0, xt, observed_rate, required_rate);
    }
    let (aarr_obs, aarr_req) = match goal {
        Goal::AtMost(_) if enough && x0 > 0.0 && xt > 0.0 && g > 0.0 && f64::from(target_year) > t0 => {
            (finite((x0 / xt).ln() / (t - t0)), finite((x0 / g).ln() / (f64::from(target_year) - t0)))
        }
        _ => (None, None),
    };
    let status = if !enough {
        if latest_met {
            Status::Achieved
        } else {
            Status::InsufficientData
        }
    } else if not_assessable(Some(latest.events), (latest.ci_low, latest.ci_high), x0, g, min_events) {
        Status::NotAssessable
    } else if latest_met {
        Status::Achieved
    } else if let Some(r) = progress_ratio {
        classify(r, p)
    } else if distance(goal, xt) > distance(goal, x0) {
        Status::Deterioration
    } else {
        Status::LimitedProgress
    };
    let used: Vec<Point> = clean_series(annual).into_iter().filter(|q| q.year >= base.from && q.year <= latest.to).collect();
    let projected_value = weighted_projection(&used, target_year);
    let mut warnings = first_warnings(enough, projected_value, goal, g, target_year, status);
    if latest.to < last_data_year {
        warnings.push(Warning::LatestMissing { latest_year: latest.to, expected_year: last_data_year });
    }
    if let (Some(a), Some(b)) = (latest.ci_low, latest.ci_high) {
        if a.is_finite() && b.is_finite() && boundaries(goal).iter().any(|&bd| a.min(b) <= bd && bd <= a.max(b)) {
            warnings.push(Warning::NotDistinguishable);
        }
    }
    Assessment {
        baseline_year: Some(base.from),
        baseline_value: Some(x0),
        latest_year: Some(latest.to),
        latest_value: Some(xt),
        target_value: Some(g),
        projected_value,
        observed_rate,
        required_rate,
        progress_ratio,
        aarr: aarr_obs,
        required_aarr: aarr_req,
        method,
        status,
        warnings,
    }
}

/// The two windows of a small-count series: `years` consecutive years with
/// (year, events, denominator), from the baseline year on. Both windows have
/// the same length, `min(pool_years, ⌊n/2⌋)` for n years, so they do not
/// overlap (5 years, 2020–2024: 2020–2021 against 2023–2024). `rate` makes the
/// value and the interval of a window from its summed counts. None with fewer
/// than 2 years.
pub fn windows(years: &[(i32, f64, f64)], pool_years: usize, rate: impl Fn(f64, f64) -> Option<(f64, Option<f64>, Option<f64>)>) -> Option<(Window, Window)> {
    let n = years.len();
    let w = pool_years.min(n / 2);
    if w == 0 {
        return None;
    }
    let make = |part: &[(i32, f64, f64)]| -> Option<Window> {
        let (events, den) = part.iter().fold((0.0, 0.0), |a, r| (a.0 + r.1, a.1 + r.2));
        let (value, ci_low, ci_high) = rate(events, den)?;
        Some(Window { from: part.first()?.0, to: part.last()?.0, value, ci_low, ci_high, events })
    };
    Some((make(&years[..w])?, make(&years[n - w..])?))
}
