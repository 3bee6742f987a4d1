//! `[disclosure]` in `pipelines/rules.toml`: which small counts are withheld from
//! the public export (`wcmon export --public`), and how far an attacker must be
//! kept from them. Which data elements and indicators are sensitive is said in
//! the catalogue (`sensitive = true` in `indicators.toml`).

use std::path::Path;

use serde::Deserialize;

use crate::config::{ConfigError, ConfigMsg};

/// The public export's rules (pipelines/README.md "Disclosure control").
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DisclosureSettings {
    /// A sensitive count from 1 up to (not including) this is a primary cell
    /// (suppressed, `conf_status` C). Default 3: counts 1 and 2.
    pub threshold: f64,
    /// The protection range: whatever an attacker computes from everything
    /// published (every additive relation, counts ≥ 0), a suppressed primary cell
    /// `x` may still be anything from `x − min(x, protection)` to `x + protection`.
    /// Default 3.
    pub protection: f64,
    /// The area levels (areas.toml `level`) the frequency rule applies to.
    /// Default (empty): every area but the top of the hierarchy (the county), whose
    /// totals are published wherever that is safe.
    pub levels: Vec<String>,
    /// What suppressing a cell of the top area costs against a cell of a town (1):
    /// the solver suppresses a county value only when nothing cheaper protects.
    pub top_cost: f64,
    /// What suppressing an all-sexes (`_T`) cell costs against a cell of one sex (1).
    pub total_cost: f64,
}

impl Default for DisclosureSettings {
    fn default() -> Self {
        DisclosureSettings { threshold: 3.0, protection: 3.0, levels: Vec::new(), top_cost: 1000.0, total_cost: 3.0 }
    }
}

impl DisclosureSettings {
    /// The settings make sense: a threshold of at least 1, a positive protection, costs ≥ 1.
    pub fn check(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let bad = |msg: ConfigMsg| ConfigError::at(path, text, "[disclosure]", msg);
        if !(self.threshold.is_finite() && self.threshold >= 1.0) {
            return Err(bad(ConfigMsg::new("config-disclosure-threshold").arg("value", self.threshold)));
        }
        if !(self.protection.is_finite() && self.protection > 0.0) {
            return Err(bad(ConfigMsg::new("config-disclosure-protection").arg("value", self.protection)));
        }
        for (name, v) in [("top_cost", self.top_cost), ("total_cost", self.total_cost)] {
            if !(v.is_finite() && v >= 1.0) {
                return Err(bad(ConfigMsg::new("config-disclosure-cost").arg("name", name).arg("value", v)));
            }
        }
        Ok(())
    }

    /// Whether a count is below the threshold (and not 0: a zero is published).
    pub fn is_small(&self, value: f64) -> bool {
        value > 0.0 && value < self.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_rules_give_the_documented_defaults() {
        let text = std::fs::read_to_string("pipelines/rules.toml").unwrap();
        let raw: toml::Value = toml::from_str(&text).unwrap();
        let d: DisclosureSettings = raw.get("disclosure").cloned().unwrap().try_into().unwrap();
        assert_eq!(d, DisclosureSettings::default());
        assert!(d.is_small(1.0) && d.is_small(2.0) && !d.is_small(0.0) && !d.is_small(3.0));
    }

    #[test]
    fn nonsense_is_refused_with_the_line() {
        let text = "x = 1\n[disclosure]\nthreshold = 0\n";
        let d: DisclosureSettings = toml::from_str("threshold = 0").unwrap();
        let e = d.check(Path::new("rules.toml"), text).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("threshold"), "{e}");
        let e = d.check(Path::new("rules.toml"), text).unwrap_err();
        assert_eq!(e.message(crate::i18n::Lang::Zh), "rules.toml：第 2 行：[disclosure] threshold 应为不小于 1 的数，而不是 0");
        assert!(toml::from_str::<DisclosureSettings>("treshold = 3").is_err());
    }
}
