//! Salvage of a damaged file: the block map and the node map rebuilt from
//! one scan of the file, for the parts of the two B-trees that no longer
//! read (issue 11).
//!
//! Pages and blocks carry their own identity: a B-tree page its type
//! (twice), BID, signature and CRC in its trailer (MS-PST 2.2.2.7.1), a
//! block its size, BID, signature and CRC in its `BLOCKTRAILER`
//! (2.2.2.8.1). So when a lookup meets a B-tree page that fails its checks
//! (type, BID, CRC, signature, counts, level), [`Ndb`] scans the file once
//! and answers from what the scan validated:
//!
//! - blocks: at every block boundary (64 bytes, 512 in 4K files) a trailer
//!   is tried; its `cb` gives the block's start, and the block counts when
//!   its signature (of that start and its BID) and its CRC match, and its
//!   BID is not 0. A BID found at two places keeps the first (a block's BID
//!   names one content; an old copy is the same bytes);
//! - nodes: every page-aligned NBT leaf page whose trailer, CRC, signature
//!   and counts check out gives its `cEnt` entries, unless the allocation
//!   map (when its own page checks out) calls the page free: a free page is
//!   an old copy of a leaf, with entries of deleted nodes, which
//!   [`super::recover`] is for. Where several pages give the same NID, the
//!   entry whose data block validates wins, then the newest: the higher
//!   page BID (pages are written new on every change), then the higher
//!   data BID.
//!
//! Nothing of this runs for a healthy file: the scan is made on the first
//! lookup that fails, at most once per open file ([`SalvageCell`]), and
//! reads the file once, in up to four threads over the mapped bytes. It
//! allocates by what it finds, which is bounded by the file's size (one
//! entry per 64 bytes at most).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use super::btree::{parse_nbt_entry, BbtEntry, NbtEntry};
use super::crc::crc32;
use super::header::{Bref, Format};
use super::page::{BtPage, PTYPE_NBT};
use super::Ndb;
use crate::error::Corrupt;
use crate::raw::{compute_sig, Bid, BlockTrailer, PageTrailer};

/// The most damage entries kept (the rest are counted).
const MAX_DAMAGE: usize = 256;

/// What one scan of the file found.
#[derive(Debug, Default)]
pub struct Salvage {
    /// Blocks that validate, by BID key.
    blocks: HashMap<u64, BbtEntry>,
    /// Node entries of live NBT leaf pages, by NID.
    nodes: BTreeMap<u32, NbtEntry>,
    /// NBT leaf pages that validated (in allocated space).
    pub nbt_pages: usize,
    /// NBT leaf pages left out because the allocation map calls them free.
    pub free_nbt_pages: usize,
}

impl Salvage {
    /// The node `nid`, if a validated NBT leaf page lists it.
    pub fn node(&self, nid: u32) -> Option<NbtEntry> {
        self.nodes.get(&nid).copied()
    }

    /// Where block `bid` (reserved bit ignored) was found.
    pub fn bbt(&self, bid: u64) -> Option<BbtEntry> {
        self.blocks.get(&Bid(bid).key()).copied()
    }

    /// Every node found, in NID order.
    pub fn nodes(&self) -> impl Iterator<Item = &NbtEntry> {
        self.nodes.values()
    }

    /// Every block that validated, in no particular order.
    pub fn blocks(&self) -> impl Iterator<Item = &BbtEntry> {
        self.blocks.values()
    }

    /// Number of blocks that validated.
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Number of nodes found.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

/// The lazily built [`Salvage`] of one open file, and the B-tree damage
/// that made it needed.
#[derive(Debug, Default)]
pub struct SalvageCell {
    built: OnceLock<Salvage>,
    damage: Mutex<(Vec<Corrupt>, usize)>,
    /// NIDs whose node the scan gave where the NBT could not.
    answered: Mutex<std::collections::HashSet<u32>>,
}

impl SalvageCell {
    /// The scan, if it was made.
    pub fn get(&self) -> Option<&Salvage> {
        self.built.get()
    }

    /// The scan, made now if it was not (`ndb` without a salvage cell).
    pub fn get_or_build(&self, ndb: Ndb<'_>) -> &Salvage {
        self.built.get_or_init(|| scan(Ndb { salvage: None, recovered: None, ..ndb }))
    }

    /// Notes a B-tree page that failed its checks (once per structure and offset).
    pub fn record(&self, e: &Corrupt) {
        let Ok(mut d) = self.damage.lock() else { return };
        if d.0.iter().any(|o| o.offset == e.offset && o.structure == e.structure) {
            return;
        }
        if d.0.len() < MAX_DAMAGE {
            d.0.push(e.clone());
        } else {
            d.1 += 1;
        }
    }

    /// The B-tree damage met so far, and how many more were not kept.
    pub fn damage(&self) -> (Vec<Corrupt>, usize) {
        self.damage.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Notes that the scan gave node `nid` where the NBT could not.
    pub fn answered(&self, nid: u32) {
        if let Ok(mut a) = self.answered.lock() {
            a.insert(nid);
        }
    }

    /// True if the scan gave node `nid` where the NBT could not.
    pub fn was_answered(&self, nid: u32) -> bool {
        self.answered.lock().is_ok_and(|a| a.contains(&nid))
    }

    /// True when a B-tree page failed and the scan stands in for it.
    pub fn is_damaged(&self) -> bool {
        self.damage.lock().is_ok_and(|d| !d.0.is_empty())
    }
}

/// One validated node entry and the BID of the page it came from.
struct Found {
    entry: NbtEntry,
    page_bid: u64,
}

#[derive(Default)]
struct Part {
    blocks: Vec<BbtEntry>,
    nodes: Vec<Found>,
    nbt_pages: usize,
    free_nbt_pages: usize,
}

/// The block whose trailer ends at `end`, if it validates.
fn block_ending_at(file: &[u8], format: Format, end: usize) -> Option<BbtEntry> {
    let ts = format.block_trailer_size();
    let t = BlockTrailer::parse(file.get(end.checked_sub(ts)?..end)?, format)?;
    if t.bid == 0 || usize::from(t.cb) > format.max_block_data() {
        return None;
    }
    let size = format.block_size(usize::from(t.cb));
    let start = end.checked_sub(size)?;
    let ib = start as u64;
    if start == 0 || (t.w_sig != compute_sig(ib, t.bid) && t.w_sig != compute_sig(ib, Bid(t.bid).key())) {
        return None;
    }
    if crc32(file.get(start..start + usize::from(t.cb))?) != t.dw_crc {
        return None;
    }
    Some(BbtEntry { bid: t.bid, ib, cb: t.cb, c_ref: 0 })
}

/// The NBT leaf page at `ib`, if it validates with its own BID.
fn nbt_leaf_at(file: &[u8], format: Format, ib: usize) -> Option<BtPage<'_>> {
    let ps = format.page_size();
    let t = PageTrailer::parse_page(file.get(ib..ib.checked_add(ps)?)?, format)?;
    if t.ptype != PTYPE_NBT || t.ptype_repeat != PTYPE_NBT {
        return None;
    }
    let page = BtPage::read(file, format, Bref { bid: t.bid, ib: ib as u64 }, PTYPE_NBT).ok()?;
    (page.c_level == 0 && page.cb_ent == format.nbt_entry_size()).then_some(page)
}

/// Scans `[from, to)` of the file.
fn scan_part(ndb: Ndb<'_>, free: &[(u64, u64)], from: usize, to: usize) -> Part {
    let file = ndb.file;
    let format = ndb.header.format;
    let mut part = Part::default();
    let align = format.block_alignment();
    let ps = format.page_size();
    let mut end = from.div_ceil(align).max(1) * align;
    while end <= to {
        if let Some(b) = block_ending_at(file, format, end) {
            part.blocks.push(b);
        }
        // A page starts at every page boundary.
        let start = end - align;
        if start.is_multiple_of(ps) {
            if let Some(page) = nbt_leaf_at(file, format, start) {
                if super::recover::covered(free, start as u64, (start + ps) as u64) {
                    part.free_nbt_pages += 1;
                } else {
                    part.nbt_pages += 1;
                    for i in 0..page.c_ent {
                        if let Some(entry) = page.entry(i).and_then(|e| parse_nbt_entry(e, format)) {
                            if entry.nid != 0 {
                                part.nodes.push(Found { entry, page_bid: page.trailer.bid });
                            }
                        }
                    }
                }
            }
        }
        end += align;
    }
    part
}

/// Scans the whole file (see the module notes). Never fails.
pub fn scan(ndb: Ndb<'_>) -> Salvage {
    let file = ndb.file;
    let format = ndb.header.format;
    let free = super::recover::free_ranges(ndb, false);
    let first = usize::try_from(format.amap().first).unwrap_or(usize::MAX).min(file.len());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    // Parts end on page boundaries, so that every page and block is looked
    // at by exactly one part (a block's end decides its part).
    let ps = format.page_size();
    let span = (file.len() - first).div_ceil(threads).div_ceil(ps).max(1) * ps;
    let parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let from = first + k * span;
                let to = (from + span).min(file.len());
                let free = &free;
                s.spawn(move || if from < to { scan_part(ndb, free, from, to) } else { Part::default() })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut out = Salvage::default();
    let mut found: Vec<Found> = Vec::new();
    for p in parts {
        for b in p.blocks {
            out.blocks.entry(Bid(b.bid).key()).or_insert(b);
        }
        found.extend(p.nodes);
        out.nbt_pages += p.nbt_pages;
        out.free_nbt_pages += p.free_nbt_pages;
    }
    let rank = |f: &Found, blocks: &HashMap<u64, BbtEntry>| {
        (blocks.contains_key(&Bid(f.entry.bid_data).key()), f.page_bid, f.entry.bid_data)
    };
    let mut best: BTreeMap<u32, Found> = BTreeMap::new();
    for f in found {
        match best.get(&f.entry.nid) {
            Some(o) if rank(o, &out.blocks) >= rank(&f, &out.blocks) => {}
            _ => {
                best.insert(f.entry.nid, f);
            }
        }
    }
    out.nodes = best.into_iter().map(|(k, f)| (k, f.entry)).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ndb::block::tests::build_block;
    use crate::ndb::header::tests::unicode_header;
    use crate::ndb::header::Header;
    use crate::ndb::page::tests::build_bt_page;
    use crate::raw::PTYPE_BBT;

    const F: Format = Format::Unicode;

    fn put(file: &mut Vec<u8>, at: usize, bytes: &[u8]) {
        if file.len() < at + bytes.len() {
            file.resize(at + bytes.len(), 0);
        }
        file[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn nbt(nid: u32, bid_data: u64, parent: u32) -> Vec<u8> {
        let mut e = vec![0u8; F.nbt_entry_size()];
        NbtEntry { nid, bid_data, bid_sub: 0, nid_parent: parent }.write(&mut e, F);
        e
    }

    /// A file whose BBT root (0x4800) is zeroed: blocks at 0x5000 and
    /// 0x5040 and an NBT leaf at 0x4600 are all the scan has.
    fn file() -> Vec<u8> {
        let nbt_ref = Bref { bid: 0x24, ib: 0x4600 };
        let bbt_ref = Bref { bid: 0x28, ib: 0x4800 };
        let mut file = unicode_header(23, 0, nbt_ref, bbt_ref, 0x5100);
        let leaf = build_bt_page(
            F,
            PTYPE_NBT,
            nbt_ref.ib,
            nbt_ref.bid,
            0,
            32,
            &[nbt(0x21, 0x104, 0), nbt(0x122, 0x108, 0x122)],
        );
        put(&mut file, 0x4600, &leaf);
        put(&mut file, 0x4800, &build_bt_page(F, PTYPE_BBT, bbt_ref.ib, bbt_ref.bid, 0, 24, &[]));
        put(&mut file, 0x5000, &build_block(F, 0x5000, 0x104, b"store data", 0));
        put(&mut file, 0x5040, &build_block(F, 0x5040, 0x108, &[7u8; 60], 0));
        file
    }

    #[test]
    fn blocks_and_nodes_are_found_by_their_own_checks() {
        let file = file();
        let header = Header::parse(&file).expect("header");
        let s = scan(Ndb { file: &file, header: &header, recovered: None, salvage: None, pages: None });
        assert_eq!(s.bbt(0x104), Some(BbtEntry { bid: 0x104, ib: 0x5000, cb: 10, c_ref: 0 }));
        assert_eq!(s.bbt(0x109).map(|b| (b.ib, b.cb)), Some((0x5040, 60)), "reserved bit ignored");
        assert_eq!(s.block_count(), 2);
        assert_eq!(s.node(0x122).map(|n| n.bid_data), Some(0x108));
        assert_eq!(s.nbt_pages, 1);
        // A flipped data byte takes the block out, not its neighbour.
        let mut bad = file.clone();
        bad[0x5003] ^= 1;
        let s = scan(Ndb { file: &bad, header: &header, recovered: None, salvage: None, pages: None });
        assert_eq!(s.bbt(0x104), None);
        assert!(s.bbt(0x108).is_some());
    }

    #[test]
    fn a_zeroed_bbt_root_is_read_past() {
        let mut file = file();
        file[0x4800..0x4A00].fill(0);
        let pst = crate::Pst::from_bytes("zeroed.pst", file).expect("opens on the scan");
        let node = pst.node(0x21).expect("NBT intact").expect("store node");
        assert_eq!(&pst.read_node_data(&node).expect("block from the scan")[..], b"store data");
        assert!(pst.ndb().salvage.is_some_and(SalvageCell::is_damaged));
        assert!(pst.salvage_problems().iter().any(|p| p.structure == "HEADER.ROOT"), "{:?}", pst.salvage_problems());
    }

    #[test]
    fn the_newest_validating_entry_wins() {
        let mut file = file();
        // A second leaf page (BID 0x30, newer) with another data BID for 0x122,
        // whose block does not exist: the old entry, which validates, wins.
        let leaf = build_bt_page(F, PTYPE_NBT, 0x4A00, 0x30, 0, 32, &[nbt(0x122, 0x10C, 0x122)]);
        put(&mut file, 0x4A00, &leaf);
        let header = Header::parse(&file).expect("header");
        let s = scan(Ndb { file: &file, header: &header, recovered: None, salvage: None, pages: None });
        assert_eq!(s.node(0x122).map(|n| n.bid_data), Some(0x108));
        // With its block present, the newer page wins.
        put(&mut file, 0x5080, &build_block(F, 0x5080, 0x10C, b"newer", 0));
        let s = scan(Ndb { file: &file, header: &header, recovered: None, salvage: None, pages: None });
        assert_eq!(s.node(0x122).map(|n| n.bid_data), Some(0x10C));
    }

    #[test]
    fn garbage_never_panics() {
        let mut file = file();
        let header = Header::parse(&file).expect("header");
        let mut x = 0x1234_5678u64;
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = 0x4400 + (x as usize) % (file.len() - 0x4400);
            file[at] ^= (x >> 32) as u8 | 1;
            let _ = scan(Ndb { file: &file, header: &header, recovered: None, salvage: None, pages: None });
        }
        let _ = scan(Ndb { file: &file[..0x4410], header: &header, recovered: None, salvage: None, pages: None });
    }
}
