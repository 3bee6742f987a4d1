//! Every indicator recomputed from the simulated truth with plain loops,
//! independently of wcmon's compute stage, for `_truth/indicators.csv`.

use std::collections::BTreeMap;

use super::model::{Truth, YEARS};
use crate::config::{Catalogue, Indicator, Term};

/// (indicator, area, year, sex, age) -> (value, numerator, denominator)
pub type IndicatorTruth = BTreeMap<(String, String, i32, String, String), (f64, Option<f64>, Option<f64>)>;

/// Every indicator recomputed from the truth with plain loops: a county value is
/// the ratio of the towns' summed counts.
pub fn indicator_truth(truth: &Truth, cat: &Catalogue, towns: &[(String, String)], county: &str) -> IndicatorTruth {
    let get = |de: &str, area: &str, y: i32, sex: &str, age: &str| -> Option<f64> {
        if area == county {
            if let Some(v) = truth.get(de, county, y, sex, age) {
                return Some(v);
            }
            let vals: Vec<f64> = towns.iter().filter_map(|(t, _)| truth.get(de, t, y, sex, age)).collect();
            (!vals.is_empty()).then(|| vals.iter().sum())
        } else {
            truth.get(de, area, y, sex, age)
        }
    };
    let sum_terms = |terms: &[Term], other: &[Term], area: &str, y: i32, sex: &str| -> Option<f64> {
        let mut total = 0.0;
        for t in terms {
            let other_pins_sex = other.first().is_some_and(|o| o.sex.is_some());
            let s = t.sex.as_deref().unwrap_or(if other_pins_sex { "_T" } else { sex });
            // The truth is kept by sex only: an unpinned age is all ages.
            let a = t.age.as_deref().unwrap_or("_T");
            total += get(&t.data_element, area, y, s, a)?;
        }
        Some(total)
    };
    let mut out = IndicatorTruth::new();
    let areas: Vec<&str> = towns.iter().map(|t| t.0.as_str()).chain(std::iter::once(county)).collect();
    for ind in &cat.indicators {
        let pinned_sex = ind.terms().any(|t| t.sex.is_some());
        let sexes: Vec<&str> = if pinned_sex { vec!["_T"] } else { vec!["_T", "F", "M"] };
        for &area in &areas {
            for &y in &YEARS {
                for &sex in &sexes {
                    let out_sex = output_sex(ind, sex);
                    let out_age = ind.age.clone().unwrap_or_else(|| "_T".into());
                    let key = (ind.code.clone(), area.to_string(), y, out_sex, out_age);
                    if let Some(t) = &ind.value {
                        if let Some(v) = sum_terms(std::slice::from_ref(t), &[], area, y, sex) {
                            out.insert(key, (v, None, None));
                        }
                        continue;
                    }
                    let (Some(n), Some(d)) =
                        (sum_terms(&ind.numerator, &ind.denominator, area, y, sex), sum_terms(&ind.denominator, &ind.numerator, area, y, sex))
                    else {
                        continue;
                    };
                    if d > 0.0 {
                        out.insert(key, (n / d * ind.factor, Some(n), Some(d)));
                    }
                }
            }
        }
    }
    out
}

pub(super) fn output_sex(ind: &Indicator, loop_sex: &str) -> String {
    if let Some(s) = &ind.sex {
        return s.clone();
    }
    let n = ind.numerator.first().or(ind.value.as_ref()).and_then(|t| t.sex.clone());
    let d = ind.denominator.first().and_then(|t| t.sex.clone());
    match (n, d) {
        (Some(a), Some(b)) if a == b => a,
        (Some(_), Some(_)) => "_T".into(),
        (Some(a), None) => a,
        (None, Some(_)) => "_T".into(),
        (None, None) => loop_sex.to_string(),
    }
}
