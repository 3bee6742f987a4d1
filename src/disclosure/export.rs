//! `wcmon export --public`: the public copy of the published database.
//!
//! 1. **Primary cells**: a value of a sensitive data element from 1 up to the
//!    threshold (`[disclosure]` in rules.toml), at every area but the top.
//! 2. **Secondary cells**: per data element and year, the pattern of
//!    [`super::solver`] over the relations of [`super::cells`]; the pattern is
//!    checked by the attacker's linear programme, and a table whose check fails
//!    (or whose programme fails) is withheld whole.
//! 3. **What is built on them**: an indicator value whose numerator, denominator
//!    or reported value uses a withheld cell; its pooled (3-year) value when a
//!    pooled year is withheld; a progress row when any value of its series is;
//!    a gap when either group's value is.
//!
//! Withheld cells are `null`, with `obs_status` Q and `conf_status` C (primary)
//! or D (secondary); every other row has `conf_status` F.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::cells::{self, AreaInfo, Areas, Key};
use super::read::{self, Cols};
use super::solver::{self, Protection};
use super::{sensitive_elements, sensitive_indicators, ExportError};
use crate::config::{Config, Term};
use crate::store::publish::{write_table, Table};

/// Where the export reads and writes.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The database (its `current/` version is read, never written).
    pub db: PathBuf,
    /// The public tables (replaced whole).
    pub public: PathBuf,
    /// `suppression.parquet` (internal; replaced).
    pub internal: PathBuf,
}

impl ExportOptions {
    /// `OUT/public` and `OUT/internal`.
    pub fn under(db: PathBuf, out: &Path) -> ExportOptions {
        ExportOptions { db, public: out.join("public"), internal: out.join("internal") }
    }
}

/// What the export did.
#[derive(Debug, Clone, Default)]
pub struct ExportSummary {
    pub version: String,
    pub public: PathBuf,
    pub suppression: PathBuf,
    /// Cells of `data_values`: primary, secondary; tables (element × year) with a
    /// primary cell, and of them those withheld whole.
    pub primary: usize,
    pub secondary: usize,
    pub tables: usize,
    pub tables_withheld: usize,
    /// Rows withheld in the other public tables.
    pub indicator_rows: usize,
    pub pooled_rows: usize,
    pub progress_rows: usize,
    pub gap_rows: usize,
    /// Rows of each public table.
    pub rows: BTreeMap<String, usize>,
}

/// A cell's confidentiality (SDMX CONF_STATUS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Conf {
    /// F: free.
    #[default]
    Free,
    /// D: withheld so that no primary cell can be derived.
    Secondary,
    /// C: confidential.
    Primary,
}

impl Conf {
    pub fn code(self) -> &'static str {
        match self {
            Conf::Free => "F",
            Conf::Secondary => "D",
            Conf::Primary => "C",
        }
    }
}

/// One row of `suppression.parquet`.
#[derive(Debug, Clone, Default)]
struct Withheld {
    table: &'static str,
    data_element: Option<String>,
    indicator: Option<String>,
    area: String,
    year: Option<i32>,
    sex: String,
    age: String,
    residence: Option<String>,
    target_year: Option<i32>,
    dimension: Option<String>,
    group: Option<String>,
    value: Option<f64>,
    conf: Conf,
    rule: &'static str,
}

/// The key of an indicator row: indicator, area, sex, age, residence.
type IndKey = (String, String, String, String, String);

/// Every cell of `data_values` by data element, year and key: its row.
type CellIndex<'a> = FxHashMap<(&'a str, i32, Key), usize>;

/// The cells of each sensitive data element and year: (row, key, value).
type CellsByTable<'a> = BTreeMap<(&'a str, i32), Vec<(usize, Key, f64)>>;

pub fn export_public(cfg: &Config, opts: &ExportOptions) -> Result<ExportSummary, ExportError> {
    let current = opts.db.join("current");
    let manifest_path = current.join("manifest.json");
    if !manifest_path.is_file() {
        return Err(ExportError::NoDatabase { path: opts.db.clone() });
    }
    let tables = std::fs::canonicalize(&current).map_err(|source| ExportError::Io { path: current.clone(), source })?;
    let settings = &cfg.rules.disclosure;
    let protection = Protection { upper: settings.protection, lower: settings.protection };
    let sensitive = sensitive_elements(&cfg.catalogue);
    let sensitive_ind = sensitive_indicators(&cfg.catalogue);
    let mut summary = ExportSummary::default();
    let mut withheld: Vec<Withheld> = Vec::new();

    // Areas, and each area's subtree.
    let areas_path = tables.join("areas.parquet");
    let areas_df = read::parquet(&areas_path)?;
    let c = Cols { df: &areas_df, path: &areas_path };
    let mut areas = Areas::new();
    for ((code, parent), level) in c.strs("area")?.into_iter().zip(c.strs("parent")?).zip(c.strs("level")?) {
        areas.insert(code, AreaInfo { parent: (!parent.is_empty()).then_some(parent), level });
    }
    let subtree = subtrees(&areas);

    // data_values: the cells of sensitive elements, table by table.
    let dv_dir = tables.join("data_values");
    let dv = read::partitioned(&dv_dir)?;
    let c = Cols { df: &dv, path: &dv_dir };
    let (de, area, sex, age, res) = (c.strs("data_element")?, c.strs("area")?, c.strs("sex")?, c.strs("age")?, c.strs("residence")?);
    let (value, year) = (c.f64s("value")?, c.i32s("year")?);
    let n = dv.height();
    // Every cell by its full key (for the indicators' sums), and the sensitive ones by table.
    let mut cell_at: CellIndex = FxHashMap::default();
    let mut by_table: CellsByTable = BTreeMap::new();
    for i in 0..n {
        let (Some(y), Some(v)) = (year[i], value[i].filter(|v| v.is_finite())) else { continue };
        let key = Key { area: area[i].clone(), sex: sex[i].clone(), age: age[i].clone(), residence: res[i].clone() };
        if sensitive.contains(&de[i]) {
            by_table.entry((de[i].as_str(), y)).or_default().push((i, key.clone(), v));
        }
        cell_at.insert((de[i].as_str(), y, key), i);
    }
    let mut conf = vec![Conf::Free; n];
    for ((element, y), cells_of) in by_table {
        let t = cells::build(cells_of, &areas, settings);
        if t.primary.is_empty() {
            continue;
        }
        summary.tables += 1;
        let pattern = solver::pattern(&t.table, &t.primary, protection);
        let checked = match &pattern {
            Ok(p) => solver::protected(&t.table, p, &t.primary, protection),
            Err(e) => Err(solver::SolverError::Failed { cell: 0, reason: e.to_string() }),
        };
        let (pattern, secondary_rule) = match (pattern, checked) {
            (Ok(p), Ok(true)) => (p, "secondary_complement"),
            (_, outcome) => {
                tracing::warn!(data_element = element, year = y, ?outcome, "disclosure: no protecting pattern found; the table is withheld whole");
                summary.tables_withheld += 1;
                (vec![true; t.rows.len()], "secondary_whole_table")
            }
        };
        let primary: BTreeSet<usize> = t.primary.iter().copied().collect();
        for (i, s) in pattern.iter().enumerate() {
            if !s {
                continue;
            }
            let (cf, why) = if primary.contains(&i) { (Conf::Primary, "primary_small_count") } else { (Conf::Secondary, secondary_rule) };
            for &row in &t.rows[i] {
                conf[row] = cf;
            }
            match cf {
                Conf::Primary => summary.primary += 1,
                _ => summary.secondary += 1,
            }
            withheld.push(Withheld {
                table: "data_values",
                data_element: Some(element.to_string()),
                area: t.keys[i].area.clone(),
                year: Some(y),
                sex: t.keys[i].sex.clone(),
                age: t.keys[i].age.clone(),
                residence: Some(t.keys[i].residence.clone()),
                value: Some(t.table.values[i]),
                conf: cf,
                rule: why,
                ..Default::default()
            });
        }
    }
    // Withheld cells of a (element, year) within an area's subtree, for inexact sums.
    let mut withheld_in: FxHashMap<(&str, i32, &str), Conf> = FxHashMap::default();
    for i in 0..n {
        if conf[i] != Conf::Free {
            if let Some(y) = year[i] {
                let e = withheld_in.entry((de[i].as_str(), y, area[i].as_str())).or_default();
                *e = (*e).max(conf[i]);
            }
        }
    }
    let dv_mask: Vec<bool> = conf.iter().map(|c| *c != Conf::Free).collect();
    let dv_conf: Vec<&str> = conf.iter().map(|c| c.code()).collect();
    let mut public_dv = withhold(dv, &dv_mask, &["value", "note"], &dv_dir)?;
    set_status(&mut public_dv, &dv_mask, &dv_conf, &dv_dir)?;
    let keep: Vec<String> = public_dv
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .filter(|name| !matches!(name.as_str(), "source_file" | "source_sheet" | "source_cell" | "source_sha256" | "submission"))
        .collect();
    let public_dv = public_dv.select(keep).map_err(|source| ExportError::Parquet { path: dv_dir.clone(), source })?;

    // indicator_values: a value over a withheld cell is withheld.
    let iv_dir = tables.join("indicator_values");
    let iv = read::partitioned(&iv_dir)?;
    let c = Cols { df: &iv, path: &iv_dir };
    let (ind, iarea, isex, iage, ires) = (c.strs("indicator")?, c.strs("area")?, c.strs("sex")?, c.strs("age")?, c.strs("residence")?);
    let (ivalue, inum, iden, iyear) = (c.f64s("value")?, c.f64s("numerator")?, c.f64s("denominator")?, c.i32s("year")?);
    let pooled_from = if c.has("pooled_from_year") { c.i32s("pooled_from_year")? } else { vec![None; iv.height()] };
    let m = iv.height();
    let mut iconf = vec![Conf::Free; m];
    for r in 0..m {
        let (Some(y), Some(spec)) = (iyear[r], cfg.catalogue.indicator(&ind[r])) else { continue };
        if !spec.terms().any(|t| sensitive.contains(&t.data_element)) {
            continue;
        }
        let row_key = Key { area: iarea[r].clone(), sex: isex[r].clone(), age: iage[r].clone(), residence: ires[r].clone() };
        let mut worst = Conf::Free;
        let mut exact = true;
        let value_terms: Vec<Term> = spec.value.iter().cloned().collect();
        for (terms, published) in [(&spec.numerator, inum[r]), (&spec.denominator, iden[r]), (&value_terms, ivalue[r])] {
            if terms.is_empty() {
                continue;
            }
            let mut sum = 0.0;
            for t in terms {
                // The term's cell: its pins, else the row's dimension, else the total (a term
                // without a pin of an indicator about one sex or age reads the total). Which
                // one was used does not matter: a published value that equals the sum of
                // published cells tells nothing more, and any other is checked below.
                let cell = [false, true].into_iter().find_map(|total| {
                    let dim = |pin: &Option<String>, row: &String| pin.clone().unwrap_or_else(|| if total { "_T".to_string() } else { row.clone() });
                    let key = Key {
                        area: row_key.area.clone(),
                        sex: dim(&t.sex, &row_key.sex),
                        age: dim(&t.age, &row_key.age),
                        residence: dim(&t.residence, &row_key.residence),
                    };
                    cell_at.get(&(t.data_element.as_str(), y, key)).copied()
                });
                match cell {
                    Some(i) => {
                        worst = worst.max(conf[i]);
                        sum += value[i].unwrap_or(0.0);
                    }
                    None => exact = false,
                }
            }
            if published.is_none_or(|p| (p - sum).abs() > 1e-6 * p.abs().max(1.0)) {
                exact = false;
            }
        }
        if !exact {
            // The value sums other cells than its own area's (paired towns, a missing
            // term): withheld when any cell of its elements in its subtree is.
            for t in spec.terms() {
                for a in subtree.get(row_key.area.as_str()).into_iter().flatten() {
                    if let Some(c) = withheld_in.get(&(t.data_element.as_str(), y, a.as_str())) {
                        worst = worst.max(*c);
                    }
                }
            }
        }
        iconf[r] = worst;
    }
    // Pooled values: withheld when a year they pool is.
    let mut by_key: FxHashMap<(IndKey, i32), Conf> = FxHashMap::default();
    for r in 0..m {
        if let Some(y) = iyear[r] {
            by_key.insert(((ind[r].clone(), iarea[r].clone(), isex[r].clone(), iage[r].clone(), ires[r].clone()), y), iconf[r]);
        }
    }
    let mut pooled_mask = vec![false; m];
    for r in 0..m {
        let (Some(y), Some(from)) = (iyear[r], pooled_from[r]) else { continue };
        if iconf[r] != Conf::Free {
            continue;
        }
        let k: IndKey = (ind[r].clone(), iarea[r].clone(), isex[r].clone(), iage[r].clone(), ires[r].clone());
        if (from..y).any(|py| by_key.get(&(k.clone(), py)).is_some_and(|c| *c != Conf::Free)) {
            pooled_mask[r] = true;
            summary.pooled_rows += 1;
            withheld.push(Withheld {
                table: "indicator_values",
                indicator: Some(ind[r].clone()),
                area: iarea[r].clone(),
                year: Some(y),
                sex: isex[r].clone(),
                age: iage[r].clone(),
                residence: Some(ires[r].clone()),
                value: None,
                conf: Conf::Secondary,
                rule: "pooled_over_withheld_year",
                ..Default::default()
            });
        }
    }
    for r in 0..m {
        if iconf[r] != Conf::Free {
            summary.indicator_rows += 1;
            withheld.push(Withheld {
                table: "indicator_values",
                indicator: Some(ind[r].clone()),
                area: iarea[r].clone(),
                year: iyear[r],
                sex: isex[r].clone(),
                age: iage[r].clone(),
                residence: Some(ires[r].clone()),
                value: ivalue[r],
                conf: iconf[r],
                rule: "over_withheld_count",
                ..Default::default()
            });
        }
    }
    let iv_mask: Vec<bool> = iconf.iter().map(|c| *c != Conf::Free).collect();
    let iv_codes: Vec<&str> = iconf.iter().map(|c| c.code()).collect();
    let pooled_cols = ["pooled_value", "pooled_numerator", "pooled_denominator", "pooled_ci_low", "pooled_ci_high", "pooled_from_year"];
    let all_mask: Vec<bool> = iv_mask.iter().zip(&pooled_mask).map(|(a, b)| *a || *b).collect();
    let mut public_iv = withhold(iv, &iv_mask, &["value", "numerator", "denominator", "ci_low", "ci_high", "ci_method", "small_count"], &iv_dir)?;
    public_iv = withhold(public_iv, &all_mask, &pooled_cols, &iv_dir)?;
    set_status(&mut public_iv, &iv_mask, &iv_codes, &iv_dir)?;

    // A series' worst status, for progress (any year, any residence, pooled included).
    let mut series_conf: FxHashMap<(&str, &str, &str, &str), Conf> = FxHashMap::default();
    for r in 0..m {
        let c = if pooled_mask[r] { iconf[r].max(Conf::Secondary) } else { iconf[r] };
        let e = series_conf.entry((ind[r].as_str(), iarea[r].as_str(), isex[r].as_str(), iage[r].as_str())).or_default();
        *e = (*e).max(c);
    }
    let conf_of_value = |indicator: &str, area: &str, y: i32, sex: &str, age: &str, residence: &str| -> Conf {
        by_key.get(&((indicator.to_string(), area.to_string(), sex.to_string(), age.to_string(), residence.to_string()), y)).copied().unwrap_or_default()
    };

    // progress.
    let pr_path = tables.join("progress.parquet");
    let pr = read::parquet(&pr_path)?;
    let c = Cols { df: &pr, path: &pr_path };
    let (pind, parea, psex, page) = (c.strs("indicator")?, c.strs("area")?, c.strs("sex")?, c.strs("age")?);
    let (pty, plv) = (c.i32s("target_year")?, c.f64s("latest_value")?);
    let pconf: Vec<Conf> = (0..pr.height())
        .map(|r| series_conf.get(&(pind[r].as_str(), parea[r].as_str(), psex[r].as_str(), page[r].as_str())).copied().unwrap_or_default())
        .collect();
    for (r, cf) in pconf.iter().enumerate() {
        if *cf != Conf::Free {
            summary.progress_rows += 1;
            withheld.push(Withheld {
                table: "progress",
                indicator: Some(pind[r].clone()),
                area: parea[r].clone(),
                sex: psex[r].clone(),
                age: page[r].clone(),
                target_year: pty[r],
                value: plv[r],
                conf: *cf,
                rule: "built_on_withheld_value",
                ..Default::default()
            });
        }
    }
    let pr_mask: Vec<bool> = pconf.iter().map(|c| *c != Conf::Free).collect();
    let pr_codes: Vec<&str> = pconf.iter().map(|c| c.code()).collect();
    let progress_cols = [
        "baseline_value",
        "latest_value",
        "latest_ci_low",
        "latest_ci_high",
        "projected_value",
        "progress_ratio",
        "observed_rate",
        "required_rate",
        "aarr",
        "required_aarr",
        "status",
        "warnings",
        "warning_text",
        "trend_class",
        "trend_p_value",
    ];
    let mut public_pr = withhold(pr, &pr_mask, &progress_cols, &pr_path)?;
    set_status(&mut public_pr, &pr_mask, &pr_codes, &pr_path)?;

    // gaps.
    let gp_path = tables.join("gaps.parquet");
    let public_gp = if gp_path.is_file() {
        let gp = read::parquet(&gp_path)?;
        let c = Cols { df: &gp, path: &gp_path };
        let (gind, garea, gdim, ggroup, gref) = (c.strs("indicator")?, c.strs("area")?, c.strs("dimension")?, c.strs("group")?, c.strs("reference_group")?);
        let (gsex, gage, gres, gyear, gdiff) = (c.strs("sex")?, c.strs("age")?, c.strs("residence")?, c.i32s("year")?, c.f64s("difference")?);
        let mut gconf = vec![Conf::Free; gp.height()];
        for r in 0..gp.height() {
            let Some(y) = gyear[r] else { continue };
            let pair = |g: &str| match gdim[r].as_str() {
                "sex" => conf_of_value(&gind[r], &garea[r], y, g, &gage[r], &gres[r]),
                "residence" => conf_of_value(&gind[r], &garea[r], y, &gsex[r], &gage[r], g),
                _ => series_conf.get(&(gind[r].as_str(), garea[r].as_str(), gsex[r].as_str(), gage[r].as_str())).copied().unwrap_or_default(),
            };
            gconf[r] = pair(&ggroup[r]).max(pair(&gref[r]));
            if gconf[r] != Conf::Free {
                summary.gap_rows += 1;
                withheld.push(Withheld {
                    table: "gaps",
                    indicator: Some(gind[r].clone()),
                    area: garea[r].clone(),
                    year: Some(y),
                    sex: gsex[r].clone(),
                    age: gage[r].clone(),
                    residence: Some(gres[r].clone()),
                    dimension: Some(gdim[r].clone()),
                    group: Some(ggroup[r].clone()),
                    value: gdiff[r],
                    conf: gconf[r],
                    rule: "gap_of_withheld_value",
                    ..Default::default()
                });
            }
        }
        let mask: Vec<bool> = gconf.iter().map(|c| *c != Conf::Free).collect();
        let codes: Vec<&str> = gconf.iter().map(|c| c.code()).collect();
        let gap_cols = [
            "value",
            "reference_value",
            "numerator",
            "denominator",
            "reference_numerator",
            "reference_denominator",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
            "ratio",
            "ratio_ci_low",
            "ratio_ci_high",
            "favours",
        ];
        let mut g = withhold(gp, &mask, &gap_cols, &gp_path)?;
        set_status(&mut g, &mask, &codes, &gp_path)?;
        Some(g)
    } else {
        None
    };

    // Write the public folder and the internal table, each whole or not at all.
    let staging = staging_dir(&opts.public)?;
    let pe = |table: &str, source| ExportError::Publish(crate::store::publish::PublishError::Polars { table: table.to_string(), source });
    let data_order: Vec<(&'static str, bool)> = ["year", "data_element", "area", "sex", "age", "residence", "derived"].iter().map(|c| (*c, false)).collect();
    let ind_order: Vec<(&'static str, bool)> = ["year", "indicator", "area", "sex", "age", "residence"].iter().map(|c| (*c, false)).collect();
    let mut written: Vec<Table> = vec![
        Table { name: "data_values", df: public_dv, partition_by: Some("year"), order: None, sorted_by: data_order },
        Table { name: "indicator_values", df: public_iv, partition_by: Some("year"), order: None, sorted_by: ind_order },
        Table::new("progress", public_pr).sorted_by(&["indicator", "area", "sex", "age", "target_year"], false),
    ];
    if let Some(g) = public_gp {
        written.push(Table::new("gaps", g).sorted_by(&["indicator", "area", "year", "dimension", "age", "sex", "residence"], false));
    }
    // The catalogue and the areas as they are; the returns, findings and corrections
    // without what concerns a sensitive data element or indicator.
    for name in ["areas.parquet", "indicators.parquet", "data_elements.parquet", "submissions.parquet"] {
        let from = tables.join(name);
        if from.is_file() {
            std::fs::copy(&from, staging.join(name)).map_err(|source| ExportError::Io { path: from.clone(), source })?;
        }
    }
    let mut words: Vec<String> = sensitive.iter().cloned().collect();
    words.extend(cfg.catalogue.data_elements.iter().filter(|d| sensitive.contains(&d.code)).map(|d| d.name_zh.clone()));
    words.extend(sensitive_ind.iter().cloned());
    words.extend(cfg.catalogue.indicators.iter().filter(|i| sensitive_ind.contains(&i.code)).map(|i| i.name_zh.clone()));
    for (name, columns) in [("issues", &["data_element", "indicator", "message", "detail"][..]), ("changes", &["data_element", "reason"][..])] {
        let path = tables.join(format!("{name}.parquet"));
        if !path.is_file() {
            continue;
        }
        let df = read::parquet(&path)?;
        let c = Cols { df: &df, path: &path };
        let mut keep = vec![true; df.height()];
        for col in columns.iter().filter(|col| c.has(col)) {
            for (k, v) in keep.iter_mut().zip(c.strs(col)?) {
                if words.iter().any(|w| !w.is_empty() && v.contains(w.as_str())) {
                    *k = false;
                }
            }
        }
        let mask = BooleanChunked::from_slice("keep".into(), &keep);
        let df = df.filter(&mask).map_err(|source| ExportError::Parquet { path: path.clone(), source })?;
        written.push(Table::new(name, df));
    }
    for t in &mut written {
        let rows = write_table(&staging, t, 0)?;
        summary.rows.insert(t.name.to_string(), rows);
    }
    // The manifest, with what was withheld.
    let text = std::fs::read_to_string(&manifest_path).map_err(|source| ExportError::Io { path: manifest_path.clone(), source })?;
    let mut manifest: serde_json::Value = serde_json::from_str(&text).map_err(|source| ExportError::Manifest { path: manifest_path.clone(), source })?;
    summary.version = manifest.get("version").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    if let Some(obj) = manifest.as_object_mut() {
        obj.insert(
            "public_export".into(),
            serde_json::json!({
                "threshold": settings.threshold,
                "protection": settings.protection,
                "primary_cells": summary.primary,
                "secondary_cells": summary.secondary,
                "indicator_values_withheld": summary.indicator_rows,
                "pooled_values_withheld": summary.pooled_rows,
                "progress_rows_withheld": summary.progress_rows,
                "gap_rows_withheld": summary.gap_rows,
                "method": "secondary suppression by linear programming (good_lp, microlp), checked by the attacker's linear programme",
            }),
        );
    }
    let mpath = staging.join("manifest.json");
    let pretty = serde_json::to_string_pretty(&manifest).map_err(|source| ExportError::Manifest { path: mpath.clone(), source })?;
    std::fs::write(&mpath, pretty).map_err(|source| ExportError::Io { path: mpath.clone(), source })?;
    replace(&staging, &opts.public)?;

    let istaging = staging_dir(&opts.internal)?;
    let mut sup = Table::new("suppression", suppression_frame(withheld).map_err(|e| pe("suppression", e))?);
    write_table(&istaging, &mut sup, 0)?;
    replace(&istaging, &opts.internal)?;
    summary.public = opts.public.clone();
    summary.suppression = opts.internal.join("suppression.parquet");
    Ok(summary)
}

/// Each area's subtree (itself and everything below it).
fn subtrees(areas: &Areas) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for code in areas.keys() {
        let mut up = Some(code.clone());
        let mut depth = 0;
        while let Some(a) = up {
            out.entry(a.clone()).or_default().push(code.clone());
            up = areas.get(&a).and_then(|x| x.parent.clone()).filter(|p| areas.contains_key(p));
            depth += 1;
            if depth > 64 {
                break;
            }
        }
    }
    out
}

/// `df` with `columns` (those it has) null where `mask` is true.
fn withhold(mut df: DataFrame, mask: &[bool], columns: &[&str], path: &Path) -> Result<DataFrame, ExportError> {
    let err = |source| ExportError::Parquet { path: path.to_path_buf(), source };
    let keep: Vec<bool> = mask.iter().map(|m| !m).collect();
    let keep = BooleanChunked::from_slice("keep".into(), &keep);
    for name in columns {
        let Ok(col) = df.column(name) else { continue };
        let s = col.as_materialized_series().clone();
        let nulls = Series::full_null(s.name().clone(), s.len(), s.dtype());
        let out = s.zip_with(&keep, &nulls).map_err(err)?;
        df.with_column(out.into()).map_err(err)?;
    }
    Ok(df)
}

/// `obs_status` Q where `mask` is true, and a `conf_status` column.
fn set_status(df: &mut DataFrame, mask: &[bool], codes: &[&str], path: &Path) -> Result<(), ExportError> {
    let err = |source| ExportError::Parquet { path: path.to_path_buf(), source };
    if df.column("obs_status").is_ok() {
        let s = df.column("obs_status").map_err(err)?.as_materialized_series().cast(&DataType::String).map_err(err)?;
        let keep: Vec<bool> = mask.iter().map(|m| !m).collect();
        let keep = BooleanChunked::from_slice("keep".into(), &keep);
        let q = Series::new("obs_status".into(), vec!["Q"; s.len()]);
        df.with_column(s.zip_with(&keep, &q).map_err(err)?.into()).map_err(err)?;
    }
    df.with_column(Column::new("conf_status".into(), codes.to_vec())).map_err(err)?;
    Ok(())
}

fn suppression_frame(rows: Vec<Withheld>) -> PolarsResult<DataFrame> {
    let mut rows = rows;
    rows.sort_by(|a, b| {
        (a.table, &a.data_element, &a.indicator, &a.area, a.year, &a.sex, &a.age, &a.residence, a.target_year, &a.dimension, a.rule).cmp(&(
            b.table,
            &b.data_element,
            &b.indicator,
            &b.area,
            b.year,
            &b.sex,
            &b.age,
            &b.residence,
            b.target_year,
            &b.dimension,
            b.rule,
        ))
    });
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("table".into(), rows.iter().map(|r| r.table).collect::<Vec<_>>()),
            Column::new("data_element".into(), rows.iter().map(|r| r.data_element.clone()).collect::<Vec<_>>()),
            Column::new("indicator".into(), rows.iter().map(|r| r.indicator.clone()).collect::<Vec<_>>()),
            Column::new("area".into(), rows.iter().map(|r| r.area.clone()).collect::<Vec<_>>()),
            Column::new("year".into(), rows.iter().map(|r| r.year).collect::<Vec<_>>()),
            Column::new("sex".into(), rows.iter().map(|r| r.sex.clone()).collect::<Vec<_>>()),
            Column::new("age".into(), rows.iter().map(|r| r.age.clone()).collect::<Vec<_>>()),
            Column::new("residence".into(), rows.iter().map(|r| r.residence.clone()).collect::<Vec<_>>()),
            Column::new("target_year".into(), rows.iter().map(|r| r.target_year).collect::<Vec<_>>()),
            Column::new("dimension".into(), rows.iter().map(|r| r.dimension.clone()).collect::<Vec<_>>()),
            Column::new("group".into(), rows.iter().map(|r| r.group.clone()).collect::<Vec<_>>()),
            Column::new("value".into(), rows.iter().map(|r| r.value).collect::<Vec<_>>()),
            Column::new("conf_status".into(), rows.iter().map(|r| r.conf.code()).collect::<Vec<_>>()),
            Column::new("rule".into(), rows.iter().map(|r| r.rule).collect::<Vec<_>>()),
        ],
    )
}

/// A fresh folder beside `target` to write into.
fn staging_dir(target: &Path) -> Result<PathBuf, ExportError> {
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("export");
    let dir = target.with_file_name(format!(".{name}.staging"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|source| ExportError::Io { path: dir.clone(), source })?;
    }
    std::fs::create_dir_all(&dir).map_err(|source| ExportError::Io { path: dir.clone(), source })?;
    Ok(dir)
}

/// `staging` becomes `target` (an earlier `target` is removed first).
fn replace(staging: &Path, target: &Path) -> Result<(), ExportError> {
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(|source| ExportError::Io { path: target.to_path_buf(), source })?;
    }
    std::fs::rename(staging, target).map_err(|source| ExportError::Io { path: target.to_path_buf(), source })
}

/// What `wcmon export --public` prints.
pub fn render_summary(s: &ExportSummary, settings: &crate::config::disclosure::DisclosureSettings) -> String {
    let mut out = format!(
        "wcmon export --public: database version {}; sensitive counts from 1 to below {} withheld (protection ±{})\n",
        s.version,
        crate::util::fmt_num(settings.threshold),
        crate::util::fmt_num(settings.protection)
    );
    out.push_str(&format!(
        "  data_values: {} primary cells (C), {} secondary (D) in {} tables with small counts ({} withheld whole)\n",
        s.primary, s.secondary, s.tables, s.tables_withheld
    ));
    out.push_str(&format!(
        "  withheld as built on them: {} indicator values, {} pooled values, {} progress rows, {} gaps\n",
        s.indicator_rows, s.pooled_rows, s.progress_rows, s.gap_rows
    ));
    let rows: Vec<String> = s.rows.iter().map(|(k, v)| format!("{k} {v}")).collect();
    out.push_str(&format!("  public tables in {}: {}\n", s.public.display(), rows.join(", ")));
    out.push_str(&format!("  internal (do not send): {}\n", s.suppression.display()));
    out
}
