//! One evaluator per target kind (the kinds are [`crate::config::catalogue::Target`]'s):
//! the progress rows of one series of an indicator, and the rows of an indicator no
//! return reports yet.
//!
//! | kind | file | rows |
//! |---|---|---|
//! | `at_least`, `at_most`, `about` | `level` | a goal by target year, assessed by `goals` |
//! | `range` | `range` | a goal for the last target year, assessed by `goals` |
//! | `relative` | `relative` | a goal from the base year's value, for the last target year, assessed by `goals` |
//! | `trend` | `trend` | the Theil–Sen slope and Mann–Kendall test, for the last target year |
//! | `relational` | `relational` | the gap to the reference indicator, for the last target year |
//! | `reference` | `reference` | none |
//!
//! A new kind: its struct and [`crate::config::catalogue::Target`] variant in
//! `config/catalogue/targets.rs`, a file here implementing [`Evaluate`] (or
//! `goals::Goals`, for a kind that is a goal by target year), and its arm in
//! [`evaluator`].

mod goals;
mod level;
mod range;
mod reference;
mod relational;
mod relative;
mod trend;

use polars::prelude::*;

use super::method::Params;
use super::rows::ProgressRow;
use super::series::{Row, SeriesKey};
use crate::config::catalogue::Target;
use crate::config::{Config, Indicator, ProgressSettings};

/// What every evaluator reads besides its series.
pub(super) struct Cx<'a> {
    pub(super) cfg: &'a Config,
    pub(super) s: &'a ProgressSettings,
    pub(super) p: Params,
    /// The latest year of data of the whole run.
    pub(super) last_data_year: i32,
    /// The last target year (2030): of a target stated once, a trend, a relational target.
    pub(super) last_target_year: i32,
    /// Every series by its key (a relational target's reference, a gap's rural and urban series).
    pub(super) by_key: rustc_hash::FxHashMap<SeriesKey<'a>, &'a [(usize, Row)]>,
    /// The pooled value and interval beside each row of the indicator values (null where none).
    pub(super) pooled: [Float64Chunked; 3],
}

/// One series of an indicator: residence `_T`, the indicator's own sex.
pub(super) struct One<'a> {
    pub(super) def: &'a Indicator,
    /// (indicator, area, sex, age).
    pub(super) key: (&'a str, &'a str, &'a str, &'a str),
    /// (row number in the indicator values, the row), by year.
    pub(super) rows: &'a [(usize, Row)],
}

/// What a target kind does in progress.
pub(super) trait Evaluate {
    /// The rows of one series of the indicator.
    fn rows(&self, one: &One<'_>, cx: &Cx<'_>) -> Vec<ProgressRow>;
    /// The rows of the indicator at a root area where no return reports it.
    fn no_data(&self, def: &Indicator, root: &str, cx: &Cx<'_>) -> Vec<ProgressRow>;
}

/// The evaluator of a target.
pub(super) fn evaluator(target: &Target) -> Box<dyn Evaluate + '_> {
    match target {
        Target::AtLeast(l) => Box::new(goals::ByGoal(level::Bounded(level::Bound::AtLeast, l))),
        Target::AtMost(l) => Box::new(goals::ByGoal(level::Bounded(level::Bound::AtMost, l))),
        Target::About(l) => Box::new(goals::ByGoal(level::Bounded(level::Bound::About, l))),
        Target::Range(r) => Box::new(goals::ByGoal(r)),
        Target::Relative(r) => Box::new(goals::ByGoal(r)),
        Target::Trend(t) => Box::new(t),
        Target::Relational(r) => Box::new(r),
        Target::Reference(r) => Box::new(r),
    }
}

impl<T: Evaluate + ?Sized> Evaluate for &T {
    fn rows(&self, one: &One<'_>, cx: &Cx<'_>) -> Vec<ProgressRow> {
        (**self).rows(one, cx)
    }
    fn no_data(&self, def: &Indicator, root: &str, cx: &Cx<'_>) -> Vec<ProgressRow> {
        (**self).no_data(def, root, cx)
    }
}
