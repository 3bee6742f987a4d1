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

mod assessment;
mod goal;
mod projection;
mod trend;
mod windows;

pub use assessment::{assess, detect_fluctuation, Assessment, Params, Status, Warning};
pub use goal::{meets, relative_goal, Goal};
pub use projection::{aarr, theil_sen, weighted_projection};
pub use trend::{classify_trend, trend, Trend, TrendClass};
pub use windows::{assess_windows, not_assessable, windows, Window};

/// One observation of the indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub year: i32,
    pub value: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

pub use crate::util::median;

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

#[cfg(test)]
mod tests;
