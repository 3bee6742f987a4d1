//! Files -> sheets of cells with their addresses. calamine lives only here.
//!
//! A workbook is read whole into a bounded grid per sheet (plus its merged
//! regions). Anything that cannot be read becomes an [`IngestError`] with the
//! reason in words a statistician can pass on to the body that sent the file.

use std::io::Cursor;
use std::path::{Path, PathBuf};

mod merges;

use calamine::{open_workbook_from_rs, DataRef, Dimensions, Ods, Reader, Xls, Xlsb, Xlsx};
use sha2::{Digest, Sha256};

/// Refuse files larger than this (bytes): a return is a few hundred KB.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Refuse sheets whose used area spans more rows / columns / cells than this.
pub const MAX_ROWS: u32 = 200_000;
pub const MAX_COLS: u32 = 2_000;
pub const MAX_CELLS: u64 = 20_000_000;

/// One cell's value as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum CellValue {
    #[default]
    Empty,
    Number(f64),
    Text(String),
    Bool(bool),
    /// An Excel error such as #DIV/0!.
    Error(String),
}

impl CellValue {
    pub fn is_empty(&self) -> bool {
        match self {
            CellValue::Empty => true,
            CellValue::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// [`CellValue::as_label`] without copying a text.
    pub fn label(&self) -> std::borrow::Cow<'_, str> {
        match self {
            CellValue::Text(s) => std::borrow::Cow::Borrowed(s.trim()),
            other => std::borrow::Cow::Owned(other.as_label()),
        }
    }

    /// The value as a label (numbers printed without a trailing .0).
    pub fn as_label(&self) -> String {
        match self {
            CellValue::Empty => String::new(),
            CellValue::Number(v) => fmt_num(*v),
            CellValue::Text(s) => s.trim().to_string(),
            CellValue::Bool(b) => b.to_string(),
            CellValue::Error(e) => e.clone(),
        }
    }
}

pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn from_data_ref(d: &DataRef<'_>) -> CellValue {
    match d {
        DataRef::Empty => CellValue::Empty,
        DataRef::Int(i) => CellValue::Number(*i as f64),
        DataRef::Float(f) => CellValue::Number(*f),
        DataRef::String(s) => CellValue::Text(s.clone()),
        DataRef::SharedString(s) => CellValue::Text((*s).to_string()),
        DataRef::Bool(b) => CellValue::Bool(*b),
        DataRef::DateTime(dt) => CellValue::Number(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => CellValue::Text(s.clone()),
        DataRef::Error(e) => CellValue::Error(e.to_string()),
    }
}

fn from_data(d: &calamine::Data) -> CellValue {
    use calamine::Data;
    match d {
        Data::Empty => CellValue::Empty,
        Data::Int(i) => CellValue::Number(*i as f64),
        Data::Float(f) => CellValue::Number(*f),
        Data::String(s) => CellValue::Text(s.clone()),
        Data::Bool(b) => CellValue::Bool(*b),
        Data::DateTime(dt) => CellValue::Number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => CellValue::Text(s.clone()),
        Data::Error(e) => CellValue::Error(e.to_string()),
    }
}

/// A sheet as a dense grid anchored at A1 (row 0, col 0).
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    cells: Vec<CellValue>,
    /// Merged regions, (row, col) inclusive, 0-based.
    pub merges: Vec<Dimensions>,
    /// The labels of the rows searched for a header, each row normalised once (by
    /// `normalise::find_header_row`, when a form first looks at it) for every form that looks.
    pub(crate) top_labels: std::sync::OnceLock<Vec<std::sync::OnceLock<Vec<String>>>>,
}

impl Sheet {
    pub fn from_cells(name: &str, cells: Vec<(u32, u32, CellValue)>, merges: Vec<Dimensions>) -> Result<Sheet, String> {
        let rows = cells.iter().map(|c| c.0 + 1).max().unwrap_or(0);
        let cols = cells.iter().map(|c| c.1 + 1).max().unwrap_or(0);
        check_size(rows, cols)?;
        let (rows, cols) = (rows as usize, cols as usize);
        let mut grid = vec![CellValue::Empty; rows * cols];
        for (r, c, v) in cells {
            grid[r as usize * cols + c as usize] = v;
        }
        Ok(Sheet { name: name.to_string(), rows, cols, cells: grid, merges, top_labels: Default::default() })
    }

    pub fn get(&self, row: usize, col: usize) -> &CellValue {
        static EMPTY: CellValue = CellValue::Empty;
        if row < self.rows && col < self.cols {
            &self.cells[row * self.cols + col]
        } else {
            &EMPTY
        }
    }

    /// The value shown at (row, col): a merged region shows its top-left value everywhere.
    pub fn get_merged(&self, row: usize, col: usize) -> &CellValue {
        let v = self.get(row, col);
        if !v.is_empty() {
            return v;
        }
        for m in &self.merges {
            if m.contains(row as u32, col as u32) {
                return self.get(m.start.0 as usize, m.start.1 as usize);
            }
        }
        v
    }

    pub fn non_empty(&self) -> usize {
        self.cells.iter().filter(|c| !c.is_empty()).count()
    }
}

fn check_size(rows: u32, cols: u32) -> Result<(), String> {
    if rows > MAX_ROWS || cols > MAX_COLS || rows as u64 * cols as u64 > MAX_CELLS {
        return Err(format!(
            "its used area reaches {} ({} rows x {} columns), beyond the limit of {MAX_ROWS} rows x {MAX_COLS} columns; \
             a stray cell far from the table? delete it and send the file again",
            a1(rows.saturating_sub(1) as usize, cols.saturating_sub(1) as usize),
            rows,
            cols
        ));
    }
    Ok(())
}

/// A workbook's sheets, or per-sheet reasons it could not be read.
#[derive(Debug, Default)]
pub struct Workbook {
    pub format: &'static str,
    pub sheets: Vec<Sheet>,
    /// (sheet, reason) for sheets that were refused.
    pub sheet_errors: Vec<(String, String)>,
}

/// Why a file could not be read at all.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("file is {size} bytes, larger than the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("file is encrypted (password-protected); ask the body for an unprotected copy")]
    Encrypted,
    #[error("not a spreadsheet (xlsx, xls, xlsb or ods): {0}")]
    NotSpreadsheet(String),
    #[error("broken {format} workbook: {reason}")]
    Broken { format: &'static str, reason: String },
    #[error("the workbook would inflate to {inflated} bytes ({entry}), more than the limit of {limit}: refused unread")]
    Inflates { inflated: u64, entry: String, limit: u64 },
}

/// Refuse a ZIP-based workbook that would inflate to more than this (bytes),
/// judged from its directory before anything is decompressed.
pub const MAX_INFLATED_BYTES: u64 = 512 * 1024 * 1024;

/// Check the sizes a ZIP container declares for its parts (no decompression).
fn check_inflation(bytes: &[u8]) -> Result<(), IngestError> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // not readable as a ZIP: the workbook reader says why
    };
    let mut total = 0u64;
    let mut largest = (0u64, String::new());
    for i in 0..zip.len() {
        let Ok(f) = zip.by_index_raw(i) else { continue };
        total = total.saturating_add(f.size());
        if f.size() > largest.0 {
            largest = (f.size(), f.name().map(|n| n.to_string()).unwrap_or_default());
        }
    }
    if total > MAX_INFLATED_BYTES {
        return Err(IngestError::Inflates { inflated: total, entry: format!("largest part {} of {} bytes", largest.1, largest.0), limit: MAX_INFLATED_BYTES });
    }
    Ok(())
}

/// A file found in the inbox.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    /// Path relative to the inbox, with "/" separators: the `source_file` of every row.
    pub rel: String,
    pub size: u64,
    /// Modification time, nanoseconds since 1970 (0 when unknown).
    pub mtime_ns: u64,
}

/// Spreadsheet-looking files under `inbox`, sorted by relative path.
/// Hidden files and Excel lock files (`~$...`) are skipped.
pub fn discover(inbox: &Path) -> std::io::Result<Vec<InputFile>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(inbox).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if name.starts_with('.') || name.starts_with("~$") {
            continue;
        }
        let rel = entry.path().strip_prefix(inbox).unwrap_or(entry.path());
        let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if rel.split('/').any(|p| p.starts_with('.') || p == "_truth") {
            continue;
        }
        let meta = entry.metadata().ok();
        let size = meta.as_ref().map(|m| m.len()).unwrap_or(0);
        let mtime_ns = meta.and_then(|m| m.modified().ok()).map(mtime_nanos).unwrap_or(0);
        out.push(InputFile { path: entry.path().to_path_buf(), rel, size, mtime_ns });
    }
    Ok(out)
}

pub fn mtime_nanos(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// Read a file's bytes (bounded) and its SHA-256.
pub fn read_bytes(path: &Path) -> Result<(Vec<u8>, String), IngestError> {
    let size = std::fs::metadata(path).map_err(|e| IngestError::Io(e.to_string()))?.len();
    if size > MAX_FILE_BYTES {
        return Err(IngestError::TooLarge { size, limit: MAX_FILE_BYTES });
    }
    let bytes = std::fs::read(path).map_err(|e| IngestError::Io(e.to_string()))?;
    let sha = hex(&Sha256::digest(&bytes));
    Ok((bytes, sha))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Parse a workbook from its bytes, whatever its extension says.
pub fn read_workbook(bytes: Vec<u8>) -> Result<Workbook, IngestError> {
    if bytes.starts_with(&OLE_MAGIC) {
        if contains_utf16(&bytes, "EncryptedPackage") || contains_utf16(&bytes, "EncryptionInfo") {
            return Err(IngestError::Encrypted);
        }
        let mut wb: Xls<Cursor<Vec<u8>>> =
            open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsError| broken_or_encrypted("xls", e.to_string()))?;
        let names = wb.sheet_names();
        let mut out = Workbook { format: "xls", ..Default::default() };
        for name in names {
            let merges = wb.merge_cells_by_sheet_name(&name).unwrap_or_default();
            match wb.worksheet_range(&name) {
                Ok(range) => push_range(&mut out, &name, &range, merges),
                Err(e) => out.sheet_errors.push((name, e.to_string())),
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
            return Ok(read_ranges(&mut wb, "xlsb"));
        }
        if is("content.xml") && !is("xl/workbook.xml") {
            let mut wb: Ods<Cursor<Vec<u8>>> =
                open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::OdsError| IngestError::Broken { format: "ods", reason: e.to_string() })?;
            return Ok(read_ranges(&mut wb, "ods"));
        }
        let fast = merges::xlsx_merges(&bytes);
        let mut wb: Xlsx<Cursor<Vec<u8>>> =
            open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsxError| IngestError::Broken { format: "xlsx", reason: e.to_string() })?;
        let mut out = Workbook { format: "xlsx", ..Default::default() };
        let names = wb.sheet_names();
        // The merge scan's sheets must be calamine's, in the same order; else calamine reads them.
        let mut fast: Vec<Option<Vec<Dimensions>>> = match fast {
            Some(sheets) if sheets.len() == names.len() && sheets.iter().zip(&names).all(|((a, _), b)| a == b) => {
                sheets.into_iter().map(|(_, m)| Some(m)).collect()
            }
            _ => vec![None; names.len()],
        };
        for (i, name) in names.into_iter().enumerate() {
            match read_xlsx_sheet(&mut wb, &name, fast[i].take()) {
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

/// Every sheet as a dense range (formats without merged-region support in calamine).
fn read_ranges<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(wb: &mut R, format: &'static str) -> Workbook
where
    R::Error: std::fmt::Display,
{
    let mut out = Workbook { format, ..Default::default() };
    for name in wb.sheet_names() {
        match wb.worksheet_range(&name) {
            Ok(range) => push_range(&mut out, &name, &range, Vec::new()),
            Err(e) => out.sheet_errors.push((name, e.to_string())),
        }
    }
    out
}

fn broken_or_encrypted(format: &'static str, reason: String) -> IngestError {
    if reason.to_lowercase().contains("encrypt") || reason.to_lowercase().contains("password") {
        IngestError::Encrypted
    } else {
        IngestError::Broken { format, reason }
    }
}

fn contains_utf16(bytes: &[u8], s: &str) -> bool {
    let needle: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    memchr::memmem::find(bytes, &needle).is_some()
}

fn push_range(out: &mut Workbook, name: &str, range: &calamine::Range<calamine::Data>, merges: Vec<Dimensions>) {
    let Some((r0, c0)) = range.start() else {
        out.sheets.push(Sheet { name: name.into(), merges, ..Default::default() });
        return;
    };
    let (h, w) = range.get_size();
    if let Err(e) = check_size(r0 + h as u32, c0 + w as u32) {
        out.sheet_errors.push((name.into(), e));
        return;
    }
    let cells: Vec<(u32, u32, CellValue)> =
        range.used_cells().map(|(r, c, d)| (r0 + r as u32, c0 + c as u32, from_data(d))).filter(|(_, _, v)| !v.is_empty()).collect();
    match Sheet::from_cells(name, cells, merges) {
        Ok(s) => out.sheets.push(s),
        Err(e) => out.sheet_errors.push((name.into(), e)),
    }
}

/// Stream an xlsx sheet's cells (no dense range is built by calamine), refusing
/// a sheet as soon as a cell lies beyond the limits.
fn read_xlsx_sheet<RS: std::io::Read + std::io::Seek>(wb: &mut Xlsx<RS>, name: &str, merges: Option<Vec<Dimensions>>) -> Result<Sheet, String> {
    let merges = match merges {
        Some(m) => m,
        None => wb.merge_cells_by_sheet_name(name).unwrap_or_default(),
    };
    let mut cells = Vec::new();
    {
        let mut reader = wb.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
        while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
            let (r, c) = cell.get_position();
            let v = from_data_ref(cell.get_value());
            if v.is_empty() {
                continue;
            }
            check_size(r + 1, c + 1)?;
            cells.push((r, c, v));
        }
    }
    Sheet::from_cells(name, cells, merges)
}

/// "A1" address of a 0-based (row, col).
pub fn a1(row: usize, col: usize) -> String {
    let mut buf = [0u8; A1_MAX];
    a1_in(row, col, &mut buf).to_string()
}

/// The longest address [`a1_in`] writes: 14 letters (26^14 > 2^64) and 20 digits.
pub const A1_MAX: usize = 34;

/// "A1" address of a 0-based (row, col), written into `buf` (a landed value's
/// address is made once per cell: no allocation until it is shared).
pub fn a1_in(row: usize, col: usize, buf: &mut [u8; A1_MAX]) -> &str {
    let mut letters = [0u8; 14];
    let (mut n, mut c) = (0, col as u128 + 1);
    while c > 0 {
        letters[n] = b'A' + ((c - 1) % 26) as u8;
        n += 1;
        c = (c - 1) / 26;
    }
    for (i, l) in letters[..n].iter().rev().enumerate() {
        buf[i] = *l;
    }
    let mut digits = [0u8; 20];
    let (mut d, mut r) = (0, row as u128 + 1);
    while r > 0 {
        digits[d] = b'0' + (r % 10) as u8;
        d += 1;
        r /= 10;
    }
    for (i, x) in digits[..d].iter().rev().enumerate() {
        buf[n + i] = *x;
    }
    // Only ASCII letters and digits were written.
    std::str::from_utf8(&buf[..n + d]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_addresses() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(6, 3), "D7");
        assert_eq!(a1(0, 25), "Z1");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(1048575, 16383), "XFD1048576");
        assert_eq!(a1(9, 701), "ZZ10");
        assert_eq!(a1(99, 702), "AAA100");
        // The widest (row and column 2^64): bijective base 26 of 2^64, computed apart in Python.
        assert_eq!(a1(usize::MAX, usize::MAX), "GKGWBYLWRXTLPP18446744073709551616");
    }

    #[test]
    fn non_spreadsheets_are_explained() {
        assert!(matches!(read_workbook(b"a,b\n1,2\n".to_vec()), Err(IngestError::NotSpreadsheet(m)) if m.contains("CSV")));
        assert!(matches!(read_workbook(Vec::new()), Err(IngestError::NotSpreadsheet(m)) if m.contains("empty")));
        assert!(matches!(read_workbook(b"PK\x03\x04garbage".to_vec()), Err(IngestError::Broken { .. })));
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend("EncryptedPackage".encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert!(matches!(read_workbook(ole), Err(IngestError::Encrypted)));
    }

    #[test]
    fn stray_far_cell_is_refused_not_allocated() {
        let e = Sheet::from_cells("s", vec![(0, 0, CellValue::Number(1.0)), (1048575, 16383, CellValue::Number(1.0))], vec![]);
        assert!(e.unwrap_err().contains("XFD1048576"));
    }
}
