//! The report's closing sections: the values corrected since an earlier version, and
//! the annexes — data quality (returns and findings per body, the cells to check,
//! indicators without data), method (the data cut-off from the manifest, how rates,
//! intervals, pooling and the statuses work) and the printed lineage of each latest value.

use std::fmt::Write as _;

use super::{badge, esc, fmt_count, group_thousands, lineage_table, opt, sex_zh};
use crate::commands::report::model::{IssueRow, ReportModel};
use crate::labels;

pub(super) fn since_section(h: &mut String, m: &ReportModel) {
    h.push_str("<section id=\"since\" class=\"annex\"><h2>数据更正情况(自上次报告以来)</h2>\n");
    match &m.since {
        None => h.push_str("<p>未指定对比版本。用 <code>wcmon report --since v000001</code> 列出该版本之后被更正的数值(原值、新值及更正的报表)。</p>\n"),
        Some(v) => {
            let _ = writeln!(h, "<p>自版本 {} 以来,本地区共有 {} 个报告值发生变化(修改、新增或删除)。</p>", esc(v), m.changes.len());
            if !m.changes.is_empty() {
                h.push_str("<table class=\"changes\"><thead><tr><th>版本</th><th>类型</th><th>数据项</th><th>地区</th><th>年份</th><th>性别</th><th>原值</th><th>新值</th><th>原报表 · 单元格</th><th>新报表 · 单元格</th><th>原因</th></tr></thead><tbody>\n");
                for c in &m.changes {
                    let src = |f: &Option<String>, cell: &Option<String>| match f {
                        Some(f) => format!("{} · {}", esc(f), esc(cell.as_deref().unwrap_or("—"))),
                        None => "—".into(),
                    };
                    let _ = writeln!(
                        h,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
                        esc(&c.version),
                        esc(labels::zh(labels::CHANGE_KINDS, &c.kind)),
                        esc(c.data_element_name.as_deref().unwrap_or(&c.data_element)),
                        esc(m.area_name(&c.area)),
                        c.year.map(|y| y.to_string()).unwrap_or_default(),
                        esc(sex_zh(c.sex.as_deref().unwrap_or("_T"))),
                        c.old_value.map(fmt_count).unwrap_or_else(|| "—".into()),
                        c.new_value.map(fmt_count).unwrap_or_else(|| "—".into()),
                        src(&c.old_source_file, &c.old_source_cell),
                        src(&c.new_source_file, &c.new_source_cell),
                        esc(c.reason.as_deref().unwrap_or(""))
                    );
                }
                h.push_str("</tbody></table>\n");
            }
        }
    }
    h.push_str("</section>\n");
}

/// At most this many findings are listed in the annex (all are in issues.parquet).
const MAX_FINDINGS: usize = 2000;

pub(super) fn quality_annex(h: &mut String, m: &ReportModel) {
    let q = &m.quality;
    h.push_str("<section id=\"quality\" class=\"annex\"><h2>附录一 数据质量</h2>\n");
    let _ = writeln!(h, "<h3>{}年报表报送情况(按报送单位)</h3>", m.year);
    h.push_str("<table class=\"bodies\"><thead><tr><th>报送单位</th><th>报表数</th><th>已载入</th><th>已被更正</th><th>读取失败或无法识别</th><th>读取单元格</th><th>入库数值</th><th>拒收数值</th><th>错误</th><th>警告</th><th>提示</th></tr></thead><tbody>\n");
    for b in &q.bodies {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&b.reporter),
            b.returns,
            b.loaded,
            b.superseded,
            b.failed,
            group_thousands(&b.cells_read.to_string()),
            group_thousands(&b.values_landed.to_string()),
            group_thousands(&b.values_rejected.to_string()),
            b.errors,
            b.warnings,
            b.info
        );
    }
    h.push_str("</tbody></table>\n<details class=\"screen-only\"><summary>报表清单</summary><table class=\"submissions\"><thead><tr><th>报送单位</th><th>文件</th><th>报表</th><th>状态</th><th>读取</th><th>入库</th><th>拒收</th></tr></thead><tbody>\n");
    for s in &q.submissions {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(s.reporter.as_deref().unwrap_or("—")),
            esc(&s.source_file),
            esc(s.form.as_deref().unwrap_or("—")),
            esc(labels::zh(labels::SUBMISSION_STATUSES, &s.status)),
            s.cells_read,
            s.values_landed,
            s.values_rejected
        );
    }
    h.push_str("</tbody></table></details>\n");
    let errors = q.issues.iter().filter(|i| i.severity == "error").count();
    let _ =
        writeln!(h, "<h3>需核实的单元格(错误 {errors} 条,警告 {} 条;另有提示 {} 条,多为报表自带的合计行列,不入库)</h3>", q.issues.len() - errors, q.info_count);
    if q.issues.is_empty() {
        h.push_str("<p>无错误或警告。</p>\n");
    } else {
        h.push_str("<table class=\"issues\"><thead><tr><th>报送单位</th><th>级别</th><th>文件</th><th>工作表</th><th>单元格</th><th>规则</th><th>说明</th><th>观测值</th><th>期望值</th></tr></thead><tbody>\n");
        let mut rows: Vec<&IssueRow> = q.issues.iter().collect();
        rows.sort_by(|a, b| (&a.reporter, a.severity != "error", &a.source_file).cmp(&(&b.reporter, b.severity != "error", &b.source_file)));
        for i in rows.iter().take(MAX_FINDINGS) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"small\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(i.reporter.as_deref().unwrap_or("—")),
                esc(labels::zh(labels::SEVERITIES, &i.severity)),
                esc(i.source_file.as_deref().unwrap_or("—")),
                esc(i.source_sheet.as_deref().unwrap_or("—")),
                esc(i.source_cell.as_deref().unwrap_or("—")),
                esc(&i.rule),
                esc(&i.message),
                esc(i.observed.as_deref().unwrap_or("")),
                esc(i.expected.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</tbody></table>\n");
        if rows.len() > MAX_FINDINGS {
            let _ = writeln!(h, "<p>另有 {} 条未列出,全部见 issues.parquet。</p>", rows.len() - MAX_FINDINGS);
        }
    }
    let _ = writeln!(h, "<h3>无数据的指标({} 项)</h3>", q.no_data.len());
    if !q.no_data.is_empty() {
        h.push_str("<table class=\"no-data\"><thead><tr><th>指标</th><th>规划 · 领域</th><th>责任单位</th></tr></thead><tbody>\n");
        for code in &q.no_data {
            let Some(c) = m.indicator(code) else { continue };
            let _ = writeln!(
                h,
                "<tr><td>{} {}</td><td>{} · {}</td><td>{}</td></tr>",
                esc(&c.indicator),
                esc(&c.name_zh),
                esc(labels::zh(labels::PLANS, &c.plan)),
                esc(labels::zh(labels::DOMAINS, &c.domain)),
                esc(c.responsible.as_deref().unwrap_or("—"))
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

pub(super) fn method_annex(h: &mut String, m: &ReportModel) {
    let f = &m.manifest;
    h.push_str("<section id=\"method\" class=\"annex\"><h2>附录二 数据来源与方法</h2>\n<table class=\"manifest\"><tbody>\n");
    let rows = [
        ("数据库版本", f.version.clone()),
        ("运行编号", f.run_id.clone()),
        ("运行方式", f.mode.clone()),
        ("数据截至(运行完成时间)", f.finished_at.clone()),
        ("输入文件数", f.files.to_string()),
        ("输入摘要(SHA-256)", f.inputs_digest.clone()),
        ("程序版本", format!("{} {}", f.tool, f.tool_version)),
    ];
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{}</th><td><code>{}</code></td></tr>", esc(k), esc(&v));
    }
    h.push_str("</tbody></table>\n");
    h.push_str(
        "<h3>比率与区间</h3><p>各级地区的比率一律由汇总后的分子、分母计算(分子合计 ÷ 分母合计 × 系数),不对下级比率取平均;只报告分子或分母之一的乡镇不计入两侧合计。\
比率的95%置信区间:计数类(死亡率等)用精确泊松区间,比例类用 Wilson 区间。</p>\n\
<h3>小数合并</h3><p>某年事件数少于20例时,该指标整个序列改用3年合并率(3年事件数之和 ÷ 3年分母之和),并给出合并率的区间;序列开头不足3年时按已有年份合并。</p>\n\
<h3>进展状态</h3><p>进展比率(ESCAP方法)= 基期以来的实际年均变化率 ÷ 达到目标所需的年均变化率。\
最新值已达到目标为“达标”;否则比率 ≥ 0.95 为“进展顺利”,0.6–0.95 为“需加快进度”,0–0.6 为“进展有限”,小于0为“倒退”;不足两年数据为“数据不足”。\
“约X”的目标在X的±2%以内视为达到。</p>\n\
<h3>预测与预警</h3><p>预测:以基期起各年数据做时间加权最小二乘(近年权重更大),外推到目标年。预警:预测值达不到目标为“预计难以完成”;\
至少4年数据且年际变化方向多次反转、幅度超过稳健趋势的2倍和水平的10%为“波动较大”;偏离目标为“倒退”;曾达标后回落为“达标后回落”;\
最新年份无数据为“最新年份缺数”;最新值的95%区间包含目标值为“与目标差异不显著”(小数波动不能说明是否达标)。</p>\n",
    );
    h.push_str("<h3>状态与颜色</h3><p class=\"legend\">");
    for s in labels::STATUSES {
        h.push_str(&badge(s.code, ""));
        h.push(' ');
    }
    h.push_str("</p><p class=\"small\">颜色取自 Okabe–Ito 色盲友好配色,并始终配有文字。</p>\n</section>\n");
}

/// The printed lineage: for each indicator with data, the latest value's counts by
/// area with the return, sheet and cell of each (on screen it opens from the value).
pub(super) fn lineage_annex(h: &mut String, m: &ReportModel) {
    h.push_str("<section id=\"lineage\" class=\"annex\"><h2>附录三 数据溯源</h2>\n<p class=\"small\">每项指标最新值的分子、分母及其所汇总的各地区数值和来源报表、工作表、单元格。</p>\n");
    for c in &m.catalogue {
        let sexes = m.progress_sexes(&c.indicator);
        let sex = sexes.first().cloned().or_else(|| m.series_sexes(&c.indicator).into_iter().next());
        let Some(sex) = sex else { continue };
        let Some(last) = m.series_for(&c.indicator, &sex).into_iter().rev().find(|p| p.value.is_some()) else { continue };
        let (num, den) = m.lineage_for(&c.indicator, last.year, &sex, m.age_of(&c.indicator));
        let _ = writeln!(
            h,
            "<div class=\"lineage-block\" id=\"lin-{}\"><h3>{} {}:{}年 {}{}</h3>",
            esc(&c.indicator),
            esc(&c.indicator),
            esc(&c.name_zh),
            last.year,
            opt(last.value, &c.unit),
            if sex != "_T" { format!("({})", esc(sex_zh(&sex))) } else { String::new() }
        );
        if num.is_empty() && den.is_empty() {
            h.push_str("<p class=\"small\">该值的数据项不在数据库的原始数值中(由其他指标派生)。</p>");
        }
        lineage_table(h, m, "分子", &num);
        lineage_table(h, m, "分母", &den);
        h.push_str("</div>\n");
    }
    h.push_str("</section>\n");
}
