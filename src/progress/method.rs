//! Progress of one indicator series toward one target (ESCAP / open-sdg method).
//!
//! Everything here is pure arithmetic on a single series; the caller supplies
//! the points, the goal, the target year, an optional baseline year and the
//! latest year for which the run has any data at all.
//!
//! # Input cleaning
//!
//! Points with a non-finite value are dropped, the rest are sorted by year.
//! If a year occurs more than once, the point that comes **last in the input**
//! is kept.
//!
//! # Baseline, latest, points used
//!
//! * Baseline `(t0, x0)`: the point at `baseline_year` if given and present,
//!   otherwise the first (earliest) point.
//! * Latest `(t, xt)`: the last (most recent) point.
//! * "Points used" for the projection and the fluctuation test: every point
//!   with `year >= t0`.
//! * Fewer than 2 points used (this includes `t == t0`) → `insufficient_data`,
//!   unless the latest value already meets the goal (then `achieved`).
//!   Baseline, latest and target are still reported.
//!
//! # Goals and the target bound `g`
//!
//! | goal | met when | `g` (bound progress is measured against) |
//! |---|---|---|
//! | `AtLeast(X)` (不低于 X) | `v >= X` | `X` |
//! | `AtMost(X)` (不高于 / 控制在 X 以下) | `v <= X` | `X` |
//! | `About{X, tol}` (X 左右) | `abs(v - X) <= tol` | `X` |
//! | `Range{low, high}` | `low <= v <= high` | bound the latest value violates; if the latest is inside, the bound the baseline violated; if both are inside, the bound nearer the latest value |
//!
//! Relative targets ("20 % below the 2020 value") are turned into absolute
//! ones by [`relative_goal`]: `change < 0 → AtMost(base·(1+change))`,
//! `change >= 0 → AtLeast(base·(1+change))`.
//!
//! # Rates and progress ratio (ESCAP)
//!
//! With `T` = target year:
//!
//! * Observed compound annual growth rate `CR_a = (xt/x0)^(1/(t−t0)) − 1`.
//! * Required compound annual growth rate `CR_r = (g/x0)^(1/(T−t0)) − 1`.
//! * `progress_ratio = CR_a / CR_r`, method `"cagr"`.
//!
//! When the log form is undefined (`x0 <= 0`, `xt <= 0`, `g <= 0` — e.g. a
//! target of zero — or `CR_r == 0`), the linear form is used instead:
//! observed slope `(xt − x0)/(t − t0)` over required slope `(g − x0)/(T − t0)`,
//! method `"linear"`. `observed_rate` / `required_rate` carry whichever form
//! `method` names; `method` is `"none"` when no rate could be computed.
//!
//! The ratio is `None` (not meaningful) when
//! * `T <= t0` (target year not after the baseline year), or
//! * the required change is zero, or
//! * the baseline already meets the goal (the "required" change would point
//!   away from the goal), or
//! * for two-sided goals (`About`, `Range`) the series overshot: the baseline
//!   is on one side of the acceptable region and the latest value on the other.
//!
//! # Status
//!
//! 1. Latest value meets the goal → `achieved` (the ratio is still reported
//!    when it can be computed).
//! 2. Fewer than 2 points used → `insufficient_data`.
//! 3. Ratio known: `ratio >= on_track (0.95)` → `on_track`;
//!    `>= needs_acceleration (0.6)` → `needs_acceleration`; `>= 0` →
//!    `limited_progress`; `< 0` → `deterioration`.
//! 4. Ratio unknown: if the latest value is farther from the acceptable
//!    region than the baseline value (distance 0 when met; `X − v` below an
//!    `AtLeast`, `v − X` above an `AtMost`, `|v − X| − tol` for `About`,
//!    distance to the violated bound for `Range`) → `deterioration`,
//!    otherwise `limited_progress`.
//!
//! # Annual rate of reduction (UNICEF / UN IGME), `AtMost` goals only
//!
//! * Observed `AARR = ln(x0/xt)/(t − t0)`.
//! * Required `AARR_r = ln(x0/g)/(T − t0)`.
//!
//! Both are `None` unless every value involved is `> 0` and the time span is
//! positive (and unless at least 2 points are used).
//!
//! # Time-weighted linear projection (ESCAP / UNECE style)
//!
//! Weighted least squares of value on year over all points used, with weight
//! `w_i = 1 + (year_i − first_year_used)` so recent years count more:
//!
//! ```text
//! W  = Σ w_i            ū = Σ w_i·u_i / W        ȳ = Σ w_i·y_i / W      (u_i = year_i − first_year)
//! b  = Σ w_i (u_i − ū)(y_i − ȳ) / Σ w_i (u_i − ū)²
//! a  = ȳ − b·ū
//! projected_value = a + b·(T − first_year)
//! ```
//!
//! With a single point the projection is that point's value. With exactly two
//! points the weighted line passes through both of them.
//!
//! # Theil–Sen slope
//!
//! Median over all pairs `i < j` with distinct years of
//! `(x_j − x_i)/(year_j − year_i)`.
//!
//! # Warnings (in this order)
//!
//! * `projected_miss` — at least 2 points used and the projected value at `T`
//!   does not meet the goal (whatever the status, including `achieved`).
//! * `deteriorating` — status is `deterioration`.
//! * `fluctuating` — at least 4 points used (≥ 3 changes between consecutive
//!   points `d_i = x_i − x_{i−1}`), and all of:
//!   number of sign reversals among the non-zero `d_i` `>= 2`;
//!   `median|d_i| > fluctuation_multiple (2.0) × |Theil–Sen slope|`;
//!   `median|d_i| > fluctuation_min_relative (0.10) × median|x_i|`.
//! * `regressed_after_meeting` — some point before the latest (any point of
//!   the cleaned series, also before the baseline) met the goal and the latest
//!   does not; `met_in` is the most recent such year.
//! * `latest_missing` — the latest year of the series is before the latest
//!   year for which the run has any data. (Not raised for an empty series.)
//! * `not_distinguishable` — the latest point has both `ci_low` and `ci_high`
//!   and the interval `[min, max]` of the two contains a boundary of the
//!   acceptable region: `X` for `AtLeast`/`AtMost`, either of `low`/`high` for
//!   `Range`, either of `X − tol`/`X + tol` for `About`. Raised regardless of
//!   status: the true value may lie on either side of the target.

/// One observation of the indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub year: i32,
    pub value: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// The target as written in the plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// 不低于 X: met when `value >= X` (desired direction: increase).
    AtLeast(f64),
    /// 不高于 / 控制在 X 以下: met when `value <= X` (desired direction: decrease).
    AtMost(f64),
    /// X 左右: met when `|value − X| <= tolerance`.
    About { value: f64, tolerance: f64 },
    /// e.g. sex ratio at birth 103–107: met when `low <= value <= high`.
    Range { low: f64, high: f64 },
}

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

// ---------------------------------------------------------------------------
// Small public helpers
// ---------------------------------------------------------------------------

/// Turn a relative target ("20 % below the base value": `change = -0.2`) into
/// an absolute goal.
pub fn relative_goal(base_value: f64, change: f64) -> Goal {
    let target = base_value * (1.0 + change);
    if change < 0.0 {
        Goal::AtMost(target)
    } else {
        Goal::AtLeast(target)
    }
}

/// Does `v` meet the goal? Non-finite values never do. A `Range` given with
/// `low > high` is read with the bounds swapped; a negative `About` tolerance
/// is read as its absolute value.
pub fn meets(goal: Goal, v: f64) -> bool {
    if !v.is_finite() {
        return false;
    }
    match goal {
        Goal::AtLeast(x) => v >= x,
        Goal::AtMost(x) => v <= x,
        Goal::About { value, tolerance } => (v - value).abs() <= tolerance.abs(),
        Goal::Range { low, high } => {
            let (lo, hi) = range_bounds(low, high);
            lo <= v && v <= hi
        }
    }
}

pub use crate::util::median;

/// Theil–Sen slope: median over all pairs with distinct years of
/// `(x_j − x_i)/(year_j − year_i)`. Non-finite values are ignored; order of
/// the input does not matter. `None` when there is no such pair.
pub fn theil_sen(points: &[Point]) -> Option<f64> {
    let pts: Vec<&Point> = points.iter().filter(|p| p.value.is_finite()).collect();
    let mut slopes = Vec::new();
    for i in 0..pts.len() {
        for j in (i + 1)..pts.len() {
            let dt = pts[j].year - pts[i].year;
            if dt != 0 {
                slopes.push((pts[j].value - pts[i].value) / dt as f64);
            }
        }
    }
    median(&mut slopes)
}

/// Time-weighted linear projection at `target_year` (see module docs): weighted
/// least squares of value on year with `w_i = 1 + (year_i − first_year)`.
/// Non-finite values are ignored. One distinct year → the weighted mean of
/// its values; no points → `None`.
pub fn weighted_projection(points: &[Point], target_year: i32) -> Option<f64> {
    let pts: Vec<&Point> = points.iter().filter(|p| p.value.is_finite()).collect();
    let first = pts.iter().map(|p| p.year).min()?;
    // Years are centred on the first year (u = year − first) to keep the sums small.
    let mut sw = 0.0;
    let mut swu = 0.0;
    let mut swy = 0.0;
    for p in &pts {
        let u = (p.year - first) as f64;
        let w = 1.0 + u;
        sw += w;
        swu += w * u;
        swy += w * p.value;
    }
    let u_bar = swu / sw;
    let y_bar = swy / sw;
    let mut sxx = 0.0;
    let mut sxy = 0.0;
    for p in &pts {
        let u = (p.year - first) as f64;
        let w = 1.0 + u;
        sxx += w * (u - u_bar) * (u - u_bar);
        sxy += w * (u - u_bar) * (p.value - y_bar);
    }
    if sxx <= 0.0 {
        return Some(y_bar);
    }
    let b = sxy / sxx;
    let a = y_bar - b * u_bar;
    let proj = a + b * (target_year - first) as f64;
    if proj.is_finite() {
        Some(proj)
    } else {
        None
    }
}

/// Annual rate of reduction `ln(x0/x1)/(t1 − t0)`; `None` unless both values
/// are finite and `> 0` and `t1 > t0`.
pub fn aarr(x0: f64, t0: i32, x1: f64, t1: i32) -> Option<f64> {
    if !(x0.is_finite() && x1.is_finite()) || x0 <= 0.0 || x1 <= 0.0 || t1 <= t0 {
        return None;
    }
    Some((x0 / x1).ln() / (t1 - t0) as f64)
}

/// Drop non-finite values, sort by year, keep the last given point for a
/// repeated year.
pub fn clean_series(series: &[Point]) -> Vec<Point> {
    let mut pts: Vec<Point> = series.iter().copied().filter(|p| p.value.is_finite()).collect();
    pts.sort_by_key(|p| p.year); // stable: equal years keep input order
    let mut out: Vec<Point> = Vec::with_capacity(pts.len());
    for p in pts {
        match out.last_mut() {
            Some(last) if last.year == p.year => *last = p,
            _ => out.push(p),
        }
    }
    out
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

// ---------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------

/// Format a number for a sentence: rounded to 4 decimals, shortest form
/// (8.0 → "8", 9.1 → "9.1").
fn num(v: f64) -> String {
    if !v.is_finite() {
        return format!("{}", v);
    }
    let r = (v * 1e4).round() / 1e4;
    let r = if r == 0.0 { 0.0 } else { r }; // no "-0"
    format!("{}", r)
}

fn range_bounds(low: f64, high: f64) -> (f64, f64) {
    if low <= high {
        (low, high)
    } else {
        (high, low)
    }
}

/// Where a value lies relative to the acceptable region of the goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Below,
    Inside,
    Above,
}

fn side(goal: Goal, v: f64) -> Side {
    if meets(goal, v) {
        return Side::Inside;
    }
    match goal {
        Goal::AtLeast(_) => Side::Below,
        Goal::AtMost(_) => Side::Above,
        Goal::About { value, .. } => {
            if v < value {
                Side::Below
            } else {
                Side::Above
            }
        }
        Goal::Range { low, high } => {
            let (lo, _) = range_bounds(low, high);
            if v < lo {
                Side::Below
            } else {
                Side::Above
            }
        }
    }
}

/// Distance from `v` to the acceptable region (0 when met).
fn distance(goal: Goal, v: f64) -> f64 {
    if meets(goal, v) {
        return 0.0;
    }
    match goal {
        Goal::AtLeast(x) => x - v,
        Goal::AtMost(x) => v - x,
        Goal::About { value, tolerance } => (v - value).abs() - tolerance.abs(),
        Goal::Range { low, high } => {
            let (lo, hi) = range_bounds(low, high);
            if v < lo {
                lo - v
            } else {
                v - hi
            }
        }
    }
}

/// The bound `g` progress is measured against (see the table in the module docs).
fn target_bound(goal: Goal, x0: f64, xt: f64) -> f64 {
    match goal {
        Goal::AtLeast(x) | Goal::AtMost(x) => x,
        Goal::About { value, .. } => value,
        Goal::Range { low, high } => {
            let (lo, hi) = range_bounds(low, high);
            match (side(goal, xt), side(goal, x0)) {
                (Side::Below, _) => lo,
                (Side::Above, _) => hi,
                (Side::Inside, Side::Below) => lo,
                (Side::Inside, Side::Above) => hi,
                (Side::Inside, Side::Inside) => {
                    if xt - lo <= hi - xt {
                        lo
                    } else {
                        hi
                    }
                }
            }
        }
    }
}

/// Boundaries of the acceptable region, used for the CI test.
fn boundaries(goal: Goal) -> Vec<f64> {
    match goal {
        Goal::AtLeast(x) | Goal::AtMost(x) => vec![x],
        Goal::About { value, tolerance } => {
            let t = tolerance.abs();
            if t == 0.0 {
                vec![value]
            } else {
                vec![value - t, value + t]
            }
        }
        Goal::Range { low, high } => {
            let (lo, hi) = range_bounds(low, high);
            vec![lo, hi]
        }
    }
}

fn classify(ratio: f64, p: &Params) -> Status {
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

fn finite(v: f64) -> Option<f64> {
    if v.is_finite() {
        Some(v)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// The assessment
// ---------------------------------------------------------------------------

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

        // The ratio is only meaningful when the baseline is off target and,
        // for two-sided goals, the series did not jump across the region.
        let s0 = side(goal, x0);
        let st = side(goal, xt);
        let overshoot = matches!((s0, st), (Side::Below, Side::Above) | (Side::Above, Side::Below));
        if s0 != Side::Inside && !overshoot {
            if let (Some(o), Some(r)) = (observed_rate, required_rate) {
                if r != 0.0 {
                    progress_ratio = finite(o / r);
                }
            }
        }
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
    let mut warnings = Vec::new();
    if enough {
        if let Some(proj) = projected_value {
            if !meets(goal, proj) {
                warnings.push(Warning::ProjectedMiss { projected: proj, target: g, target_year });
            }
        }
    }
    if status == Status::Deterioration {
        warnings.push(Warning::Deteriorating);
    }
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

// ---------------------------------------------------------------------------
// Small numbers: pooled windows and `not_assessable`
// ---------------------------------------------------------------------------

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
        let (s0, st) = (side(goal, x0), side(goal, xt));
        let overshoot = matches!((s0, st), (Side::Below, Side::Above) | (Side::Above, Side::Below));
        if s0 != Side::Inside && !overshoot {
            if let (Some(o), Some(r)) = (observed_rate, required_rate) {
                if r != 0.0 {
                    progress_ratio = finite(o / r);
                }
            }
        }
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
    let mut warnings = Vec::new();
    if enough {
        if let Some(proj) = projected_value {
            if !meets(goal, proj) {
                warnings.push(Warning::ProjectedMiss { projected: proj, target: g, target_year });
            }
        }
    }
    if status == Status::Deterioration {
        warnings.push(Warning::Deteriorating);
    }
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

// ---------------------------------------------------------------------------
// Direction-only targets: Theil–Sen slope and the Mann–Kendall test
// ---------------------------------------------------------------------------

/// A robust trend of a series: the Theil–Sen slope (median of pairwise slopes)
/// with its intercept `median(x) − slope · median(year)` (scipy's
/// `theilslopes`), and the Mann–Kendall statistic S = Σ_{i<j} sign(x_j − x_i)
/// with its two-sided p-value: exact without ties (the distribution of S is
/// that of the number of inversions of a random permutation, Mahonian numbers;
/// scipy's `kendalltau(method="exact")`), else the normal approximation with
/// the ties-corrected variance `[n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18` and no
/// continuity correction (scipy's asymptotic `kendalltau`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub n: usize,
    pub slope: f64,
    pub intercept: f64,
    pub s: f64,
    pub p_value: f64,
}

/// The trend of a series (cleaned first); None with fewer than 3 points.
pub fn trend(series: &[Point]) -> Option<Trend> {
    let pts = clean_series(series);
    let n = pts.len();
    if n < 3 {
        return None;
    }
    let slope = theil_sen(&pts)?;
    let mut xs: Vec<f64> = pts.iter().map(|p| p.value).collect();
    let mut ts: Vec<f64> = pts.iter().map(|p| f64::from(p.year)).collect();
    let intercept = median(&mut xs)? - slope * median(&mut ts)?;
    let mut s = 0i64;
    for i in 0..n {
        for j in (i + 1)..n {
            s += match pts[j].value.partial_cmp(&pts[i].value) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    // Tie groups of the values (years are distinct after cleaning).
    let mut sorted: Vec<f64> = pts.iter().map(|p| p.value).collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mut ties: Vec<usize> = Vec::new();
    let mut run = 1usize;
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            run += 1;
        } else {
            if run > 1 {
                ties.push(run);
            }
            run = 1;
        }
    }
    if run > 1 {
        ties.push(run);
    }
    let p_value = if ties.is_empty() && n <= 60 {
        kendall_exact_p(n, s)
    } else {
        let nf = n as f64;
        let tie_term: f64 = ties.iter().map(|&t| (t * (t - 1) * (2 * t + 5)) as f64).sum();
        let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - tie_term) / 18.0;
        if var <= 0.0 {
            1.0
        } else {
            let z = s as f64 / var.sqrt();
            libm::erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
        }
    };
    Some(Trend { n, slope, intercept, s: s as f64, p_value })
}

/// Two-sided exact p-value of the Mann–Kendall S for n distinct values:
/// min(1, 2 · P(S ≥ |s|)), with S = N − 2·inversions, N = n(n−1)/2, and the
/// number of permutations with k inversions by the Mahonian recursion.
fn kendall_exact_p(n: usize, s: i64) -> f64 {
    let total = n * (n - 1) / 2;
    // counts[k] / n!: the probability of k inversions (kept as probabilities to stay in range).
    let mut dist = vec![1.0f64];
    for m in 2..=n {
        let mut next = vec![0.0f64; dist.len() + m - 1];
        for (k, &p) in dist.iter().enumerate() {
            for j in 0..m {
                next[k + j] += p / m as f64;
            }
        }
        dist = next;
    }
    // S ≥ |s|  <=>  inversions ≤ (N − |s|) / 2.
    let max_inv = (total as i64 - s.abs()) / 2;
    let tail: f64 = dist.iter().take((max_inv.max(-1) + 1) as usize).sum();
    (2.0 * tail).min(1.0)
}

/// What a direction-only target's trend says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendClass {
    /// 改善: a trend in the target's direction (p below the level).
    Improving,
    /// 无明显变化: no trend the data can tell from noise.
    NoClearChange,
    /// 恶化: a trend against the target's direction.
    Deteriorating,
    /// 数据不足: fewer than `min_points` years.
    InsufficientData,
}

impl TrendClass {
    pub fn as_str(self) -> &'static str {
        match self {
            TrendClass::Improving => "improving",
            TrendClass::NoClearChange => "no_clear_change",
            TrendClass::Deteriorating => "deteriorating",
            TrendClass::InsufficientData => "insufficient_data",
        }
    }

    /// The progress status it is published as: improving → `on_track`, no clear
    /// change → `limited_progress`, deteriorating → `deterioration`, insufficient
    /// data → `insufficient_data`; for a target to maintain a level, no clear
    /// change → `on_track` and a clear change either way → `limited_progress`.
    pub fn status(self, maintain: bool) -> Status {
        match (self, maintain) {
            (TrendClass::InsufficientData, _) => Status::InsufficientData,
            (TrendClass::NoClearChange, true) => Status::OnTrack,
            (_, true) => Status::LimitedProgress,
            (TrendClass::Improving, false) => Status::OnTrack,
            (TrendClass::NoClearChange, false) => Status::LimitedProgress,
            (TrendClass::Deteriorating, false) => Status::Deterioration,
        }
    }
}

/// The class of a trend for a target whose better direction is up (`higher_better`)
/// or down, at two-sided level `alpha`, with at least `min_points` years.
pub fn classify_trend(t: Option<&Trend>, higher_better: bool, alpha: f64, min_points: usize) -> TrendClass {
    let Some(t) = t.filter(|t| t.n >= min_points) else { return TrendClass::InsufficientData };
    if t.p_value.is_nan() || t.p_value >= alpha || t.s == 0.0 {
        return TrendClass::NoClearChange;
    }
    if (t.s > 0.0) == higher_better {
        TrendClass::Improving
    } else {
        TrendClass::Deteriorating
    }
}

#[cfg(test)]
mod tests;
