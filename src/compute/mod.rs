//! Aggregate counts up the area hierarchy ([`aggregate`]), then derive every
//! indicator as numerator / denominator × factor at every level ([`ratios`]),
//! both in plain Rust over integer-coded keys; Polars holds the frames.
//!
//! Rates are never averaged: a county's rate is the ratio of the county's
//! summed counts, which are the sums of its towns' counts.

mod aggregate;
pub mod frames;
pub mod gap_series;
pub mod gaps;
pub mod ratios;
pub mod stats;
pub mod unpaired;

use polars::prelude::*;

use crate::config::Config;

pub use aggregate::{aggregate, aggregate_part, aggregate_top};

pub use crate::config::SMALL_COUNT;

/// Frames stacked in order (None for none).
pub fn stack(frames: Vec<DataFrame>) -> PolarsResult<Option<DataFrame>> {
    let mut out: Option<DataFrame> = None;
    for df in frames {
        match &mut out {
            None => out = Some(df),
            Some(o) => {
                o.vstack_mut(&df)?;
            }
        }
    }
    Ok(out)
}

/// A set of area codes (the roots of the hierarchy, for a split run).
pub type AreaSet = rustc_hash::FxHashSet<String>;

/// A copy of a frame whose string columns own their bytes. Rows filtered from a
/// large frame keep views into its string buffers, so the few rows a part hands
/// up would otherwise keep the whole part's strings alive.
pub fn owned_strings(df: DataFrame) -> PolarsResult<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::String => Ok(Column::new(c.name().clone(), c.str()?.iter().collect::<Vec<Option<&str>>>())),
            _ => Ok(c.clone()),
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new_infer_height(columns)
}

/// Rows whose `area` is not in `set`, and those whose area is.
pub fn split_by_area(df: DataFrame, set: &AreaSet) -> PolarsResult<(DataFrame, DataFrame)> {
    let inside: BooleanChunked = df.column("area")?.str()?.iter().map(|a| Some(a.is_some_and(|a| set.contains(a)))).collect();
    // Most often no row (or every row) is at a root: no copy of the frame then.
    match inside.sum().unwrap_or(0) as usize {
        0 => {
            let none = df.clear();
            return Ok((df, none));
        }
        n if n == df.height() => return Ok((df.clear(), df)),
        _ => {}
    }
    let outside = !&inside;
    Ok((df.filter(&outside)?, df.filter(&inside)?))
}

/// Which areas an indicator pass computes.
pub enum Scope<'a> {
    /// Every area (one pass over the whole run).
    Whole,
    /// One part of a run split by area subtree: every area but the roots, whose
    /// paired sums are handed up.
    Part { roots: &'a AreaSet },
    /// The roots, from their own values and the parts' paired sums (indicator -> rows).
    Top { pair_sums: &'a std::collections::HashMap<String, DataFrame> },
}

/// Every catalogue indicator for every area, year, sex and age the data allow.
pub fn indicators(all_values: &DataFrame, cfg: &Config) -> PolarsResult<DataFrame> {
    indicators_in(all_values, cfg, &Scope::Whole).map(|(df, _, _)| df)
}

/// The indicators of the areas of `scope`, (for a part) each ratio indicator's
/// paired sums for the roots, and the numerators left out of every aggregate.
pub fn indicators_in(all_values: &DataFrame, cfg: &Config, scope: &Scope) -> PolarsResult<ratios::Pass> {
    let t = std::time::Instant::now();
    let values = ratios::Values::new(all_values, cfg, scope)?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "indicators: values by element");
    if cfg.catalogue.indicators.is_empty() {
        return Ok((DataFrame::empty(), Vec::new(), Vec::new()));
    }
    let (df, pair_sums, lost) = ratios::all(&values, cfg, scope)?;
    drop(values);
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "indicators: computed");
    // Uncertainty of each rate from its counts.
    use rayon::prelude::*;
    let t = std::time::Instant::now();
    // (factor, a %, counts events): a stock numerator (members, places, pupils) is an exact count,
    // never a small count to pool, and only a share of it (a %) gets an interval, the binomial one.
    let by_code: rustc_hash::FxHashMap<&str, (f64, bool, bool, bool)> = cfg
        .catalogue
        .indicators
        .iter()
        .map(|i| (i.code.as_str(), (i.factor, i.unit == "%", cfg.catalogue.counts_events(i), sex_ratio_of_one_count(i))))
        .collect();
    let codes: Vec<Option<&str>> = df.column("indicator")?.str()?.iter().collect();
    let num: Vec<Option<f64>> = df.column("numerator")?.f64()?.iter().collect();
    let den: Vec<Option<f64>> = df.column("denominator")?.f64()?.iter().collect();
    let val: Vec<Option<f64>> = df.column("value")?.f64()?.iter().collect();
    let small_count = cfg.rules.progress.small_count;
    // The exact Poisson limits depend on the count alone: computed once per distinct count (and remembered for the run, for the next part of a split run).
    let mut counts: Vec<u64> = num.iter().flatten().filter(|x| **x >= 0.0 && x.fract() == 0.0 && **x < 1e15).map(|x| *x as u64).collect();
    counts.sort_unstable();
    counts.dedup();
    let poisson: rustc_hash::FxHashMap<u64, Option<(f64, f64)>> = counts.par_iter().map(|&x| (x, stats::poisson_exact_cached(x as f64, 0.95))).collect();
    type Ci = (Option<f64>, Option<f64>, Option<&'static str>, Option<bool>, &'static str);
    let rows: Vec<Ci> = (0..df.height())
        .into_par_iter()
        .map(|i| {
            let (x, n) = (num[i], den[i]);
            let (f, percent, events, sex_ratio) = codes[i].and_then(|c| by_code.get(c).copied()).unwrap_or((1.0, false, true, false));
            let ci = match (x, n) {
                (Some(x), Some(n)) if n > 0.0 && x >= 0.0 && x.fract() == 0.0 => {
                    if sex_ratio && n.fract() == 0.0 {
                        // M/F of one count (the sex ratio at birth): neither count is fixed; the
                        // interval is the binomial one of the male share x/(x + n), as odds.
                        stats::count_ratio(x, n, stats::Z95).map(|(_, l, h)| (l * f, h * f, "wilson_binomial_ratio"))
                    } else if percent && x <= n && n.fract() == 0.0 {
                        stats::wilson(x, n, stats::Z95).map(|(l, h)| (l * f, h * f, "wilson"))
                    } else if !events {
                        None
                    } else {
                        let limits = poisson.get(&(x as u64)).copied().unwrap_or_else(|| stats::poisson_exact(x, 0.95));
                        limits.map(|(l, h)| (l / n * f, h / n * f, "poisson_exact"))
                    }
                }
                _ => None,
            };
            (ci.map(|c| c.0), ci.map(|c| c.1), ci.map(|c| c.2), x.map(|x| events && x < small_count), if val[i].is_some() { "A" } else { "M" })
        })
        .collect();
    drop((codes, num, den, val));
    let mut df = df;
    let lo: Vec<Option<f64>> = rows.iter().map(|r| r.0).collect();
    let hi: Vec<Option<f64>> = rows.iter().map(|r| r.1).collect();
    let method: Vec<Option<&str>> = rows.iter().map(|r| r.2).collect();
    let small: Vec<Option<bool>> = rows.iter().map(|r| r.3).collect();
    let status: Vec<&str> = rows.iter().map(|r| r.4).collect();
    tracing::debug!(ms = t.elapsed().as_millis() as u64, distinct_counts = poisson.len(), "indicators: uncertainty");
    df.with_column(Column::new("ci_low".into(), lo))?;
    df.with_column(Column::new("ci_high".into(), hi))?;
    df.with_column(Column::new("ci_method".into(), method))?;
    df.with_column(Column::new("small_count".into(), small))?;
    df.with_column(Column::new("obs_status".into(), status))?;
    // The gap indicators (W04, C01G…): rural − urban of their base indicator's rates.
    if let Some(g) = gap_series::rows(&df, cfg)? {
        df.vstack_mut(&g)?;
    }
    // A fixed order (the Polars plans' group-bys give none): by integer ranks, which is
    // Polars' own order for these never-null keys without comparing strings per row.
    Ok((frames::sort_by_ranks(df, &["year", "indicator", "area", "sex", "age", "residence"])?, pair_sums, lost))
}

/// A ratio of one count's men to its women (or the reverse), such as the sex ratio
/// at birth (live births M / live births F × 100).
pub fn sex_ratio_of_one_count(ind: &crate::config::Indicator) -> bool {
    match (ind.numerator.as_slice(), ind.denominator.as_slice()) {
        ([n], [d]) => {
            let sexes = (n.sex.as_deref(), d.sex.as_deref());
            n.data_element == d.data_element && n.age == d.age && n.residence == d.residence && matches!(sexes, (Some("M"), Some("F")) | (Some("F"), Some("M")))
        }
        _ => false,
    }
}

/// The bundled county and two of its towns, for the unit tests of the aggregation and the indicators.
#[cfg(test)]
pub(crate) mod testing {
    use crate::config::Config;

    pub const COUNTY: &str = "421321";
    pub const TOWN_A: &str = "421321100";
    pub const TOWN_B: &str = "421321101";

    /// The bundled pipeline files (areas, catalogue).
    pub fn cfg() -> Config {
        Config::load(std::path::Path::new("pipelines")).unwrap()
    }
}
