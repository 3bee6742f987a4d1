//! `kind = "compare"`: `Σleft op Σright`, e.g. infant deaths >= neonatal deaths.

use serde::Deserialize;

use super::{Cx, KindSpec, TermRef};
use crate::config::{ConfigError, Term};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
    Ne,
}

impl Op {
    pub const ALL: [Op; 6] = [Op::Le, Op::Lt, Op::Ge, Op::Gt, Op::Eq, Op::Ne];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    /// The operator written as `s` (`<=`, `<`, `>=`, `>`, `==`, `!=`).
    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// `l op r`, with `tol` of slack in the rule's favour.
    pub fn holds(self, l: f64, r: f64, tol: f64) -> bool {
        match self {
            Op::Le => l <= r + tol,
            Op::Lt => l < r + tol,
            Op::Ge => l + tol >= r,
            Op::Gt => l + tol > r,
            Op::Eq => (l - r).abs() <= tol,
            Op::Ne => (l - r).abs() > tol,
        }
    }
}

/// The fields of a compare rule as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCompare {
    #[serde(default)]
    left: Vec<TermRef>,
    #[serde(default)]
    op: Option<String>,
    #[serde(default)]
    right: Vec<TermRef>,
    #[serde(default)]
    tolerance: Option<f64>,
}

/// A checked compare rule.
#[derive(Debug, Clone)]
pub struct Compare {
    pub left: Vec<Term>,
    pub op: Op,
    pub right: Vec<Term>,
    /// Slack in the rule's favour (default 0).
    pub tolerance: f64,
}

impl KindSpec for Compare {
    type Raw = RawCompare;

    fn resolve(raw: RawCompare, cx: &Cx) -> Result<Compare, ConfigError> {
        let (left, right) = (cx.terms(&raw.left)?, cx.terms(&raw.right)?);
        let tolerance = cx.tolerance(raw.tolerance, 0.0)?;
        if left.is_empty() || right.is_empty() {
            return Err(cx.bad(cx.id, crate::t!(cx.lang, "config-rule-compare-sides")));
        }
        let Some(op) = raw.op else { return Err(cx.bad(cx.id, crate::t!(cx.lang, "config-rule-compare-op"))) };
        let op = Op::parse(&op).ok_or_else(|| cx.bad(&op, crate::t!(cx.lang, "config-rule-op", op = &op)))?;
        Ok(Compare { left, op, right, tolerance })
    }

    fn expression(&self) -> String {
        let f = |t: &[Term]| crate::config::Indicator::formula_text(t);
        format!("{} {} {}", f(&self.left), self.op.as_str(), f(&self.right))
    }
}
