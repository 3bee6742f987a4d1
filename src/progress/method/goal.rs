//! Goals: whether a value meets one, on which side of it it lies, how far, and
//! the bound progress is measured against (the table in [`super`]'s docs).

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

pub(super) fn range_bounds(low: f64, high: f64) -> (f64, f64) {
    if low <= high {
        (low, high)
    } else {
        (high, low)
    }
}

/// Where a value lies relative to the acceptable region of the goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Below,
    Inside,
    Above,
}

pub(super) fn side(goal: Goal, v: f64) -> Side {
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
pub(super) fn distance(goal: Goal, v: f64) -> f64 {
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
pub(super) fn target_bound(goal: Goal, x0: f64, xt: f64) -> f64 {
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
pub(super) fn boundaries(goal: Goal) -> Vec<f64> {
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
