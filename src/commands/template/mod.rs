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
//! Each workbook is planned first ([`plan_form`], [`plan`]; the labels and
//! validations of its cells from [`cells`], the 填表说明 from [`notes`]: sheets, cells, merges, value
//! cells with their kind), then rendered ([`render()`]), then read back with
//! wcmon's own reader to make sure its form — and only its form — recognises it.

mod cells;
mod notes;
mod plan;
mod render;

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::config::{Area, Config, Form};

pub use cells::age_label;
pub use plan::plan_form;
pub use render::render;

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

/// Sheet names: at most 31 characters, none of `[]:*?/\` (the report's workbook uses it too).
pub(crate) fn sheet_name(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\')).take(31).collect()
}

/// The sub-areas of `parent` that the returns list (its children, in areas.toml order).
fn children<'c>(cfg: &'c Config, parent: &Area) -> Vec<&'c Area> {
    cfg.areas.list.iter().filter(|a| a.parent.as_deref() == Some(parent.code.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
