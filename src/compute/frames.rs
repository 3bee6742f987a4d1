//! Rows <-> Polars frames.

use polars::prelude::*;

use crate::config::Areas;
use crate::model::{Issue, Observation, Submission};

pub const KEY: [&str; 6] = ["data_element", "area", "year", "sex", "age", "residence"];

fn s(name: &str, v: Vec<Option<String>>) -> Column {
    Column::new(name.into(), v)
}

/// `data_values` columns in contract order (plus `year`, `flags`, `n_sources`),
/// from each file's values in turn (not moved into one vector first).
pub fn observations(files: &[Vec<Observation>]) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    // Borrowed strings (the frame copies the bytes once, no String per cell); the
    // columns are independent, so they are built in parallel.
    type Build<'a> = Box<dyn Fn() -> Column + Send + Sync + 'a>;
    let text = |name: &'static str, f: fn(&Observation) -> &str| -> Build<'_> {
        Box::new(move || Column::new(name.into(), all(files).map(f).collect::<Vec<&str>>()))
    };
    let opt = |name: &'static str, f: fn(&Observation) -> Option<&str>| -> Build<'_> {
        Box::new(move || Column::new(name.into(), all(files).map(f).collect::<Vec<Option<&str>>>()))
    };
    let builds: Vec<Build> = vec![
        text("data_element", |o| &o.data_element),
        text("area", |o| &o.area),
        Box::new(|| Column::new("year".into(), all(files).map(|o| o.year).collect::<Vec<i32>>())),
        text("sex", |o| &o.sex),
        text("age", |o| &o.age),
        text("residence", |o| &o.residence),
        Box::new(|| Column::new("value".into(), all(files).map(|o| o.value).collect::<Vec<Option<f64>>>())),
        text("obs_status", |o| o.obs_status),
        Box::new(|| Column::new("derived".into(), all(files).map(|o| o.derived).collect::<Vec<bool>>())),
        opt("form", |o| o.form.as_deref()),
        opt("source_file", |o| o.source_file.as_deref()),
        opt("source_sheet", |o| o.source_sheet.as_deref()),
        opt("source_cell", |o| o.source_cell.as_deref()),
        opt("source_sha256", |o| o.source_sha256.as_deref()),
        opt("submission", |o| o.submission.as_deref()),
        opt("flags", |o| o.flags.as_deref()),
        Box::new(|| Column::new("n_sources".into(), all(files).map(|_| None::<u32>).collect::<Vec<Option<u32>>>())),
    ];
    let columns: Vec<Column> = builds.par_iter().map(|b| b()).collect();
    DataFrame::new_infer_height(columns)
}

fn all(files: &[Vec<Observation>]) -> impl Iterator<Item = &Observation> {
    files.iter().flatten()
}

pub fn issues(rows: &[Issue]) -> PolarsResult<DataFrame> {
    let o = |f: &dyn Fn(&Issue) -> Option<String>| -> Vec<Option<String>> { rows.iter().map(f).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("severity".into(), rows.iter().map(|i| i.severity.as_str()).collect::<Vec<_>>()),
        Column::new("rule".into(), rows.iter().map(|i| i.rule).collect::<Vec<_>>()),
        Column::new("message".into(), rows.iter().map(|i| i.message.clone()).collect::<Vec<_>>()),
        s("source_file", o(&|i| i.source_file.clone())),
        s("source_sheet", o(&|i| i.source_sheet.clone())),
        s("source_cell", o(&|i| i.source_cell.clone())),
        s("data_element", o(&|i| i.data_element.clone())),
        s("indicator", o(&|i| i.indicator.clone())),
        Column::new("year".into(), rows.iter().map(|i| i.year).collect::<Vec<Option<i32>>>()),
        s("area", o(&|i| i.area.clone())),
        s("sex", o(&|i| i.sex.clone())),
        s("age", o(&|i| i.age.clone())),
        s("observed", o(&|i| i.observed.clone())),
        s("expected", o(&|i| i.expected.clone())),
        s("form", o(&|i| i.form.clone())),
        s("submission", o(&|i| i.submission.clone())),
    ])
}

pub fn submissions(rows: &[Submission]) -> PolarsResult<DataFrame> {
    let o = |f: &dyn Fn(&Submission) -> Option<String>| -> Vec<Option<String>> { rows.iter().map(f).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("submission".into(), rows.iter().map(|r| r.submission.clone()).collect::<Vec<_>>()),
        s("form", o(&|r| r.form.clone())),
        s("reporter", o(&|r| r.reporter.clone())),
        Column::new("year".into(), rows.iter().map(|r| r.year).collect::<Vec<Option<i32>>>()),
        Column::new("source_file".into(), rows.iter().map(|r| r.source_file.clone()).collect::<Vec<_>>()),
        s("source_sha256", o(&|r| r.source_sha256.clone())),
        s("format", o(&|r| r.format.clone())),
        Column::new("status".into(), rows.iter().map(|r| r.status.clone()).collect::<Vec<_>>()),
        Column::new("cells_read".into(), rows.iter().map(|r| r.cells_read).collect::<Vec<u64>>()),
        Column::new("values_landed".into(), rows.iter().map(|r| r.values_landed).collect::<Vec<u64>>()),
        Column::new("values_rejected".into(), rows.iter().map(|r| r.values_rejected).collect::<Vec<u64>>()),
        Column::new("values_derived".into(), rows.iter().map(|r| r.values_derived).collect::<Vec<u64>>()),
        Column::new("values_superseded".into(), rows.iter().map(|r| r.values_superseded).collect::<Vec<u64>>()),
        s("superseded_by", o(&|r| r.superseded_by.clone())),
    ])
}

pub fn areas(areas: &Areas) -> PolarsResult<DataFrame> {
    let mut list: Vec<_> = areas.list.iter().collect();
    list.sort_by(|a, b| a.code.cmp(&b.code));
    DataFrame::new_infer_height(vec![
        Column::new("area".into(), list.iter().map(|a| a.code.clone()).collect::<Vec<_>>()),
        Column::new("name_zh".into(), list.iter().map(|a| a.name_zh.clone()).collect::<Vec<_>>()),
        Column::new("level".into(), list.iter().map(|a| a.level.clone()).collect::<Vec<_>>()),
        s("parent", list.iter().map(|a| a.parent.clone()).collect()),
        Column::new("depth".into(), list.iter().map(|a| a.depth as u32).collect::<Vec<_>>()),
    ])
}

/// (area, ancestor) for every area and each of its ancestors.
pub fn ancestors(areas: &Areas) -> PolarsResult<DataFrame> {
    let mut a = Vec::new();
    let mut p = Vec::new();
    for area in &areas.list {
        for anc in &area.ancestors {
            a.push(area.code.clone());
            p.push(anc.clone());
        }
    }
    DataFrame::new_infer_height(vec![Column::new("area".into(), a), Column::new("ancestor".into(), p)])
}

pub fn rule_summary(rows: &[crate::validate::RuleStat]) -> PolarsResult<DataFrame> {
    let st = |f: &dyn Fn(&crate::validate::RuleStat) -> String| -> Vec<String> { rows.iter().map(f).collect() };
    let n = |f: &dyn Fn(&crate::validate::RuleStat) -> u64| -> Vec<u64> { rows.iter().map(f).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("rule".into(), st(&|r| r.rule.clone())),
        Column::new("kind".into(), st(&|r| r.kind.clone())),
        Column::new("severity".into(), st(&|r| r.severity.clone())),
        Column::new("scope".into(), st(&|r| r.scope.clone())),
        Column::new("expression".into(), st(&|r| r.expression.clone())),
        Column::new("items".into(), n(&|r| r.items)),
        Column::new("passes".into(), n(&|r| r.passes)),
        Column::new("fails".into(), n(&|r| r.fails)),
        Column::new("missing".into(), n(&|r| r.missing)),
    ])
}
