//! `kind = "range"`: each value of the named data elements lies within [min, max] (and is whole).

use serde::Deserialize;

use super::{Cx, KindSpec};
use crate::config::ConfigError;

/// The fields of a range rule as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRange {
    #[serde(default)]
    data_elements: Vec<String>,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    integer: bool,
}

/// A checked range rule.
#[derive(Debug, Clone)]
pub struct Range {
    pub data_elements: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Values must be whole numbers.
    pub integer: bool,
}

impl Range {
    /// Whether `v` keeps the rule.
    pub fn holds(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m) && (!self.integer || v.fract() == 0.0)
    }
}

impl KindSpec for Range {
    type Raw = RawRange;

    fn resolve(raw: RawRange, cx: &Cx) -> Result<Range, ConfigError> {
        cx.data_elements(&raw.data_elements)?;
        if raw.data_elements.is_empty() || (raw.min.is_none() && raw.max.is_none() && !raw.integer) {
            return Err(cx.bad(cx.id, crate::t!(cx.lang, "config-rule-range")));
        }
        Ok(Range { data_elements: raw.data_elements, min: raw.min, max: raw.max, integer: raw.integer })
    }

    fn expression(&self) -> String {
        let lo = self.min.map(crate::util::fmt_num).unwrap_or_else(|| "-inf".into());
        let hi = self.max.map(crate::util::fmt_num).unwrap_or_else(|| "inf".into());
        format!("{} in [{lo}, {hi}]{}", self.data_elements.join(", "), if self.integer { ", whole numbers" } else { "" })
    }
}
