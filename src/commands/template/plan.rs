//! Planning a form's workbook(s): the sheets, their header cells (merged over the
//! form's header rows), the area or item rows, the value cells and their kinds.

use super::cells::{age_label, breakdowns, sex_label, value_kind};
use super::notes::{instructions, notes};
use super::{children, sanitize, sheet_name, BookPlan, CellStyle, SheetPlan, TextCell, ValueKind};
use crate::config::forms::{AreaFrom, ColRef, Dims, Layout, YearFrom};
use crate::config::{Area, Config, DataElement, Form};
use crate::vocab::clean::normalise_label;

/// A column of a grid: its header path and what its cells hold.
#[derive(Debug, Clone)]
struct Col {
    path: Vec<String>,
    what: ColWhat,
}

#[derive(Debug, Clone)]
enum ColWhat {
    /// The label column (areas or items).
    Label,
    /// An annotation column (序号, 单位 …): not read.
    Annot,
    /// A value column with its dims (merged with [fixed]).
    Value(Dims),
    /// An area as a column (area.from = "columns").
    Area,
}

/// The header cells of `cols` over `levels` rows from `top`: a label merged
/// across the columns it heads, the last label of a path merged down to the
/// last header row.
fn header_cells(cols: &[Col], top: u32, levels: usize) -> Result<Vec<TextCell>, String> {
    let mut out = Vec::new();
    let last_row = top + levels as u32 - 1;
    for c in cols {
        if c.path.is_empty() || c.path.len() > levels {
            return Err(format!("header {:?} has {} levels but the form has header_rows = {levels}", c.path.join("/"), c.path.len()));
        }
    }
    for l in 0..levels {
        let mut i = 0;
        while i < cols.len() {
            let p = &cols[i].path;
            if p.len() == l + 1 {
                out.push(TextCell { row: top + l as u32, col: i as u16, last_row, last_col: i as u16, text: p[l].clone(), style: CellStyle::Header });
                i += 1;
            } else if p.len() > l + 1 {
                let mut k = i;
                while k + 1 < cols.len() && cols[k + 1].path.len() > l + 1 && cols[k + 1].path[..=l] == p[..=l] {
                    k += 1;
                }
                let row = top + l as u32;
                out.push(TextCell { row, col: i as u16, last_row: row, last_col: k as u16, text: p[l].clone(), style: CellStyle::Header });
                i = k + 1;
            } else {
                i += 1;
            }
        }
    }
    Ok(out)
}

fn split_path(header: &str) -> Vec<String> {
    header.split('/').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// How an annotation column is filled: 序号 with numbers, a unit column with the row's unit.
fn is_unit_column(label: &str) -> bool {
    normalise_label(label).contains("单位") && !normalise_label(label).contains("名称")
}

/// What planning one workbook needs.
pub(super) struct Ctx<'a> {
    pub cfg: &'a Config,
    pub form: &'a Form,
    pub year: i32,
    /// The area the whole return covers (the county, or a town for per-area forms).
    area: &'a Area,
    /// The areas listed in rows/columns/sheets.
    subs: Vec<&'a Area>,
}

impl Ctx<'_> {
    fn de(&self, dims: &Dims) -> Option<&DataElement> {
        dims.data_element.as_deref().or(self.form.raw.fixed.data_element.as_deref()).and_then(|d| self.cfg.catalogue.data_element(d))
    }

    fn unit_of(&self, dims: &Dims) -> String {
        dims.unit.clone().or(self.form.raw.fixed.unit.clone()).or_else(|| self.de(dims).map(|d| d.unit.clone())).unwrap_or_default()
    }

    fn kind_of(&self, dims: &Dims) -> ValueKind {
        let unit = dims.unit.as_deref().or(self.form.raw.fixed.unit.as_deref());
        value_kind(self.de(dims), unit)
    }

    fn title(&self) -> String {
        format!("{}{}年{}", self.area.name_zh, self.year, self.form.raw.form.name)
    }

    /// The line under the title: the reporting body and the units of the values.
    fn unit_line(&self, units: &[String]) -> String {
        let mut seen = Vec::new();
        for u in units {
            if !u.is_empty() && !seen.contains(u) {
                seen.push(u.clone());
            }
        }
        format!("填报单位：{}（盖章）        单位：{}", self.form.raw.form.body, seen.join("、"))
    }

    /// The line that ends the table (it starts with one of the form's end labels).
    fn footer(&self) -> String {
        let ends = &self.form.raw.table.end_labels;
        let lead =
            ends.iter().find(|e| e.as_str() == "注").or(ends.first()).map(|s| s.trim_end_matches([':', '：']).to_string()).unwrap_or_else(|| "注".into());
        let dash = match self.form.raw.table.dash_means {
            crate::config::forms::DashMeans::Zero => "“—”表示无（按 0 计）",
            crate::config::forms::DashMeans::Missing => "无数据的单元格留空或填“—”（表示无此数）",
        };
        format!("{lead}：请只在白色单元格填写数字，不要改动表头、行列和文件名；{dash}。各项定义见“填表说明”。")
    }

    fn file_name(&self, per_area: bool) -> Result<String, String> {
        let f = self.form;
        let (y, name, body, area) = (self.year, &f.raw.form.name, &f.raw.form.body, &self.area.name_zh);
        let mut candidates = if per_area {
            vec![format!("{y}年{area}{name}"), format!("{area}{y}年{name}"), format!("{body}{y}年{area}{name}"), format!("{area}{body}{y}年{name}")]
        } else {
            vec![format!("{y}年{name}"), format!("{body}{y}年{name}"), format!("{y}年{body}{name}"), format!("{name}{y}")]
        };
        candidates.iter_mut().for_each(|c| *c = format!("{}.xlsx", sanitize(c)));
        let ok = |c: &str| -> bool {
            let name_ok = f.file_name_re.as_ref().is_none_or(|re| re.is_match(c));
            let year_ok = f.raw.year.from != YearFrom::FileName
                || f.year_re.captures(c).and_then(|m| m.get(1)).and_then(|m| m.as_str().parse::<i32>().ok()) == Some(self.year);
            let area_ok = f.raw.area.from != AreaFrom::FileName || {
                let cand = match &f.area_re {
                    Some(re) => re.captures(c).and_then(|m| m.get(1)).map(|m| m.as_str().to_string()),
                    None => Some(c.to_string()),
                };
                cand.and_then(|a| self.cfg.areas.resolve(&a)).is_some_and(|a| a.code == self.area.code)
            };
            name_ok && year_ok && area_ok
        };
        candidates.into_iter().find(|c| ok(c)).ok_or_else(|| {
            format!(
                "no file name of the form \"{y}年{name}.xlsx\" matches [match] file_name {:?} with the year (and area) where [year]/[area] look",
                f.raw.matching.file_name
            )
        })
    }
}

/// Plan the workbook(s) of one form.
pub fn plan_form(cfg: &Config, form: &Form, parent: &Area, year: i32) -> Result<Vec<BookPlan>, String> {
    expressible(form)?;
    let subs = children(cfg, parent);
    let per_area = matches!(form.raw.area.from, AreaFrom::FileName | AreaFrom::Title);
    let fixed_area = match (&form.raw.area.from, &form.raw.area.value) {
        (AreaFrom::Fixed, Some(v)) => Some(cfg.areas.get(v).or_else(|| cfg.areas.resolve(v)).ok_or_else(|| format!("area.value {v:?} is not in areas.toml"))?),
        _ => None,
    };
    let needs_subs = !matches!(form.raw.area.from, AreaFrom::Fixed);
    if needs_subs && subs.is_empty() {
        return Err(format!("area {} ({}) has no sub-areas in areas.toml to list", parent.name_zh, parent.code));
    }
    let returns: Vec<&Area> = if per_area { subs.clone() } else { vec![fixed_area.unwrap_or(parent)] };
    let mut books = Vec::new();
    for area in returns {
        let c = Ctx { cfg, form, year, area, subs: subs.clone() };
        let sheets = match (form.raw.table.layout, form.raw.area.from) {
            (Layout::Long, _) => vec![long_sheet(&c)?],
            (Layout::Grid, AreaFrom::Rows) => vec![grid_sheet(&c, &sheet_name(&form.raw.form.name), Rows::Areas(&c.subs))?],
            (Layout::Grid, AreaFrom::Columns) => vec![grid_sheet(&c, &sheet_name(&form.raw.form.name), Rows::Items)?],
            (Layout::Grid, AreaFrom::SheetName) => {
                let mut out = Vec::new();
                for a in &c.subs {
                    let name = sheet_name(&a.name_zh);
                    if let Some(re) = &form.area_re {
                        let got = re.captures(&name).and_then(|m| m.get(1)).and_then(|m| cfg.areas.resolve(m.as_str()));
                        if got.is_none_or(|g| g.code != a.code) {
                            return Err(format!("area.pattern {:?} does not find the area in the sheet name {name:?}", re.as_str()));
                        }
                    }
                    let sub = Ctx { cfg, form, year, area: a, subs: vec![] };
                    out.push(grid_sheet(&sub, &name, Rows::Items)?);
                }
                out
            }
            (Layout::Grid, _) => vec![grid_sheet(&c, &sheet_name(&form.raw.form.name), Rows::Items)?],
        };
        if form.raw.year.from == YearFrom::Title {
            let t = c.title();
            let got = form.year_re.captures(&t).and_then(|m| m.get(1)).and_then(|m| m.as_str().parse::<i32>().ok());
            if got != Some(year) {
                return Err(format!("year.pattern {:?} does not find {year} in the title {t:?}", form.year_re.as_str()));
            }
        }
        if matches!(form.raw.year.from, YearFrom::SheetName) {
            return Err("year.from = \"sheet_name\" is not supported by templates yet".into());
        }
        let file_name = c.file_name(per_area)?;
        books.push(BookPlan { file_name, notes: notes(&c, &sheets), instructions: instructions(&c), sheets });
    }
    Ok(books)
}

enum Rows<'a> {
    /// Rows are areas (area.from = "rows").
    Areas(&'a [&'a Area]),
    /// Rows are the form's [[rows]] (or, without them, the age groups of a cross-tab).
    Items,
}

/// The row items of a grid whose rows are not areas: (label, dims).
fn row_items(c: &Ctx) -> Result<Vec<(String, Dims)>, String> {
    let f = &c.form.raw;
    if !f.rows.is_empty() {
        return Ok(f.rows.iter().map(|r| (r.label.clone(), r.dims.clone())).collect());
    }
    // A cross-tab: rows are age groups the built-in labels understand, for the
    // ages the catalogue reads the form's data element in.
    let de = f.fixed.data_element.as_deref().ok_or("a grid without [[rows]] needs [fixed] data_element for its rows")?;
    let mut ages: Vec<String> = Vec::new();
    for (_, age) in breakdowns(c.cfg, de) {
        if !ages.contains(&age) {
            ages.push(age);
        }
    }
    ages.into_iter()
        .map(|a| {
            let label = age_label(&a).ok_or_else(|| format!("no label for the age {a}"))?;
            Ok((label, Dims { age: Some(a), ..Default::default() }))
        })
        .collect()
}

/// A template lays its columns out itself, by their header labels: a form that
/// places a column by its letter (`column = "C"`), or whose header block has rows
/// that are not header (`header_skip`) or a year row, cannot be written as one.
fn expressible(form: &Form) -> Result<(), String> {
    let f = &form.raw;
    let t = &f.table;
    let mut refs: Vec<&ColRef> = t.ignore_columns.iter().chain(&t.skip_columns).chain(&t.label_column).chain(&f.year.column).collect();
    if let Some(l) = &f.long {
        refs.extend([&l.item_column, &l.value_column]);
        refs.extend(l.area_column.iter().chain(&l.sex_column).chain(&l.age_column).chain(&l.unit_column).chain(&l.flag_column));
    }
    let letter = refs.iter().find_map(|r| matches!(r, ColRef::Letter { .. }).then(|| r.describe()));
    let letter = letter.or_else(|| f.columns.iter().find(|m| m.header.is_none()).map(|m| m.name()));
    if let Some(l) = letter {
        return Err(format!("{l}: a column named by its letter cannot be placed in a template (give its header label)"));
    }
    if !t.header_skip.is_empty() || f.year.from == YearFrom::Row {
        return Err("header_skip and year.from = \"row\" are not supported by templates yet".into());
    }
    Ok(())
}

/// The header label of a column reference ([`expressible`] has refused letters).
fn head(r: &ColRef) -> String {
    r.describe()
}

/// The value columns of a grid (rows are areas or items): from [[columns]], or
/// the table's header labels for a cross-tab.
fn value_columns(c: &Ctx) -> Vec<Col> {
    let t = &c.form.raw.table;
    if !c.form.raw.columns.is_empty() {
        return c
            .form
            .raw
            .columns
            .iter()
            .map(|m| Col { path: split_path(m.header.as_deref().unwrap_or_default()), what: ColWhat::Value(m.dims.clone()) })
            .collect();
    }
    let label = t.label_column.as_ref().map(|l| normalise_label(&head(l)));
    t.header_labels
        .iter()
        .filter(|h| Some(normalise_label(h)) != label)
        .filter(|h| !t.ignore_columns.iter().any(|i| normalise_label(&head(i)) == normalise_label(h)))
        .map(|h| {
            let sex = crate::vocab::labels::sex_code(h).map(str::to_string);
            Col { path: vec![h.clone()], what: ColWhat::Value(Dims { sex, ..Default::default() }) }
        })
        .collect()
}

const TOP: u32 = 3;

fn grid_sheet(c: &Ctx, name: &str, rows: Rows) -> Result<SheetPlan, String> {
    let t = &c.form.raw.table;
    let levels = t.header_rows;
    let label = t.label_column.as_ref().map(head).unwrap_or_else(|| t.header_labels.first().cloned().unwrap_or_else(|| "项目".into()));
    let mut cols = vec![Col { path: vec![label], what: ColWhat::Label }];
    for i in &t.ignore_columns {
        cols.push(Col { path: vec![head(i)], what: ColWhat::Annot });
    }
    match rows {
        Rows::Areas(_) => cols.extend(value_columns(c)),
        Rows::Items if c.form.raw.area.from == AreaFrom::Columns => {
            cols.extend(c.subs.iter().map(|a| Col { path: vec![a.name_zh.clone()], what: ColWhat::Area }));
        }
        Rows::Items => cols.extend(value_columns(c)),
    }
    // Header labels the form looks for that no column has yet (they must stand in the first header row).
    for h in &t.header_labels {
        let n = normalise_label(h);
        if !cols.iter().any(|col| col.path.first().is_some_and(|p| normalise_label(p) == n)) {
            return Err(format!("[table] header_labels names {h:?}, which no column of the template would carry"));
        }
    }
    let mut s = SheetPlan { name: name.to_string(), texts: vec![], numbers: vec![], values: vec![], widths: vec![], freeze: (TOP + levels as u32, 1) };
    let ncols = cols.len() as u16;
    s.texts.push(TextCell { row: 0, col: 0, last_row: 0, last_col: ncols.saturating_sub(1).max(1), text: c.title(), style: CellStyle::Title });
    s.texts.extend(header_cells(&cols, TOP, levels)?);
    let first = TOP + levels as u32;
    let mut units = Vec::new();
    let row_list: Vec<(String, Dims)> = match rows {
        Rows::Areas(areas) => areas.iter().map(|a| (a.name_zh.clone(), Dims::default())).collect(),
        Rows::Items => row_items(c)?,
    };
    for (ri, (row_label, row_dims)) in row_list.iter().enumerate() {
        let r = first + ri as u32;
        s.texts.push(TextCell { row: r, col: 0, last_row: r, last_col: 0, text: row_label.clone(), style: CellStyle::Label });
        for (ci, col) in cols.iter().enumerate() {
            let ci = ci as u16;
            match &col.what {
                ColWhat::Label => {}
                ColWhat::Annot => {
                    let l = col.path.last().map(String::as_str).unwrap_or_default();
                    if normalise_label(l) == "序号" {
                        s.numbers.push((r, ci, (ri + 1) as f64));
                    } else if is_unit_column(l) {
                        let u = c.unit_of(row_dims);
                        s.texts.push(TextCell { row: r, col: ci, last_row: r, last_col: ci, text: u, style: CellStyle::Label });
                    }
                }
                ColWhat::Value(_) | ColWhat::Area => {
                    let cd = match &col.what {
                        ColWhat::Value(d) => d.clone(),
                        _ => Dims::default(),
                    };
                    let dims = row_dims.merge(&cd).map_err(|e| format!("row {row_label:?} × column {:?}: {e}", col.path.join("/")))?;
                    if c.de(&dims).is_none() {
                        return Err(format!("row {row_label:?} × column {:?} has no data element", col.path.join("/")));
                    }
                    units.push(c.unit_of(&dims));
                    s.values.push((r, ci, c.kind_of(&dims)));
                }
            }
        }
    }
    s.texts.push(TextCell { row: 1, col: 0, last_row: 1, last_col: 0, text: c.unit_line(&units), style: CellStyle::Plain });
    let end = first + row_list.len() as u32 + 1;
    s.texts.push(TextCell { row: end, col: 0, last_row: end, last_col: 0, text: c.footer(), style: CellStyle::Plain });
    s.widths.push((0, 18.0));
    for ci in 1..ncols {
        s.widths.push((ci, if matches!(cols[ci as usize].what, ColWhat::Annot) { 8.0 } else { 12.0 }));
    }
    Ok(s)
}

fn long_sheet(c: &Ctx) -> Result<SheetPlan, String> {
    let f = &c.form.raw;
    let long = f.long.as_ref().ok_or("layout = \"long\" needs [long]")?;
    let t = &f.table;
    // Columns in reading order: area, item, sex, age, unit, year, value.
    let mut heads: Vec<(String, &'static str)> = Vec::new();
    if let Some(a) = &long.area_column {
        heads.push((head(a), "area"));
    }
    heads.push((head(&long.item_column), "item"));
    if let Some(x) = &long.sex_column {
        heads.push((head(x), "sex"));
    }
    if let Some(x) = &long.age_column {
        heads.push((head(x), "age"));
    }
    if let Some(x) = &long.unit_column {
        heads.push((head(x), "unit"));
    }
    if f.year.from == YearFrom::Column {
        heads.push((f.year.column.as_ref().map(head).unwrap_or_else(|| "年份".into()), "year"));
    }
    heads.push((head(&long.value_column), "value"));
    for h in &t.header_labels {
        if !heads.iter().any(|(x, _)| normalise_label(x) == normalise_label(h)) {
            return Err(format!("[table] header_labels names {h:?}, which is none of the [long] columns"));
        }
    }
    let mut s = SheetPlan { name: sheet_name(&f.form.name), texts: vec![], numbers: vec![], values: vec![], widths: vec![], freeze: (TOP + 1, 0) };
    let ncols = heads.len() as u16;
    s.texts.push(TextCell { row: 0, col: 0, last_row: 0, last_col: ncols - 1, text: c.title(), style: CellStyle::Title });
    for (i, (h, _)) in heads.iter().enumerate() {
        s.texts.push(TextCell { row: TOP, col: i as u16, last_row: TOP, last_col: i as u16, text: h.clone(), style: CellStyle::Header });
    }
    let areas: Vec<&Area> = if f.area.from == AreaFrom::Column { c.subs.clone() } else { vec![c.area] };
    let mut units = Vec::new();
    let mut r = TOP + 1;
    for area in areas {
        for item in &f.items {
            let dims = f.fixed.merge(&item.dims).map_err(|e| format!("[[items]] {:?}: {e}", item.label))?;
            let de = c.de(&dims).ok_or_else(|| format!("[[items]] {:?} has no data element", item.label))?;
            let combos: Vec<(String, String)> = match (&dims.sex, &dims.age) {
                (None, None) => breakdowns(c.cfg, &de.code),
                (s, a) => vec![(s.clone().unwrap_or_else(|| "_T".into()), a.clone().unwrap_or_else(|| "_T".into()))],
            };
            for (sex, age) in combos {
                if long.sex_column.is_none() && sex != "_T" && dims.sex.is_none() {
                    continue;
                }
                if long.age_column.is_none() && age != "_T" && dims.age.is_none() {
                    continue;
                }
                for (ci, (_, what)) in heads.iter().enumerate() {
                    let ci = ci as u16;
                    let text = match *what {
                        "area" => area.name_zh.clone(),
                        "item" => item.label.clone(),
                        "sex" => sex_label(&sex).to_string(),
                        "age" if age == "_T" => String::new(),
                        "age" => age_label(&age).ok_or_else(|| format!("no label for the age {age}"))?,
                        "unit" => c.unit_of(&dims),
                        "year" => c.year.to_string(),
                        _ => {
                            units.push(c.unit_of(&dims));
                            s.values.push((r, ci, c.kind_of(&dims)));
                            continue;
                        }
                    };
                    if !text.is_empty() {
                        s.texts.push(TextCell { row: r, col: ci, last_row: r, last_col: ci, text, style: CellStyle::Label });
                    }
                }
                r += 1;
            }
        }
    }
    s.texts.push(TextCell { row: 1, col: 0, last_row: 1, last_col: 0, text: c.unit_line(&units), style: CellStyle::Plain });
    s.texts.push(TextCell { row: r + 1, col: 0, last_row: r + 1, last_col: 0, text: c.footer(), style: CellStyle::Plain });
    for (i, (_, what)) in heads.iter().enumerate() {
        s.widths.push((i as u16, if *what == "item" { 34.0 } else { 12.0 }));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_cells_merge_groups_across_and_single_labels_down() {
        let col = |p: &[&str]| Col { path: p.iter().map(|s| s.to_string()).collect(), what: ColWhat::Annot };
        let cols = vec![col(&["乡镇"]), col(&["活产数", "合计"]), col(&["活产数", "其中:女"]), col(&["产妇数"])];
        let cells = header_cells(&cols, 3, 2).unwrap();
        let spans: Vec<(u32, u16, u32, u16, &str)> = cells.iter().map(|t| (t.row, t.col, t.last_row, t.last_col, t.text.as_str())).collect();
        assert_eq!(spans, vec![(3, 0, 4, 0, "乡镇"), (3, 1, 3, 2, "活产数"), (3, 3, 4, 3, "产妇数"), (4, 1, 4, 1, "合计"), (4, 2, 4, 2, "其中:女")]);
        assert!(header_cells(&[col(&["a", "b", "c"])], 0, 2).is_err());
    }
}
