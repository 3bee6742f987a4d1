//! Merged regions of an xlsx's worksheets, found by scanning each sheet's XML for
//! its `<mergeCell ref="…">` tags.
//!
//! calamine's `merge_cells_by_sheet_name` tokenises the whole sheet a second time
//! (every cell, before the merge list at the end), which cost about a quarter of
//! reading a workbook. Here each sheet is inflated once more but only searched
//! for the tag (SIMD substring search), in chunks, so memory stays bounded.
//!
//! Anything unexpected (a workbook not laid out as `xl/workbook.xml` and its
//! relationships say, sheet names that differ from calamine's, a comment or
//! CDATA section in a sheet, a reference that does not parse) gives `None`, and
//! the caller asks calamine instead. A unit test compares both on every sample
//! workbook.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::Dimensions;
use quick_xml::events::Event;

/// The sheets in workbook order, each with its merged regions; `None` when the fast
/// path does not apply to this workbook. The caller checks the names against
/// calamine's before using them.
pub fn xlsx_merges(bytes: &[u8]) -> Option<Vec<(String, Vec<Dimensions>)>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let workbook = read_small(&mut zip, "xl/workbook.xml")?;
    let rels = read_small(&mut zip, "xl/_rels/workbook.xml.rels")?;
    let targets = relationships(&rels)?;
    let sheets = sheets(&workbook)?;
    let mut out = Vec::with_capacity(sheets.len());
    for (name, rid) in sheets {
        let target = targets.get(&rid)?;
        let path = match target.strip_prefix('/') {
            Some(absolute) => absolute.to_string(),
            None => format!("xl/{target}"),
        };
        let entry = zip.by_name(&path).ok()?;
        out.push((name, scan(entry)?));
    }
    Some(out)
}

/// A small part (workbook, relationships) as bytes; refused past 16 MB.
fn read_small(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    let entry = zip.by_name(name).ok()?;
    if entry.size() > 16 << 20 {
        return None;
    }
    let mut out = Vec::with_capacity(entry.size() as usize);
    entry.take(16 << 20).read_to_end(&mut out).ok()?;
    Some(out)
}

/// `Relationship` Id -> Target.
fn relationships(xml: &[u8]) -> Option<HashMap<String, String>> {
    let mut out = HashMap::new();
    for attrs in elements(xml, "Relationship")? {
        let get = |k: &str| attrs.iter().find(|a| a.0 == k).map(|a| a.2.clone());
        if let (Some(id), Some(target)) = (get("Id"), get("Target")) {
            out.insert(id, target);
        }
    }
    Some(out)
}

/// The workbook's `sheet` elements in order: (name, relationship id `r:id`).
fn sheets(xml: &[u8]) -> Option<Vec<(String, String)>> {
    elements(xml, "sheet")?
        .into_iter()
        .map(|attrs| {
            let name = attrs.iter().find(|a| a.0 == "name")?.2.clone();
            let rid = attrs.iter().find(|a| a.1 == "id" && a.0 != "id")?.2.clone();
            Some((name, rid))
        })
        .collect()
}

/// Every element with this local name (any prefix): its attributes as
/// (qualified name, local name, value).
fn elements(xml: &[u8], local_name: &str) -> Option<Vec<Vec<(String, String, String)>>> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().into_inner() == local_name => {
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.ok()?;
                        let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?.to_string();
                        Some((a.key.into_inner().to_string(), a.key.local_name().into_inner().to_string(), value))
                    })
                    .collect::<Option<Vec<_>>>()?;
                out.push(attrs);
            }
            Event::Eof => return Some(out),
            _ => {}
        }
    }
}

/// Every `mergeCell` tag's `ref` in a sheet's XML, read in chunks.
fn scan(mut xml: impl Read) -> Option<Vec<Dimensions>> {
    const CHUNK: usize = 256 << 10;
    // A tag is short: a chunk's unfinished tail is carried over when it starts this
    // close to the end (a longer unfinished run of text cannot hold a merge tag).
    const CARRY: usize = 4 << 10;
    let tag = memchr::memmem::Finder::new(b"mergeCell");
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + CARRY);
    let mut out = Vec::new();
    let mut done = false;
    while !done {
        // Appended without zeroing the chunk first: most sheets are far smaller than it.
        let n = (&mut xml).take(CHUNK as u64).read_to_end(&mut buf).ok()?;
        done = n < CHUNK;
        // Complete up to the last '<' (or everything at the end of the part).
        let complete = if done { buf.len() } else { memchr::memrchr(b'<', &buf).filter(|&p| buf.len() - p <= CARRY).unwrap_or(buf.len()) };
        let region = &buf[..complete];
        if memchr::memmem::find(region, b"<!--").is_some() || memchr::memmem::find(region, b"<![CDATA[").is_some() {
            return None;
        }
        for p in tag.find_iter(region) {
            if let Some(d) = merge_at(region, p)? {
                out.push(d);
            }
        }
        buf.drain(..complete);
    }
    Some(out)
}

/// The region of the `mergeCell` tag whose name starts at `p`: `Some(None)` when `p` is
/// not such a tag (e.g. `mergeCells`), `None` when it is one we cannot read.
fn merge_at(xml: &[u8], p: usize) -> Option<Option<Dimensions>> {
    let after = *xml.get(p + b"mergeCell".len())?;
    if !(after.is_ascii_whitespace() || after == b'/' || after == b'>') {
        return Some(None);
    }
    // `<mergeCell` or `<prefix:mergeCell`.
    let opens = match p.checked_sub(1).map(|i| xml[i]) {
        Some(b'<') => true,
        Some(b':') => {
            let prefix_start = xml[..p - 1].iter().rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')));
            prefix_start.is_some_and(|i| xml[i] == b'<' && i + 1 < p - 1)
        }
        _ => false,
    };
    if !opens {
        return Some(None);
    }
    let end = p + memchr::memchr(b'>', &xml[p..])?;
    let attrs = std::str::from_utf8(&xml[p + b"mergeCell".len()..end]).ok()?;
    let Some(reference) = attribute(attrs, "ref") else { return Some(None) };
    dimension(reference).map(Some)
}

/// The value of attribute `name` (not a prefixed one) in a tag's attribute text.
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attrs;
    while let Some(i) = rest.find(name) {
        let before_ok = i > 0 && rest.as_bytes()[i - 1].is_ascii_whitespace();
        let tail = rest[i + name.len()..].trim_start();
        if before_ok {
            if let Some(value) = tail.strip_prefix('=') {
                let value = value.trim_start();
                let quote = value.chars().next()?;
                if quote == '"' || quote == '\'' {
                    let inner = &value[1..];
                    return inner.find(quote).map(|j| &inner[..j]);
                }
            }
        }
        rest = &rest[i + name.len()..];
    }
    None
}

/// "B2:D3" (or one cell, "B2") as 0-based (row, column) corners, as calamine reads it.
fn dimension(reference: &str) -> Option<Dimensions> {
    let mut parts = reference.split(':');
    let start = cell(parts.next()?)?;
    let end = match parts.next() {
        Some(e) => cell(e)?,
        None => start,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Dimensions { start, end })
}

fn cell(a1: &str) -> Option<(u32, u32)> {
    let b = a1.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let digits = &b[letters..];
    if letters == 0 || letters > 3 || digits.is_empty() || digits.len() > 7 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let col = b[..letters].iter().fold(0u32, |acc, c| acc * 26 + u32::from(c.to_ascii_uppercase() - b'A') + 1);
    let row: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (row >= 1).then(|| (row - 1, col - 1))
}

/// A sheet taken out of a package: (its name, its kind).
pub type TakenOut = (String, String);

/// Sheets of an xlsx that calamine cannot open the workbook with (Excel 4 macro
/// sheets of a `.xlsm`: calamine refuses the whole workbook for one), taken out
/// of `xl/workbook.xml` in a copy of the package; every other part is copied as
/// it is, still compressed. `None` when there is none (or the package is not laid
/// out as expected: calamine then reads the original). Returns the new package
/// and the (name, kind) of each sheet taken out.
pub fn without_unreadable_sheets(bytes: &[u8]) -> Option<(Vec<u8>, Vec<TakenOut>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let rels = read_small(&mut zip, "xl/_rels/workbook.xml.rels")?;
    let mut odd: HashMap<String, String> = HashMap::new();
    for attrs in elements(&rels, "Relationship")? {
        let get = |k: &str| attrs.iter().find(|a| a.0 == k).map(|a| a.2.clone());
        if let (Some(id), Some(typ)) = (get("Id"), get("Type")) {
            let kind = typ.rsplit('/').next().unwrap_or_default().to_string();
            if kind.to_ascii_lowercase().contains("macrosheet") || kind.to_ascii_lowercase().contains("intlmacrosheet") {
                odd.insert(id, kind);
            }
        }
    }
    if odd.is_empty() {
        return None;
    }
    let workbook = read_small(&mut zip, "xl/workbook.xml")?;
    let mut reader = quick_xml::Reader::from_reader(workbook.as_slice());
    let mut cut: Vec<(usize, usize)> = Vec::new();
    let mut taken = Vec::new();
    loop {
        let start = reader.buffer_position() as usize;
        match reader.read_event().ok()? {
            Event::Empty(e) if e.local_name().into_inner() == "sheet" => {
                let mut name = String::new();
                let mut rid = String::new();
                for a in e.attributes() {
                    let a = a.ok()?;
                    let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?.to_string();
                    if a.key.into_inner() == "name" {
                        name = value;
                    } else if a.key.local_name().into_inner() == "id" && a.key.into_inner() != "id" {
                        rid = value;
                    }
                }
                if let Some(kind) = odd.get(&rid) {
                    cut.push((start, reader.buffer_position() as usize));
                    taken.push((name, kind.clone()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if cut.is_empty() {
        return None;
    }
    let mut xml = Vec::with_capacity(workbook.len());
    let mut at = 0;
    for (a, b) in cut {
        xml.extend_from_slice(workbook.get(at..a)?);
        at = b;
    }
    xml.extend_from_slice(workbook.get(at..)?);
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len() + xml.len())));
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).ok()?;
        if entry.name().ok().as_deref() == Some("xl/workbook.xml") {
            drop(entry);
            let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
            out.start_file("xl/workbook.xml", options).ok()?;
            std::io::Write::write_all(&mut out, &xml).ok()?;
        } else {
            out.raw_copy_file(entry).ok()?;
        }
    }
    Some((out.finish().ok()?.into_inner(), taken))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_attributes_and_references() {
        let xml = br#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>mergeCell &lt;mergeCell ref="Z9"/&gt;</t></is></c></row></sheetData>
<mergeCells count="3"><mergeCell ref="A1:C2"/><x:mergeCell  ref = 'AA10:AB12' /><mergeCell ref="D4"></mergeCell></mergeCells></worksheet>"#;
        let got = scan(&xml[..]).unwrap();
        let want = vec![Dimensions { start: (0, 0), end: (1, 2) }, Dimensions { start: (9, 26), end: (11, 27) }, Dimensions { start: (3, 3), end: (3, 3) }];
        assert_eq!(got, want);
        // A comment could hide a tag: not for this path.
        assert!(scan(&b"<x><!-- <mergeCell ref=\"A1:B1\"/> --></x>"[..]).is_none());
        assert!(dimension("A0:B1").is_none() && dimension("1A").is_none() && dimension("A1:B2:C3").is_none());
    }

    /// calamine is the oracle: on every bundled sample workbook, the scan finds exactly
    /// the merged regions calamine's own (second) parse finds, sheet by sheet.
    #[test]
    fn the_scan_agrees_with_calamine_on_every_sample_workbook() {
        use calamine::Reader;
        let files: Vec<_> = walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/sample_data"))
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "xlsx"))
            .map(|e| e.into_path())
            .collect();
        assert!(files.len() >= 30, "sample workbooks: {}", files.len());
        let (mut sheets, mut regions) = (0, 0);
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            let fast = xlsx_merges(&bytes).unwrap_or_else(|| panic!("{}: the fast path did not apply", f.display()));
            let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
            assert_eq!(fast.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(), wb.sheet_names(), "{}", f.display());
            for (name, merges) in fast {
                let theirs = wb.merge_cells_by_sheet_name(&name).unwrap();
                assert_eq!(merges, theirs, "{} sheet {name}", f.display());
                sheets += 1;
                regions += merges.len();
            }
        }
        assert!(regions > 50, "the samples should exercise merged headers: {regions} regions in {sheets} sheets");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_bytes(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), tagged in "[<:a-z ]{0,6}mergeCell[ />]{0,2}(ref)?[= ]{0,2}[\"']?[A-Za-z0-9:]{0,9}[\"']?[ />]{0,3}") {
            let _ = scan(&raw[..]);
            let _ = scan(tagged.as_bytes());
            let _ = dimension(&String::from_utf8_lossy(&raw));
        }
    }

    #[test]
    fn a_tag_across_a_chunk_boundary_is_found() {
        // Padding that puts the tag's name across the 256 KB chunk edge.
        let mut xml = b"<worksheet><sheetData>".to_vec();
        let pad = (256 << 10) - xml.len() - 5;
        xml.extend(std::iter::repeat_n(b' ', pad));
        xml.extend_from_slice(br#"<mergeCell ref="B2:C3"/></sheetData></worksheet>"#);
        assert_eq!(scan(&xml[..]).unwrap(), vec![Dimensions { start: (1, 1), end: (2, 2) }]);
    }
}
