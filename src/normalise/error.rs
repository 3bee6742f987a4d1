//! Why a value cell has no key (and so is not landed), or a sheet's values none:
//! what the sheet, the column's header or the row's label failed to say, with
//! the cell, label or file it concerns. Its words are the issue's `message`
//! (English whatever the locale: the tables' bytes do not depend on it); the
//! rule code is chosen where it is found (the same failure is `unknown_area` or
//! `unmapped_cell` depending on what the form reads the area from).

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum KeyError {
    /// `year.from = "row"`: the header cell above a column has no year.
    #[error("the header cell {cell} ({label:?}) above this column holds no year (year.row = {row}, pattern {pattern})")]
    NoYearAboveColumn { cell: String, label: String, row: usize, pattern: String },
    #[error("the column {letter} has no header (map it by its letter: column = {letter:?})")]
    ColumnWithoutHeader { letter: String },
    #[error("column {path:?} is not mapped in {}{hint}", form.display())]
    ColumnNotMapped { path: String, form: PathBuf, hint: String },
    #[error("column header {label:?} is not a known area; closest: {closest}")]
    ColumnNotAnArea { label: String, closest: String },
    /// An area label (a row's, a long list's area column) not in areas.toml.
    #[error("area {label:?} is not in areas.toml; closest: {closest}")]
    UnknownArea { label: String, closest: String },
    #[error("row {label:?} is not mapped in {}{hint}", form.display())]
    RowNotMapped { label: String, form: PathBuf, hint: String },
    #[error("the row has no label")]
    RowWithoutLabel,
    /// The year column of a row.
    #[error("year {label:?} (cell {cell}) is not a year (pattern {pattern})")]
    RowYear { label: String, cell: String, pattern: String },
    /// Two of the keys combined (sheet, column, row) set a field differently.
    #[error("{field} is {one} by one mapping and {other} by another")]
    Conflict { field: &'static str, one: String, other: String },
    /// Two mappings' dimensions that do not merge, in the words of the pipeline files' `Dims::merge`.
    #[error("{0}")]
    Dims(String),
    #[error("the flag column {name:?} is not in the header")]
    FlagColumnMissing { name: String },
    #[error("the value column {of:?} (flag_of of {name:?}) is not in the header")]
    ValueColumnMissing { of: String, name: String },
    /// The sheet's year, from `what` (the file name, the sheet name, the lines above the table).
    #[error("no year found in the {what} {text:?} (pattern {pattern})")]
    NoYear { what: &'static str, text: String, pattern: String },
    #[error("no area found in the {what} {text:?}")]
    NoArea { what: &'static str, text: String },
    #[error("area {candidate:?} (from the {what}) is not in areas.toml; closest: {closest}")]
    UnknownAreaIn { candidate: String, what: &'static str, closest: String },
    #[error("no area name in {title:?}")]
    NoAreaName { title: String },
    /// A long list's item.
    #[error("item {item:?} is not mapped in {}{hint}", form.display())]
    ItemNotMapped { item: String, form: PathBuf, hint: String },
    /// A long list's sex column; `also` says where else it was looked for.
    #[error("sex {label:?} is not 男, 女 or 合计{also}")]
    UnknownSex { label: String, also: String },
    #[error("age group {label:?} is not understood (write e.g. 0-4岁, 65岁及以上, or map it in [long] age_values)")]
    UnknownAge { label: String },
    /// A long list's year column.
    #[error("year {label:?} is not a year")]
    LongYear { label: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_are_the_issues_own() {
        // Each as the issue rows have always said it (the format strings it replaced).
        let cases = [
            (
                KeyError::NoYearAboveColumn { cell: "C3".into(), label: "合计".into(), row: 2, pattern: "(\\d{4})".into() },
                "the header cell C3 (\"合计\") above this column holds no year (year.row = 2, pattern (\\d{4}))",
            ),
            (KeyError::ColumnWithoutHeader { letter: "D".into() }, "the column D has no header (map it by its letter: column = \"D\")"),
            (
                KeyError::ColumnNotMapped { path: "户籍人口/女".into(), form: "pipelines/forms/a.toml".into(), hint: "; closest: 户籍人口".into() },
                "column \"户籍人口/女\" is not mapped in pipelines/forms/a.toml; closest: 户籍人口",
            ),
            (KeyError::RowWithoutLabel, "the row has no label"),
            (KeyError::Conflict { field: "sex", one: "F".into(), other: "M".into() }, "sex is F by one mapping and M by another"),
            (
                KeyError::UnknownAreaIn { candidate: "某镇".into(), what: "sheet name", closest: "厉山镇, 高城镇".into() },
                "area \"某镇\" (from the sheet name) is not in areas.toml; closest: 厉山镇, 高城镇",
            ),
            (
                KeyError::UnknownSex { label: "不详".into(), also: " nor in sex_values (未知)".into() },
                "sex \"不详\" is not 男, 女 or 合计 nor in sex_values (未知)",
            ),
            (KeyError::LongYear { label: "去年".into() }, "year \"去年\" is not a year"),
        ];
        for (e, said) in cases {
            assert_eq!(e.to_string(), said);
        }
    }
}
