//! The plans' targets as the catalogue states them: one struct per target kind,
//! each with its own fields, resolved from the fields of `[[indicator]]` by
//! `target_kind`. [`crate::progress`] evaluates each kind (`progress/targets/`).
//!
//! To add a kind: a [`TargetKind`] variant (its name in indicators.toml), its
//! struct here, a [`Target`] variant holding it, its arm in [`Target::resolve`]
//! (which fields it takes), and its evaluator in `progress/targets/`.

use serde::{Deserialize, Serialize};

/// `target_kind` as written in indicators.toml: which fields a target has.
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

impl TargetKind {
    /// The name in indicators.toml and in the tables (`indicators.target_kind`, `progress.target_kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::AtLeast => "at_least",
            TargetKind::AtMost => "at_most",
            TargetKind::About => "about",
            TargetKind::Range => "range",
            TargetKind::Relative => "relative",
            TargetKind::Trend => "trend",
            TargetKind::Reference => "reference",
            TargetKind::Relational => "relational",
        }
    }
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

/// A level by a target year (`at_least`, `at_most`, `about`): `target_2025`,
/// `target_2030`; a target stated once is for 2030.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub target_2025: Option<f64>,
    pub target_2030: Option<f64>,
}

impl Level {
    /// The level stated for a target year.
    pub fn by(&self, target_year: i32) -> Option<f64> {
        match target_year {
            2025 => self.target_2025,
            2030 => self.target_2030,
            _ => None,
        }
    }
}

/// Within bounds (`range`, the sex ratio at birth 103–107): `target_range = [low, high]`,
/// stated without a year (for the last target year).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeTarget {
    pub low: f64,
    pub high: f64,
}

/// A change from a base year's value (`relative`, "20% below 2020"):
/// `relative_change` (−0.2) from `relative_base_year`, stated without a year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelativeTarget {
    pub base_year: Option<i32>,
    pub change: f64,
}

/// A direction only (`trend`: 逐步提高, 持续下降 …): the indicator's `direction`
/// says which way; a gap indicator (`gap_of`) narrows towards 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendTarget;

/// No target of its own (`reference`): the benchmark of a relational target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReferenceTarget;

/// Against another indicator of the same area, year and sex (`relational`).
#[derive(Debug, Clone, PartialEq)]
pub struct RelationalTarget {
    pub compare_with: String,
    pub comparison: Comparison,
    /// `about`: within this many of the unit's points.
    pub tolerance: Option<f64>,
}

/// An indicator's target, of one kind with that kind's fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    AtLeast(Level),
    AtMost(Level),
    About(Level),
    Range(RangeTarget),
    Relative(RelativeTarget),
    Trend(TrendTarget),
    Reference(ReferenceTarget),
    Relational(RelationalTarget),
}

/// The target fields of an `[[indicator]]` as written, before [`Target::resolve`].
#[derive(Debug, Clone, Default)]
pub(super) struct RawTarget {
    pub target_2025: Option<f64>,
    pub target_2030: Option<f64>,
    pub target_range: Option<[f64; 2]>,
    pub relative_base_year: Option<i32>,
    pub relative_change: Option<f64>,
    pub compare_with: Option<String>,
    pub comparison: Option<Comparison>,
    pub tolerance: Option<f64>,
}

/// Why a target's fields do not make a target of its kind.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TargetError {
    /// The kind needs these fields (named as written).
    Missing { kind: TargetKind, fields: &'static [&'static str] },
    /// A field the kind does not have (it would be ignored).
    NotOfKind { kind: TargetKind, field: &'static str },
}

impl RawTarget {
    /// The fields given, by name (for [`TargetError::NotOfKind`]).
    fn given(&self) -> [(&'static str, bool); 8] {
        [
            ("target_2025", self.target_2025.is_some()),
            ("target_2030", self.target_2030.is_some()),
            ("target_range", self.target_range.is_some()),
            ("relative_base_year", self.relative_base_year.is_some()),
            ("relative_change", self.relative_change.is_some()),
            ("compare_with", self.compare_with.is_some()),
            ("comparison", self.comparison.is_some()),
            ("tolerance", self.tolerance.is_some()),
        ]
    }
}

impl Target {
    /// The target of `kind` from the fields as written: the fields the kind needs
    /// must be there, and no field of another kind may be.
    pub(super) fn resolve(kind: TargetKind, raw: RawTarget) -> Result<Target, TargetError> {
        let takes: &[&str] = match kind {
            TargetKind::AtLeast | TargetKind::AtMost | TargetKind::About => &["target_2025", "target_2030"],
            TargetKind::Range => &["target_range"],
            TargetKind::Relative => &["relative_base_year", "relative_change"],
            TargetKind::Relational => &["compare_with", "comparison", "tolerance"],
            TargetKind::Trend | TargetKind::Reference => &[],
        };
        if let Some((field, _)) = raw.given().into_iter().find(|(f, given)| *given && !takes.contains(f)) {
            return Err(TargetError::NotOfKind { kind, field });
        }
        let missing = |fields: &'static [&'static str]| TargetError::Missing { kind, fields };
        let level = Level { target_2025: raw.target_2025, target_2030: raw.target_2030 };
        Ok(match kind {
            TargetKind::AtLeast => Target::AtLeast(level),
            TargetKind::AtMost => Target::AtMost(level),
            TargetKind::About => Target::About(level),
            TargetKind::Range => {
                let [low, high] = raw.target_range.ok_or_else(|| missing(&["target_range"]))?;
                Target::Range(RangeTarget { low, high })
            }
            TargetKind::Relative => {
                let change = raw.relative_change.ok_or_else(|| missing(&["relative_change"]))?;
                Target::Relative(RelativeTarget { base_year: raw.relative_base_year, change })
            }
            TargetKind::Trend => Target::Trend(TrendTarget),
            TargetKind::Reference => Target::Reference(ReferenceTarget),
            TargetKind::Relational => match (raw.compare_with, raw.comparison) {
                (Some(compare_with), Some(comparison)) => Target::Relational(RelationalTarget { compare_with, comparison, tolerance: raw.tolerance }),
                _ => return Err(missing(&["compare_with", "comparison"])),
            },
        })
    }

    pub fn kind(&self) -> TargetKind {
        match self {
            Target::AtLeast(_) => TargetKind::AtLeast,
            Target::AtMost(_) => TargetKind::AtMost,
            Target::About(_) => TargetKind::About,
            Target::Range(_) => TargetKind::Range,
            Target::Relative(_) => TargetKind::Relative,
            Target::Trend(_) => TargetKind::Trend,
            Target::Reference(_) => TargetKind::Reference,
            Target::Relational(_) => TargetKind::Relational,
        }
    }

    /// The level of an `at_least`, `at_most` or `about` target.
    pub fn level(&self) -> Option<&Level> {
        match self {
            Target::AtLeast(l) | Target::AtMost(l) | Target::About(l) => Some(l),
            _ => None,
        }
    }

    /// The level stated for a target year (`indicators.target_2025`, `target_2030`).
    pub fn stated(&self, target_year: i32) -> Option<f64> {
        self.level().and_then(|l| l.by(target_year))
    }

    /// A range target's bounds (`indicators.target_low`, `target_high`).
    pub fn range(&self) -> Option<(f64, f64)> {
        match self {
            Target::Range(r) => Some((r.low, r.high)),
            _ => None,
        }
    }

    /// A relative target's change (`indicators.relative_change`).
    pub fn relative_change(&self) -> Option<f64> {
        match self {
            Target::Relative(r) => Some(r.change),
            _ => None,
        }
    }

    /// A relative target's base year.
    pub fn relative_base_year(&self) -> Option<i32> {
        match self {
            Target::Relative(r) => r.base_year,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_named_as_serde_reads_it() {
        use TargetKind::*;
        for k in [AtLeast, AtMost, About, Range, Relative, Trend, Reference, Relational] {
            assert_eq!(serde_json::to_value(k).unwrap().as_str(), Some(k.as_str()));
        }
    }

    #[test]
    fn a_kind_takes_its_own_fields_and_needs_its_required_ones() {
        let raw = RawTarget { target_range: Some([103.0, 107.0]), ..Default::default() };
        assert_eq!(Target::resolve(TargetKind::Range, raw.clone()), Ok(Target::Range(RangeTarget { low: 103.0, high: 107.0 })));
        assert_eq!(Target::resolve(TargetKind::AtLeast, raw), Err(TargetError::NotOfKind { kind: TargetKind::AtLeast, field: "target_range" }));
        assert_eq!(Target::resolve(TargetKind::Range, RawTarget::default()), Err(TargetError::Missing { kind: TargetKind::Range, fields: &["target_range"] }));
        let rel = RawTarget { compare_with: Some("W35".into()), ..Default::default() };
        assert_eq!(
            Target::resolve(TargetKind::Relational, rel),
            Err(TargetError::Missing { kind: TargetKind::Relational, fields: &["compare_with", "comparison"] })
        );
        let trend = RawTarget { target_2030: Some(1.0), ..Default::default() };
        assert_eq!(Target::resolve(TargetKind::Trend, trend), Err(TargetError::NotOfKind { kind: TargetKind::Trend, field: "target_2030" }));
        let lvl = RawTarget { target_2025: Some(10.0), target_2030: Some(9.0), ..Default::default() };
        let t = Target::resolve(TargetKind::AtMost, lvl).unwrap();
        assert_eq!((t.kind(), t.stated(2025), t.stated(2030), t.stated(2027)), (TargetKind::AtMost, Some(10.0), Some(9.0), None));
    }
}
