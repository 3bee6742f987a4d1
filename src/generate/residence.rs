//! The sample's urban/rural splits (城镇 U / 乡村 R) and its workers (职工), drawn
//! from their own random streams after the main simulation, so every value the
//! sample had before keeps its value.
//!
//! Two returns carry the splits: the 妇幼卫生年报 (live births and maternal,
//! neonatal, infant and under-5 deaths by the mother's residence) and the 教育事业
//! 统计 (junior-secondary graduates and their grade-1 cohort by the school's
//! location). A town's births split by its rural share of population; its deaths
//! split by the births with a higher risk in rural areas; each split adds up to
//! the town's total. Only the totals (sex `_T`) are split.

use super::model::{Sim, Truth, YEARS};

/// Split data elements of the 妇幼卫生年报 and the rural risk relative to urban.
pub const MCH_SPLIT: [(&str, f64); 4] = [("maternal_deaths", 1.8), ("neonatal_deaths", 1.4), ("infant_deaths", 1.35), ("under5_deaths", 1.3)];

/// Draw the splits for every town and year into `t.residence`.
pub fn split(t: &mut Truth, towns: &[(String, String)], seed: u64) {
    let mut s = Sim::new(seed ^ 0x7572_6261_6e5f_7275);
    for (code, _) in towns {
        let a = code.as_str();
        for &y in &YEARS {
            let pop = t.v("population", a, y, "_T", "_T");
            if pop <= 0.0 {
                continue;
            }
            let rural = (t.v("rural_population", a, y, "_T", "_T") / pop).clamp(0.0, 1.0);
            // Births by the mother's residence.
            let births = t.v("live_births", a, y, "_T", "_T");
            let br = s.binom(births, rural);
            t.set_res("live_births", a, y, "U", births - br);
            t.set_res("live_births", a, y, "R", br);
            // Deaths: each is rural with the rural births' share weighted by the relative risk.
            let weight = |rr: f64| if births > 0.0 { rr * br / (rr * br + (births - br)) } else { 0.0 };
            let md = t.v("maternal_deaths", a, y, "_T", "_T");
            let mr = s.binom(md, weight(MCH_SPLIT[0].1));
            t.set_res("maternal_deaths", a, y, "U", md - mr);
            t.set_res("maternal_deaths", a, y, "R", mr);
            // Neonatal ⊂ infant ⊂ under-5 deaths: the split keeps the nesting.
            let mut below_r = 0.0;
            let mut below = 0.0;
            for (de, rr) in &MCH_SPLIT[1..] {
                let d = t.v(de, a, y, "_T", "_T");
                let r = below_r + s.binom(d - below, weight(*rr));
                t.set_res(de, a, y, "U", d - r);
                t.set_res(de, a, y, "R", r);
                (below, below_r) = (d, r);
            }
            // Junior-secondary completion by school location: rural schools hold fewer
            // of the cohort (pupils move to town schools) and complete a little less.
            let cohort = t.v("primary_grade1_cohort", a, y, "_T", "_T");
            let grads = t.v("junior_graduates", a, y, "_T", "_T");
            let cr = s.binom(cohort, rural * 0.85);
            let cu = cohort - cr;
            let share = if cohort > 0.0 { cr / cohort * 0.99 } else { 0.0 };
            let mut gr = s.binom(grads, share).min(cr);
            if grads - gr > cu {
                gr = grads - cu;
            }
            for (res, c, g) in [("U", cu, grads - gr), ("R", cr, gr)] {
                t.set_res("primary_grade1_cohort", a, y, res, c);
                t.set_res("junior_graduates", a, y, res, g);
            }
        }
    }
}

/// Workers (职工, the trade union's count) and workers' congress delegates by sex,
/// for W55 (女代表比例与女职工比例相适应) and its reference W81.
pub fn workers(t: &mut Truth, towns: &[(String, String)], seed: u64) {
    let mut s = Sim::new(seed ^ 0x776f_726b_6572_7321);
    for (code, _) in towns {
        let a = code.as_str();
        for &y in &YEARS {
            let employees = t.v("urban_unit_employees", a, y, "_T", "_T");
            let workers = s.scale(employees * 1.15, 0.03);
            let p = super::model::path(0.405, 0.415, y);
            let wf = s.binom(workers, p);
            t.set("workers", a, y, "_T", "_T", workers);
            t.set("workers", a, y, "F", "_T", wf);
            // About one delegate per 40 workers; women a little under their share of workers.
            let delegates = (workers / 40.0).round().max(5.0);
            let df = s.binom(delegates, p - 0.03);
            t.set("workers_congress_delegates", a, y, "_T", "_T", delegates);
            t.set("workers_congress_delegates", a, y, "F", "_T", df);
        }
    }
}

/// (indicator, area, year, sex, age, residence) -> (value, numerator, denominator).
pub type ResidenceTruth = std::collections::BTreeMap<(String, String, i32, String, String, String), (f64, f64, f64)>;

/// Every ratio indicator whose terms all have urban/rural truth, recomputed by
/// residence with plain loops (the county's value from the towns' summed counts).
pub fn indicator_truth(t: &Truth, cat: &crate::config::Catalogue, towns: &[(String, String)], county: &str) -> ResidenceTruth {
    let mut out = ResidenceTruth::new();
    let term = |d: &crate::config::Term, area: &str, y: i32, res: &str| -> Option<f64> {
        if d.residence.as_deref().is_some_and(|r| r != res) {
            return None;
        }
        let (sex, age) = (d.sex.as_deref().unwrap_or("_T"), d.age.as_deref().unwrap_or("_T"));
        if area == county {
            let v: Option<Vec<f64>> = towns.iter().map(|(a, _)| t.get_res(&d.data_element, a, y, sex, age, res)).collect();
            v.map(|v| v.iter().sum())
        } else {
            t.get_res(&d.data_element, area, y, sex, age, res)
        }
    };
    let sum = |terms: &[crate::config::Term], area: &str, y: i32, res: &str| -> Option<f64> { terms.iter().map(|d| term(d, area, y, res)).sum() };
    for ind in cat.indicators.iter().filter(|i| i.value.is_none()) {
        let sex = super::truth::output_sex(ind, "_T");
        let age = ind.age.clone().unwrap_or_else(|| "_T".into());
        for area in towns.iter().map(|x| x.0.as_str()).chain(std::iter::once(county)) {
            for &y in &YEARS {
                for res in ["U", "R"] {
                    let (Some(n), Some(d)) = (sum(&ind.numerator, area, y, res), sum(&ind.denominator, area, y, res)) else { continue };
                    if d > 0.0 {
                        out.insert((ind.code.clone(), area.to_string(), y, sex.clone(), age.clone(), res.to_string()), (n / d * ind.factor, n, d));
                    }
                }
            }
        }
    }
    out
}
