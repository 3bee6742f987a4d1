//! `relative`: a change from the base year's value (`relative_change = -0.2`:
//! 20% below the 2020 value), turned into an absolute goal by
//! [`method::relative_goal`]. Stated without a year: for the last target year.

use super::goals::Goals;
use super::Cx;
use crate::config::catalogue::{RelativeTarget, TargetKind};
use crate::progress::method::{self, Goal};

impl Goals for RelativeTarget {
    fn kind(&self) -> TargetKind {
        TargetKind::Relative
    }

    /// No goal without the base year's value (pooled over the baseline window for a small count).
    fn goal(&self, target_year: i32, base: Option<f64>, cx: &Cx<'_>) -> Option<Goal> {
        if target_year != cx.last_target_year {
            return None;
        }
        Some(method::relative_goal(base?, self.change))
    }

    fn no_data_target(&self, target_year: i32, cx: &Cx<'_>) -> Option<[Option<f64>; 3]> {
        (target_year == cx.last_target_year).then_some([None, None, None])
    }
}
