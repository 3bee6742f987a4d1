//! `wcmon inspect FILE`: what a pipeline-file author needs to see, and a draft
//! pipeline file for a layout no form reads yet.
//!
//! The table is found from its data, not from the rows with the most text: the
//! first rows holding numbers start the data, the header block is the run of rows
//! above them whose labels spread over the data's columns (a title or a unit line
//! stands in one cell, even when merged across), and the label column is the
//! leftmost column of text beside the numbers. The header paths are printed as a
//! form must write them (`header = "…"` accepts them verbatim).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::ingest::{self, a1, CellValue, Sheet};
use crate::normalise;
use crate::vocab::clean::{clean_text, normalise_label, unit_scale, Cleaned};
use crate::vocab::labels;

/// What `inspect` is told about the header (all optional).
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// The header's first row, 1-based as Excel shows it (`--header-row`).
    pub header_row: Option<usize>,
    /// How many rows the header has (`--header-rows`).
    pub header_rows: Option<usize>,
    /// Print only a draft pipeline file (`--draft`).
    pub draft: bool,
}

/// Why a workbook could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("{}", crate::t!(crate::i18n::lang(), "err-inspect-from-one"))]
    CountsFromOne,
    /// The file cannot be read as a workbook.
    #[error(transparent)]
    Read(#[from] ingest::IngestError),
    #[error("{}", crate::t!(crate::i18n::lang(), "err-inspect-draft-needs-pipelines"))]
    DraftNeedsPipelines,
    #[error("{}", crate::t!(crate::i18n::lang(), "err-inspect-no-table"))]
    NoTable,
}

/// A printable report of a workbook: sheets, merged regions, the header block
/// found, header paths per column, and which form (if any) recognises it.
pub fn inspect(path: &Path, cfg: Option<&Config>, max_rows: usize) -> Result<String, InspectError> {
    inspect_with(path, cfg, max_rows, &InspectOptions::default())
}

/// [`inspect`] with the header given (or read from the form that recognises the file).
pub fn inspect_with(path: &Path, cfg: Option<&Config>, max_rows: usize, opts: &InspectOptions) -> Result<String, InspectError> {
    if opts.header_row == Some(0) || opts.header_rows == Some(0) {
        return Err(InspectError::CountsFromOne);
    }
    let (bytes, sha) = ingest::read_bytes(path)?;
    let wb = ingest::read_workbook_caught(bytes)?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let forms = cfg.map(|cfg| crate::pipeline::recognise(&wb, &name, cfg)).unwrap_or_default();
    if opts.draft {
        let cfg = cfg.ok_or(InspectError::DraftNeedsPipelines)?;
        let sheet = wb.sheets.iter().filter_map(|s| detect(s, opts).map(|d| (s, d))).max_by_key(|(s, d)| (d.value_cells(s), std::cmp::Reverse(s.name.clone())));
        let Some((sheet, det)) = sheet else { return Err(InspectError::NoTable) };
        let names: Vec<&str> = wb.sheets.iter().map(|s| s.name.as_str()).collect();
        return Ok(draft(sheet, &det, &name, &names, cfg));
    }
    let mut out = String::new();
    let _ = writeln!(out, "file    {}\nformat  {}\nsha256  {sha}", path.display(), wb.format);
    if cfg.is_some() {
        let ids: Vec<String> = forms.iter().map(|f| format!("{} ({})", f.id(), f.file.display())).collect();
        let _ =
            writeln!(out, "form    {}", if ids.is_empty() { "none recognises it (try --draft for a draft pipeline file)".to_string() } else { ids.join(", ") });
    }
    for (sheet, reason) in &wb.sheet_errors {
        let _ = writeln!(out, "\nsheet {sheet:?}: REFUSED: {reason}");
    }
    for (sheet, what) in &wb.skipped {
        let _ = writeln!(out, "\nsheet {sheet:?}: not read ({what})");
    }
    for s in &wb.sheets {
        let _ = writeln!(out, "\nsheet {:?}: {} rows x {} columns, {} non-empty cells", s.name, s.rows, s.cols, s.non_empty());
        if !s.merges.is_empty() {
            let m: Vec<String> =
                s.merges.iter().map(|d| format!("{}:{}", a1(d.start.0 as usize, d.start.1 as usize), a1(d.end.0 as usize, d.end.1 as usize))).collect();
            let _ = writeln!(out, "  merged  {}", m.join(" "));
        }
        // The header: as given, else as the recognising form finds it, else found from the data.
        let mut opts_here = opts.clone();
        let mut skip: Vec<usize> = Vec::new();
        let mut from_form = None;
        if opts.header_row.is_none() && opts.header_rows.is_none() {
            if let Some(f) = forms.first() {
                if let Some(hr) = normalise::find_header_row(s, &f.raw.table.header_labels) {
                    opts_here.header_row = Some(hr + 1);
                    opts_here.header_rows = Some(f.raw.table.header_rows);
                    skip = normalise::header_skip(f);
                    from_form = Some(f.id().to_string());
                }
            }
        }
        let det = detect(s, &opts_here);
        let header = det.as_ref().map(|d| (d.header_row, d.header_rows));
        for r in 0..s.rows.min(max_rows) {
            let cells: Vec<String> = (0..s.cols).filter(|&c| !s.get(r, c).is_empty()).map(|c| format!("{}={}", a1(r, c), s.get(r, c).as_label())).collect();
            if !cells.is_empty() {
                let mark = match header {
                    Some((h, n)) if r >= h && r < h + n => "H",
                    _ => " ",
                };
                let _ = writeln!(out, "  {mark} row {:>3}: {}", r + 1, cells.join(" | "));
            }
        }
        if s.rows > max_rows {
            let _ = writeln!(out, "  ... {} more rows", s.rows - max_rows);
        }
        let Some(d) = det else {
            let _ = writeln!(out, "  no table of numbers found (give --header-row R --header-rows N)");
            continue;
        };
        let how = match (&from_form, opts.header_row.is_some() || opts.header_rows.is_some()) {
            (Some(f), _) => format!("as form {f} finds it"),
            (None, true) => "as given".to_string(),
            (None, false) => "found from the data".to_string(),
        };
        let _ = writeln!(
            out,
            "  likely header starts at row {} (mark H): {} header row(s), {how}; data from row {}; label column {}",
            d.header_row + 1,
            d.header_rows,
            d.data_start + 1,
            d.label_col.map(letter).unwrap_or_else(|| "?".into())
        );
        let _ = writeln!(out, "  header paths (write them as they are in [[columns]] header = \"…\", or use column = \"C\"):");
        let paths = normalise::header_paths_display(s, d.header_row, d.header_rows, &skip);
        for (c, p) in paths.iter().enumerate() {
            if !p.is_empty() {
                let _ = writeln!(out, "    column {:<3} header = {}", letter(c), toml_str(p));
            } else if d.data_cols.contains(&c) {
                let _ = writeln!(out, "    column {:<3} (no header: column = {})", letter(c), toml_str(&letter(c)));
            }
        }
        let labels = first_row_labels(s, &d);
        let _ = writeln!(
            out,
            "  try: [table] header_labels = [{}], header_rows = {}",
            labels.iter().map(|l| toml_str(l)).collect::<Vec<_>>().join(", "),
            d.header_rows
        );
    }
    Ok(out)
}

/// The column letter of a 0-based index.
fn letter(c: usize) -> String {
    a1(0, c).trim_end_matches('1').to_string()
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The table found in a sheet.
#[derive(Debug, Clone)]
pub struct Detected {
    /// 0-based first header row.
    pub header_row: usize,
    pub header_rows: usize,
    /// 0-based first data row.
    pub data_start: usize,
    /// Rows of data (spacer rows included), up to the end of the table.
    pub data_end: usize,
    /// Columns holding a value or a label in the data rows.
    pub data_cols: BTreeSet<usize>,
    /// The leftmost column of text beside the numbers.
    pub label_col: Option<usize>,
}

impl Detected {
    fn value_cells(&self, s: &Sheet) -> usize {
        (self.data_start..self.data_end).map(|r| (0..s.cols).filter(|&c| is_number(s.get(r, c))).count()).sum()
    }
}

fn is_number(v: &CellValue) -> bool {
    match v {
        CellValue::Number(_) => true,
        CellValue::Text(t) => matches!(clean_text(t), Cleaned::Number { .. }) && !t.trim().is_empty(),
        _ => false,
    }
}

fn is_dash(v: &CellValue) -> bool {
    matches!(v, CellValue::Text(t) if !t.trim().is_empty() && clean_text(t) == Cleaned::Dash)
}

fn is_text(v: &CellValue) -> bool {
    matches!(v, CellValue::Text(t) if !t.trim().is_empty()) && !is_number(v) && !is_dash(v)
}

/// A number that reads as a year (a header of years typed as numbers).
fn is_year_number(v: &CellValue) -> bool {
    matches!(v, CellValue::Number(x) if x.fract() == 0.0 && (1900.0..=2100.0).contains(x))
}

fn starts_end(s: &Sheet, r: usize) -> bool {
    let first = (0..s.cols).map(|c| s.get(r, c)).find(|v| !v.is_empty());
    let ends = ["注", "说明", "备注:", "填报", "填表", "负责人", "审核"];
    first.is_some_and(|v| {
        let l = normalise_label(&v.label());
        ends.iter().any(|e| l.starts_with(e))
    })
}

/// Find the table of a sheet: the header block and where the data starts.
pub fn detect(s: &Sheet, opts: &InspectOptions) -> Option<Detected> {
    let limit = s.rows.min(normalise::HEADER_SEARCH_ROWS + 40);
    // A data row: a number that is not one of a row of years.
    let data_row = |r: usize| {
        let nums: Vec<&CellValue> = (0..s.cols).map(|c| s.get(r, c)).filter(|v| is_number(v)).collect();
        !(nums.is_empty() || nums.len() >= 2 && nums.iter().all(|v| is_year_number(v)) && (0..s.cols).all(|c| !is_text(s.get(r, c)) || c == 0))
    };
    let (header_row, header_rows, data_start) = match (opts.header_row, opts.header_rows) {
        (Some(hr), n) => {
            let hr = hr - 1;
            let n = n.unwrap_or_else(|| (hr + 1..limit).find(|&r| data_row(r)).map_or(1, |d| (d - hr).max(1)));
            (hr, n, hr + n)
        }
        (None, given) => {
            let first = (0..limit).find(|&r| data_row(r) && (r + 1 >= s.rows || data_row(r + 1) || (r + 2 < s.rows && data_row(r + 2))))?;
            // The data's columns, over the first rows of data.
            let cols: BTreeSet<usize> = (first..s.rows.min(first + 30)).flat_map(|r| (0..s.cols).filter(move |&c| !s.get(r, c).is_empty())).collect();
            let mut end = first;
            while end > 0 && (0..s.cols).all(|c| s.get(end - 1, c).is_empty()) {
                end -= 1;
            }
            if end == 0 {
                return None;
            }
            let header_like = |r: usize| {
                let labels: Vec<String> = cols.iter().map(|&c| normalise_label(&s.get_merged(r, c).label())).collect();
                let covered = labels.iter().filter(|l| !l.is_empty()).count();
                let distinct: BTreeSet<&String> = labels.iter().filter(|l| !l.is_empty()).collect();
                distinct.len() >= 2 && covered * 2 >= cols.len()
            };
            let n = match given {
                Some(n) => n.min(end),
                None => {
                    let mut top = end - 1;
                    if !header_like(top) {
                        // One header row at least: the row above the data.
                        1
                    } else {
                        while top > 0 && end - top < 12 && header_like(top - 1) {
                            top -= 1;
                        }
                        end - top
                    }
                }
            };
            (end - n, n, first)
        }
    };
    let mut data_end = data_start;
    while data_end < s.rows && !starts_end(s, data_end) {
        data_end += 1;
    }
    let data_cols: BTreeSet<usize> = (data_start..data_end).flat_map(|r| (0..s.cols).filter(move |&c| !s.get(r, c).is_empty())).collect();
    // The label column: the leftmost column mostly of text, left of some number.
    let first_num = (0..s.cols).find(|&c| (data_start..data_end).any(|r| is_number(s.get(r, c))));
    let label_col = (0..s.cols).find(|&c| {
        let texts = (data_start..data_end).filter(|&r| is_text(s.get_merged(r, c))).count();
        let nums = (data_start..data_end).filter(|&r| is_number(s.get(r, c))).count();
        texts > 0 && texts >= nums && first_num.is_some_and(|f| c < f || texts > nums * 2)
    });
    Some(Detected { header_row, header_rows, data_start, data_end, data_cols, label_col })
}

/// The distinct labels of the header's first row, as written (up to 3).
fn first_row_labels(s: &Sheet, d: &Detected) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for c in 0..s.cols {
        let l = s.get_merged(d.header_row, c).label().split_whitespace().collect::<Vec<_>>().join(" ");
        if !l.is_empty() && seen.insert(normalise_label(&l)) && out.len() < 3 {
            out.push(l);
        }
    }
    out
}

/// The data element whose name is closest to a label, with its similarity.
fn guess_element<'c>(cfg: &'c Config, label: &str) -> Option<(&'c crate::config::DataElement, f64)> {
    let l = strip_paren(&normalise_label(label));
    cfg.catalogue
        .data_elements
        .iter()
        .map(|d| {
            let n = normalise_label(&d.name_zh);
            let bare = strip_paren(&n);
            // Edit distance, and for Chinese labels (whose words come in any order: 5岁以下儿童贫血人数,
            // 贫血儿童数) how many of the name's characters the label holds.
            let lev = strsim::normalized_levenshtein(&l, &n).max(strsim::normalized_levenshtein(&l, &bare));
            let (a, b): (BTreeSet<char>, BTreeSet<char>) =
                (l.chars().filter(|c| c.is_alphanumeric()).collect(), bare.chars().filter(|c| c.is_alphanumeric()).collect());
            let common = a.intersection(&b).count() as f64;
            let overlap = if a.is_empty() || b.is_empty() { 0.0 } else { 0.6 * common / b.len() as f64 + 0.4 * 2.0 * common / (a.len() + b.len()) as f64 };
            let mut score = lev.max(overlap);
            if !l.is_empty() && (n == l || bare == l) {
                score = 2.0;
            } else if !l.is_empty() && (bare.contains(&l) || l.contains(&bare)) {
                score += 0.5;
            }
            (d, score)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.code.cmp(&a.0.code)))
}

/// A label without its parenthesised parts ("新生儿死亡数(0-27天)" -> "新生儿死亡数").
fn strip_paren(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for ch in s.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The unit written at the end of a label ("(万人)"), if it is one the data element converts from.
fn written_unit(label: &str, de: &crate::config::DataElement) -> Option<String> {
    let n = normalise_label(label);
    let open = n.rfind('(')?;
    let u = n[open + 1..].strip_suffix(')')?;
    match unit_scale(u, &de.unit) {
        Some(s) if s != 1.0 => Some(u.to_string()),
        _ => None,
    }
}

/// The data elements guessed so far, by (element, sex, age): the label each was guessed for.
type Guessed = BTreeMap<(String, Option<String>, Option<String>), String>;

/// One `[[columns]]`/`[[rows]]`/`[[items]]` line set for a label.
fn mapping(key: &str, label: &str, element_label: &str, sex: Option<&str>, age: Option<&str>, cfg: &Config, guessed: &mut Guessed) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{key} = {}", toml_str(label));
    match guess_element(cfg, element_label) {
        Some((de, score)) => {
            let k = (de.code.clone(), sex.map(str::to_string), age.map(str::to_string));
            match guessed.get(&k) {
                Some(other) if other != label => {
                    let _ = writeln!(out, "# NOTE: {} is also guessed for {other:?}: one of the two is wrong (they would conflict)", de.code);
                }
                _ => {
                    guessed.insert(k, label.to_string());
                }
            }
            let _ = writeln!(
                out,
                "data_element = {}          # {} — guessed from {:?} (similarity {:.2}): check it",
                toml_str(&de.code),
                de.name_zh,
                element_label,
                score.min(1.0)
            );
            if let Some(u) = written_unit(element_label, de) {
                let _ = writeln!(out, "unit = {}", toml_str(&u));
            }
        }
        None => {
            let _ = writeln!(out, "data_element = \"\"          # no data element in indicators.toml");
        }
    }
    if let Some(s) = sex {
        let _ = writeln!(out, "sex = {}", toml_str(s));
    }
    if let Some(a) = age {
        let _ = writeln!(out, "age = {}", toml_str(a));
    }
    out
}

/// A regex for file names like this one: its digits any digits, the rest as written.
fn file_name_regex(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |s| s.0);
    let mut out = String::new();
    let mut in_digits = false;
    for ch in stem.chars() {
        if ch.is_ascii_digit() {
            if !in_digits {
                out.push_str(r"\d+");
            }
            in_digits = true;
            continue;
        }
        in_digits = false;
        out.push_str(&regex::escape(&ch.to_string()));
    }
    out
}

/// The draft pipeline file for the table `d` of sheet `s`.
pub fn draft(s: &Sheet, d: &Detected, file_name: &str, sheet_names: &[&str], cfg: &Config) -> String {
    let mut guessed = Guessed::new();
    let paths = normalise::header_paths_display(s, d.header_row, d.header_rows, &[]);
    let rows = d.data_start..d.data_end;
    // Per column: how many numbers, texts, dashes in the data rows, and its distinct texts.
    struct Stat {
        nums: usize,
        texts: usize,
        distinct: BTreeMap<String, String>,
    }
    let stats: Vec<Stat> = (0..s.cols)
        .map(|c| {
            let mut st = Stat { nums: 0, texts: 0, distinct: BTreeMap::new() };
            for r in rows.clone() {
                let v = s.get_merged(r, c);
                if is_number(v) {
                    st.nums += 1;
                } else if !v.is_empty() {
                    st.texts += is_text(v) as usize;
                    let l = v.label().trim().to_string();
                    st.distinct.entry(normalise_label(&l)).or_insert(l);
                }
            }
            st
        })
        .collect();
    let header_is = |c: usize, words: &[&str]| {
        let p = normalise_label(&paths[c]);
        words.iter().any(|w| p.contains(w))
    };
    let is_area = |l: &str| cfg.areas.resolve(l).is_some();
    let root = cfg.areas.list.iter().find(|a| a.parent.is_none()).map(|a| a.code.clone()).unwrap_or_default();
    let is_root_or_total = |l: &str| labels::is_total(l) || cfg.areas.resolve(l).is_some_and(|a| a.parent.is_none()) || normalise_label(l).starts_with("全县");
    let seq_col = |c: usize| header_is(c, &["序号", "编号", "代码", "行次"]);
    let num_cols: Vec<usize> = (0..s.cols).filter(|&c| stats[c].nums > 0 && !seq_col(c)).collect();
    let text_cols: Vec<usize> = (0..s.cols).filter(|&c| stats[c].nums == 0 && !stats[c].distinct.is_empty()).collect();
    let mut ignore: Vec<usize> = (0..s.cols).filter(|&c| stats[c].nums > 0 && seq_col(c)).collect();
    let year_in_name = cfg.forms.first().map(|f| f.year_re.clone()).unwrap_or_else(|| regex::Regex::new(r"((?:19|20)\d{2})").expect("static regex"));
    let title: String = (0..d.header_row).flat_map(|r| (0..s.cols).map(move |c| (r, c))).map(|(r, c)| s.get(r, c).as_label()).collect::<Vec<_>>().join(" ");
    let year_from = if year_in_name.is_match(file_name) {
        "from = \"file_name\"".to_string()
    } else if year_in_name.is_match(&title) {
        "from = \"title\"".to_string()
    } else {
        "from = \"fixed\"\nvalue = 2024                 # no year in the file name or title: say it here".to_string()
    };
    let stem = file_name.rsplit_once('.').map_or(file_name, |x| x.0);
    let id: String = {
        let mut h: u32 = 2166136261;
        for b in stem.bytes() {
            h = (h ^ b as u32).wrapping_mul(16777619);
        }
        format!("draft_{h:08x}")
    };
    let first_labels = first_row_labels(s, d);
    let mut out = String::new();
    let _ = writeln!(out, "# Draft pipeline file written by `wcmon inspect --draft` for {file_name:?}, sheet {:?}.", s.name);
    let _ = writeln!(out, "# Check every guessed data_element, then save it as pipelines/forms/<body>/<form>.toml.");
    let _ = writeln!(out, "[form]\nid = {}\nbody = \"?\"\nname = {}\n", toml_str(&id), toml_str(stem));
    let _ = writeln!(out, "[match]\nfile_name = {}\n", toml_str(&file_name_regex(file_name)));
    let _ = writeln!(out, "[year]\n{year_from}\n");
    let header_labels = first_labels.iter().map(|l| toml_str(l)).collect::<Vec<_>>().join(", ");
    let col_list = |cs: &[usize]| cs.iter().map(|&c| format!("{{ column = {} }}", toml_str(&letter(c)))).collect::<Vec<_>>().join(", ");
    // Long list: one column of numbers beside two or more columns of text.
    if num_cols.len() == 1 && text_cols.len() >= 2 {
        let value = num_cols[0];
        let all = |c: usize, f: &dyn Fn(&str) -> bool| stats[c].distinct.values().all(|l| f(l));
        let dashy = |l: &str| clean_text(l) == Cleaned::Dash;
        let area_col = text_cols.iter().copied().find(|&c| all(c, &|l| is_area(l) || is_root_or_total(l)));
        let sex_col = text_cols.iter().copied().find(|&c| Some(c) != area_col && all(c, &|l| labels::sex_code(l).is_some() || dashy(l)) && stats[c].texts > 0);
        let age_col = text_cols
            .iter()
            .copied()
            .find(|&c| Some(c) != area_col && Some(c) != sex_col && all(c, &|l| labels::age_code(l).is_some() || dashy(l)) && stats[c].texts > 0);
        let unit_col = text_cols.iter().copied().find(|&c| ![area_col, sex_col, age_col].contains(&Some(c)) && header_is(c, &["单位"]));
        let item_col = text_cols
            .iter()
            .copied()
            .filter(|&c| ![area_col, sex_col, age_col, unit_col].contains(&Some(c)))
            .max_by_key(|&c| (header_is(c, &["指标", "项目", "名称"]), stats[c].distinct.len(), std::cmp::Reverse(c)));
        let Some(item_col) = item_col else { return out + "# no item column found: this is not a long list wcmon can draft\n" };
        ignore.extend(text_cols.iter().copied().filter(|&c| ![area_col, sex_col, age_col, unit_col, Some(item_col)].contains(&Some(c))));
        let head = |c: usize| first_label(s, d, c);
        let _ = match area_col {
            Some(_) => writeln!(out, "[area]\nfrom = \"column\"\n"),
            None => writeln!(out, "[area]\nfrom = \"fixed\"\nvalue = {}\n", toml_str(&root)),
        };
        let totals: BTreeSet<String> = area_col.map(|c| stats[c].distinct.values().filter(|l| is_root_or_total(l)).cloned().collect()).unwrap_or_default();
        let _ = writeln!(out, "[table]\nlayout = \"long\"\nheader_labels = [{header_labels}]\nheader_rows = {}", d.header_rows);
        if !totals.is_empty() {
            let _ = writeln!(out, "skip_rows = [{}]", totals.iter().map(|t| toml_str(t)).collect::<Vec<_>>().join(", "));
        }
        if !ignore.is_empty() {
            let _ = writeln!(out, "ignore_columns = [{}]", col_list(&ignore));
        }
        let _ = writeln!(out, "\n[long]\nitem_column = {}\nvalue_column = {}", toml_str(&head(item_col)), toml_str(&head(value)));
        for (k, c) in [("area_column", area_col), ("sex_column", sex_col), ("age_column", age_col), ("unit_column", unit_col)] {
            if let Some(c) = c {
                let _ = writeln!(out, "{k} = {}", toml_str(&head(c)));
            }
        }
        if let Some(c) = sex_col {
            let dashes: Vec<String> = stats[c].distinct.values().filter(|l| dashy(l)).map(|l| format!("{} = \"_T\"", toml_str(l))).collect();
            if !dashes.is_empty() {
                let _ = writeln!(out, "sex_values = {{ {} }}          # rows without a sex", dashes.join(", "));
            }
        }
        if let Some(c) = age_col {
            let dashes: Vec<String> = stats[c].distinct.values().filter(|l| dashy(l)).map(|l| format!("{} = \"_T\"", toml_str(l))).collect();
            if !dashes.is_empty() {
                let _ = writeln!(out, "age_values = {{ {} }}          # rows without an age group", dashes.join(", "));
            }
        }
        for l in stats[item_col].distinct.values() {
            let _ = writeln!(out, "\n[[items]]\n{}", mapping("label", l, l, None, None, cfg, &mut guessed).trim_end());
        }
        return out;
    }
    let label_col = d.label_col.unwrap_or(0);
    let row_labels: Vec<String> = stats[label_col].distinct.values().cloned().collect();
    let value_cols: Vec<usize> = num_cols.iter().copied().filter(|&c| c != label_col).collect();
    ignore.extend(text_cols.iter().copied().filter(|&c| c != label_col));
    let last_label = |c: usize| normalise::header_paths(s, d.header_row, d.header_rows)[c].last().cloned().unwrap_or_default();
    let area_rows = row_labels.iter().filter(|l| is_area(l) || is_root_or_total(l)).count() * 10 >= row_labels.len().max(1) * 6;
    let area_cols = !area_rows && value_cols.iter().filter(|&&c| is_area(&last_label(c))).count() * 10 >= value_cols.len().max(1) * 6;
    let label_head = first_label(s, d, label_col);
    let label_ref = if label_head.is_empty() { format!("{{ column = {} }}", toml_str(&letter(label_col))) } else { toml_str(&label_head) };
    if area_cols {
        // Towns as columns, items as rows.
        let totals: Vec<usize> = value_cols.iter().copied().filter(|&c| !is_area(&last_label(c)) || is_root_or_total(&last_label(c))).collect();
        let _ = writeln!(out, "[area]\nfrom = \"columns\"\n");
        let _ = writeln!(out, "[table]\nheader_labels = [{header_labels}]\nheader_rows = {}\nlabel_column = {label_ref}", d.header_rows);
        if !totals.is_empty() {
            let _ = writeln!(out, "skip_columns = [{}]", col_list(&totals));
        }
        if !ignore.is_empty() {
            let _ = writeln!(out, "ignore_columns = [{}]", col_list(&ignore));
        }
        for l in &row_labels {
            if labels::is_total(l) {
                continue;
            }
            let _ = writeln!(out, "\n[[rows]]\n{}", mapping("label", l, l, None, None, cfg, &mut guessed).trim_end());
        }
        return out;
    }
    // Rows as areas (or one area per sheet, or one area), values in columns found by their header paths.
    let totals: Vec<String> = row_labels.iter().filter(|l| is_root_or_total(l)).cloned().collect();
    let area_sheets = sheet_names.len() > 1 && sheet_names.iter().filter(|n| is_area(n)).count() * 10 >= sheet_names.len() * 6;
    let _ = if area_rows {
        writeln!(out, "[area]\nfrom = \"rows\"\n")
    } else if area_sheets {
        writeln!(out, "[area]\nfrom = \"sheet_name\"             # a sheet per area\n")
    } else {
        writeln!(out, "[area]\nfrom = \"fixed\"\nvalue = {}\n", toml_str(&root))
    };
    // A cross-tab of built-in labels only (age groups × 合计/男/女): one data element for the whole table.
    let built_in = |l: &str| labels::is_total(l) || labels::sex_code(l).is_some() || labels::age_code(l).is_some();
    let cross_tab = !area_rows && !row_labels.is_empty() && row_labels.iter().all(|l| built_in(l)) && !value_cols.is_empty() && {
        let paths = norm_paths_all(s, d);
        value_cols.iter().all(|&c| paths[c].last().is_some_and(|l| built_in(l)))
    };
    if cross_tab {
        let _ = writeln!(out, "[table]\nheader_labels = [{header_labels}]\nheader_rows = {}\nlabel_column = {label_ref}", d.header_rows);
        if !ignore.is_empty() {
            let _ = writeln!(out, "ignore_columns = [{}]", col_list(&ignore));
        }
        // The title without its year, its unit line and the sheet's own name (an area).
        let what = if title.trim().is_empty() { stem.to_string() } else { title.trim().to_string() };
        let what = what.split("单位").next().unwrap_or_default().replace(s.name.as_str(), "");
        let what = year_in_name.replace_all(&what, "").replace('年', "").trim().to_string();
        let body = mapping("# the table", &what, &what, None, None, cfg, &mut guessed);
        let _ = writeln!(out, "\n[fixed]                             # rows and columns are sex and age groups: one data element\n{}", body.trim_end());
        return out;
    }
    let _ = writeln!(out, "[table]\nheader_labels = [{header_labels}]\nheader_rows = {}\nlabel_column = {label_ref}", d.header_rows);
    if area_rows && !totals.is_empty() {
        let _ = writeln!(out, "skip_rows = [{}]", totals.iter().map(|t| toml_str(t)).collect::<Vec<_>>().join(", "));
    }
    if !ignore.is_empty() {
        let _ = writeln!(out, "ignore_columns = [{}]", col_list(&ignore));
    }
    let norm_paths = normalise::header_paths(s, d.header_row, d.header_rows);
    for &c in &value_cols {
        let parts = &norm_paths[c];
        let display: Vec<&str> = paths[c].split('/').collect();
        // The element from the labels that are not a sex, an age group or a total.
        let (mut sex, mut age, mut element) = (None, None, Vec::new());
        for (i, p) in parts.iter().enumerate() {
            // A sex or an age group at any level of a path of two or more (合计 over 小学 | 初中, or under them).
            if let Some(x) = labels::sex_code(p).filter(|_| parts.len() > 1) {
                sex = sex.or(Some(x.to_string()));
            } else if let Some(a) = labels::age_code(p).filter(|_| parts.len() > 1) {
                age = age.or(Some(a));
            } else if let Some(raw) = display.get(i) {
                element.push(*raw);
            }
        }
        let sex = sex.filter(|x| x != "_T");
        let age = age.filter(|x| x != "_T");
        let head = if paths[c].is_empty() { None } else { Some(paths[c].as_str()) };
        let body = match head {
            Some(h) => mapping("header", h, &element.join("/"), sex.as_deref(), age.as_deref(), cfg, &mut guessed),
            None => mapping("column", &letter(c), "", sex.as_deref(), age.as_deref(), cfg, &mut guessed),
        };
        let _ = writeln!(out, "\n[[columns]]\n{}", body.trim_end());
    }
    out
}

/// Normalised header paths of the table's columns.
fn norm_paths_all(s: &Sheet, d: &Detected) -> Vec<Vec<String>> {
    normalise::header_paths(s, d.header_row, d.header_rows)
}

/// The column's label in the header's first row it has one in (as written).
fn first_label(s: &Sheet, d: &Detected, c: usize) -> String {
    (d.header_row..d.header_row + d.header_rows)
        .map(|r| s.get_merged(r, c).label().split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|l| !l.is_empty())
        .unwrap_or_default()
}
