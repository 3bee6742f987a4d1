//! The indicator pass: each catalogue indicator's numerator and denominator
//! summed from its data elements' values, paired area by area, summed up the
//! hierarchy, at every key (area × year × sex × age × residence) the data allow.
//!
//! In plain Rust over integer keys rather than as Polars plans: an indicator
//! reads a few thousand rows, and about 128 small plans of string-keyed joins and
//! group-bys per part cost more in planning and row encoding than in work.
//! The semantics are those of the frames it replaced, step for step:
//! [`side`] (terms summed by key, pins), [`ratio`] (pairs, their sums up the
//! hierarchy, the separate sums where no pairs exist) and [`one`] (value,
//! output dimensions). Sums add rows in the order the frames held them (term
//! by term, row by row); counts are whole numbers, whose sums do not depend on
//! the order. Every published file of the province corpus and of the sample
//! came out byte-identical to the Polars version's.

use polars::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

mod values;

use super::{AreaSet, Scope};
use crate::config::catalogue::Term;
use crate::config::{Config, Indicator};
use values::{out_dim, AreaSum, Key, SideSum};
pub(super) use values::{Dict, Values};

/// A ratio's numerator and denominator at one key.
#[derive(Clone, Copy)]
struct Pair {
    key: Key,
    num: f64,
    den: f64,
    num_areas: u32,
    den_areas: u32,
}

/// One output row before the output dimensions are set.
struct Row {
    key: Key,
    value: Option<f64>,
    num: Option<f64>,
    den: Option<f64>,
    num_areas: Option<u32>,
    den_areas: Option<u32>,
}

/// One side of a ratio: its terms summed by key, where every term has a value.
/// A dimension pinned by a term is filtered to the pin; one pinned only on the
/// other side is taken at its total ("_T"); either way it reads "*" in the key.
/// `reported_only`: only values as reported in returns, not wcmon's aggregates.
/// Returns (key, sum, sum of the values' n_sources) in first-seen order.
fn side(v: &Values, terms: &[Term], other: &[Term], reported_only: bool) -> Vec<SideSum> {
    let (Some(first), Some(other_first)) = (terms.first(), other.first()) else { return Vec::new() };
    let own = v.pin_ids(first);
    let oth = v.pin_ids(other_first);
    let starred: [bool; 3] = std::array::from_fn(|i| own[i].is_some() || oth[i].is_some());
    // key -> index into `sums`: (key, sum, values seen, n_sources summed)
    let mut at: FxHashMap<Key, usize> = FxHashMap::default();
    let mut sums: Vec<(Key, f64, u32, u32)> = Vec::new();
    for t in terms {
        let p = v.pin_ids(t);
        let want: [Option<u32>; 3] = std::array::from_fn(|i| p[i].or(oth[i].map(|_| v.total)));
        for x in v.rows(&t.data_element) {
            if reported_only && !x.reported {
                continue;
            }
            let (area, year, sex, age, res) = x.key;
            let dims = [sex, age, res];
            if (0..3).any(|i| want[i].is_some_and(|w| w != dims[i])) {
                continue;
            }
            let d: [u32; 3] = std::array::from_fn(|i| if starred[i] { v.star } else { dims[i] });
            let key = (area, year, d[0], d[1], d[2]);
            let j = *at.entry(key).or_insert_with(|| {
                sums.push((key, 0.0, 0, 0));
                sums.len() - 1
            });
            let s = &mut sums[j];
            s.1 += x.value;
            s.2 += 1;
            s.3 += x.n_sources;
        }
    }
    let n = terms.len() as u32;
    sums.into_iter().filter(|s| s.2 == n).map(|(k, sum, _, areas)| (k, sum, areas)).collect()
}

/// The pairs of two sides present at the same key.
fn paired(num: Vec<SideSum>, den: Vec<SideSum>) -> Vec<Pair> {
    let den: FxHashMap<Key, (f64, u32)> = den.into_iter().map(|(k, s, a)| (k, (s, a))).collect();
    num.into_iter().filter_map(|(key, n, na)| den.get(&key).map(|&(d, da)| Pair { key, num: n, den: d, num_areas: na, den_areas: da })).collect()
}

/// Numerator and denominator of a ratio at every area, each aggregate summed over the
/// same areas on both sides: the reported (area, numerator, denominator) pairs are
/// summed up the hierarchy, so a town that reports only one of the two counts in
/// neither. An area with its own reported pair keeps it. Where no pairs exist (e.g.
/// the numerator comes from towns and the denominator only from the county), the
/// two sides' separate aggregates are used, and `numerator_areas` /
/// `denominator_areas` show the difference in coverage.
/// For a part of a split run, also the sums for the roots (handed up, not kept).
fn ratio(v: &Values, ind: &Indicator, scope: &Scope) -> (Vec<Pair>, Vec<AreaSum>, Vec<SideSum>) {
    let num_side = side(v, &ind.numerator, &ind.denominator, true);
    let den_side = side(v, &ind.denominator, &ind.numerator, true);
    let den_keys: FxHashSet<Key> = den_side.iter().map(|d| d.0).collect();
    // Reported numerators whose denominator is missing (or was withheld): left out of the pairs.
    let unpaired: Vec<SideSum> = num_side.iter().filter(|n| !den_keys.contains(&n.0)).copied().collect();
    drop(den_keys);
    let pairs = paired(num_side, den_side);
    // The pairs summed into each ancestor of their area: (key, numerator, denominator, areas).
    let mut at: FxHashMap<Key, usize> = FxHashMap::default();
    let mut sums: Vec<AreaSum> = Vec::new();
    for p in &pairs {
        let (area, year, sex, age, res) = p.key;
        for &anc in v.ancestors.get(area as usize).map(Vec::as_slice).unwrap_or_default() {
            let key = (anc, year, sex, age, res);
            let j = *at.entry(key).or_insert_with(|| {
                sums.push((key, 0.0, 0.0, 0));
                sums.len() - 1
            });
            let s = &mut sums[j];
            s.1 += p.num;
            s.2 += p.den;
            s.3 += 1;
        }
    }
    let mut to_roots = Vec::new();
    match scope {
        Scope::Whole => {}
        Scope::Part { roots } => {
            let at_root = |k: &Key| is_root(roots, v.dict.str(k.0));
            to_roots = sums.iter().filter(|s| at_root(&s.0)).copied().collect();
            sums.retain(|s| !at_root(&s.0));
        }
        Scope::Top { .. } => sums.extend(v.top_sums.get(&ind.code).into_iter().flatten().copied()),
    }
    // The keys whose rate is made of pairs (summed here, or handed up to the roots of a split run).
    let from_pairs: FxHashSet<Key> = sums.iter().map(|s| s.0).chain(to_roots.iter().map(|s| s.0)).collect();
    let pair_keys: FxHashSet<Key> = pairs.iter().map(|p| p.key).collect();
    let mut out = pairs;
    out.extend(sums.into_iter().filter(|s| !pair_keys.contains(&s.0)).map(|(key, num, den, areas)| Pair { key, num, den, num_areas: areas, den_areas: areas }));
    drop(pair_keys);
    let have: FxHashSet<Key> = out.iter().map(|p| p.key).collect();
    let separate = paired(side(v, &ind.numerator, &ind.denominator, false), side(v, &ind.denominator, &ind.numerator, false));
    out.extend(separate.into_iter().filter(|p| !have.contains(&p.key)));
    // An unpaired numerator is lost where an ancestor's rate is made of pairs: its events are in no aggregate rate.
    let lost = unpaired
        .into_iter()
        .filter(|(key, x, _)| {
            let (area, year, sex, age, res) = *key;
            *x > 0.0 && v.ancestors.get(area as usize).is_some_and(|anc| anc.iter().any(|&a| from_pairs.contains(&(a, year, sex, age, res))))
        })
        .collect();
    (out, to_roots, lost)
}

fn is_root(roots: &AreaSet, area: &str) -> bool {
    roots.contains(area)
}

/// One indicator's rows, and (a part's ratio indicator) its sums for the roots.
fn one(v: &Values, ind: &Indicator, scope: &Scope) -> (Vec<Row>, Vec<AreaSum>, Vec<SideSum>) {
    let (mut rows, to_roots, lost): (Vec<Row>, Vec<AreaSum>, Vec<SideSum>) = match &ind.value {
        Some(t) => {
            let terms = std::slice::from_ref(t);
            let rows = side(v, terms, terms, false)
                .into_iter()
                .map(|(key, sum, _)| Row { key, value: Some(sum), num: None, den: None, num_areas: None, den_areas: None })
                .collect();
            (rows, Vec::new(), Vec::new())
        }
        None => {
            let (pairs, to_roots, lost) = ratio(v, ind, scope);
            let rows = pairs
                .into_iter()
                .map(|p| Row {
                    key: p.key,
                    value: (p.den > 0.0).then(|| p.num / p.den * ind.factor),
                    num: Some(p.num),
                    den: Some(p.den),
                    num_areas: Some(p.num_areas),
                    den_areas: Some(p.den_areas),
                })
                .collect();
            (rows, to_roots, lost)
        }
    };
    let out: [Option<u32>; 3] = std::array::from_fn(|i| out_dim(ind, i).map(|s| v.dict.known(&s)));
    if out.iter().any(Option::is_some) {
        for r in &mut rows {
            let k: &mut Key = &mut r.key;
            for (d, o) in [&mut k.2, &mut k.3, &mut k.4].into_iter().zip(out) {
                if let Some(o) = o {
                    *d = o;
                }
            }
        }
    }
    (rows, to_roots, lost)
}

/// The indicator pass's output: the rows, each ratio indicator's sums for the roots of a
/// part, and the numerators left out of every aggregate for want of a denominator.
pub type Pass = (DataFrame, Vec<(String, DataFrame)>, Vec<Lost>);

/// A town's reported numerator left out of every aggregate rate because its
/// denominator is missing (or was withheld by a validation error).
#[derive(Debug, Clone, PartialEq)]
pub struct Lost {
    /// The indicator's code (a men's counterpart's rows carry the indicator's own).
    pub indicator: String,
    pub area: String,
    pub year: i32,
    /// The numerator's first term, with the dimensions of its reported value (to find its cell).
    pub data_element: String,
    pub sex: String,
    pub age: String,
    pub residence: String,
    /// The numerator's events left out.
    pub events: f64,
    /// The indicator's sex as published (F for a women's indicator, M for its counterpart).
    pub published_sex: Option<String>,
    /// The denominator's formula (the men's for a men's counterpart).
    pub denominator: String,
}

fn lost_of(v: &Values, code: &str, ind: &Indicator, lost: Vec<SideSum>) -> Vec<Lost> {
    let Some(first) = ind.numerator.first() else { return Vec::new() };
    let other = ind.denominator.first();
    lost.into_iter()
        .map(|((area, year, sex, age, res), events, _)| {
            // A starred dimension is the term's pin, or the total where only the other side pins it.
            let dim = |id: u32, own: &Option<String>, oth: Option<&Option<String>>| -> String {
                if id != v.star {
                    return v.dict.str(id).to_string();
                }
                own.clone().or_else(|| oth.and_then(|o| o.as_ref()).map(|_| "_T".to_string())).unwrap_or_else(|| "_T".into())
            };
            Lost {
                indicator: code.to_string(),
                area: v.dict.str(area).to_string(),
                year,
                data_element: first.data_element.clone(),
                sex: dim(sex, &first.sex, other.map(|o| &o.sex)),
                age: dim(age, &first.age, other.map(|o| &o.age)),
                residence: dim(res, &first.residence, other.map(|o| &o.residence)),
                events,
                published_sex: out_dim(ind, 0),
                denominator: Indicator::formula_text(&ind.denominator),
            }
        })
        .collect()
}

/// The key a men's counterpart hands its sums up under (a split run): not a catalogue code.
const MALE_SUFFIX: &str = "~M";

/// The men's counterpart of a women's ratio indicator whose every term is pinned
/// to women (e.g. W25, female junior-secondary completion = junior graduates F /
/// grade-1 cohort F): the same formula with every pin M, written as the
/// indicator's `sex = M` rows, so that the gap between women and men exists
/// (`gaps.parquet`). It has rows only where the men's counts are reported or
/// derived (M = 合计 − 女); a women-only count (cervical screening) gives none.
/// Its code is the sums' key for a split run; the rows carry the indicator's own.
pub(super) fn male_mirror(ind: &Indicator) -> Option<Indicator> {
    let female = |t: &Term| t.sex.as_deref() == Some("F");
    let all_female = !ind.numerator.is_empty() && !ind.denominator.is_empty() && ind.numerator.iter().chain(&ind.denominator).all(female);
    if ind.value.is_some() || !all_female || ind.sex.as_deref().is_some_and(|s| s != "F") {
        return None;
    }
    let mut m = ind.clone();
    m.code = format!("{}{MALE_SUFFIX}", ind.code);
    m.sex = Some("M".into());
    for t in m.numerator.iter_mut().chain(m.denominator.iter_mut()) {
        t.sex = Some("M".into());
    }
    Some(m)
}

/// Every indicator's rows stacked in catalogue order (`indicator`, `area`,
/// `year`, `sex`, `age`, `residence`, `value`, `numerator`, `denominator`,
/// `numerator_areas`, `denominator_areas`, `unit`; not sorted), and each ratio
/// indicator's sums for the roots of a part (`area`, `year`, `sex`, `age`,
/// `residence`, `numerator`, `denominator`, `numerator_areas`).
pub(super) fn all(v: &Values, cfg: &Config, scope: &Scope) -> PolarsResult<Pass> {
    use rayon::prelude::*;
    // Each catalogue indicator, then its men's counterpart where it has one: (output code, formula).
    let mirrors: Vec<Option<Indicator>> = cfg.catalogue.indicators.iter().map(male_mirror).collect();
    let mut inds: Vec<(&str, &Indicator)> = Vec::with_capacity(cfg.catalogue.indicators.len() + mirrors.len());
    for (ind, m) in cfg.catalogue.indicators.iter().zip(&mirrors) {
        inds.push((ind.code.as_str(), ind));
        if let Some(m) = m {
            inds.push((ind.code.as_str(), m));
        }
    }
    let done: Vec<(Vec<Row>, Vec<AreaSum>, Vec<SideSum>)> = inds.par_iter().map(|(_, ind)| one(v, ind, scope)).collect();
    let n: usize = done.iter().map(|d| d.0.len()).sum();
    let d = &v.dict;
    let strs = || Vec::<&str>::with_capacity(n);
    let (mut indicator, mut unit, mut area, mut sex, mut age, mut res) = (strs(), strs(), strs(), strs(), strs(), strs());
    let mut year: Vec<i32> = Vec::with_capacity(n);
    let f64s = || Vec::<Option<f64>>::with_capacity(n);
    let (mut value, mut num, mut den) = (f64s(), f64s(), f64s());
    let u32s = || Vec::<Option<u32>>::with_capacity(n);
    let (mut num_areas, mut den_areas) = (u32s(), u32s());
    let mut pair_sums = Vec::new();
    let mut lost = Vec::new();
    for ((code, ind), (rows, to_roots, l)) in inds.iter().zip(done) {
        lost.extend(lost_of(v, code, ind, l));
        for r in rows {
            indicator.push(*code);
            unit.push(&ind.unit);
            area.push(d.str(r.key.0));
            year.push(r.key.1);
            sex.push(d.str(r.key.2));
            age.push(d.str(r.key.3));
            res.push(d.str(r.key.4));
            value.push(r.value);
            num.push(r.num);
            den.push(r.den);
            num_areas.push(r.num_areas);
            den_areas.push(r.den_areas);
        }
        if !to_roots.is_empty() {
            pair_sums.push((ind.code.clone(), handed_up_frame(d, &to_roots)?));
        }
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new("indicator".into(), indicator),
        Column::new("area".into(), area),
        Column::new("year".into(), year),
        Column::new("sex".into(), sex),
        Column::new("age".into(), age),
        Column::new("residence".into(), res),
        Column::new("value".into(), value),
        Column::new("numerator".into(), num),
        Column::new("denominator".into(), den),
        Column::new("numerator_areas".into(), num_areas),
        Column::new("denominator_areas".into(), den_areas),
        Column::new("unit".into(), unit),
    ])?;
    Ok((df, pair_sums, lost))
}

fn handed_up_frame(d: &Dict, rows: &[AreaSum]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&Key) -> u32| -> Vec<&str> { rows.iter().map(|r| d.str(f(&r.0))).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("area".into(), s(|k| k.0)),
        Column::new("year".into(), rows.iter().map(|r| r.0 .1).collect::<Vec<i32>>()),
        Column::new("sex".into(), s(|k| k.2)),
        Column::new("age".into(), s(|k| k.3)),
        Column::new("residence".into(), s(|k| k.4)),
        Column::new("numerator".into(), rows.iter().map(|r| r.1).collect::<Vec<f64>>()),
        Column::new("denominator".into(), rows.iter().map(|r| r.2).collect::<Vec<f64>>()),
        Column::new("numerator_areas".into(), rows.iter().map(|r| r.3).collect::<Vec<u32>>()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::compute::testing::{cfg, COUNTY, TOWN_A, TOWN_B};

    /// Values as the compute stage holds them: (data element, area, sex, age, value, n_sources),
    /// n_sources None for a reported value and Some(n) for an aggregate of n values.
    /// (data element, area, sex, age, value, n_sources)
    type Input<'a> = (&'a str, &'a str, &'a str, &'a str, f64, Option<u32>);

    fn values(rows: &[Input]) -> DataFrame {
        let s = |f: for<'a> fn(&Input<'a>) -> &'a str| -> Vec<String> { rows.iter().map(|r| f(r).to_string()).collect() };
        DataFrame::new_infer_height(vec![
            Column::new("data_element".into(), s(|r| r.0)),
            Column::new("area".into(), s(|r| r.1)),
            Column::new("year".into(), vec![2024i32; rows.len()]),
            Column::new("sex".into(), s(|r| r.2)),
            Column::new("age".into(), s(|r| r.3)),
            Column::new("residence".into(), vec!["_T"; rows.len()]),
            Column::new("value".into(), rows.iter().map(|r| Some(r.4)).collect::<Vec<_>>()),
            Column::new("n_sources".into(), rows.iter().map(|r| r.5).collect::<Vec<_>>()),
        ])
        .unwrap()
    }

    /// The rows of one indicator: area -> (sex, age, value, numerator, denominator, numerator_areas, denominator_areas).
    #[allow(clippy::type_complexity)]
    fn rows_of(
        df: &DataFrame,
        code: &str,
    ) -> std::collections::BTreeMap<String, (String, String, Option<f64>, Option<f64>, Option<f64>, Option<u32>, Option<u32>)> {
        let s = |c: &str| df.column(c).unwrap().str().unwrap().clone();
        let f = |c: &str| df.column(c).unwrap().f64().unwrap().clone();
        let u = |c: &str| df.column(c).unwrap().u32().unwrap().clone();
        let (ind, area, sex, age) = (s("indicator"), s("area"), s("sex"), s("age"));
        let (value, num, den, na, da) = (f("value"), f("numerator"), f("denominator"), u("numerator_areas"), u("denominator_areas"));
        (0..df.height())
            .filter(|&i| ind.get(i) == Some(code))
            .map(|i| {
                let row = (sex.get(i).unwrap().to_string(), age.get(i).unwrap().to_string(), value.get(i), num.get(i), den.get(i), na.get(i), da.get(i));
                (area.get(i).unwrap().to_string(), row)
            })
            .collect()
    }

    fn input() -> DataFrame {
        values(&[
            // W03 maternal deaths per 100,000 live births: town A reports both, town B only deaths.
            ("maternal_deaths", TOWN_A, "_T", "_T", 1.0, None),
            ("live_births", TOWN_A, "_T", "_T", 1000.0, None),
            ("maternal_deaths", TOWN_B, "_T", "_T", 2.0, None),
            // The county's aggregates (as the aggregation step adds them).
            ("maternal_deaths", COUNTY, "_T", "_T", 3.0, Some(2)),
            ("live_births", COUNTY, "_T", "_T", 1000.0, Some(1)),
            // W07 induced abortions per 1,000 women 15-49: towns report abortions, only the county the population.
            ("induced_abortions", TOWN_A, "_T", "_T", 6.0, None),
            ("induced_abortions", TOWN_B, "_T", "_T", 4.0, None),
            ("induced_abortions", COUNTY, "_T", "_T", 10.0, Some(2)),
            // A breakdown by age of town A's abortions, and its county aggregate: not the total.
            ("induced_abortions", TOWN_A, "_T", "Y15T19", 2.0, None),
            ("induced_abortions", COUNTY, "_T", "Y15T19", 2.0, Some(1)),
            ("population", COUNTY, "F", "Y15T49", 4000.0, None),
            // Another age group of the same population: not the denominator.
            ("population", COUNTY, "F", "Y35T64", 5000.0, None),
        ])
    }

    #[test]
    fn a_county_rate_sums_only_the_towns_reporting_both_counts() {
        let cfg = cfg();
        let v = Values::new(&input(), &cfg, &Scope::Whole).unwrap();
        let (df, handed_up, lost) = all(&v, &cfg, &Scope::Whole).unwrap();
        assert!(handed_up.is_empty());
        // Town B's 2 deaths are in no county rate (it reports no births): named, with the cell's key.
        let w03: Vec<&Lost> = lost.iter().filter(|l| l.indicator == "W03").collect();
        assert_eq!(w03.len(), 1, "{lost:?}");
        assert_eq!((w03[0].area.as_str(), w03[0].data_element.as_str(), w03[0].events), (TOWN_B, "maternal_deaths", 2.0));
        assert_eq!((w03[0].sex.as_str(), w03[0].age.as_str(), w03[0].residence.as_str()), ("_T", "_T", "_T"));
        // W07's abortions have no pairs anywhere: the county's separate sums hold them, nothing is lost.
        assert!(lost.iter().all(|l| l.indicator != "W07"), "{lost:?}");
        let w03 = rows_of(&df, "W03");
        // Town A: 1 / 1000 × 100,000 = 100; town B has no births, so no rate.
        let t = |x: &str| x.to_string();
        assert_eq!(w03.get(TOWN_A), Some(&(t("F"), t("_T"), Some(100.0), Some(1.0), Some(1000.0), Some(1), Some(1))));
        assert_eq!(w03.get(TOWN_B), None);
        // The county: town A's pair only (1 death / 1000 births), not 3 deaths over town A's births.
        assert_eq!(w03.get(COUNTY), Some(&(t("F"), t("_T"), Some(100.0), Some(1.0), Some(1000.0), Some(1), Some(1))));
        assert_eq!(w03.len(), 2);
    }

    #[test]
    fn without_pairs_the_sides_are_summed_apart_and_pinned_dimensions_read_the_total() {
        let cfg = cfg();
        let v = Values::new(&input(), &cfg, &Scope::Whole).unwrap();
        let (df, _, _) = all(&v, &cfg, &Scope::Whole).unwrap();
        let w07 = rows_of(&df, "W07");
        // No area reports both: the county's summed abortions (10, from 2 towns) over its
        // own population of women 15-49 (4000): 10 / 4000 × 1000 = 2.5.
        let t = |x: &str| x.to_string();
        assert_eq!(w07.get(COUNTY), Some(&(t("F"), t("Y15T49"), Some(2.5), Some(10.0), Some(4000.0), Some(2), Some(1))));
        assert_eq!(w07.len(), 1);
    }

    #[test]
    fn a_part_hands_its_sums_for_the_root_up_and_the_top_uses_them() {
        let cfg = cfg();
        let roots: AreaSet = [COUNTY.to_string()].into_iter().collect();
        let towns = input().lazy().filter(col("area").neq(lit(COUNTY))).collect().unwrap();
        let part = Scope::Part { roots: &roots };
        let (df, handed_up, _) = all(&Values::new(&towns, &cfg, &part).unwrap(), &cfg, &part).unwrap();
        assert_eq!(rows_of(&df, "W03").keys().collect::<Vec<_>>(), vec![TOWN_A], "the part computes its towns, not the root");
        let sums: std::collections::HashMap<String, DataFrame> = handed_up.into_iter().collect();
        let w03 = sums.get("W03").expect("W03's pair sums for the county");
        assert_eq!(w03.height(), 1);
        assert_eq!(w03.column("area").unwrap().str().unwrap().get(0), Some(COUNTY));
        assert_eq!(w03.column("numerator").unwrap().f64().unwrap().get(0), Some(1.0));
        assert_eq!(w03.column("denominator").unwrap().f64().unwrap().get(0), Some(1000.0));
        // The top: the county's own values and the parts' sums give what one pass gives.
        let county = input().lazy().filter(col("area").eq(lit(COUNTY))).collect().unwrap();
        let top = Scope::Top { pair_sums: &sums };
        let (df, _, _) = all(&Values::new(&county, &cfg, &top).unwrap(), &cfg, &top).unwrap();
        let t = |x: &str| x.to_string();
        assert_eq!(rows_of(&df, "W03").get(COUNTY), Some(&(t("F"), t("_T"), Some(100.0), Some(1.0), Some(1000.0), Some(1), Some(1))));
    }
}
