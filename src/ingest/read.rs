//! A workbook from its bytes: the format told by its magic bytes, each sheet read
//! within the size budgets, a panic inside a reader caught and named.

use super::*;

pub(super) const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// [`read_workbook`], a panic inside the spreadsheet reader caught and turned into
/// [`IngestError::ReaderPanic`] with its message (the binary's panic hook keeps it
/// off stderr).
pub fn read_workbook_caught(bytes: Vec<u8>) -> Result<Workbook, IngestError> {
    IN_READER.with(|f| f.set(f.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_workbook(bytes)));
    IN_READER.with(|f| f.set(f.get().saturating_sub(1)));
    match r {
        Ok(r) => r,
        Err(payload) => Err(IngestError::ReaderPanic(panic_message(payload.as_ref()))),
    }
}

thread_local! {
    static IN_READER: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether this thread is inside [`read_workbook_caught`] (a panic there is caught
/// and becomes an issue: the panic hook stays quiet).
pub fn in_reader() -> bool {
    IN_READER.with(|f| f.get() > 0)
}

/// The text of a caught panic.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Parse a workbook from its bytes, whatever its extension says.
pub fn read_workbook(bytes: Vec<u8>) -> Result<Workbook, IngestError> {
    if bytes.starts_with(&OLE_MAGIC) {
        if contains_utf16(&bytes, "EncryptedPackage") || contains_utf16(&bytes, "EncryptionInfo") {
            return Err(IngestError::Encrypted);
        }
        // calamine builds every sheet's grid when it opens the file: judge their size first.
        if let Some(est) = biff::estimate(&bytes) {
            if est.encrypted {
                return Err(IngestError::Encrypted);
            }
            if est.bytes > MAX_WORKBOOK_BYTES as u128 {
                return Err(IngestError::OverBudget(format!(
                    "its {} sheets declare or use cell areas that would take {} MB to read (sheet {} alone {} MB), more than the {} MB a workbook may take; \
                     a stray cell far from the table, or a wrong sheet size? open it in Excel, delete the empty rows and columns after the table and save it again",
                    est.sheets,
                    est.bytes >> 20,
                    est.largest.0 + 1,
                    est.largest.1 >> 20,
                    MAX_WORKBOOK_BYTES >> 20
                )));
            }
        }
        let mut wb: Xls<Cursor<Vec<u8>>> =
            open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsError| broken_or_encrypted("xls", e.to_string()))?;
        let mut out = Workbook { format: "xls", ..Default::default() };
        let mut budget = Budget::default();
        for name in worksheets(&wb, &mut out) {
            let merges = wb.merge_cells_by_sheet_name(&name).unwrap_or_default();
            match wb.worksheet_range(&name) {
                Ok(range) => push_range(&mut out, &name, &range, merges, &mut budget)?,
                Err(e) => out.sheet_errors.push((name, SheetError::Reader(e.to_string()))),
            }
        }
        return Ok(out);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        check_inflation(&bytes)?;
        // A SIMD substring search: a byte-by-byte window compare showed in profiles (every file, twice).
        let is = |needle: &str| memchr::memmem::find(&bytes, needle.as_bytes()).is_some();
        if is("xl/workbook.bin") {
            let mut wb: Xlsb<Cursor<Vec<u8>>> =
                open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsbError| IngestError::Broken { format: "xlsb", reason: e.to_string() })?;
            let mut out = Workbook { format: "xlsb", ..Default::default() };
            let mut budget = Budget::default();
            for name in worksheets(&wb, &mut out) {
                match read_xlsb_sheet(&mut wb, &name, &mut budget)? {
                    Ok(sheet) => out.sheets.push(sheet),
                    Err(reason) => out.sheet_errors.push((name, reason)),
                }
            }
            return Ok(out);
        }
        if is("content.xml") && !is("xl/workbook.xml") {
            // calamine expands every table's repeated rows and cells when it opens the file: measure them first.
            if let Some(bytes_needed) = ods::estimate(&bytes) {
                if bytes_needed > MAX_WORKBOOK_BYTES as u128 {
                    return Err(IngestError::OverBudget(format!(
                        "its tables repeat rows and cells over an area that would take {} MB to read, more than the {} MB a workbook may take; \
                         a formatted or filled range running far past the table? delete the rows and columns after it and save it again",
                        bytes_needed >> 20,
                        MAX_WORKBOOK_BYTES >> 20
                    )));
                }
            }
            let mut wb: Ods<Cursor<Vec<u8>>> =
                open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::OdsError| IngestError::Broken { format: "ods", reason: e.to_string() })?;
            return read_ranges(&mut wb, "ods");
        }
        // calamine refuses a whole .xlsm for one Excel 4 macro sheet: read it without them.
        let (bytes, macro_sheets) = match merges::without_unreadable_sheets(&bytes) {
            Some((stripped, taken)) => (stripped, taken),
            None => (bytes, Vec::new()),
        };
        let fast = merges::xlsx_merges(&bytes);
        let mut wb: Xlsx<Cursor<Vec<u8>>> =
            open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsxError| IngestError::Broken { format: "xlsx", reason: e.to_string() })?;
        let mut out = Workbook { format: "xlsx", ..Default::default() };
        out.skipped.extend(macro_sheets.into_iter().map(|(name, kind)| (name, format!("an Excel 4 macro sheet ({kind})"))));
        let mut budget = Budget::default();
        let names = wb.sheet_names();
        let readable = worksheets(&wb, &mut out);
        // The merge scan's sheets must be calamine's, in the same order; else calamine reads them.
        let mut fast: Vec<Option<Vec<Dimensions>>> = match fast {
            Some(sheets) if sheets.len() == names.len() && sheets.iter().zip(&names).all(|((a, _), b)| a == b) => {
                sheets.into_iter().map(|(_, m)| Some(m)).collect()
            }
            _ => vec![None; names.len()],
        };
        for (i, name) in names.into_iter().enumerate() {
            if !readable.contains(&name) {
                continue;
            }
            match read_xlsx_sheet(&mut wb, &name, fast[i].take(), &mut budget)? {
                Ok(sheet) => out.sheets.push(sheet),
                Err(reason) => out.sheet_errors.push((name, reason)),
            }
        }
        return Ok(out);
    }
    let head: String = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).chars().filter(|c| !c.is_control()).collect();
    let what = if bytes.is_empty() {
        "the file is empty".to_string()
    } else if head.trim_start().starts_with('<') {
        "it looks like HTML/XML (a web page saved as .xls?); open it in Excel and save as .xlsx".to_string()
    } else if std::str::from_utf8(&bytes[..bytes.len().min(4096)]).is_ok() {
        "it is plain text (CSV?); save it from Excel as .xlsx".to_string()
    } else {
        "unknown binary format".to_string()
    };
    Err(IngestError::NotSpreadsheet(what))
}

/// The worksheets of a workbook, in order; the other sheets (charts, dialogs,
/// macros, VBA) are noted as skipped, hidden ones as hidden.
pub(super) fn worksheets<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(wb: &R, out: &mut Workbook) -> Vec<String> {
    let mut names = Vec::new();
    for s in wb.sheets_metadata() {
        let kind = match s.typ {
            calamine::SheetType::WorkSheet => None,
            calamine::SheetType::ChartSheet => Some("a chart sheet"),
            calamine::SheetType::DialogSheet => Some("a dialog sheet"),
            calamine::SheetType::MacroSheet => Some("an Excel 4 macro sheet"),
            calamine::SheetType::Vba => Some("a VBA module"),
        };
        match kind {
            Some(k) => out.skipped.push((s.name.clone(), k.to_string())),
            None => {
                if s.visible != calamine::SheetVisible::Visible {
                    out.hidden.push(s.name.clone());
                }
                names.push(s.name.clone());
            }
        }
    }
    names
}

/// Every worksheet as a dense range (formats without merged-region support in calamine).
pub(super) fn read_ranges<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(wb: &mut R, format: &'static str) -> Result<Workbook, IngestError>
where
    R::Error: std::fmt::Display,
{
    let mut out = Workbook { format, ..Default::default() };
    let mut budget = Budget::default();
    for name in worksheets(wb, &mut out) {
        match wb.worksheet_range(&name) {
            Ok(range) => push_range(&mut out, &name, &range, Vec::new(), &mut budget)?,
            Err(e) => out.sheet_errors.push((name, SheetError::Reader(e.to_string()))),
        }
    }
    Ok(out)
}

pub(super) fn broken_or_encrypted(format: &'static str, reason: String) -> IngestError {
    if reason.to_lowercase().contains("encrypt") || reason.to_lowercase().contains("password") {
        IngestError::Encrypted
    } else {
        IngestError::Broken { format, reason }
    }
}

pub(super) fn contains_utf16(bytes: &[u8], s: &str) -> bool {
    let needle: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    memchr::memmem::find(bytes, &needle).is_some()
}

pub(super) fn push_range(
    out: &mut Workbook,
    name: &str,
    range: &calamine::Range<calamine::Data>,
    merges: Vec<Dimensions>,
    budget: &mut Budget,
) -> Result<(), IngestError> {
    let Some((r0, c0)) = range.start() else {
        out.sheets.push(Sheet { name: name.into(), merges, ..Default::default() });
        return Ok(());
    };
    let (h, w) = range.get_size();
    if let Err(e) = check_size(r0.saturating_add(h as u32), c0.saturating_add(w as u32)) {
        out.sheet_errors.push((name.into(), e));
        return Ok(());
    }
    let mut cells = Vec::new();
    for (r, c, d) in range.used_cells() {
        let v = from_data(d);
        if !v.is_empty() {
            budget.cell()?;
            cells.push((r0 + r as u32, c0 + c as u32, v));
        }
    }
    match Sheet::from_cells_within(name, cells, merges, budget) {
        Ok(s) => out.sheets.push(s),
        Err(e) => out.sheet_errors.push((name.into(), e)),
    }
    Ok(())
}

/// Stream an xlsb sheet's cells, as [`read_xlsx_sheet`] does.
pub(super) fn read_xlsb_sheet<RS: std::io::Read + std::io::Seek>(
    wb: &mut Xlsb<RS>,
    name: &str,
    budget: &mut Budget,
) -> Result<Result<Sheet, SheetError>, IngestError> {
    let cells = match wb.worksheet_cells_reader(name) {
        Ok(mut reader) => stream_cells(|| reader.next_cell(), budget)?,
        Err(e) => Err(SheetError::Reader(e.to_string())),
    };
    Ok(cells.and_then(|cells| Sheet::from_cells_within(name, cells, Vec::new(), budget)))
}

/// Stream an xlsx sheet's cells (no dense range is built by calamine), refusing
/// a sheet as soon as a cell lies beyond the limits, and the sheet's grid when it
/// would pass the workbook's budget (the cells are held sparse until then). The
/// outer error refuses the whole workbook (too many cells held at once).
pub(super) fn read_xlsx_sheet<RS: std::io::Read + std::io::Seek>(
    wb: &mut Xlsx<RS>,
    name: &str,
    merges: Option<Vec<Dimensions>>,
    budget: &mut Budget,
) -> Result<Result<Sheet, SheetError>, IngestError> {
    let merges = match merges {
        Some(m) => m,
        None => wb.merge_cells_by_sheet_name(name).unwrap_or_default(),
    };
    let cells = match wb.worksheet_cells_reader(name) {
        Ok(mut reader) => stream_cells(|| reader.next_cell(), budget)?,
        Err(e) => Err(SheetError::Reader(e.to_string())),
    };
    Ok(cells.and_then(|cells| Sheet::from_cells_within(name, cells, merges, budget)))
}

/// A sheet's non-empty cells as (row, column, value).
type Cells = Vec<(u32, u32, CellValue)>;

/// A sheet's non-empty cells from a streaming reader (`next`: calamine's
/// `next_cell` of an xlsx or xlsb sheet), as (row, column, value). The inner
/// error refuses the sheet (unreadable, or a cell beyond the limits); the outer
/// one the whole workbook (past its budget of cells).
fn stream_cells<'a, E: std::fmt::Display>(
    mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'a>>>, E>,
    budget: &mut Budget,
) -> Result<Result<Cells, SheetError>, IngestError> {
    let mut cells = Vec::new();
    loop {
        let cell = match next() {
            Ok(Some(c)) => c,
            Ok(None) => return Ok(Ok(cells)),
            Err(e) => return Ok(Err(SheetError::Reader(e.to_string()))),
        };
        let (r, c) = cell.get_position();
        let v = from_data_ref(cell.get_value());
        if v.is_empty() {
            continue;
        }
        if let Err(e) = check_size(r.saturating_add(1), c.saturating_add(1)) {
            return Ok(Err(e));
        }
        budget.cell()?;
        cells.push((r, c, v));
    }
}
