//! The report's Excel workbook, from the same [`ReportModel`] as the HTML.
//!
//! Sheets: 说明 (the data cut-off from the manifest), 预警 (the early-warning
//! list), one sheet per plan × domain with the HTML's indicator table (名称, 单位,
//! 基期值(年), 最新值(年), 95% 区间, 2025/2030 目标, 进展状态, 预警说明, 责任单位)
//! and under it a native Excel line chart per indicator with data (its series by
//! sex against the target lines), 数据质量 (returns and findings per body, the
//! cells to check, indicators without data), and 图表数据 (the numbers the charts
//! draw). Headers are frozen; numbers carry a format by unit.
//!
//! Text that comes from returns (file and sheet names, labels, messages, observed
//! values) is written with `write_string` only, so `=…`, `+…`, `-…`, `@…` stay
//! text and are never evaluated. The document's creation time is the manifest's,
//! so the same database gives the same bytes.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Chart, ChartLegendPosition, ChartLine, ChartLineDashType, ChartMarker, ChartType, Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder,
    Workbook, Worksheet, XlsxError,
};

use super::html::target_text;
use super::model::{CatalogueRow, ReportError, ReportKind, ReportModel};
use crate::commands::template::sheet_name;
use crate::labels;

/// What the workbook holds (for the command's summary and the tests).
#[derive(Debug, Clone, Default)]
pub struct WorkbookFacts {
    pub sheets: Vec<String>,
    pub charts: usize,
}

fn xerr(path: &Path) -> impl Fn(XlsxError) -> ReportError + '_ {
    move |e| ReportError::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) }
}

/// Write the workbook to `path` (through a temporary file and a rename).
pub fn write(m: &ReportModel, path: &Path) -> Result<PathBuf, ReportError> {
    let (bytes, _) = render(m).map_err(xerr(path))?;
    super::write_file(path, &bytes)?;
    Ok(path.to_path_buf())
}

/// Excel's limit for the text of a cell is 32,767 characters.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(32_000) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A sheet name Excel opens without repair: [`sheet_name`], no apostrophe at either end,
/// not the reserved `History`, none empty, and unique ignoring case among `taken`
/// (and the fixed sheets written after the domain sheets) — a ` (2)`, ` (3)` … when taken.
fn unique_sheet_name(s: &str, taken: &[String]) -> String {
    let base: String = sheet_name(s).trim_matches('\'').to_string();
    let base = if base.is_empty() || base.eq_ignore_ascii_case("history") { format!("表{base}") } else { base };
    let free = |n: &str| !taken.iter().chain([&"数据质量".to_string(), &CHART_DATA.to_string()]).any(|t| t.to_lowercase() == n.to_lowercase());
    let mut name = base.clone();
    let mut k = 2;
    while !free(&name) {
        let suffix = format!(" ({k})");
        name = format!("{}{suffix}", base.chars().take(31 - suffix.chars().count()).collect::<String>());
        k += 1;
    }
    name
}

/// The number format of a value in `unit`.
pub fn num_format(unit: &str) -> &'static str {
    match unit {
        "%" | "1/10万" | "岁" | "年" => "0.0",
        "‰" => "0.00",
        "人" | "个" | "所" | "户" | "例" | "张" | "批次" | "点次" | "剂次" | "天" => "#,##0",
        _ => "0.00",
    }
}

struct Styles {
    title: Format,
    note: Format,
    header: Format,
    text: Format,
    wrap: Format,
    int: Format,
}

impl Styles {
    fn new() -> Styles {
        let b = FormatBorder::Thin;
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            note: Format::new().set_font_color(Color::RGB(0x555555)),
            header: Format::new().set_bold().set_border(b).set_text_wrap().set_align(FormatAlign::Center).set_background_color(Color::RGB(0xD9D9D9)),
            text: Format::new().set_border(b),
            wrap: Format::new().set_border(b).set_text_wrap().set_align(FormatAlign::Top),
            int: Format::new().set_border(b).set_num_format("0"),
        }
    }

    fn num(&self, unit: &str) -> Format {
        Format::new().set_border(FormatBorder::Thin).set_num_format(num_format(unit))
    }

    /// A status cell: the label's colours from the one labels table.
    fn status(&self, code: &str) -> Format {
        match labels::find(labels::STATUSES, code) {
            Some(l) if !l.colour.is_empty() => {
                let hex = |s: &str| u32::from_str_radix(s.trim_start_matches('#'), 16).unwrap_or(0xFFFFFF);
                self.text.clone().set_background_color(Color::RGB(hex(l.colour))).set_font_color(Color::RGB(hex(l.ink)))
            }
            _ => self.text.clone(),
        }
    }
}

fn put_str(ws: &mut Worksheet, r: u32, c: u16, s: &str, f: &Format) -> Result<(), XlsxError> {
    ws.write_string_with_format(r, c, clip(s), f).map(|_| ())
}

fn put_num(ws: &mut Worksheet, r: u32, c: u16, v: Option<f64>, f: &Format, blank: &Format) -> Result<(), XlsxError> {
    match v {
        Some(v) if v.is_finite() => ws.write_number_with_format(r, c, v, f).map(|_| ()),
        _ => ws.write_blank(r, c, blank).map(|_| ()),
    }
}

fn header(ws: &mut Worksheet, r: u32, cols: &[(&str, f64)], st: &Styles) -> Result<(), XlsxError> {
    for (i, (h, w)) in cols.iter().enumerate() {
        ws.write_string_with_format(r, i as u16, *h, &st.header)?;
        ws.set_column_width(i as u16, *w)?;
    }
    Ok(())
}

fn sex_zh(s: &str) -> &str {
    labels::zh(labels::SEXES, s)
}

fn warnings_zh(codes: &[String]) -> String {
    codes.iter().map(|w| labels::warning_zh(w)).collect::<Vec<_>>().join("、")
}

/// The headline sex of an indicator (as the HTML table shows it).
fn head_sex(m: &ReportModel, c: &CatalogueRow) -> String {
    m.progress_sexes(&c.indicator).into_iter().next().or_else(|| m.series_sexes(&c.indicator).into_iter().next()).unwrap_or_else(|| "_T".into())
}

/// The creation time written in the document: the run's, from the manifest.
fn created(m: &ReportModel) -> ExcelDateTime {
    let from = |s: &str| s.get(..19).and_then(|t| ExcelDateTime::parse_from_str(t).ok());
    from(&m.manifest.finished_at)
        .or_else(|| from(&m.manifest.started_at))
        .or_else(|| ExcelDateTime::from_ymd(2021, 1, 1).ok())
        .unwrap_or_else(|| ExcelDateTime::from_serial_datetime(44197.0).unwrap_or_default())
}

/// The workbook's bytes, and what it holds.
pub fn render(m: &ReportModel) -> Result<(Vec<u8>, WorkbookFacts), XlsxError> {
    let st = Styles::new();
    let mut wb = Workbook::new();
    let title = format!("{}{}年{}", m.area.name, m.year, m.kind.zh());
    wb.set_properties(
        &DocProperties::new()
            .set_title(&title)
            .set_author("wcmon")
            .set_comment(format!("数据库版本 {}，运行 {}", m.manifest.version, m.manifest.run_id))
            .set_creation_datetime(&created(m)),
    );
    let mut facts = WorkbookFacts::default();

    // 说明: what the workbook is, and the data cut-off.
    {
        let ws = wb.add_worksheet();
        ws.set_name("说明")?;
        put_str(ws, 0, 0, &title, &st.title)?;
        let mut rows: Vec<(&str, String)> = vec![
            ("地区", format!("{}（{}）", m.area.name, m.area.code)),
            ("报告年份", m.year.to_string()),
            ("报告类型", m.kind.zh().to_string()),
            ("数据库版本", m.manifest.version.clone()),
            ("运行编号", m.manifest.run_id.clone()),
            ("数据截至（运行完成时间）", m.manifest.finished_at.clone()),
            ("输入文件摘要", m.manifest.inputs_digest.clone()),
            ("输入文件数", m.manifest.files.to_string()),
            ("工具版本", format!("{} {}", m.manifest.tool, m.manifest.tool_version)),
        ];
        if let Some(py) = m.statuses_later() {
            rows.insert(2, ("进展状态评定年份", format!("{py}（数据库只保存最新一年的评估，未按{}年重新计算）", m.year)));
        }
        for (i, (k, v)) in rows.iter().enumerate() {
            put_str(ws, 2 + i as u32, 0, k, &st.header)?;
            put_str(ws, 2 + i as u32, 1, v, &st.text)?;
        }
        let r = 3 + rows.len() as u32;
        let lines = [
            "各领域工作表：每项指标一行（名称、单位、基期值、最新值及其95%区间、2025/2030年目标、进展状态、预警说明、责任单位），表下为各指标的趋势图（按性别分列，虚线为目标值）。",
            "比率由各地区分子、分母分别汇总后相除，不对下级比率取平均；95%区间：计数类用精确泊松区间，比例类用 Wilson 区间。",
            "预警：早期预警清单（预计难以完成、波动较大、倒退、最新年份缺数等）。数据质量：各报送单位的报表、错误和警告及需核实的单元格，以及无数据的指标。",
            "图表数据：趋势图所用的数值。",
        ];
        for (i, l) in lines.iter().enumerate() {
            put_str(ws, r + i as u32, 0, l, &st.note)?;
        }
        ws.set_column_width(0, 26)?;
        ws.set_column_width(1, 70)?;
        facts.sheets.push("说明".into());
    }

    // 预警.
    let status_head = as_of("进展状态", m);
    {
        let ws = wb.add_worksheet();
        ws.set_name("预警")?;
        put_str(ws, 0, 0, &format!("{title} · 早期预警{}", m.statuses_later().map(|py| format!("（按{py}年数据评定）")).unwrap_or_default()), &st.title)?;
        let cols = [
            ("指标代码", 9.0),
            ("名称", 36.0),
            ("性别", 6.0),
            ("年龄组", 9.0),
            ("目标年", 7.0),
            ("最新值", 10.0),
            ("最新年", 7.0),
            ("目标", 14.0),
            ("预测值", 10.0),
            (status_head.as_str(), 11.0),
            ("预警", 22.0),
            ("说明", 70.0),
        ];
        header(ws, 2, &cols, &st)?;
        for (i, p) in m.warning_rows().iter().enumerate() {
            let r = 3 + i as u32;
            let c = m.indicator(&p.indicator);
            let unit = c.map(|c| c.unit.as_str()).unwrap_or("");
            let nf = st.num(unit);
            put_str(ws, r, 0, &p.indicator, &st.text)?;
            put_str(ws, r, 1, c.map(|c| c.name_zh.as_str()).unwrap_or(""), &st.text)?;
            put_str(ws, r, 2, sex_zh(&p.sex), &st.text)?;
            put_str(ws, r, 3, &p.age, &st.text)?;
            ws.write_number_with_format(r, 4, p.target_year as f64, &st.int)?;
            put_num(ws, r, 5, p.latest_value, &nf, &st.text)?;
            put_num(ws, r, 6, p.latest_year.map(f64::from), &st.int, &st.text)?;
            put_str(ws, r, 7, &c.map(|c| target_text(c, Some(p), p.target_year)).unwrap_or_default(), &st.text)?;
            put_num(ws, r, 8, p.projected_value, &nf, &st.text)?;
            put_str(ws, r, 9, labels::status_zh(&p.status), &st.status(&p.status))?;
            put_str(ws, r, 10, &warnings_zh(&p.warnings), &st.text)?;
            put_str(ws, r, 11, p.warning_text.as_deref().unwrap_or(""), &st.wrap)?;
        }
        ws.set_freeze_panes(3, 2)?;
        facts.sheets.push("预警".into());
    }

    // One sheet per plan × domain; the charts' numbers go to 图表数据 (added last).
    let mut data = ChartData::default();
    for (plan, domain, rows) in m.sections() {
        let name = unique_sheet_name(&format!("{}-{}", short_plan(plan), labels::zh(labels::DOMAINS, domain)), &facts.sheets);
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        facts.charts += domain_sheet(ws, m, plan, domain, &rows, &st, &mut data, &title)?;
        facts.sheets.push(name);
    }

    // 数据质量.
    {
        let ws = wb.add_worksheet();
        ws.set_name("数据质量")?;
        quality_sheet(ws, m, &st, &title)?;
        facts.sheets.push("数据质量".into());
    }

    // 图表数据.
    {
        let ws = wb.add_worksheet();
        ws.set_name(CHART_DATA)?;
        for (r, c, v) in &data.cells {
            match v {
                Cell::Text(s) => put_str(ws, *r, *c, s, &st.text)?,
                Cell::Num(x, unit) => put_num(ws, *r, *c, *x, &st.num(unit), &st.text)?,
            }
        }
        ws.set_column_width(0, 12)?;
        facts.sheets.push(CHART_DATA.into());
    }
    Ok((wb.save_to_buffer()?, facts))
}

const CHART_DATA: &str = "图表数据";

fn short_plan(plan: &str) -> &str {
    match plan {
        "women" => "妇女",
        "children" => "儿童",
        other => labels::zh(labels::PLANS, other),
    }
}

enum Cell {
    Text(String),
    Num(Option<f64>, String),
}

/// The cells of the 图表数据 sheet, filled block by block as the domain sheets are written.
#[derive(Default)]
struct ChartData {
    cells: Vec<(u32, u16, Cell)>,
    next_row: u32,
}

/// Status and warnings of an indicator for the assessed target years, as text.
fn status_and_warnings(m: &ReportModel, c: &CatalogueRow, sex: &str) -> (String, Option<String>, String) {
    let years = m.kind.assessed_target_years();
    let mut status = Vec::new();
    let mut first_status = None;
    let mut warn = Vec::new();
    for ty in years {
        if let Some(p) = m.progress_for(&c.indicator, sex, *ty) {
            let prefix = if years.len() > 1 { format!("{ty}：") } else { String::new() };
            status.push(format!("{prefix}{}", labels::status_zh(&p.status)));
            first_status.get_or_insert_with(|| p.status.clone());
            if !p.warnings.is_empty() {
                let mut w = format!("{prefix}{}", warnings_zh(&p.warnings));
                if let Some(t) = &p.warning_text {
                    w.push_str(&format!("（{t}）"));
                }
                warn.push(w);
            }
        } else if c.target_kind == "trend" && status.is_empty() {
            status.push("方向性目标，不评定".into());
        }
    }
    if m.kind == ReportKind::Midterm {
        if let Some(v) = m.progress_for(&c.indicator, sex, 2030).and_then(|p| p.projected_value) {
            warn.push(format!("2030年预测 {}", super::html::fmt_value(v, &c.unit)));
        }
    }
    (status.join("；"), first_status, warn.join("；"))
}

#[allow(clippy::too_many_arguments)]
fn domain_sheet(
    ws: &mut Worksheet,
    m: &ReportModel,
    plan: &str,
    domain: &str,
    rows: &[&CatalogueRow],
    st: &Styles,
    data: &mut ChartData,
    title: &str,
) -> Result<usize, XlsxError> {
    put_str(ws, 0, 0, &format!("{title} · {} · {}", labels::zh(labels::PLANS, plan), labels::zh(labels::DOMAINS, domain)), &st.title)?;
    let mut note = format!("数据库版本 {}；最新值为最近一个有数据的年份；状态按{}评定。", m.manifest.version, assessed_text(m.kind));
    if let Some(py) = m.statuses_later() {
        note.push_str(&format!("数值截至{}年；进展状态和预警说明是数据库按截至{py}年的数据评定的结果（未按{}年重新计算）。", m.year, m.year));
    }
    put_str(ws, 1, 0, &note, &st.note)?;
    let (status_head, warn_head) = (as_of("进展状态", m), as_of("预警说明", m));
    let cols = [
        ("指标代码", 9.0),
        ("名称", 36.0),
        ("单位", 8.0),
        ("性别", 6.0),
        ("基期值", 10.0),
        ("基期年", 7.0),
        ("最新值", 10.0),
        ("最新年", 7.0),
        ("95%区间下限", 10.0),
        ("95%区间上限", 10.0),
        ("2025年目标", 13.0),
        ("2030年目标", 13.0),
        (status_head.as_str(), 16.0),
        (warn_head.as_str(), 50.0),
        ("责任单位", 24.0),
    ];
    header(ws, 3, &cols, st)?;
    let mut with_data: Vec<(&CatalogueRow, String)> = Vec::new();
    for (i, c) in rows.iter().enumerate() {
        let r = 4 + i as u32;
        let sex = head_sex(m, c);
        let nf = st.num(&c.unit);
        let p = m.progress_for(&c.indicator, &sex, 2030).or_else(|| m.progress_for(&c.indicator, &sex, 2025));
        let (b_val, b_year) = match p.and_then(|p| p.baseline_value.map(|v| (v, p.baseline_year))) {
            Some((v, y)) => (Some(v), y),
            None => {
                let by = c.baseline_year.unwrap_or(2020);
                (m.value_at(&c.indicator, by, &sex).and_then(|p| p.value).or(c.baseline_value), Some(by))
            }
        };
        let last = m.series_for(&c.indicator, &sex).into_iter().rev().find(|p| p.value.is_some());
        put_str(ws, r, 0, &c.indicator, &st.text)?;
        put_str(ws, r, 1, &c.name_zh, &st.wrap)?;
        put_str(ws, r, 2, &c.unit, &st.text)?;
        put_str(ws, r, 3, sex_zh(&sex), &st.text)?;
        put_num(ws, r, 4, b_val, &nf, &st.text)?;
        put_num(ws, r, 5, b_val.and(b_year).map(f64::from), &st.int, &st.text)?;
        // The public report: the report year's value withheld (obs_status Q) is said, not replaced by an older one.
        let withheld = m.value_at(&c.indicator, m.year, &sex).filter(|p| p.obs_status.as_deref() == Some("Q"));
        let last = if withheld.is_some() { withheld } else { last };
        match withheld {
            Some(_) => put_str(ws, r, 6, "—(不公开)", &st.text)?,
            None => put_num(ws, r, 6, last.and_then(|p| p.value), &nf, &st.text)?,
        }
        put_num(ws, r, 7, last.map(|p| f64::from(p.year)), &st.int, &st.text)?;
        let ci = |f: fn(&super::model::SeriesPoint) -> Option<f64>| if c.is_rate() { last.and_then(f) } else { None };
        put_num(ws, r, 8, ci(|p| p.ci_low), &nf, &st.text)?;
        put_num(ws, r, 9, ci(|p| p.ci_high), &nf, &st.text)?;
        put_str(ws, r, 10, &target_text(c, m.progress_for(&c.indicator, &sex, 2025), 2025), &st.text)?;
        put_str(ws, r, 11, &target_text(c, m.progress_for(&c.indicator, &sex, 2030), 2030), &st.text)?;
        let (status, first, warn) = status_and_warnings(m, c, &sex);
        let sf = first.as_deref().map(|s| st.status(s)).unwrap_or_else(|| st.text.clone());
        put_str(ws, r, 12, &status, &sf)?;
        put_str(ws, r, 13, &warn, &st.wrap)?;
        put_str(ws, r, 14, c.responsible.as_deref().unwrap_or(""), &st.text)?;
        if m.has_data(&c.indicator) {
            with_data.push((c, sex));
        }
    }
    ws.set_freeze_panes(4, 2)?;
    // The charts under the table, two a row.
    let top = 4 + rows.len() as u32 + 2;
    let mut charts = 0;
    for (i, (c, sex)) in with_data.iter().enumerate() {
        if let Some(chart) = trend_chart(m, c, sex, data)? {
            let (r, col) = (top + (i as u32 / 2) * 16, if i % 2 == 0 { 0 } else { 6 });
            ws.insert_chart(r, col, &chart)?;
            charts += 1;
        }
    }
    Ok(charts)
}

/// A status column's header: with the year of the assessment when it is later than the report's.
fn as_of(head: &str, m: &ReportModel) -> String {
    match m.statuses_later() {
        Some(py) => format!("{head}（{py}年评定）"),
        None => head.to_string(),
    }
}

fn assessed_text(k: ReportKind) -> &'static str {
    match k {
        ReportKind::Annual => "2025年和2030年目标",
        ReportKind::Midterm => "2025年目标（并给出2030年预测）",
        ReportKind::Final => "2030年目标",
    }
}

/// A line chart of an indicator's series by year (the headline sex, and women and
/// men beside it when the data are by sex) against its 2025 and 2030 targets.
/// Its numbers are written to 图表数据 first.
fn trend_chart(m: &ReportModel, c: &CatalogueRow, head: &str, data: &mut ChartData) -> Result<Option<Chart>, XlsxError> {
    let mut sexes = vec![head.to_string()];
    if head == "_T" {
        for s in m.series_sexes(&c.indicator) {
            if s != "_T" && !sexes.contains(&s) {
                sexes.push(s);
            }
        }
    }
    let series: Vec<(String, Vec<&super::model::SeriesPoint>)> =
        sexes.into_iter().map(|s| (s.clone(), m.series_for(&c.indicator, &s))).filter(|(_, v)| v.iter().any(|p| p.value.is_some())).collect();
    if series.is_empty() {
        return Ok(None);
    }
    let mut years: Vec<i32> = series.iter().flat_map(|(_, v)| v.iter().map(|p| p.year)).collect();
    years.sort();
    years.dedup();
    let targets: Vec<(String, f64)> = [2025, 2030]
        .iter()
        .filter_map(|&ty| {
            let p = m.progress_for(&c.indicator, head, ty);
            let v = match c.target_kind.as_str() {
                "range" | "trend" => None,
                _ => c.target(ty).or_else(|| p.and_then(|p| p.target_value)),
            };
            v.map(|v| (format!("{ty}年目标"), v))
        })
        .chain(match (c.target_kind.as_str(), c.target_low, c.target_high) {
            ("range", Some(l), Some(h)) => vec![("目标下限".to_string(), l), ("目标上限".to_string(), h)],
            _ => vec![],
        })
        .collect();
    // The block: a title row, a header row, a row per year.
    let r0 = data.next_row;
    let unit = c.unit.clone();
    data.cells.push((r0, 0, Cell::Text(format!("{} {}（{}）", c.indicator, c.name_zh, c.unit))));
    data.cells.push((r0 + 1, 0, Cell::Text("年份".into())));
    for (j, (s, _)) in series.iter().enumerate() {
        data.cells.push((r0 + 1, 1 + j as u16, Cell::Text(sex_zh(s).to_string())));
    }
    let tcol = 1 + series.len() as u16;
    for (j, (name, _)) in targets.iter().enumerate() {
        data.cells.push((r0 + 1, tcol + j as u16, Cell::Text(name.clone())));
    }
    for (i, y) in years.iter().enumerate() {
        let r = r0 + 2 + i as u32;
        data.cells.push((r, 0, Cell::Text(y.to_string())));
        for (j, (_, pts)) in series.iter().enumerate() {
            let v = pts.iter().find(|p| p.year == *y).and_then(|p| p.value);
            data.cells.push((r, 1 + j as u16, Cell::Num(v, unit.clone())));
        }
        for (j, (_, v)) in targets.iter().enumerate() {
            data.cells.push((r, tcol + j as u16, Cell::Num(Some(*v), unit.clone())));
        }
    }
    let (first, last) = (r0 + 2, r0 + 1 + years.len() as u32);
    data.next_row = last + 2;

    let mut chart = Chart::new(ChartType::Line);
    chart.title().set_name(&format!("{} {}", c.indicator, c.name_zh));
    chart.x_axis().set_name("年份");
    chart.y_axis().set_name(c.unit.as_str()).set_num_format(num_format(&c.unit));
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.set_width(480).set_height(300);
    let colour = |s: &str| match s {
        "F" => 0xD55E00,
        "M" => 0x009E73,
        _ => 0x0072B2,
    };
    for (j, (s, _)) in series.iter().enumerate() {
        let col = 1 + j as u16;
        chart
            .add_series()
            .set_name((CHART_DATA, r0 + 1, col))
            .set_categories((CHART_DATA, first, 0, last, 0))
            .set_values((CHART_DATA, first, col, last, col))
            .set_marker(ChartMarker::new().set_automatic())
            .set_format(ChartLine::new().set_color(Color::RGB(colour(s))).set_width(2.0));
    }
    for (j, _) in targets.iter().enumerate() {
        let col = tcol + j as u16;
        let (dash, rgb) = if j % 2 == 0 { (ChartLineDashType::Dash, 0xE69F00) } else { (ChartLineDashType::LongDash, 0x555555) };
        chart
            .add_series()
            .set_name((CHART_DATA, r0 + 1, col))
            .set_categories((CHART_DATA, first, 0, last, 0))
            .set_values((CHART_DATA, first, col, last, col))
            .set_marker(ChartMarker::new().set_none())
            .set_format(ChartLine::new().set_color(Color::RGB(rgb)).set_dash_type(dash).set_width(1.5));
    }
    Ok(Some(chart))
}

fn quality_sheet(ws: &mut Worksheet, m: &ReportModel, st: &Styles, title: &str) -> Result<(), XlsxError> {
    let q = &m.quality;
    put_str(ws, 0, 0, &format!("{title} · 数据质量"), &st.title)?;
    put_str(ws, 1, 0, &format!("{}年的报表；另有 {} 条提示（各报表自带的合计行/列等，不入库）。", m.year, q.info_count), &st.note)?;
    let cols = [
        ("报送单位", 14.0),
        ("报表数", 8.0),
        ("已载入", 8.0),
        ("已被更正", 8.0),
        ("读取失败或无法识别", 10.0),
        ("读取单元格", 10.0),
        ("入库数值", 10.0),
        ("拒收数值", 10.0),
        ("错误", 8.0),
        ("警告", 8.0),
        ("提示", 8.0),
    ];
    header(ws, 3, &cols, st)?;
    let mut r = 4;
    for b in &q.bodies {
        put_str(ws, r, 0, &b.reporter, &st.text)?;
        let nums =
            [b.returns as f64, b.loaded as f64, b.superseded as f64, b.failed as f64, b.cells_read as f64, b.values_landed as f64, b.values_rejected as f64];
        for (j, v) in nums.iter().enumerate() {
            ws.write_number_with_format(r, 1 + j as u16, *v, &st.int)?;
        }
        for (j, v) in [b.errors, b.warnings, b.info].iter().enumerate() {
            ws.write_number_with_format(r, 8 + j as u16, *v as f64, &st.int)?;
        }
        r += 1;
    }
    ws.set_freeze_panes(4, 1)?;

    r += 1;
    put_str(ws, r, 0, &format!("需核实的单元格（错误和警告，{} 条）", q.issues.len()), &st.title)?;
    r += 1;
    for (i, h) in ["报送单位", "级别", "文件", "工作表", "单元格", "规则", "说明", "观测值", "期望值"].iter().enumerate() {
        ws.write_string_with_format(r, i as u16, *h, &st.header)?;
    }
    r += 1;
    for is in &q.issues {
        let cells = [
            is.reporter.as_deref().unwrap_or(""),
            labels::zh(labels::SEVERITIES, &is.severity),
            is.source_file.as_deref().unwrap_or(""),
            is.source_sheet.as_deref().unwrap_or(""),
            is.source_cell.as_deref().unwrap_or(""),
            &is.rule,
            &is.message,
            is.observed.as_deref().unwrap_or(""),
            is.expected.as_deref().unwrap_or(""),
        ];
        for (j, s) in cells.iter().enumerate() {
            put_str(ws, r, j as u16, s, if j == 6 { &st.wrap } else { &st.text })?;
        }
        r += 1;
    }

    r += 1;
    put_str(ws, r, 0, &format!("无数据的指标（{} 项）", q.no_data.len()), &st.title)?;
    r += 1;
    for (i, h) in ["指标代码", "名称", "规划", "领域", "责任单位"].iter().enumerate() {
        ws.write_string_with_format(r, i as u16, *h, &st.header)?;
    }
    r += 1;
    for code in &q.no_data {
        let c = m.indicator(code);
        put_str(ws, r, 0, code, &st.text)?;
        put_str(ws, r, 1, c.map(|c| c.name_zh.as_str()).unwrap_or(""), &st.text)?;
        put_str(ws, r, 2, c.map(|c| labels::zh(labels::PLANS, &c.plan)).unwrap_or(""), &st.text)?;
        put_str(ws, r, 3, c.map(|c| labels::zh(labels::DOMAINS, &c.domain)).unwrap_or(""), &st.text)?;
        put_str(ws, r, 4, c.and_then(|c| c.responsible.as_deref()).unwrap_or(""), &st.text)?;
        r += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats_by_unit() {
        assert_eq!(num_format("%"), "0.0");
        assert_eq!(num_format("‰"), "0.00");
        assert_eq!(num_format("人"), "#,##0");
        assert_eq!(num_format("万元"), "0.00");
    }

    #[test]
    fn long_text_is_clipped_to_excels_limit() {
        let s = "字".repeat(40_000);
        assert_eq!(clip(&s).chars().count(), 32_000);
        assert_eq!(clip("=1+1"), "=1+1");
    }

    #[test]
    fn sheet_names_fit_excel() {
        assert_eq!(sheet_name("妇女-健康"), "妇女-健康");
        assert_eq!(sheet_name("a[b]:c*?/\\d"), "abcd");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
        let taken = vec!["说明".to_string(), "预警".to_string(), "妇女-健康".to_string(), "x".repeat(31)];
        assert_eq!(unique_sheet_name("妇女-健康", &taken), "妇女-健康 (2)");
        assert_eq!(unique_sheet_name("妇女-教育", &taken), "妇女-教育");
        assert_eq!(unique_sheet_name(&"X".repeat(40), &taken), format!("{} (2)", "X".repeat(27)));
        assert_eq!(unique_sheet_name("数据质量", &taken), "数据质量 (2)");
        assert_eq!(unique_sheet_name("'History'", &taken), "表History");
        assert_eq!(unique_sheet_name("[]", &taken), "表");
    }
}
