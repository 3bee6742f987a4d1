//! The raw serde structs of a form file: they mirror the file (and are
//! documented in `pipelines/README.md`); [`super::Form::resolve`] checks them.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::columns::ColRef;

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
