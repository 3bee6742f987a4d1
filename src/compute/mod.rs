//! Polars: aggregate counts up the area hierarchy, then derive every
//! indicator as numerator / denominator × factor at every level.
//!
//! Rates are never averaged: a county's rate is the ratio of the county's
//! summed counts, which are the sums of its towns' counts.

pub mod frames;
pub mod stats;

use polars::prelude::*;

use crate::config::catalogue::Term;
use crate::config::{Config, Indicator};

/// Small-count threshold: a rate whose numerator is below this is flagged.
pub const SMALL_COUNT: f64 = 20.0;

const DIMS: [&str; 3] = ["sex", "age", "residence"];
const JOIN_KEY: [&str; 5] = ["area", "year", "sex", "age", "residence"];

fn cols(names: &[&str]) -> Vec<Expr> {
    names.iter().map(|n| col(*n)).collect()
}

fn str_frame(name: &str, values: Vec<String>) -> PolarsResult<LazyFrame> {
    Ok(DataFrame::new_infer_height(vec![Column::new(name.into(), values)])?.lazy())
}

/// Reported values plus aggregates for every ancestor area that has no
/// reported value of its own for the same key. Aggregates are `derived`,
/// carry `n_sources` (how many lower-level values were summed) and no source cell.
pub fn aggregate(values: &DataFrame, cfg: &Config) -> PolarsResult<DataFrame> {
    with_aggregates(values, ancestor_sums(values, cfg)?, cfg)
}

/// [`aggregate`] for one part of a run split by area subtree (`values` holds no
/// row of a root area): the part's values with the aggregates of its own areas,
/// and its partial sums for the roots (`data_element`, `area`, `year`, `sex`,
/// `age`, `residence`, `value`, `n_sources`), which [`aggregate_top`] adds up.
pub fn aggregate_part(values: &DataFrame, cfg: &Config, roots: &AreaSet) -> PolarsResult<(DataFrame, DataFrame)> {
    let sums = ancestor_sums(values, cfg)?.collect()?;
    let (own, to_roots) = split_by_area(sums, roots)?;
    Ok((with_aggregates(values, own.lazy(), cfg)?, to_roots))
}

/// The roots' values: those reported for a root itself, plus the sums of every
/// part's partial sums (see [`aggregate_part`]) where the root reports none.
/// The same rows as [`aggregate`] gives the roots in one pass.
pub fn aggregate_top(root_values: &DataFrame, partial_sums: Vec<DataFrame>, cfg: &Config) -> PolarsResult<DataFrame> {
    let Some(sums) = stack(partial_sums)? else {
        return Ok(root_values.clone());
    };
    let sums = sums
        .lazy()
        .group_by(cols(&frames::KEY))
        .agg([col("value").sum().alias("value"), col("n_sources").sum().cast(DataType::UInt32).alias("n_sources")]);
    with_aggregates(root_values, sums, cfg)
}

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
    let outside = !&inside;
    Ok((df.filter(&outside)?, df.filter(&inside)?))
}

/// Every additive value summed into each of its area's ancestors:
/// `data_element`, `area` (the ancestor), `year`, `sex`, `age`, `residence`, `value`, `n_sources`.
fn ancestor_sums(values: &DataFrame, cfg: &Config) -> PolarsResult<LazyFrame> {
    let additive: Vec<String> =
        cfg.catalogue.data_elements.iter().filter(|d| d.kind.additive()).map(|d| d.code.clone()).collect();
    let anc = frames::ancestors(&cfg.areas)?.lazy();
    Ok(values
        .clone()
        .lazy()
        .filter(col("value").is_not_null())
        .join(str_frame("data_element", additive)?, [col("data_element")], [col("data_element")], JoinArgs::new(JoinType::Inner))
        .join(anc, [col("area")], [col("area")], JoinArgs::new(JoinType::Inner))
        .group_by(cols(&["data_element", "ancestor", "year", "sex", "age", "residence"]))
        .agg([col("value").sum().alias("value"), col("value").count().cast(DataType::UInt32).alias("n_sources")])
        .rename(["ancestor"], ["area"], true))
}

/// `values` with the ancestor sums as aggregate rows, except where `values` has a
/// reported value for the same key.
fn with_aggregates(values: &DataFrame, sums: LazyFrame, cfg: &Config) -> PolarsResult<DataFrame> {
    // Only areas with areas below them get aggregates: the reported keys that can
    // match one are those of such areas (a few county rows, not every town's).
    let mut parents: Vec<String> = cfg.areas.list.iter().flat_map(|a| a.ancestors.iter().cloned()).collect();
    parents.sort_unstable();
    parents.dedup();
    let reported_keys = values
        .clone()
        .lazy()
        .select(cols(&frames::KEY))
        .join(str_frame("area", parents)?, [col("area")], [col("area")], JoinArgs::new(JoinType::Inner))
        .unique(None, UniqueKeepStrategy::First)
        .with_column(lit(true).alias("_reported"));
    let agg = sums
        .join(reported_keys, cols(&frames::KEY), cols(&frames::KEY), JoinArgs::new(JoinType::Left))
        .filter(col("_reported").is_null())
        .select([
            col("data_element"),
            col("area"),
            col("year"),
            col("sex"),
            col("age"),
            col("residence"),
            col("value"),
            lit("A").alias("obs_status"),
            lit(true).alias("derived"),
            lit(NULL).cast(DataType::String).alias("form"),
            lit(NULL).cast(DataType::String).alias("source_file"),
            lit(NULL).cast(DataType::String).alias("source_sheet"),
            lit(NULL).cast(DataType::String).alias("source_cell"),
            lit(NULL).cast(DataType::String).alias("source_sha256"),
            lit(NULL).cast(DataType::String).alias("submission"),
            lit(NULL).cast(DataType::String).alias("flags"),
            col("n_sources"),
        ])
        .collect()?;
    // Not sorted here: publishing sorts each table once, with the area names joined.
    let mut all = values.clone();
    all.vstack_mut(&agg)?;
    Ok(all)
}

fn pins(term: &Term) -> [Option<&String>; 3] {
    [term.sex.as_ref(), term.age.as_ref(), term.residence.as_ref()]
}

/// The values of each data element, sliced once from the sorted frame (so each
/// indicator reads only its own data elements, not the whole table).
struct ByElement {
    frames: std::collections::HashMap<String, DataFrame>,
    empty: DataFrame,
    /// area -> each of its ancestors.
    ancestors: LazyFrame,
}

impl ByElement {
    fn new(all_values: &DataFrame, cfg: &Config) -> PolarsResult<ByElement> {
        let slim = all_values
            .clone()
            .lazy()
            .filter(col("value").is_not_null())
            .select([
                col("data_element"),
                col("area"),
                col("year"),
                col("sex"),
                col("age"),
                col("residence"),
                col("value"),
                col("n_sources").cast(DataType::UInt32).fill_null(lit(1u32)).alias("n_sources"),
                // Reported in a return (not summed up the hierarchy by wcmon).
                col("n_sources").is_null().alias("_reported"),
            ])
            .collect()?;
        // Row numbers of each data element in one pass, then each element's rows
        // gathered on its own (in parallel; no sort of the whole table).
        let mut slim = slim;
        slim.rechunk_mut_par();
        let mut rows: rustc_hash::FxHashMap<&str, Vec<IdxSize>> = rustc_hash::FxHashMap::default();
        let de = slim.column("data_element")?.str()?;
        for (i, code) in de.iter().enumerate() {
            if let Some(code) = code {
                rows.entry(code).or_default().push(i as IdxSize);
            }
        }
        use rayon::prelude::*;
        let frames: std::collections::HashMap<String, DataFrame> = rows
            .into_par_iter()
            .map(|(code, idx)| Ok((code.to_string(), slim.take(&IdxCa::from_vec("idx".into(), idx))?)))
            .collect::<PolarsResult<_>>()?;
        Ok(ByElement { frames, empty: slim.clear(), ancestors: frames::ancestors(&cfg.areas)?.lazy() })
    }

    fn get(&self, code: &str) -> LazyFrame {
        self.frames.get(code).unwrap_or(&self.empty).clone().lazy()
    }
}

/// One side of a ratio: terms summed by key, with dims pinned on either side set to "*".
/// `reported_only`: only values as reported in returns, not wcmon's aggregates.
fn side(values: &ByElement, terms: &[Term], other: &[Term], name: &str, reported_only: bool) -> LazyFrame {
    let own = pins(&terms[0]);
    let oth = pins(&other[0]);
    let parts: Vec<LazyFrame> = terms
        .iter()
        .map(|t| {
            let mut lf = values.get(&t.data_element);
            if reported_only {
                lf = lf.filter(col("_reported"));
            }
            for (i, d) in DIMS.iter().enumerate() {
                let p = pins(t)[i];
                if let Some(v) = p {
                    lf = lf.filter(col(*d).eq(lit(v.clone())));
                } else if oth[i].is_some() {
                    // Pinned only on the other side: this side is taken at its total.
                    lf = lf.filter(col(*d).eq(lit("_T")));
                }
                if own[i].is_some() || oth[i].is_some() {
                    lf = lf.with_column(lit("*").alias(*d));
                }
            }
            lf.select([col("area"), col("year"), col("sex"), col("age"), col("residence"), col("value"), col("n_sources")])
        })
        .collect();
    let n = parts.len() as u32;
    concat(parts, UnionArgs::default())
        .unwrap_or_else(|_| values.empty.clone().lazy().select([col("area"), col("year"), col("sex"), col("age"), col("residence"), col("value"), col("n_sources")]))
        .group_by(cols(&JOIN_KEY))
        .agg([col("value").sum().alias(name), col("value").count().alias("_terms"), col("n_sources").sum().alias(format!("{name}_areas"))])
        // Every term must be present for a sum of terms to be complete.
        .filter(col("_terms").eq(lit(n)))
        .select([col("area"), col("year"), col("sex"), col("age"), col("residence"), col(name), col(format!("{name}_areas")).cast(DataType::UInt32)])
}

/// Output value of a dimension pinned somewhere in the formula.
fn out_dim(ind: &Indicator, i: usize) -> Option<String> {
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

/// Numerator and denominator of a ratio at every area, each aggregate summed over the
/// same areas on both sides: the reported (area, numerator, denominator) pairs are
/// summed up the hierarchy, so a town that reports only one of the two counts in
/// neither. An area with its own reported pair keeps it. Where no pairs exist (e.g.
/// the numerator comes from towns and the denominator only from the county), the
/// two sides' separate aggregates are used, and `numerator_areas` /
/// `denominator_areas` show the difference in coverage.
fn ratio(values: &ByElement, ind: &Indicator, scope: &Scope) -> PolarsResult<(LazyFrame, Option<DataFrame>)> {
    let keys = cols(&JOIN_KEY);
    let out = |lf: LazyFrame| {
        lf.select([
            col("area"),
            col("year"),
            col("sex"),
            col("age"),
            col("residence"),
            col("numerator").cast(DataType::Float64),
            col("denominator").cast(DataType::Float64),
            col("numerator_areas").cast(DataType::UInt32),
            col("denominator_areas").cast(DataType::UInt32),
        ])
    };
    let inner = JoinArgs::new(JoinType::Inner);
    let left = JoinArgs::new(JoinType::Left);
    // Materialised once: without common-subplan elimination (Polars' `cse` feature) a
    // lazy frame used in three places would be computed three times.
    let pairs = side(values, &ind.numerator, &ind.denominator, "numerator", true)
        .join(side(values, &ind.denominator, &ind.numerator, "denominator", true), keys.clone(), keys.clone(), inner.clone())
        .collect()?
        .lazy();
    let flagged = |lf: LazyFrame, flag: &str| lf.select(keys.clone()).with_column(lit(true).alias(flag));
    let sum_pairs = |lf: LazyFrame, area: &str| {
        lf.group_by(cols(&[area, "year", "sex", "age", "residence"])).agg([
            col("numerator").sum().alias("numerator"),
            col("denominator").sum().alias("denominator"),
            col("numerator_areas").sum().cast(DataType::UInt32).alias("numerator_areas"),
        ])
    };
    let sums = sum_pairs(
        pairs.clone().join(values.ancestors.clone(), [col("area")], [col("area")], inner.clone()).with_column(lit(1u32).alias("numerator_areas")),
        "ancestor",
    )
    .rename(["ancestor"], ["area"], true);
    // A split run: each part keeps its sums for the roots apart; the top adds them up.
    let (sums, to_roots) = match scope {
        Scope::Whole => (sums, None),
        Scope::Part { roots } => {
            let (own, to_roots) = split_by_area(sums.collect()?, roots)?;
            (own.lazy(), Some(to_roots))
        }
        Scope::Top { pair_sums } => match pair_sums.get(&ind.code) {
            Some(parts) => (concat([sums, sum_pairs(parts.clone().lazy(), "area")], UnionArgs::default())?, None),
            None => (sums, None),
        },
    };
    let summed = sums
        .with_column(col("numerator_areas").alias("denominator_areas"))
        .join(flagged(pairs.clone(), "_has"), keys.clone(), keys.clone(), left.clone())
        .filter(col("_has").is_null());
    let paired = concat([out(pairs), out(summed)], UnionArgs::default())?.collect()?.lazy();
    let separate = side(values, &ind.numerator, &ind.denominator, "numerator", false)
        .join(side(values, &ind.denominator, &ind.numerator, "denominator", false), keys.clone(), keys.clone(), inner)
        .join(flagged(paired.clone(), "_paired"), keys.clone(), keys.clone(), left)
        .filter(col("_paired").is_null());
    Ok((concat([paired, out(separate)], UnionArgs::default())?, to_roots))
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

fn one_indicator(values: &ByElement, ind: &Indicator, scope: &Scope) -> PolarsResult<(DataFrame, Option<DataFrame>)> {
    let mut to_roots = None;
    let mut lf = if let Some(t) = &ind.value {
        let terms = std::slice::from_ref(t);
        side(values, terms, terms, "value", false).with_columns([
            lit(NULL).cast(DataType::Float64).alias("numerator"),
            lit(NULL).cast(DataType::Float64).alias("denominator"),
            lit(NULL).cast(DataType::UInt32).alias("numerator_areas"),
            lit(NULL).cast(DataType::UInt32).alias("denominator_areas"),
        ])
    } else {
        let (lf, sums) = ratio(values, ind, scope)?;
        to_roots = sums;
        lf.with_column(
            when(col("denominator").gt(lit(0.0)))
                .then(col("numerator") / col("denominator") * lit(ind.factor))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("value"),
        )
    };
    for (i, d) in DIMS.iter().enumerate() {
        if let Some(v) = out_dim(ind, i) {
            lf = lf.with_column(lit(v).alias(*d));
        }
    }
    lf.select([
        lit(ind.code.clone()).alias("indicator"),
        col("area"),
        col("year"),
        col("sex"),
        col("age"),
        col("residence"),
        col("value"),
        col("numerator"),
        col("denominator"),
        col("numerator_areas").cast(DataType::UInt32),
        col("denominator_areas").cast(DataType::UInt32),
        lit(ind.unit.clone()).alias("unit"),
    ])
    .collect()
    .map(|df| (df, to_roots))
}

/// Every catalogue indicator for every area, year, sex and age the data allow.
pub fn indicators(all_values: &DataFrame, cfg: &Config) -> PolarsResult<DataFrame> {
    indicators_in(all_values, cfg, &Scope::Whole).map(|(df, _)| df)
}

/// The indicators of the areas of `scope`, and (for a part) each ratio
/// indicator's paired sums for the roots.
pub fn indicators_in(all_values: &DataFrame, cfg: &Config, scope: &Scope) -> PolarsResult<(DataFrame, Vec<(String, DataFrame)>)> {
    let t = std::time::Instant::now();
    let values = ByElement::new(all_values, cfg)?;
    // The indicators are independent: computed in parallel, stacked in catalogue order.
    use rayon::prelude::*;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "indicators: values by element");
    let parts: Vec<(DataFrame, Option<DataFrame>)> = cfg
        .catalogue
        .indicators
        .par_iter()
        .map(|ind| {
            let t = std::time::Instant::now();
            let df = one_indicator(&values, ind, scope);
            tracing::trace!(indicator = %ind.code, ms = t.elapsed().as_millis() as u64, "indicator computed");
            df
        })
        .collect::<PolarsResult<_>>()?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "indicators: computed");
    let mut pair_sums = Vec::new();
    let mut dfs = Vec::with_capacity(parts.len());
    for (ind, (df, sums)) in cfg.catalogue.indicators.iter().zip(parts) {
        dfs.push(df);
        if let Some(s) = sums.filter(|s| s.height() > 0) {
            pair_sums.push((ind.code.clone(), s));
        }
    }
    let Some(df) = stack(dfs)? else {
        return Ok((DataFrame::empty(), pair_sums));
    };
    // Uncertainty of each rate from its counts.
    let t = std::time::Instant::now();
    let by_code: rustc_hash::FxHashMap<&str, (f64, bool)> =
        cfg.catalogue.indicators.iter().map(|i| (i.code.as_str(), (i.factor, i.unit == "%"))).collect();
    let codes: Vec<Option<&str>> = df.column("indicator")?.str()?.iter().collect();
    let num: Vec<Option<f64>> = df.column("numerator")?.f64()?.iter().collect();
    let den: Vec<Option<f64>> = df.column("denominator")?.f64()?.iter().collect();
    let val: Vec<Option<f64>> = df.column("value")?.f64()?.iter().collect();
    let small_count = cfg.rules.progress.small_count;
    // The exact Poisson limits depend on the count alone: computed once per distinct count (and remembered for the run, for the next part of a split run).
    let mut counts: Vec<u64> = num.iter().flatten().filter(|x| **x >= 0.0 && x.fract() == 0.0 && **x < 1e15).map(|x| *x as u64).collect();
    counts.sort_unstable();
    counts.dedup();
    let poisson: rustc_hash::FxHashMap<u64, Option<(f64, f64)>> =
        counts.par_iter().map(|&x| (x, stats::poisson_exact_cached(x as f64, 0.95))).collect();
    type Ci = (Option<f64>, Option<f64>, Option<&'static str>, Option<bool>, &'static str);
    let rows: Vec<Ci> = (0..df.height())
        .into_par_iter()
        .map(|i| {
            let (x, n) = (num[i], den[i]);
            let (f, percent) = codes[i].and_then(|c| by_code.get(c).copied()).unwrap_or((1.0, false));
            let ci = match (x, n) {
                (Some(x), Some(n)) if n > 0.0 && x >= 0.0 && x.fract() == 0.0 => {
                    if percent && x <= n && n.fract() == 0.0 {
                        stats::wilson(x, n, stats::Z95).map(|(l, h)| (l * f, h * f, "wilson"))
                    } else {
                        let limits = poisson.get(&(x as u64)).copied().unwrap_or_else(|| stats::poisson_exact(x, 0.95));
                        limits.map(|(l, h)| (l / n * f, h / n * f, "poisson_exact"))
                    }
                }
                _ => None,
            };
            (ci.map(|c| c.0), ci.map(|c| c.1), ci.map(|c| c.2), x.map(|x| x < small_count), if val[i].is_some() { "A" } else { "M" })
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
    // A fixed order (the Polars plans' group-bys give none): by integer ranks, which is
    // Polars' own order for these never-null keys without comparing strings per row.
    Ok((frames::sort_by_ranks(df, &["year", "indicator", "area", "sex", "age", "residence"])?, pair_sums))
}
