//! The published tables built from the run's frames: the catalogue, the data
//! elements, area names and the publish order, the issues' order.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::compute::frames;
use crate::config::Config;
use crate::model::Issue;
use crate::store::publish::Table;
use crate::tables::TableDef;

/// The catalogue as a table, with each indicator's county baseline value.
pub(super) fn catalogue_frame(cfg: &Config, ind_values: &DataFrame) -> PolarsResult<DataFrame> {
    let roots: Vec<&str> = cfg.areas.tree_roots().map(|a| a.code.as_str()).collect();
    let mut baseline: BTreeMap<String, f64> = BTreeMap::new();
    if ind_values.height() > 0 {
        let ind = ind_values.column("indicator")?.str()?;
        let area = ind_values.column("area")?.str()?;
        let year = ind_values.column("year")?.i32()?;
        let sex = ind_values.column("sex")?.str()?;
        let age = ind_values.column("age")?.str()?;
        let res = ind_values.column("residence")?.str()?;
        let val = ind_values.column("value")?.f64()?;
        for i in 0..ind_values.height() {
            let Some(code) = ind.get(i) else { continue };
            let Some(def) = cfg.catalogue.indicator(code) else { continue };
            let want_sex = def.sex.as_deref().unwrap_or("_T");
            let want_age = def.age.as_deref().unwrap_or("_T");
            let by = def.baseline_year.unwrap_or(2020);
            if roots.len() == 1
                && area.get(i) == Some(roots[0])
                && year.get(i) == Some(by)
                && sex.get(i).is_some_and(|s| s == want_sex || s == "*")
                && age.get(i) == Some(want_age)
                && res.get(i) == Some("_T")
            {
                if let Some(v) = val.get(i) {
                    baseline.insert(code.to_string(), v);
                }
            }
        }
    }
    let inds = &cfg.catalogue.indicators;
    let strs = |f: &dyn Fn(&crate::config::Indicator) -> String| -> Vec<String> { inds.iter().map(f).collect() };
    let opt = |f: &dyn Fn(&crate::config::Indicator) -> Option<String>| -> Vec<Option<String>> { inds.iter().map(f).collect() };
    let f64s = |f: &dyn Fn(&crate::config::Indicator) -> Option<f64>| -> Vec<Option<f64>> { inds.iter().map(f).collect() };
    let df = DataFrame::new_infer_height(vec![
        Column::new("indicator".into(), strs(&|i| i.code.clone())),
        Column::new("plan".into(), strs(&|i| i.plan.clone())),
        Column::new("domain".into(), strs(&|i| i.domain.clone())),
        Column::new("name_zh".into(), strs(&|i| i.name_zh.clone())),
        Column::new("name_en".into(), strs(&|i| i.name_en.clone())),
        Column::new("unit".into(), strs(&|i| i.unit.clone())),
        Column::new("factor".into(), inds.iter().map(|i| i.factor).collect::<Vec<f64>>()),
        Column::new("numerator".into(), opt(&|i| (!i.numerator.is_empty()).then(|| crate::config::Indicator::formula_text(&i.numerator)))),
        Column::new("denominator".into(), opt(&|i| (!i.denominator.is_empty()).then(|| crate::config::Indicator::formula_text(&i.denominator)))),
        Column::new("value_of".into(), opt(&|i| i.value.as_ref().map(|t| crate::config::Indicator::formula_text(std::slice::from_ref(t))))),
        Column::new("direction".into(), strs(&|i| enum_str(&i.direction))),
        Column::new("target_kind".into(), strs(&|i| i.target.kind().as_str().to_string())),
        Column::new("target_2025".into(), f64s(&|i| i.target.stated(2025))),
        Column::new("target_2030".into(), f64s(&|i| i.target.stated(2030))),
        Column::new("target_low".into(), f64s(&|i| i.target.range().map(|r| r.0))),
        Column::new("target_high".into(), f64s(&|i| i.target.range().map(|r| r.1))),
        Column::new("relative_change".into(), f64s(&|i| i.target.relative_change())),
        Column::new("baseline_year".into(), inds.iter().map(|i| i.base_year()).collect::<Vec<i32>>()),
        Column::new("baseline_value".into(), inds.iter().map(|i| baseline.get(&i.code).copied()).collect::<Vec<Option<f64>>>()),
        Column::new("responsible".into(), opt(&|i| i.responsible.clone())),
        Column::new("source".into(), strs(&|i| i.source.clone())),
        Column::new("note".into(), opt(&|i| i.note.clone())),
        Column::new("gap_of".into(), opt(&|i| i.gap_of.clone())),
    ])?;
    df.lazy().sort(["indicator"], SortMultipleOptions::default()).collect()
}

pub(super) fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub(super) fn data_elements_frame(cfg: &Config) -> PolarsResult<DataFrame> {
    let d = &cfg.catalogue.data_elements;
    DataFrame::new_infer_height(vec![
        Column::new("data_element".into(), d.iter().map(|x| x.code.clone()).collect::<Vec<_>>()),
        Column::new("name_zh".into(), d.iter().map(|x| x.name_zh.clone()).collect::<Vec<_>>()),
        Column::new("name_en".into(), d.iter().map(|x| x.name_en.clone()).collect::<Vec<_>>()),
        Column::new("unit".into(), d.iter().map(|x| x.unit.clone()).collect::<Vec<_>>()),
        Column::new("kind".into(), d.iter().map(|x| enum_str(&x.kind)).collect::<Vec<_>>()),
        Column::new("count_type".into(), d.iter().map(|x| x.count_type.map(|c| enum_str(&c))).collect::<Vec<Option<String>>>()),
        Column::new("body".into(), d.iter().map(|x| x.body.clone()).collect::<Vec<Option<String>>>()),
    ])?
    .lazy()
    .sort(["data_element"], SortMultipleOptions::default())
    .collect()
}

/// The table with an `area_name` column, and the order to publish its rows in.
pub(super) fn add_area_names(df: DataFrame, cfg: &Config, sort_by: &[&str]) -> PolarsResult<(DataFrame, Vec<IdxSize>)> {
    if df.height() == 0 {
        return Ok((df, Vec::new()));
    }
    // A lookup per row rather than a join (the area table is small, the value tables
    // are not); each name stored once, the rows views of it.
    let names: Vec<&str> = cfg.areas.list.iter().map(|a| a.name_zh.as_str()).collect();
    let index: rustc_hash::FxHashMap<&str, u32> = cfg.areas.list.iter().enumerate().map(|(i, a)| (a.code.as_str(), i as u32)).collect();
    let rows: Vec<Option<u32>> = df.column("area")?.str()?.iter().map(|a| a.and_then(|a| index.get(a).copied())).collect();
    let mut df = df;
    df.with_column(frames::dictionary_column("area_name", &names, rows))?;
    tracing::debug!(rows = df.height(), "area names added");
    let order = frames::sort_order(&df, sort_by)?;
    Ok((df, order))
}

/// A table with its area names, published in its registry entry's order (rows
/// gathered as they are written).
pub(super) fn sorted_table(def: &'static TableDef, df: DataFrame, cfg: &Config) -> PolarsResult<Table> {
    let (df, order) = add_area_names(df, cfg, def.sort)?;
    // frames::sort_order: ascending, nulls last (the entry's `nulls_first` is false), strings by
    // their bytes (Parquet's order for UTF8).
    Ok(Table { order: Some(order), ..Table::of(def, df) })
}

/// Sort issues so output is deterministic.
pub fn sort_issues(issues: &mut [Issue]) {
    // The cell's (row, column) is computed once per issue, not per comparison.
    let mut keyed: Vec<((u64, u64), usize)> = issues
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let (r, c, _) = cell_order(x.source_cell.as_deref());
            ((r, c), i)
        })
        .collect();
    keyed.sort_by(|(ka, a), (kb, b)| {
        let (a, b) = (&issues[*a], &issues[*b]);
        (a.source_file.as_deref(), a.source_sheet.as_deref(), ka, a.source_cell.as_deref(), a.rule, &a.message, a.data_element.as_deref()).cmp(&(
            b.source_file.as_deref(),
            b.source_sheet.as_deref(),
            kb,
            b.source_cell.as_deref(),
            b.rule,
            &b.message,
            b.data_element.as_deref(),
        ))
    });
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    let sorted: Vec<Issue> = order.iter().map(|&i| issues[i].clone()).collect();
    issues.clone_from_slice(&sorted);
}

/// An issues frame (see `frames::issues`) in the order of [`sort_issues`].
pub fn sort_issues_frame(df: DataFrame) -> PolarsResult<DataFrame> {
    let mut df = df;
    df.rechunk_mut_par();
    let text = |c: &str| -> PolarsResult<Vec<Option<&str>>> { Ok(df.column(c)?.str()?.iter().collect()) };
    let (file, sheet, cell, rule, message, de) =
        (text("source_file")?, text("source_sheet")?, text("source_cell")?, text("rule")?, text("message")?, text("data_element")?);
    let rc: Vec<(u64, u64)> = cell
        .iter()
        .map(|c| {
            let (r, c, _) = cell_order(*c);
            (r, c)
        })
        .collect();
    let mut idx: Vec<IdxSize> = (0..df.height() as IdxSize).collect();
    idx.sort_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        (file[a], sheet[a], rc[a], cell[a], rule[a], message[a], de[a]).cmp(&(file[b], sheet[b], rc[b], cell[b], rule[b], message[b], de[b]))
    });
    drop((file, sheet, cell, rule, message, de));
    df.take(&IdxCa::from_vec("idx".into(), idx))
}

/// "D7" -> (7, 4) so D7 sorts before D10 and rows before columns.
pub(super) fn cell_order(cell: Option<&str>) -> (u64, u64, String) {
    let Some(c) = cell else { return (0, 0, String::new()) };
    let letters: String = c.chars().take_while(|ch| ch.is_ascii_uppercase()).collect();
    let digits: String = c[letters.len()..].chars().take_while(|ch| ch.is_ascii_digit()).collect();
    let col = letters.bytes().fold(0u64, |acc, b| acc * 26 + (b - b'A' + 1) as u64);
    (digits.parse().unwrap_or(0), col, c.to_string())
}
