//! What calamine's ODS reader would allocate, found before it is called.
//!
//! calamine decodes every table of an `.ods` when it opens the file, expanding
//! `table:number-rows-repeated` and `table:number-columns-repeated` into a dense
//! grid (a value and a formula text per position, then the two ranges: about
//! 112 bytes a position), up to its own limit of 100 million cells. A few bytes
//! of XML can repeat a non-empty cell a million times. Here `content.xml` is
//! streamed once (its size is bounded by the inflation check) and each table's
//! grid measured as calamine would build it: its rows up to the last non-empty
//! one × its widest row up to that row's last non-empty cell.

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::Event;

/// Bytes per grid position calamine's ODS reader holds while it builds a table.
const BYTES_PER_POSITION: u128 = 112;

#[derive(Default)]
struct Table {
    rows: u128,
    rows_to_last: u128,
    width: u128,
}

/// The bytes calamine would allocate for the tables of the ODS package `bytes`
/// (None when `content.xml` cannot be read: calamine then says why).
pub fn estimate(bytes: &[u8]) -> Option<u128> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let entry = zip.by_name("content.xml").ok()?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(entry.take(super::MAX_INFLATED_BYTES)));
    let mut buf = Vec::new();
    let mut total: u128 = 0;
    let mut table = Table::default();
    // The current row: its repeat count, width so far, width up to its last non-empty cell.
    let (mut row_rep, mut row_width, mut row_used): (u128, u128, u128) = (1, 0, 0);
    // The current cell (a Start event): its repeat count and whether it holds something.
    let mut cell: Option<(u128, bool)> = None;
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> Option<u128> {
        e.attributes().filter_map(|a| a.ok()).find(|a| a.key.into_inner() == name).and_then(|a| a.value.trim().parse().ok())
    };
    let has_value = |e: &quick_xml::events::BytesStart<'_>| e.attributes().filter_map(|a| a.ok()).any(|a| a.key.into_inner() == "office:value-type");
    loop {
        let ev = reader.read_event_into(&mut buf).ok()?;
        match &ev {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(ev, Event::Empty(_));
                match e.name().into_inner() {
                    "table:table" => table = Table::default(),
                    "table:table-row" => {
                        (row_rep, row_width, row_used) = (attr(e, "table:number-rows-repeated").unwrap_or(1), 0, 0);
                        if empty {
                            table.rows += row_rep;
                        }
                    }
                    "table:table-cell" | "table:covered-table-cell" => {
                        let rep = attr(e, "table:number-columns-repeated").unwrap_or(1);
                        if empty {
                            row_width += rep;
                            if has_value(e) {
                                row_used = row_width;
                            }
                        } else {
                            cell = Some((rep, has_value(e)));
                        }
                    }
                    _ => {
                        // Any content inside a cell (text:p …) makes it non-empty.
                        if let Some((_, filled)) = &mut cell {
                            *filled = true;
                        }
                    }
                }
            }
            Event::End(e) => match e.name().into_inner() {
                "table:table-cell" | "table:covered-table-cell" => {
                    if let Some((rep, filled)) = cell.take() {
                        row_width += rep;
                        if filled {
                            row_used = row_width;
                        }
                    }
                }
                "table:table-row" => {
                    table.rows += row_rep;
                    if row_used > 0 {
                        table.rows_to_last = table.rows;
                        table.width = table.width.max(row_used);
                    }
                }
                "table:table" => {
                    total = total.saturating_add(table.rows_to_last.min(1 << 20) * table.width.min(1 << 14) * BYTES_PER_POSITION);
                    table = Table::default();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn ods(content: &str) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("content.xml", zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)).unwrap();
        w.write_all(content.as_bytes()).unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn repeated_rows_and_columns_are_counted_up_to_the_last_value() {
        // 3 rows: a row of 2 cells; 1000 repeats of a row whose value sits after 10 empty columns; 5000 empty rows.
        let x = r#"<office:document-content><office:body><office:spreadsheet><table:table table:name="T">
            <table:table-row><table:table-cell office:value-type="float"><text:p>1</text:p></table:table-cell><table:table-cell/></table:table-row>
            <table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="10"/><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell></table:table-row>
            <table:table-row table:number-rows-repeated="5000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
            </table:table></office:spreadsheet></office:body></office:document-content>"#;
        assert_eq!(estimate(&ods(x)), Some(1001 * 11 * BYTES_PER_POSITION));
    }
}
