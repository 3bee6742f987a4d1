//! Counts summed up the area hierarchy: every additive value into each of its
//! area's ancestors, kept as an aggregate where the ancestor reports no value of
//! its own for the same key.
//!
//! In plain Rust over integer-coded keys (as [`super::ratios`]), in place of
//! Polars joins and a group-by on six string columns. Sums add values in the
//! order of the rows (a part's, then for the province the parts' in part
//! order); counts are whole numbers, whose sums do not depend on the order.

use polars::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::ratios::Dict;
use super::AreaSet;
use crate::config::Config;

/// (data element, area, year, sex, age, residence), the codes as [`Dict`] ids.
type Key = (u32, u32, i32, u32, u32, u32);

/// Sums by key, in first-seen order: (key, sum of values, values summed).
struct Sums {
    dict: Dict,
    acc: Acc,
}

#[derive(Default)]
struct Acc {
    rows: Vec<(Key, f64, u32)>,
    at: FxHashMap<Key, usize>,
}

impl Acc {
    fn add(&mut self, key: Key, value: f64, n: u32) {
        let rows = &mut self.rows;
        let j = *self.at.entry(key).or_insert_with(|| {
            rows.push((key, 0.0, 0));
            rows.len() - 1
        });
        let r = &mut rows[j];
        r.1 += value;
        r.2 += n;
    }
}

impl Sums {
    fn new() -> Sums {
        Sums { dict: Dict::default(), acc: Acc::default() }
    }

    /// The rows as a frame: `data_element`, `area`, `year`, `sex`, `age`,
    /// `residence`, `value`, `n_sources`.
    fn frame(&self, rows: &[(Key, f64, u32)]) -> PolarsResult<DataFrame> {
        let d = &self.dict;
        let s = |name: &str, f: fn(&Key) -> u32| Column::new(name.into(), rows.iter().map(|r| d.str(f(&r.0))).collect::<Vec<&str>>());
        DataFrame::new_infer_height(vec![
            s("data_element", |k| k.0),
            s("area", |k| k.1),
            Column::new("year".into(), rows.iter().map(|r| r.0 .2).collect::<Vec<i32>>()),
            s("sex", |k| k.3),
            s("age", |k| k.4),
            s("residence", |k| k.5),
            Column::new("value".into(), rows.iter().map(|r| r.1).collect::<Vec<f64>>()),
            Column::new("n_sources".into(), rows.iter().map(|r| r.2).collect::<Vec<u32>>()),
        ])
    }
}

/// The string columns of a key.
struct KeyColumns {
    de: StringChunked,
    area: StringChunked,
    year: Int32Chunked,
    sex: StringChunked,
    age: StringChunked,
    res: StringChunked,
}

impl KeyColumns {
    fn of(df: &DataFrame) -> PolarsResult<KeyColumns> {
        let s = |c: &str| -> PolarsResult<StringChunked> { Ok(df.column(c)?.str()?.clone()) };
        let year = df.column("year")?.cast(&DataType::Int32)?;
        Ok(KeyColumns { de: s("data_element")?, area: s("area")?, year: year.i32()?.clone(), sex: s("sex")?, age: s("age")?, res: s("residence")? })
    }
}

/// Every additive value summed into each ancestor of its area.
fn ancestor_sums(values: &DataFrame, cfg: &Config) -> PolarsResult<Sums> {
    let mut sums = Sums::new();
    if values.height() == 0 {
        return Ok(sums);
    }
    let additive: FxHashSet<&str> = cfg.catalogue.data_elements.iter().filter(|d| d.kind.additive()).map(|d| d.code.as_str()).collect();
    let ancestors: FxHashMap<&str, &[String]> = cfg.areas.list.iter().map(|a| (a.code.as_str(), a.ancestors.as_slice())).collect();
    let k = KeyColumns::of(values)?;
    let value = values.column("value")?.cast(&DataType::Float64)?;
    let value = value.f64()?;
    let Sums { dict, acc } = &mut sums;
    let mut seen: [Option<(&str, u32)>; 5] = [None; 5];
    let mut last_area: Option<(&str, Vec<u32>)> = None;
    let mut last_de: Option<(&str, bool)> = None;
    for i in 0..values.height() {
        let (Some(v), Some(de)) = (value.get(i), k.de.get(i)) else { continue };
        let is_additive = match last_de {
            Some((p, a)) if p == de => a,
            _ => {
                let a = additive.contains(de);
                last_de = Some((de, a));
                a
            }
        };
        if !is_additive {
            continue;
        }
        let area = k.area.get(i).unwrap_or_default();
        if last_area.as_ref().is_none_or(|(p, _)| *p != area) {
            let anc = ancestors.get(area).map(|a| a.iter().map(|x| dict.id(x)).collect()).unwrap_or_default();
            last_area = Some((area, anc));
        }
        let Some((_, anc)) = &last_area else { continue };
        if anc.is_empty() {
            continue;
        }
        let de = dict.id_after(de, &mut seen[0]);
        let (sex, age, res) = (
            dict.id_after(k.sex.get(i).unwrap_or_default(), &mut seen[2]),
            dict.id_after(k.age.get(i).unwrap_or_default(), &mut seen[3]),
            dict.id_after(k.res.get(i).unwrap_or_default(), &mut seen[4]),
        );
        let year = k.year.get(i).unwrap_or_default();
        for &a in anc {
            acc.add((de, a, year, sex, age, res), v, 1);
        }
    }
    Ok(sums)
}

/// `values` with `rows` of `sums` stacked as aggregate rows, except where `values`
/// has a row (reported, or reported missing) for the same key at that area.
fn with_aggregates(values: &DataFrame, sums: &Sums, rows: impl Iterator<Item = usize>, cfg: &Config) -> PolarsResult<DataFrame> {
    let d = &sums.dict;
    // Only areas with areas below them get aggregates: the reported keys that can
    // match one are those of such areas (a few county rows, not every town's).
    let parents: FxHashSet<&str> = cfg.areas.list.iter().flat_map(|a| a.ancestors.iter().map(String::as_str)).collect();
    let mut reported: FxHashSet<Key> = FxHashSet::default();
    if values.height() > 0 {
        let k = KeyColumns::of(values)?;
        for i in 0..values.height() {
            let area = k.area.get(i).unwrap_or_default();
            if !parents.contains(area) {
                continue;
            }
            // A code no sum has cannot match one.
            let c = |x: Option<&str>| d.get(x.unwrap_or_default());
            if let (Some(de), Some(area), Some(sex), Some(age), Some(res)) = (c(k.de.get(i)), d.get(area), c(k.sex.get(i)), c(k.age.get(i)), c(k.res.get(i))) {
                reported.insert((de, area, k.year.get(i).unwrap_or_default(), sex, age, res));
            }
        }
    }
    let agg: Vec<(Key, f64, u32)> = rows.map(|j| sums.acc.rows[j]).filter(|r| !reported.contains(&r.0)).collect();
    let n = agg.len();
    // The aggregate rows in the values' own columns and types.
    let code = |f: fn(&Key) -> u32| -> Vec<&str> { agg.iter().map(|r| d.str(f(&r.0))).collect() };
    let columns = values
        .columns()
        .iter()
        .map(|c| {
            let name = c.name().clone();
            match name.as_str() {
                "data_element" => Column::new(name, code(|k| k.0)),
                "area" => Column::new(name, code(|k| k.1)),
                "year" => Column::new(name, agg.iter().map(|r| r.0 .2).collect::<Vec<i32>>()),
                "sex" => Column::new(name, code(|k| k.3)),
                "age" => Column::new(name, code(|k| k.4)),
                "residence" => Column::new(name, code(|k| k.5)),
                "value" => Column::new(name, agg.iter().map(|r| Some(r.1)).collect::<Vec<Option<f64>>>()),
                "obs_status" => Column::new(name, vec!["A"; n]),
                "derived" => Column::new(name, vec![true; n]),
                "n_sources" => Column::new(name, agg.iter().map(|r| Some(r.2)).collect::<Vec<Option<u32>>>()),
                _ => Column::full_null(name, n, c.dtype()),
            }
            .cast(c.dtype())
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    let agg = DataFrame::new_infer_height(columns)?;
    // Not sorted here: publishing sorts each table once, with the area names joined.
    let mut all = values.clone();
    all.vstack_mut(&agg)?;
    Ok(all)
}

/// Reported values plus aggregates for every ancestor area that has no
/// reported value of its own for the same key. Aggregates are `derived`,
/// carry `n_sources` (how many lower-level values were summed) and no source cell.
pub fn aggregate(values: &DataFrame, cfg: &Config) -> PolarsResult<DataFrame> {
    let sums = ancestor_sums(values, cfg)?;
    with_aggregates(values, &sums, 0..sums.acc.rows.len(), cfg)
}

/// [`aggregate`] for one part of a run split by area subtree (`values` holds no
/// row of a root area): the part's values with the aggregates of its own areas,
/// and its partial sums for the roots (`data_element`, `area`, `year`, `sex`,
/// `age`, `residence`, `value`, `n_sources`), which [`aggregate_top`] adds up.
pub fn aggregate_part(values: &DataFrame, cfg: &Config, roots: &AreaSet) -> PolarsResult<(DataFrame, DataFrame)> {
    let sums = ancestor_sums(values, cfg)?;
    let (to_roots, own): (Vec<usize>, Vec<usize>) = (0..sums.acc.rows.len()).partition(|&j| roots.contains(sums.dict.str(sums.acc.rows[j].0 .1)));
    let handed_up: Vec<(Key, f64, u32)> = to_roots.iter().map(|&j| sums.acc.rows[j]).collect();
    Ok((with_aggregates(values, &sums, own.into_iter(), cfg)?, sums.frame(&handed_up)?))
}

/// The roots' values: those reported for a root itself, plus the sums of every
/// part's partial sums (see [`aggregate_part`]) where the root reports none.
/// The same rows as [`aggregate`] gives the roots in one pass.
pub fn aggregate_top(root_values: &DataFrame, partial_sums: Vec<DataFrame>, cfg: &Config) -> PolarsResult<DataFrame> {
    if partial_sums.is_empty() {
        return Ok(root_values.clone());
    }
    let mut sums = Sums::new();
    for df in &partial_sums {
        if df.height() == 0 {
            continue;
        }
        let k = KeyColumns::of(df)?;
        let value = df.column("value")?.cast(&DataType::Float64)?;
        let n = df.column("n_sources")?.cast(&DataType::UInt32)?;
        let (value, n) = (value.f64()?, n.u32()?);
        for i in 0..df.height() {
            let mut c = |x: Option<&str>| sums.dict.id(x.unwrap_or_default());
            let key = (c(k.de.get(i)), c(k.area.get(i)), k.year.get(i).unwrap_or_default(), c(k.sex.get(i)), c(k.age.get(i)), c(k.res.get(i)));
            sums.acc.add(key, value.get(i).unwrap_or_default(), n.get(i).unwrap_or_default());
        }
    }
    with_aggregates(root_values, &sums, 0..sums.acc.rows.len(), cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::compute::testing::{cfg, COUNTY, TOWN_A, TOWN_B};

    /// (data element, area, sex, value)
    type Input<'a> = (&'a str, &'a str, &'a str, Option<f64>);

    /// Reported values as the compute stage holds them.
    fn values(rows: &[Input]) -> DataFrame {
        let n = rows.len();
        let text = |f: for<'a> fn(&Input<'a>) -> &'a str| rows.iter().map(|r| f(r).to_string()).collect::<Vec<String>>();
        DataFrame::new_infer_height(vec![
            Column::new("data_element".into(), text(|r| r.0)),
            Column::new("area".into(), text(|r| r.1)),
            Column::new("year".into(), vec![2024i32; n]),
            Column::new("sex".into(), text(|r| r.2)),
            Column::new("age".into(), vec!["_T"; n]),
            Column::new("residence".into(), vec!["_T"; n]),
            Column::new("value".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
            Column::new("obs_status".into(), rows.iter().map(|r| if r.3.is_some() { "A" } else { "M" }).collect::<Vec<_>>()),
            Column::new("derived".into(), vec![false; n]),
            Column::new("source_file".into(), vec![Some("f.xlsx"); n]),
            Column::new("n_sources".into(), vec![None::<u32>; n]),
        ])
        .unwrap()
    }

    /// (data element, area, sex) -> (value, n_sources)
    type Aggregates = std::collections::BTreeMap<(String, String, String), (Option<f64>, Option<u32>)>;

    /// The aggregate rows.
    fn aggregates(df: &DataFrame) -> Aggregates {
        let s = |c: &str| df.column(c).unwrap().str().unwrap().clone();
        let (de, area, sex) = (s("data_element"), s("area"), s("sex"));
        let (value, n, derived) =
            (df.column("value").unwrap().f64().unwrap(), df.column("n_sources").unwrap().u32().unwrap(), df.column("derived").unwrap().bool().unwrap());
        (0..df.height())
            .filter(|&i| derived.get(i) == Some(true))
            .map(|i| ((de.get(i).unwrap().into(), area.get(i).unwrap().into(), sex.get(i).unwrap().into()), (value.get(i), n.get(i))))
            .collect()
    }

    fn input() -> DataFrame {
        values(&[
            ("live_births", TOWN_A, "_T", Some(120.0)),
            ("live_births", TOWN_B, "_T", Some(80.0)),
            ("live_births", TOWN_A, "F", Some(50.0)),
            // Town B's girls were not reported: the county's sum has one source.
            ("live_births", TOWN_B, "F", None),
            // The county reports its boys as missing: no aggregate in its place.
            ("live_births", TOWN_A, "M", Some(70.0)),
            ("live_births", COUNTY, "M", None),
            // A rate is not additive.
            ("life_expectancy", TOWN_A, "F", Some(80.1)),
        ])
    }

    #[test]
    fn counts_are_summed_into_the_county_where_it_reports_nothing() {
        let cfg = cfg();
        let all = aggregate(&input(), &cfg).unwrap();
        let agg = aggregates(&all);
        let k = |sex: &str| ("live_births".to_string(), COUNTY.to_string(), sex.to_string());
        assert_eq!(agg.get(&k("_T")), Some(&(Some(200.0), Some(2))), "120 + 80 from two towns");
        assert_eq!(agg.get(&k("F")), Some(&(Some(50.0), Some(1))), "town B's missing value is not a source");
        assert_eq!(agg.get(&k("M")), None, "the county's own (missing) value stands");
        assert_eq!(agg.len(), 2, "no aggregate of a rate: {agg:?}");
        // The reported rows are kept as they were, the aggregates after them.
        assert_eq!(all.height(), input().height() + 2);
        assert_eq!(all.column("source_file").unwrap().str().unwrap().null_count(), 2);
    }

    #[test]
    fn a_part_hands_its_county_sums_up_and_the_top_adds_them() {
        let cfg = cfg();
        let roots: AreaSet = [COUNTY.to_string()].into_iter().collect();
        let towns = input().lazy().filter(col("area").neq(lit(COUNTY))).collect().unwrap();
        // Two parts, each with one town's values.
        let part = |town: &str| aggregate_part(&towns.clone().lazy().filter(col("area").eq(lit(town))).collect().unwrap(), &cfg, &roots).unwrap();
        let ((a_all, a_up), (b_all, b_up)) = (part(TOWN_A), part(TOWN_B));
        assert!(aggregates(&a_all).is_empty() && aggregates(&b_all).is_empty(), "a part keeps no root aggregate");
        assert_eq!(a_up.height(), 3, "town A's _T, F and M births");
        let county = input().lazy().filter(col("area").eq(lit(COUNTY))).collect().unwrap();
        let top = aggregate_top(&county, vec![a_up, b_up], &cfg).unwrap();
        let agg = aggregates(&top);
        let k = |sex: &str| ("live_births".to_string(), COUNTY.to_string(), sex.to_string());
        assert_eq!(agg.get(&k("_T")), Some(&(Some(200.0), Some(2))));
        assert_eq!(agg.get(&k("F")), Some(&(Some(50.0), Some(1))));
        assert_eq!(agg.get(&k("M")), None);
    }
}
