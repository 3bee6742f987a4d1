//! The indicator pass's input: the run's values by data element, their codes as
//! small ids ([`Dict`]), each area's ancestors, and at the top of a split run the
//! sums the parts handed up.

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::super::Scope;
use crate::config::catalogue::Term;
use crate::config::{Config, Indicator};

/// (area, year, sex, age, residence), the codes as [`Dict`] ids.
pub(super) type Key = (u32, i32, u32, u32, u32);

/// A side of a ratio at one key: (key, sum, the summed values' `n_sources`).
pub(super) type SideSum = (Key, f64, u32);

/// Pairs summed into an area: (key, numerator, denominator, areas summed).
pub(super) type AreaSum = (Key, f64, f64, u32);

/// Each distinct code (area, sex, age, residence) once, as a small id. Filled
/// before the indicators run in parallel; read-only after.
#[derive(Default)]
pub(in crate::compute) struct Dict {
    ids: FxHashMap<String, u32>,
    strs: Vec<String>,
}

impl Dict {
    pub(in crate::compute) fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.strs.len() as u32;
        self.strs.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }

    /// [`Dict::id`], remembering the last code of a column: the same as the last costs a compare, not a hash.
    pub(in crate::compute) fn id_after<'a>(&mut self, s: &'a str, last: &mut Option<(&'a str, u32)>) -> u32 {
        match *last {
            Some((prev, id)) if prev == s => id,
            _ => {
                let id = self.id(s);
                *last = Some((s, id));
                id
            }
        }
    }

    /// A code interned before the pass (pins, output dimensions, "*", "_T").
    pub(super) fn known(&self, s: &str) -> u32 {
        self.ids.get(s).copied().unwrap_or(u32::MAX)
    }

    /// The id of a code already in the dictionary.
    pub(in crate::compute) fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    pub(in crate::compute) fn str(&self, i: u32) -> &str {
        self.strs.get(i as usize).map_or("", String::as_str)
    }
}

/// One non-null value of a data element.
pub(super) struct Val {
    pub(super) key: Key,
    pub(super) value: f64,
    /// 1 for a reported value, the number of values summed for an aggregate.
    pub(super) n_sources: u32,
    pub(super) reported: bool,
}

/// The run's values by data element, with everything the pass looks up.
pub(in crate::compute) struct Values {
    pub(super) by_de: FxHashMap<String, Vec<Val>>,
    pub(super) dict: Dict,
    /// Each area id's ancestors' ids (nearest first); empty for other ids.
    pub(super) ancestors: Vec<Vec<u32>>,
    pub(super) star: u32,
    pub(super) total: u32,
    /// The top of a split run: each ratio indicator's sums handed up by the parts, summed by key.
    pub(super) top_sums: FxHashMap<String, Vec<AreaSum>>,
}

pub(super) fn pins(t: &Term) -> [Option<&String>; 3] {
    [t.sex.as_ref(), t.age.as_ref(), t.residence.as_ref()]
}

/// Output value of a dimension pinned somewhere in the formula.
pub(super) fn out_dim(ind: &Indicator, i: usize) -> Option<String> {
    let over = match i {
        0 => ind.sex.clone(),
        1 => ind.age.clone(),
        _ => None,
    };
    if over.is_some() {
        return over;
    }
    if let Some(v) = ind.value.as_ref().and_then(|t| pins(t)[i].cloned()) {
        return Some(v);
    }
    let n = ind.numerator.first().and_then(|t| pins(t)[i].cloned());
    let d = ind.denominator.first().and_then(|t| pins(t)[i].cloned());
    match (n, d) {
        (Some(a), Some(b)) if a == b => Some(a),
        (Some(_), Some(_)) => Some("_T".into()),
        (Some(a), None) => Some(a),
        (None, Some(_)) => Some("_T".into()),
        (None, None) => None,
    }
}

impl Values {
    pub(in crate::compute) fn new(all_values: &DataFrame, cfg: &Config, scope: &Scope) -> PolarsResult<Values> {
        let mut dict = Dict::default();
        let (star, total) = (dict.id("*"), dict.id("_T"));
        // The men's counterpart of women's indicators ([`male_mirror`]) pins and writes M.
        dict.id("M");
        // Codes the pass compares with or writes, interned now so the pass only reads.
        for ind in &cfg.catalogue.indicators {
            for t in ind.numerator.iter().chain(&ind.denominator).chain(ind.value.as_ref()) {
                for p in pins(t).into_iter().flatten() {
                    dict.id(p);
                }
            }
            for i in 0..3 {
                if let Some(v) = out_dim(ind, i) {
                    dict.id(&v);
                }
            }
        }
        let mut ancestors_of: Vec<(u32, Vec<u32>)> = Vec::with_capacity(cfg.areas.list.len());
        for a in &cfg.areas.list {
            let id = dict.id(&a.code);
            let anc = a.ancestors.iter().map(|x| dict.id(x)).collect();
            ancestors_of.push((id, anc));
        }
        let mut by_de: FxHashMap<String, Vec<Val>> = FxHashMap::default();
        if all_values.height() > 0 {
            let s = |c: &str| -> PolarsResult<StringChunked> { Ok(all_values.column(c)?.str()?.clone()) };
            let (de, area, sex, age, res) = (s("data_element")?, s("area")?, s("sex")?, s("age")?, s("residence")?);
            let year = all_values.column("year")?.cast(&DataType::Int32)?;
            let year = year.i32()?;
            let value = all_values.column("value")?.cast(&DataType::Float64)?;
            let value = value.f64()?;
            let n_sources = all_values.column("n_sources")?.cast(&DataType::UInt32)?;
            let n_sources = n_sources.u32()?;
            let mut last: Option<(&str, usize)> = None;
            let mut lists: Vec<Vec<Val>> = Vec::new();
            let mut list_of: FxHashMap<&str, usize> = FxHashMap::default();
            // Per code column: the code last looked up and its id.
            let mut seen: [Option<(&str, u32)>; 4] = [None; 4];
            // The columns walked together (a get by row index finds its chunk every time).
            let rows = value.iter().zip(de.iter()).zip(area.iter().zip(year.iter())).zip(sex.iter().zip(age.iter()).zip(res.iter().zip(n_sources.iter())));
            for (((v, code), (area, year)), ((sex, age), (res, n))) in rows {
                let (Some(v), Some(code)) = (v, code) else { continue };
                // Rows of one data element come in runs: look up the list once per run.
                let li = match last {
                    Some((c, li)) if c == code => li,
                    _ => {
                        let li = *list_of.entry(code).or_insert_with(|| {
                            lists.push(Vec::new());
                            lists.len() - 1
                        });
                        last = Some((code, li));
                        li
                    }
                };
                // Codes repeat row after row (a file's values are together): looked up when they change.
                let key = (
                    dict.id_after(area.unwrap_or_default(), &mut seen[0]),
                    year.unwrap_or_default(),
                    dict.id_after(sex.unwrap_or_default(), &mut seen[1]),
                    dict.id_after(age.unwrap_or_default(), &mut seen[2]),
                    dict.id_after(res.unwrap_or_default(), &mut seen[3]),
                );
                lists[li].push(Val { key, value: v, n_sources: n.unwrap_or(1), reported: n.is_none() });
            }
            let mut lists: Vec<Option<Vec<Val>>> = lists.into_iter().map(Some).collect();
            for (code, li) in list_of {
                by_de.insert(code.to_string(), lists[li].take().unwrap_or_default());
            }
        }
        let mut top_sums = FxHashMap::default();
        if let Scope::Top { pair_sums } = scope {
            for (code, df) in pair_sums.iter() {
                top_sums.insert(code.clone(), regroup_handed_up(df, &mut dict)?);
            }
        }
        let mut ancestors = vec![Vec::new(); dict.strs.len()];
        for (id, anc) in ancestors_of {
            ancestors[id as usize] = anc;
        }
        Ok(Values { by_de, dict, ancestors, star, total, top_sums })
    }

    pub(super) fn rows(&self, code: &str) -> &[Val] {
        self.by_de.get(code).map(Vec::as_slice).unwrap_or_default()
    }

    pub(super) fn pin_ids(&self, t: &Term) -> [Option<u32>; 3] {
        pins(t).map(|p| p.map(|s| self.dict.known(s)))
    }
}

/// The parts' sums for the roots (area, year, sex, age, residence, numerator,
/// denominator, numerator_areas), summed by key in the order the parts handed them up.
fn regroup_handed_up(df: &DataFrame, dict: &mut Dict) -> PolarsResult<Vec<AreaSum>> {
    let s = |c: &str| -> PolarsResult<StringChunked> { Ok(df.column(c)?.str()?.clone()) };
    let (area, sex, age, res) = (s("area")?, s("sex")?, s("age")?, s("residence")?);
    let year = df.column("year")?.cast(&DataType::Int32)?;
    let num = df.column("numerator")?.cast(&DataType::Float64)?;
    let den = df.column("denominator")?.cast(&DataType::Float64)?;
    let areas = df.column("numerator_areas")?.cast(&DataType::UInt32)?;
    let (year, num, den, areas) = (year.i32()?, num.f64()?, den.f64()?, areas.u32()?);
    let mut out: Vec<AreaSum> = Vec::new();
    let mut at: FxHashMap<Key, usize> = FxHashMap::default();
    for i in 0..df.height() {
        let mut id = |x: Option<&str>| dict.id(x.unwrap_or_default());
        let key = (id(area.get(i)), year.get(i).unwrap_or_default(), id(sex.get(i)), id(age.get(i)), id(res.get(i)));
        let j = *at.entry(key).or_insert_with(|| {
            out.push((key, 0.0, 0.0, 0));
            out.len() - 1
        });
        let o = &mut out[j];
        o.1 += num.get(i).unwrap_or_default();
        o.2 += den.get(i).unwrap_or_default();
        o.3 += areas.get(i).unwrap_or_default();
    }
    Ok(out)
}
