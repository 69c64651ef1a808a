//! Recovery of deleted nodes: index entries that no B-tree reaches any
//! more, and the blocks they name.
//!
//! When Outlook deletes a message it drops the node's `NBTENTRY` from its
//! NBT leaf page and the blocks' `BBTENTRY`s from the BBT, and marks the
//! space free in the allocation maps; nothing is wiped. What is left:
//!
//! - the free slots of live NBT leaf pages (`cEnt .. cEntMax`, MS-PST
//!   2.2.2.7.7.1) still hold the entries that were removed or shifted out;
//! - B-tree pages are copied on write, so old copies of NBT and BBT leaf
//!   pages lie in space the allocation maps call free (AMap, MS-PST
//!   2.2.2.7.2; PMap, 2.2.2.7.3), holding entries of deleted nodes and the
//!   locations of their blocks.
//!
//! The scan follows libpff's `-m recovered` (its "Personal Folder File
//! format" notes): node entries come from both places, block entries only
//! from old BBT pages in free space, and only when the block they point at
//! lies in free space too. A node is recovered when its data block and
//! (if any) its subnode tree are among those recovered blocks and read
//! back cleanly: block trailer `cb`, BID, signature and CRC must match
//! (libpff tolerates CRC and BID mismatches; we call such data corrupt),
//! and every subnode entry must name a node and a block. The same node
//! (NID, data and subnode BIDs) found twice is one node; a node identical
//! to a live NBT entry is not a deleted one.
//!
//! Checked against libpff 20180714 (`libpff_recover.c`, the version
//! pff-tools ships), which recovers the same message nodes on every
//! fixture (tests/recover.rs):
//! - only leaf pages of old trees are read; libpff skips branch pages
//!   found in free space (`libpff_recover_index_values` ignores a node
//!   whose level is not 0), and so do we;
//! - a deleted node whose data or subnode block is still where the live
//!   BBT has it is not recovered: libpff looks those BIDs up only among
//!   recovered block entries, which exclude entries equal to the live
//!   BBT's;
//! - the allocation maps are used whatever the header's `fAMapValid`
//!   says (MS-PST 2.2.2.6): libpff reads that byte only to print it;
//! - nodes of every NID type are recovered here, as by libpff; pffexport
//!   also exports deleted contents tables (NID types 0x0E, 0x10) as
//!   messages made of their first row, which the reader's "Recovered"
//!   folder does not, since they are not messages.
//!
//! Everything is bounded by the file size: the allocation maps are read
//! once, each free page is looked at once, and nothing is allocated by a
//! size read from the file.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use super::block::read_block;
use super::btree::{parse_bbt_entry, parse_nbt_entry, BbtEntry, NbtEntry, MAX_DEPTH};
use super::crc::crc32;
use super::header::Format;
use super::page::{BtPage, PTYPE_BBT, PTYPE_NBT};
use super::subnode::list_subnodes;
use super::Ndb;
use crate::error::{u16_at, u8_at};
use crate::raw::{Bid, BtEntry, MapLayout, Nid, PageTrailer, AMAP_FIRST, PTYPE_AMAP, PTYPE_PMAP};

/// Block entries recovered from free space, by BID (reserved low bit
/// cleared); a BID may have several old locations.
#[derive(Clone, Debug, Default)]
pub struct RecoveredBlocks {
    by_bid: BTreeMap<u64, Vec<BbtEntry>>,
}

impl RecoveredBlocks {
    /// The recovered entries of `bid`.
    pub fn get(&self, bid: u64) -> &[BbtEntry] {
        self.by_bid.get(&Bid(bid).key()).map_or(&[], Vec::as_slice)
    }

    /// Number of distinct BIDs.
    pub fn len(&self) -> usize {
        self.by_bid.len()
    }

    /// True if nothing was recovered.
    pub fn is_empty(&self) -> bool {
        self.by_bid.is_empty()
    }

    /// The data of `bid` from the first recovered location that reads back
    /// cleanly (trailer, BID, CRC), or `None`.
    pub fn read<'a>(&self, ndb: Ndb<'a>, bid: u64) -> Option<Cow<'a, [u8]>> {
        self.get(bid).iter().find_map(|e| read_block(ndb.file, ndb.header.format, ndb.header.crypt_method, e).ok())
    }

    fn insert(&mut self, e: BbtEntry) -> bool {
        let list = self.by_bid.entry(Bid(e.bid).key()).or_default();
        if list.iter().any(|o| o.ib == e.ib && o.cb == e.cb) {
            return false;
        }
        list.push(e);
        true
    }
}

/// What a recovery scan found.
#[derive(Clone, Debug, Default)]
pub struct Recovery {
    /// Recovered nodes that validated, in the order found (free NBT slots
    /// first, then old pages by offset).
    pub nodes: Vec<NbtEntry>,
    /// The recovered block entries, for reading those nodes.
    pub blocks: RecoveredBlocks,
    /// Candidate node entries rejected: data or subnode blocks missing
    /// from the recovered set or failing their checks.
    pub skipped: usize,
    /// Bytes the allocation maps call free.
    pub free_bytes: u64,
    /// Old B-tree leaf pages found in free space.
    pub free_pages: usize,
}

/// Half-open byte ranges, sorted and merged.
type Ranges = Vec<(u64, u64)>;

fn push_range(r: &mut Ranges, start: u64, end: u64) {
    if let Some(last) = r.last_mut() {
        if last.1 == start {
            last.1 = end;
            return;
        }
    }
    r.push((start, end));
}

pub(crate) fn covered(r: &[(u64, u64)], start: u64, end: u64) -> bool {
    // The last range starting at or before `start`.
    let i = r.partition_point(|&(s, _)| s <= start);
    i > 0 && r[i - 1].1 >= end
}

/// The map pages of one kind: (offset of the map page, first byte it maps,
/// bytes per bit, bytes of bits, offset of the bits in the page).
fn map_pages(format: Format, len: u64, pmap: bool) -> Vec<(u64, u64, u64, usize, usize)> {
    let mut out = Vec::new();
    let layout = if pmap { format.pmap() } else { Some(format.amap()) };
    let Some(&MapLayout { first, unit, bits_at: at, bits_len: bits }) = layout else {
        return out;
    };
    let step = bits as u64 * 8 * unit;
    let mut ib = first;
    while ib < len {
        // A PMap maps from the AMap next to it (MS-PST 2.2.2.7.3).
        let base = if pmap { ib - (first - AMAP_FIRST) } else { ib };
        out.push((ib, base, unit, bits, at));
        ib += step;
    }
    out
}

/// The free ranges of the file by its AMaps and (512-byte layouts) PMaps.
/// A map page whose trailer or CRC is wrong maps nothing: its range counts
/// as allocated, so nothing there is taken for free.
pub(crate) fn free_ranges(ndb: Ndb<'_>, pmap: bool) -> Ranges {
    let file = ndb.file;
    let format = ndb.header.format;
    let ps = format.page_size();
    let ptype = if pmap { PTYPE_PMAP } else { PTYPE_AMAP };
    let mut out = Ranges::new();
    for (ib, base, unit, nbytes, at) in map_pages(format, file.len() as u64, pmap) {
        let Some(page) = usize::try_from(ib).ok().and_then(|s| file.get(s..s.checked_add(ps)?)) else {
            continue;
        };
        let Some(trailer) = PageTrailer::parse_page(page, format) else {
            continue;
        };
        if trailer.ptype != ptype || trailer.ptype_repeat != ptype {
            continue;
        }
        let t = format.page().trailer();
        let bits = &page[at..at + nbytes];
        // libpff sums the bits only; MS-PST the whole page before the trailer.
        if trailer.dw_crc != crc32(bits) && trailer.dw_crc != crc32(&page[..t]) {
            continue;
        }
        let mut run: Option<u64> = None;
        for (i, byte) in bits.iter().enumerate() {
            for b in 0..8 {
                // The most significant bit maps the lowest address.
                let free = byte & (0x80 >> b) == 0;
                let off = base + ((i * 8 + b) as u64) * unit;
                match (free, run) {
                    (true, None) => run = Some(off),
                    (false, Some(s)) => {
                        push_range(&mut out, s, off);
                        run = None;
                    }
                    _ => {}
                }
            }
        }
        if let Some(s) = run {
            push_range(&mut out, s, base + (nbytes as u64) * 8 * unit);
        }
    }
    out
}

fn merge(mut a: Ranges, b: Ranges) -> Ranges {
    a.extend(b);
    a.sort_unstable();
    let mut out = Ranges::new();
    for (s, e) in a {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The size of a leaf entry (`cbEnt`) of each tree.
fn leaf_size(format: Format, ptype: u8) -> usize {
    if ptype == PTYPE_NBT {
        format.nbt_entry_size()
    } else {
        format.bbt_entry_size()
    }
}

/// The largest `cb` of a data block: [`Format::max_block_data`].
fn max_cb(format: Format) -> u16 {
    u16::try_from(format.max_block_data()).unwrap_or(u16::MAX)
}

/// All `cEntMax` entries of a leaf page, valid or not.
fn leaf_slots<'a>(page: &BtPage<'a>, raw: &'a [u8], from: usize) -> impl Iterator<Item = &'a [u8]> {
    let cb = page.cb_ent;
    let area = raw.len();
    (from..page.c_ent_max).filter_map(move |i| {
        let s = i.checked_mul(cb)?;
        let e = s.checked_add(cb)?;
        if e > area {
            return None;
        }
        raw.get(s..e)
    })
}

/// The entry area of the page at `ib`: everything before the counts.
fn entry_area(file: &[u8], format: Format, ib: u64) -> Option<&[u8]> {
    let n = format.page().bt_entries;
    let s = usize::try_from(ib).ok()?;
    file.get(s..s.checked_add(n)?)
}

/// Collects node entries from the free slots of every live NBT leaf page.
fn free_nbt_slots(ndb: Ndb<'_>, out: &mut Vec<NbtEntry>) {
    let format = ndb.header.format;
    let mut visited = HashSet::new();
    let mut stack = vec![(ndb.header.bref_nbt, 0usize)];
    while let Some((bref, depth)) = stack.pop() {
        if depth > MAX_DEPTH || !visited.insert(bref.ib) {
            continue;
        }
        let Ok(page) = BtPage::read(ndb.file, format, bref, PTYPE_NBT) else {
            continue;
        };
        if page.c_level > 0 {
            for i in (0..page.c_ent).rev() {
                if let Some(child) = page.entry(i).and_then(|e| BtEntry::parse(e, format)) {
                    stack.push((child.bref, depth + 1));
                }
            }
            continue;
        }
        if page.cb_ent != leaf_size(format, PTYPE_NBT) {
            continue;
        }
        let Some(raw) = entry_area(ndb.file, format, bref.ib) else {
            continue;
        };
        out.extend(leaf_slots(&page, raw, page.c_ent).filter_map(|e| parse_nbt_entry(e, format)));
    }
}

/// Reads the page at `ib` as an old B-tree leaf page: trailer type, CRC
/// and counts must be right (its BID and signature are not checked: no
/// BREF leads here).
fn old_leaf(file: &[u8], format: Format, ib: u64) -> Option<(u8, BtPage<'_>)> {
    let ps = format.page_size();
    let page = file.get(usize::try_from(ib).ok()?..)?.get(..ps)?;
    let trailer = PageTrailer::parse_page(page, format)?;
    let ptype = trailer.ptype;
    if (ptype != PTYPE_NBT && ptype != PTYPE_BBT) || trailer.ptype_repeat != ptype {
        return None;
    }
    // Re-read through the ordinary checks with the trailer's own BID.
    let bref = super::header::Bref { bid: trailer.bid, ib };
    let bt = BtPage::read(file, format, bref, ptype).ok()?;
    (bt.c_level == 0 && bt.cb_ent == leaf_size(format, ptype)).then_some((ptype, bt))
}

/// Scans the file for deleted nodes. Never fails: what cannot be read is
/// left out (and counted in [`Recovery::skipped`] when it was a candidate).
pub fn scan(ndb: Ndb<'_>) -> Recovery {
    let format = ndb.header.format;
    let file = ndb.file;
    let mut rec = Recovery::default();
    let free = merge(free_ranges(ndb, false), free_ranges(ndb, true));
    let data_free = free_ranges(ndb, false);
    rec.free_bytes = free.iter().map(|(s, e)| e - s).sum();

    let mut candidates: Vec<NbtEntry> = Vec::new();
    free_nbt_slots(ndb, &mut candidates);

    // Old leaf pages lying wholly in free space, at page-aligned offsets.
    let ps = format.page_size() as u64;
    let live = Ndb { recovered: None, salvage: None, ..ndb };
    for &(s, e) in &free {
        let mut ib = s.div_ceil(ps) * ps;
        while ib + ps <= e && ib + ps <= file.len() as u64 {
            if let Some((ptype, page)) = old_leaf(file, format, ib) {
                rec.free_pages += 1;
                let raw = entry_area(file, format, ib).unwrap_or(&[]);
                for slot in leaf_slots(&page, raw, 0) {
                    if ptype == PTYPE_NBT {
                        candidates.extend(parse_nbt_entry(slot, format));
                        continue;
                    }
                    let Some(b) = parse_bbt_entry(slot, format) else {
                        continue;
                    };
                    if b.bid == 0 || b.ib == 0 || b.cb == 0 || b.cb > max_cb(format) {
                        continue;
                    }
                    // The block must lie in free data space ...
                    if !covered(&data_free, b.ib, b.ib + u64::from(b.cb)) {
                        continue;
                    }
                    // ... and not be where the live BBT has it.
                    if let Ok(Some(l)) = live.bbt(b.bid) {
                        if l.ib == b.ib && l.cb == b.cb {
                            continue;
                        }
                    }
                    rec.blocks.insert(b);
                }
            }
            ib += ps;
        }
    }

    let mut seen: HashSet<(u32, u64, u64)> = HashSet::new();
    for c in candidates {
        if c.nid == 0 || c.bid_data == 0 {
            continue;
        }
        if let Ok(Some(l)) = live.node(c.nid) {
            if l.bid_data == c.bid_data && l.bid_sub == c.bid_sub {
                continue;
            }
        }
        if !seen.insert((c.nid, Bid(c.bid_data).key(), Bid(c.bid_sub).key())) {
            continue;
        }
        if valid(ndb, &rec.blocks, &c) {
            rec.nodes.push(c);
        } else {
            rec.skipped += 1;
        }
    }
    rec
}

/// A candidate node is usable when its data block and subnode tree were
/// recovered and read back cleanly.
fn valid(ndb: Ndb<'_>, blocks: &RecoveredBlocks, c: &NbtEntry) -> bool {
    let with = Ndb { recovered: Some(blocks), ..ndb };
    if blocks.read(with, c.bid_data).is_none() {
        return false;
    }
    if c.bid_sub != 0 {
        if blocks.read(with, c.bid_sub).is_none() {
            return false;
        }
        match list_subnodes(with, c.bid_sub) {
            Ok(list) => {
                if list.iter().any(|s| s.nid == 0 || s.bid_data == 0) {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    // A message or folder node holds a property context: a heap-on-node
    // (bSig 0xEC) whose client signature is bTypePC 0xBC (MS-PST 2.3.1.2).
    let nid_type = Nid(c.nid).nid_type();
    if matches!(nid_type, 0x02..=0x05 | 0x08) {
        let Ok(tree) = super::datatree::DataTree::open(with, c.bid_data) else {
            return false;
        };
        let Ok(first) = tree.block(0) else {
            return false;
        };
        if u8_at(&first, 2) != Some(0xEC) || u8_at(&first, 3) != Some(0xBC) {
            return false;
        }
        // ibHnpm must lie inside the block.
        if u16_at(&first, 0).is_none_or(|m| usize::from(m) > first.len()) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ndb::block::tests::build_block;
    use crate::ndb::header::tests::unicode_header;
    use crate::ndb::header::{Bref, Header};
    use crate::ndb::page::tests::build_bt_page;
    use crate::raw::BtPageMeta;

    const F: Format = Format::Unicode;

    fn nbt(nid: u32, bid_data: u64, parent: u32) -> Vec<u8> {
        let mut e = vec![0u8; F.nbt_entry_size()];
        NbtEntry { nid, bid_data, bid_sub: 0, nid_parent: parent }.write(&mut e, F);
        e
    }

    fn bbt(bid: u64, ib: u64, cb: u16) -> Vec<u8> {
        let mut e = vec![0u8; F.bbt_entry_size()];
        BbtEntry { bid, ib, cb, c_ref: 1 }.write(&mut e, F);
        e
    }

    fn put(file: &mut Vec<u8>, at: usize, bytes: &[u8]) {
        if file.len() < at + bytes.len() {
            file.resize(at + bytes.len(), 0);
        }
        file[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// A Unicode file whose live NBT leaf (0x4600) lists the store node in
    /// slot 0 and keeps a deleted message node (NID 0x200024, data BID
    /// 0x100) in its free slot 1; an old BBT leaf page in free space
    /// (0x4A00) still says where block 0x100 is (0x4C00, also free).
    fn deleted_message_file(corrupt_block: bool) -> Vec<u8> {
        let f = F;
        let nbt_ref = Bref { bid: 0x24, ib: 0x4600 };
        let bbt_ref = Bref { bid: 0x28, ib: 0x4800 };
        let eof = 0x4C40u64;
        let mut file = unicode_header(23, 0, nbt_ref, bbt_ref, eof);
        // AMap at 0x4400: 0x4400..0x4A00 allocated (24 units of 64 bytes).
        let mut amap = vec![0u8; f.page_size()];
        amap[..3].copy_from_slice(&[0xFF, 0xFF, 0xFF]);
        PageTrailer::seal(&mut amap, f, PTYPE_AMAP, 0x4400, 0x4400);
        put(&mut file, 0x4400, &amap);
        // Live NBT leaf: both entries written, then cEnt cut to 1 as a
        // delete leaves it.
        let mut leaf = build_bt_page(
            f,
            PTYPE_NBT,
            nbt_ref.ib,
            nbt_ref.bid,
            0,
            32,
            &[nbt(0x21, 0x104, 0), nbt(0x200024, 0x100, 0x8022)],
        );
        let meta = BtPageMeta { c_ent: 1, ..BtPageMeta::parse(&leaf, f).expect("counts") };
        meta.write(&mut leaf, f);
        PageTrailer::seal(&mut leaf, f, PTYPE_NBT, nbt_ref.ib, nbt_ref.bid);
        put(&mut file, 0x4600, &leaf);
        put(&mut file, 0x4800, &build_bt_page(f, PTYPE_BBT, bbt_ref.ib, bbt_ref.bid, 0, 24, &[bbt(0x104, 0x4C00, 16)]));
        // The old BBT leaf, a copy-on-write leftover with its own BID.
        put(&mut file, 0x4A00, &build_bt_page(f, PTYPE_BBT, 0x4A00, 0x1C, 0, 24, &[bbt(0x100, 0x4C00, 16)]));
        // A minimal heap-on-node: ibHnpm 12, bSig 0xEC, bClientSig 0xBC.
        let hn = [12u8, 0, 0xEC, 0xBC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0];
        let mut block = build_block(f, 0x4C00, 0x100, &hn, 16);
        if corrupt_block {
            block[5] ^= 0xFF;
        }
        put(&mut file, 0x4C00, &block);
        file
    }

    #[test]
    fn free_slot_entry_is_recovered_with_its_old_block() {
        let file = deleted_message_file(false);
        let header = Header::parse(&file).expect("header");
        let ndb = Ndb { file: &file, header: &header, recovered: None, salvage: None, pages: None };
        let rec = scan(ndb);
        assert!(rec.free_bytes > 0);
        assert_eq!(rec.free_pages, 1, "the old BBT leaf");
        assert_eq!(rec.blocks.get(0x100).len(), 1);
        assert_eq!(rec.blocks.get(0x100)[0].ib, 0x4C00);
        let nids: Vec<(u32, u64, u32)> = rec.nodes.iter().map(|n| (n.nid, n.bid_data, n.nid_parent)).collect();
        assert_eq!(nids, vec![(0x200024, 0x100, 0x8022)]);
        assert_eq!(rec.skipped, 0);

        // Through Pst: the node reads although neither the NBT nor the
        // BBT lists it or its block any more.
        let pst = crate::Pst::from_bytes("synth.pst", file).expect("open");
        assert_eq!(pst.node(0x200024).expect("walk"), None);
        let nodes = pst.recovered_nodes();
        assert_eq!(nodes.len(), 1);
        let data = pst.read_node_data(&nodes[0]).expect("recovered block");
        assert_eq!(&data[..4], &[12, 0, 0xEC, 0xBC]);
    }

    #[test]
    fn a_corrupt_old_block_is_skipped_and_counted() {
        let file = deleted_message_file(true);
        let header = Header::parse(&file).expect("header");
        let ndb = Ndb { file: &file, header: &header, recovered: None, salvage: None, pages: None };
        let rec = scan(ndb);
        assert!(rec.nodes.is_empty());
        assert_eq!(rec.skipped, 1);
    }

    #[test]
    fn garbage_never_panics() {
        let mut file = deleted_message_file(false);
        let header = Header::parse(&file).expect("header");
        // Scribble over the maps and pages; every scan must finish.
        for i in 0..64usize {
            let at = 0x4400 + (i * 97) % 0x800;
            file[at] ^= 0x5A;
            let ndb = Ndb { file: &file, header: &header, recovered: None, salvage: None, pages: None };
            let _ = scan(ndb);
        }
    }
}
