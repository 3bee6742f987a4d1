//! `pipelines/indicators.toml`: data elements and the plans' quantified targets.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{read_toml, ConfigError};
use crate::i18n::Lang;
use crate::t;

pub mod targets;

pub use targets::{Comparison, Level, RangeTarget, ReferenceTarget, RelationalTarget, RelativeTarget, Target, TargetKind, TrendTarget};
use targets::{RawTarget, TargetError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    data_element: Vec<DataElement>,
    indicator: Vec<RawIndicator>,
    #[serde(default)]
    not_monitored: Vec<NotMonitored>,
}

/// What kind of quantity a data element is; decides whether it may be summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A count of people, events, places: summed across areas.
    Count,
    /// Money or another additive quantity: summed across areas.
    Amount,
    /// A value reported as a rate or level (life expectancy, a %): never summed.
    Rate,
}

impl Kind {
    pub fn additive(self) -> bool {
        matches!(self, Kind::Count | Kind::Amount)
    }
}

/// How a count arises, which decides its uncertainty (see the catalogue's header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountType {
    /// Happens during the year (births, deaths, cases, screenings): a Poisson
    /// count; an indicator on a small number of them is pooled over years.
    Event,
    /// There at a date (population, members, places, schools): an exact count,
    /// never pooled; a share of it gets a binomial interval.
    Stock,
}

/// A reported quantity (数据项).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataElement {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The unit values are stored in (人, 个, 万元, %, ...).
    pub unit: String,
    pub kind: Kind,
    /// `event` or `stock`: required for counts and amounts.
    #[serde(default)]
    pub count_type: Option<CountType>,
    /// The body that usually reports it.
    #[serde(default)]
    pub body: Option<String>,
    /// Bounds that override the unit's default range check (rule `out_of_range`).
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// Small counts of it identify people (deaths, HIV, orphans …): withheld from
    /// the public export below `[disclosure] threshold` (rules.toml).
    #[serde(default)]
    pub sensitive: bool,
}

/// One term of a formula: a data element, optionally pinned to a sex/age/residence.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub data_element: String,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub age: Option<String>,
    #[serde(default)]
    pub residence: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Increase,
    Decrease,
    Range,
    Maintain,
}

/// A plan indicator (指标) as written in `[[indicator]]`: its target's fields are
/// read by `target_kind` into a [`Target`] ([`RawIndicator::resolve`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    code: String,
    plan: String,
    domain: String,
    name_zh: String,
    name_en: String,
    unit: String,
    factor: f64,
    #[serde(default)]
    numerator: Vec<Term>,
    #[serde(default)]
    denominator: Vec<Term>,
    #[serde(default)]
    value: Option<Term>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    age: Option<String>,
    direction: Direction,
    target_kind: TargetKind,
    #[serde(default)]
    target_2025: Option<f64>,
    #[serde(default)]
    target_2030: Option<f64>,
    #[serde(default)]
    target_range: Option<[f64; 2]>,
    #[serde(default)]
    relative_base_year: Option<i32>,
    #[serde(default)]
    relative_change: Option<f64>,
    #[serde(default)]
    baseline_year: Option<i32>,
    #[serde(default)]
    compare_with: Option<String>,
    #[serde(default)]
    comparison: Option<Comparison>,
    #[serde(default)]
    tolerance: Option<f64>,
    #[serde(default)]
    gap_of: Option<String>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    responsible: Option<String>,
    #[serde(default)]
    sensitive: bool,
    source: String,
    #[serde(default)]
    note: Option<String>,
}

impl RawIndicator {
    /// The indicator with its target of `target_kind` (see [`Target::resolve`]).
    fn resolve(self) -> Result<Indicator, TargetError> {
        let raw = RawTarget {
            target_2025: self.target_2025,
            target_2030: self.target_2030,
            target_range: self.target_range,
            relative_base_year: self.relative_base_year,
            relative_change: self.relative_change,
            compare_with: self.compare_with,
            comparison: self.comparison,
            tolerance: self.tolerance,
        };
        Ok(Indicator {
            target: Target::resolve(self.target_kind, raw)?,
            code: self.code,
            plan: self.plan,
            domain: self.domain,
            name_zh: self.name_zh,
            name_en: self.name_en,
            unit: self.unit,
            factor: self.factor,
            numerator: self.numerator,
            denominator: self.denominator,
            value: self.value,
            sex: self.sex,
            age: self.age,
            direction: self.direction,
            baseline_year: self.baseline_year,
            gap_of: self.gap_of,
            max: self.max,
            responsible: self.responsible,
            sensitive: self.sensitive,
            source: self.source,
            note: self.note,
        })
    }
}

/// A plan indicator (指标) with its target.
#[derive(Debug, Clone)]
pub struct Indicator {
    pub code: String,
    /// `women` or `children`.
    pub plan: String,
    pub domain: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub factor: f64,
    pub numerator: Vec<Term>,
    pub denominator: Vec<Term>,
    /// A directly reported value instead of a ratio.
    pub value: Option<Term>,
    /// Sex of the output rows when the formula pins it (e.g. F for "women's ...").
    pub sex: Option<String>,
    pub age: Option<String>,
    pub direction: Direction,
    /// The target, of one kind with that kind's fields (`target_kind` and its fields in indicators.toml).
    pub target: Target,
    /// The year progress is measured from (default 2020).
    pub baseline_year: Option<i32>,
    /// A gap target (城乡差距逐步缩小): this indicator's series is the rural − urban
    /// difference of the named ratio indicator (`gap_of = "C01"`), R − U of its
    /// rates from the summed counts of each residence, as in `gaps.parquet`.
    /// No formula of its own; `target_kind = "trend"` (the gap narrows).
    pub gap_of: Option<String>,
    /// Highest plausible value (rule `indicator_out_of_range`); a % defaults to 100.
    /// Gross and cohort ratios may pass 100 and say so here.
    pub max: Option<f64>,
    pub responsible: Option<String>,
    /// Built on a sensitive count: its values over a withheld count are withheld
    /// from the public export (and the data elements of its numerator are sensitive).
    pub sensitive: bool,
    pub source: String,
    pub note: Option<String>,
}

impl Indicator {
    /// The year progress is measured from: `baseline_year`, else a relative
    /// target's base year, else 2020 (`indicators.baseline_year`).
    pub fn base_year(&self) -> i32 {
        self.baseline_year.or(self.target.relative_base_year()).unwrap_or(2020)
    }

    /// Every data element the indicator reads.
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        self.numerator.iter().chain(self.denominator.iter()).chain(self.value.iter())
    }

    pub fn formula_text(terms: &[Term]) -> String {
        terms
            .iter()
            .map(|t| {
                let mut pins = Vec::new();
                if let Some(s) = &t.sex {
                    pins.push(format!("sex={s}"));
                }
                if let Some(a) = &t.age {
                    pins.push(format!("age={a}"));
                }
                if let Some(r) = &t.residence {
                    pins.push(format!("residence={r}"));
                }
                if pins.is_empty() {
                    t.data_element.clone()
                } else {
                    format!("{}[{}]", t.data_element, pins.join(","))
                }
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// Why a target of the plans is not monitored (`[[not_monitored]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotMonitoredReason {
    /// No routine statistics at county level (a survey, a provincial sample or a
    /// statistical system not yet built would be needed).
    NoStatisticalSource,
    /// A direction without a measure ("水平", "能力", "体系"): nothing to compute.
    Qualitative,
}

/// A target sentence of the plans that no indicator monitors, with the reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotMonitored {
    pub plan: String,
    pub domain: String,
    /// The plan's sentence (compared ignoring whitespace).
    pub sentence: String,
    pub reason: NotMonitoredReason,
    /// What it would take to monitor it, or where its parts are monitored.
    pub note: String,
}

/// The loaded, checked catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub data_elements: Vec<DataElement>,
    pub indicators: Vec<Indicator>,
    /// The plans' targets no indicator monitors, each with its reason.
    pub not_monitored: Vec<NotMonitored>,
    by_code: rustc_hash::FxHashMap<String, usize>,
    indicator_index: rustc_hash::FxHashMap<String, usize>,
}

impl Catalogue {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::load_in(path, crate::i18n::lang())
    }

    /// [`Catalogue::load`] with its mistakes said in `lang`.
    fn load_in(path: &Path, lang: Lang) -> Result<Self, ConfigError> {
        let raw: RawCatalogue = read_toml(path)?;
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.to_path_buf(), source })?;
        let mut indicators = Vec::with_capacity(raw.indicator.len());
        for ind in raw.indicator {
            let code = ind.code.clone();
            indicators.push(ind.resolve().map_err(|e| {
                let msg = target_message(lang, &code, &e);
                ConfigError::Invalid { file: path.to_path_buf(), msg }
            })?);
        }
        let mut cat = Self::new_in(raw.data_element, indicators, path, lang)?;
        for n in &raw.not_monitored {
            if !matches!(n.plan.as_str(), "women" | "children") || n.sentence.trim().is_empty() {
                let msg = t!(lang, "config-catalogue-not-monitored", sentence = &format!("{:?}", n.sentence));
                return Err(ConfigError::Invalid { file: path.to_path_buf(), msg });
            }
        }
        cat.not_monitored = raw.not_monitored;
        cat.check_codes_in(path, &text, lang)?;
        Ok(cat)
    }

    /// Every code of the catalogue is one the data can have (a typo would silently
    /// leave an indicator without data): sexes, ages and residences of indicators
    /// and their terms, units, and a rate's unit matching its factor. Errors give
    /// the line.
    pub fn check_codes(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        self.check_codes_in(path, text, crate::i18n::lang())
    }

    fn check_codes_in(&self, path: &Path, text: &str, lang: Lang) -> Result<(), ConfigError> {
        // The mistake at the line where `needle` is.
        let at = |needle: &str, msg: String| {
            let msg = match crate::config::rules::line_of(text, needle) {
                Some(line) => t!(lang, "config-catalogue-line", line = line, msg = &msg),
                None => msg,
            };
            ConfigError::Invalid { file: path.to_path_buf(), msg }
        };
        for d in &self.data_elements {
            if d.unit.trim().is_empty() {
                return Err(at(&d.code, t!(lang, "config-catalogue-element-empty-unit", code = &d.code)));
            }
        }
        for ind in &self.indicators {
            let code = ind.code.as_str();
            let quoted = |v: &str| format!("{v:?}");
            let sexes = ind.sex.iter().chain(ind.terms().filter_map(|t| t.sex.as_ref()));
            for s in sexes {
                if !matches!(s.as_str(), "F" | "M" | "_T") {
                    return Err(at(s, t!(lang, "config-catalogue-sex", code = code, value = &quoted(s))));
                }
            }
            for a in ind.age.iter().chain(ind.terms().filter_map(|t| t.age.as_ref())) {
                if !crate::vocab::labels::is_age_code(a) {
                    return Err(at(a, t!(lang, "config-catalogue-age", code = code, value = &quoted(a))));
                }
            }
            for r in ind.terms().filter_map(|t| t.residence.as_ref()) {
                if !matches!(r.as_str(), "U" | "R" | "_T") {
                    return Err(at(r, t!(lang, "config-catalogue-residence", code = code, value = &quoted(r))));
                }
            }
            if ind.unit.trim().is_empty() {
                return Err(at(code, t!(lang, "config-catalogue-empty-unit", code = code)));
            }
            // A ratio's unit says its factor: % is × 100, ‰ × 1000, 1/10万 × 100000.
            let ratio = !ind.numerator.is_empty();
            let implied = match ind.unit.as_str() {
                "%" => Some(100.0),
                "‰" => Some(1000.0),
                "1/10万" => Some(100000.0),
                _ => None,
            };
            if let (true, Some(f)) = (ratio, implied) {
                if ind.factor != f {
                    let (unit, implied, factor) = (quoted(&ind.unit), f.to_string(), ind.factor.to_string());
                    return Err(at(code, t!(lang, "config-catalogue-unit-factor", code = code, unit = &unit, implied = &implied, factor = &factor)));
                }
            }
        }
        Ok(())
    }

    pub fn new(data_elements: Vec<DataElement>, indicators: Vec<Indicator>, path: &Path) -> Result<Self, ConfigError> {
        Self::new_in(data_elements, indicators, path, crate::i18n::lang())
    }

    fn new_in(data_elements: Vec<DataElement>, indicators: Vec<Indicator>, path: &Path, lang: Lang) -> Result<Self, ConfigError> {
        let err = |msg: String| ConfigError::Invalid { file: path.to_path_buf(), msg };
        let mut by_code = rustc_hash::FxHashMap::default();
        for (i, d) in data_elements.iter().enumerate() {
            if by_code.insert(d.code.clone(), i).is_some() {
                return Err(err(t!(lang, "config-catalogue-element-twice", code = &d.code)));
            }
            if d.kind.additive() && d.count_type.is_none() {
                let kind = if d.kind == Kind::Count { "count" } else { "amount" };
                return Err(err(t!(lang, "config-catalogue-element-count-type", code = &d.code, kind = kind)));
            }
        }
        let mut indicator_index = rustc_hash::FxHashMap::default();
        for (i, ind) in indicators.iter().enumerate() {
            let code = ind.code.as_str();
            if indicator_index.insert(ind.code.clone(), i).is_some() {
                return Err(err(t!(lang, "config-catalogue-twice", code = code)));
            }
            let ratio = !ind.numerator.is_empty() || !ind.denominator.is_empty();
            if ind.gap_of.is_some() {
                if ratio || ind.value.is_some() || ind.target.kind() != TargetKind::Trend {
                    return Err(err(t!(lang, "config-catalogue-gap-formula", code = code)));
                }
                continue;
            }
            match (&ind.value, ratio) {
                (Some(_), true) => return Err(err(t!(lang, "config-catalogue-value-and-ratio", code = code))),
                (None, false) => return Err(err(t!(lang, "config-catalogue-no-formula", code = code))),
                (None, true) if ind.numerator.is_empty() || ind.denominator.is_empty() => {
                    return Err(err(t!(lang, "config-catalogue-half-ratio", code = code)))
                }
                _ => {}
            }
            for t in ind.terms() {
                if !by_code.contains_key(&t.data_element) {
                    return Err(err(t!(lang, "config-catalogue-unknown-element", code = code, element = &t.data_element)));
                }
            }
            if !(ind.factor.is_finite() && ind.factor > 0.0) {
                return Err(err(t!(lang, "config-catalogue-factor", code = code)));
            }
        }
        for ind in &indicators {
            let code = ind.code.as_str();
            if let Some(base) = &ind.gap_of {
                match indicator_index.get(base).map(|&i| &indicators[i]) {
                    Some(b) if b.numerator.is_empty() || b.gap_of.is_some() => {
                        return Err(err(t!(lang, "config-catalogue-gap-not-ratio", code = code, base = base)))
                    }
                    Some(b) if b.unit != ind.unit || b.sex != ind.sex || b.age != ind.age => {
                        return Err(err(t!(lang, "config-catalogue-gap-mismatch", code = code, base = base)))
                    }
                    None => return Err(err(t!(lang, "config-catalogue-gap-unknown", code = code, base = base))),
                    _ => {}
                }
            }
            if let Target::Relational(r) = &ind.target {
                let other = &r.compare_with;
                match indicator_index.get(other).map(|&i| &indicators[i]) {
                    None => return Err(err(t!(lang, "config-catalogue-compare-unknown", code = code, other = other))),
                    Some(o) if o.unit != ind.unit => {
                        return Err(err(t!(lang, "config-catalogue-compare-unit", code = code, other = other, other_unit = &o.unit, unit = &ind.unit)))
                    }
                    _ => {}
                }
            }
        }
        Ok(Catalogue { data_elements, indicators, not_monitored: Vec::new(), by_code, indicator_index })
    }

    pub fn data_element(&self, code: &str) -> Option<&DataElement> {
        self.by_code.get(code).map(|&i| &self.data_elements[i])
    }

    /// Whether a ratio indicator counts events (its numerator's data elements are
    /// events): then a small number of them is pooled over years and its
    /// interval is Poisson's (or Wilson's for a %). A stock numerator is exact.
    pub fn counts_events(&self, ind: &Indicator) -> bool {
        ind.value.is_none() && ind.numerator.iter().any(|t| self.data_element(&t.data_element).and_then(|d| d.count_type) == Some(CountType::Event))
    }

    /// The indicator with this code (a lookup, for per-row use).
    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicator_index.get(code).map(|&i| &self.indicators[i])
    }
}

/// A target's mistake ([`TargetError`]) as a message in `lang`.
fn target_message(lang: Lang, code: &str, e: &TargetError) -> String {
    match e {
        TargetError::Missing { kind, fields } => {
            let and = format!(" {} ", t!(lang, "config-catalogue-and"));
            t!(lang, "config-catalogue-target-needs", code = code, kind = kind.as_str(), fields = &fields.join(&and))
        }
        TargetError::NotOfKind { kind, field } => t!(lang, "config-catalogue-target-field", code = code, field = *field, kind = kind.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalogue_parses_with_enough_targets() {
        let cat = Catalogue::load(Path::new("pipelines/indicators.toml")).unwrap();
        assert!(cat.indicators.len() >= 50, "{} indicators", cat.indicators.len());
        for plan in ["women", "children"] {
            assert!(cat.indicators.iter().any(|i| i.plan == plan));
        }
        // Maternal mortality: two targets, 10 and 9 per 100,000 (the plan's sentence).
        let mmr = cat.indicators.iter().find(|i| i.name_zh == "孕产妇死亡率").unwrap();
        assert_eq!(mmr.target, Target::AtMost(Level { target_2025: Some(10.0), target_2030: Some(9.0) }));
        assert_eq!(mmr.factor, 100000.0);
    }

    /// The bundled catalogue with `from` replaced by `to` (once), loaded in `lang`: the error's text.
    fn mistake(from: &str, to: &str, lang: Lang) -> String {
        let text = std::fs::read_to_string("pipelines/indicators.toml").unwrap();
        assert!(text.contains(from), "{from}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("indicators.toml");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        let e = Catalogue::load_in(&path, lang).unwrap_err().to_string();
        assert!(e.starts_with(&path.display().to_string()), "the file: {e}");
        e
    }

    /// A catalogue's mistake in Chinese or English, with the file, the indicator's code
    /// and (for a code typo) the line: W80's range removed, a level on a direction-only
    /// target, a sex typo in W55's formula (its line counted here).
    #[test]
    fn a_catalogue_mistake_is_said_in_the_language_with_file_code_and_line() {
        let range = "target_range = [103.0, 107.0]\n";
        assert!(mistake(range, "", Lang::En).ends_with(": indicator W80: target_kind range needs target_range"));
        assert!(mistake(range, "", Lang::Zh).ends_with(": 指标 W80：target_kind range 须给出 target_range"));
        let text = std::fs::read_to_string("pipelines/indicators.toml").unwrap();
        // The first direction-only target: a target_2030 is not one of its fields.
        let at = text.find("target_kind = \"trend\"\n").unwrap();
        let code = text[..at].rsplit("code = \"").next().unwrap().split('"').next().unwrap().to_string();
        let trend = &text[at..at + text[at..].find('\n').unwrap() + 1];
        let e = mistake(&text[..at + trend.len()], &format!("{}target_2030 = 1.0\n", &text[..at + trend.len()]), Lang::Zh);
        assert!(e.ends_with(&format!(": 指标 {code}：target_2030 不是 target_kind trend 的字段")), "{e}");
        let e = mistake(&text[..at + trend.len()], &format!("{}target_2030 = 1.0\n", &text[..at + trend.len()]), Lang::En);
        assert!(e.ends_with(&format!(": indicator {code}: target_2030 is not a field of target_kind trend")), "{e}");
        // W55's first sex pin, F, becomes "Fm".
        let w55 = text.find("code = \"W55\"").unwrap();
        let pin = w55 + text[w55..].find("sex = \"F\"").unwrap();
        let line = text[..pin].matches('\n').count() + 1;
        let typo = format!("{}sex = \"Fm\"", &text[..pin]);
        let e = mistake(&text[..pin + "sex = \"F\"".len()], &typo, Lang::Zh);
        assert!(e.ends_with(&format!(": 第 {line} 行：指标 W55：sex 须为 F、M 或 _T，不能是 \"Fm\"")), "{e}");
        let e = mistake(&text[..pin + "sex = \"F\"".len()], &typo, Lang::En);
        assert!(e.ends_with(&format!(": line {line}: indicator W55: sex must be F, M or _T, not \"Fm\"")), "{e}");
    }
}
