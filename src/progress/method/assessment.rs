//! The assessment of one series against one goal: thresholds, statuses,
//! warnings, and [`assess`] itself.

use super::goal::{boundaries, distance, meets, side, target_bound, Side};
use super::projection::{aarr, theil_sen, weighted_projection};
use super::{clean_series, median, Goal, Point};

/// Thresholds of the method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Ratio at or above this → on track (default 0.95).
    pub on_track: f64,
    /// Ratio in `[needs_acceleration, on_track)` → needs acceleration;
    /// `[0, needs_acceleration)` → limited progress; `< 0` → deterioration (default 0.6).
    pub needs_acceleration: f64,
    /// Fluctuation: median |change| must exceed this multiple of |trend| (default 2.0).
    pub fluctuation_multiple: f64,
    /// Fluctuation: median |change| must exceed this share of median |value| (default 0.10).
    pub fluctuation_min_relative: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params { on_track: 0.95, needs_acceleration: 0.6, fluctuation_multiple: 2.0, fluctuation_min_relative: 0.10 }
    }
}

/// Progress class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Achieved,
    OnTrack,
    NeedsAcceleration,
    LimitedProgress,
    Deterioration,
    /// The data cannot tell: too few events, or the latest value's interval
    /// holds both the baseline value and the target.
    NotAssessable,
    InsufficientData,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::OnTrack => "on_track",
            Status::NeedsAcceleration => "needs_acceleration",
            Status::LimitedProgress => "limited_progress",
            Status::Deterioration => "deterioration",
            Status::NotAssessable => "not_assessable",
            Status::InsufficientData => "insufficient_data",
        }
    }
}

/// Early warnings attached to an assessment.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    ProjectedMiss {
        projected: f64,
        target: f64,
        target_year: i32,
    },
    Deteriorating,
    Fluctuating {
        median_change: f64,
        trend: f64,
    },
    RegressedAfterMeeting {
        met_in: i32,
    },
    LatestMissing {
        latest_year: i32,
        expected_year: i32,
    },
    /// The latest value's CI contains the target (bound): the status cannot be
    /// told apart from the target.
    NotDistinguishable,
}

impl Warning {
    pub fn code(&self) -> &'static str {
        match self {
            Warning::ProjectedMiss { .. } => "projected_miss",
            Warning::Deteriorating => "deteriorating",
            Warning::Fluctuating { .. } => "fluctuating",
            Warning::RegressedAfterMeeting { .. } => "regressed_after_meeting",
            Warning::LatestMissing { .. } => "latest_missing",
            Warning::NotDistinguishable => "not_distinguishable",
        }
    }

    /// One readable English sentence with the numbers.
    pub fn reason(&self) -> String {
        match self {
            Warning::ProjectedMiss { projected, target, target_year } => {
                format!("projected {} in {} misses the target {}", num(*projected), target_year, num(*target))
            }
            Warning::Deteriorating => "the indicator has moved away from the target since the baseline".to_string(),
            Warning::Fluctuating { median_change, trend } => {
                format!("year-to-year changes (median size {}) are large compared with the trend ({} per year)", num(*median_change), num(*trend))
            }
            Warning::RegressedAfterMeeting { met_in } => {
                format!("the target was met in {} but is not met in the latest year", met_in)
            }
            Warning::LatestMissing { latest_year, expected_year } => {
                format!("the latest value is from {}, there is no value for {}", latest_year, expected_year)
            }
            Warning::NotDistinguishable => "not distinguishable from the target: the 95% confidence interval of the latest value contains it".to_string(),
        }
    }

    /// [`Warning::reason`] in Chinese (`progress.warning_text_zh`), from the message catalogue.
    pub fn reason_zh(&self) -> String {
        use crate::i18n::Lang::Zh;
        use crate::t;
        match self {
            Warning::ProjectedMiss { projected, target, target_year } => {
                t!(Zh, "warning-projected-miss", projected = &num(*projected), year = &target_year.to_string(), target = &num(*target))
            }
            Warning::Deteriorating => t!(Zh, "warning-deteriorating"),
            Warning::Fluctuating { median_change, trend } => t!(Zh, "warning-fluctuating", median = &num(*median_change), trend = &num(*trend)),
            Warning::RegressedAfterMeeting { met_in } => t!(Zh, "warning-regressed-after-meeting", year = &met_in.to_string()),
            Warning::LatestMissing { latest_year, expected_year } => {
                t!(Zh, "warning-latest-missing", latest = &latest_year.to_string(), expected = &expected_year.to_string())
            }
            Warning::NotDistinguishable => t!(Zh, "warning-not-distinguishable"),
        }
    }
}

/// Result of [`assess`].
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub baseline_year: Option<i32>,
    pub baseline_value: Option<f64>,
    pub latest_year: Option<i32>,
    pub latest_value: Option<f64>,
    /// The bound progress is measured against (`g` in the module docs).
    pub target_value: Option<f64>,
    /// Time-weighted linear projection at the target year.
    pub projected_value: Option<f64>,
    /// Observed CAGR (method "cagr") or observed slope per year (method "linear").
    pub observed_rate: Option<f64>,
    /// Required CAGR (method "cagr") or required slope per year (method "linear").
    pub required_rate: Option<f64>,
    pub progress_ratio: Option<f64>,
    /// Observed annual rate of reduction, `AtMost` goals only.
    pub aarr: Option<f64>,
    /// Required annual rate of reduction, `AtMost` goals only.
    pub required_aarr: Option<f64>,
    /// "cagr", "linear" or "none".
    pub method: &'static str,
    pub status: Status,
    pub warnings: Vec<Warning>,
}

/// Fluctuation test (see module docs) on a series; the series is cleaned
/// first. Returns the `Fluctuating` warning when it fires.
pub fn detect_fluctuation(points: &[Point], p: &Params) -> Option<Warning> {
    let pts = clean_series(points);
    if pts.len() < 4 {
        return None;
    }
    let diffs: Vec<f64> = pts.windows(2).map(|w| w[1].value - w[0].value).collect();
    // Sign reversals among the non-zero changes.
    let signs: Vec<bool> = diffs.iter().filter(|d| **d != 0.0).map(|d| *d > 0.0).collect();
    let reversals = signs.windows(2).filter(|w| w[0] != w[1]).count();
    if reversals < 2 {
        return None;
    }
    let mut abs_d: Vec<f64> = diffs.iter().map(|d| d.abs()).collect();
    let median_change = median(&mut abs_d)?;
    let trend = theil_sen(&pts)?;
    let mut abs_x: Vec<f64> = pts.iter().map(|q| q.value.abs()).collect();
    let level = median(&mut abs_x)?;
    if median_change > p.fluctuation_multiple * trend.abs() && median_change > p.fluctuation_min_relative * level {
        Some(Warning::Fluctuating { median_change, trend })
    } else {
        None
    }
}

/// Format a number for a sentence: rounded to 4 decimals, shortest form
/// (8.0 → "8", 9.1 → "9.1").
pub(super) fn num(v: f64) -> String {
    if !v.is_finite() {
        return format!("{}", v);
    }
    let r = (v * 1e4).round() / 1e4;
    let r = if r == 0.0 { 0.0 } else { r }; // no "-0"
    format!("{}", r)
}

/// The progress ratio, observed rate ÷ required rate: only meaningful when the
/// baseline `x0` is off target and, for two-sided goals, the series did not jump
/// across the region to `xt`.
pub(super) fn ratio_of_rates(goal: Goal, x0: f64, xt: f64, observed: Option<f64>, required: Option<f64>) -> Option<f64> {
    let (s0, st) = (side(goal, x0), side(goal, xt));
    let overshoot = matches!((s0, st), (Side::Below, Side::Above) | (Side::Above, Side::Below));
    match (observed, required) {
        (Some(o), Some(r)) if s0 != Side::Inside && !overshoot && r != 0.0 => finite(o / r),
        _ => None,
    }
}

/// The first warnings of an assessment, in their fixed order: the projection
/// misses the target (only with enough data), then a deteriorating status.
pub(super) fn first_warnings(enough: bool, projected: Option<f64>, goal: Goal, g: f64, target_year: i32, status: Status) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if let (true, Some(proj)) = (enough, projected) {
        if !meets(goal, proj) {
            warnings.push(Warning::ProjectedMiss { projected: proj, target: g, target_year });
        }
    }
    if status == Status::Deterioration {
        warnings.push(Warning::Deteriorating);
    }
    warnings
}

pub(super) fn classify(ratio: f64, p: &Params) -> Status {
    if ratio >= p.on_track {
        Status::OnTrack
    } else if ratio >= p.needs_acceleration {
        Status::NeedsAcceleration
    } else if ratio >= 0.0 {
        Status::LimitedProgress
    } else {
        Status::Deterioration
    }
}

pub(super) fn finite(v: f64) -> Option<f64> {
    if v.is_finite() {
        Some(v)
    } else {
        None
    }
}

/// Assess one series against one goal. See the module docs for every formula.
pub fn assess(series: &[Point], goal: Goal, target_year: i32, baseline_year: Option<i32>, last_data_year: i32, p: &Params) -> Assessment {
    let pts = clean_series(series);
    let (first, latest) = match (pts.first(), pts.last()) {
        (Some(f), Some(l)) => (*f, *l),
        _ => {
            // No usable data at all.
            return Assessment {
                baseline_year: None,
                baseline_value: None,
                latest_year: None,
                latest_value: None,
                target_value: None,
                projected_value: None,
                observed_rate: None,
                required_rate: None,
                progress_ratio: None,
                aarr: None,
                required_aarr: None,
                method: "none",
                status: Status::InsufficientData,
                warnings: Vec::new(),
            };
        }
    };
    let base = baseline_year.and_then(|y| pts.iter().find(|q| q.year == y).copied()).unwrap_or(first);
    let used: Vec<Point> = pts.iter().copied().filter(|q| q.year >= base.year).collect();
    let enough = used.len() >= 2; // implies latest.year > base.year

    let (t0, x0) = (base.year, base.value);
    let (t, xt) = (latest.year, latest.value);
    let g = target_bound(goal, x0, xt);
    let latest_met = meets(goal, xt);

    // --- Rates and ratio -------------------------------------------------
    let mut method = "none";
    let mut observed_rate = None;
    let mut required_rate = None;
    let mut progress_ratio = None;
    if enough {
        let n_obs = (t - t0) as f64;
        let n_req = (target_year - t0) as f64;
        let cagr = if x0 > 0.0 && xt > 0.0 && g > 0.0 && g != x0 {
            let cr_a = (xt / x0).powf(1.0 / n_obs) - 1.0;
            let cr_r = if n_req > 0.0 { Some((g / x0).powf(1.0 / n_req) - 1.0) } else { None };
            match cr_r {
                // CR_r can round to exactly 0 when g is extremely close to x0: fall back to linear.
                Some(r) if r == 0.0 || !r.is_finite() => None,
                _ => Some((cr_a, cr_r)),
            }
        } else {
            None
        };
        let (obs, req) = match cagr {
            Some((a, r)) => {
                method = "cagr";
                (a, r)
            }
            None => {
                method = "linear";
                let req = if n_req > 0.0 { Some((g - x0) / n_req) } else { None };
                ((xt - x0) / n_obs, req)
            }
        };
        observed_rate = finite(obs);
        required_rate = req.and_then(finite);

        progress_ratio = ratio_of_rates(goal, x0, xt, observed_rate, required_rate);
    }

    // --- AARR (AtMost only) ---------------------------------------------
    let (aarr_obs, aarr_req) = match goal {
        Goal::AtMost(_) if enough => (aarr(x0, t0, xt, t), aarr(x0, t0, g, target_year)),
        _ => (None, None),
    };

    // --- Status ----------------------------------------------------------
    let status = if latest_met {
        Status::Achieved
    } else if !enough {
        Status::InsufficientData
    } else if let Some(r) = progress_ratio {
        classify(r, p)
    } else if distance(goal, xt) > distance(goal, x0) {
        Status::Deterioration
    } else {
        Status::LimitedProgress
    };

    // --- Projection ------------------------------------------------------
    let projected_value = weighted_projection(&used, target_year);

    // --- Warnings (fixed order) -----------------------------------------
    let mut warnings = first_warnings(enough, projected_value, goal, g, target_year, status);
    if let Some(w) = detect_fluctuation(&used, p) {
        warnings.push(w);
    }
    if !latest_met {
        if let Some(met_in) = pts[..pts.len() - 1].iter().rev().find(|q| meets(goal, q.value)).map(|q| q.year) {
            warnings.push(Warning::RegressedAfterMeeting { met_in });
        }
    }
    if t < last_data_year {
        warnings.push(Warning::LatestMissing { latest_year: t, expected_year: last_data_year });
    }
    if let (Some(a), Some(b)) = (latest.ci_low, latest.ci_high) {
        if a.is_finite() && b.is_finite() {
            let (lo, hi) = (a.min(b), a.max(b));
            if boundaries(goal).iter().any(|&bd| lo <= bd && bd <= hi) {
                warnings.push(Warning::NotDistinguishable);
            }
        }
    }

    Assessment {
        baseline_year: Some(t0),
        baseline_value: Some(x0),
        latest_year: Some(t),
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
