//! `range`: within `target_range = [low, high]` (the sex ratio at birth 103–107).
//! Stated without a year, it applies to the last target year (2030), as a target
//! stated once does (the catalogue's rule), not to 2025 as well.

use super::goals::Goals;
use super::Cx;
use crate::config::catalogue::{RangeTarget, TargetKind};
use crate::progress::method::Goal;

impl Goals for RangeTarget {
    fn kind(&self) -> TargetKind {
        TargetKind::Range
    }

    fn goal(&self, target_year: i32, _base: Option<f64>, cx: &Cx<'_>) -> Option<Goal> {
        (target_year == cx.last_target_year).then_some(Goal::Range { low: self.low, high: self.high })
    }

    fn no_data_target(&self, target_year: i32, cx: &Cx<'_>) -> Option<[Option<f64>; 3]> {
        (target_year == cx.last_target_year).then_some([None, Some(self.low), Some(self.high)])
    }
}
