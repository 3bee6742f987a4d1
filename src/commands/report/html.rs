//! The HTML report: one self-contained file (styles inline, charts as inline SVG,
//! no script, nothing fetched — a Content-Security-Policy forbids it too), in
//! Chinese, printable on A4 (a page break per domain).
//!
//! Every text that comes from the database (file, sheet and cell names, messages,
//! labels) goes through [`esc`]: a return whose cells hold `<script>` shows it as text.
//! The closing sections (since the last report, the annexes) are in [`annexes`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

mod annexes;

use annexes::{lineage_annex, method_annex, quality_annex, since_section};

use super::charts;
use super::model::{CatalogueRow, LineageRow, ProgressRow, ReportError, ReportKind, ReportModel};
use crate::labels;

/// The rendered page and what it holds.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    /// `<svg>` charts drawn.
    pub charts: usize,
}

/// Escape text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Units whose values are counts (no decimals when whole).
const COUNT_UNITS: &[&str] = &["人", "个", "所", "户", "例", "张", "批次", "点次", "剂次"];

/// A value for reading: decimals by unit and size.
pub fn fmt_value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if COUNT_UNITS.contains(&unit) && (v - v.round()).abs() < 1e-9 {
        return group_thousands(&format!("{v:.0}"));
    }
    let a = v.abs();
    if a >= 1000.0 {
        group_thousands(&format!("{v:.0}"))
    } else if a >= 10.0 || unit == "%" {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A count (numerator, denominator): whole numbers grouped, others with 2 decimals.
pub fn fmt_count(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if (v - v.round()).abs() < 1e-9 {
        group_thousands(&format!("{v:.0}"))
    } else {
        format!("{v:.2}")
    }
}

fn group_thousands(s: &str) -> String {
    let (sign, digits) = match s.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", s),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map(|v| fmt_value(v, unit)).unwrap_or_else(|| "—".into())
}

/// The target of a target year as the plan states it (≥ 95, ≤ 10, 约 105, 103–107, …).
pub fn target_text(c: &CatalogueRow, p: Option<&ProgressRow>, year: i32) -> String {
    let u = c.unit.as_str();
    match c.target_kind.as_str() {
        "range" => match (c.target_low, c.target_high) {
            (Some(l), Some(h)) => format!("{}–{}", fmt_value(l, u), fmt_value(h, u)),
            _ => "—".into(),
        },
        "relative" => {
            let change = c
                .relative_change
                .map(|r| format!("较{}年{}{}%", c.baseline_year.unwrap_or(2020), if r < 0.0 { "下降" } else { "提高" }, fmt_value(r.abs() * 100.0, "%")));
            match (change, p.and_then(|p| p.target_value)) {
                (Some(ch), Some(g)) => format!("{ch}(≤ {})", fmt_value(g, u)),
                (Some(ch), None) => ch,
                (None, _) => "—".into(),
            }
        }
        "trend" => {
            let d = match c.direction.as_str() {
                "increase" => "逐步提高",
                "decrease" => "逐步降低",
                "maintain" => "保持",
                other => other,
            };
            format!("{d}(方向性)")
        }
        kind => match c.target(year).or_else(|| p.and_then(|p| p.target_value)) {
            Some(v) => {
                let op = match kind {
                    "at_least" => "≥ ",
                    "at_most" => "≤ ",
                    "about" => "约 ",
                    _ => "",
                };
                format!("{op}{}", fmt_value(v, u))
            }
            None => "—".into(),
        },
    }
}

/// A status badge (label in words, colour from the one labels table).
/// `obs_status` of a value withheld from the public export, and how the report shows it.
const WITHHELD: &str = "Q";
const WITHHELD_TEXT: &str = "—(不公开)";

fn badge(status: &str, prefix: &str) -> String {
    if status.is_empty() {
        // A progress row withheld from the public export.
        return format!("<span class=\"badge\">{}{WITHHELD_TEXT}</span>", esc(prefix));
    }
    let (bg, ink) = labels::find(labels::STATUSES, status).map(|l| (l.colour, l.ink)).unwrap_or(("#ffffff", "#000000"));
    format!(
        "<span class=\"badge\" data-status=\"{}\" style=\"background:{bg};color:{ink}\">{}{}</span>",
        esc(status),
        esc(prefix),
        esc(labels::status_zh(status))
    )
}

/// The warnings of a progress row explained in Chinese from its numbers (the table's
/// `warning_text` is the English sentence).
pub fn warning_explanation(c: &CatalogueRow, p: &ProgressRow) -> String {
    let u = c.unit.as_str();
    let target = target_text(c, Some(p), p.target_year);
    let mut parts: Vec<String> = Vec::new();
    for w in &p.warnings {
        let s = match w.as_str() {
            "projected_miss" => match p.projected_value {
                Some(v) => format!("按趋势预测{}年为 {},达不到目标({target})", p.target_year, fmt_value(v, u)),
                None => format!("按趋势预计{}年达不到目标({target})", p.target_year),
            },
            "deteriorating" => match (p.baseline_value, p.baseline_year, p.latest_value) {
                (Some(b), Some(by), Some(l)) => format!("较基期({by}年 {})更远离目标,最新 {}", fmt_value(b, u), fmt_value(l, u)),
                _ => "较基期更远离目标".to_string(),
            },
            "fluctuating" => "年际变化方向多次反转、幅度大于趋势,波动较大".to_string(),
            "regressed_after_meeting" => "此前曾达到目标,最新年份未达到".to_string(),
            "latest_missing" => "最新年份无数据,沿用此前的最新值".to_string(),
            "not_distinguishable" => match (p.latest_ci_low, p.latest_ci_high) {
                (Some(lo), Some(hi)) => format!("最新值的95%区间 {}–{} 包含目标值,与目标的差异不显著", fmt_value(lo, u), fmt_value(hi, u)),
                _ => "最新值的95%区间包含目标值,与目标的差异不显著".to_string(),
            },
            "no_data" => "尚无数据".to_string(),
            other => labels::warning_zh(other).to_string(),
        };
        parts.push(s);
    }
    let mut out = parts.join(";");
    if p.series.as_deref() == Some("pooled_3y") && !out.is_empty() {
        out.push_str("(事件数少,按3年合并率评估)");
    }
    out
}

fn warnings_text(p: &ProgressRow) -> String {
    p.warnings.iter().map(|w| esc(labels::warning_zh(w))).collect::<Vec<_>>().join("、")
}

fn sex_zh(s: &str) -> &str {
    labels::zh(labels::SEXES, s)
}

fn anchor(plan: &str, domain: &str) -> String {
    format!("sec-{}-{}", esc(plan), esc(domain))
}

const CSS: &str = r#"
:root { --cjk: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei", "Hiragino Sans GB", sans-serif; }
* { box-sizing: border-box; }
body { font-family: var(--cjk); color: #222; margin: 0 auto; max-width: 1100px; padding: 16px 24px; line-height: 1.5; font-size: 14px; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 19px; border-bottom: 2px solid #0072B2; padding-bottom: 3px; margin-top: 28px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: #555; font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 14px; font-size: 12.5px; }
th, td { border: 1px solid #bbb; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #eef3f8; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; white-space: nowrap; margin: 1px 0; }
.small { font-size: 11px; color: #555; }
.warn { color: #b34700; }
.charts { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }
.charts svg { border: 1px solid #ddd; max-width: 100%; height: auto; }
svg text { font-family: var(--cjk); }
.indicator { break-inside: avoid; page-break-inside: avoid; border-top: 1px dotted #ccc; padding-top: 4px; }
details summary { cursor: pointer; }
details .lineage { margin: 4px 0; font-size: 11.5px; }
.legend span { margin-right: 10px; }
.toc a { color: #0072B2; text-decoration: none; }
.print-only { display: none; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11.5px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .domain { break-before: page; page-break-before: always; }
  .annex { break-before: page; page-break-before: always; }
  .print-only { display: block; }
  .screen-only { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  .charts svg { border: none; }
}
"#;

/// Render the whole report.
pub fn render(m: &ReportModel) -> Result<Rendered, ReportError> {
    let mut h = String::with_capacity(1 << 20);
    let mut charts = 0usize;
    let title = format!("{}妇女儿童发展规划(2021—2030年){}({}年)", m.area.name, m.kind.zh(), m.year);
    h.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>{}</title>", esc(&title));
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    let path: Vec<String> = m.ancestors.iter().map(|a| a.name.clone()).chain(std::iter::once(m.area.name.clone())).collect();
    let _ = writeln!(
        h,
        "<p class=\"meta\">地区:{} ({}) · 报告年份:{} · 数据库版本 {} · 运行 {} · 数据截至 {} · 输入摘要 <code>{}</code></p>",
        esc(&path.join(" › ")),
        esc(&m.area.code),
        m.year,
        esc(&m.manifest.version),
        esc(&m.manifest.run_id),
        esc(&m.manifest.finished_at),
        esc(short(&m.manifest.inputs_digest, 16))
    );
    let assess = match m.kind {
        ReportKind::Annual => format!("{}年最新数据对照2025年和2030年目标", m.year),
        ReportKind::Midterm => "对照2025年目标评估进展,并给出2030年预测".to_string(),
        ReportKind::Final => "对照2030年目标评估".to_string(),
    };
    let _ = writeln!(h, "<p class=\"meta\">{} · 全部数据取自监测数据库(Parquet),不读取报表原件。</p>", esc(&assess));
    if let Some(py) = m.statuses_later() {
        let _ = writeln!(
            h,
            "<p class=\"notice warn\" id=\"as-of\">本报告的指标数值截至{y}年。进展状态、预警和预测是数据库按截至{py}年的数据评定的结果(数据库只保存最新一年的评估,本报告未按{y}年重新计算),表中标为“{py}年评定”;趋势图不画预测线。</p>",
            y = m.year
        );
    }
    if let Some(p) = &m.manifest.public_export {
        let n = |k: &str| p.get(k).and_then(|v| v.as_f64()).map(crate::util::fmt_num).unwrap_or_else(|| "—".into());
        let _ = writeln!(
            h,
            "<p class=\"note\"><strong>公开版。</strong>敏感计数(孕产妇死亡、艾滋病和梅毒感染、儿童伤害和溺水死亡、孤儿等)在乡镇一级小于{}的数值不予公开,可由合计推算出这些数值的其他数值也不予公开,表中显示为“—(不公开)”;依据这些数值计算的比率、进展状态和差距同样不公开。本版只取自公开数据表,不含报表、工作表和单元格出处。(不公开数值 {} 个,其中因推算保护而不公开 {} 个。)</p>",
            n("threshold"),
            p.get("primary_cells").and_then(|v| v.as_u64()).unwrap_or(0) + p.get("secondary_cells").and_then(|v| v.as_u64()).unwrap_or(0),
            n("secondary_cells")
        );
    }

    toc(&mut h, m);
    summary(&mut h, m);
    for (plan, domain, rows) in m.sections() {
        charts += domain_section(&mut h, m, plan, domain, &rows)?;
    }
    since_section(&mut h, m);
    quality_annex(&mut h, m);
    method_annex(&mut h, m);
    lineage_annex(&mut h, m);
    h.push_str("</body>\n</html>\n");
    Ok(Rendered { html: h, charts })
}

fn short(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map(|(i, _)| &s[..i]).unwrap_or(s)
}

fn toc(h: &mut String, m: &ReportModel) {
    h.push_str("<nav class=\"toc screen-only\"><h2>目录</h2><ol>\n<li><a href=\"#summary\">一、总体情况与预警</a></li>\n");
    for (plan, domain, rows) in m.sections() {
        let _ = writeln!(
            h,
            "<li><a href=\"#{}\">{} · {}</a> <span class=\"small\">({} 项指标)</span></li>",
            anchor(plan, domain),
            esc(labels::zh(labels::PLANS, plan)),
            esc(labels::zh(labels::DOMAINS, domain)),
            rows.len()
        );
    }
    h.push_str("<li><a href=\"#since\">数据更正情况</a></li>\n<li><a href=\"#quality\">附录一 数据质量</a></li>\n<li><a href=\"#method\">附录二 数据来源与方法</a></li>\n<li><a href=\"#lineage\">附录三 数据溯源</a></li>\n</ol></nav>\n");
}

fn summary(h: &mut String, m: &ReportModel) {
    let ty = m.kind.headline_target_year();
    h.push_str("<section id=\"summary\"><h2>一、总体情况与预警</h2>\n");
    // The early-warning list first.
    let warned = m.warning_rows();
    let _ = writeln!(h, "<h3>早期预警({} 条){}</h3>", warned.len(), m.statuses_later().map(|py| format!("(按{py}年数据评定)")).unwrap_or_default());
    if warned.is_empty() {
        h.push_str("<p>无预警。</p>\n");
    } else {
        let latest_head = m.statuses_later().map(|py| format!("{py}年评定所用最新值(年)")).unwrap_or_else(|| "最新值(年)".to_string());
        let _ = writeln!(h, "<table class=\"warnings\"><thead><tr><th>指标</th><th>性别</th><th>目标年</th><th>{latest_head}</th><th>目标</th><th>预测值</th><th>进展状态</th><th>预警</th><th>说明</th></tr></thead><tbody>");
        for p in warned {
            let Some(c) = m.indicator(&p.indicator) else { continue };
            let _ = writeln!(
                h,
                "<tr><td><a href=\"#ind-{}\">{} {}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"warn\">{}</td><td class=\"small\">{}</td></tr>",
                esc(&c.indicator),
                esc(&c.indicator),
                esc(&c.name_zh),
                esc(sex_zh(&p.sex)),
                p.target_year,
                opt(p.latest_value, &c.unit),
                p.latest_year.map(|y| format!("({y})")).unwrap_or_default(),
                esc(&target_text(c, Some(p), p.target_year)),
                opt(p.projected_value, &c.unit),
                badge(&p.status, ""),
                warnings_text(p),
                esc(&warning_explanation(c, p))
            );
        }
        h.push_str("</tbody></table>\n");
    }
    // Status counts per plan × domain.
    let counts = m.status_counts();
    let _ =
        writeln!(h, "<h3>各领域目标进展({ty}年目标;每项指标按合计口径计一次{})</h3>", m.statuses_later().map(|py| format!(";{py}年评定")).unwrap_or_default());
    h.push_str("<table class=\"status-counts\"><thead><tr><th>规划</th><th>领域</th><th>指标数</th>");
    for s in labels::STATUSES {
        let _ = write!(h, "<th>{}</th>", badge(s.code, ""));
    }
    h.push_str("<th>方向性目标</th></tr></thead><tbody>\n");
    let mut total: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut all, mut trend_all) = (0usize, 0usize);
    for (plan, domain, rows) in m.sections() {
        let c = counts.get(&(plan.to_string(), domain.to_string()));
        let assessed: usize = c.map(|c| c.values().sum()).unwrap_or(0);
        let trend = rows.len().saturating_sub(assessed);
        all += rows.len();
        trend_all += trend;
        let _ = write!(
            h,
            "<tr><td>{}</td><td><a href=\"#{}\">{}</a></td><td class=\"num\">{}</td>",
            esc(labels::zh(labels::PLANS, plan)),
            anchor(plan, domain),
            esc(labels::zh(labels::DOMAINS, domain)),
            rows.len()
        );
        for s in labels::STATUSES {
            let n = c.and_then(|c| c.get(s.code)).copied().unwrap_or(0);
            *total.entry(s.code).or_default() += n;
            let _ = write!(h, "<td class=\"num\">{}</td>", if n > 0 { n.to_string() } else { String::new() });
        }
        let _ = writeln!(h, "<td class=\"num\">{}</td></tr>", if trend > 0 { trend.to_string() } else { String::new() });
    }
    let _ = write!(h, "<tr><th colspan=\"2\">合计</th><th class=\"num\">{all}</th>");
    for s in labels::STATUSES {
        let _ = write!(h, "<th class=\"num\">{}</th>", total.get(s.code).copied().unwrap_or(0));
    }
    let _ = writeln!(h, "<th class=\"num\">{trend_all}</th></tr></tbody></table>");
    h.push_str("<p class=\"small\">“方向性目标”指规划只提出方向(如“逐步提高”)、没有量化目标值的指标,列出监测值但不评定进展状态。</p>\n</section>\n");
}

/// The in-table lineage of a latest value: its numerator and denominator, the areas
/// summed, and for each count the return, sheet and cell it came from.
fn lineage_details(h: &mut String, m: &ReportModel, c: &CatalogueRow, year: i32, sex: &str, shown: &str) {
    let Some(p) = m.value_at(&c.indicator, year, sex) else {
        h.push_str(shown);
        return;
    };
    let _ = write!(h, "<details><summary>{shown}</summary><div class=\"lineage\">");
    if let (Some(n), Some(d)) = (p.numerator, p.denominator) {
        let _ = write!(
            h,
            "分子 {} ({} 个地区合计) ÷ 分母 {} ({} 个地区合计)",
            fmt_count(n),
            p.numerator_areas.map(|x| x.to_string()).unwrap_or_else(|| "—".into()),
            fmt_count(d),
            p.denominator_areas.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
        );
        if let Some(f) = c.factor.filter(|f| (*f - 1.0).abs() > 1e-12) {
            let _ = write!(h, " × {}", fmt_count(f));
        }
        if let (Some(l), Some(hi)) = (p.ci_low, p.ci_high) {
            let _ = write!(h, ";95%区间 {}–{}", fmt_value(l, &c.unit), fmt_value(hi, &c.unit));
        }
        if p.small_count {
            let _ = write!(
                h,
                ";事件数少于20,采用{}—{}年合并率 {}",
                p.pooled_from_year.map(|y| y.to_string()).unwrap_or_default(),
                year,
                opt(p.pooled_value, &c.unit)
            );
        }
    } else if let (Some(v), Some(base)) = (p.value, &c.gap_of) {
        let _ = write!(h, "{} 农村减城镇 {}", esc(base), fmt_value(v, &c.unit));
        if let (Some(l), Some(hi)) = (p.ci_low, p.ci_high) {
            let _ = write!(h, ";95%区间 {}–{}", fmt_value(l, &c.unit), fmt_value(hi, &c.unit));
        }
    } else if let Some(v) = p.value {
        let _ = write!(h, "直接报告值 {}", fmt_value(v, &c.unit));
    }
    let _ = write!(h, "<br><a href=\"#lin-{}\">来源单元格见附录三</a>", esc(&c.indicator));
    let (num, den) = m.lineage_for(&c.indicator, year, sex, m.age_of(&c.indicator));
    lineage_table(h, m, "分子", &num);
    lineage_table(h, m, "分母", &den);
    h.push_str("</div></details>");
}

fn lineage_table(h: &mut String, m: &ReportModel, role: &str, rows: &[&LineageRow]) {
    if rows.is_empty() {
        return;
    }
    let _ = write!(h, "<table><thead><tr><th>{}</th><th>地区</th><th>数值</th><th>报表 · 工作表 · 单元格</th></tr></thead><tbody>", esc(role));
    let mut rows: Vec<&&LineageRow> = rows.iter().collect();
    // The area's own (summed) row first, then its children.
    rows.sort_by(|a, b| ((a.area != m.area.code), &a.data_element, &a.area).cmp(&((b.area != m.area.code), &b.data_element, &b.area)));
    for r in rows {
        let source = match (&r.source_file, &r.source_sheet, &r.source_cell) {
            (Some(f), s, c) => format!("{} · {} · {}", esc(f), esc(s.as_deref().unwrap_or("—")), esc(c.as_deref().unwrap_or("—"))),
            (None, _, _) if r.derived => match r.n_sources {
                Some(n) => format!("由 {n} 个下级地区的数值汇总"),
                None => "由报表数值推算".to_string(),
            },
            _ => "—".into(),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(r.data_element_name.as_deref().unwrap_or(&r.data_element)),
            esc(m.area_name(&r.area)),
            match (r.value, r.obs_status.as_deref()) {
                (None, Some(WITHHELD)) => WITHHELD_TEXT.to_string(),
                (v, _) => v.map(fmt_count).unwrap_or_else(|| "—".into()),
            },
            source
        );
    }
    h.push_str("</tbody></table>");
}

/// A chart that could not be drawn: said where it would be (the numbers are in the table below it).
fn chart_failed(h: &mut String, e: &ReportError) {
    tracing::warn!(error = %e, "chart not drawn");
    let _ = write!(h, "<p class=\"small warn\">图表无法绘制({}),数值见下表。</p>", esc(&e.to_string()));
}

fn domain_section(h: &mut String, m: &ReportModel, plan: &str, domain: &str, rows: &[&CatalogueRow]) -> Result<usize, ReportError> {
    let mut charts = 0;
    let _ = writeln!(
        h,
        "<section class=\"domain\" id=\"{}\"><h2>{} · {}</h2>",
        anchor(plan, domain),
        esc(labels::zh(labels::PLANS, plan)),
        esc(labels::zh(labels::DOMAINS, domain))
    );
    let as_of = m.statuses_later().map(|py| format!("<br><span class=\"small\">({py}年评定)</span>")).unwrap_or_default();
    let _ = writeln!(h, "<table class=\"indicators\"><thead><tr><th>指标</th><th>单位</th><th>基期值(年)</th><th>最新值(年)</th><th>2025年目标</th><th>2030年目标</th><th>进展状态{as_of}</th><th>预警说明{as_of}</th><th>责任单位</th></tr></thead><tbody>");
    for c in rows {
        let years = m.kind.assessed_target_years();
        let head_sex =
            m.progress_sexes(&c.indicator).into_iter().next().or_else(|| m.series_sexes(&c.indicator).into_iter().next()).unwrap_or_else(|| "_T".into());
        let p25 = m.progress_for(&c.indicator, &head_sex, 2025);
        let p30 = m.progress_for(&c.indicator, &head_sex, 2030);
        let any = p30.or(p25);
        // Baseline: the progress row's, else the series' value in the catalogue's baseline year.
        let (b_val, b_year) = match any.and_then(|p| p.baseline_value.map(|v| (v, p.baseline_year))) {
            Some((v, y)) => (Some(v), y),
            None => {
                let by = c.baseline_year.unwrap_or(2020);
                (m.value_at(&c.indicator, by, &head_sex).and_then(|p| p.value).or(c.baseline_value), Some(by))
            }
        };
        let last = m.series_for(&c.indicator, &head_sex).into_iter().rev().find(|p| p.value.is_some()).map(|p| (p.year, p.value, p.ci_low, p.ci_high));
        // The public report: the report year's value withheld (obs_status Q).
        let withheld = m.value_at(&c.indicator, m.year, &head_sex).filter(|p| p.obs_status.as_deref() == Some(WITHHELD)).map(|p| p.year);
        let latest_html = match (withheld, last) {
            (Some(y), _) => format!("{}<span class=\"small\">({y})</span>", WITHHELD_TEXT),
            (None, last) => match last {
                Some((y, Some(v), lo, hi)) => {
                    let mut shown = format!("{}<span class=\"small\">({y})</span>", fmt_value(v, &c.unit));
                    if c.is_rate() {
                        if let (Some(lo), Some(hi)) = (lo, hi) {
                            let _ = write!(shown, "<br><span class=\"small\">95%区间 {}–{}</span>", fmt_value(lo, &c.unit), fmt_value(hi, &c.unit));
                        }
                    }
                    // Small counts: the status is assessed on the 3-year pooled rate (and so is the baseline).
                    if let Some(p) = any.filter(|p| p.series.as_deref() == Some("pooled_3y")) {
                        if let Some(pv) = p.latest_value {
                            let _ = write!(shown, "<br><span class=\"small\">3年合并率 {}</span>", fmt_value(pv, &c.unit));
                        }
                    }
                    if head_sex != "_T" {
                        let _ = write!(shown, "<span class=\"small\">({})</span>", esc(sex_zh(&head_sex)));
                    }
                    let mut cell = String::new();
                    lineage_details(&mut cell, m, c, y, &head_sex, &shown);
                    cell
                }
                _ => "<span class=\"small\">无数据</span>".into(),
            },
        };
        let mut status = String::new();
        let mut warn = String::new();
        for ty in years {
            match m.progress_for(&c.indicator, &head_sex, *ty) {
                Some(p) => {
                    let prefix = if years.len() > 1 { format!("{ty}:") } else { String::new() };
                    status.push_str(&badge(&p.status, &prefix));
                    status.push_str("<br>");
                    if !p.warnings.is_empty() {
                        let _ = write!(
                            warn,
                            "<div>{}<span class=\"warn\">{}</span>{}</div>",
                            if years.len() > 1 { format!("{ty}:") } else { String::new() },
                            warnings_text(p),
                            p.projected_value.map(|v| format!("<span class=\"small\">(预测{ty}年 {})</span>", fmt_value(v, &c.unit))).unwrap_or_default()
                        );
                    }
                }
                None if c.target_kind == "trend" && !status.contains("方向性目标") => {
                    status.push_str("<span class=\"small\">方向性目标,不评定</span>");
                }
                None => {}
            }
        }
        if m.kind == ReportKind::Midterm {
            if let Some(v) = p30.and_then(|p| p.projected_value) {
                let _ = write!(warn, "<div class=\"small\">2030年预测 {}</div>", fmt_value(v, &c.unit));
            }
        }
        let _ = writeln!(
            h,
            "<tr id=\"row-{}\"><td><a href=\"#ind-{}\">{}</a> {}</td><td>{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.indicator),
            esc(&c.indicator),
            esc(&c.indicator),
            esc(&c.name_zh),
            esc(&c.unit),
            opt(b_val, &c.unit),
            match (b_val, b_year) {
                (Some(_), Some(y)) if any.is_some_and(|p| p.series.as_deref() == Some("pooled_3y")) => format!("<span class=\"small\">({y},合并率)</span>"),
                (Some(_), Some(y)) => format!("<span class=\"small\">({y})</span>"),
                _ => String::new(),
            },
            latest_html,
            esc(&target_text(c, p25, 2025)),
            esc(&target_text(c, p30, 2030)),
            status,
            warn,
            esc(c.responsible.as_deref().unwrap_or("—"))
        );
    }
    h.push_str("</tbody></table>\n");

    // A chart block per indicator with data.
    for c in rows {
        if !m.has_data(&c.indicator) {
            continue;
        }
        let _ = writeln!(h, "<div class=\"indicator\" id=\"ind-{}\"><h3>{} {}({})</h3>", esc(&c.indicator), esc(&c.indicator), esc(&c.name_zh), esc(&c.unit));
        h.push_str("<div class=\"charts\">");
        let sexes = m.series_sexes(&c.indicator);
        let by_sex: Vec<&str> = sexes.iter().map(String::as_str).filter(|s| *s == "F" || *s == "M").collect();
        // Women and men side by side where the data are by sex; else the total (or the one sex there is).
        let panels: Vec<&str> = if by_sex.len() == 2 { by_sex.clone() } else { sexes.iter().map(String::as_str).take(1).collect() };
        for s in &panels {
            let caption = format!("{}:{}", sex_zh(s), if by_sex.len() == 2 { "分性别" } else { "历年" });
            match charts::series_chart(m, &c.indicator, s, &caption) {
                Ok(Some(svg)) => {
                    h.push_str(&svg);
                    charts += 1;
                }
                Ok(None) => {}
                Err(e) => chart_failed(h, &e),
            }
        }
        let town_sex = if sexes.iter().any(|s| s == "_T") { "_T" } else { panels.first().copied().unwrap_or("_T") };
        match charts::towns_chart(m, &c.indicator, town_sex) {
            Ok(Some(svg)) => {
                h.push_str(&svg);
                charts += 1;
            }
            Ok(None) => {}
            Err(e) => chart_failed(h, &e),
        }
        h.push_str("</div>");
        // The charted numbers, as the table under the chart.
        let mut years: Vec<i32> = m.series.iter().filter(|p| p.indicator == c.indicator && p.value.is_some()).map(|p| p.year).collect();
        years.sort();
        years.dedup();
        let _ = write!(h, "<table class=\"series\"><thead><tr><th>性别</th>");
        for y in &years {
            let _ = write!(h, "<th class=\"num\">{y}</th>");
        }
        h.push_str("</tr></thead><tbody>");
        for s in &sexes {
            let _ = write!(h, "<tr><td>{}</td>", esc(sex_zh(s)));
            for y in &years {
                let v = m.value_at(&c.indicator, *y, s);
                let _ = write!(h, "<td class=\"num\">{}</td>", opt(v.and_then(|p| p.value), &c.unit));
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table>");
        if let Some(p) = m.headline_progress(&c.indicator, m.kind.headline_target_year()) {
            if p.series.as_deref() == Some("pooled_3y") {
                h.push_str("<p class=\"small\">事件数较少(某年少于20例),进展评估采用3年合并率。</p>");
            }
            let t = warning_explanation(c, p);
            if !t.is_empty() {
                let as_of = m.statuses_later().map(|py| format!(",{py}年评定")).unwrap_or_default();
                let _ = write!(h, "<p class=\"small warn\">预警({}年目标{as_of}):{}</p>", p.target_year, esc(&t));
            }
        }
        h.push_str("</div>\n");
    }
    h.push_str("</section>\n");
    Ok(charts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_markup_as_text() {
        assert_eq!(esc("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(esc("\"><img onerror=x>"), "&quot;&gt;&lt;img onerror=x&gt;");
        assert_eq!(esc("a&b'c"), "a&amp;b&#39;c");
    }

    #[test]
    fn values_are_formatted_by_unit() {
        assert_eq!(fmt_value(12345.0, "人"), "12,345");
        assert_eq!(fmt_value(98.456, "%"), "98.5");
        assert_eq!(fmt_value(4.123, "‰"), "4.12");
        assert_eq!(fmt_count(1234567.0), "1,234,567");
        assert_eq!(fmt_count(-1234.0), "-1,234");
        assert_eq!(fmt_value(f64::NAN, "%"), "—");
    }
}
