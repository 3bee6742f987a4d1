//! Progress towards the 2025 and 2030 targets (`progress.parquet`), and the
//! 3-year pooled rates published beside small-count values.
//!
//! The method (ESCAP progress ratio, AARR, time-weighted projection,
//! warnings, the Mann–Kendall trend) is in [`method`]; this module picks the
//! series out of `indicator_values` (`series`), has each series assessed by its
//! target kind's evaluator (`targets`: one file per kind), and writes one row
//! per indicator × area × sex × age × target year (`rows`).

pub mod method;
mod rows;
mod series;
mod targets;

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::config::Config;
pub use crate::config::ProgressSettings;
use method::Params;
use rows::ProgressRow;
use series::{add_pooled_to, series, Series};
use targets::{Cx, One};

/// Add the pooled 3-year rate beside every small-count value of a ratio indicator.
pub fn add_pooled(ind: DataFrame, cfg: &Config) -> PolarsResult<DataFrame> {
    let s = series(&ind)?;
    add_pooled_to(&ind, &s, cfg)
}

/// The pooled rates and then progress, from one reading of the indicator series
/// (building the series was about two thirds of both steps' time).
pub fn pooled_and_progress_until(
    ind: DataFrame,
    cfg: &Config,
    last_data_year: Option<i32>,
    roots: bool,
) -> PolarsResult<(DataFrame, (DataFrame, ProgressSummary))> {
    let s = series(&ind)?;
    let pooled = add_pooled_to(&ind, &s, cfg)?;
    let last_data_year = match last_data_year {
        Some(y) => y,
        None => latest_year(&ind)?,
    };
    // `pooled` has `ind`'s rows in the same order, so the series' row numbers hold for it.
    let progress = progress_of(&pooled, &s, cfg, last_data_year, roots)?;
    Ok((pooled, progress))
}

/// Counts printed at the end of a run.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ProgressSummary {
    pub rows: usize,
    /// County level, latest target year with a target: status -> indicators.
    pub county_status: BTreeMap<String, usize>,
    /// County level: warning code -> rows.
    pub county_warnings: BTreeMap<String, usize>,
    /// County level: status -> rows with at least one warning.
    pub county_warned_by_status: BTreeMap<String, usize>,
}

impl ProgressSummary {
    /// Add another part's counts (a run split by area subtree).
    pub fn add(&mut self, other: ProgressSummary) {
        self.rows += other.rows;
        for (mine, theirs) in [
            (&mut self.county_status, other.county_status),
            (&mut self.county_warnings, other.county_warnings),
            (&mut self.county_warned_by_status, other.county_warned_by_status),
        ] {
            for (k, v) in theirs {
                *mine.entry(k).or_default() += v;
            }
        }
    }
}

/// One row per indicator with a target × area × sex × age × target year.
pub fn progress(ind: &DataFrame, cfg: &Config) -> PolarsResult<(DataFrame, ProgressSummary)> {
    progress_until(ind, cfg, latest_year(ind)?, true)
}

fn latest_year(ind: &DataFrame) -> PolarsResult<i32> {
    Ok(if ind.height() > 0 { ind.column("year")?.i32()?.max().unwrap_or(0) } else { 0 })
}

/// [`progress`] with the latest year of data given (a run split by area subtree
/// assesses each part against the whole run's latest year). `roots`: whether
/// `ind` is where the roots' rows are (then a target indicator with no value at a
/// root gets a row saying so); a part of a split run has none of them.
pub fn progress_until(ind: &DataFrame, cfg: &Config, last_data_year: i32, roots: bool) -> PolarsResult<(DataFrame, ProgressSummary)> {
    let s = series(ind)?;
    progress_of(ind, &s, cfg, last_data_year, roots)
}

/// [`progress_until`] with the series already read (from `ind` or a frame with its rows in the same order).
fn progress_of(ind: &DataFrame, all_series: &Series<'_>, cfg: &Config, last_data_year: i32, with_roots: bool) -> PolarsResult<(DataFrame, ProgressSummary)> {
    let s = &cfg.rules.progress;
    let p = Params {
        on_track: s.on_track,
        needs_acceleration: s.needs_acceleration,
        fluctuation_multiple: s.fluctuation_multiple,
        fluctuation_min_relative: s.fluctuation_min_relative,
    };
    let pooled = if ind.column("pooled_value").is_ok() {
        ["pooled_value", "pooled_ci_low", "pooled_ci_high"].map(|c| ind.column(c).and_then(|c| c.f64().cloned()))
    } else {
        std::array::from_fn(|_| Ok(Float64Chunked::full_null("".into(), ind.height())))
    };
    let [pv, plo, phi] = pooled;
    let cx = Cx {
        cfg,
        s,
        p,
        last_data_year,
        last_target_year: *s.target_years.iter().max().unwrap_or(&2030),
        by_key: all_series.iter().map(|(k, v)| (*k, v.as_slice())).collect(),
        pooled: [pv?, plo?, phi?],
    };
    let roots: Vec<String> = cfg.areas.tree_roots().map(|a| a.code.clone()).collect();
    // Each series (residence _T; a women's target on the women's rows, the men's are
    // there for the gap) is assessed by its target kind's evaluator, in parallel.
    let mut rows: Vec<ProgressRow> = {
        use rayon::prelude::*;
        all_series
            .par_iter()
            .flat_map_iter(|((code, area, sex, age, res), rows)| {
                let def = cfg.catalogue.indicator(code).filter(|d| *res == "_T" && d.sex.as_deref().is_none_or(|s| s == *sex));
                def.map(|def| targets::evaluator(&def.target).rows(&One { def, key: (code, area, sex, age), rows }, &cx)).unwrap_or_default()
            })
            .collect()
    };
    // Target indicators with no value at the top area: rows that say so.
    if with_roots {
        let seen: rustc_hash::FxHashSet<(&str, &str)> = rows.iter().map(|r| (r.indicator.as_str(), r.area.as_str())).collect();
        let mut missing = Vec::new();
        for def in &cfg.catalogue.indicators {
            for root in roots.iter().filter(|root| !seen.contains(&(def.code.as_str(), root.as_str()))) {
                missing.extend(targets::evaluator(&def.target).no_data(def, root, &cx));
            }
        }
        rows.extend(missing);
    }
    // County level, the last target year, the indicator's own sex: statuses and warnings.
    let mut summary = ProgressSummary { rows: rows.len(), ..Default::default() };
    for r in &rows {
        let own_sex = cfg.catalogue.indicator(&r.indicator).map(|d| d.sex.as_deref().unwrap_or("_T"));
        if r.target_year != cx.last_target_year || own_sex != Some(r.sex.as_str()) || !roots.contains(&r.area) {
            continue;
        }
        let status = r.status.as_str().to_string();
        for c in &r.warnings {
            *summary.county_warnings.entry(c.to_string()).or_default() += 1;
        }
        if !r.warnings.is_empty() {
            *summary.county_warned_by_status.entry(status.clone()).or_default() += 1;
        }
        *summary.county_status.entry(status).or_default() += 1;
    }
    let df = rows::frame(rows)?;
    let df = crate::compute::frames::sort_by_ranks(df, &["indicator", "area", "sex", "age", "target_year"])?;
    Ok((df, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::testing::{cfg, COUNTY};

    /// Indicator rows of the county (indicator, sex, year, value), as the indicator pass gives them.
    fn frame(rows: &[(&str, &str, i32, f64)]) -> DataFrame {
        let n = rows.len();
        DataFrame::new_infer_height(vec![
            Column::new("indicator".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            Column::new("area".into(), vec![COUNTY; n]),
            Column::new("sex".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            Column::new("age".into(), vec!["_T"; n]),
            Column::new("residence".into(), vec!["_T"; n]),
            Column::new("year".into(), rows.iter().map(|r| r.2).collect::<Vec<i32>>()),
            Column::new("value".into(), rows.iter().map(|r| Some(r.3)).collect::<Vec<_>>()),
            Column::new("numerator".into(), vec![None::<f64>; n]),
            Column::new("denominator".into(), vec![None::<f64>; n]),
            Column::new("ci_low".into(), vec![None::<f64>; n]),
            Column::new("ci_high".into(), vec![None::<f64>; n]),
            Column::new("small_count".into(), vec![Some(false); n]),
            Column::new("unit".into(), vec!["%"; n]),
        ])
        .unwrap()
    }

    /// (status, target_value, latest_value, progress_ratio, method, target_year).
    type Got = (String, Option<f64>, Option<f64>, Option<f64>, String, i32);

    fn row_of(p: &DataFrame, code: &str) -> Vec<Got> {
        let s = |c: &str| p.column(c).unwrap().str().unwrap().clone();
        let f = |c: &str| p.column(c).unwrap().f64().unwrap().clone();
        let (ind, status, method) = (s("indicator"), s("status"), s("method"));
        let (target, latest, ratio) = (f("target_value"), f("latest_value"), f("progress_ratio"));
        let ty = p.column("target_year").unwrap().i32().unwrap().clone();
        (0..p.height())
            .filter(|&i| ind.get(i) == Some(code))
            .map(|i| (status.get(i).unwrap().to_string(), target.get(i), latest.get(i), ratio.get(i), method.get(i).unwrap().to_string(), ty.get(i).unwrap()))
            .collect()
    }

    /// W36 (women among party congress delegates) is not to fall below W35 (women among
    /// party members): the gap W36 − W35 = −5, −4, −3, −2, −1 in 2020–2024 is assessed
    /// against 0 — observed +1 a year, required (0 − (−5)) / (2030 − 2020) = 0.5 a year:
    /// progress ratio 2, on track, not yet achieved; the target is W35's latest value, 29.
    #[test]
    fn a_relational_target_is_the_gap_to_its_reference() {
        let cfg = cfg();
        assert_eq!(cfg.catalogue.indicator("W36").unwrap().target.kind(), crate::config::catalogue::TargetKind::Relational);
        let mut rows: Vec<(&str, &str, i32, f64)> = Vec::new();
        for (k, y) in (2020..=2024).enumerate() {
            rows.push(("W35", "F", y, 25.0 + k as f64));
            rows.push(("W36", "F", y, 20.0 + 2.0 * k as f64));
        }
        let (p, _) = progress(&frame(&rows), &cfg).unwrap();
        let w36 = row_of(&p, "W36");
        assert_eq!(w36.len(), 1, "one row, for 2030: {w36:?}");
        let (status, target, latest, ratio, method, ty) = w36[0].clone();
        assert_eq!((status.as_str(), target, latest, ty), ("on_track", Some(29.0), Some(28.0), 2030));
        assert!((ratio.unwrap() - 2.0).abs() < 1e-9, "{ratio:?}");
        assert_eq!(method, "relational_linear");
        // Delegates above the members' share in 2024: achieved.
        let last = rows.iter_mut().find(|r| r.0 == "W36" && r.2 == 2024).unwrap();
        last.3 = 30.0;
        let (p, _) = progress(&frame(&rows), &cfg).unwrap();
        assert_eq!(row_of(&p, "W36")[0].0, "achieved");
    }

    /// A range target stated without a year (W80, the sex ratio at birth) applies to 2030 only.
    #[test]
    fn a_range_target_stated_once_has_no_2025_row() {
        let cfg = cfg();
        let rows: Vec<(&str, &str, i32, f64)> = (2020..=2024).map(|y| ("W80", "_T", y, 105.0)).collect();
        let (p, _) = progress(&frame(&rows), &cfg).unwrap();
        let years: Vec<i32> = row_of(&p, "W80").iter().map(|r| r.5).collect();
        assert_eq!(years, vec![2030]);
    }
}
