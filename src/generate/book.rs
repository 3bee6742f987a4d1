//! A minimal workbook description the generator fills, written as .xlsx
//! (rust_xlsxwriter) or legacy .xls (tools/write_xls.py with xlwt).

use std::path::Path;

use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use super::GenerateError;

#[derive(Debug, Clone)]
pub enum Val {
    Num(f64),
    Text(String),
}

#[derive(Debug, Clone, Default)]
pub struct SheetSpec {
    pub name: String,
    pub cells: Vec<(u32, u16, Val)>,
    /// (first_row, first_col, last_row, last_col, text)
    pub merges: Vec<(u32, u16, u32, u16, String)>,
}

impl SheetSpec {
    pub fn new(name: &str) -> Self {
        SheetSpec { name: name.into(), ..Default::default() }
    }
    pub fn text(&mut self, r: u32, c: u16, s: &str) {
        self.cells.push((r, c, Val::Text(s.into())));
    }
    pub fn put(&mut self, r: u32, c: u16, v: Val) {
        self.cells.push((r, c, v));
    }
    pub fn merge(&mut self, r1: u32, c1: u16, r2: u32, c2: u16, s: &str) {
        self.merges.push((r1, c1, r2, c2, s.into()));
    }
}

pub fn write_xlsx(sheets: &[SheetSpec], path: &Path) -> Result<(), GenerateError> {
    let mut wb = Workbook::new();
    let centre = Format::new().set_align(FormatAlign::Center);
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&s.name).map_err(GenerateError::xlsx(path))?;
        for (r1, c1, r2, c2, t) in &s.merges {
            ws.merge_range(*r1, *c1, *r2, *c2, t, &centre).map_err(GenerateError::xlsx(path))?;
        }
        for (r, c, v) in &s.cells {
            if s.merges.iter().any(|m| m.0 == *r && m.1 == *c) {
                continue;
            }
            match v {
                Val::Num(x) => ws.write_number(*r, *c, *x).map(|_| ()),
                Val::Text(t) => ws.write_string(*r, *c, t).map(|_| ()),
            }
            .map_err(GenerateError::xlsx(path))?;
        }
        ws.set_column_width(0, 16).map_err(GenerateError::xlsx(path))?;
    }
    wb.save(path).map_err(GenerateError::xlsx(path))
}

/// Legacy .xls through `python3 tools/write_xls.py` (xlwt; `script` is that file, see [`super::Assets`]).
pub fn write_xls(sheets: &[SheetSpec], path: &Path, script: &Path) -> Result<(), GenerateError> {
    let spec = serde_json::json!({
        "sheets": sheets.iter().map(|s| serde_json::json!({
            "name": s.name,
            "merges": s.merges.iter().map(|m| serde_json::json!([m.0, m.1, m.2, m.3, m.4])).collect::<Vec<_>>(),
            "cells": s.cells.iter().map(|(r, c, v)| match v {
                Val::Num(x) => serde_json::json!([r, c, x]),
                Val::Text(t) => serde_json::json!([r, c, t]),
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>()
    });
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, spec.to_string()).map_err(GenerateError::io(&tmp))?;
    let status = std::process::Command::new("python3").arg(script).arg(&tmp).arg(path).status();
    let _ = std::fs::remove_file(&tmp);
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(GenerateError::ScriptFailed { script: script.to_path_buf(), status: s.to_string() }),
        Err(e) => Err(GenerateError::ScriptFailed { script: script.to_path_buf(), status: e.to_string() }),
    }
}
