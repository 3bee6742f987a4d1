//! Cells -> long observations, driven by a form's pipeline file.
//!
//! For every sheet holding the form's table: find the header row by its
//! labels, build each column's header path (merged cells filled), then give
//! every non-empty value cell its dimensions (data element, area, year, sex,
//! age, residence) from the form's fixed dimensions, its column and its row.
//! Every such cell either lands as an [`Observation`] or becomes an [`Issue`]
//! that names file, sheet and cell: `cells_read = landed + rejected`.

mod long;

use std::collections::BTreeMap;

use crate::config::forms::{AreaFrom, ColRef, DashMeans, Dims, Layout, YearFrom};
use crate::config::{Config, Form};
use crate::ingest::{a1, CellValue, Sheet, Workbook};
use crate::model::{Control, Interner, Issue, Observation, Severity, Text};
use crate::vocab::clean::{clean_text, normalise_label, unit_scale, Cleaned};
use crate::vocab::labels;

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

/// A label with a trailing unit in parentheses removed: "活产数(人)" -> "活产数".
fn strip_unit(label: &str) -> &str {
    if let Some(i) = label.rfind('(') {
        if label.ends_with(')') && i > 0 {
            return &label[..i];
        }
    }
    label
}

fn label_eq(cell: &str, wanted: &str) -> bool {
    normalised_eq(&normalise_label(cell), &normalise_label(wanted))
}

/// [`label_eq`] on labels already normalised.
fn normalised_eq(cell: &str, wanted: &str) -> bool {
    cell == wanted || strip_unit(cell) == wanted
}

/// The rows of a form's header block left out of its header paths (0 = the block's first row):
/// `header_skip`, and the year row of `year.from = "row"`.
pub fn header_skip(form: &Form) -> Vec<usize> {
    let mut skip: Vec<usize> = form.raw.table.header_skip.iter().map(|r| r - 1).collect();
    if let (YearFrom::Row, Some(r)) = (form.raw.year.from, form.raw.year.row) {
        skip.push(r - 1);
    }
    skip
}

/// Row index of the first row holding all `labels`.
pub fn find_header_row(sheet: &Sheet, labels: &[String]) -> Option<usize> {
    // label_eq, with each label and each cell normalised once.
    let wanted: Vec<String> = labels.iter().map(|l| normalise_label(l)).collect();
    // Every form recognising a workbook looks at the same rows: a row's labels are
    // normalised the first time one looks, and only as far down as one looks.
    let rows = sheet.top_labels.get_or_init(|| (0..sheet.rows.min(HEADER_SEARCH_ROWS)).map(|_| Default::default()).collect());
    (0..rows.len()).find(|&r| {
        let cells = rows[r].get_or_init(|| (0..sheet.cols).map(|c| normalise_label(&sheet.get_merged(r, c).label())).collect());
        wanted.iter().all(|w| cells.iter().any(|c| normalised_eq(c, w)))
    })
}

/// Does any sheet hold all the labels in its first rows?
pub fn workbook_has_labels(wb: &Workbook, labels: &[String]) -> bool {
    labels.is_empty() || wb.sheets.iter().any(|s| find_header_row(s, labels).is_some())
}

/// Header paths of every column, normalised, for header rows `r..r+h`.
pub fn header_paths(sheet: &Sheet, r: usize, h: usize) -> Vec<Vec<String>> {
    header_paths_skipping(sheet, r, h, &[])
}

/// [`header_paths`] leaving out the rows `skip` of the block (0 = its first row).
pub fn header_paths_skipping(sheet: &Sheet, r: usize, h: usize, skip: &[usize]) -> Vec<Vec<String>> {
    (0..sheet.cols)
        .map(|c| {
            let parts: Vec<String> = (r..r + h)
                .filter(|rr| !skip.contains(&(rr - r)))
                .map(|rr| normalise_label(&sheet.get_merged(rr, c).label()))
                .filter(|p| !p.is_empty())
                .collect();
            crate::config::forms::dedup_path(parts)
        })
        .collect()
}

/// Header paths as a form must write them: each column's labels as typed (trimmed,
/// inner line breaks and spaces kept as the cell has them), a label repeated by a
/// merged cell once, joined by "/". Matching normalises both sides.
pub fn header_paths_display(sheet: &Sheet, r: usize, h: usize, skip: &[usize]) -> Vec<String> {
    (0..sheet.cols)
        .map(|c| {
            let mut out: Vec<(String, String)> = Vec::new();
            for rr in (r..r + h).filter(|rr| !skip.contains(&(rr - r))) {
                let raw = sheet.get_merged(rr, c).label().replace(['\n', '\r'], " ").replace('/', "／");
                let n = normalise_label(&raw);
                if n.is_empty() || out.last().is_some_and(|l| l.1 == n) {
                    continue;
                }
                out.push((raw.split_whitespace().collect::<Vec<_>>().join(" "), n));
            }
            out.into_iter().map(|p| p.0).collect::<Vec<_>>().join("/")
        })
        .collect()
}

fn path_matches(path: &[String], wanted_key: &str) -> bool {
    let full = path.join("/");
    if full == wanted_key {
        return true;
    }
    let stripped: Vec<&str> = path.iter().map(|p| strip_unit(p)).collect();
    stripped.join("/") == wanted_key
}

fn first_label_is(path: &[String], wanted: &str) -> bool {
    path.first().is_some_and(|p| label_eq(p, wanted)) || path.last().is_some_and(|p| label_eq(p, wanted))
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
    fn flag_columns(&self) -> Result<BTreeMap<usize, usize>, String> {
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
                (None, _) => return Err(format!("the flag column {:?} is not in the header", m.name())),
                (_, None) => return Err(format!("the value column {of:?} (flag_of of {:?}) is not in the header", m.name())),
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
    fn sheet_year(&self) -> Result<Option<i32>, String> {
        let spec = &self.form.raw.year;
        let find = |text: &str, what: &str| -> Result<Option<i32>, String> {
            self.form
                .year_re
                .captures(text)
                .and_then(|c| c.get(1))
                .and_then(|m| m.as_str().parse::<i32>().ok())
                .map(Some)
                .ok_or_else(|| format!("no year found in the {what} {text:?} (pattern {})", self.form.year_re.as_str()))
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
    fn sheet_area(&self) -> Result<Option<String>, String> {
        let spec = &self.form.raw.area;
        let resolve_text = |text: &str, what: &str| -> Result<Option<String>, String> {
            let candidate = match &self.form.area_re {
                Some(re) => re.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str().to_string()),
                None => Some(text.trim().to_string()),
            };
            let Some(candidate) = candidate else {
                return Err(format!("no area found in the {what} {text:?}"));
            };
            match self.cfg.areas.resolve(&candidate) {
                Some(a) => Ok(Some(a.code.clone())),
                None => {
                    Err(format!("area {candidate:?} (from the {what}) is not in areas.toml; closest: {}", self.cfg.areas.closest(&candidate, 3).join(", ")))
                }
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
                    Ok(found.map(|a| a.code.clone())).and_then(|o| o.map(Some).ok_or_else(|| format!("no area name in {:?}", self.title_text)))
                }
            }
            AreaFrom::Rows | AreaFrom::Columns | AreaFrom::Column => Ok(None),
        }
    }

    /// The sheet-level key; on failure every value cell is rejected with the reason.
    fn sheet_key(&mut self) -> Result<Key, (String, &'static str)> {
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
            Err(msg) => {
                let issue = self.issue(Severity::Error, "table_not_found", msg, self.hr, 0);
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
            Value(Result<Key, (String, &'static str)>),
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
            let mut row_key: Result<Key, (String, &'static str)> = if label_cell.is_empty() {
                Err(("the row has no label".to_string(), rule))
            } else {
                self.row_key(&label_cell, &label_norm).map_err(|m| (m, rule))
            };
            if let (Some(yc), Ok(k)) = (year_col, &mut row_key) {
                let label = self.sheet.get_merged(r, yc).label();
                match self.form.year_re.captures(&label).and_then(|m| m.get(1)).and_then(|m| m.as_str().parse().ok()) {
                    Some(y) => k.year = Some(y),
                    None => {
                        row_key = Err((format!("year {label:?} (cell {}) is not a year (pattern {})", a1(r, yc), self.form.year_re.as_str()), "year_not_found"))
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
                    Err((msg, rule)) => {
                        let issue = self.issue(Severity::Error, rule, msg, r, c).observed(v.as_label());
                        self.reject(issue);
                    }
                }
            }
        }
    }

    /// The year a column's header gives (`year.from = "row"`), else none.
    fn column_year(&self, c: usize) -> Result<Option<i32>, String> {
        let spec = &self.form.raw.year;
        let (YearFrom::Row, Some(row)) = (spec.from, spec.row) else { return Ok(None) };
        let rr = self.hr + row - 1;
        let label = self.sheet.get_merged(rr, c).label();
        match self.form.year_re.captures(&label).and_then(|m| m.get(1)).and_then(|m| m.as_str().parse().ok()) {
            Some(y) => Ok(Some(y)),
            None => Err(format!(
                "the header cell {} ({label:?}) above this column holds no year (year.row = {row}, pattern {})",
                a1(rr, c),
                self.form.year_re.as_str()
            )),
        }
    }

    fn column_key(&self, c: usize, path: &[String]) -> Result<Key, String> {
        let mut key = Key::default();
        let by_letter =
            self.form.raw.columns.iter().find(|m| m.flag_of.is_none() && m.column.as_deref().and_then(crate::config::forms::column_index) == Some(c));
        if let Some(m) = by_letter {
            key.dims = m.dims.clone();
        } else if path.is_empty() {
            return Err(format!(
                "the column {} has no header (map it by its letter: column = {:?})",
                a1(0, c).trim_end_matches('1'),
                a1(0, c).trim_end_matches('1')
            ));
        } else if let Some((_, &i)) = self.form.columns.iter().find(|(k, _)| path_matches(path, k)) {
            key.dims = self.form.raw.columns[i].dims.clone();
        } else if self.form.raw.area.from != AreaFrom::Columns {
            // Built-in sex/age labels ("男", "女", "0-4岁") under a mapped parent.
            let last = path.last().map(String::as_str).unwrap_or_default();
            let parent = &path[..path.len() - 1];
            let parent_dims =
                self.form.columns.iter().find(|(k, _)| !parent.is_empty() && path_matches(parent, k)).map(|(_, &i)| self.form.raw.columns[i].dims.clone());
            let own = if labels::is_total(last) {
                Some(Dims::default())
            } else if let Some(s) = labels::sex_code(last) {
                Some(Dims { sex: Some(s.into()), ..Default::default() })
            } else {
                labels::age_code(last).map(|a| Dims { age: Some(a), ..Default::default() })
            };
            match (own, parent_dims) {
                (Some(o), Some(p)) => key.dims = o.merge(&p)?,
                (Some(o), None) if self.form.raw.columns.is_empty() => key.dims = o,
                _ => {
                    let known: Vec<&str> = self.form.raw.columns.iter().filter_map(|c| c.header.as_deref()).collect();
                    let joined = path.join("/");
                    return Err(format!("column {joined:?} is not mapped in {}{}", self.form.file.display(), closest_hint(&joined, &known)));
                }
            }
        }
        if self.form.raw.area.from == AreaFrom::Columns {
            let last = path.last().map(String::as_str).unwrap_or_default();
            match self.cfg.areas.resolve(last) {
                Some(a) => key.area = Some(a.code.clone()),
                None => return Err(format!("column header {last:?} is not a known area; closest: {}", self.cfg.areas.closest(last, 3).join(", "))),
            }
        }
        Ok(key)
    }

    /// The key a row label gives; `n` is the label normalised.
    fn row_key(&self, label: &str, n: &str) -> Result<Key, String> {
        let mut key = Key::default();
        if self.form.raw.area.from == AreaFrom::Rows {
            return match self.cfg.areas.resolve(label) {
                Some(a) => {
                    key.area = Some(a.code.clone());
                    Ok(key)
                }
                None => Err(format!("area {label:?} is not in areas.toml; closest: {}", self.cfg.areas.closest(label, 3).join(", "))),
            };
        }
        if let Some(&i) = self.form.rows.get(n).or_else(|| self.form.rows.get(strip_unit(n))) {
            key.dims = self.form.raw.rows[i].dims.clone();
            return Ok(key);
        }
        if self.form.raw.rows.is_empty() {
            if labels::is_total_normalised(n) {
                return Ok(key);
            }
            if let Some(s) = labels::sex_code_normalised(n) {
                key.dims.sex = Some(s.into());
                return Ok(key);
            }
            if let Some(a) = labels::age_code_normalised(label, n) {
                key.dims.age = Some(a);
                return Ok(key);
            }
        }
        let known: Vec<&str> = self.form.raw.rows.iter().map(|r| r.label.as_str()).collect();
        Err(format!("row {label:?} is not mapped in {}{}", self.form.file.display(), closest_hint(label, &known)))
    }

    /// Keep a total cell of the return as a control for the area balance rule.
    fn control(&mut self, key: KeyRef, v: &CellValue, r: usize, c: usize) {
        let (Some(de_code), Some(year)) = (key.data_element, key.year) else { return };
        let Some(de) = self.cfg.catalogue.data_element(de_code) else { return };
        let (value, written) = match v {
            CellValue::Number(x) => (*x, None),
            CellValue::Text(s) => match clean_text(s) {
                Cleaned::Number { value, unit } => (value, unit),
                _ => return,
            },
            _ => return,
        };
        let value = match written.or(key.unit) {
            Some(u) => match unit_scale(u, &de.unit) {
                Some(s) => ((value * s) * 1e6).round() / 1e6,
                None => return,
            },
            None => value,
        };
        self.out.controls.push(Control {
            data_element: de_code.to_string(),
            year,
            sex: key.sex.unwrap_or("_T").to_string(),
            age: key.age.unwrap_or("_T").to_string(),
            residence: key.residence.unwrap_or("_T").to_string(),
            value,
            sheet: self.sheet.name.clone(),
            cell: a1(r, c),
        });
    }

    /// Clean the value of one cell and land it, or reject it with an issue; `flag` is
    /// the value's flag cell (its column and text), if it has one.
    fn land_flagged(&mut self, key: KeyRef, v: &CellValue, r: usize, c: usize, flag: Option<(usize, String)>) {
        let Some(de_code) = key.data_element else {
            let issue = self.issue(Severity::Error, "unmapped_cell", "no data element is mapped to this cell".into(), r, c).observed(v.as_label());
            return self.reject(issue);
        };
        let Some(de) = self.cfg.catalogue.data_element(de_code) else {
            let issue = self.issue(Severity::Error, "unmapped_cell", format!("unknown data element {de_code}"), r, c);
            return self.reject(issue);
        };
        let (Some(area), Some(year)) = (key.area, key.year) else {
            let what = if key.area.is_none() { "area" } else { "year" };
            let issue = self.issue(Severity::Error, "unmapped_cell", format!("no {what} for this cell"), r, c).observed(v.as_label());
            return self.reject(issue);
        };
        // Marks written in the cell ("85.3（估计）", "12*") and in its flag column.
        let mut marks: Vec<String> = Vec::new();
        let (value, mut status, written_unit): (Option<f64>, &'static str, Option<&str>) = match v {
            CellValue::Number(x) => (Some(*x), "A", None),
            CellValue::Text(s) => {
                let cleaned = match clean_text(s) {
                    Cleaned::Text(t) => match self.strip_marks(&t) {
                        Some((c, m)) => {
                            marks = m;
                            c
                        }
                        None => Cleaned::Text(t),
                    },
                    other => other,
                };
                match cleaned {
                    Cleaned::Number { value, unit } => (Some(value), "A", unit),
                    Cleaned::Dash => match self.form.raw.table.dash_means {
                        DashMeans::Zero => (Some(0.0), "A", None),
                        DashMeans::Missing => (None, "M", None),
                    },
                    Cleaned::Text(t) => {
                        let issue =
                            self.issue(Severity::Error, "unparseable_value", format!("{t:?} is not a number ({})", de.name_zh), r, c).observed(t.clone());
                        return self.reject(with_key(issue, de_code, area, year, &key));
                    }
                }
            }
            CellValue::Error(e) => {
                let issue = self.issue(Severity::Error, "unparseable_value", format!("the cell holds the Excel error {e}"), r, c).observed(e.clone());
                return self.reject(with_key(issue, de_code, area, year, &key));
            }
            CellValue::Bool(b) => {
                let issue = self.issue(Severity::Error, "unparseable_value", format!("{b} is not a number"), r, c).observed(b.to_string());
                return self.reject(with_key(issue, de_code, area, year, &key));
            }
            CellValue::Empty => return,
        };
        // Units: what the cell says ("85.3%"), else what the column says, converted to the element's unit.
        let value = match (value, written_unit.or(key.unit)) {
            (Some(x), Some(u)) => match unit_scale(u, &de.unit) {
                // Round away the binary noise of the conversion (1.2345 万人 -> 12345 人).
                Some(s) if s != 1.0 => Some(((x * s) * 1e6).round() / 1e6),
                Some(_) => Some(x),
                None => {
                    let issue = self
                        .issue(Severity::Error, "unit_mismatch", format!("value written in {u} but {} is kept in {}", de.name_zh, de.unit), r, c)
                        .observed(v.as_label());
                    return self.reject(with_key(issue, de_code, area, year, &key));
                }
            },
            (x, _) => x,
        };
        let mut notes: Vec<String> = Vec::new();
        let mut mark_status: Option<&'static str> = None;
        for m in &marks {
            let (st, n, _) = self.read_marks(m);
            mark_status = mark_status.or(st);
            notes.extend(n.into_iter().filter(|n| !notes.contains(n)).collect::<Vec<_>>());
        }
        if let Some((fc, text)) = &flag {
            let (st, n, unknown) = self.read_marks(text);
            mark_status = mark_status.or(st);
            for n in n {
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
            if !unknown.is_empty() {
                // Kept on the value as written, and said.
                notes.push(text.clone());
                let known: Vec<&str> = self.form.raw.table.flags.keys().map(String::as_str).collect();
                let msg = format!("flag {text:?} of {} is not in [table.flags] ({}); kept as the value's note", a1(r, c), known.join(", "));
                let issue = self.issue(Severity::Warning, "unknown_flag", msg, r, *fc).observed(text.clone());
                self.out.issues.push(with_key(issue, de_code, area, year, &key));
            }
        }
        if let (Some(st), Some(_)) = (mark_status, value) {
            status = st;
        }
        let note = (!notes.is_empty()).then(|| self.out.texts.get(&notes.join("; ")));
        self.out.landed += 1;
        let t = &mut self.out.texts;
        let mut cell = [0u8; crate::ingest::A1_MAX];
        let observation = Observation {
            data_element: t.get_for(0, de_code),
            area: t.get_for(1, area),
            year,
            sex: t.get_for(2, key.sex.unwrap_or("_T")),
            age: t.get_for(3, key.age.unwrap_or("_T")),
            residence: t.get_for(4, key.residence.unwrap_or("_T")),
            value,
            obs_status: status,
            derived: false,
            form: Some(self.provenance[0].clone()),
            source_file: Some(self.provenance[1].clone()),
            source_sheet: Some(self.provenance[2].clone()),
            source_cell: Some(Text::from(crate::ingest::a1_in(r, c, &mut cell))),
            source_sha256: Some(self.provenance[3].clone()),
            submission: Some(self.provenance[4].clone()),
            flags: None,
            note,
        };
        self.out.observations.push(observation);
    }
}

fn with_key(mut issue: Issue, de: &str, area: &str, year: i32, k: &KeyRef) -> Issue {
    issue.data_element = Some(de.to_string());
    issue.area = Some(area.to_string());
    issue.year = Some(year);
    issue.sex = Some(k.sex.unwrap_or("_T").to_string());
    issue.age = Some(k.age.unwrap_or("_T").to_string());
    issue
}

/// A value's key combined from the sheet's, the column's and the row's, borrowing
/// their texts: a value landed copies none of them.
#[derive(Debug, Clone, Copy, Default)]
struct KeyRef<'k> {
    data_element: Option<&'k str>,
    sex: Option<&'k str>,
    age: Option<&'k str>,
    residence: Option<&'k str>,
    unit: Option<&'k str>,
    area: Option<&'k str>,
    year: Option<i32>,
}

/// Combine keys in order: a field is set by the first key that has it; two keys
/// setting it differently is an error message (as [`Dims::merge_from`] words it).
fn combine<'k>(keys: &[&'k Key]) -> Result<KeyRef<'k>, String> {
    fn pick<'k>(a: &mut Option<&'k str>, b: &'k Option<String>, what: &str) -> Result<(), String> {
        match (*a, b.as_deref()) {
            (Some(x), Some(y)) if x != y => return Err(format!("{what} is {x} by one mapping and {y} by another")),
            (None, Some(y)) => *a = Some(y),
            _ => {}
        }
        Ok(())
    }
    let mut out = KeyRef::default();
    for k in keys {
        let d = &k.dims;
        pick(&mut out.data_element, &d.data_element, "data_element")?;
        pick(&mut out.sex, &d.sex, "sex")?;
        pick(&mut out.age, &d.age, "age")?;
        pick(&mut out.residence, &d.residence, "residence")?;
        pick(&mut out.unit, &d.unit, "unit")?;
        pick(&mut out.area, &k.area, "area")?;
        if out.year.is_none() {
            out.year = k.year;
        }
    }
    Ok(out)
}

/// "; closest: a, b" with the known labels nearest to `label`, or "".
fn closest_hint(label: &str, known: &[&str]) -> String {
    if known.is_empty() {
        return String::new();
    }
    let n = normalise_label(label);
    let mut scored: Vec<(f64, &str)> = known.iter().map(|k| (strsim::normalized_levenshtein(&n, &normalise_label(k)), *k)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let best: Vec<&str> = scored.iter().take(3).map(|s| s.1).collect();
    format!("; closest: {}", best.join(", "))
}

/// Derive M = _T − F (and _T = F + M) for additive data elements reported
/// with two of the three sexes in the same return. Runs after validation, so
/// withheld values derive nothing. Returns the derived observations.
pub fn derive_sexes(form: &Form, cfg: &Config, observations: &[Observation]) -> Vec<Observation> {
    if !form.raw.table.derive_sex {
        return Vec::new();
    }
    // (data element, area, year, age, residence) -> the rows of its total, female, male.
    type K<'a> = (&'a str, &'a str, i32, &'a str, &'a str);
    let mut groups: rustc_hash::FxHashMap<K, [Option<usize>; 3]> = rustc_hash::FxHashMap::default();
    groups.reserve(observations.len());
    // Whether the last data element seen is additive (a file's values of one come together).
    let mut last: Option<(&str, bool)> = None;
    for (i, o) in observations.iter().enumerate() {
        let additive = match last {
            Some((de, additive)) if de == &*o.data_element => additive,
            _ => {
                let additive = cfg.catalogue.data_element(&o.data_element).is_some_and(|d| d.kind.additive());
                last = Some((&o.data_element, additive));
                additive
            }
        };
        if !additive || o.derived {
            continue;
        }
        let slot = match &*o.sex {
            "_T" => 0,
            "F" => 1,
            "M" => 2,
            _ => continue,
        };
        groups.entry((&o.data_element, &o.area, o.year, &o.age, &o.residence)).or_default()[slot] = Some(i);
    }
    // Derived rows in key order, whatever the hash order.
    let mut pairs: Vec<(K, [Option<usize>; 3])> =
        groups.into_iter().filter(|(_, s)| matches!(s, [Some(_), Some(_), None] | [None, Some(_), Some(_)])).collect();
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut new = Vec::new();
    let mut texts = Interner::default();
    for (_, slots) in pairs {
        let (missing_sex, oa, ob, op) = match slots {
            [Some(t), Some(f), None] => ("M", &observations[t], &observations[f], '-'),
            [None, Some(f), Some(m)] => ("_T", &observations[f], &observations[m], '+'),
            _ => continue,
        };
        let (Some(va), Some(vb)) = (oa.value, ob.value) else { continue };
        let value = if op == '-' { va - vb } else { va + vb };
        if value < 0.0 {
            // 其中:女 above the total: reported by validation (female_exceeds_total).
            continue;
        }
        let cells = format!("{}{}{}", oa.source_cell.as_deref().unwrap_or_default(), op, ob.source_cell.as_deref().unwrap_or_default());
        new.push(Observation {
            data_element: oa.data_element.clone(),
            area: oa.area.clone(),
            year: oa.year,
            sex: texts.get(missing_sex),
            age: oa.age.clone(),
            residence: oa.residence.clone(),
            value: Some(value),
            obs_status: "A",
            derived: true,
            form: oa.form.clone(),
            source_file: oa.source_file.clone(),
            source_sheet: oa.source_sheet.clone(),
            source_cell: Some(cells.into()),
            source_sha256: oa.source_sha256.clone(),
            submission: oa.submission.clone(),
            flags: None,
            note: None,
        });
    }
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(de: Option<&str>, sex: Option<&str>, age: Option<&str>, unit: Option<&str>) -> Dims {
        let s = |x: Option<&str>| x.map(str::to_string);
        Dims { data_element: s(de), sex: s(sex), age: s(age), residence: None, unit: s(unit) }
    }

    /// The sheet's, column's and row's keys combined: each field from the first key
    /// that sets it, a field set two ways refused in the words `Dims::merge` uses.
    #[test]
    fn keys_combine_field_by_field_and_refuse_conflicts() {
        let sheet = Key { dims: Dims::default(), area: Some("421321".into()), year: Some(2024) };
        let col = Key { dims: dims(Some("live_births"), Some("F"), None, Some("万人")), area: None, year: None };
        let row = Key { dims: dims(None, Some("F"), Some("Y0T4"), None), area: Some("421321".into()), year: Some(2023) };
        let k = combine(&[&sheet, &col, &row]).unwrap();
        assert_eq!(
            (k.data_element, k.sex, k.age, k.residence, k.unit, k.area, k.year),
            (Some("live_births"), Some("F"), Some("Y0T4"), None, Some("万人"), Some("421321"), Some(2024))
        );
        let male = Key { dims: dims(None, Some("M"), None, None), area: None, year: None };
        assert_eq!(combine(&[&sheet, &col, &male]).unwrap_err(), "sex is F by one mapping and M by another");
        assert_eq!(combine(&[&col, &male]).unwrap_err(), col.dims.merge(&male.dims).unwrap_err());
        let other_area = Key { dims: Dims::default(), area: Some("421322".into()), year: None };
        assert_eq!(combine(&[&sheet, &other_area]).unwrap_err(), "area is 421321 by one mapping and 421322 by another");
        let other_unit = Key { dims: dims(None, None, None, Some("人")), area: None, year: None };
        assert_eq!(combine(&[&col, &other_unit]).unwrap_err(), "unit is 万人 by one mapping and 人 by another");
        assert_eq!(combine(&[]).unwrap().data_element, None);
    }
}
