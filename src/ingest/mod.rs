//! Files -> sheets of cells with their addresses. calamine lives only here.
//!
//! A workbook is read whole into a bounded grid per sheet (plus its merged
//! regions). Anything that cannot be read becomes an [`IngestError`] with the
//! reason in words a statistician can pass on to the body that sent the file.

use std::io::Cursor;
use std::path::{Path, PathBuf};

mod biff;
pub mod errors;
mod merges;
mod ods;

use calamine::{open_workbook_from_rs, DataRef, Dimensions, Ods, Reader, Xls, Xlsb, Xlsx};
use sha2::{Digest, Sha256};

use crate::util::{fmt_num, hex};

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
    fn grid(&mut self, rows: u32, cols: u32) -> Result<(), String> {
        let bytes = (rows as u64).saturating_mul(cols as u64).saturating_mul(std::mem::size_of::<CellValue>() as u64);
        if self.grid_bytes.saturating_add(bytes) > MAX_WORKBOOK_BYTES {
            return Err(format!(
                "its used area reaches {} ({rows} rows x {cols} columns, {} MB as a grid), and the workbook's sheets may take {} MB in all; \
                 a stray cell far from the table? delete it (or the empty rows and columns up to it) and send the file again",
                a1(rows.saturating_sub(1) as usize, cols.saturating_sub(1) as usize),
                bytes >> 20,
                MAX_WORKBOOK_BYTES >> 20
            ));
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
    pub fn from_cells(name: &str, cells: Vec<(u32, u32, CellValue)>, merges: Vec<Dimensions>) -> Result<Sheet, String> {
        Sheet::from_cells_within(name, cells, merges, &mut Budget::default())
    }

    /// [`Sheet::from_cells`], its grid taken from a workbook's budget (checked before it is allocated).
    fn from_cells_within(name: &str, cells: Vec<(u32, u32, CellValue)>, merges: Vec<Dimensions>, budget: &mut Budget) -> Result<Sheet, String> {
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

/// A file found in the inbox.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    /// Path relative to the inbox, with "/" separators: the `source_file` of every row.
    /// A name that is not UTF-8 keeps its other bytes as `\xNN` (see [`path_text`]),
    /// so two such names never share a `source_file`.
    pub rel: String,
    pub size: u64,
    /// Modification time, nanoseconds since 1970 (0 when unknown).
    pub mtime_ns: u64,
    /// An entry of the inbox that could not be listed or followed (unreadable
    /// folder, broken or looping link): reported as an issue of this severity,
    /// the rest of the inbox loads.
    pub problem: Option<(crate::model::Severity, String)>,
}

/// A path component as text: UTF-8 as it is, any other byte as `\xNN`.
pub fn path_text(s: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = s.as_bytes();
        if let Ok(t) = std::str::from_utf8(bytes) {
            return t.to_string();
        }
        let mut out = String::with_capacity(bytes.len() + 8);
        for chunk in bytes.utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().to_string()
    }
}

fn rel_of(inbox: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(inbox).unwrap_or(path);
    rel.components().map(|c| path_text(c.as_os_str())).collect::<Vec<_>>().join("/")
}

/// Spreadsheet-looking files under `inbox`, sorted by relative path.
/// Hidden files and Excel lock files (`~$...`) are skipped. Symbolic links are
/// followed (a loop is reported, not followed twice); an entry that cannot be
/// listed or followed is returned with its problem, so the run reports it and
/// loads the rest. Only an inbox that cannot be listed at all is an error.
pub fn discover(inbox: &Path) -> std::io::Result<Vec<InputFile>> {
    use crate::model::Severity;
    std::fs::read_dir(inbox)?;
    let mut out = Vec::new();
    let skipped = |rel: &str| rel.split('/').any(|p| p.starts_with('.') || p.starts_with("~$") || p == "_truth");
    for entry in walkdir::WalkDir::new(inbox).follow_links(true).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let Some(path) = e.path().map(Path::to_path_buf) else { continue };
                let rel = rel_of(inbox, &path);
                if rel.is_empty() || skipped(&rel) {
                    continue;
                }
                let problem = if let Some(ancestor) = e.loop_ancestor() {
                    (Severity::Warning, format!("a symbolic link that loops back to {}: not followed again", ancestor.display()))
                } else if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) {
                    (Severity::Error, "a symbolic link to a file or folder that does not exist: nothing read".to_string())
                } else {
                    let why = e.io_error().map(|io| io.to_string()).unwrap_or_else(|| e.to_string());
                    (Severity::Error, format!("cannot be read ({why}): the returns in it, if any, are missing from this run"))
                };
                out.push(InputFile { path, rel, size: 0, mtime_ns: 0, problem: Some(problem) });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = rel_of(inbox, entry.path());
        if skipped(&rel) {
            continue;
        }
        let meta = entry.metadata().ok();
        let size = meta.as_ref().map(|m| m.len()).unwrap_or(0);
        let mtime_ns = meta.and_then(|m| m.modified().ok()).map(mtime_nanos).unwrap_or(0);
        out.push(InputFile { path: entry.path().to_path_buf(), rel, size, mtime_ns, problem: None });
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

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

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
fn worksheets<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(wb: &R, out: &mut Workbook) -> Vec<String> {
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
fn read_ranges<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(wb: &mut R, format: &'static str) -> Result<Workbook, IngestError>
where
    R::Error: std::fmt::Display,
{
    let mut out = Workbook { format, ..Default::default() };
    let mut budget = Budget::default();
    for name in worksheets(wb, &mut out) {
        match wb.worksheet_range(&name) {
            Ok(range) => push_range(&mut out, &name, &range, Vec::new(), &mut budget)?,
            Err(e) => out.sheet_errors.push((name, e.to_string())),
        }
    }
    Ok(out)
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

fn push_range(
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
fn read_xlsb_sheet<RS: std::io::Read + std::io::Seek>(wb: &mut Xlsb<RS>, name: &str, budget: &mut Budget) -> Result<Result<Sheet, String>, IngestError> {
    let mut cells = Vec::new();
    {
        let mut reader = match wb.worksheet_cells_reader(name) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e.to_string())),
        };
        loop {
            let cell = match reader.next_cell() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => return Ok(Err(e.to_string())),
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
    Ok(Sheet::from_cells_within(name, cells, Vec::new(), budget))
}

/// Stream an xlsx sheet's cells (no dense range is built by calamine), refusing
/// a sheet as soon as a cell lies beyond the limits, and the sheet's grid when it
/// would pass the workbook's budget (the cells are held sparse until then). The
/// outer error refuses the whole workbook (too many cells held at once).
fn read_xlsx_sheet<RS: std::io::Read + std::io::Seek>(
    wb: &mut Xlsx<RS>,
    name: &str,
    merges: Option<Vec<Dimensions>>,
    budget: &mut Budget,
) -> Result<Result<Sheet, String>, IngestError> {
    let merges = match merges {
        Some(m) => m,
        None => wb.merge_cells_by_sheet_name(name).unwrap_or_default(),
    };
    let mut cells = Vec::new();
    {
        let mut reader = match wb.worksheet_cells_reader(name) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e.to_string())),
        };
        loop {
            let cell = match reader.next_cell() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => return Ok(Err(e.to_string())),
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
    Ok(Sheet::from_cells_within(name, cells, merges, budget))
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
    fn a_workbooks_grids_share_one_budget() {
        let mut b = Budget::default();
        // 2000 x 2000 positions (122 MB as a grid) fit twice into 256 MB, not three times.
        assert!(b.grid(2000, 2000).is_ok());
        assert!(b.grid(2000, 2000).is_ok());
        let e = b.grid(2000, 2000).unwrap_err();
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
        assert!(e.unwrap_err().contains("XFD1048576"));
    }
}
