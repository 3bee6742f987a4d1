//! Rendering a planned workbook to .xlsx: formats, merges, the locked header (sheet
//! protection, value cells unlocked) and each value cell's data validation.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, ProtectionOptions, Workbook, Worksheet,
};

use super::{BookPlan, CellStyle, ValueKind};

/// Render a planned workbook to .xlsx bytes (a fixed creation time: the same plan gives the same bytes).
pub fn render(book: &BookPlan, year: i32) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(year.clamp(1900, 9999) as u16, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_title(book.file_name.trim_end_matches(".xlsx")).set_author("wcmon template").set_creation_datetime(&created));
    let border = FormatBorder::Thin;
    let title = Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter);
    let plain = Format::new();
    let header = Format::new()
        .set_bold()
        .set_border(border)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xD9D9D9));
    let label = Format::new().set_border(border).set_background_color(Color::RGB(0xF2F2F2));
    let value_whole = Format::new().set_border(border).set_unlocked().set_num_format("0");
    let value_dec = Format::new().set_border(border).set_unlocked();
    for sheet in &book.sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        for t in &sheet.texts {
            let f = match t.style {
                CellStyle::Title => &title,
                CellStyle::Plain => &plain,
                CellStyle::Header => &header,
                CellStyle::Label => &label,
            };
            if t.row == t.last_row && t.col == t.last_col {
                ws.write_string_with_format(t.row, t.col, &t.text, f)?;
            } else {
                ws.merge_range(t.row, t.col, t.last_row, t.last_col, &t.text, f)?;
            }
        }
        for &(r, c, v) in &sheet.numbers {
            ws.write_number_with_format(r, c, v, &label)?;
        }
        for &(r, c, k) in &sheet.values {
            ws.write_blank(r, c, if matches!(k, ValueKind::Whole { .. }) { &value_whole } else { &value_dec })?;
        }
        for (r1, c1, r2, c2, k) in runs(&sheet.values) {
            ws.add_data_validation(r1, c1, r2, c2, &validation(k)?)?;
        }
        for &(c, w) in &sheet.widths {
            ws.set_column_width(c, w)?;
        }
        ws.set_freeze_panes(sheet.freeze.0, sheet.freeze.1)?;
        protect(ws);
    }
    let ws = wb.add_worksheet();
    ws.set_name("填表说明")?;
    let wrap = Format::new().set_text_wrap().set_border(border).set_align(FormatAlign::VerticalCenter);
    let mut r = 0u32;
    for line in &book.instructions {
        ws.write_string(r, 0, line)?;
        r += 1;
    }
    r += 1;
    for (i, h) in ["序号", "数据项代码", "数据项", "计量单位", "类型", "定义", "报送单位", "填在本表"].iter().enumerate() {
        ws.write_string_with_format(r, i as u16, *h, &header)?;
    }
    for (i, n) in book.notes.iter().enumerate() {
        let rr = r + 1 + i as u32;
        ws.write_number_with_format(rr, 0, (i + 1) as f64, &wrap)?;
        for (ci, text) in [&n.code, &n.name_zh, &n.unit, &n.kind, &n.definition, &n.body, &n.where_in_form].iter().enumerate() {
            ws.write_string_with_format(rr, 1 + ci as u16, text.as_str(), &wrap)?;
        }
    }
    for (c, w) in [(0u16, 6.0), (1, 24.0), (2, 22.0), (3, 9.0), (4, 14.0), (5, 60.0), (6, 24.0), (7, 30.0)] {
        ws.set_column_width(c, w)?;
    }
    ws.set_freeze_panes(r + 1, 0)?;
    protect(ws);
    wb.save_to_buffer()
}

/// Sheet protection: the locked cells (header, labels) cannot be changed; column widths and row heights can.
fn protect(ws: &mut Worksheet) {
    let mut opts = ProtectionOptions::new();
    opts.format_columns = true;
    opts.format_rows = true;
    ws.protect_with_options(&opts);
}

/// Rectangles of value cells of the same kind: (first_row, first_col, last_row, last_col, kind).
/// Vertical runs first, then runs over the same rows in adjacent columns joined.
fn runs(values: &[(u32, u16, ValueKind)]) -> Vec<(u32, u16, u32, u16, ValueKind)> {
    let mut v: Vec<(u32, u16, ValueKind)> = values.to_vec();
    v.sort_by_key(|&(r, c, _)| (c, r));
    let mut vertical: Vec<(u32, u16, u32, ValueKind)> = Vec::new();
    for (r, c, k) in v {
        match vertical.last_mut() {
            Some(last) if last.1 == c && last.2 + 1 == r && last.3 == k => last.2 = r,
            _ => vertical.push((r, c, r, k)),
        }
    }
    vertical.sort_by_key(|&(r1, c, r2, _)| (r1, r2, c));
    let mut out: Vec<(u32, u16, u32, u16, ValueKind)> = Vec::new();
    for (r1, c, r2, k) in vertical {
        match out.iter_mut().rev().find(|o| o.0 == r1 && o.2 == r2 && o.3 + 1 == c) {
            Some(o) if o.4 == k => o.3 = c,
            _ => out.push((r1, c, r2, c, k)),
        }
    }
    out.sort_by_key(|&(r1, c1, _, _, _)| (c1, r1));
    out
}

fn validation(k: ValueKind) -> Result<DataValidation, rust_xlsxwriter::XlsxError> {
    let (dv, msg) = match k {
        ValueKind::Whole { min, max } => {
            let lo = min.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
            match max {
                Some(hi) => {
                    let hi = hi.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
                    (DataValidation::new().allow_whole_number(DataValidationRule::Between(lo, hi)), format!("请填 {lo} 到 {hi} 之间的整数。"))
                }
                None => (DataValidation::new().allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(lo)), format!("请填不小于 {lo} 的整数。")),
            }
        }
        ValueKind::Decimal { min, max } => match max {
            Some(hi) => (DataValidation::new().allow_decimal_number(DataValidationRule::Between(min, hi)), format!("请填 {min} 到 {hi} 之间的数。")),
            None if min > f64::MIN => {
                (DataValidation::new().allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(min)), format!("请填不小于 {min} 的数。"))
            }
            None => (DataValidation::new().allow_decimal_number(DataValidationRule::Between(-1e15, 1e15)), "请填数字。".to_string()),
        },
    };
    dv.set_error_title("数值不符合要求")?.set_error_message(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_group_consecutive_cells_of_a_kind() {
        let w = ValueKind::Whole { min: 0, max: None };
        let d = ValueKind::Decimal { min: 0.0, max: Some(100.0) };
        let v = vec![(5, 1, w), (6, 1, w), (7, 1, d), (5, 2, w), (6, 2, w), (9, 1, d), (5, 3, d), (6, 3, d)];
        assert_eq!(runs(&v), vec![(5, 1, 6, 2, w), (7, 1, 7, 1, d), (9, 1, 9, 1, d), (5, 3, 6, 3, d)]);
    }
}
