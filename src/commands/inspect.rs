//! `wcmon inspect FILE`: what a pipeline-file author needs to see.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::ingest::{self, a1};
use crate::normalise::{self, clean::normalise_label};

/// A printable report of a workbook: sheets, merged regions, the likely header
/// row, header paths per column, and which form (if any) recognises it.
pub fn inspect(path: &Path, cfg: Option<&Config>, max_rows: usize) -> Result<String, String> {
    let (bytes, sha) = ingest::read_bytes(path).map_err(|e| e.to_string())?;
    let wb = ingest::read_workbook_caught(bytes).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let _ = writeln!(out, "file    {}\nformat  {}\nsha256  {sha}", path.display(), wb.format);
    if let Some(cfg) = cfg {
        let forms = crate::pipeline::recognise(&wb, &name, cfg);
        let ids: Vec<String> = forms.iter().map(|f| format!("{} ({})", f.id(), f.file.display())).collect();
        let _ = writeln!(out, "form    {}", if ids.is_empty() { "none recognises it".to_string() } else { ids.join(", ") });
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
        // Likely header row: the first row with the most text cells among the first rows.
        // Merged titles fill every column through get_merged, so count the cells actually written.
        let text_cells = |r: usize| (0..s.cols).filter(|&c| matches!(s.get(r, c), ingest::CellValue::Text(t) if !t.trim().is_empty())).count();
        let number_cells = |r: usize| (0..s.cols).filter(|&c| matches!(s.get(r, c), ingest::CellValue::Number(_))).count();
        let guess = (0..s.rows.min(normalise::HEADER_SEARCH_ROWS)).max_by_key(|&r| (text_cells(r), std::cmp::Reverse(r)));
        for r in 0..s.rows.min(max_rows) {
            let cells: Vec<String> = (0..s.cols).filter(|&c| !s.get(r, c).is_empty()).map(|c| format!("{}={}", a1(r, c), s.get(r, c).as_label())).collect();
            if !cells.is_empty() {
                let mark = if Some(r) == guess { "H" } else { " " };
                let _ = writeln!(out, "  {mark} row {:>3}: {}", r + 1, cells.join(" | "));
            }
        }
        if s.rows > max_rows {
            let _ = writeln!(out, "  ... {} more rows", s.rows - max_rows);
        }
        if let Some(h) = guess {
            let depth = 1 + (1..=2).take_while(|d| h + d < s.rows && text_cells(h + d) > 0 && number_cells(h + d) == 0).count();
            let _ = writeln!(out, "  likely header starts at row {} (mark H); header paths with {depth} header row(s):", h + 1);
            for (c, p) in normalise::header_paths(s, h, depth).iter().enumerate() {
                if !p.is_empty() {
                    let _ = writeln!(out, "    column {:<3} header = {:?}", a1(0, c).trim_end_matches('1'), p.join("/"));
                }
            }
            let labels: Vec<String> = (0..s.cols).map(|c| normalise_label(&s.get_merged(h, c).as_label())).filter(|l| !l.is_empty()).take(3).collect();
            let _ = writeln!(out, "  try: [table] header_labels = {labels:?}, header_rows = {depth}");
        }
    }
    Ok(out)
}
