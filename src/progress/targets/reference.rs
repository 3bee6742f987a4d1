//! `reference`: no target of its own, the benchmark a relational target is
//! compared with (W81, women among workers, for W55). No progress row.

use super::{Cx, Evaluate, One};
use crate::config::catalogue::ReferenceTarget;
use crate::config::Indicator;
use crate::progress::rows::ProgressRow;

impl Evaluate for ReferenceTarget {
    fn rows(&self, _one: &One<'_>, _cx: &Cx<'_>) -> Vec<ProgressRow> {
        Vec::new()
    }

    fn no_data(&self, _def: &Indicator, _root: &str, _cx: &Cx<'_>) -> Vec<ProgressRow> {
        Vec::new()
    }
}
