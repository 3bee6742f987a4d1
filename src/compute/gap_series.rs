//! Gap indicators (`gap_of` in the catalogue): the plans' "城乡差距逐步缩小"
//! targets catalogued as indicators of their own (W04 for maternal mortality,
//! C01G–C03G for neonatal, infant and under-5 mortality), whose value in an area
//! and year is the **difference rural − urban** of the base indicator's rates,
//! each rate from that residence's summed counts — the `difference` of
//! `gaps.parquet` (dimension `residence`), with the same interval (MOVER from
//! each rate's exact Poisson limits, or Newcombe's for a %).
//!
//! The difference, not the ratio: the plans say 差距 (a gap, "the difference")
//! and state their mortality targets as levels in the same unit (‰, 1/10万);
//! the ratio R/U is undefined in every year with no urban event, which for a
//! county's maternal deaths is most years. The rows are appended to the
//! indicator frame with residence `_T`, no numerator or denominator (the two
//! groups' counts are in `gaps.parquet`), and `small_count` when either group's
//! count is small; progress assesses them as direction-only targets.

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::gaps::{compare_rates, Side};
use crate::config::{Config, Indicator};

/// One gap value: (indicator, area, year, sex, age, unit, difference, interval, method, small).
type Row<'a> = (&'a str, &'a str, i32, &'a str, &'a str, &'a str, f64, Option<(f64, f64)>, &'static str, bool);

/// The rows of every gap indicator computable from `df` (the indicator pass's
/// frame, with its uncertainty columns), in `df`'s schema; None when there are none.
pub fn rows(df: &DataFrame, cfg: &Config) -> PolarsResult<Option<DataFrame>> {
    // Base indicator code -> (its definition, the gap indicators of it).
    let mut bases: FxHashMap<&str, (&Indicator, Vec<&str>)> = FxHashMap::default();
    for g in cfg.catalogue.indicators.iter() {
        if let Some(base) = g.gap_of.as_deref().and_then(|b| cfg.catalogue.indicator(b)) {
            bases.entry(base.code.as_str()).or_insert((base, Vec::new())).1.push(g.code.as_str());
        }
    }
    if bases.is_empty() || df.height() == 0 {
        return Ok(None);
    }
    let s = |c: &str| -> PolarsResult<&StringChunked> { df.column(c)?.str() };
    let f = |c: &str| -> PolarsResult<&Float64Chunked> { df.column(c)?.f64() };
    let (code, area, sex, age, res, unit) = (s("indicator")?, s("area")?, s("sex")?, s("age")?, s("residence")?, s("unit")?);
    let year = df.column("year")?.i32()?;
    let (value, num, den) = (f("value")?, f("numerator")?, f("denominator")?);
    type Key<'a> = (&'a str, &'a str, i32, &'a str, &'a str, &'a str);
    let mut at: FxHashMap<Key, Side> = FxHashMap::default();
    for i in 0..df.height() {
        let (Some(c), Some(r)) = (code.get(i), res.get(i)) else { continue };
        if r == "_T" || !bases.contains_key(c) {
            continue;
        }
        if let (Some(a), Some(y), Some(sx), Some(ag), Some(v), Some(n), Some(d)) =
            (area.get(i), year.get(i), sex.get(i), age.get(i), value.get(i), num.get(i), den.get(i))
        {
            at.insert((c, a, y, sx, ag, r), Side { value: v, num: n, den: d });
        }
    }
    let small_count = cfg.rules.progress.small_count;
    let unit_of: FxHashMap<&str, &str> = (0..df.height()).filter_map(|i| Some((code.get(i)?, unit.get(i)?))).collect();
    let mut out: Vec<Row> = Vec::new();
    let mut keys: Vec<&Key> = at.keys().filter(|k| k.5 == "R").collect();
    keys.sort_unstable();
    for &(c, a, y, sx, ag, _) in keys {
        let (Some(r), Some(u), Some((base, gaps))) = (at.get(&(c, a, y, sx, ag, "R")), at.get(&(c, a, y, sx, ag, "U")), bases.get(c)) else { continue };
        let un = unit_of.get(c).copied().unwrap_or(base.unit.as_str());
        let (difference, ci, _, _, method) = compare_rates(*r, *u, base.factor, un);
        let method = match method {
            "newcombe+katz" => "newcombe",
            "mover_poisson+log_rate_ratio" => "mover_poisson",
            _ => "none",
        };
        let small = r.num < small_count || u.num < small_count;
        for g in gaps {
            out.push((g, a, y, sx, ag, un, difference, ci, method, small));
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    let n = out.len();
    let strs = |f: for<'r> fn(&'r Row<'_>) -> &'r str| -> Vec<&str> { out.iter().map(f).collect() };
    let mut cols = Vec::with_capacity(df.width());
    for c in df.columns() {
        let name = c.name().clone();
        let col = match name.as_str() {
            "indicator" => Column::new(name, strs(|r| r.0)),
            "area" => Column::new(name, strs(|r| r.1)),
            "year" => Column::new(name, out.iter().map(|r| r.2).collect::<Vec<i32>>()),
            "sex" => Column::new(name, strs(|r| r.3)),
            "age" => Column::new(name, strs(|r| r.4)),
            "residence" => Column::new(name, vec!["_T"; n]),
            "unit" => Column::new(name, strs(|r| r.5)),
            "value" => Column::new(name, out.iter().map(|r| Some(r.6)).collect::<Vec<_>>()),
            "ci_low" => Column::new(name, out.iter().map(|r| r.7.map(|x| x.0)).collect::<Vec<_>>()),
            "ci_high" => Column::new(name, out.iter().map(|r| r.7.map(|x| x.1)).collect::<Vec<_>>()),
            "ci_method" => Column::new(name, out.iter().map(|r| r.7.map(|_| r.8)).collect::<Vec<_>>()),
            "small_count" => Column::new(name, out.iter().map(|r| Some(r.9)).collect::<Vec<_>>()),
            "obs_status" => Column::new(name, vec!["A"; n]),
            _ => Column::full_null(name, n, c.dtype()),
        };
        cols.push(col.cast(c.dtype())?);
    }
    Ok(Some(DataFrame::new_infer_height(cols)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::testing::{cfg, COUNTY};

    /// C02 (infant deaths per 1,000 live births) by residence in one year:
    /// rural 10 / 1000, urban 5 / 1000.
    #[test]
    fn the_gap_is_rural_minus_urban_of_the_summed_counts() {
        let cfg = cfg();
        assert_eq!(cfg.catalogue.indicator("C02G").and_then(|i| i.gap_of.as_deref()), Some("C02"));
        let df = DataFrame::new_infer_height(vec![
            Column::new("indicator".into(), vec!["C02", "C02", "C02"]),
            Column::new("area".into(), vec![COUNTY; 3]),
            Column::new("year".into(), vec![2024i32; 3]),
            Column::new("sex".into(), vec!["_T"; 3]),
            Column::new("age".into(), vec!["Y_LT1"; 3]),
            Column::new("residence".into(), vec!["R", "U", "_T"]),
            Column::new("value".into(), vec![Some(10.0), Some(5.0), Some(7.5)]),
            Column::new("numerator".into(), vec![Some(10.0), Some(5.0), Some(15.0)]),
            Column::new("denominator".into(), vec![Some(1000.0), Some(1000.0), Some(2000.0)]),
            Column::new("unit".into(), vec!["‰"; 3]),
            Column::new("ci_low".into(), vec![None::<f64>; 3]),
            Column::new("ci_high".into(), vec![None::<f64>; 3]),
            Column::new("ci_method".into(), vec![None::<&str>; 3]),
            Column::new("small_count".into(), vec![Some(true); 3]),
            Column::new("obs_status".into(), vec!["A"; 3]),
            Column::new("numerator_areas".into(), vec![Some(1u32); 3]),
        ])
        .unwrap();
        let g = rows(&df, &cfg).unwrap().unwrap();
        assert_eq!(g.height(), 1);
        assert_eq!(g.get_column_names(), df.get_column_names());
        let v = |c: &str| g.column(c).unwrap().f64().unwrap().get(0);
        assert_eq!(g.column("indicator").unwrap().str().unwrap().get(0), Some("C02G"));
        assert_eq!(g.column("residence").unwrap().str().unwrap().get(0), Some("_T"));
        assert!((v("value").unwrap() - 5.0).abs() < 1e-12);
        // The MOVER limits of stats::poisson_difference (5/1000 − 10/1000: −14.044, 3.459 ‰), sides swapped.
        assert!((v("ci_low").unwrap() - -3.459).abs() < 5e-3 && (v("ci_high").unwrap() - 14.044).abs() < 5e-3, "{g}");
        assert_eq!(g.column("ci_method").unwrap().str().unwrap().get(0), Some("mover_poisson"));
        assert_eq!(g.column("small_count").unwrap().bool().unwrap().get(0), Some(true));
        assert_eq!(g.column("numerator").unwrap().f64().unwrap().get(0), None);
    }
}
