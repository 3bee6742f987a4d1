//! What calamine's `.xls` reader would allocate, found before it is called.
//!
//! calamine parses every sheet of an `.xls` when the workbook is opened and
//! stores each as a dense grid (32 bytes a cell position), after reserving room
//! for as many cells as the sheet's DIMENSIONS record declares (40 bytes each).
//! A 42 KB file declaring 65536 × 256 cells so takes 1.6 GB, and a wrong
//! DIMENSIONS record can ask for more than the machine has. This module reads
//! the compound file (MS-CFB) and the BIFF records of the `Workbook` stream
//! itself, as calamine will, and adds up what each sheet would take, so that
//! a workbook over the budget is refused before anything is allocated.

/// What reading one `.xls` would hold.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct XlsEstimate {
    /// Bytes calamine would allocate for the sheets' grids and cell lists.
    pub bytes: u128,
    /// The largest sheet: (its number in the workbook, its bytes).
    pub largest: (usize, u128),
    /// The workbook's globals have a FILEPASS record: it is encrypted.
    pub encrypted: bool,
    /// Sheets (BoundSheet records).
    pub sheets: usize,
}

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FREESECT: u32 = 0xFFFF_FFFF;

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// A compound file's sectors, FAT and directory.
struct Cfb<'a> {
    bytes: &'a [u8],
    shift: u32,
    fat: Vec<u32>,
}

impl<'a> Cfb<'a> {
    fn sector(&self, n: u32) -> Option<&'a [u8]> {
        let size = 1usize << self.shift;
        let start = (n as usize).checked_add(1)?.checked_mul(size)?;
        self.bytes.get(start..start.checked_add(size)?.min(self.bytes.len())).filter(|s| !s.is_empty())
    }

    /// The sectors of a chain (a loop or a bad link ends it).
    fn chain(&self, first: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut s = first;
        let limit = self.fat.len();
        while s != ENDOFCHAIN && s != FREESECT && (s as usize) < limit && out.len() < limit {
            out.push(s);
            s = self.fat[s as usize];
        }
        out
    }

    fn read_chain(&self, first: u32, max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for s in self.chain(first) {
            let Some(data) = self.sector(s) else { break };
            out.extend_from_slice(data);
            if out.len() >= max {
                break;
            }
        }
        out.truncate(max);
        out
    }
}

/// The `Workbook` (or `Book`) stream of a compound file; None when it cannot be found.
pub fn workbook_stream(bytes: &[u8]) -> Option<Vec<u8>> {
    let shift = u16_at(bytes, 0x1E)? as u32;
    let mini_shift = u16_at(bytes, 0x20)? as u32;
    if !(7..=16).contains(&shift) || mini_shift > shift {
        return None;
    }
    let ssz = 1usize << shift;
    let n_sectors = bytes.len() / ssz;
    // The FAT's sectors: 109 in the header, the rest in the DIFAT chain.
    let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| u32_at(bytes, 0x4C + 4 * i)).filter(|&s| s < FREESECT - 3).collect();
    let mut difat = u32_at(bytes, 0x44)?;
    let mut seen = 0;
    let probe = Cfb { bytes, shift, fat: Vec::new() };
    while difat < FREESECT - 3 && seen <= n_sectors {
        let Some(sec) = probe.sector(difat) else { break };
        let per = sec.len() / 4;
        for i in 0..per.saturating_sub(1) {
            if let Some(s) = u32_at(sec, 4 * i).filter(|&s| s < FREESECT - 3) {
                fat_sectors.push(s);
            }
        }
        difat = u32_at(sec, 4 * per.saturating_sub(1)).unwrap_or(ENDOFCHAIN);
        seen += 1;
    }
    let mut fat = Vec::new();
    for s in fat_sectors.into_iter().take(n_sectors + 1) {
        let Some(sec) = probe.sector(s) else { continue };
        fat.extend(sec.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        if fat.len() > n_sectors.saturating_mul(2) + 1024 {
            break;
        }
    }
    let cfb = Cfb { bytes, shift, fat };
    let dir = cfb.read_chain(u32_at(bytes, 0x30)?, bytes.len());
    let entry = |i: usize| dir.get(i * 128..i * 128 + 128);
    let root = entry(0)?;
    let mut found = None;
    for want in ["Workbook", "Book"] {
        for i in 0..dir.len() / 128 {
            let Some(e) = entry(i) else { break };
            let len = (u16_at(e, 0x40)? as usize).min(64);
            let name: Vec<u16> = e[..len].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|&u| u != 0).collect();
            if e[0x42] == 2 && String::from_utf16_lossy(&name).eq_ignore_ascii_case(want) {
                found = Some(e);
                break;
            }
        }
        if found.is_some() {
            break;
        }
    }
    let e = found?;
    let start = u32_at(e, 0x74)?;
    let size = (u32_at(e, 0x78)? as usize).min(bytes.len());
    let cutoff = u32_at(bytes, 0x38).unwrap_or(4096) as usize;
    if size >= cutoff {
        return Some(cfb.read_chain(start, size));
    }
    // A small stream lives in the mini stream (the root entry's data), in mini sectors.
    let mini_stream = cfb.read_chain(u32_at(root, 0x74)?, bytes.len());
    let minifat_bytes = cfb.read_chain(u32_at(bytes, 0x3C)?, bytes.len());
    let minifat: Vec<u32> = minifat_bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    let msz = 1usize << mini_shift;
    let mut out = Vec::new();
    let mut s = start;
    while s != ENDOFCHAIN && (s as usize) < minifat.len() && out.len() < size {
        let a = s as usize * msz;
        let Some(data) = mini_stream.get(a..(a + msz).min(mini_stream.len())) else { break };
        out.extend_from_slice(data);
        s = minifat[s as usize];
    }
    out.truncate(size);
    Some(out)
}

/// The bytes calamine would take for the sheet whose BOF is at `pos`.
fn sheet_bytes(stream: &[u8], pos: usize) -> u128 {
    let (mut i, mut depth, mut seen_bof) = (pos, 0usize, false);
    let mut reserved: u128 = 0;
    let mut cells = Extent::default();
    let mut formulas = Extent::default();
    while i + 4 <= stream.len() {
        let typ = u16_at(stream, i).unwrap_or(0);
        let len = u16_at(stream, i + 2).unwrap_or(0) as usize;
        let data = &stream[i + 4..(i + 4 + len).min(stream.len())];
        i += 4 + len;
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let rc = || Some((u16_at(data, 0)? as u32, u16_at(data, 2)? as u32));
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x0200 => reserved = reserved.max(declared_cells(data) * 40),
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                if let Some((r, c)) = rc() {
                    cells.add(r, c);
                }
            }
            0x0006 => {
                if let Some((r, c)) = rc() {
                    cells.add(r, c);
                    formulas.add(r, c);
                }
            }
            0x00BD => {
                if let (Some((r, c0)), Some(c1)) = (rc(), data.len().checked_sub(2).and_then(|e| u16_at(data, e))) {
                    cells.add(r, c0);
                    cells.add(r, c1 as u32);
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    reserved + cells.positions() * 32 + formulas.positions() * 24
}

/// The cells calamine reserves for a DIMENSIONS record (computed as it does,
/// wrapping where it would wrap).
fn declared_cells(r: &[u8]) -> u128 {
    let (rf, rl, mut cf, cl) = match r.len() {
        10 => (u16_at(r, 0).unwrap_or(0) as u32, u16_at(r, 2).unwrap_or(0) as u32, u16_at(r, 4).unwrap_or(0) as u32, u16_at(r, 6).unwrap_or(0) as u32),
        14 | 16 => (u32_at(r, 0).unwrap_or(0), u32_at(r, 4).unwrap_or(0), u16_at(r, 8).unwrap_or(0) as u32, u16_at(r, 10).unwrap_or(0) as u32),
        _ => return 0,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    if rl >= 1 && cl >= 1 {
        let rows = (rl - 1).wrapping_sub(rf).wrapping_add(1) as u128;
        let cols = (cl - 1).wrapping_sub(cf).wrapping_add(1) as u128;
        rows * cols
    } else {
        1
    }
}

#[derive(Default)]
struct Extent {
    any: bool,
    r0: u32,
    r1: u32,
    c0: u32,
    c1: u32,
}

impl Extent {
    fn add(&mut self, r: u32, c: u32) {
        if !self.any {
            *self = Extent { any: true, r0: r, r1: r, c0: c, c1: c };
            return;
        }
        self.r0 = self.r0.min(r);
        self.r1 = self.r1.max(r);
        self.c0 = self.c0.min(c);
        self.c1 = self.c1.max(c);
    }

    fn positions(&self) -> u128 {
        if !self.any {
            return 0;
        }
        (self.r1 - self.r0 + 1) as u128 * (self.c1 - self.c0 + 1) as u128
    }
}

/// What calamine would allocate for a workbook given as its compound file's
/// bytes; None when the `Workbook` stream cannot be found (calamine then says why).
pub fn estimate(bytes: &[u8]) -> Option<XlsEstimate> {
    let stream = workbook_stream(bytes)?;
    let mut est = XlsEstimate::default();
    let mut positions = Vec::new();
    // The globals: BoundSheet records give each sheet's BOF, FILEPASS says encrypted.
    let mut i = 0;
    while i + 4 <= stream.len() {
        let typ = u16_at(&stream, i).unwrap_or(0);
        let len = u16_at(&stream, i + 2).unwrap_or(0) as usize;
        let data = &stream[i + 4..(i + 4 + len).min(stream.len())];
        i += 4 + len;
        match typ {
            0x002F => est.encrypted = true,
            0x0085 => {
                if let Some(pos) = u32_at(data, 0) {
                    positions.push(pos as usize);
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    est.sheets = positions.len();
    let mut memo: std::collections::HashMap<usize, u128> = std::collections::HashMap::new();
    for (n, pos) in positions.into_iter().enumerate() {
        if pos >= stream.len() {
            continue;
        }
        let b = *memo.entry(pos).or_insert_with(|| sheet_bytes(&stream, pos));
        est.bytes = est.bytes.saturating_add(b);
        if b > est.largest.1 {
            est.largest = (n, b);
        }
    }
    Some(est)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_dimensions_are_counted_as_calamine_reserves_them() {
        // BIFF8: rows 0..65536 (rwMac one past the last), columns 0..256.
        let mut r = Vec::new();
        r.extend(0u32.to_le_bytes());
        r.extend(65536u32.to_le_bytes());
        r.extend(0u16.to_le_bytes());
        r.extend(256u16.to_le_bytes());
        r.extend(0u16.to_le_bytes());
        assert_eq!(declared_cells(&r), 65536 * 256);
        // A first row after the last: calamine's subtraction wraps (4294967295 + 2 rows).
        let mut w = Vec::new();
        w.extend(10u32.to_le_bytes());
        w.extend(5u32.to_le_bytes());
        w.extend(0u16.to_le_bytes());
        w.extend(1u16.to_le_bytes());
        w.extend(0u16.to_le_bytes());
        assert_eq!(declared_cells(&w), (4u32.wrapping_sub(10).wrapping_add(1)) as u128);
    }

    #[test]
    fn garbage_is_no_compound_file() {
        assert!(estimate(b"not a compound file at all").is_none());
        let mut b = vec![0u8; 1024];
        b[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        assert!(estimate(&b).is_none());
    }
}
