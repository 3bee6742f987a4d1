//! Validation rules, declared in `pipelines/rules.toml` (catalogue-wide) and
//! in `[[rule]]` sections of form files (that form's returns only).
//!
//! The syntax is documented in `pipelines/README.md`. Rules are checked
//! against the catalogue when loaded: a rule naming an unknown data element,
//! age code or severity stops the run before any workbook is opened, with the
//! file and line (in the process's language, `crate::i18n::lang()`).
//!
//! A rule is its common fields ([`Rule`]: id, description, severity, missing-value
//! strategy, scope) and its kind ([`RuleKind`]), one struct per kind in a file of
//! its own (`compare.rs`, `balance.rs`, `pair.rs`, `range.rs`), each with its raw
//! fields as written, its checks against the catalogue and its formula text
//! ([`KindSpec`]). The kinds are listed once, in [`for_each_rule_kind!`]; the
//! evaluators are in `validate/rules/`, one file per kind.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::config::{Catalogue, ConfigError, Term};
use crate::i18n::Lang;
use crate::model::Severity;

pub mod balance;
pub mod compare;
pub mod pair;
pub mod range;

pub use balance::{Balance, Over};
pub use compare::{Compare, Op};
pub use pair::Pair;
pub use range::Range;

/// The rule kinds: `tag => Variant(Type)`, the tag being `kind = "…"` in a rules
/// file. Calls `$m!` with the list, so the enum here and the evaluators'
/// dispatch in `validate/rules/` are made from this one list: a new kind is a
/// struct (a file here, implementing [`KindSpec`]), an evaluator (a file in
/// `validate/rules/`, implementing its `Check`) and a line here.
#[macro_export]
macro_rules! for_each_rule_kind {
    ($m:ident) => {
        $m! {
            "compare" => Compare,
            "balance" => Balance,
            "pair" => Pair,
            "range" => Range,
        }
    };
}

/// What each rule kind's struct knows: its fields as written, how they are
/// checked against the catalogue, and the rule as a formula.
pub trait KindSpec: Sized {
    /// The kind's fields as written (serde, unknown fields denied).
    type Raw: DeserializeOwned;
    /// Check the fields as written (terms and data elements against the catalogue …).
    fn resolve(raw: Self::Raw, cx: &Cx) -> Result<Self, ConfigError>;
    /// The rule as a formula (English: `rule_summary.expression`, and a rule's
    /// description when it has none).
    fn expression(&self) -> String;
}

macro_rules! rule_kind_enum {
    ($($tag:literal => $variant:ident),* $(,)?) => {
        /// A rule's kind and the kind's own fields.
        #[derive(Debug, Clone)]
        pub enum RuleKind {
            $($variant($variant)),*
        }

        impl RuleKind {
            /// The kinds' tags (`kind = "…"`).
            pub const TAGS: &'static [&'static str] = &[$($tag),*];

            /// The kind's tag (`rule_summary.kind`).
            pub fn tag(&self) -> &'static str {
                match self {
                    $(RuleKind::$variant(_) => $tag),*
                }
            }

            /// See [`KindSpec::expression`].
            pub fn expression(&self) -> String {
                match self {
                    $(RuleKind::$variant(k) => k.expression()),*
                }
            }

            /// The kind tagged `tag`, from the rule's other fields; None for an unknown tag.
            fn resolve(tag: &str, fields: toml::Table, cx: &Cx) -> Option<Result<RuleKind, ConfigError>> {
                match tag {
                    $($tag => Some(cx.fields(fields).and_then(|raw| $variant::resolve(raw, cx)).map(RuleKind::$variant)),)*
                    _ => None,
                }
            }
        }
    };
}

for_each_rule_kind!(rule_kind_enum);

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

/// One `[[rule]]` as written: the common fields, and the kind's own (checked by the kind).
#[derive(Debug, Clone, Deserialize)]
pub struct RawRule {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub missing: Missing,
    /// The kind's fields (see each kind's raw struct).
    #[serde(flatten)]
    pub fields: toml::Table,
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Leaked once per loaded rule so issues can carry it like a built-in rule name.
    pub id: &'static str,
    pub description: String,
    pub severity: Severity,
    /// How missing terms are treated (compare and balance rules).
    pub missing: Missing,
    /// `catalogue` or the form id.
    pub scope: String,
    pub kind: RuleKind,
}

impl Rule {
    /// The rule as a formula, for the summary table and messages.
    pub fn expression(&self) -> String {
        self.kind.expression()
    }
}

/// Where a rule is being resolved: its id, its file (for the line of a mistake)
/// and the catalogue its terms must be in.
pub struct Cx<'a> {
    pub id: &'a str,
    path: &'a Path,
    text: &'a str,
    catalogue: &'a Catalogue,
    /// The language of the messages (the process's).
    pub lang: Lang,
}

impl Cx<'_> {
    /// The rule's mistake `msg`, at the line of `needle`.
    /// (`needle` is looked for from the rule's id on: the same code in an earlier rule is not this mistake.)
    pub fn bad(&self, needle: &str, msg: String) -> ConfigError {
        let start = self.text.find(&format!("\"{}\"", self.id)).unwrap_or(0);
        let line = line_of(&self.text[start..], needle).map(|l| self.text[..start].matches('\n').count() + l);
        invalid_at(self.path, line, crate::t!(self.lang, "config-rule-in", rule = self.id, msg = &msg))
    }

    /// The kind's fields, as its raw struct (a field the kind does not have is a
    /// mistake at that field's line).
    fn fields<T: DeserializeOwned>(&self, fields: toml::Table) -> Result<T, ConfigError> {
        T::deserialize(toml::Value::Table(fields)).map_err(|e| {
            // serde names the field: "unknown field `over`, expected one of …".
            let field = e.message().strip_prefix("unknown field `").and_then(|m| m.split('`').next()).unwrap_or(self.id);
            self.bad(field, crate::t!(self.lang, "config-rule-fields", error = e.message()))
        })
    }

    /// Terms, each checked: a data element of the catalogue, a sex of F, M, _T, an age code.
    pub fn terms(&self, raw: &[TermRef]) -> Result<Vec<Term>, ConfigError> {
        let terms: Vec<Term> = raw.iter().map(TermRef::term).collect();
        for t in &terms {
            self.data_elements(std::slice::from_ref(&t.data_element))?;
            if let Some(s) = &t.sex {
                if !matches!(s.as_str(), "F" | "M" | "_T") {
                    return Err(self.bad(s, crate::t!(self.lang, "config-rule-sex", sex = s)));
                }
            }
            if let Some(a) = &t.age {
                if !crate::vocab::labels::is_age_code(a) {
                    return Err(self.bad(a, crate::t!(self.lang, "config-rule-age", age = a)));
                }
            }
        }
        Ok(terms)
    }

    /// Data elements, each in the catalogue.
    pub fn data_elements(&self, codes: &[String]) -> Result<(), ConfigError> {
        match codes.iter().find(|de| self.catalogue.data_element(de).is_none()) {
            Some(de) => Err(self.bad(de, crate::t!(self.lang, "config-rule-unknown-data-element", de = de))),
            None => Ok(()),
        }
    }

    /// A tolerance as written (`default` when not), a number >= 0.
    pub fn tolerance(&self, written: Option<f64>, default: f64) -> Result<f64, ConfigError> {
        let t = written.unwrap_or(default);
        if t.is_finite() && t >= 0.0 {
            Ok(t)
        } else {
            Err(self.bad(self.id, crate::t!(self.lang, "config-rule-tolerance")))
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
                let msg = crate::t!(crate::i18n::lang(), "config-rule-severity-unknown", name = &name, names = &names.join(", "));
                return Err(invalid(path, &text, &name, msg));
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
    invalid_at(path, line_of(text, needle), msg)
}

/// A config error at a line ("line 6: …", in the process's language).
fn invalid_at(path: &Path, line: Option<usize>, msg: String) -> ConfigError {
    let msg = match line {
        Some(l) => crate::t!(crate::i18n::lang(), "config-rule-line", line = l, msg = &msg),
        None => msg,
    };
    ConfigError::Invalid { file: path.to_path_buf(), msg }
}

/// Check raw rules against the catalogue.
pub fn resolve_rules(raw: Vec<RawRule>, scope: &str, path: &Path, text: &str, catalogue: &Catalogue) -> Result<Vec<Rule>, ConfigError> {
    let lang = crate::i18n::lang();
    let mut out: Vec<Rule> = Vec::new();
    for RawRule { id, kind, description, severity, missing, fields } in raw {
        let cx = Cx { id: &id, path, text, catalogue, lang };
        if id.trim().is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(invalid(path, text, &id, crate::t!(lang, "config-rule-id-chars", rule = &id)));
        }
        if out.iter().any(|o| o.id == id) || BUILT_IN.iter().any(|b| b.0 == id) {
            return Err(cx.bad(&id, crate::t!(lang, "config-rule-id-twice")));
        }
        let kinds = RuleKind::TAGS.join(", ");
        let kind =
            RuleKind::resolve(&kind, fields, &cx).unwrap_or_else(|| Err(cx.bad(&kind, crate::t!(lang, "config-rule-kind", kind = &kind, kinds = &kinds))))?;
        let description = description.filter(|d| !d.is_empty()).unwrap_or_else(|| kind.expression());
        let severity = severity.unwrap_or(Severity::Warning);
        let id: &'static str = Box::leak(id.into_boxed_str());
        out.push(Rule { id, description, severity, missing, scope: scope.to_string(), kind });
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
