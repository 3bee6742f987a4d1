//! The indicator series progress reads (`indicator_values` rows by indicator ×
//! area × sex × age × residence, by year) and the pooled rates beside small counts.

use polars::prelude::*;

use super::method;
use crate::compute::stats;
use crate::config::{Config, Indicator};

pub(super) type SeriesKey<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);

pub(super) struct Row {
    pub(super) year: i32,
    pub(super) value: Option<f64>,
    pub(super) num: Option<f64>,
    pub(super) den: Option<f64>,
    pub(super) lo: Option<f64>,
    pub(super) hi: Option<f64>,
    pub(super) small: bool,
}

/// Each series' rows (row number, values), ordered by year; the series in key order.
/// Every series with its (row number, values), series in key order, rows by year.
pub(super) type Series<'a> = Vec<(SeriesKey<'a>, Vec<(usize, Row)>)>;

pub(super) fn series(ind: &DataFrame) -> PolarsResult<Series<'_>> {
    if ind.height() == 0 {
        return Ok(Vec::new());
    }
    let s = |c: &str| -> PolarsResult<&StringChunked> { ind.column(c)?.str() };
    let f = |c: &str| -> PolarsResult<&Float64Chunked> { ind.column(c)?.f64() };
    let (code, area, sex, age, res) = (s("indicator")?, s("area")?, s("sex")?, s("age")?, s("residence")?);
    let year = ind.column("year")?.i32()?;
    let (value, num, den, lo, hi) = (f("value")?, f("numerator")?, f("denominator")?, f("ci_low")?, f("ci_high")?);
    let small = ind.column("small_count")?.bool()?;
    // Each key column's codes as small integers (a code is looked up only where it
    // differs from the row before: the frame is sorted, so runs are long), the series
    // keyed by those. The columns are walked together, row by row, not copied out first.
    #[derive(Default)]
    struct Ids<'a> {
        seen: rustc_hash::FxHashMap<&'a str, u32>,
        last: Option<(&'a str, u32)>,
    }
    impl<'a> Ids<'a> {
        fn of(&mut self, x: &'a str) -> u32 {
            match self.last {
                Some((p, id)) if p == x => id,
                _ => {
                    let n = self.seen.len() as u32;
                    let id = *self.seen.entry(x).or_insert(n);
                    self.last = Some((x, id));
                    id
                }
            }
        }
    }
    let mut ids: [Ids; 5] = Default::default();
    let mut at: rustc_hash::FxHashMap<[u32; 5], usize> = rustc_hash::FxHashMap::default();
    let mut out: Vec<(SeriesKey, Vec<(usize, Row)>)> = Vec::new();
    let keys = code.iter().zip(area.iter()).zip(sex.iter()).zip(age.iter()).zip(res.iter());
    let values = year.iter().zip(value.iter()).zip(num.iter()).zip(den.iter()).zip(lo.iter()).zip(hi.iter()).zip(small.iter());
    for (i, (((((code, area), sex), age), res), ((((((year, value), num), den), lo), hi), small))) in keys.zip(values).enumerate() {
        let Some(y) = year else { continue };
        let key = [code, area, sex, age, res].map(Option::unwrap_or_default);
        let k = *at.entry(std::array::from_fn(|c| ids[c].of(key[c]))).or_insert_with(|| {
            out.push(((key[0], key[1], key[2], key[3], key[4]), Vec::new()));
            out.len() - 1
        });
        out[k].1.push((i, Row { year: y, value, num, den, lo, hi, small: small.unwrap_or(false) }));
    }
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, v) in out.iter_mut() {
        v.sort_by_key(|r| r.1.year);
    }
    Ok(out)
}

/// A pooled rate over the 3 years ending `y` (fewer at the start of the series, when
/// earlier years do not exist): (value, numerator, denominator, ci_low, ci_high, first year).
#[allow(clippy::type_complexity)]
pub(super) fn pooled_at(rows: &[(usize, Row)], y: i32, factor: f64, unit: &str, sex_ratio: bool) -> Option<(f64, f64, f64, Option<f64>, Option<f64>, i32)> {
    let first_year = rows.first()?.1.year;
    let mut num = 0.0;
    let mut den = 0.0;
    let from = (y - 2).max(first_year);
    for yy in from..=y {
        let r = &rows.iter().find(|r| r.1.year == yy)?.1;
        num += r.num?;
        den += r.den?;
    }
    if den <= 0.0 {
        return None;
    }
    let ci = pooled_ci(num, den, factor, unit, sex_ratio);
    Some((num / den * factor, num, den, ci.map(|c| c.0), ci.map(|c| c.1), from))
}

/// The interval of a rate pooled from summed counts: the binomial one of the male
/// share for a sex ratio of one count, Wilson's for a %, else the exact Poisson one.
pub(super) fn pooled_ci(num: f64, den: f64, factor: f64, unit: &str, sex_ratio: bool) -> Option<(f64, f64)> {
    if sex_ratio {
        stats::count_ratio(num, den, stats::Z95).map(|(_, l, h)| (l * factor, h * factor))
    } else if unit == "%" && num <= den {
        stats::wilson(num, den, stats::Z95).map(|(l, h)| (l * factor, h * factor))
    } else {
        stats::poisson_exact_cached(num, 0.95).map(|(l, h)| (l / den * factor, h / den * factor))
    }
}

/// The baseline and latest windows of a small-count series (the consecutive years
/// with both counts ending in the latest year, from the baseline year on; see
/// [`method::windows`]), each window's
/// interval Wilson's for a % and the exact Poisson one otherwise.
pub(super) fn small_count_windows(rows: &[(usize, Row)], base_year: i32, def: &Indicator, pool_years: usize) -> Option<(method::Window, method::Window)> {
    let (factor, unit, sex_ratio) = (def.factor, def.unit.as_str(), crate::compute::sex_ratio_of_one_count(def));
    // The run of consecutive years with both counts that ends in the latest year (from the baseline year on).
    let mut years: Vec<(i32, f64, f64)> = Vec::new();
    for (_, r) in rows.iter().rev() {
        let (Some(n), Some(d)) = (r.num, r.den) else { break };
        if r.year < base_year || years.last().is_some_and(|l| l.0 != r.year + 1) {
            break;
        }
        years.push((r.year, n, d));
    }
    years.reverse();
    method::windows(&years, pool_years, |events, den| {
        if den <= 0.0 {
            return None;
        }
        let ci = pooled_ci(events, den, factor, unit, sex_ratio);
        Some((events / den * factor, ci.map(|c| c.0), ci.map(|c| c.1)))
    })
}

/// [`add_pooled`] with the series already read from `ind`.
pub(super) fn add_pooled_to(ind: &DataFrame, all_series: &Series<'_>, cfg: &Config) -> PolarsResult<DataFrame> {
    let n = ind.height();
    let mut cols: [Vec<Option<f64>>; 5] = Default::default();
    for c in cols.iter_mut() {
        c.resize(n, None);
    }
    let mut from: Vec<Option<i32>> = vec![None; n];
    if n > 0 {
        let unit = ind.column("unit")?.str()?.clone();
        // Series by series, in parallel: (row, pooled value, numerator, denominator, ci, first year).
        use rayon::prelude::*;
        type Pooled = (usize, [Option<f64>; 5], i32);
        let pooled: Vec<Pooled> = all_series
            .par_iter()
            .flat_map_iter(|((code, ..), rows)| {
                let def = cfg.catalogue.indicator(code).filter(|d| !d.denominator.is_empty());
                // A series with any small-count year gets the pooled rate in every year (progress uses it whole).
                let wanted = def.is_some() && rows.iter().any(|r| r.1.small);
                let unit = &unit;
                rows.iter().filter(move |_| wanted).filter_map(move |(i, r)| {
                    let def = def?;
                    let sex_ratio = crate::compute::sex_ratio_of_one_count(def);
                    let (v, nu, de, lo, hi, first) = pooled_at(rows, r.year, def.factor, unit.get(*i).unwrap_or_default(), sex_ratio)?;
                    Some((*i, [Some(v), Some(nu), Some(de), lo, hi], first))
                })
            })
            .collect();
        for (i, values, first) in pooled {
            for (c, x) in cols.iter_mut().zip(values) {
                c[i] = x;
            }
            from[i] = Some(first);
        }
    }
    let mut df = ind.clone();
    for (name, c) in ["pooled_value", "pooled_numerator", "pooled_denominator", "pooled_ci_low", "pooled_ci_high"].iter().zip(cols) {
        df.with_column(Column::new((*name).into(), c))?;
    }
    df.with_column(Column::new("pooled_from_year".into(), from))?;
    Ok(df)
}
