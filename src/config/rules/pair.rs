//! `kind = "pair"`: a value on the left needs every term on the right (a numerator needs its denominator).

use serde::Deserialize;

use super::{Cx, KindSpec, TermRef};
use crate::config::{ConfigError, Term};

/// The fields of a pair rule as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPair {
    #[serde(default)]
    left: Vec<TermRef>,
    #[serde(default)]
    right: Vec<TermRef>,
}

/// A checked pair rule.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The value(s) reported.
    pub left: Vec<Term>,
    /// What they require.
    pub right: Vec<Term>,
}

impl KindSpec for Pair {
    type Raw = RawPair;

    fn resolve(raw: RawPair, cx: &Cx) -> Result<Pair, ConfigError> {
        let (left, right) = (cx.terms(&raw.left)?, cx.terms(&raw.right)?);
        if left.is_empty() || right.is_empty() {
            return Err(cx.bad(cx.id, crate::t!(cx.lang, "config-rule-pair-sides")));
        }
        Ok(Pair { left, right })
    }

    fn expression(&self) -> String {
        let f = |t: &[Term]| crate::config::Indicator::formula_text(t);
        format!("{} requires {}", f(&self.left), f(&self.right))
    }
}
