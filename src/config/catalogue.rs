//! `pipelines/indicators.toml`: data elements and the plans' quantified targets.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{read_toml, ConfigError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    data_element: Vec<DataElement>,
    indicator: Vec<Indicator>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    AtLeast,
    AtMost,
    About,
    Range,
    Relative,
    Trend,
    /// No target of its own: the benchmark a relational target is compared with
    /// (W81, women among workers, for W55). No progress row.
    Reference,
    /// Compared with another indicator of the same area, year and sex
    /// (`compare_with`, `comparison`, `tolerance`): e.g. W36 women among party
    /// congress delegates not below women among party members (W35).
    Relational,
}

/// How a relational target compares an indicator with its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Not below the reference (一般不低于).
    AtLeast,
    /// Within `tolerance` (in the unit's points) of the reference (相适应).
    About,
}

/// A plan indicator (指标) with its targets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub plan: String,
    pub domain: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub factor: f64,
    #[serde(default)]
    pub numerator: Vec<Term>,
    #[serde(default)]
    pub denominator: Vec<Term>,
    /// A directly reported value instead of a ratio.
    #[serde(default)]
    pub value: Option<Term>,
    /// Sex of the output rows when the formula pins it (e.g. F for "women's ...").
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub age: Option<String>,
    pub direction: Direction,
    pub target_kind: TargetKind,
    #[serde(default)]
    pub target_2025: Option<f64>,
    #[serde(default)]
    pub target_2030: Option<f64>,
    #[serde(default)]
    pub target_range: Option<[f64; 2]>,
    #[serde(default)]
    pub relative_base_year: Option<i32>,
    #[serde(default)]
    pub relative_change: Option<f64>,
    #[serde(default)]
    pub baseline_year: Option<i32>,
    /// Relational targets: the indicator compared with, how, and the tolerance (`about`, in the unit's points).
    #[serde(default)]
    pub compare_with: Option<String>,
    #[serde(default)]
    pub comparison: Option<Comparison>,
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// A gap target (城乡差距逐步缩小): this indicator's series is the rural − urban
    /// difference of the named ratio indicator (`gap_of = "C01"`), R − U of its
    /// rates from the summed counts of each residence, as in `gaps.parquet`.
    /// No formula of its own; `target_kind = "trend"` (the gap narrows).
    #[serde(default)]
    pub gap_of: Option<String>,
    /// Highest plausible value (rule `indicator_out_of_range`); a % defaults to 100.
    /// Gross and cohort ratios may pass 100 and say so here.
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub responsible: Option<String>,
    /// Built on a sensitive count: its values over a withheld count are withheld
    /// from the public export (and the data elements of its numerator are sensitive).
    #[serde(default)]
    pub sensitive: bool,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

impl Indicator {
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
        let raw: RawCatalogue = read_toml(path)?;
        let mut cat = Self::new(raw.data_element, raw.indicator, path)?;
        for n in &raw.not_monitored {
            if !matches!(n.plan.as_str(), "women" | "children") || n.sentence.trim().is_empty() {
                return Err(ConfigError::Invalid {
                    file: path.to_path_buf(),
                    msg: format!("not_monitored {:?}: plan must be women or children and the sentence not empty", n.sentence),
                });
            }
        }
        cat.not_monitored = raw.not_monitored;
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.to_path_buf(), source })?;
        cat.check_codes(path, &text)?;
        Ok(cat)
    }

    /// Every code of the catalogue is one the data can have (a typo would silently
    /// leave an indicator without data): sexes, ages and residences of indicators
    /// and their terms, units, and a rate's unit matching its factor. Errors give
    /// the line.
    pub fn check_codes(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        use crate::config::rules::invalid;
        for d in &self.data_elements {
            if d.unit.trim().is_empty() {
                return Err(invalid(path, text, &d.code, format!("data element {}: empty unit", d.code)));
            }
        }
        for ind in &self.indicators {
            let bad = |needle: &str, msg: String| invalid(path, text, needle, format!("indicator {}: {msg}", ind.code));
            let sexes = ind.sex.iter().chain(ind.terms().filter_map(|t| t.sex.as_ref()));
            for s in sexes {
                if !matches!(s.as_str(), "F" | "M" | "_T") {
                    return Err(bad(s, format!("sex must be F, M or _T, not {s:?}")));
                }
            }
            for a in ind.age.iter().chain(ind.terms().filter_map(|t| t.age.as_ref())) {
                if !crate::vocab::labels::is_age_code(a) {
                    return Err(bad(a, format!("age {a:?} is not an age code like _T, Y0T4, Y_LT1, Y_GE65")));
                }
            }
            for r in ind.terms().filter_map(|t| t.residence.as_ref()) {
                if !matches!(r.as_str(), "U" | "R" | "_T") {
                    return Err(bad(r, format!("residence must be U, R or _T, not {r:?}")));
                }
            }
            if ind.unit.trim().is_empty() {
                return Err(bad(&ind.code, "empty unit".into()));
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
                    return Err(bad(&ind.code, format!("unit {:?} means factor = {f}, not {}", ind.unit, ind.factor)));
                }
            }
        }
        Ok(())
    }

    pub fn new(data_elements: Vec<DataElement>, indicators: Vec<Indicator>, path: &Path) -> Result<Self, ConfigError> {
        let err = |msg: String| ConfigError::Invalid { file: path.to_path_buf(), msg };
        let mut by_code = rustc_hash::FxHashMap::default();
        for (i, d) in data_elements.iter().enumerate() {
            if by_code.insert(d.code.clone(), i).is_some() {
                return Err(err(format!("data element {} is defined twice", d.code)));
            }
            if d.kind.additive() && d.count_type.is_none() {
                return Err(err(format!(
                    "data element {}: a {} needs count_type = \"event\" or \"stock\"",
                    d.code,
                    if d.kind == Kind::Count { "count" } else { "amount" }
                )));
            }
        }
        let mut indicator_index = rustc_hash::FxHashMap::default();
        for (i, ind) in indicators.iter().enumerate() {
            if indicator_index.insert(ind.code.clone(), i).is_some() {
                return Err(err(format!("indicator {} is defined twice", ind.code)));
            }
            let ratio = !ind.numerator.is_empty() || !ind.denominator.is_empty();
            if ind.gap_of.is_some() {
                if ratio || ind.value.is_some() || ind.target_kind != TargetKind::Trend {
                    return Err(err(format!("indicator {}: a gap (gap_of) has no formula of its own and target_kind = \"trend\"", ind.code)));
                }
                continue;
            }
            match (&ind.value, ratio) {
                (Some(_), true) => return Err(err(format!("indicator {}: give either value or numerator/denominator, not both", ind.code))),
                (None, false) => return Err(err(format!("indicator {}: needs value or numerator and denominator", ind.code))),
                (None, true) if ind.numerator.is_empty() || ind.denominator.is_empty() => {
                    return Err(err(format!("indicator {}: a ratio needs both numerator and denominator", ind.code)))
                }
                _ => {}
            }
            for t in ind.terms() {
                if !by_code.contains_key(&t.data_element) {
                    return Err(err(format!("indicator {} names unknown data element {}", ind.code, t.data_element)));
                }
            }
            if ind.target_kind == TargetKind::Range && ind.target_range.is_none() {
                return Err(err(format!("indicator {}: target_kind range needs target_range", ind.code)));
            }
            if ind.target_kind == TargetKind::Relational && (ind.compare_with.is_none() || ind.comparison.is_none()) {
                return Err(err(format!("indicator {}: target_kind relational needs compare_with and comparison", ind.code)));
            }
            if ind.target_kind == TargetKind::Relative && ind.relative_change.is_none() {
                return Err(err(format!("indicator {}: target_kind relative needs relative_change", ind.code)));
            }
            if !(ind.factor.is_finite() && ind.factor > 0.0) {
                return Err(err(format!("indicator {}: factor must be positive", ind.code)));
            }
        }
        for ind in &indicators {
            if let Some(base) = &ind.gap_of {
                match indicator_index.get(base).map(|&i| &indicators[i]) {
                    Some(b) if b.numerator.is_empty() || b.gap_of.is_some() => {
                        return Err(err(format!("indicator {}: gap_of {base} must be a ratio indicator (numerator / denominator)", ind.code)))
                    }
                    Some(b) if b.unit != ind.unit || b.sex != ind.sex || b.age != ind.age => {
                        return Err(err(format!("indicator {}: gap_of {base} must have the same unit, sex and age", ind.code)))
                    }
                    None => return Err(err(format!("indicator {}: gap_of names unknown indicator {base}", ind.code))),
                    _ => {}
                }
            }
            if let Some(other) = &ind.compare_with {
                match indicator_index.get(other).map(|&i| &indicators[i]) {
                    None => return Err(err(format!("indicator {}: compare_with names unknown indicator {other}", ind.code))),
                    Some(o) if o.unit != ind.unit => {
                        return Err(err(format!("indicator {}: compare_with {other} is in {} , not {}", ind.code, o.unit, ind.unit)))
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
        assert_eq!((mmr.target_2025, mmr.target_2030), (Some(10.0), Some(9.0)));
        assert_eq!(mmr.factor, 100000.0);
    }
}
