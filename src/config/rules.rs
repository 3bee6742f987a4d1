//! Validation rules, declared in `pipelines/rules.toml` (catalogue-wide) and
//! in `[[rule]]` sections of form files (that form's returns only).
//!
//! The syntax is documented in `pipelines/README.md`. Rules are checked
//! against the catalogue when loaded: a rule naming an unknown data element,
//! age code or severity stops the run before any workbook is opened, with the
//! file and line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::config::{Catalogue, ConfigError, Term};
use crate::model::Severity;

/// How a comparison treats values that are not there (after DHIS2's missing-value strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Evaluate only when every term has a value (default).
    #[default]
    SkipIfAnyMissing,
    /// Evaluate when at least one term has a value; missing terms count as 0.
    SkipIfAllMissing,
    /// Always evaluate; missing terms count as 0.
    NeverSkip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Op {
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// left op right, e.g. infant deaths <= under-5 deaths.
    Compare,
    /// Parts add up to the whole: sexes, age groups or areas.
    Balance,
    /// A value on the left needs a value on the right (a numerator needs its denominator).
    Pair,
    /// Values of the named data elements lie within [min, max] (and are whole).
    Range,
}

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

/// A formula term: `"live_births"` or `{ data_element = "live_births", sex = "F" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TermRef {
    Code(String),
    Term(Term),
}

impl TermRef {
    pub fn term(&self) -> Term {
        match self {
            TermRef::Code(c) => Term { data_element: c.clone(), sex: None, age: None, residence: None },
            TermRef::Term(t) => t.clone(),
        }
    }
}

/// One `[[rule]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    pub kind: RuleKind,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub left: Vec<TermRef>,
    #[serde(default)]
    pub op: Option<Op>,
    #[serde(default)]
    pub right: Vec<TermRef>,
    #[serde(default)]
    pub missing: Missing,
    #[serde(default)]
    pub tolerance: Option<f64>,
    #[serde(default)]
    pub over: Option<Over>,
    /// balance / range: the data elements checked (default for balance: every additive one in scope).
    #[serde(default)]
    pub data_elements: Vec<String>,
    /// balance over age: the age groups that make up the whole (default: every age group reported).
    #[serde(default)]
    pub parts: Vec<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub integer: bool,
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Leaked once per loaded rule so issues can carry it like a built-in rule name.
    pub id: &'static str,
    pub kind: RuleKind,
    pub description: String,
    pub severity: Severity,
    pub left: Vec<Term>,
    pub op: Op,
    pub right: Vec<Term>,
    pub missing: Missing,
    pub tolerance: f64,
    pub over: Over,
    pub data_elements: Vec<String>,
    pub parts: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub integer: bool,
    /// `catalogue` or the form id.
    pub scope: String,
}

impl Rule {
    /// The rule as a formula, for the summary table and messages.
    pub fn expression(&self) -> String {
        let f = |t: &[Term]| crate::config::Indicator::formula_text(t);
        match self.kind {
            RuleKind::Compare => format!("{} {} {}", f(&self.left), self.op.as_str(), f(&self.right)),
            RuleKind::Pair => format!("{} requires {}", f(&self.left), f(&self.right)),
            RuleKind::Balance => {
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
            RuleKind::Range => {
                let lo = self.min.map(crate::util::fmt_num).unwrap_or_else(|| "-inf".into());
                let hi = self.max.map(crate::util::fmt_num).unwrap_or_else(|| "inf".into());
                format!("{} in [{lo}, {hi}]{}", self.data_elements.join(", "), if self.integer { ", whole numbers" } else { "" })
            }
        }
    }
}

/// Year-over-year outlier detection (modified z-score against the area's own history).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutlierSettings {
    pub enabled: bool,
    /// |x − median| / robust scale above this is an outlier. Iglewicz & Hoaglin suggest 3.5 for one
    /// test; a run tests thousands of series, so the default is 5 (about 6 in 10 million by chance).
    pub threshold: f64,
    /// Years of earlier history needed before a value is judged.
    pub min_history: usize,
    /// Series whose value and history median are both below this are skipped (small counts are noise).
    pub min_value: f64,
    /// The value must also differ from the history median and from the year before by at least this share of them.
    pub min_relative_change: f64,
    pub severity: Severity,
}

impl Default for OutlierSettings {
    fn default() -> Self {
        OutlierSettings { enabled: true, threshold: 5.0, min_history: 3, min_value: 20.0, min_relative_change: 0.2, severity: Severity::Warning }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    outliers: OutlierSettings,
    /// Built-in rule -> severity override.
    #[serde(default)]
    severity: BTreeMap<String, Severity>,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    progress: super::ProgressSettings,
    #[serde(default)]
    disclosure: crate::config::disclosure::DisclosureSettings,
}

/// The built-in rules and their default severities.
pub const BUILT_IN: &[(&str, Severity, &str)] = &[
    ("negative_count", Severity::Error, "counts are >= 0"),
    ("non_integer_count", Severity::Warning, "counts are whole numbers"),
    ("negative_amount", Severity::Warning, "amounts are >= 0"),
    ("rate_out_of_range", Severity::Error, "% within 0–100, ‰ within 0–1000"),
    ("out_of_range", Severity::Error, "within the data element's min/max in the catalogue"),
    ("duplicate", Severity::Warning, "one value per key: the same value again is dropped"),
    ("conflict", Severity::Error, "one value per key: different values from two cells are both withheld"),
    ("female_exceeds_total", Severity::Error, "其中:女 <= 合计"),
    ("repeated_last_year", Severity::Warning, "a return's values are not (90% or more) the same as the year before: last year's file sent again"),
    ("unpaired_aggregate", Severity::Info, "an aggregated ratio sums its numerator and denominator over the same number of areas"),
    ("indicator_out_of_range", Severity::Warning, "a computed % lies within 0–100 (numerator <= denominator)"),
    ("rate_denominator_missing", Severity::Warning, "a town's reported numerator of a rate has its denominator (else its events are in no aggregate)"),
];

/// Every rule of a run.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub rules: Vec<Rule>,
    /// `[progress]`: thresholds of the target-progress assessment.
    pub progress: super::ProgressSettings,
    pub outliers: OutlierSettings,
    pub severity: BTreeMap<String, Severity>,
    /// `[disclosure]`: the public export's small-count rule and protection range.
    pub disclosure: crate::config::disclosure::DisclosureSettings,
}

impl Rules {
    /// `pipelines/rules.toml`; a missing file means the built-in rules only.
    pub fn load(path: &Path, catalogue: &Catalogue) -> Result<Rules, ConfigError> {
        if !path.exists() {
            return Ok(Rules { outliers: OutlierSettings::default(), ..Default::default() });
        }
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.to_path_buf(), source })?;
        let raw: RawRules = toml::from_str(&text).map_err(|source| ConfigError::Toml { file: path.to_path_buf(), source: Box::new(source) })?;
        let mut severity = BTreeMap::new();
        for (name, sev) in raw.severity {
            if !BUILT_IN.iter().any(|(n, _, _)| *n == name) && !crate::config::forms::INGEST_FINDINGS.contains(&name.as_str()) {
                let names: Vec<&str> = BUILT_IN.iter().map(|b| b.0).chain(crate::config::forms::INGEST_FINDINGS.iter().copied()).collect();
                return Err(invalid(path, &text, &name, format!("[severity] {name:?} is not a built-in rule ({})", names.join(", "))));
            }
            severity.insert(name, sev);
        }
        let rules = resolve_rules(raw.rule, "catalogue", path, &text, catalogue)?;
        raw.disclosure.check(path, &text)?;
        Ok(Rules { rules, outliers: raw.outliers, severity, progress: raw.progress, disclosure: raw.disclosure })
    }

    /// Severity of a built-in rule after overrides.
    pub fn severity_of(&self, rule: &str) -> Severity {
        self.severity.get(rule).copied().or_else(|| BUILT_IN.iter().find(|b| b.0 == rule).map(|b| b.1)).unwrap_or(Severity::Warning)
    }
}

/// The 1-based line of the first occurrence of `needle` (quoted, else bare) in `text`.
pub fn line_of(text: &str, needle: &str) -> Option<usize> {
    let quoted = format!("\"{needle}\"");
    let pos = text.find(&quoted).or_else(|| text.find(needle))?;
    Some(text[..pos].matches('\n').count() + 1)
}

/// A config error pointing at the line where `needle` appears.
pub fn invalid(path: &Path, text: &str, needle: &str, msg: String) -> ConfigError {
    let msg = match line_of(text, needle) {
        Some(l) => format!("line {l}: {msg}"),
        None => msg,
    };
    ConfigError::Invalid { file: path.to_path_buf(), msg }
}

/// Check raw rules against the catalogue.
pub fn resolve_rules(raw: Vec<RawRule>, scope: &str, path: &Path, text: &str, catalogue: &Catalogue) -> Result<Vec<Rule>, ConfigError> {
    let mut out: Vec<Rule> = Vec::new();
    for r in raw {
        let bad = |needle: &str, msg: String| invalid(path, text, needle, format!("rule {:?}: {msg}", r.id));
        if r.id.trim().is_empty() || !r.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(invalid(path, text, &r.id, format!("rule id {:?} must be letters, digits and _", r.id)));
        }
        if out.iter().any(|o| o.id == r.id) || BUILT_IN.iter().any(|b| b.0 == r.id) {
            return Err(bad(&r.id, "the id is used twice (or by a built-in rule)".into()));
        }
        let left: Vec<Term> = r.left.iter().map(TermRef::term).collect();
        let right: Vec<Term> = r.right.iter().map(TermRef::term).collect();
        for t in left.iter().chain(right.iter()) {
            if catalogue.data_element(&t.data_element).is_none() {
                return Err(bad(&t.data_element, format!("unknown data element {:?} (not in indicators.toml)", t.data_element)));
            }
            if let Some(s) = &t.sex {
                if !matches!(s.as_str(), "F" | "M" | "_T") {
                    return Err(bad(s, format!("sex must be F, M or _T, not {s:?}")));
                }
            }
            if let Some(a) = &t.age {
                if !crate::vocab::labels::is_age_code(a) {
                    return Err(bad(a, format!("age {a:?} is not an age code like _T, Y0T4, Y_GE65")));
                }
            }
        }
        for de in &r.data_elements {
            if catalogue.data_element(de).is_none() {
                return Err(bad(de, format!("unknown data element {de:?} (not in indicators.toml)")));
            }
        }
        for a in &r.parts {
            if !crate::vocab::labels::is_age_code(a) {
                return Err(bad(a, format!("part {a:?} is not an age code like Y0T4")));
            }
        }
        let tolerance = r.tolerance.unwrap_or(match r.kind {
            RuleKind::Balance => 0.5,
            _ => 0.0,
        });
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Err(bad(&r.id, "tolerance must be a number >= 0".into()));
        }
        let op = match r.kind {
            RuleKind::Compare => {
                if left.is_empty() || right.is_empty() {
                    return Err(bad(&r.id, "kind = \"compare\" needs left and right".into()));
                }
                r.op.ok_or_else(|| bad(&r.id, "kind = \"compare\" needs op (<=, <, >=, >, ==, !=)".into()))?
            }
            RuleKind::Pair => {
                if left.is_empty() || right.is_empty() {
                    return Err(bad(&r.id, "kind = \"pair\" needs left (the value) and right (what it requires)".into()));
                }
                Op::Le
            }
            RuleKind::Balance => {
                if r.over.is_none() {
                    return Err(bad(&r.id, "kind = \"balance\" needs over = \"sex\", \"age\", \"residence\" or \"area\"".into()));
                }
                Op::Eq
            }
            RuleKind::Range => {
                if r.data_elements.is_empty() || (r.min.is_none() && r.max.is_none() && !r.integer) {
                    return Err(bad(&r.id, "kind = \"range\" needs data_elements and min, max or integer".into()));
                }
                Op::Le
            }
        };
        let mut rule = Rule {
            id: Box::leak(r.id.clone().into_boxed_str()),
            kind: r.kind,
            description: r.description.clone().unwrap_or_default(),
            severity: r.severity.unwrap_or(Severity::Warning),
            left,
            op,
            right,
            missing: r.missing,
            tolerance,
            over: r.over.unwrap_or(Over::Sex),
            data_elements: r.data_elements.clone(),
            parts: r.parts.clone(),
            min: r.min,
            max: r.max,
            integer: r.integer,
            scope: scope.to_string(),
        };
        if rule.description.is_empty() {
            rule.description = rule.expression();
        }
        out.push(rule);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_with_tolerance() {
        assert!(Op::Le.holds(5.0, 5.0, 0.0));
        assert!(!Op::Le.holds(5.5, 5.0, 0.0));
        assert!(Op::Le.holds(5.5, 5.0, 0.5));
        assert!(Op::Eq.holds(10.4, 10.0, 0.5));
        assert!(!Op::Eq.holds(10.6, 10.0, 0.5));
        assert!(Op::Gt.holds(3.0, 2.0, 0.0));
        assert!(!Op::Gt.holds(2.0, 2.0, 0.0));
    }

    #[test]
    fn line_of_finds_the_quoted_code() {
        let text = "[[rule]]\nid = \"a\"\nleft = [\"births\"]\nright = [\"birth\"]\n";
        assert_eq!(line_of(text, "birth"), Some(4));
        assert_eq!(line_of(text, "births"), Some(3));
    }
}
