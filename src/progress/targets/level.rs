//! `at_least`, `at_most`, `about`: a level by a target year (`target_2025`,
//! `target_2030`), met at or above it, at or below it, or within
//! `about_tolerance` (2%) of it.

use super::goals::Goals;
use super::Cx;
use crate::config::catalogue::{Level, TargetKind};
use crate::progress::method::Goal;

/// Which side of the level is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    AtLeast,
    AtMost,
    About,
}

/// A level with the side it is met on.
pub(super) struct Bounded<'a>(pub(super) Bound, pub(super) &'a Level);

impl Goals for Bounded<'_> {
    fn kind(&self) -> TargetKind {
        match self.0 {
            Bound::AtLeast => TargetKind::AtLeast,
            Bound::AtMost => TargetKind::AtMost,
            Bound::About => TargetKind::About,
        }
    }

    fn goal(&self, target_year: i32, _base: Option<f64>, cx: &Cx<'_>) -> Option<Goal> {
        let t = self.1.by(target_year)?;
        Some(match self.0 {
            Bound::AtLeast => Goal::AtLeast(t),
            Bound::AtMost => Goal::AtMost(t),
            Bound::About => Goal::About { value: t, tolerance: cx.s.about_tolerance * t.abs() },
        })
    }

    /// A year with a level stated: the level.
    fn no_data_target(&self, target_year: i32, _cx: &Cx<'_>) -> Option<[Option<f64>; 3]> {
        self.1.by(target_year).map(|t| [Some(t), None, None])
    }
}
