//! `wcmon template`: blank returns generated from the pipeline files.
//!
//! One `.xlsx` per form (per area where the form takes its area from the file
//! name or the title), laid out exactly as the form reads it: the title with
//! the year, the unit line, the header labels (merged over the form's header
//! rows), the areas of `areas.toml` as rows or columns (or one sheet per area),
//! blank value cells with data validation, the header locked (sheet protection,
//! value cells unlocked) and a 填表说明 sheet with each data element's
//! definition, unit and responsible body from the catalogue. The forms' own
//! 合计 rows/columns are not written (wcmon sums the areas itself).
//!
//! Each workbook is planned first ([`plan_form`]: sheets, cells, merges, value
//! cells with their kind), then rendered ([`render`]), then read back with
//! wcmon's own reader to make sure its form — and only its form — recognises it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, ProtectionOptions, Workbook, Worksheet,
};

use crate::config::forms::{AreaFrom, ColRef, Dims, Layout, YearFrom};
use crate::config::{Area, Config, DataElement, Form, Kind};
use crate::vocab::clean::normalise_label;

/// Why templates could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("form {form} ({file}): {msg}")]
    Form { form: String, file: PathBuf, msg: String },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {path}: {msg}")]
    Write { path: PathBuf, msg: String },
}

/// What to write.
#[derive(Debug, Clone)]
pub struct TemplateOptions {
    /// The reporting year printed in titles and file names.
    pub year: i32,
    /// Only the forms of this body (`[form] body`).
    pub body: Option<String>,
    /// The area whose sub-areas are the rows/columns (default: the root of areas.toml).
    pub area: Option<String>,
    pub out: PathBuf,
}

/// One workbook written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub form: String,
    pub body: String,
    pub path: PathBuf,
    pub sheets: usize,
    pub value_cells: usize,
}

/// What a value cell accepts (its data validation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueKind {
    /// Whole numbers within the bounds (counts).
    Whole { min: i64, max: Option<i64> },
    /// Decimal numbers within the bounds (%, ‰, amounts, levels, counts written in 万人).
    Decimal { min: f64, max: Option<f64> },
}

/// A text cell: (row, col, last_row, last_col, text); merged when it spans more than one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct TextCell {
    pub row: u32,
    pub col: u16,
    pub last_row: u32,
    pub last_col: u16,
    pub text: String,
    pub style: CellStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellStyle {
    Title,
    Plain,
    Header,
    Label,
}

/// One planned sheet.
#[derive(Debug, Clone)]
pub struct SheetPlan {
    pub name: String,
    pub texts: Vec<TextCell>,
    /// Prefilled numbers (序号 columns).
    pub numbers: Vec<(u32, u16, f64)>,
    pub values: Vec<(u32, u16, ValueKind)>,
    pub widths: Vec<(u16, f64)>,
    /// Rows of the header (frozen below).
    pub freeze: (u32, u16),
}

/// One planned workbook.
#[derive(Debug, Clone)]
pub struct BookPlan {
    pub file_name: String,
    pub sheets: Vec<SheetPlan>,
    /// 填表说明: one row per data element.
    pub notes: Vec<NoteRow>,
    pub instructions: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NoteRow {
    pub code: String,
    pub name_zh: String,
    pub unit: String,
    pub kind: String,
    pub definition: String,
    pub body: String,
    pub where_in_form: String,
}

/// Write the templates of every form (of `opts.body`) into `opts.out`.
pub fn write_templates(cfg: &Config, opts: &TemplateOptions) -> Result<Vec<Written>, TemplateError> {
    let parent = match &opts.area {
        Some(a) => cfg
            .areas
            .get(a)
            .or_else(|| cfg.areas.resolve(a))
            .ok_or_else(|| TemplateError::Usage(format!("--area {a:?} is not in areas.toml; closest: {}", cfg.areas.closest(a, 3).join(", "))))?,
        None => {
            let roots: Vec<&Area> = cfg.areas.roots().collect();
            match roots.as_slice() {
                [one] => *one,
                _ => return Err(TemplateError::Usage(format!("areas.toml has {} roots: choose the area with --area CODE", roots.len()))),
            }
        }
    };
    if !(1900..=2999).contains(&opts.year) {
        return Err(TemplateError::Usage(format!("--year {} is not a year", opts.year)));
    }
    let forms: Vec<&Form> = cfg.forms.iter().filter(|f| opts.body.as_deref().is_none_or(|b| f.raw.form.body == b)).collect();
    if forms.is_empty() {
        let bodies: BTreeSet<&str> = cfg.forms.iter().map(|f| f.raw.form.body.as_str()).collect();
        return Err(TemplateError::Usage(format!(
            "no form of body {:?}; the bodies are: {}",
            opts.body.clone().unwrap_or_default(),
            bodies.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut written = Vec::new();
    for form in forms {
        let err = |msg: String| TemplateError::Form { form: form.id().to_string(), file: form.file.clone(), msg };
        let books = plan_form(cfg, form, parent, opts.year).map_err(err)?;
        let dir = opts.out.join(sanitize(&form.raw.form.body));
        std::fs::create_dir_all(&dir).map_err(|e| TemplateError::Write { path: dir.clone(), msg: e.to_string() })?;
        for book in books {
            let bytes = render(&book, opts.year).map_err(|e| err(format!("cannot render {}: {e}", book.file_name)))?;
            self_check(cfg, form, &book.file_name, &bytes).map_err(err)?;
            let path = dir.join(&book.file_name);
            std::fs::write(&path, &bytes).map_err(|e| TemplateError::Write { path: path.clone(), msg: e.to_string() })?;
            written.push(Written {
                form: form.id().to_string(),
                body: form.raw.form.body.clone(),
                path,
                sheets: book.sheets.len() + 1,
                value_cells: book.sheets.iter().map(|s| s.values.len()).sum(),
            });
        }
    }
    Ok(written)
}

/// The lines `wcmon template` prints: one per workbook, then the count.
pub fn render_summary(written: &[Written]) -> String {
    let mut out = String::new();
    for w in written {
        out.push_str(&format!("{}  {}  {} ({} sheets, {} value cells)\n", w.body, w.form, w.path.display(), w.sheets, w.value_cells));
    }
    let cells: usize = written.iter().map(|w| w.value_cells).sum();
    out.push_str(&format!("wcmon template: {} workbooks, {} value cells to fill\n", written.len(), cells));
    out
}

/// The written workbook is read back with wcmon's reader: its form must recognise it, and no other form.
fn self_check(cfg: &Config, form: &Form, file_name: &str, bytes: &[u8]) -> Result<(), String> {
    let wb = crate::ingest::read_workbook(bytes.to_vec()).map_err(|e| format!("{file_name}: the template cannot be read back: {e}"))?;
    let ids: Vec<&str> = crate::pipeline::recognise(&wb, file_name, cfg).iter().map(|f| f.id()).collect();
    if ids != [form.id()] {
        return Err(format!(
            "the template {file_name} is recognised by [{}] instead of this form alone: check [match] (file_name, header_labels)",
            ids.join(", ")
        ));
    }
    Ok(())
}

/// Characters Windows refuses in file names.
fn sanitize(s: &str) -> String {
    s.chars().map(|c| if matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control() { '_' } else { c }).collect()
}

/// Sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\')).take(31).collect()
}

/// The sub-areas of `parent` that the returns list (its children, in areas.toml order).
fn children<'c>(cfg: &'c Config, parent: &Area) -> Vec<&'c Area> {
    cfg.areas.list.iter().filter(|a| a.parent.as_deref() == Some(parent.code.as_str())).collect()
}

fn sex_label(code: &str) -> &'static str {
    match code {
        "F" => "女",
        "M" => "男",
        _ => "合计",
    }
}

/// The label the built-in reader turns back into `code` ("Y0T4" -> "0-4岁"); `_T` -> "合计".
pub fn age_label(code: &str) -> Option<String> {
    let label = if code == "_T" {
        "合计".to_string()
    } else if let Some(n) = code.strip_prefix("Y_GE") {
        format!("{n}岁及以上")
    } else if let Some(n) = code.strip_prefix("Y_LT") {
        format!("不满{n}岁")
    } else if let Some(rest) = code.strip_prefix('Y') {
        match rest.split_once('T') {
            Some((a, b)) => format!("{a}-{b}岁"),
            None => format!("{rest}岁"),
        }
    } else {
        return None;
    };
    (crate::vocab::labels::age_code(&label).as_deref() == Some(code)).then_some(label)
}

/// Lower and upper bound of an age code, to order age groups.
fn age_order(code: &str) -> (u32, u32) {
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    if code == "_T" {
        (0, 0)
    } else if let Some(n) = code.strip_prefix("Y_GE") {
        (num(n), 999)
    } else if let Some(n) = code.strip_prefix("Y_LT") {
        (0, num(n).saturating_sub(1))
    } else if let Some(rest) = code.strip_prefix('Y') {
        match rest.split_once('T') {
            Some((a, b)) => (num(a), num(b)),
            None => (num(rest), num(rest)),
        }
    } else {
        (u32::MAX, u32::MAX)
    }
}

/// The (sex, age) breakdowns the catalogue's indicators read a data element in
/// (a term without a pin is the total). `(_T, _T)` when no indicator reads it.
fn breakdowns(cfg: &Config, de: &str) -> Vec<(String, String)> {
    let mut set: BTreeSet<((u32, u32), String, String)> = BTreeSet::new();
    for ind in &cfg.catalogue.indicators {
        for t in ind.terms().filter(|t| t.data_element == de) {
            let age = t.age.clone().unwrap_or_else(|| "_T".into());
            set.insert((age_order(&age), age, t.sex.clone().unwrap_or_else(|| "_T".into())));
        }
    }
    if set.is_empty() {
        return vec![("_T".into(), "_T".into())];
    }
    let mut out: Vec<(String, String)> = set.into_iter().map(|(_, age, sex)| (sex, age)).collect();
    // Within an age group: 合计, then 男, then 女 (as the returns print them).
    out.sort_by_key(|(sex, age)| (age_order(age), if age == "_T" { 0 } else { 1 }, ["_T", "M", "F"].iter().position(|s| s == sex).unwrap_or(3)));
    out
}

/// What a value cell accepts, from its data element and the unit the form says it is written in.
fn value_kind(de: Option<&DataElement>, written_unit: Option<&str>) -> ValueKind {
    let Some(de) = de else { return ValueKind::Decimal { min: 0.0, max: None } };
    let unit = written_unit.unwrap_or(&de.unit);
    let converted = written_unit.is_some_and(|u| normalise_label(u) != normalise_label(&de.unit));
    let (dmin, dmax) = match unit.trim() {
        "%" => (0.0, Some(100.0)),
        "‰" => (0.0, Some(1000.0)),
        _ => (0.0, None),
    };
    let min = if converted { dmin } else { de.min.unwrap_or(dmin) };
    let max = if converted { dmax } else { de.max.or(dmax) };
    match de.kind {
        Kind::Count if !converted && !matches!(unit.trim(), "%" | "‰") => {
            ValueKind::Whole { min: min.max(0.0).ceil() as i64, max: max.map(|m| m.floor() as i64) }
        }
        Kind::Count => ValueKind::Decimal { min: min.max(0.0), max },
        Kind::Amount => ValueKind::Decimal { min: de.min.unwrap_or(f64::MIN).max(if converted { f64::MIN } else { min }), max },
        Kind::Rate => ValueKind::Decimal { min, max },
    }
}

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

struct Ctx<'a> {
    cfg: &'a Config,
    form: &'a Form,
    year: i32,
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
        return c.form.raw.columns.iter().map(|m| Col { path: split_path(m.header.as_deref().unwrap_or_default()), what: ColWhat::Value(m.dims.clone()) }).collect();
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

fn kind_text(k: Kind) -> &'static str {
    match k {
        Kind::Count => "计数（可跨地区相加）",
        Kind::Amount => "数量/金额（可跨地区相加）",
        Kind::Rate => "比率或水平（不跨地区相加）",
    }
}

/// The 填表说明 rows: each data element of the form, with where it goes and what it is for.
fn notes(c: &Ctx, sheets: &[SheetPlan]) -> Vec<NoteRow> {
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

fn instructions(c: &Ctx) -> Vec<String> {
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

/// Render a planned workbook to .xlsx bytes (a fixed creation time: the same plan gives the same bytes).
pub fn render(book: &BookPlan, year: i32) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(year.clamp(1900, 9999) as u16, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_title(book.file_name.trim_end_matches(".xlsx")).set_author("wcmon template").set_creation_datetime(&created));
    let border = FormatBorder::Thin;
    let title = Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter);
    let plain = Format::new();
    let header = Format::new()
        .set_bold()
        .set_border(border)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xD9D9D9));
    let label = Format::new().set_border(border).set_background_color(Color::RGB(0xF2F2F2));
    let value_whole = Format::new().set_border(border).set_unlocked().set_num_format("0");
    let value_dec = Format::new().set_border(border).set_unlocked();
    for sheet in &book.sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        for t in &sheet.texts {
            let f = match t.style {
                CellStyle::Title => &title,
                CellStyle::Plain => &plain,
                CellStyle::Header => &header,
                CellStyle::Label => &label,
            };
            if t.row == t.last_row && t.col == t.last_col {
                ws.write_string_with_format(t.row, t.col, &t.text, f)?;
            } else {
                ws.merge_range(t.row, t.col, t.last_row, t.last_col, &t.text, f)?;
            }
        }
        for &(r, c, v) in &sheet.numbers {
            ws.write_number_with_format(r, c, v, &label)?;
        }
        for &(r, c, k) in &sheet.values {
            ws.write_blank(r, c, if matches!(k, ValueKind::Whole { .. }) { &value_whole } else { &value_dec })?;
        }
        for (r1, c1, r2, c2, k) in runs(&sheet.values) {
            ws.add_data_validation(r1, c1, r2, c2, &validation(k)?)?;
        }
        for &(c, w) in &sheet.widths {
            ws.set_column_width(c, w)?;
        }
        ws.set_freeze_panes(sheet.freeze.0, sheet.freeze.1)?;
        protect(ws);
    }
    let ws = wb.add_worksheet();
    ws.set_name("填表说明")?;
    let wrap = Format::new().set_text_wrap().set_border(border).set_align(FormatAlign::VerticalCenter);
    let mut r = 0u32;
    for line in &book.instructions {
        ws.write_string(r, 0, line)?;
        r += 1;
    }
    r += 1;
    for (i, h) in ["序号", "数据项代码", "数据项", "计量单位", "类型", "定义", "报送单位", "填在本表"].iter().enumerate() {
        ws.write_string_with_format(r, i as u16, *h, &header)?;
    }
    for (i, n) in book.notes.iter().enumerate() {
        let rr = r + 1 + i as u32;
        ws.write_number_with_format(rr, 0, (i + 1) as f64, &wrap)?;
        for (ci, text) in [&n.code, &n.name_zh, &n.unit, &n.kind, &n.definition, &n.body, &n.where_in_form].iter().enumerate() {
            ws.write_string_with_format(rr, 1 + ci as u16, text.as_str(), &wrap)?;
        }
    }
    for (c, w) in [(0u16, 6.0), (1, 24.0), (2, 22.0), (3, 9.0), (4, 14.0), (5, 60.0), (6, 24.0), (7, 30.0)] {
        ws.set_column_width(c, w)?;
    }
    ws.set_freeze_panes(r + 1, 0)?;
    protect(ws);
    wb.save_to_buffer()
}

/// Sheet protection: the locked cells (header, labels) cannot be changed; column widths and row heights can.
fn protect(ws: &mut Worksheet) {
    let mut opts = ProtectionOptions::new();
    opts.format_columns = true;
    opts.format_rows = true;
    ws.protect_with_options(&opts);
}

/// Rectangles of value cells of the same kind: (first_row, first_col, last_row, last_col, kind).
/// Vertical runs first, then runs over the same rows in adjacent columns joined.
fn runs(values: &[(u32, u16, ValueKind)]) -> Vec<(u32, u16, u32, u16, ValueKind)> {
    let mut v: Vec<(u32, u16, ValueKind)> = values.to_vec();
    v.sort_by_key(|&(r, c, _)| (c, r));
    let mut vertical: Vec<(u32, u16, u32, ValueKind)> = Vec::new();
    for (r, c, k) in v {
        match vertical.last_mut() {
            Some(last) if last.1 == c && last.2 + 1 == r && last.3 == k => last.2 = r,
            _ => vertical.push((r, c, r, k)),
        }
    }
    vertical.sort_by_key(|&(r1, c, r2, _)| (r1, r2, c));
    let mut out: Vec<(u32, u16, u32, u16, ValueKind)> = Vec::new();
    for (r1, c, r2, k) in vertical {
        match out.iter_mut().rev().find(|o| o.0 == r1 && o.2 == r2 && o.3 + 1 == c) {
            Some(o) if o.4 == k => o.3 = c,
            _ => out.push((r1, c, r2, c, k)),
        }
    }
    out.sort_by_key(|&(r1, c1, _, _, _)| (c1, r1));
    out
}

fn validation(k: ValueKind) -> Result<DataValidation, rust_xlsxwriter::XlsxError> {
    let (dv, msg) = match k {
        ValueKind::Whole { min, max } => {
            let lo = min.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
            match max {
                Some(hi) => {
                    let hi = hi.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
                    (DataValidation::new().allow_whole_number(DataValidationRule::Between(lo, hi)), format!("请填 {lo} 到 {hi} 之间的整数。"))
                }
                None => (DataValidation::new().allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(lo)), format!("请填不小于 {lo} 的整数。")),
            }
        }
        ValueKind::Decimal { min, max } => match max {
            Some(hi) => (DataValidation::new().allow_decimal_number(DataValidationRule::Between(min, hi)), format!("请填 {min} 到 {hi} 之间的数。")),
            None if min > f64::MIN => {
                (DataValidation::new().allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(min)), format!("请填不小于 {min} 的数。"))
            }
            None => (DataValidation::new().allow_decimal_number(DataValidationRule::Between(-1e15, 1e15)), "请填数字。".to_string()),
        },
    };
    dv.set_error_title("数值不符合要求")?.set_error_message(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn age_labels_read_back_as_their_codes() {
        for (code, label) in [("Y0T4", "0-4岁"), ("Y_GE16", "16岁及以上"), ("Y_LT1", "不满1岁"), ("Y12", "12岁"), ("_T", "合计"), ("Y35T64", "35-64岁")]
        {
            assert_eq!(age_label(code).as_deref(), Some(label), "{code}");
        }
        assert_eq!(age_label("nonsense"), None);
    }

    #[test]
    fn header_cells_merge_groups_across_and_single_labels_down() {
        let col = |p: &[&str]| Col { path: p.iter().map(|s| s.to_string()).collect(), what: ColWhat::Annot };
        let cols = vec![col(&["乡镇"]), col(&["活产数", "合计"]), col(&["活产数", "其中:女"]), col(&["产妇数"])];
        let cells = header_cells(&cols, 3, 2).unwrap();
        let spans: Vec<(u32, u16, u32, u16, &str)> = cells.iter().map(|t| (t.row, t.col, t.last_row, t.last_col, t.text.as_str())).collect();
        assert_eq!(spans, vec![(3, 0, 4, 0, "乡镇"), (3, 1, 3, 2, "活产数"), (3, 3, 4, 3, "产妇数"), (4, 1, 4, 1, "合计"), (4, 2, 4, 2, "其中:女")]);
        assert!(header_cells(&[col(&["a", "b", "c"])], 0, 2).is_err());
    }

    #[test]
    fn runs_group_consecutive_cells_of_a_kind() {
        let w = ValueKind::Whole { min: 0, max: None };
        let d = ValueKind::Decimal { min: 0.0, max: Some(100.0) };
        let v = vec![(5, 1, w), (6, 1, w), (7, 1, d), (5, 2, w), (6, 2, w), (9, 1, d), (5, 3, d), (6, 3, d)];
        assert_eq!(runs(&v), vec![(5, 1, 6, 2, w), (7, 1, 7, 1, d), (9, 1, 9, 1, d), (5, 3, 6, 3, d)]);
    }

    #[test]
    fn every_bundled_form_plans_a_template_its_form_recognises() {
        let cfg = Config::load(Path::new("pipelines")).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let written = write_templates(&cfg, &TemplateOptions { year: 2025, body: None, area: None, out: tmp.path().to_path_buf() }).unwrap();
        assert_eq!(written.iter().map(|w| w.form.as_str()).collect::<BTreeSet<_>>().len(), cfg.forms.len());
        assert!(written.iter().all(|w| w.value_cells > 0));
    }

    fn form_from(cfg: &Config, text: &str) -> Form {
        let raw: crate::config::forms::RawForm = toml::from_str(text).unwrap();
        Form::resolve(raw, Path::new("test.toml"), text, &cfg.catalogue).unwrap()
    }

    #[test]
    fn a_form_per_area_gets_a_file_per_town_named_or_titled_by_it() {
        let mut cfg = Config::load(Path::new("pipelines")).unwrap();
        let rows = "[[columns]]\nheader = \"数值\"\n[[rows]]\nlabel = \"空气质量监测天数\"\ndata_element = \"air_quality_monitored_days\"\n";
        let by_file = form_from(
            &cfg,
            &format!("[form]\nid = \"t_file\"\nbody = \"测试局\"\nname = \"分镇环境指标\"\n[match]\nfile_name = \"分镇环境指标\"\n[area]\nfrom = \"file_name\"\npattern = '年(.+?)分镇'\n[table]\nheader_labels = [\"指标\", \"数值\"]\nlabel_column = \"指标\"\n{rows}"),
        );
        let by_title = form_from(
            &cfg,
            &format!("[form]\nid = \"t_title\"\nbody = \"测试二局\"\nname = \"镇级环境指标\"\n[match]\nfile_name = \"镇级环境指标\"\n[year]\nfrom = \"title\"\n[area]\nfrom = \"title\"\n[table]\nheader_labels = [\"指标\", \"数值\"]\nlabel_column = \"指标\"\n{rows}"),
        );
        cfg.forms = vec![by_file, by_title];
        let towns: Vec<String> = cfg.areas.list.iter().filter(|a| a.depth == 1).map(|a| a.name_zh.clone()).collect();
        let tmp = tempfile::tempdir().unwrap();
        let written = write_templates(&cfg, &TemplateOptions { year: 2026, body: None, area: None, out: tmp.path().to_path_buf() }).unwrap();
        assert_eq!(written.len(), 2 * towns.len());
        for t in &towns {
            let name = format!("2026年{t}分镇环境指标.xlsx");
            assert!(written.iter().any(|w| w.form == "t_file" && w.path.file_name().unwrap().to_string_lossy() == name), "{name}");
        }
        // The title carries the town and the year: each file of the second form is read back as its town's.
        let wb = crate::ingest::read_workbook(std::fs::read(&written.iter().find(|w| w.form == "t_title").unwrap().path).unwrap()).unwrap();
        let title = wb.sheets[0].get(0, 0).label().to_string();
        assert_eq!(title, format!("{}2026年镇级环境指标", towns[0]));
    }
}
