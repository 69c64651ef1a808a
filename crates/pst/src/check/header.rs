//! The file header (MS-PST 2.2.2.6) and its `ROOT` (2.2.2.5).
//!
//! The header is read here field by field, without the reader's
//! [`crate::ndb::header::Header`], so that a header the reader refuses (an
//! unknown `bCryptMethod`) is still checked in full.

use super::Ctx;
use crate::error::{u16_at, u32_at, u8_at};
use crate::ndb::crc::crc32;
use crate::raw::{self, Bref, Format};

/// The header fields the check looks at.
#[derive(Clone, Debug)]
pub struct RawHeader {
    /// The layout `wVer` selects.
    pub format: Format,
    /// `wMagicClient`.
    pub magic_client: [u8; 2],
    /// `wVer`.
    pub w_ver: u16,
    /// `wVerClient`.
    pub w_ver_client: u16,
    /// `bPlatformCreate`, `bPlatformAccess`.
    pub platform: [u8; 2],
    /// `bidNextB`: the next block BID.
    pub bid_next_b: u64,
    /// `bidNextP`: the next page BID.
    pub bid_next_p: u64,
    /// `rgnid`: the last `nidIndex` allocated per NID type.
    pub rgnid: [u32; 32],
    /// `ROOT.ibFileEof`.
    pub ib_file_eof: u64,
    /// `ROOT.ibAMapLast`.
    pub ib_amap_last: u64,
    /// `ROOT.cbAMapFree`.
    pub cb_amap_free: u64,
    /// `ROOT.cbPMapFree`.
    pub cb_pmap_free: u64,
    /// `ROOT.BREFNBT`.
    pub bref_nbt: Bref,
    /// `ROOT.BREFBBT`.
    pub bref_bbt: Bref,
    /// `ROOT.fAMapValid`.
    pub f_amap_valid: u8,
    /// `bSentinel`.
    pub b_sentinel: u8,
    /// `bCryptMethod`.
    pub b_crypt_method: u8,
    /// `dwCRCPartial`, as stored and as computed.
    pub crc_partial: (u32, u32),
    /// `dwCRCFull` (Unicode), as stored and as computed.
    pub crc_full: Option<(u32, u32)>,
}

/// Reads the header; the error is (rule, offset, message) when the file is
/// not a store at all.
pub(crate) fn parse(file: &[u8]) -> Result<RawHeader, (&'static str, u64, String)> {
    if file.get(..4) != Some(&raw::DW_MAGIC[..]) {
        let shown: String = file.iter().take(4).map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ");
        return Err(("header.magic", 0, format!("dwMagic is [{shown}], not \"!BDN\": not a PST or OST file")));
    }
    let w_ver = u16_at(file, raw::HEADER_W_VER).ok_or(("header.size", 0, short(file, 14)))?;
    let format = Format::from_wver(w_ver).ok_or((
        "header.version",
        raw::HEADER_W_VER as u64,
        format!("wVer {w_ver} is not a known PST version (14, 15, 23, 36, 37)"),
    ))?;
    let l = format.header();
    // The Unicode CRC covers up to 524, the header itself is 564 bytes.
    if file.len() < l.size {
        return Err(("header.size", 0, short(file, l.size)));
    }
    let id = |at: usize| raw::read_id(file, at, format).unwrap_or(0);
    let u32v = |at: usize| u32_at(file, at).unwrap_or(0);
    let mut rgnid = [0u32; 32];
    for (i, n) in rgnid.iter_mut().enumerate() {
        *n = u32v(l.rgnid + 4 * i);
    }
    let from = raw::HEADER_W_MAGIC_CLIENT;
    let crc_partial = (u32v(raw::HEADER_DW_CRC_PARTIAL), crc32(&file[from..from + raw::HEADER_CRC_PARTIAL_LEN]));
    let crc_full = l.dw_crc_full.map(|at| (u32v(at), crc32(&file[from..from + raw::HEADER_CRC_FULL_LEN])));
    Ok(RawHeader {
        format,
        magic_client: [file[8], file[9]],
        w_ver,
        w_ver_client: u16_at(file, raw::HEADER_W_VER_CLIENT).unwrap_or(0),
        platform: [file[raw::HEADER_B_PLATFORM_CREATE], file[raw::HEADER_B_PLATFORM_CREATE + 1]],
        bid_next_b: id(l.bid_next_b),
        bid_next_p: id(l.bid_next_p),
        rgnid,
        ib_file_eof: id(l.ib_file_eof),
        ib_amap_last: id(l.ib_amap_last),
        cb_amap_free: id(l.cb_amap_free),
        cb_pmap_free: id(l.cb_pmap_free),
        bref_nbt: Bref::parse(&file[l.bref_nbt..], format).unwrap_or_default(),
        bref_bbt: Bref::parse(&file[l.bref_bbt..], format).unwrap_or_default(),
        f_amap_valid: u8_at(file, l.f_amap_valid).unwrap_or(0),
        b_sentinel: file[l.b_sentinel],
        b_crypt_method: file[l.b_crypt_method],
        crc_partial,
        crc_full,
    })
}

fn short(file: &[u8], need: usize) -> String {
    format!("the file has {} bytes, too short for a PST header ({need})", file.len())
}

/// The offset of AMap page `i` ([`Format::section_start`]).
pub(crate) fn amap_at(format: Format, i: u64) -> u64 {
    format.section_start(i)
}

/// Bytes one AMap page maps (MS-PST 2.2.2.7.2: 253,952; 4K: 4072 * 8 * 512).
pub(crate) fn amap_span(format: Format) -> u64 {
    format.section_span()
}

/// How many AMap pages a file of `eof` bytes has.
pub(crate) fn amap_count(format: Format, eof: u64) -> u64 {
    let first = format.amap().first;
    if eof <= first {
        0
    } else {
        (eof - first).div_ceil(amap_span(format))
    }
}

/// The header's own rules: what needs nothing but the header.
pub(crate) fn check(cx: &mut Ctx<'_>) {
    cx.count("HEADER", 1);
    let h = cx.hdr.clone();
    let format = h.format;
    let l = format.header();
    let len = cx.file.len() as u64;
    if !matches!(&h.magic_client, b"SM" | b"SO" | b"AB") {
        cx.report(
            "header.client",
            Some(raw::HEADER_W_MAGIC_CLIENT as u64),
            format!("wMagicClient is {:02X?}, not \"SM\" (PST), \"SO\" (OST) or \"AB\"", h.magic_client),
        );
    }
    // MS-PST 2.2.2.6: wVerClient 19; Outlook's OST fixture carries 12.
    let client_ok = h.w_ver_client == raw::W_VER_CLIENT || h.w_ver_client == 12;
    if !client_ok {
        cx.report(
            "header.version_client",
            Some(raw::HEADER_W_VER_CLIENT as u64),
            format!("wVerClient is {}, not {}", h.w_ver_client, raw::W_VER_CLIENT),
        );
    }
    if h.platform != [raw::B_PLATFORM; 2] {
        cx.report(
            "header.platform",
            Some(raw::HEADER_B_PLATFORM_CREATE as u64),
            format!("bPlatformCreate / bPlatformAccess are {:#04x} / {:#04x}, not 0x01", h.platform[0], h.platform[1]),
        );
    }
    if h.crc_partial.0 != h.crc_partial.1 {
        cx.report(
            "header.crc_partial",
            Some(raw::HEADER_DW_CRC_PARTIAL as u64),
            format!("dwCRCPartial is {:#010x}, computed {:#010x}", h.crc_partial.0, h.crc_partial.1),
        );
    }
    if let (Some((stored, computed)), Some(at)) = (h.crc_full, l.dw_crc_full) {
        if stored != computed {
            cx.report(
                "header.crc_full",
                Some(at as u64),
                format!("dwCRCFull is {stored:#010x}, computed {computed:#010x}"),
            );
        }
    }
    if h.b_sentinel != raw::B_SENTINEL {
        cx.report(
            "header.sentinel",
            Some(l.b_sentinel as u64),
            format!("bSentinel is {:#04x}, not 0x80", h.b_sentinel),
        );
    }
    if cx.crypt.is_none() {
        cx.report(
            "header.crypt",
            Some(l.b_crypt_method as u64),
            format!("bCryptMethod {:#04x} is not 0, 1 or 2: no block can be decoded", h.b_crypt_method),
        );
    }
    if h.ib_file_eof != len {
        let what = if h.ib_file_eof > len { "the file is truncated" } else { "bytes follow the end" };
        cx.report(
            "header.eof",
            Some(l.ib_file_eof as u64),
            format!("ibFileEof is {} but the file has {len} bytes ({what})", h.ib_file_eof),
        );
    }
    let n = amap_count(format, h.ib_file_eof);
    let last = n.checked_sub(1).map(|i| amap_at(format, i));
    if last != Some(h.ib_amap_last) {
        let want = last.map_or("none (the file ends before the first AMap)".to_string(), |o| o.to_string());
        cx.report(
            "header.amap_last",
            Some(l.ib_amap_last as u64),
            format!("ibAMapLast is {}, the last AMap before ibFileEof {} is at {want}", h.ib_amap_last, h.ib_file_eof),
        );
    }
    match h.f_amap_valid {
        0 => cx.report(
            "header.amap_invalid",
            Some(l.f_amap_valid as u64),
            "fAMapValid is 0 (INVALID_AMAP): the allocation maps are not trusted; Outlook rebuilds them".into(),
        ),
        1 | 2 => {}
        v => cx.report(
            "header.amap_valid",
            Some(l.f_amap_valid as u64),
            format!("fAMapValid is {v:#04x}, not 0x00, 0x01 or 0x02"),
        ),
    }
    let page = format.page_size() as u64;
    for (name, bref, at) in [("BREFNBT", h.bref_nbt, l.bref_nbt), ("BREFBBT", h.bref_bbt, l.bref_bbt)] {
        let inside = bref.ib >= format.amap().first && bref.ib.checked_add(page).is_some_and(|e| e <= len);
        if !inside || bref.ib % page != 0 {
            cx.report(
                "header.root",
                Some(at as u64),
                format!(
                    "{name} is at {} (bid {:#x}): not a {page}-byte page inside the data of a {len}-byte file",
                    bref.ib, bref.bid
                ),
            );
        }
    }
}

/// The counters that need the B-trees walked: `bidNextB`, `bidNextP`, `rgnid`.
pub(crate) fn check_counters(cx: &mut Ctx<'_>) {
    let h = cx.hdr.clone();
    let l = h.format.header();
    let (next_b_at, next_p_at, rgnid_at) = (l.bid_next_b, l.bid_next_p, l.rgnid);
    // MS-PST 2.2.2.6: bidNextB is the BID the next block gets, bidNextP the
    // next page's; both only grow, so every BID in use is below them.
    if let Some(b) = cx.bbt.values().max_by_key(|b| raw::Bid(b.bid).key()) {
        if raw::Bid(b.bid).key() >= h.bid_next_b {
            cx.report(
                "header.bid_next",
                Some(next_b_at as u64),
                format!("bidNextB is {:#x} but the BBT holds block {:#x}", h.bid_next_b, b.bid),
            );
        }
    }
    if let Some(p) = cx.pages.iter().max_by_key(|p| raw::Bid(p.bid).key()) {
        if raw::Bid(p.bid).key() >= h.bid_next_p {
            cx.report(
                "header.bid_next",
                Some(next_p_at as u64),
                format!("bidNextP is {:#x} but the page at {} has BID {:#x}", h.bid_next_p, p.ib, p.bid),
            );
        }
    }
    // rgnid[t]: the last nidIndex handed out for type t; every node's index
    // is at most that (MS-PST 2.2.2.6).
    let mut worst: [Option<(u32, u32)>; 32] = [None; 32];
    for e in &cx.nbt {
        let n = raw::Nid(e.nid);
        let t = usize::from(n.nid_type());
        if worst[t].is_none_or(|(i, _)| n.index() > i) {
            worst[t] = Some((n.index(), e.nid));
        }
    }
    for (t, w) in worst.iter().enumerate() {
        if let Some((index, nid)) = *w {
            if index > h.rgnid[t] {
                cx.report(
                    "header.rgnid",
                    Some((rgnid_at + 4 * t) as u64),
                    format!("rgnid[{t:#04x}] is {:#x} but node {nid:#x} has nidIndex {index:#x}", h.rgnid[t]),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amap_counts() {
        assert_eq!(amap_count(Format::Unicode, 0x4400), 0);
        assert_eq!(amap_count(Format::Unicode, 271_360), 1);
        assert_eq!(amap_count(Format::Unicode, 271_361), 2);
        assert_eq!(amap_count(Format::Ansi, 32_768), 1);
    }
}
