//! Pages (MS-PST 2.2.2.7): fixed-size units holding the B-trees and the
//! allocation maps. Only B-tree pages (`BTPAGE`) are read here.

use super::crc::crc32;
use super::header::{read_ib, Bref, Format};
use crate::error::{u16_at, u32_at, u8_at, CResult, Corrupt};

/// `ptypeBBT`: a page of the block B-tree.
pub const PTYPE_BBT: u8 = 0x80;
/// `ptypeNBT`: a page of the node B-tree.
pub const PTYPE_NBT: u8 = 0x81;

/// `PAGETRAILER` (MS-PST 2.2.2.7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageTrailer {
    /// `ptype`.
    pub ptype: u8,
    /// `ptypeRepeat`: must equal `ptype`.
    pub ptype_repeat: u8,
    /// `wSig`: for B-tree pages, [`compute_sig`] of the page's offset and BID.
    pub w_sig: u16,
    /// `dwCRC`: CRC of the page bytes before the trailer.
    pub dw_crc: u32,
    /// `bid`: the page's BID, which must match the BREF that led here.
    pub bid: u64,
}

/// MS-PST 5.5 `ComputeSig(ib, bid)`.
pub fn compute_sig(ib: u64, bid: u64) -> u16 {
    let x = ib ^ bid;
    ((x >> 16) as u16) ^ (x as u16)
}

impl PageTrailer {
    /// Reads the trailer at the end of `page` (which must be a whole page).
    pub fn parse(page: &[u8], format: Format, offset: u64) -> CResult<PageTrailer> {
        let at = format.page_size() - format.page_trailer_size();
        let bad = || Corrupt::new("PAGETRAILER", offset, "page is shorter than a page");
        if page.len() != format.page_size() {
            return Err(bad());
        }
        let ptype = u8_at(page, at).ok_or_else(bad)?;
        let ptype_repeat = u8_at(page, at + 1).ok_or_else(bad)?;
        let w_sig = u16_at(page, at + 2).ok_or_else(bad)?;
        let (dw_crc, bid) = match format {
            // ANSI: bid (4) then dwCRC (4).
            Format::Ansi => (u32_at(page, at + 8).ok_or_else(bad)?, read_ib(page, at + 4, format).ok_or_else(bad)?),
            // Unicode and 4K: dwCRC (4) then bid (8); 4K adds 8 unknown bytes.
            _ => (u32_at(page, at + 4).ok_or_else(bad)?, read_ib(page, at + 8, format).ok_or_else(bad)?),
        };
        Ok(PageTrailer { ptype, ptype_repeat, w_sig, dw_crc, bid })
    }
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
    let size = format.page_size();
    let start = usize::try_from(bref.ib).ok().filter(|&s| s > 0);
    let page = start.and_then(|s| file.get(s..s.checked_add(size)?)).ok_or_else(|| {
        Corrupt::new(structure, bref.ib, format!("page at {} is outside the file ({} bytes)", bref.ib, file.len()))
    })?;
    let t = PageTrailer::parse(page, format, bref.ib)?;
    if t.ptype != ptype || t.ptype_repeat != ptype {
        return Err(Corrupt::new(
            structure,
            bref.ib,
            format!("ptype {:#04x}/{:#04x}, expected {ptype:#04x}", t.ptype, t.ptype_repeat),
        ));
    }
    if t.bid & !1 != bref.bid & !1 {
        return Err(Corrupt::new(structure, bref.ib, format!("page BID {:#x}, expected {:#x}", t.bid, bref.bid)));
    }
    let covered = size - format.page_trailer_size();
    let crc = crc32(&page[..covered]);
    if crc != t.dw_crc {
        return Err(Corrupt::new(structure, bref.ib, format!("page dwCRC {:#010x}, computed {crc:#010x}", t.dw_crc)));
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
        const S: &str = "BTPAGE";
        let (page, trailer) = read_page(file, format, bref, ptype, S)?;
        let off = bref.ib;
        let (area, c_ent, c_ent_max, cb_ent, c_level) = match format {
            // ANSI: rgentries[496], cEnt, cEntMax, cbEnt, cLevel (one byte each).
            Format::Ansi => (496, page[496] as usize, page[497] as usize, page[498] as usize, page[499]),
            // Unicode: rgentries[488], cEnt, cEntMax, cbEnt, cLevel, dwPadding.
            Format::Unicode => (488, page[488] as usize, page[489] as usize, page[490] as usize, page[491]),
            // 4K (libpff): rgentries[4056], cEnt (2), cEntMax (2), cbEnt, cLevel.
            Format::Unicode4k => (
                4056,
                u16_at(page, 4056).unwrap_or(0) as usize,
                u16_at(page, 4058).unwrap_or(0) as usize,
                page[4060] as usize,
                page[4061],
            ),
        };
        let w = format.bid_size();
        let min = if c_level > 0 {
            2 * w + w // BTENTRY: btkey + BREF
        } else if ptype == PTYPE_NBT {
            4 * w // NBTENTRY (ANSI 16, Unicode 32)
        } else {
            2 * w + 4 // BBTENTRY: BREF, cb, cRef
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
        let sig_ok = [bref.bid, bref.bid & !1, bref.bid | 1, trailer.bid]
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
        let size = format.page_size();
        let mut p = vec![0u8; size];
        let mut at = 0;
        for e in entries {
            p[at..at + e.len()].copy_from_slice(e);
            at += cb_ent;
        }
        let n = entries.len();
        match format {
            Format::Ansi => {
                p[496] = n as u8;
                p[497] = (496 / cb_ent) as u8;
                p[498] = cb_ent as u8;
                p[499] = c_level;
            }
            Format::Unicode => {
                p[488] = n as u8;
                p[489] = (488 / cb_ent) as u8;
                p[490] = cb_ent as u8;
                p[491] = c_level;
            }
            Format::Unicode4k => {
                p[4056..4058].copy_from_slice(&(n as u16).to_le_bytes());
                p[4058..4060].copy_from_slice(&((4056 / cb_ent) as u16).to_le_bytes());
                p[4060] = cb_ent as u8;
                p[4061] = c_level;
            }
        }
        let t = size - format.page_trailer_size();
        p[t] = ptype;
        p[t + 1] = ptype;
        p[t + 2..t + 4].copy_from_slice(&compute_sig(ib, bid).to_le_bytes());
        let crc = crc32(&p[..t]);
        match format {
            Format::Ansi => {
                p[t + 4..t + 8].copy_from_slice(&(bid as u32).to_le_bytes());
                p[t + 8..t + 12].copy_from_slice(&crc.to_le_bytes());
            }
            _ => {
                p[t + 4..t + 8].copy_from_slice(&crc.to_le_bytes());
                p[t + 8..t + 16].copy_from_slice(&bid.to_le_bytes());
            }
        }
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
        let t = PageTrailer::parse(&page, Format::Ansi, 512).expect("trailer");
        assert_eq!(t.bid, 0x1234);
        assert_eq!(t.dw_crc, crc32(&page[..500]));
    }

    #[test]
    fn oversized_counts_are_rejected() {
        let mut page = build_bt_page(Format::Unicode, PTYPE_NBT, 512, 4, 0, 32, &[]);
        page[488] = 200; // cEnt 200 x 32 > 488
        let t = 512 - 16;
        let crc = crc32(&page[..t]);
        page[t + 4..t + 8].copy_from_slice(&crc.to_le_bytes());
        let file = placed(Format::Unicode, 512, page);
        assert!(BtPage::read(&file, Format::Unicode, Bref { bid: 4, ib: 512 }, PTYPE_NBT).is_err());
    }
}
