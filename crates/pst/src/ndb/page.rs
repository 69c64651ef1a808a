//! Pages (MS-PST 2.2.2.7): fixed-size units holding the B-trees and the
//! allocation maps. Only B-tree pages (`BTPAGE`) are read here.

use super::crc::crc32;
use super::header::{Bref, Format};
use crate::error::{CResult, Corrupt};
use crate::raw::{Bid, BtPageMeta};

pub use crate::raw::{compute_sig, PageTrailer, PTYPE_BBT, PTYPE_NBT};

/// Reads the trailer at the end of `page` (which must be a whole page);
/// `offset` is the page's, for the error.
pub fn parse_trailer(page: &[u8], format: Format, offset: u64) -> CResult<PageTrailer> {
    let bad = || Corrupt::new("PAGETRAILER", offset, "page is shorter than a page");
    if page.len() != format.page_size() {
        return Err(bad());
    }
    PageTrailer::parse_page(page, format).ok_or_else(bad)
}

/// The bytes of the page at `bref.ib`, with its trailer checked against
/// `ptype` and `bref.bid` (the BID's low bit is reserved and ignored).
pub fn read_page<'a>(
    file: &'a [u8],
    format: Format,
    bref: Bref,
    ptype: u8,
    structure: &'static str,
) -> CResult<(&'a [u8], PageTrailer)> {
    read_page_in(file, format, bref, ptype, structure, None)
}

/// Pages of one file whose CRC was found right, so that the upper levels
/// of the B-trees, read for every lookup, have their CRC computed once: a
/// lock-free direct-mapped table of page offsets (a miss only costs the
/// CRC again). Belongs to one [`crate::Pst`]: the map's bytes never change.
///
/// It also keeps, per thread, the last B-tree leaf a lookup ended in
/// ([`PageCache::leaf_hint`]): the blocks of one message mostly sit in one
/// BBT leaf, which is then searched first.
pub struct PageCache(Box<[std::sync::atomic::AtomicU64]>, [[std::sync::atomic::AtomicU64; 2]; PageCache::LEAF_SLOTS]);

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageCache")
    }
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache(
            (0..PageCache::SLOTS).map(|_| std::sync::atomic::AtomicU64::new(0)).collect(),
            std::array::from_fn(|_| [std::sync::atomic::AtomicU64::new(0), std::sync::atomic::AtomicU64::new(0)]),
        )
    }
}

impl PageCache {
    const SLOTS: usize = 1 << 14;

    fn slot(&self, ib: u64) -> &std::sync::atomic::AtomicU64 {
        &self.0[((ib >> 9) as usize) % PageCache::SLOTS]
    }

    fn knows(&self, ib: u64) -> bool {
        self.slot(ib).load(std::sync::atomic::Ordering::Relaxed) == ib.wrapping_add(1)
    }

    fn add(&self, ib: u64) {
        self.slot(ib).store(ib.wrapping_add(1), std::sync::atomic::Ordering::Relaxed);
    }

    const LEAF_SLOTS: usize = 16;

    /// This thread's slot of the leaf hints.
    fn leaf_slot(&self) -> &[std::sync::atomic::AtomicU64; 2] {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local!(static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed));
        &self.1[SLOT.with(|s| *s) % PageCache::LEAF_SLOTS]
    }

    /// The leaf page this thread's last lookup ended in, if its CRC is
    /// still known right. Threads beyond [`PageCache::LEAF_SLOTS`] share
    /// slots, so the offset and BID may come from two lookups: reading the
    /// page checks its BID, and a mismatch only loses the hint.
    pub fn leaf_hint(&self) -> Option<Bref> {
        use std::sync::atomic::Ordering::Relaxed;
        let [ib, bid] = self.leaf_slot();
        let ib = ib.load(Relaxed);
        (ib != 0 && self.knows(ib)).then(|| Bref { bid: bid.load(Relaxed), ib })
    }

    /// Records the leaf page at `bref` (checked) as this thread's last.
    pub fn set_leaf_hint(&self, bref: Bref) {
        use std::sync::atomic::Ordering::Relaxed;
        let [ib, bid] = self.leaf_slot();
        ib.store(bref.ib, Relaxed);
        bid.store(bref.bid, Relaxed);
    }
}

/// [`read_page`], skipping the CRC of a page `cache` has seen right.
pub fn read_page_in<'a>(
    file: &'a [u8],
    format: Format,
    bref: Bref,
    ptype: u8,
    structure: &'static str,
    cache: Option<&PageCache>,
) -> CResult<(&'a [u8], PageTrailer)> {
    let size = format.page_size();
    let start = usize::try_from(bref.ib).ok().filter(|&s| s > 0);
    let page = start.and_then(|s| file.get(s..s.checked_add(size)?)).ok_or_else(|| {
        Corrupt::new(structure, bref.ib, format!("page at {} is outside the file ({} bytes)", bref.ib, file.len()))
    })?;
    let t = parse_trailer(page, format, bref.ib)?;
    if t.ptype != ptype || t.ptype_repeat != ptype {
        return Err(Corrupt::new(
            structure,
            bref.ib,
            format!("ptype {:#04x}/{:#04x}, expected {ptype:#04x}", t.ptype, t.ptype_repeat),
        ));
    }
    if Bid(t.bid).key() != Bid(bref.bid).key() {
        return Err(Corrupt::new(structure, bref.ib, format!("page BID {:#x}, expected {:#x}", t.bid, bref.bid)));
    }
    if cache.is_some_and(|c| c.knows(bref.ib)) {
        return Ok((page, t));
    }
    let covered = size - format.page_trailer_size();
    let crc = crc32(&page[..covered]);
    if crc != t.dw_crc {
        return Err(Corrupt::new(structure, bref.ib, format!("page dwCRC {:#010x}, computed {crc:#010x}", t.dw_crc)));
    }
    if let Some(c) = cache {
        c.add(bref.ib);
    }
    Ok((page, t))
}

/// `BTPAGE` (MS-PST 2.2.2.7.7.1): the entries area and its counts.
#[derive(Clone, Copy, Debug)]
pub struct BtPage<'a> {
    /// File offset of the page, for error messages.
    pub offset: u64,
    /// `rgentries`, cut to `cEnt * cbEnt` bytes.
    pub entries: &'a [u8],
    /// `cEnt`.
    pub c_ent: usize,
    /// `cEntMax`.
    pub c_ent_max: usize,
    /// `cbEnt`.
    pub cb_ent: usize,
    /// `cLevel`: 0 for leaves.
    pub c_level: u8,
    /// The trailer.
    pub trailer: PageTrailer,
}

impl<'a> BtPage<'a> {
    /// Reads and checks the B-tree page at `bref` (`ptype` is
    /// [`PTYPE_NBT`] or [`PTYPE_BBT`]).
    pub fn read(file: &'a [u8], format: Format, bref: Bref, ptype: u8) -> CResult<BtPage<'a>> {
        BtPage::read_in(file, format, bref, ptype, None)
    }

    /// [`BtPage::read`] through a [`PageCache`].
    pub fn read_in(
        file: &'a [u8],
        format: Format,
        bref: Bref,
        ptype: u8,
        cache: Option<&PageCache>,
    ) -> CResult<BtPage<'a>> {
        const S: &str = "BTPAGE";
        let (page, trailer) = read_page_in(file, format, bref, ptype, S, cache)?;
        let off = bref.ib;
        // The counts follow rgentries (MS-PST 2.2.2.7.7.1; 4K: libpff).
        let area = format.page().bt_entries;
        let meta = BtPageMeta::parse(page, format).unwrap_or_default();
        let (c_ent, c_ent_max) = (usize::from(meta.c_ent), usize::from(meta.c_ent_max));
        let (cb_ent, c_level) = (usize::from(meta.cb_ent), meta.c_level);
        let min = if c_level > 0 {
            format.bt_entry_size()
        } else if ptype == PTYPE_NBT {
            format.nbt_entry_size()
        } else {
            // BBTENTRY without the Unicode dwPadding: BREF, cb, cRef.
            2 * format.id_size() + 4
        };
        if cb_ent < min {
            return Err(Corrupt::new(S, off, format!("cbEnt {cb_ent} is smaller than an entry ({min})")));
        }
        let used = c_ent * cb_ent;
        if used > area {
            return Err(Corrupt::new(
                S,
                off,
                format!("cEnt {c_ent} x cbEnt {cb_ent} exceeds the {area}-byte entry area"),
            ));
        }
        // The BID's low bit is reserved (MS-PST 2.2.2.2); some writers sign
        // with it set, others with it clear.
        let sig_ok = [bref.bid, Bid(bref.bid).key(), bref.bid | Bid::RESERVED, trailer.bid]
            .iter()
            .any(|&b| compute_sig(bref.ib, b) == trailer.w_sig);
        if trailer.w_sig != 0 && !sig_ok {
            return Err(Corrupt::new(
                S,
                off,
                format!("wSig {:#06x}, expected {:#06x}", trailer.w_sig, compute_sig(bref.ib, bref.bid)),
            ));
        }
        Ok(BtPage { offset: off, entries: &page[..used], c_ent, c_ent_max, cb_ent, c_level, trailer })
    }

    /// The bytes of entry `i` (`cbEnt` long).
    pub fn entry(&self, i: usize) -> Option<&'a [u8]> {
        self.entries.get(i * self.cb_ent..(i + 1) * self.cb_ent)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a B-tree page the way a writer would: entries, counts,
    /// trailer with signature and CRC.
    pub(crate) fn build_bt_page(
        format: Format,
        ptype: u8,
        ib: u64,
        bid: u64,
        c_level: u8,
        cb_ent: usize,
        entries: &[Vec<u8>],
    ) -> Vec<u8> {
        let mut p = vec![0u8; format.page_size()];
        let mut at = 0;
        for e in entries {
            p[at..at + e.len()].copy_from_slice(e);
            at += cb_ent;
        }
        let area = format.page().bt_entries;
        let meta = BtPageMeta {
            c_ent: entries.len() as u16,
            c_ent_max: (area / cb_ent) as u16,
            cb_ent: cb_ent as u8,
            c_level,
        };
        meta.write(&mut p, format);
        PageTrailer::seal(&mut p, format, ptype, ib, bid);
        p
    }

    fn placed(format: Format, ib: u64, page: Vec<u8>) -> Vec<u8> {
        let mut file = vec![0u8; ib as usize];
        file.extend_from_slice(&page);
        let _ = format;
        file
    }

    #[test]
    fn reads_unicode_leaf_page() {
        let e: Vec<u8> = (0u8..32).collect();
        let page = build_bt_page(Format::Unicode, PTYPE_NBT, 512, 0x24, 0, 32, &[e.clone(), e.clone()]);
        let file = placed(Format::Unicode, 512, page);
        let p = BtPage::read(&file, Format::Unicode, Bref { bid: 0x24, ib: 512 }, PTYPE_NBT).expect("valid");
        assert_eq!((p.c_ent, p.cb_ent, p.c_level), (2, 32, 0));
        assert_eq!(p.entry(1), Some(&e[..]));
        assert_eq!(p.entry(2), None);
    }

    #[test]
    fn reads_4k_page_and_checks_trailer() {
        let e: Vec<u8> = vec![7u8; 24];
        let entries = vec![e; 100];
        let page = build_bt_page(Format::Unicode4k, PTYPE_BBT, 4096, 0x88, 1, 24, &entries);
        let file = placed(Format::Unicode4k, 4096, page);
        let bref = Bref { bid: 0x88, ib: 4096 };
        let p = BtPage::read(&file, Format::Unicode4k, bref, PTYPE_BBT).expect("valid");
        assert_eq!((p.c_ent, p.cb_ent, p.c_level, p.c_ent_max), (100, 24, 1, 169));
        // Wrong type, wrong BID, flipped byte: each an error naming the offset.
        assert!(BtPage::read(&file, Format::Unicode4k, bref, PTYPE_NBT).is_err());
        assert!(BtPage::read(&file, Format::Unicode4k, Bref { bid: 0x8C, ib: 4096 }, PTYPE_BBT).is_err());
        let mut bad = file.clone();
        bad[4096 + 5] ^= 1;
        let err = BtPage::read(&bad, Format::Unicode4k, bref, PTYPE_BBT).unwrap_err();
        assert_eq!(err.offset, 4096);
        assert!(err.reason.contains("dwCRC"), "{err}");
        // Past the end of the file.
        assert!(BtPage::read(&file[..6000], Format::Unicode4k, bref, PTYPE_BBT).is_err());
    }

    #[test]
    fn ansi_trailer_order() {
        let page = build_bt_page(Format::Ansi, PTYPE_BBT, 512, 0x1234, 0, 12, &[vec![1u8; 12]]);
        let t = parse_trailer(&page, Format::Ansi, 512).expect("trailer");
        assert_eq!(t.bid, 0x1234);
        assert_eq!(t.dw_crc, crc32(&page[..500]));
    }

    #[test]
    fn oversized_counts_are_rejected() {
        let mut page = build_bt_page(Format::Unicode, PTYPE_NBT, 512, 4, 0, 32, &[]);
        let meta = BtPageMeta { c_ent: 200, ..BtPageMeta::parse(&page, Format::Unicode).expect("counts") };
        meta.write(&mut page, Format::Unicode); // cEnt 200 x 32 > 488
        PageTrailer::seal(&mut page, Format::Unicode, PTYPE_NBT, 512, 4);
        let file = placed(Format::Unicode, 512, page);
        assert!(BtPage::read(&file, Format::Unicode, Bref { bid: 4, ib: 512 }, PTYPE_NBT).is_err());
    }
}
