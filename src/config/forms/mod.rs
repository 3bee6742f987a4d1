//! `pipelines/forms/<body>/<form>.toml`: how to read one kind of return.
//!
//! The raw serde structs mirror the file (and are documented in
//! `pipelines/README.md`); [`Form::resolve`] checks them against the catalogue
//! and compiles the regexes before any workbook is opened.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::config::{Catalogue, ConfigError};
use crate::vocab::clean::normalise_label;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawForm {
    pub form: FormMeta,
    #[serde(rename = "match")]
    pub matching: MatchSpec,
    #[serde(default)]
    pub year: YearSpec,
    pub area: AreaSpec,
    pub table: TableSpec,
    /// Dimensions every value of the form shares (data_element, sex, age, residence).
    #[serde(default)]
    pub fixed: Dims,
    #[serde(default)]
    pub columns: Vec<ColumnMap>,
    #[serde(default)]
    pub rows: Vec<RowMap>,
    /// Long layout: which column holds what.
    #[serde(default)]
    pub long: Option<LongSpec>,
    /// Long layout: item labels -> data elements (and dims).
    #[serde(default)]
    pub items: Vec<RowMap>,
    /// Validation rules for this form's returns (see `pipelines/README.md`).
    #[serde(default)]
    pub rule: Vec<crate::config::rules::RawRule>,
    /// Who reports, how often and by when (see `crate::config::schedule`).
    #[serde(default)]
    pub schedule: Option<crate::config::schedule::Schedule>,
    /// Severities of ingest findings for this form's returns (`unparseable_value = "info"`).
    #[serde(default)]
    pub severity: BTreeMap<String, crate::model::Severity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormMeta {
    pub id: String,
    pub body: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Regex on the file name (not the folder).
    #[serde(default)]
    pub file_name: Option<String>,
    /// Labels that must all appear in the first rows of a sheet.
    #[serde(default)]
    pub header_labels: Vec<String>,
    /// Regex on sheet names: only these sheets are read (default: every sheet holding the table).
    #[serde(default)]
    pub sheet_name: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YearFrom {
    #[default]
    FileName,
    Title,
    SheetName,
    /// A column holds each row's year (long lists and grids).
    Column,
    /// A row of the header block holds each column's year (grids).
    Row,
    Fixed,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearSpec {
    #[serde(default)]
    pub from: YearFrom,
    /// Regex with one capture group giving the year (default `(20\d{2})`).
    #[serde(default)]
    pub pattern: Option<String>,
    /// For `from = "column"`: header label (or `{ column = "C" }`) of the year column.
    #[serde(default)]
    pub column: Option<ColRef>,
    /// For `from = "row"` (a grid whose columns are years): the row of the header
    /// block (1 = its first row) holding each column's year; it is not part of the header paths.
    #[serde(default)]
    pub row: Option<usize>,
    /// For `from = "fixed"`.
    #[serde(default)]
    pub value: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaFrom {
    /// Each table row is an area; its label is in `table.label_column`.
    Rows,
    /// Each value column is an area; its header (last header row) names it.
    Columns,
    SheetName,
    FileName,
    Title,
    /// Long layout: a column holds the area (`long.area_column`).
    Column,
    Fixed,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaSpec {
    pub from: AreaFrom,
    /// For `fixed`: the area's code or name.
    #[serde(default)]
    pub value: Option<String>,
    /// For `sheet_name`, `file_name`, `title`: regex with one capture group.
    #[serde(default)]
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// A grid: rows labelled in `label_column`, value columns below a header.
    #[default]
    Grid,
    /// One value per row, with columns naming area, item, sex, age.
    Long,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DashMeans {
    /// "—" means the figure is missing/not applicable: lands with obs_status M, no value.
    #[default]
    Missing,
    /// "—" means none: lands as 0.
    Zero,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    #[serde(default)]
    pub layout: Layout,
    /// Labels that all appear in the first header row: this is how the table is found.
    pub header_labels: Vec<String>,
    /// Number of header rows (merged cells are filled across them). Default 1, at most [`MAX_HEADER_ROWS`].
    #[serde(default = "one")]
    pub header_rows: usize,
    /// Rows of the header block (1 = its first row) that are not part of the header
    /// paths (e.g. the other languages of a multilingual block).
    #[serde(default)]
    pub header_skip: Vec<usize>,
    /// Header label (or `{ column = "A" }`) of the column that labels each row (grid layout).
    #[serde(default)]
    pub label_column: Option<ColRef>,
    /// A row whose label (first non-empty cell) starts with one of these ends the table.
    #[serde(default = "default_end")]
    pub end_labels: Vec<String>,
    /// Rows whose label matches one of these are not loaded (each cell becomes an info issue).
    #[serde(default)]
    pub skip_rows: Vec<String>,
    /// Columns (by header, or `{ column = "F" }`) whose cells are not loaded (each non-empty cell becomes an info issue).
    #[serde(default)]
    pub skip_columns: Vec<ColRef>,
    /// Columns (by header, or `{ column = "F" }`) that annotate rows (序号, 备注, 单位): not values, not counted.
    #[serde(default)]
    pub ignore_columns: Vec<ColRef>,
    /// Marks of flag columns and of marks written in value cells ("85.3（估计）", "12*"):
    /// mark -> SDMX obs_status and/or a note kept on the value.
    #[serde(default)]
    pub flags: BTreeMap<String, FlagDef>,
    /// What "—" means in this form.
    #[serde(default)]
    pub dash_means: DashMeans,
    /// Derive M = _T − F (and _T = F + M) when a row has the other two. Default true.
    #[serde(default = "yes")]
    pub derive_sex: bool,
}

fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}
fn default_end() -> Vec<String> {
    ["注", "说明", "备注:", "填报", "填表", "负责人", "审核"].iter().map(|s| s.to_string()).collect()
}

/// Dimensions a mapping can set.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Dims {
    #[serde(default)]
    pub data_element: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub age: Option<String>,
    #[serde(default)]
    pub residence: Option<String>,
    /// The unit the values are written in (万人, 万元, %, ...), converted to the data element's unit.
    #[serde(default)]
    pub unit: Option<String>,
}

impl Dims {
    /// Fill unset fields of `self` from `other`; conflicting values are an error message.
    pub fn merge(&self, other: &Dims) -> Result<Dims, String> {
        let mut out = self.clone();
        out.merge_from(other)?;
        Ok(out)
    }

    /// [`Dims::merge`] in place, copying only the fields `self` lacks (it runs for
    /// every value landed). On a conflict `self` is left part-filled.
    pub fn merge_from(&mut self, other: &Dims) -> Result<(), String> {
        fn pick(a: &mut Option<String>, b: &Option<String>, what: &str) -> Result<(), String> {
            match (&*a, b) {
                (Some(x), Some(y)) if x != y => return Err(format!("{what} is {x} by one mapping and {y} by another")),
                (None, Some(y)) => *a = Some(y.clone()),
                _ => {}
            }
            Ok(())
        }
        pick(&mut self.data_element, &other.data_element, "data_element")?;
        pick(&mut self.sex, &other.sex, "sex")?;
        pick(&mut self.age, &other.age, "age")?;
        pick(&mut self.residence, &other.residence, "residence")?;
        pick(&mut self.unit, &other.unit, "unit")
    }
}

/// `[[columns]]`: a value column found by its header path or its letter, or the
/// flag column of one (`flag_of`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    /// Header labels from the top header row down, joined by "/", e.g. "活产数/其中:女".
    /// Repeated labels of vertically merged cells count once.
    #[serde(default)]
    pub header: Option<String>,
    /// The column's letter ("C"): for columns without a header of their own.
    #[serde(default)]
    pub column: Option<String>,
    /// This column holds the marks (flags) of the value column given here (a header path or a letter).
    #[serde(default)]
    pub flag_of: Option<String>,
    /// On a value column: where its flag column is (`"next"`: the column to its right).
    #[serde(default)]
    pub flag: Option<String>,
    #[serde(flatten)]
    pub dims: Dims,
}

impl ColumnMap {
    /// How the entry names its column, for messages.
    pub fn name(&self) -> String {
        match (&self.header, &self.column) {
            (Some(h), _) => h.clone(),
            (None, Some(c)) => format!("column {c}"),
            (None, None) => String::new(),
        }
    }
}

/// A column named by its header label, or by its letter (`{ column = "C" }`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ColRef {
    Header(String),
    Letter { column: String },
}

impl ColRef {
    /// The 0-based index of a letter reference.
    pub fn letter(&self) -> Option<usize> {
        match self {
            ColRef::Letter { column } => column_index(column),
            ColRef::Header(_) => None,
        }
    }

    /// The header label, or "column C".
    pub fn describe(&self) -> String {
        match self {
            ColRef::Header(h) => h.clone(),
            ColRef::Letter { column } => format!("column {column}"),
        }
    }
}

/// The 0-based index of a column letter ("A" -> 0, "AB" -> 27); `None` if not letters.
pub fn column_index(letters: &str) -> Option<usize> {
    let t = letters.trim();
    if t.is_empty() || t.len() > 3 || !t.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let n = t.chars().fold(0usize, |n, c| n * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1));
    (n <= 16384).then(|| n - 1)
}

/// What a flag mark means: an SDMX obs_status (`"E"`), or `{ obs_status = "P", note = "provisional" }`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum FlagDef {
    Status(String),
    Full {
        #[serde(default)]
        obs_status: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
}

/// A checked flag mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// The mark as written in the form (normalised for matching).
    pub mark: String,
    pub obs_status: Option<&'static str>,
    pub note: Option<String>,
}

/// SDMX 2.1 `CL_OBS_STATUS` codes a flag may set.
pub const OBS_STATUS_CODES: &[&str] = &["A", "B", "D", "E", "F", "G", "I", "K", "L", "M", "N", "O", "P", "S", "U", "V", "W"];

/// The largest `header_rows` (the header is searched for in the first [`crate::normalise::HEADER_SEARCH_ROWS`] rows).
pub const MAX_HEADER_ROWS: usize = 30;

/// Ingest findings whose severity a form's or rules.toml's `[severity]` may set.
pub const INGEST_FINDINGS: &[&str] = &[
    "unparseable_value",
    "unmapped_cell",
    "unknown_area",
    "unit_mismatch",
    "year_not_found",
    "unknown_label",
    "table_not_found",
    "skipped_total",
    "unknown_flag",
    "flag_without_value",
];

/// `[[rows]]` / `[[items]]`: a row (or long-list item) found by its label.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowMap {
    pub label: String,
    #[serde(flatten)]
    pub dims: Dims,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongSpec {
    pub item_column: ColRef,
    pub value_column: ColRef,
    #[serde(default)]
    pub area_column: Option<ColRef>,
    #[serde(default)]
    pub sex_column: Option<ColRef>,
    #[serde(default)]
    pub age_column: Option<ColRef>,
    #[serde(default)]
    pub unit_column: Option<ColRef>,
    /// The column holding each value's flag marks (meanings in `[table.flags]`).
    #[serde(default)]
    pub flag_column: Option<ColRef>,
    /// Labels of the sex column and the sex code each means (`{ "—" = "_T" }`), before the built-in 男/女/合计.
    #[serde(default)]
    pub sex_values: BTreeMap<String, String>,
    /// Labels of the age column and the age code each means (`{ "全部" = "_T" }`).
    #[serde(default)]
    pub age_values: BTreeMap<String, String>,
    /// Labels of the area column and the area (code or name) each means (`{ "本县" = "421321" }`).
    #[serde(default)]
    pub area_values: BTreeMap<String, String>,
}

/// A checked form, ready to read workbooks.
#[derive(Debug, Clone)]
pub struct Form {
    pub raw: RawForm,
    pub file: PathBuf,
    pub file_name_re: Option<Regex>,
    pub sheet_name_re: Option<Regex>,
    pub year_re: Regex,
    pub area_re: Option<Regex>,
    /// Normalised header paths -> mapping index.
    pub columns: BTreeMap<String, usize>,
    /// Normalised row labels -> mapping index.
    pub rows: BTreeMap<String, usize>,
    pub items: BTreeMap<String, usize>,
    pub rules: Vec<crate::config::Rule>,
    /// `[table] flags`, checked: normalised mark -> meaning, longest marks first.
    pub flags: Vec<Flag>,
    /// The long list's value maps, normalised label -> code.
    pub sex_values: BTreeMap<String, String>,
    pub age_values: BTreeMap<String, String>,
    pub area_values: BTreeMap<String, String>,
}

impl Form {
    pub fn id(&self) -> &str {
        &self.raw.form.id
    }

    pub fn load(path: &Path, catalogue: &Catalogue) -> Result<Form, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.to_path_buf(), source })?;
        let raw: RawForm = toml::from_str(&text).map_err(|source| ConfigError::Toml { file: path.to_path_buf(), source: Box::new(source) })?;
        Form::resolve(raw, path, &text, catalogue)
    }

    pub fn resolve(raw: RawForm, path: &Path, text: &str, catalogue: &Catalogue) -> Result<Form, ConfigError> {
        let file = path.to_path_buf();
        let err = |msg: String| ConfigError::Invalid { file: file.clone(), msg };
        let re = |what: &str, s: &str| {
            Regex::new(s).map_err(|e| {
                let first = e.to_string().lines().last().unwrap_or_default().trim().to_string();
                crate::config::rules::invalid(path, text, s, format!("{what}: invalid regex {s:?}: {first}"))
            })
        };
        if raw.matching.file_name.is_none() && raw.matching.header_labels.is_empty() {
            return Err(err("[match] needs file_name and/or header_labels".into()));
        }
        if raw.table.header_labels.is_empty() {
            return Err(err("[table] header_labels must name at least one label of the header row".into()));
        }
        if raw.table.header_rows == 0 || raw.table.header_rows > MAX_HEADER_ROWS {
            return Err(err(format!("[table] header_rows must be between 1 and {MAX_HEADER_ROWS}")));
        }
        if let Some(&bad) = raw.table.header_skip.iter().find(|&&r| r == 0 || r > raw.table.header_rows) {
            return Err(err(format!("[table] header_skip: row {bad} is not a row of the {}-row header block (1 = its first row)", raw.table.header_rows)));
        }
        if raw.table.header_skip.len() >= raw.table.header_rows {
            return Err(err("[table] header_skip leaves no header row".into()));
        }
        for (name, _) in &raw.severity {
            if !INGEST_FINDINGS.contains(&name.as_str()) {
                return Err(crate::config::rules::invalid(
                    path,
                    text,
                    name,
                    format!("[severity] {name:?} is not an ingest finding ({})", INGEST_FINDINGS.join(", ")),
                ));
            }
        }
        let col_ref_ok = |c: &ColRef, whr: &str| match c {
            ColRef::Letter { column } if column_index(column).is_none() => Err(err(format!("{whr}: {column:?} is not a column letter (A, B, … XFD)"))),
            _ => Ok(()),
        };
        for c in raw.table.ignore_columns.iter().chain(&raw.table.skip_columns).chain(&raw.table.label_column).chain(&raw.year.column) {
            col_ref_ok(c, "[table]/[year] column")?;
        }
        if let Some(l) = &raw.long {
            let cols = [&l.area_column, &l.sex_column, &l.age_column, &l.unit_column, &l.flag_column];
            for c in [&l.item_column, &l.value_column].into_iter().chain(cols.into_iter().flatten()) {
                col_ref_ok(c, "[long] column")?;
            }
        }
        let file_name_re = raw.matching.file_name.as_deref().map(|s| re("match.file_name", s)).transpose()?;
        let sheet_name_re = raw.matching.sheet_name.as_deref().map(|s| re("match.sheet_name", s)).transpose()?;
        let year_re = re("year.pattern", raw.year.pattern.as_deref().unwrap_or(r"((?:19|20)\d{2})"))?;
        if year_re.captures_len() < 2 {
            return Err(err("year.pattern needs one capture group around the year".into()));
        }
        let area_re = raw.area.pattern.as_deref().map(|s| re("area.pattern", s)).transpose()?;
        match raw.year.from {
            YearFrom::Fixed if raw.year.value.is_none() => return Err(err("year.from = \"fixed\" needs year.value".into())),
            YearFrom::Column if raw.year.column.is_none() => return Err(err("year.from = \"column\" needs year.column".into())),
            YearFrom::Row if raw.table.layout == Layout::Long => {
                return Err(err("year.from = \"row\" is for grids (a long list has year.from = \"column\")".into()))
            }
            YearFrom::Row => match raw.year.row {
                None => return Err(err("year.from = \"row\" needs year.row (the row of the header block holding the years, 1 = its first row)".into())),
                Some(r) if r == 0 || r > raw.table.header_rows => {
                    return Err(err(format!("year.row = {r} is not a row of the {}-row header block", raw.table.header_rows)))
                }
                Some(_) => {}
            },
            _ => {}
        }
        match raw.area.from {
            AreaFrom::Fixed if raw.area.value.is_none() => return Err(err("area.from = \"fixed\" needs area.value".into())),
            AreaFrom::Rows if raw.table.label_column.is_none() => return Err(err("area.from = \"rows\" needs table.label_column".into())),
            AreaFrom::Column if raw.long.as_ref().and_then(|l| l.area_column.as_ref()).is_none() => {
                return Err(err("area.from = \"column\" needs long.area_column".into()))
            }
            _ => {}
        }
        match raw.table.layout {
            Layout::Long => {
                if raw.long.is_none() {
                    return Err(err("layout = \"long\" needs a [long] section".into()));
                }
                if raw.items.is_empty() {
                    return Err(err("layout = \"long\" needs [[items]]".into()));
                }
            }
            Layout::Grid => {
                if raw.long.is_some() || !raw.items.is_empty() {
                    return Err(err("[long] and [[items]] belong to layout = \"long\"".into()));
                }
                if raw.columns.is_empty() && raw.rows.is_empty() && raw.fixed.data_element.is_none() {
                    return Err(err("a grid form needs [[columns]], [[rows]] or [fixed] data_element".into()));
                }
            }
        }
        // Every dimension mentioned must be known.
        let check = |d: &Dims, whr: &str| -> Result<(), ConfigError> {
            let at = |needle: &str, msg: String| crate::config::rules::invalid(path, text, needle, msg);
            if let Some(de) = &d.data_element {
                if catalogue.data_element(de).is_none() {
                    return Err(at(de, format!("{whr}: unknown data element {de:?} (not in pipelines/indicators.toml)")));
                }
            }
            if let Some(s) = &d.sex {
                if !matches!(s.as_str(), "F" | "M" | "_T") {
                    return Err(at(s, format!("{whr}: sex must be F, M or _T, not {s:?}")));
                }
            }
            if let Some(r) = &d.residence {
                if !matches!(r.as_str(), "U" | "R" | "_T") {
                    return Err(at(r, format!("{whr}: residence must be U, R or _T, not {r:?}")));
                }
            }
            if let Some(a) = &d.age {
                if !crate::vocab::labels::is_age_code(a) {
                    return Err(at(a, format!("{whr}: age {a:?} is not an age code like _T, Y0T4, Y_LT1, Y_GE65")));
                }
            }
            if let Some(u) = &d.unit {
                if crate::vocab::clean::unit_scale(u, "").is_none() && u.trim().is_empty() {
                    return Err(at(u, format!("{whr}: empty unit")));
                }
                // A unit the data element's values cannot be converted from is a typo.
                let de = d.data_element.as_ref().or(raw.fixed.data_element.as_ref()).and_then(|de| catalogue.data_element(de));
                if let Some(de) = de {
                    if crate::vocab::clean::unit_scale(u, &de.unit).is_none() {
                        return Err(at(u, format!("{whr}: unit {u:?} cannot be converted to {:?}, the unit of {}", de.unit, de.code)));
                    }
                }
            }
            Ok(())
        };
        check(&raw.fixed, "[fixed]")?;
        let mut columns = BTreeMap::new();
        let mut letters = std::collections::BTreeSet::new();
        for (i, c) in raw.columns.iter().enumerate() {
            let name = c.name();
            check(&c.dims, &format!("[[columns]] {name:?}"))?;
            match (&c.header, &c.column) {
                (Some(_), Some(_)) => return Err(err(format!("[[columns]] {name:?}: give header or column, not both"))),
                (None, None) => return Err(err("[[columns]]: each entry needs header = \"…\" or column = \"C\"".into())),
                (None, Some(l)) => {
                    let Some(ix) = column_index(l) else { return Err(err(format!("[[columns]] column = {l:?} is not a column letter (A, B, … XFD)"))) };
                    if !letters.insert(ix) {
                        return Err(err(format!("[[columns]] column {l} is mapped twice")));
                    }
                }
                (Some(h), None) => {
                    if c.flag_of.is_none() && columns.insert(header_key(h), i).is_some() {
                        return Err(err(format!("[[columns]] header {h:?} is mapped twice")));
                    }
                }
            }
            if c.flag_of.is_some() {
                if c.dims != Dims::default() || c.flag.is_some() {
                    return Err(err(format!("[[columns]] {name:?}: a flag column (flag_of) sets no data_element, sex, age, residence, unit or flag")));
                }
                if raw.table.flags.is_empty() {
                    return Err(err(format!("[[columns]] {name:?}: flag_of needs [table.flags] saying what each mark means")));
                }
                if raw.table.layout == Layout::Long {
                    return Err(err(format!("[[columns]] {name:?}: a long list names its flag column in [long] flag_column")));
                }
            }
            match c.flag.as_deref() {
                None => {}
                Some("next") if raw.table.flags.is_empty() => return Err(err(format!("[[columns]] {name:?}: flag = \"next\" needs [table.flags]"))),
                Some("next") => {}
                Some(other) => {
                    return Err(err(format!("[[columns]] {name:?}: flag = {other:?}: the only value is \"next\" (or use flag_of on the flag column)")))
                }
            }
        }
        let mut flags = Vec::new();
        for (mark, def) in &raw.table.flags {
            let (status, note) = match def {
                FlagDef::Status(s) => (Some(s.as_str()), None),
                FlagDef::Full { obs_status, note } => (obs_status.as_deref(), note.clone()),
            };
            if status.is_none() && note.is_none() {
                return Err(err(format!("[table.flags] {mark:?}: give obs_status and/or note")));
            }
            let obs_status = match status {
                None => None,
                Some(s) => match OBS_STATUS_CODES.iter().find(|c| **c == s) {
                    Some(c) => Some(*c),
                    None => {
                        return Err(crate::config::rules::invalid(
                            path,
                            text,
                            mark,
                            format!("[table.flags] {mark:?}: obs_status {s:?} is not an SDMX OBS_STATUS code ({})", OBS_STATUS_CODES.join(", ")),
                        ))
                    }
                },
            };
            let m = normalise_label(mark);
            if m.is_empty() {
                return Err(err("[table.flags]: an empty mark".into()));
            }
            flags.push(Flag { mark: m, obs_status, note });
        }
        flags.sort_by(|a, b| b.mark.chars().count().cmp(&a.mark.chars().count()).then(a.mark.cmp(&b.mark)));
        let value_map = |m: &BTreeMap<String, String>, what: &str, ok: &dyn Fn(&str) -> bool| -> Result<BTreeMap<String, String>, ConfigError> {
            let mut out = BTreeMap::new();
            for (label, code) in m {
                if !ok(code) {
                    return Err(err(format!("[long] {what}_values: {label:?} = {code:?} is not a {what} code")));
                }
                out.insert(normalise_label(label), code.clone());
            }
            Ok(out)
        };
        let (sex_values, age_values, area_values) = match &raw.long {
            Some(l) => (
                value_map(&l.sex_values, "sex", &|c| matches!(c, "F" | "M" | "_T"))?,
                value_map(&l.age_values, "age", &crate::vocab::labels::is_age_code)?,
                value_map(&l.area_values, "area", &|c| !c.trim().is_empty())?,
            ),
            None => Default::default(),
        };
        let mut rows = BTreeMap::new();
        for (i, r) in raw.rows.iter().enumerate() {
            check(&r.dims, &format!("[[rows]] {:?}", r.label))?;
            if rows.insert(normalise_label(&r.label), i).is_some() {
                return Err(err(format!("[[rows]] label {:?} is mapped twice", r.label)));
            }
        }
        let mut items = BTreeMap::new();
        for (i, r) in raw.items.iter().enumerate() {
            check(&r.dims, &format!("[[items]] {:?}", r.label))?;
            if items.insert(normalise_label(&r.label), i).is_some() {
                return Err(err(format!("[[items]] label {:?} is mapped twice", r.label)));
            }
        }
        let rules = crate::config::rules::resolve_rules(raw.rule.clone(), &raw.form.id, path, text, catalogue)?;
        Ok(Form {
            raw,
            file: path.to_path_buf(),
            file_name_re,
            sheet_name_re,
            year_re,
            area_re,
            columns,
            rows,
            items,
            rules,
            flags,
            sex_values,
            age_values,
            area_values,
        })
    }
}

/// The normalised key of a header path "活产数 / 其中：女" -> "活产数/其中:女".
pub fn header_key(path: &str) -> String {
    let parts: Vec<String> = path.split('/').map(normalise_label).filter(|p| !p.is_empty()).collect();
    dedup_path(parts).join("/")
}

/// Drop consecutive repeats (a label merged over two header rows counts once).
pub fn dedup_path(parts: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    for p in parts {
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_count_from_a() {
        assert_eq!(column_index("A"), Some(0));
        assert_eq!(column_index("c"), Some(2));
        assert_eq!(column_index("Z"), Some(25));
        assert_eq!(column_index("AA"), Some(26));
        assert_eq!(column_index("AB"), Some(27));
        assert_eq!(column_index("XFD"), Some(16383));
        assert_eq!(column_index("XFE"), None);
        assert_eq!(column_index("A1"), None);
        assert_eq!(column_index(""), None);
        assert_eq!(column_index("乡镇"), None);
    }

    #[test]
    fn header_keys_normalise() {
        assert_eq!(header_key("活产数 / 其中：女"), "活产数/其中:女");
        assert_eq!(header_key("出生/出生"), "出生");
    }
}
