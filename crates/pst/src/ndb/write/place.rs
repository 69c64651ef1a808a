//! The placer: where each block and page goes, and the allocation maps
//! that say so.
//!
//! The file past the header is a grid of sections, one per AMap
//! ([`Format::section_pages`]). A section is opened when the first
//! allocation reaches it: its map pages are reserved at its start (their
//! bits set), the constant ones (PMaps and FPMaps all 0xFF, as Outlook 2007
//! and later write these deprecated maps: no free page anywhere) are
//! written at once, and allocations continue after them. What does not fit
//! before the next section's AMap is left as a hole that later, smaller
//! allocations may fill; an allocation never crosses into a map page.
//!
//! Only the last few sections are open; when one falls out of that window
//! its holes are given up, its AMap page is written from its bits, and its
//! count of free units (for `cbAMapFree` and the density list) and longest
//! run of free units (for the FMaps) are kept: 5 bytes a section. The FMap
//! pages, one byte per section of the 496 from their own, are written at
//! the end. So the maps cost a few pages of memory whatever the file's
//! size, and every number in them is counted from the bits that are written.

use std::collections::VecDeque;
use std::io;

use super::sink::Sink;
use crate::raw::{Format, PageTrailer, PTYPE_AMAP, PTYPE_FMAP, PTYPE_FPMAP, PTYPE_PMAP};

/// Sections kept open (their bits in memory, their holes usable).
const WINDOW: usize = 4;
/// Holes remembered; past this the smallest is given up.
const MAX_HOLES: usize = 16;

/// One open section.
struct Open {
    index: u64,
    /// The AMap bits (`rgbAMapBits`), most significant bit first.
    bits: Vec<u8>,
}

/// What the maps say once every section is closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Maps {
    /// Free units per section, by section index.
    pub free_units: Vec<u32>,
    /// Per section, the longest run of free units, at most 255: its byte
    /// of `rgbFM` or of an FMap (MS-PST 2.2.2.7.5).
    pub longest_free: Vec<u8>,
    /// Offset of the last AMap (`ibAMapLast`).
    pub ib_amap_last: u64,
    /// The end of the last section (`ibFileEof`).
    pub eof: u64,
    /// Free bytes (`cbAMapFree`): free units times the unit.
    pub free_bytes: u64,
}

pub(super) struct Placer {
    format: Format,
    span: u64,
    unit: u64,
    /// Sections opened so far; the cursor is in the last one.
    sections: u64,
    /// Where the next allocation from the top goes; never below an open
    /// section's reserved pages.
    cursor: u64,
    open: VecDeque<Open>,
    /// Free ranges `(start, end)` in open sections, below the cursor.
    holes: Vec<(u64, u64)>,
    /// Free units of the closed sections, by index.
    free_units: Vec<u32>,
    /// The longest free run of the closed sections (at most 255), by index.
    longest_free: Vec<u8>,
}

fn align_up(v: u64, a: u64) -> u64 {
    v.div_ceil(a) * a
}

impl Placer {
    pub(super) fn new(format: Format) -> Placer {
        Placer {
            format,
            span: format.section_span(),
            unit: format.amap().unit,
            sections: 0,
            cursor: 0,
            open: VecDeque::new(),
            holes: Vec::new(),
            free_units: Vec::new(),
            longest_free: Vec::new(),
        }
    }

    /// The highest offset placed so far (0 before the first allocation).
    pub(super) fn high_water(&self) -> u64 {
        self.cursor
    }

    /// Reserves `size` bytes aligned to `align` (both multiples of the map
    /// unit; `size` at most a block or page) and returns their offset.
    pub(super) fn alloc(&mut self, size: u64, align: u64, out: &mut Sink) -> io::Result<u64> {
        debug_assert!(size.is_multiple_of(self.unit) && align.is_multiple_of(self.unit) && size > 0);
        if let Some(ib) = self.take_hole(size, align) {
            self.mark(ib, size);
            return Ok(ib);
        }
        loop {
            if self.sections == 0 {
                self.open_section(out)?;
                continue;
            }
            let end = self.format.section_start(self.sections - 1) + self.span;
            let at = align_up(self.cursor, align);
            if at + size <= end {
                self.add_hole(self.cursor, at);
                self.cursor = at + size;
                self.mark(at, size);
                return Ok(at);
            }
            self.add_hole(self.cursor, end);
            self.open_section(out)?;
        }
    }

    fn take_hole(&mut self, size: u64, align: u64) -> Option<u64> {
        let i = self.holes.iter().position(|&(s, e)| align_up(s, align) + size <= e)?;
        let (s, e) = self.holes.swap_remove(i);
        let at = align_up(s, align);
        self.add_hole(s, at);
        self.add_hole(at + size, e);
        Some(at)
    }

    fn add_hole(&mut self, start: u64, end: u64) {
        if end <= start {
            return;
        }
        self.holes.push((start, end));
        if self.holes.len() > MAX_HOLES {
            let smallest = (0..self.holes.len()).min_by_key(|&i| self.holes[i].1 - self.holes[i].0);
            if let Some(i) = smallest {
                self.holes.swap_remove(i);
            }
        }
    }

    /// Sets the bits of `[ib, ib + size)`, which lies in an open section.
    fn mark(&mut self, ib: u64, size: u64) {
        let first = self.format.amap().first;
        let s = (ib - first) / self.span;
        let sec = self.open.iter_mut().find(|o| o.index == s).expect("allocations are in open sections");
        let from = (ib - first - s * self.span) / self.unit;
        for u in from..from + size / self.unit {
            let u = u as usize;
            debug_assert!(sec.bits[u / 8] & (0x80 >> (u % 8)) == 0, "unit {u} of section {s} placed twice");
            sec.bits[u / 8] |= 0x80 >> (u % 8);
        }
    }

    /// Opens the next section: reserves and writes its constant map pages,
    /// moves the cursor past them, closes the oldest if the window is full.
    fn open_section(&mut self, out: &mut Sink) -> io::Result<()> {
        let f = self.format;
        let index = self.sections;
        // The file ends where its last section does (MS-PST 2.6.1.1.2).
        if f.section_start(index) + self.span > f.max_file_size() {
            return Err(io::Error::other(format!(
                "the file would grow past {} bytes, the most a {f:?} PST holds",
                f.max_file_size()
            )));
        }
        let pages = f.section_pages(index);
        let bits_len = f.amap().bits_len;
        self.open.push_back(Open { index, bits: vec![0u8; bits_len] });
        self.sections += 1;
        let page = f.page_size() as u64;
        self.mark(pages.amap, pages.end - pages.amap);
        self.cursor = pages.end;
        // MS-PST 2.2.2.7.3, 2.2.2.7.6: PMaps and FPMaps are deprecated but
        // must be present; Outlook fills them with 0xFF. FMaps are written
        // at the end, when the sections they describe are known.
        for (ib, ptype) in [(pages.pmap, PTYPE_PMAP), (pages.fpmap, PTYPE_FPMAP)] {
            let Some(ib) = ib else { continue };
            let mut p = vec![0u8; page as usize];
            let l = f.amap();
            p[l.bits_at..l.bits_at + l.bits_len].fill(0xFF);
            PageTrailer::seal_map(&mut p, f, ptype, ib);
            out.write_at(ib, &p)?;
        }
        if self.open.len() > WINDOW {
            self.close_oldest(out)?;
        }
        Ok(())
    }

    /// Writes the oldest open section's AMap and forgets its holes.
    fn close_oldest(&mut self, out: &mut Sink) -> io::Result<()> {
        let Some(sec) = self.open.pop_front() else { return Ok(()) };
        let f = self.format;
        let start = f.section_start(sec.index);
        let end = start + self.span;
        self.holes.retain(|&(s, _)| !(start..end).contains(&s));
        let used: u32 = sec.bits.iter().map(|b| b.count_ones()).sum();
        debug_assert_eq!(self.free_units.len() as u64, sec.index);
        self.free_units.push(sec.bits.len() as u32 * 8 - used);
        self.longest_free.push(longest_free_run(&sec.bits).min(255) as u8);
        // MS-PST 2.2.2.7.2: rgbAMapBits, then the trailer (bid = ib, wSig 0).
        let l = f.amap();
        let mut p = vec![0u8; f.page_size()];
        p[l.bits_at..l.bits_at + l.bits_len].copy_from_slice(&sec.bits);
        PageTrailer::seal_map(&mut p, f, PTYPE_AMAP, start);
        out.write_at(start, &p)
    }

    /// Closes every section (opening the first if nothing was placed).
    pub(super) fn finish(&mut self, out: &mut Sink) -> io::Result<Maps> {
        if self.sections == 0 {
            self.open_section(out)?;
        }
        while !self.open.is_empty() {
            self.close_oldest(out)?;
        }
        // MS-PST 2.2.2.7.5: an FMap has one byte per section, for the 496
        // sections from its own; sections past the file's end read 0.
        let f = self.format;
        let l = f.amap();
        for s in 0..self.sections {
            let Some(ib) = f.section_pages(s).fmap else { continue };
            let mut p = vec![0u8; f.page_size()];
            let from = s as usize;
            let to = (from + l.bits_len).min(self.longest_free.len());
            p[l.bits_at..l.bits_at + (to - from)].copy_from_slice(&self.longest_free[from..to]);
            PageTrailer::seal_map(&mut p, f, PTYPE_FMAP, ib);
            out.write_at(ib, &p)?;
        }
        let last = self.sections - 1;
        let free_bytes = self.free_units.iter().map(|&u| u64::from(u) * self.unit).sum();
        Ok(Maps {
            free_units: self.free_units.clone(),
            longest_free: self.longest_free.clone(),
            ib_amap_last: self.format.section_start(last),
            eof: self.format.section_start(last) + self.span,
            free_bytes,
        })
    }
}

/// The longest run of clear bits, most significant bit first.
fn longest_free_run(bits: &[u8]) -> u32 {
    let (mut best, mut run) = (0u32, 0u32);
    for &b in bits {
        if b == 0 {
            run += 8;
            continue;
        }
        for k in 0..8 {
            if b & (0x80 >> k) == 0 {
                run += 1;
            } else {
                best = best.max(run);
                run = 0;
            }
        }
    }
    best.max(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_skip_map_pages_and_holes_are_filled() {
        let f = Format::Unicode;
        let mut out = Sink::Memory(Vec::new());
        let mut p = Placer::new(f);
        // Section 0 holds the AMap (0x4400) and the PMap (0x4600).
        assert_eq!(p.alloc(8192, 64, &mut out).expect("mem"), 0x4800);
        let span = f.section_span();
        // Fill section 0 with 8 KiB blocks: 30 fit after its 1 KiB of maps.
        let mut last = 0x4800;
        let next = loop {
            let at = p.alloc(8192, 64, &mut out).expect("mem");
            if at >= 0x4400 + span {
                break at;
            }
            last = at;
        };
        assert_eq!(last, 0x4800 + 29 * 8192);
        assert_eq!(next, 0x4400 + span + 512, "section 1: after its AMap (no PMap)");
        // A small block and a page go into section 0's tail (7 KiB).
        let small = p.alloc(64, 64, &mut out).expect("mem");
        assert_eq!(small, last + 8192);
        let page = p.alloc(512, 512, &mut out).expect("mem");
        assert_eq!(page, small + 512, "512-aligned, the gap stays a hole");
        assert_eq!(p.alloc(64, 64, &mut out).expect("mem"), small + 64, "the gap before the page");
        let maps = p.finish(&mut out).expect("mem");
        assert_eq!(maps.free_units.len(), 2);
        assert_eq!(maps.ib_amap_last, 0x4400 + span);
        assert_eq!(maps.eof, 0x4400 + 2 * span);
        let used0 = 16 + 30 * 128 + 1 + 8 + 1;
        assert_eq!(maps.free_units[0], 3968 - used0);
        // Section 0's longest free run: its tail after the page, 6 KiB.
        assert_eq!(maps.longest_free, vec![96, 255]);
        // The AMap bits as written: the first 16 units (AMap, PMap) and the blocks.
        let file = out.into_vec(maps.eof).expect("memory");
        assert_eq!(&file[0x4400..0x4403], &[0xFF, 0xFF, 0xFF]);
        let t = PageTrailer::parse_page(&file[0x4400..0x4600], f).expect("trailer");
        assert_eq!((t.ptype, t.w_sig, t.bid), (PTYPE_AMAP, 0, 0x4400));
        let t = PageTrailer::parse_page(&file[0x4600..0x4800], f).expect("trailer");
        assert_eq!((t.ptype, t.bid), (PTYPE_PMAP, 0x4600));
        assert!(file[0x4600..0x4600 + 496].iter().all(|&b| b == 0xFF));
    }

    /// ANSI files stop at 2 GiB: the last section that ends below it
    /// takes blocks, the next one is refused and nothing is written.
    #[test]
    fn ansi_files_stop_at_two_gib() {
        let f = Format::Ansi;
        let last = (f.max_file_size() - f.amap().first) / f.section_span() - 1;
        assert_eq!(last, 8455);
        assert!(f.section_start(last) + f.section_span() <= 1 << 31);
        let mut out = Sink::Memory(Vec::new());
        let mut p = Placer::new(f);
        // As if sections 0..last were full: the last one open, its AMap reserved.
        p.sections = last + 1;
        p.open.push_back(Open { index: last, bits: vec![0u8; f.amap().bits_len] });
        p.mark(f.section_start(last), 512);
        p.cursor = f.section_start(last) + 512;
        let mut placed = 0;
        let err = loop {
            match p.alloc(8192, 64, &mut out) {
                Ok(ib) => {
                    assert!(ib + 8192 <= 1 << 31);
                    placed += 1;
                }
                Err(e) => break e,
            }
        };
        assert_eq!(placed, 30, "a section holds 30 blocks of 8 KiB after its AMap");
        assert!(err.to_string().contains("2147483648"), "{err}");
        assert!(matches!(out, Sink::Memory(ref v) if v.is_empty()), "nothing was written past the limit");
    }

    #[test]
    fn map_pages_of_far_sections() {
        let f = Format::Unicode;
        let p = f.section_pages(128);
        assert_eq!(p.pmap, Some(p.amap + 512));
        assert_eq!(p.fmap, Some(p.amap + 1024));
        assert_eq!(p.fpmap, None);
        assert_eq!(p.end, p.amap + 1536);
        let p = f.section_pages(8192);
        assert_eq!(p.amap, 0x7C00_4400);
        assert_eq!((p.pmap, p.fmap, p.fpmap), (Some(0x7C00_4600), None, Some(0x7C00_4800)));
        let p = f.section_pages(8192 + 31744);
        assert!(p.fpmap.is_some() && p.fmap.is_none());
        assert_eq!(f.section_pages(624).fmap, Some(f.section_start(624) + 1024));
        assert_eq!(f.section_pages(3).end, f.section_start(3) + 512);
        let k = Format::Unicode4k.section_pages(1);
        assert_eq!((k.amap, k.pmap, k.end), (0x22000 + 16_678_912, None, 0x22000 + 16_678_912 + 4096));
    }
}
