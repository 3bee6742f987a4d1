//! The header: the row found by its labels, each column's header path (merged
//! cells filled), and how a path matches a mapping's `header`.

use super::*;

/// A label with a trailing unit in parentheses removed: "活产数(人)" -> "活产数".
pub(super) fn strip_unit(label: &str) -> &str {
    if let Some(i) = label.rfind('(') {
        if label.ends_with(')') && i > 0 {
            return &label[..i];
        }
    }
    label
}

pub(super) fn label_eq(cell: &str, wanted: &str) -> bool {
    normalised_eq(&normalise_label(cell), &normalise_label(wanted))
}

/// [`label_eq`] on labels already normalised.
pub(super) fn normalised_eq(cell: &str, wanted: &str) -> bool {
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

pub(super) fn path_matches(path: &[String], wanted_key: &str) -> bool {
    let full = path.join("/");
    if full == wanted_key {
        return true;
    }
    let stripped: Vec<&str> = path.iter().map(|p| strip_unit(p)).collect();
    stripped.join("/") == wanted_key
}

pub(super) fn first_label_is(path: &[String], wanted: &str) -> bool {
    path.first().is_some_and(|p| label_eq(p, wanted)) || path.last().is_some_and(|p| label_eq(p, wanted))
}
