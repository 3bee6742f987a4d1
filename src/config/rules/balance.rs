//! `kind = "balance"`: parts add up to the whole, over sexes, age groups, residence or areas.

use serde::Deserialize;

use super::{Cx, KindSpec};
use crate::config::ConfigError;

/// What a balance adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Over {
    /// F + M = _T.
    Sex,
    /// Age groups add up to the all-ages value.
    Age,
    /// Areas add up to the return's 合计 row / 全县 column, or to the reported parent.
    Area,
    /// 城镇 + 乡村 = 合计: U + R = _T.
    Residence,
}

/// The fields of a balance rule as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBalance {
    #[serde(default)]
    over: Option<Over>,
    #[serde(default)]
    data_elements: Vec<String>,
    #[serde(default)]
    parts: Vec<String>,
    #[serde(default)]
    tolerance: Option<f64>,
}

/// A checked balance rule.
#[derive(Debug, Clone)]
pub struct Balance {
    pub over: Over,
    /// The data elements checked (empty: every additive one in scope).
    pub data_elements: Vec<String>,
    /// Over age: the age groups that make up the whole (empty: every age group reported).
    pub parts: Vec<String>,
    /// Slack in the rule's favour (default 0.5).
    pub tolerance: f64,
}

impl Balance {
    /// Every additive data element over `over`, with the default tolerance.
    pub fn over(over: Over) -> Balance {
        Balance { over, data_elements: Vec::new(), parts: Vec::new(), tolerance: 0.5 }
    }
}

impl KindSpec for Balance {
    type Raw = RawBalance;

    fn resolve(raw: RawBalance, cx: &Cx) -> Result<Balance, ConfigError> {
        cx.data_elements(&raw.data_elements)?;
        for a in &raw.parts {
            if !crate::vocab::labels::is_age_code(a) {
                return Err(cx.bad(a, crate::t!(cx.lang, "config-rule-part", part = a)));
            }
        }
        let tolerance = cx.tolerance(raw.tolerance, 0.5)?;
        let Some(over) = raw.over else { return Err(cx.bad(cx.id, crate::t!(cx.lang, "config-rule-balance-over"))) };
        Ok(Balance { over, data_elements: raw.data_elements, parts: raw.parts, tolerance })
    }

    fn expression(&self) -> String {
        let what = if self.data_elements.is_empty() { "every additive data element".to_string() } else { self.data_elements.join(", ") };
        let over = match self.over {
            Over::Sex => "F + M = _T".to_string(),
            Over::Age if self.parts.is_empty() => "age groups sum to all ages".to_string(),
            Over::Age => format!("{} = _T", self.parts.join(" + ")),
            Over::Area => "areas sum to the total".to_string(),
            Over::Residence => "U + R = _T".to_string(),
        };
        format!("{over} for {what} (tolerance {})", self.tolerance)
    }
}
