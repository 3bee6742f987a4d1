//! The 填表说明 sheet's contents: how to fill the return, and each data element of the
//! form with where it goes, its definition, unit and responsible body.

use std::collections::BTreeSet;

use super::cells::kind_text;
use super::plan::Ctx;
use super::{NoteRow, SheetPlan};

/// The 填表说明 rows: each data element of the form, with where it goes and what it is for.
pub(super) fn notes(c: &Ctx, sheets: &[SheetPlan]) -> Vec<NoteRow> {
    let f = &c.form.raw;
    let mut des: Vec<(String, String)> = Vec::new(); // (code, where)
    fn push(des: &mut Vec<(String, String)>, code: Option<&str>, wher: String) {
        if let Some(code) = code {
            match des.iter_mut().find(|(c, _)| c == code) {
                Some((_, w)) => {
                    if !w.contains(&wher) {
                        w.push('；');
                        w.push_str(&wher);
                    }
                }
                None => des.push((code.to_string(), wher)),
            }
        }
    }
    let fixed = f.fixed.data_element.as_deref();
    for m in &f.columns {
        push(&mut des, m.dims.data_element.as_deref().or(fixed), format!("列“{}”", m.name()));
    }
    for m in &f.rows {
        push(&mut des, m.dims.data_element.as_deref().or(fixed), format!("行“{}”", m.label));
    }
    for m in &f.items {
        push(&mut des, m.dims.data_element.as_deref().or(fixed), format!("指标名称“{}”", m.label));
    }
    if des.is_empty() {
        push(&mut des, fixed, format!("全部数值单元格（共 {} 个工作表）", sheets.len()));
    }
    des.into_iter()
        .filter_map(|(code, wher)| {
            let de = c.cfg.catalogue.data_element(&code)?;
            let uses: Vec<String> = c
                .cfg
                .catalogue
                .indicators
                .iter()
                .filter_map(|ind| {
                    let role = if ind.numerator.iter().any(|t| t.data_element == code) {
                        "分子"
                    } else if ind.denominator.iter().any(|t| t.data_element == code) {
                        "分母"
                    } else if ind.value.as_ref().is_some_and(|t| t.data_element == code) {
                        "直接采用"
                    } else {
                        return None;
                    };
                    Some(format!("{} {}（{}）", ind.code, ind.name_zh, role))
                })
                .collect();
            let responsible: BTreeSet<String> =
                c.cfg.catalogue.indicators.iter().filter(|ind| ind.terms().any(|t| t.data_element == code)).filter_map(|ind| ind.responsible.clone()).collect();
            let mut definition = format!("{}（{}）", de.name_zh, de.name_en);
            if let (Some(lo), Some(hi)) = (de.min, de.max) {
                definition.push_str(&format!("；取值 {lo}–{hi}"));
            }
            if uses.is_empty() {
                definition.push('。');
            } else {
                definition.push_str(&format!("。用于计算：{}。", uses.join("；")));
            }
            let mut body = de.body.clone().unwrap_or_else(|| f.form.body.clone());
            if !responsible.is_empty() {
                body.push_str(&format!("（指标责任单位：{}）", responsible.into_iter().collect::<Vec<_>>().join("、")));
            }
            Some(NoteRow {
                code: code.clone(),
                name_zh: de.name_zh.clone(),
                unit: de.unit.clone(),
                kind: kind_text(de.kind).to_string(),
                definition,
                body,
                where_in_form: wher,
            })
        })
        .collect()
}

pub(super) fn instructions(c: &Ctx) -> Vec<String> {
    let f = &c.form.raw;
    let mut v = vec![
        format!("本表：{}（{}），报送单位：{}，报告期：{} 年。", f.form.name, f.form.id, f.form.body, c.year),
        "1. 只在白色（未锁定）单元格中填写数字；表头、地区和项目名称已锁定，请勿改动，也不要增删行列或改文件名。".into(),
        "2. 人数、个数等计数填非负整数；百分比填 0–100 之间的数（不带 % 号亦可）；合计行/列不必填写，由系统按各地区汇总。".into(),
    ];
    v.push(match f.table.dash_means {
        crate::config::forms::DashMeans::Zero => "3. 没有发生的（如无孕产妇死亡）填 0 或“—”，两者都按 0 计。".into(),
        crate::config::forms::DashMeans::Missing => "3. 没有统计数的单元格留空或填“—”，表示无此数（不是 0）；确实为 0 的请填 0。".into(),
    });
    if f.table.derive_sex {
        v.push("4. 分性别的项目：填“合计”和“其中:女”（或“男”“女”），另一项由系统计算。".into());
    }
    v.push("下表列出本表每个数据项的定义、计量单位和负责报送的单位。".into());
    v
}
