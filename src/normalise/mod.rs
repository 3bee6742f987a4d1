//! Cells -> long observations, driven by a form's pipeline file.
//!
//! For every sheet holding the form's table: find the header row by its
//! labels, build each column's header path (merged cells filled), then give
//! every non-empty value cell its dimensions (data element, area, year, sex,
//! age, residence) from the form's fixed dimensions, its column and its row.
//! Every such cell either lands as an [`Observation`] or becomes an [`Issue`]
//! that names file, sheet and cell: `cells_read = landed + rejected`.

mod derive;
mod error;
mod header;
mod keys;
mod land;
mod long;

use std::collections::BTreeMap;

use crate::config::forms::{AreaFrom, ColRef, DashMeans, Dims, Layout, YearFrom};
use crate::config::{Config, Form};
use crate::ingest::{a1, CellValue, Sheet, Workbook};
use crate::model::{Control, Interner, Issue, Observation, Severity, Text};
use crate::vocab::clean::{clean_text, normalise_label, unit_scale, Cleaned};
use crate::vocab::labels;

pub use derive::derive_sexes;
use error::KeyError;
pub use header::{find_header_row, header_paths, header_paths_display, header_paths_skipping, header_skip, workbook_has_labels};
use header::{first_label_is, label_eq, normalised_eq, path_matches, strip_unit};
use keys::{closest_hint, combine, with_key, KeyRef};

/// How many rows from the top are searched for the header row.
pub const HEADER_SEARCH_ROWS: usize = 60;

/// The file being normalised.
#[derive(Debug, Clone)]
pub struct FileCtx<'a> {
    pub rel: &'a str,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub submission: &'a str,
}

/// What one workbook produced.
#[derive(Debug, Default)]
pub struct Normalised {
    pub observations: Vec<Observation>,
    pub issues: Vec<Issue>,
    pub cells_read: u64,
    pub landed: u64,
    pub rejected: u64,
    pub derived: u64,
    pub years: Vec<i32>,
    pub tables_found: usize,
    /// The return's own totals (合计 rows, 全县 columns): not loaded, kept to check the areas add up.
    pub controls: Vec<Control>,
    /// One shared copy of each code and provenance string of the file.
    pub texts: crate::model::Interner,
}

/// Normalise one workbook with one form.
pub fn normalise_workbook(wb: &Workbook, form: &Form, cfg: &Config, ctx: &FileCtx<'_>) -> Normalised {
    let mut out = Normalised::default();
    for sheet in &wb.sheets {
        if let Some(re) = &form.sheet_name_re {
            if !re.is_match(&sheet.name) {
                continue;
            }
        }
        let Some(hr) = find_header_row(sheet, &form.raw.table.header_labels) else {
            if sheet.non_empty() > 0 && form.sheet_name_re.is_some() {
                out.issues.push(
                    Issue::new(
                        Severity::Error,
                        "table_not_found",
                        format!("sheet {:?} matches the form's sheet names but has no header row with {:?}", sheet.name, form.raw.table.header_labels),
                    )
                    .at(ctx.rel, Some(&sheet.name), None),
                );
            }
            continue;
        };
        out.tables_found += 1;
        let mut sn = SheetNormaliser::new(sheet, hr, form, cfg, ctx, &mut out);
        match form.raw.table.layout {
            Layout::Grid => sn.grid(),
            Layout::Long => sn.long(),
        }
    }
    if out.tables_found == 0 {
        out.issues.push(
            Issue::new(
                Severity::Error,
                "table_not_found",
                format!(
                    "no sheet has a header row with {:?} (form {}); the layout may have changed — see `wcmon inspect`",
                    form.raw.table.header_labels,
                    form.id()
                ),
            )
            .at(ctx.rel, None, None),
        );
    }
    for issue in &mut out.issues {
        issue.submission.get_or_insert_with(|| ctx.submission.to_string());
        issue.form.get_or_insert_with(|| form.id().to_string());
        // `[severity]` of the form, else of rules.toml, for ingest findings.
        if let Some(&sev) = form.raw.severity.get(issue.rule).or_else(|| cfg.rules.severity.get(issue.rule)) {
            issue.severity = sev;
        }
    }
    out.years = out.observations.iter().map(|o| o.year).collect();
    out.years.sort();
    out.years.dedup();
    out
}

struct SheetNormaliser<'a, 'o> {
    sheet: &'a Sheet,
    hr: usize,
    form: &'a Form,
    cfg: &'a Config,
    ctx: &'a FileCtx<'a>,
    out: &'o mut Normalised,
    paths: Vec<Vec<String>>,
    title_text: String,
    /// The sheet's form, file, sheet name, file hash and submission, as the shared
    /// texts every value of the sheet holds (looked up once, not per value).
    provenance: [Text; 5],
    /// The form's end and skip-row labels, normalised once for the sheet (not per row).
    end_labels: Vec<String>,
    skip_rows: Vec<String>,
}

/// What a row or column contributes.
#[derive(Debug, Clone, Default)]
struct Key {
    dims: Dims,
    area: Option<String>,
    year: Option<i32>,
}

impl<'a, 'o> SheetNormaliser<'a, 'o> {
    fn new(sheet: &'a Sheet, hr: usize, form: &'a Form, cfg: &'a Config, ctx: &'a FileCtx<'a>, out: &'o mut Normalised) -> Self {
        let paths = header_paths_skipping(sheet, hr, form.raw.table.header_rows, &header_skip(form));
        let mut title_text = String::new();
        for r in 0..hr {
            for c in 0..sheet.cols {
                let v = sheet.get(r, c);
                if !v.is_empty() {
                    title_text.push_str(&v.label());
                    title_text.push(' ');
                }
            }
        }
        let provenance: [&str; 5] = [form.id(), ctx.rel, sheet.name.as_str(), ctx.sha256, ctx.submission];
        let provenance = provenance.map(|s| out.texts.get(s));
        let normalised = |labels: &[String]| labels.iter().map(|l| normalise_label(l)).collect::<Vec<_>>();
        let (end_labels, skip_rows) = (normalised(&form.raw.table.end_labels), normalised(&form.raw.table.skip_rows));
        // Room for a value per cell, up to a point (the values vector doubled its way up, copying, in profiles).
        out.observations.reserve(sheet.rows.saturating_mul(sheet.cols).min(1 << 14));
        SheetNormaliser { sheet, hr, form, cfg, ctx, out, paths, title_text, provenance, end_labels, skip_rows }
    }

    fn issue(&self, sev: Severity, rule: &'static str, msg: String, r: usize, c: usize) -> Issue {
        Issue::new(sev, rule, msg).at(self.ctx.rel, Some(&self.sheet.name), Some(a1(r, c)))
    }

    fn reject(&mut self, issue: Issue) {
        self.out.rejected += 1;
        self.out.issues.push(issue);
    }

    fn col_index(&self, label: &str) -> Option<usize> {
        (0..self.sheet.cols).find(|&c| first_label_is(&self.paths[c], label))
    }

    /// The column a [`ColRef`] names: its letter, or the first column whose header starts or ends with the label.
    fn col_ref_index(&self, r: &ColRef) -> Option<usize> {
        match r {
            ColRef::Header(h) => self.col_index(h),
            ColRef::Letter { .. } => r.letter(),
        }
    }

    /// Does the column `c` (with header path `path`) answer to `r`?
    fn col_ref_is(&self, r: &ColRef, c: usize, path: &[String]) -> bool {
        match r {
            ColRef::Header(h) => first_label_is(path, h),
            ColRef::Letter { .. } => r.letter() == Some(c),
        }
    }

    /// The `[[columns]]` entry (not a flag column's) mapping column `c`: by its letter, else by its header path.
    fn mapping_of(&self, c: usize) -> Option<usize> {
        let by_letter =
            self.form.raw.columns.iter().position(|m| m.flag_of.is_none() && m.column.as_deref().and_then(crate::config::forms::column_index) == Some(c));
        by_letter.or_else(|| {
            let path = &self.paths[c];
            (!path.is_empty()).then(|| self.form.columns.iter().find(|(k, _)| path_matches(path, k)).map(|(_, &i)| i)).flatten()
        })
    }

    /// The columns holding the flags of value columns: flag column -> value column.
    fn flag_columns(&self) -> Result<BTreeMap<usize, usize>, KeyError> {
        let mut out = BTreeMap::new();
        for m in &self.form.raw.columns {
            let Some(of) = &m.flag_of else { continue };
            let flag_col = match (&m.column, &m.header) {
                (Some(l), _) => crate::config::forms::column_index(l),
                (None, Some(h)) => {
                    let key = crate::config::forms::header_key(h);
                    (0..self.sheet.cols).find(|&c| !self.paths[c].is_empty() && path_matches(&self.paths[c], &key))
                }
                (None, None) => None,
            };
            let value_col = crate::config::forms::column_index(of).or_else(|| {
                let key = crate::config::forms::header_key(of);
                (0..self.sheet.cols).find(|&c| Some(c) != flag_col && !self.paths[c].is_empty() && path_matches(&self.paths[c], &key))
            });
            match (flag_col, value_col) {
                // A letter past the sheet's last column: an empty column, nothing to read.
                (Some(f), Some(v)) if f >= self.sheet.cols || v >= self.sheet.cols => {}
                (Some(f), Some(v)) => {
                    out.insert(f, v);
                }
                (None, _) => return Err(KeyError::FlagColumnMissing { name: m.name().to_string() }),
                (_, None) => return Err(KeyError::ValueColumnMissing { of: of.to_string(), name: m.name().to_string() }),
            }
        }
        for c in 0..self.sheet.cols {
            if out.contains_key(&c) {
                // Already a flag column (the right half of a merged value header).
                continue;
            }
            if let Some(i) = self.mapping_of(c) {
                if self.form.raw.columns[i].flag.as_deref() == Some("next") && c + 1 < self.sheet.cols {
                    out.insert(c + 1, c);
                }
            }
        }
        Ok(out)
    }

    /// What the marks of a flag cell (or the marks stripped from a value cell) say:
    /// the first obs_status given, the notes joined, and the marks not in `[table.flags]`.
    fn read_marks(&self, text: &str) -> (Option<&'static str>, Vec<String>, Vec<String>) {
        let (mut status, mut notes, mut unknown) = (None, Vec::new(), Vec::new());
        let whole = normalise_label(text);
        let parts: Vec<String> = if self.form.flags.iter().any(|f| f.mark == whole) {
            vec![whole]
        } else {
            text.split([',', ';', '，', '；', '、', ' ', '\u{3000}']).map(normalise_label).filter(|p| !p.is_empty()).collect()
        };
        for p in parts {
            match self.form.flags.iter().find(|f| f.mark == p) {
                Some(f) => {
                    status = status.or(f.obs_status);
                    if let Some(n) = &f.note {
                        if !notes.contains(n) {
                            notes.push(n.clone());
                        }
                    }
                }
                None => unknown.push(p),
            }
        }
        (status, notes, unknown)
    }

    /// A value cell's text with its declared marks ("（估计）", "*") taken off either end:
    /// the rest cleaned, and the marks found, in order. `None` when no mark was found.
    fn strip_marks(&self, text: &str) -> Option<(Cleaned, Vec<String>)> {
        if self.form.flags.is_empty() {
            return None;
        }
        let mut rest = normalise_label(text);
        let mut marks = Vec::new();
        for _ in 0..4 {
            let found = self.form.flags.iter().find_map(|f| {
                if let Some(b) = rest.strip_suffix(f.mark.as_str()) {
                    Some((b.to_string(), f.mark.clone()))
                } else {
                    rest.strip_prefix(f.mark.as_str()).map(|b| (b.to_string(), f.mark.clone()))
                }
            });
            let Some((b, m)) = found else { break };
            rest = b;
            marks.push(m);
            // What is left is a number, or nothing but a dash (the mark alone stands for no figure).
            if let c @ (Cleaned::Number { .. } | Cleaned::Dash) = clean_text(&rest) {
                return Some((c, marks));
            }
        }
        None
    }

    /// Year for the whole sheet, when it is not a column.
    fn sheet_year(&self) -> Result<Option<i32>, KeyError> {
        let spec = &self.form.raw.year;
        let find = |text: &str, what: &'static str| -> Result<Option<i32>, KeyError> {
            self.form.year_re.captures(text).and_then(|c| c.get(1)).and_then(|m| m.as_str().parse::<i32>().ok()).map(Some).ok_or_else(|| KeyError::NoYear {
                what,
                text: text.to_string(),
                pattern: self.form.year_re.as_str().to_string(),
            })
        };
        match spec.from {
            YearFrom::FileName => find(self.ctx.file_name, "file name"),
            YearFrom::SheetName => find(&self.sheet.name, "sheet name"),
            YearFrom::Title => find(&self.title_text, "lines above the table"),
            YearFrom::Fixed => Ok(spec.value),
            YearFrom::Column | YearFrom::Row => Ok(None),
        }
    }

    /// Area for the whole sheet, when it is not rows/columns/a column.
    fn sheet_area(&self) -> Result<Option<String>, KeyError> {
        let spec = &self.form.raw.area;
        let resolve_text = |text: &str, what: &'static str| -> Result<Option<String>, KeyError> {
            let candidate = match &self.form.area_re {
                Some(re) => re.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str().to_string()),
                None => Some(text.trim().to_string()),
            };
            let Some(candidate) = candidate else {
                return Err(KeyError::NoArea { what, text: text.to_string() });
            };
            match self.cfg.areas.resolve(&candidate) {
                Some(a) => Ok(Some(a.code.clone())),
                None => Err(KeyError::UnknownAreaIn { closest: self.cfg.areas.closest(&candidate, 3).join(", "), candidate, what }),
            }
        };
        match spec.from {
            AreaFrom::Fixed => {
                let v = spec.value.as_deref().unwrap_or_default();
                Ok(self.cfg.areas.get(v).or_else(|| self.cfg.areas.resolve(v)).map(|a| a.code.clone()))
            }
            AreaFrom::SheetName => resolve_text(&self.sheet.name, "sheet name"),
            AreaFrom::FileName => resolve_text(self.ctx.file_name, "file name"),
            AreaFrom::Title => {
                if self.form.area_re.is_some() {
                    resolve_text(&self.title_text, "lines above the table")
                } else {
                    // Any known area name standing in the title.
                    let found = self
                        .cfg
                        .areas
                        .list
                        .iter()
                        .filter(|a| a.parent.is_some() && self.title_text.contains(&a.name_zh))
                        .max_by_key(|a| a.name_zh.chars().count());
                    Ok(found.map(|a| a.code.clone())).and_then(|o| o.map(Some).ok_or_else(|| KeyError::NoAreaName { title: self.title_text.clone() }))
                }
            }
            AreaFrom::Rows | AreaFrom::Columns | AreaFrom::Column => Ok(None),
        }
    }

    /// The sheet-level key; on failure every value cell is rejected with the reason.
    fn sheet_key(&mut self) -> Result<Key, (KeyError, &'static str)> {
        let year = self.sheet_year().map_err(|m| (m, "year_not_found"))?;
        let area = self.sheet_area().map_err(|m| (m, "unknown_area"))?;
        Ok(Key { dims: self.form.raw.fixed.clone(), area, year })
    }

    fn is_end_row(&self, r: usize) -> bool {
        let first = (0..self.sheet.cols).map(|c| self.sheet.get(r, c)).find(|v| !v.is_empty());
        match first {
            Some(v) => {
                let l = normalise_label(&v.label());
                self.end_labels.iter().any(|e| l.starts_with(e.as_str()))
            }
            None => false,
        }
    }

    fn grid(&mut self) {
        let t = &self.form.raw.table;
        let h = t.header_rows;
        let label_col = match &t.label_column {
            Some(l) => self.col_ref_index(l),
            None => (0..self.sheet.cols).find(|&c| !self.paths[c].is_empty()),
        };
        let Some(label_col) = label_col else {
            let msg = format!("the label column {:?} is not in the header", t.label_column.as_ref().map(ColRef::describe).unwrap_or_default());
            let issue = self.issue(Severity::Error, "table_not_found", msg, self.hr, 0);
            self.out.issues.push(issue);
            return;
        };
        let year_col = match (&self.form.raw.year.from, &self.form.raw.year.column) {
            (YearFrom::Column, Some(y)) => match self.col_ref_index(y) {
                Some(c) => Some(c),
                None => {
                    let issue = self.issue(Severity::Error, "table_not_found", format!("the year column {:?} is not in the header", y.describe()), self.hr, 0);
                    self.out.issues.push(issue);
                    return;
                }
            },
            _ => None,
        };
        let flag_cols = match self.flag_columns() {
            Ok(f) => f,
            Err(why) => {
                let issue = self.issue(Severity::Error, "table_not_found", why.to_string(), self.hr, 0);
                self.out.issues.push(issue);
                return;
            }
        };
        // value column -> its flag column
        let flag_of_value: BTreeMap<usize, usize> = flag_cols.iter().map(|(&f, &v)| (v, f)).collect();
        let sheet_key = self.sheet_key();
        // Column roles.
        enum Col {
            Label,
            Ignore,
            Skip,
            Value(Result<Key, (KeyError, &'static str)>),
        }
        let mut cols: Vec<Col> = Vec::with_capacity(self.sheet.cols);
        for c in 0..self.sheet.cols {
            let path = &self.paths[c];
            if c == label_col || Some(c) == year_col || flag_cols.contains_key(&c) {
                // The label, the year and the flags go with the values of their row.
                cols.push(Col::Label);
                continue;
            }
            if t.ignore_columns.iter().any(|l| self.col_ref_is(l, c, path)) {
                cols.push(Col::Ignore);
                continue;
            }
            let skip = t.skip_columns.iter().any(|l| match l {
                ColRef::Header(h) => path.iter().any(|p| label_eq(p, h)),
                ColRef::Letter { .. } => l.letter() == Some(c),
            });
            if skip {
                cols.push(Col::Skip);
                continue;
            }
            let key = self.column_key(c, path).map_err(|m| (m, "unmapped_cell")).and_then(|mut k| match self.column_year(c) {
                Ok(y) => {
                    k.year = k.year.or(y);
                    Ok(k)
                }
                Err(m) => Err((m, "year_not_found")),
            });
            cols.push(Col::Value(key));
        }
        let first_data = self.hr + h;
        for r in first_data..self.sheet.rows {
            if self.is_end_row(r) {
                break;
            }
            let label_cell = self.sheet.get_merged(r, label_col).label();
            let value_cells: Vec<usize> =
                (0..self.sheet.cols).filter(|&c| matches!(cols[c], Col::Value(_) | Col::Skip) && !self.sheet.get(r, c).is_empty()).collect();
            // A flag beside no value: not lost, said.
            for (&f, &v) in &flag_cols {
                if self.sheet.get(r, v).is_empty() && !self.sheet.get(r, f).is_empty() && matches!(cols[v], Col::Value(_)) {
                    let mark = self.sheet.get(r, f).as_label();
                    let msg = format!("flag {mark:?} stands beside an empty value cell ({})", a1(r, v));
                    let issue = self.issue(Severity::Warning, "flag_without_value", msg, r, f).observed(mark);
                    self.out.issues.push(issue);
                }
            }
            if value_cells.is_empty() {
                continue;
            }
            let label_norm = normalise_label(&label_cell);
            let skip_row = self.skip_rows.iter().any(|s| normalised_eq(&label_norm, s));
            let rule = if self.form.raw.area.from == AreaFrom::Rows { "unknown_area" } else { "unmapped_cell" };
            let mut row_key: Result<Key, (KeyError, &'static str)> =
                if label_cell.is_empty() { Err((KeyError::RowWithoutLabel, rule)) } else { self.row_key(&label_cell, &label_norm).map_err(|m| (m, rule)) };
            if let (Some(yc), Ok(k)) = (year_col, &mut row_key) {
                let label = self.sheet.get_merged(r, yc).label();
                match self.form.year_re.captures(&label).and_then(|m| m.get(1)).and_then(|m| m.as_str().parse().ok()) {
                    Some(y) => k.year = Some(y),
                    None => {
                        let (label, cell, pattern) = (label.into_owned(), a1(r, yc), self.form.year_re.as_str().to_string());
                        row_key = Err((KeyError::RowYear { label, cell, pattern }, "year_not_found"))
                    }
                }
            }
            for c in value_cells {
                self.out.cells_read += 1;
                let v = self.sheet.get(r, c).clone();
                if skip_row || matches!(cols[c], Col::Skip) {
                    let control_key = match (&sheet_key, &cols[c], &row_key) {
                        (Ok(s), Col::Value(Ok(ck)), _) if skip_row => combine(&[s, ck]).ok(),
                        (Ok(s), Col::Skip, Ok(rk)) if !skip_row => combine(&[s, rk]).ok(),
                        _ => None,
                    };
                    if let Some(k) = control_key {
                        self.control(k, &v, r, c);
                    }
                    let what = if skip_row { format!("row {label_cell:?}") } else { format!("column {:?}", self.paths[c].join("/")) };
                    let issue = self
                        .issue(Severity::Info, "skipped_total", format!("{what} is a total the form skips: wcmon sums the areas itself"), r, c)
                        .observed(v.as_label());
                    self.reject(issue);
                    continue;
                }
                let Col::Value(col_key) = &cols[c] else { continue };
                let key = match (&sheet_key, col_key, &row_key) {
                    (Err((m, rule)), _, _) | (_, Err((m, rule)), _) | (_, _, Err((m, rule))) => Err((m.clone(), *rule)),
                    (Ok(s), Ok(ck), Ok(rk)) => combine(&[s, ck, rk]).map_err(|m| (m, "unmapped_cell")),
                };
                match key {
                    Ok(k) => {
                        let flag = flag_of_value.get(&c).map(|&f| (f, self.sheet.get(r, f).label().into_owned())).filter(|f| !f.1.is_empty());
                        self.land_flagged(k, &v, r, c, flag)
                    }
                    Err((why, rule)) => {
                        let issue = self.issue(Severity::Error, rule, why.to_string(), r, c).observed(v.as_label());
                        self.reject(issue);
                    }
                }
            }
        }
    }
}
