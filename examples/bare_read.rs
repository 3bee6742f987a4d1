//! The limit wcmon's ingest is measured against: read every sheet of every
//! workbook under a folder with calamine, in parallel on all cores, touching
//! each cell once and doing nothing with it.
//!
//!     cargo run --release --example bare_read -- DIR
//!
//! Prints one JSON line: files, cells, bytes, seconds.

use std::io::Cursor;
use std::time::Instant;

use calamine::{open_workbook_from_rs, Data, Reader, Xls, Xlsx};
use rayon::prelude::*;

fn cells_of(path: &std::path::Path) -> u64 {
    let Ok(bytes) = std::fs::read(path) else { return 0 };
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    let mut n = 0u64;
    if ole {
        let Ok(mut wb) = open_workbook_from_rs::<Xls<_>, _>(Cursor::new(bytes)) else { return 0 };
        for name in wb.sheet_names() {
            if let Ok(range) = wb.worksheet_range(&name) {
                n += range.used_cells().filter(|(_, _, v)| !matches!(v, Data::Empty)).count() as u64;
            }
        }
    } else {
        let Ok(mut wb) = open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes)) else { return 0 };
        for name in wb.sheet_names() {
            let Ok(mut reader) = wb.worksheet_cells_reader(&name) else { continue };
            while let Ok(Some(cell)) = reader.next_cell() {
                let _ = cell.get_value();
                n += 1;
            }
        }
    }
    n
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: bare_read DIR");
    let files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "xlsx" || x == "xls"))
        .map(|e| e.into_path())
        .collect();
    let bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    let t = Instant::now();
    let cells: u64 = files.par_iter().map(|f| cells_of(f)).sum();
    let secs = t.elapsed().as_secs_f64();
    println!("{{\"files\": {}, \"cells\": {cells}, \"bytes\": {bytes}, \"seconds\": {secs:.3}}}", files.len());
}
