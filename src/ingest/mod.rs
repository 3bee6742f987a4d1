//! Files -> sheets of cells with their addresses. calamine lives only here.
//!
//! A workbook is read whole into a bounded grid per sheet (plus its merged
//! regions). Anything that cannot be read becomes an [`IngestError`] with the
//! reason in words a statistician can pass on to the body that sent the file.

use std::io::Cursor;
use std::path::{Path, PathBuf};

mod biff;
pub mod errors;
mod inbox;
mod merges;
mod ods;
mod read;

use calamine::{open_workbook_from_rs, DataRef, Dimensions, Ods, Reader, Xls, Xlsb, Xlsx};
use sha2::{Digest, Sha256};

use crate::util::{fmt_num, hex};

pub use inbox::{discover, mtime_nanos, path_text, read_bytes, InputFile};
pub use read::{in_reader, panic_message, read_workbook, read_workbook_caught};

/// Refuse files larger than this (bytes): a return is a few hundred KB.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Refuse sheets whose used area spans more rows / columns / cells than this.
pub const MAX_ROWS: u32 = 200_000;
pub const MAX_COLS: u32 = 2_000;
pub const MAX_CELLS: u64 = 20_000_000;

/// The memory a workbook's sheets may take at once (bytes): the grids wcmon
/// keeps (32 bytes a cell position, [`CellValue`]) and, for `.xls`, what
/// calamine allocates while it opens the file (judged before it is called).
/// A sheet that would pass it is refused unread; so is an `.xls` as a whole.
/// With one workbook per core at a time, the ingest stage holds at most
/// cores × this (see README, "Limits").
pub const MAX_WORKBOOK_BYTES: u64 = 256 << 20;
/// Non-empty cells a workbook may hold at once (each 40 bytes plus its text).
pub const MAX_WORKBOOK_CELLS: u64 = 2_000_000;

/// What one workbook has taken of its budget so far.
#[derive(Debug, Default)]
struct Budget {
    grid_bytes: u64,
    cells: u64,
}

impl Budget {
    /// Count one more non-empty cell; an error once the workbook holds too many.
    fn cell(&mut self) -> Result<(), IngestError> {
        self.cells += 1;
        if self.cells > MAX_WORKBOOK_CELLS {
            return Err(IngestError::OverBudget(format!("it holds more than {MAX_WORKBOOK_CELLS} non-empty cells")));
        }
        Ok(())
    }

    /// Take a sheet's grid of `rows` × `cols` positions, or say why not (the sheet is then refused).
    fn grid(&mut self, rows: u32, cols: u32) -> Result<(), SheetError> {
        let bytes = (rows as u64).saturating_mul(cols as u64).saturating_mul(std::mem::size_of::<CellValue>() as u64);
        if self.grid_bytes.saturating_add(bytes) > MAX_WORKBOOK_BYTES {
            return Err(SheetError::OverBudget { corner: corner(rows, cols), rows, cols, mb: bytes >> 20 });
        }
        self.grid_bytes += bytes;
        Ok(())
    }
}

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
    pub fn from_cells(name: &str, cells: Vec<(u32, u32, CellValue)>, merges: Vec<Dimensions>) -> Result<Sheet, SheetError> {
        Sheet::from_cells_within(name, cells, merges, &mut Budget::default())
    }

    /// [`Sheet::from_cells`], its grid taken from a workbook's budget (checked before it is allocated).
    fn from_cells_within(name: &str, cells: Vec<(u32, u32, CellValue)>, merges: Vec<Dimensions>, budget: &mut Budget) -> Result<Sheet, SheetError> {
        let rows = cells.iter().map(|c| c.0.saturating_add(1)).max().unwrap_or(0);
        let cols = cells.iter().map(|c| c.1.saturating_add(1)).max().unwrap_or(0);
        check_size(rows, cols)?;
        budget.grid(rows, cols)?;
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

fn check_size(rows: u32, cols: u32) -> Result<(), SheetError> {
    if rows > MAX_ROWS || cols > MAX_COLS || rows as u64 * cols as u64 > MAX_CELLS {
        return Err(SheetError::BeyondLimits { corner: corner(rows, cols), rows, cols });
    }
    Ok(())
}

/// The last cell of a used area of `rows` × `cols`: "XFD1048576".
fn corner(rows: u32, cols: u32) -> String {
    a1(rows.saturating_sub(1) as usize, cols.saturating_sub(1) as usize)
}

/// Why one sheet was refused (the workbook's other sheets are still read). The
/// message is the (`unreadable_sheet`, `sheet_not_read`): English, the
/// same whatever the locale.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// Its used area (to `corner`, a stray cell far from the table?) is beyond the limits of a sheet.
    #[error(
        "its used area reaches {corner} ({rows} rows x {cols} columns), beyond the limit of {MAX_ROWS} rows x {MAX_COLS} columns; \
         a stray cell far from the table? delete it and send the file again"
    )]
    BeyondLimits { corner: String, rows: u32, cols: u32 },
    /// Its grid (`mb` MB) would take the workbook past [`MAX_WORKBOOK_BYTES`].
    #[error(
        "its used area reaches {corner} ({rows} rows x {cols} columns, {mb} MB as a grid), and the workbook's sheets may take {} MB in all; \
         a stray cell far from the table? delete it (or the empty rows and columns up to it) and send the file again",
        MAX_WORKBOOK_BYTES >> 20
    )]
    OverBudget { corner: String, rows: u32, cols: u32, mb: u64 },
    /// The spreadsheet reader refused the sheet, in its words.
    #[error("{0}")]
    Reader(String),
}

/// A workbook's sheets, or per-sheet reasons it could not be read.
#[derive(Debug, Default)]
pub struct Workbook {
    pub format: &'static str,
    pub sheets: Vec<Sheet>,
    /// (sheet, reason) for sheets that were refused.
    pub sheet_errors: Vec<(String, SheetError)>,
    /// (sheet, what it is) for sheets that hold no table and were not read:
    /// chart sheets, dialog sheets, macro sheets, VBA modules.
    pub skipped: Vec<(String, String)>,
    /// Sheets hidden in the workbook (read like the others).
    pub hidden: Vec<String>,
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
    #[error("the workbook is too large to read: {0}; refused unread")]
    OverBudget(String),
    #[error("the spreadsheet reader failed on this file (corrupt workbook): {0}")]
    ReaderPanic(String),
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
    use super::read::OLE_MAGIC;
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
    fn a_workbooks_grids_share_one_budget() {
        let mut b = Budget::default();
        // 2000 x 2000 positions (122 MB as a grid) fit twice into 256 MB, not three times.
        assert!(b.grid(2000, 2000).is_ok());
        assert!(b.grid(2000, 2000).is_ok());
        let e = b.grid(2000, 2000).unwrap_err();
        assert!(matches!(&e, SheetError::OverBudget { corner, rows: 2000, cols: 2000, .. } if corner == "BXX2000"), "{e:?}");
        let e = e.to_string();
        assert!(e.contains("BXX2000") && e.contains("256 MB"), "{e}");
        // Cells held at once.
        let mut b = Budget::default();
        for _ in 0..MAX_WORKBOOK_CELLS {
            assert!(b.cell().is_ok());
        }
        assert!(matches!(b.cell(), Err(IngestError::OverBudget(_))));
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_keep_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let a = path_text(std::ffi::OsStr::from_bytes(b"r\xFF.xlsx"));
        let b = path_text(std::ffi::OsStr::from_bytes(b"r\xFE.xlsx"));
        assert_eq!((a.as_str(), b.as_str()), ("r\\xFF.xlsx", "r\\xFE.xlsx"));
        assert_eq!(path_text(std::ffi::OsStr::new("2024年.xlsx")), "2024年.xlsx");
    }

    #[test]
    fn stray_far_cell_is_refused_not_allocated() {
        let e = Sheet::from_cells("s", vec![(0, 0, CellValue::Number(1.0)), (1048575, 16383, CellValue::Number(1.0))], vec![]);
        let e = e.unwrap_err();
        assert_eq!(e, SheetError::BeyondLimits { corner: "XFD1048576".into(), rows: 1048576, cols: 16384 });
        // The words, as they always were.
        assert_eq!(
            e.to_string(),
            format!(
                "its used area reaches XFD1048576 (1048576 rows x 16384 columns), beyond the limit of {MAX_ROWS} rows x {MAX_COLS} columns; \
                 a stray cell far from the table? delete it and send the file again"
            )
        );
    }
}
