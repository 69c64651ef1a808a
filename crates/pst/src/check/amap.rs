//! The allocation maps (MS-PST 2.2.2.7.2 to 2.2.2.7.6) against what is
//! allocated: every block of the BBT, every B-tree page reached, and the
//! map pages themselves.

use super::header::{amap_count, amap_span};
use super::Ctx;
use crate::ndb::crc::crc32;
use crate::raw::{DListEntry, DListHeader, Format, PageTrailer, DLIST_ENTRIES};
use crate::raw::{PTYPE_AMAP, PTYPE_DL, PTYPE_FMAP, PTYPE_FPMAP, PTYPE_PMAP};

/// What a map page is, for the trailer check.
#[derive(Clone, Copy)]
struct MapPage {
    ib: u64,
    ptype: u8,
    rule: &'static str,
    name: &'static str,
}

/// The map pages a file of `eof` bytes has, in file order: each section's
/// AMap, then its PMap, FMap and FPMap where MS-PST puts them
/// ([`Format::section_pages`]).
fn map_pages(format: Format, eof: u64) -> Vec<MapPage> {
    let mut out = Vec::new();
    for i in 0..amap_count(format, eof) {
        let s = format.section_pages(i);
        out.push(MapPage { ib: s.amap, ptype: PTYPE_AMAP, rule: "amap.page", name: "AMap" });
        if let Some(ib) = s.pmap {
            out.push(MapPage { ib, ptype: PTYPE_PMAP, rule: "pmap.page", name: "PMap" });
        }
        if let Some(ib) = s.fmap {
            out.push(MapPage { ib, ptype: PTYPE_FMAP, rule: "fmap.page", name: "FMap" });
        }
        if let Some(ib) = s.fpmap {
            out.push(MapPage { ib, ptype: PTYPE_FPMAP, rule: "fmap.page", name: "FPMap" });
        }
    }
    out
}

/// Checks the map pages, then the AMap bits against the allocations.
pub(crate) fn check(cx: &mut Ctx<'_>) {
    let format = cx.format;
    let eof = cx.hdr.ib_file_eof.min(cx.file.len() as u64);
    let page = format.page_size() as u64;
    let maps = map_pages(format, eof);
    let mut readable = vec![false; maps.len()];
    for (k, m) in maps.iter().enumerate() {
        readable[k] = map_trailer(cx, m);
    }
    cx.count("AMAP", maps.iter().filter(|m| m.ptype == PTYPE_AMAP).count() as u64);
    if format != Format::Unicode4k {
        cx.count("PMAP", maps.iter().filter(|m| m.ptype == PTYPE_PMAP).count() as u64);
    }
    let dl = dlist(cx);

    // Everything that occupies space, as (offset, size, what).
    let mut used: Vec<(u64, u64, Used)> = Vec::new();
    for m in &maps {
        used.push((m.ib, page, Used::Map));
    }
    for p in &cx.pages {
        used.push((p.ib, page, Used::Page(p.bid)));
    }
    for b in cx.bbt.values() {
        let size = format.block_size(usize::from(b.cb).min(format.max_block_data())) as u64;
        used.push((b.ib, size, Used::Block(b.bid)));
    }
    used.sort_unstable_by_key(|u| (u.0, u.1));
    let mut end = 0u64;
    let mut last = None;
    for &(ib, size, what) in &used {
        if ib < end {
            let other = last.map_or(String::new(), |w: Used| format!(" overlaps {}", w.name()));
            cx.report("block.overlap", Some(ib), format!("{} at {ib} ({size} bytes){other}", what.name()));
        }
        if ib.saturating_add(size) > end {
            end = ib.saturating_add(size);
            last = Some(what);
        }
    }

    // The bits. With fAMapValid 0 the maps are known stale (a note was given).
    if cx.hdr.f_amap_valid == 0 {
        return;
    }
    let complete = cx.nbt_complete && cx.bbt_complete;
    let m = format.amap();
    let unit = m.unit;
    let span = amap_span(format);
    let n = amap_count(format, eof);
    let first = m.first;
    // The AMap pages in order, and the largest extent (for the sweep below).
    let amap_k: Vec<usize> = maps.iter().enumerate().filter(|(_, p)| p.ptype == PTYPE_AMAP).map(|(k, _)| k).collect();
    let longest = used.iter().map(|u| u.1).max().unwrap_or(0);
    let per = (span / unit) as usize;
    // What each unit of one AMap's range should say, rebuilt per AMap so
    // that memory stays that of one map whatever the file's size.
    let mut want = vec![false; per];
    let mut is_map = vec![false; per];
    let mut free_units = 0u64;
    let mut all_read = true;
    let mut per_amap: Vec<Option<u64>> = vec![None; n as usize];
    for i in 0..n {
        if !amap_k.get(i as usize).is_some_and(|&k| readable[k]) {
            all_read = false;
            continue;
        }
        let lo = first + i * span;
        let hi = lo + span;
        want.iter_mut().for_each(|w| *w = false);
        is_map.iter_mut().for_each(|w| *w = false);
        // Extents are sorted by start: those that can reach into [lo, hi).
        let from = used.partition_point(|u| u.0.saturating_add(longest) <= lo);
        for &(ib, size, what) in used[from..].iter().take_while(|u| u.0 < hi) {
            let (s, e) = (ib.max(lo), ib.saturating_add(size).min(hi));
            if s >= e {
                continue;
            }
            for u in ((s - lo) / unit) as usize..((e - lo).div_ceil(unit) as usize).min(per) {
                want[u] = true;
                is_map[u] |= matches!(what, Used::Map);
            }
        }
        let ib = lo as usize;
        let bits = &cx.file[ib + m.bits_at..ib + m.bits_at + m.bits_len];
        let (mut unmarked, mut maps_unmarked, mut extra) = (0u64, 0u64, 0u64);
        let (mut first_unmarked, mut first_extra) = (None, None);
        for (j, byte) in bits.iter().enumerate() {
            for bit in 0..8 {
                let u = j * 8 + bit;
                let set = byte & (0x80 >> bit) != 0;
                if !set {
                    free_units += 1;
                }
                let Some(&w) = want.get(u) else { continue };
                let at = lo + u as u64 * unit;
                if w && !set {
                    if is_map[u] {
                        maps_unmarked += 1;
                    } else {
                        unmarked += 1;
                        first_unmarked.get_or_insert(at);
                    }
                } else if set && !w && at < eof {
                    extra += 1;
                    first_extra.get_or_insert(at);
                }
            }
        }
        per_amap[i as usize] = Some(bits.iter().map(|b| u64::from(b.count_zeros())).sum());
        if maps_unmarked > 0 {
            cx.report(
                "amap.maps",
                Some(ib as u64),
                format!("AMap {i} leaves {maps_unmarked} unit(s) of the map pages it covers unmarked"),
            );
        }
        if unmarked > 0 {
            cx.report(
                "amap.unmarked",
                first_unmarked,
                format!("AMap {i} at {ib}: {unmarked} unit(s) of {unit} bytes in use are marked free"),
            );
        }
        // Only when every allocation is known can unexplained bits be named.
        if extra > 0 && complete {
            cx.report(
                "amap.extra",
                first_extra,
                format!(
                    "AMap {i} at {ib}: {extra} unit(s) of {unit} bytes marked allocated hold nothing the B-trees name"
                ),
            );
        }
    }
    if all_read {
        let free = free_units * unit;
        if free != cx.hdr.cb_amap_free {
            cx.report(
                "amap.free",
                Some(cx.format.header().root as u64),
                format!("cbAMapFree is {}, the AMaps have {free} bytes free", cx.hdr.cb_amap_free),
            );
        }
    }
    pmap_free(cx, &maps, &readable);
    // MS-PST 2.2.2.7.4.2: each DLISTPAGEENT gives its AMap's free slots
    // (what Outlook-made files show: every listed AMap's count of clear
    // bits; not every AMap need be listed).
    for (amap, slots) in dl {
        if let Some(Some(free)) = per_amap.get(amap as usize) {
            if *free != slots {
                cx.report(
                    "dlist.entry",
                    Some(cx.format.dlist_offset()),
                    format!("DList: AMap {amap} has {free} free slots, the DList says {slots}"),
                );
            }
        }
    }
}
#[derive(Clone, Copy)]
enum Used {
    Map,
    Page(u64),
    Block(u64),
}

impl Used {
    fn name(self) -> String {
        match self {
            Used::Map => "map page".into(),
            Used::Page(b) => format!("B-tree page {b:#x}"),
            Used::Block(b) => format!("block {b:#x}"),
        }
    }
}

/// A map page's place and trailer (MS-PST 2.2.2.7.1: wSig 0 and bid the
/// page's offset for map pages); true when its bits can be read.
fn map_trailer(cx: &mut Ctx<'_>, m: &MapPage) -> bool {
    let format = cx.format;
    let size = format.page_size();
    let Some(page) = usize::try_from(m.ib).ok().and_then(|s| cx.file.get(s..s.checked_add(size)?)) else {
        cx.report(
            m.rule,
            Some(m.ib),
            format!("{} page at {} is missing: the file ends at {}", m.name, m.ib, cx.file.len()),
        );
        return false;
    };
    let Some(t) = PageTrailer::parse_page(page, format) else { return false };
    if t.ptype != m.ptype || t.ptype_repeat != m.ptype {
        cx.report(
            m.rule,
            Some(m.ib),
            format!(
                "{} page at {}: ptype {:#04x} / {:#04x}, not {:#04x}",
                m.name, m.ib, t.ptype, t.ptype_repeat, m.ptype
            ),
        );
        return false;
    }
    let crc = crc32(&page[..format.page().trailer()]);
    if crc != t.dw_crc {
        let rule = if m.ptype == PTYPE_AMAP { "amap.crc" } else { m.rule };
        cx.report(
            rule,
            Some(m.ib),
            format!("{} page at {}: dwCRC {:#010x}, computed {crc:#010x}", m.name, m.ib, t.dw_crc),
        );
        return false;
    }
    if t.w_sig != 0 || t.bid != m.ib {
        cx.report(
            "amap.trailer",
            Some(m.ib),
            format!(
                "{} page at {}: wSig {:#06x} (0 expected), bid {:#x} ({:#x} expected)",
                m.name, m.ib, t.w_sig, t.bid, m.ib
            ),
        );
    }
    true
}

/// `cbPMapFree` against the PMaps' zero bits (one per 512-byte page).
fn pmap_free(cx: &mut Ctx<'_>, maps: &[MapPage], readable: &[bool]) {
    let Some(m) = cx.format.pmap() else { return };
    let mut free = 0u64;
    for (k, p) in maps.iter().enumerate() {
        if p.ptype != PTYPE_PMAP {
            continue;
        }
        if !readable[k] {
            return;
        }
        let ib = p.ib as usize;
        let bits = &cx.file[ib + m.bits_at..ib + m.bits_at + m.bits_len];
        free += bits.iter().map(|b| u64::from(b.count_zeros())).sum::<u64>() * m.unit;
    }
    if free != cx.hdr.cb_pmap_free {
        cx.report(
            "pmap.free",
            Some(cx.format.header().root as u64),
            format!("cbPMapFree is {}, the PMaps have {free} bytes free", cx.hdr.cb_pmap_free),
        );
    }
}

/// The DList (MS-PST 2.2.2.7.4), where the file has one: its trailer and
/// CRC, and entries that name existing AMaps, once each. Returns the
/// entries as (AMap, free slots).
fn dlist(cx: &mut Ctx<'_>) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let format = cx.format;
    let at = format.dlist_offset();
    let size = format.page_size();
    let Some(page) = cx.file.get(at as usize..at as usize + size) else { return out };
    let Some(t) = PageTrailer::parse_page(page, format) else { return out };
    if t.ptype != PTYPE_DL && t.ptype_repeat != PTYPE_DL {
        // No DList: older files have none, and it is optional (MS-PST 2.6.1.1.2).
        return out;
    }
    cx.count("DLIST", 1);
    let crc = crc32(&page[..format.page().trailer()]);
    if t.ptype != t.ptype_repeat || crc != t.dw_crc {
        cx.report(
            "dlist.page",
            Some(at),
            format!(
                "DList page: ptype {:#04x} / {:#04x}, dwCRC {:#010x}, computed {crc:#010x}",
                t.ptype, t.ptype_repeat, t.dw_crc
            ),
        );
        return out;
    }
    let Some(h) = DListHeader::parse(page) else { return out };
    let count = usize::from(h.c_ent);
    let max = format.dlist_max_entries();
    let n_amaps = amap_count(format, cx.hdr.ib_file_eof.min(cx.file.len() as u64));
    if count > max {
        cx.report("dlist.entry", Some(at), format!("DList: cEntDList {count}, at most {max} fit"));
        return out;
    }
    let mut seen = std::collections::HashSet::new();
    for i in 0..count {
        let e_at = DLIST_ENTRIES + 4 * i;
        let e = DListEntry::from_u32(u32::from_le_bytes([page[e_at], page[e_at + 1], page[e_at + 2], page[e_at + 3]]));
        let amap = u64::from(e.page);
        out.push((amap, u64::from(e.free_slots)));
        if amap >= n_amaps || !seen.insert(amap) {
            cx.report(
                "dlist.entry",
                Some(at + e_at as u64),
                format!("DList entry {i}: AMap page {amap} (the file has {n_amaps}, each listed once)"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_pages_sit_where_ms_pst_puts_them() {
        // 8200 AMaps: the first FMap (after AMap 128) and FPMap (after AMap 8192).
        let eof = Format::Unicode.section_start(8200);
        let pages = map_pages(Format::Unicode, eof);
        let at = |ptype: u8| pages.iter().filter(move |p| p.ptype == ptype).map(|p| p.ib);
        assert_eq!(at(PTYPE_AMAP).count(), 8200);
        assert_eq!(at(PTYPE_AMAP).nth(1), Some(0x4400 + 253_952));
        assert_eq!(at(PTYPE_PMAP).take(2).collect::<Vec<_>>(), vec![0x4600, 0x4600 + 8 * 253_952]);
        assert_eq!(at(PTYPE_FMAP).take(2).collect::<Vec<_>>(), vec![0x1F0_4800, 0x1F0_4800 + 496 * 253_952]);
        assert_eq!(at(PTYPE_FMAP).count(), 17);
        assert_eq!(at(PTYPE_FPMAP).collect::<Vec<_>>(), vec![0x7C00_4800]);
        // 4K files: AMaps only, every 4072 * 8 * 512 bytes from 0x22000.
        let pages = map_pages(Format::Unicode4k, 0x22000 + 2 * 16_678_912);
        let ibs: Vec<u64> = pages.iter().map(|p| p.ib).collect();
        assert_eq!(ibs, vec![0x22000, 0x22000 + 16_678_912]);
    }
}
