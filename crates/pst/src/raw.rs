//! The on-disk layouts of the node database, defined once for the three
//! formats: ANSI (`wVer` 14, 15), Unicode (`wVer` 23) and the Unicode
//! 4K-page OST of Outlook 2013 and later (`wVer` 36, 37).
//!
//! Sizes and field offsets are plain constants; the fixed structures
//! (page trailer, block trailer, `BREF`, B-tree entries, the headers of
//! B-tree pages, XBLOCKs and subnode blocks) are small structs that
//! `parse` from and `write` into a byte buffer, little-endian, without any
//! check beyond bounds. What the values mean, and whether they agree with
//! each other, is for the reader ([`crate::ndb`]) to decide; the test
//! builders (and later the writer) encode through the same structs.
//!
//! Section numbers are those of [MS-PST]. The 4K layout is not in MS-PST;
//! it follows libpff's "Personal Folder File (PFF) format" documentation
//! (`pff_block_footer_64bit_4k_page`, `pff_index_node_64bit_4k_page_footer`).
//!
//! [MS-PST]: https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/

use crate::error::{u16_at as get_u16, u32_at as get_u32, u64_at as get_u64, u8_at as get_u8};
use crate::ndb::crc::crc32;

// ---------------------------------------------------------------------------
// Little-endian access (reads: the bounds-checked readers of `crate::error`)
// ---------------------------------------------------------------------------

fn put(b: &mut [u8], at: usize, v: &[u8]) {
    b[at..at + v.len()].copy_from_slice(v);
}

/// Reads a BID, IB or NID field of the format's width ([`Format::id_size`]):
/// 4 bytes in ANSI files, 8 otherwise.
pub fn read_id(b: &[u8], at: usize, format: Format) -> Option<u64> {
    if format.is_unicode() {
        get_u64(b, at)
    } else {
        get_u32(b, at).map(u64::from)
    }
}

/// Writes a BID, IB or NID field of the format's width (ANSI: the low 32
/// bits). Panics if `b` is shorter than `at + id_size`.
pub fn write_id(b: &mut [u8], at: usize, format: Format, v: u64) {
    if format.is_unicode() {
        put(b, at, &v.to_le_bytes());
    } else {
        put(b, at, &(v as u32).to_le_bytes());
    }
}

// ---------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------

/// `NID` (MS-PST 2.2.2.1): `nidType` in the low 5 bits, `nidIndex` above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Nid(pub u32);

impl Nid {
    /// A NID of `nid_type` (5 bits) and `index` (27 bits).
    pub const fn new(nid_type: u8, index: u32) -> Nid {
        Nid((index << 5) | (nid_type as u32 & 0x1F))
    }

    /// `nidType`.
    pub const fn nid_type(self) -> u8 {
        (self.0 & 0x1F) as u8
    }

    /// `nidIndex`.
    pub const fn index(self) -> u32 {
        self.0 >> 5
    }

    /// The NID with the same index and another type (a folder's hierarchy,
    /// contents and associated contents tables share its index).
    pub const fn with_type(self, nid_type: u8) -> Nid {
        Nid::new(nid_type, self.index())
    }
}

impl From<u32> for Nid {
    fn from(v: u32) -> Nid {
        Nid(v)
    }
}

impl From<Nid> for u32 {
    fn from(n: Nid) -> u32 {
        n.0
    }
}

/// `BID` (MS-PST 2.2.2.2): bit 0 reserved, bit 1 `fInternal`, the index
/// above. 32 bits wide in ANSI files, 64 otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bid(pub u64);

impl Bid {
    /// The reserved bit (bit 0): some writers set it; lookups ignore it.
    pub const RESERVED: u64 = 0x1;
    /// `fInternal` (bit 1): the block is an XBLOCK, XXBLOCK, SLBLOCK or
    /// SIBLOCK, never encoded.
    pub const INTERNAL: u64 = 0x2;
    /// BIDs of consecutive blocks differ by this: the two flag bits.
    pub const STEP: u64 = 0x4;

    /// True if `fInternal` is set.
    pub const fn is_internal(self) -> bool {
        self.0 & Bid::INTERNAL != 0
    }

    /// The BID with the reserved bit cleared: the key B-tree lookups and
    /// comparisons use.
    pub const fn key(self) -> u64 {
        self.0 & !Bid::RESERVED
    }

    /// `bidIndex`: the BID without its two flag bits.
    pub const fn index(self) -> u64 {
        self.0 >> 2
    }
}

impl From<u64> for Bid {
    fn from(v: u64) -> Bid {
        Bid(v)
    }
}

impl From<Bid> for u64 {
    fn from(b: Bid) -> u64 {
        b.0
    }
}

/// `HID` (MS-PST 2.3.1.1): an allocation on a heap-on-node. `hidType` (low
/// 5 bits, 0 for a HID), `hidIndex` (11 bits, 1-based), `hidBlockIndex`
/// (16 bits: which block of the node's data tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hid(pub u32);

impl Hid {
    /// The HID of allocation `index` (1-based) in data block `block`.
    pub const fn new(index: u16, block: u16) -> Hid {
        Hid(((block as u32) << 16) | (((index as u32) & 0x7FF) << 5))
    }

    /// `hidType`: 0 for a HID; anything else makes an HNID a NID.
    pub const fn hid_type(self) -> u8 {
        (self.0 & 0x1F) as u8
    }

    /// `hidIndex`: 1-based index into the block's allocation table.
    pub const fn index(self) -> u16 {
        ((self.0 >> 5) & 0x7FF) as u16
    }

    /// `hidBlockIndex`: the data block holding the allocation.
    pub const fn block_index(self) -> u16 {
        (self.0 >> 16) as u16
    }
}

impl From<u32> for Hid {
    fn from(v: u32) -> Hid {
        Hid(v)
    }
}

impl From<Hid> for u32 {
    fn from(h: Hid) -> u32 {
        h.0
    }
}

/// MS-PST 5.5 `ComputeSig(ib, bid)`: the `wSig` of page and block trailers.
pub fn compute_sig(ib: u64, bid: u64) -> u16 {
    let x = ib ^ bid;
    ((x >> 16) as u16) ^ (x as u16)
}

// ---------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------

/// Which of the on-disk layouts the file uses, from `wVer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `wVer` 14 or 15: 32-bit BIDs and offsets, 512-byte pages.
    Ansi,
    /// `wVer` 23 (and 21): 64-bit BIDs and offsets, 512-byte pages.
    Unicode,
    /// `wVer` 36 or 37 (OST of Outlook 2013 and later): Unicode with 4096-byte
    /// pages, a 24-byte page and block trailer, blocks aligned to 512 bytes
    /// and data blocks that may be zlib-compressed.
    Unicode4k,
}

/// `wVer` this crate writes for ANSI files (MS-PST 2.2.2.6: 14 or 15).
pub const W_VER_ANSI: u16 = 14;
/// `wVer` of Unicode files (MS-PST 2.2.2.6: 23).
pub const W_VER_UNICODE: u16 = 23;
/// `wVer` of 4K-page OSTs (libpff: 36 or 37).
pub const W_VER_UNICODE_4K: u16 = 36;

impl Format {
    /// The format for a `wVer`, if known.
    pub fn from_wver(w_ver: u16) -> Option<Self> {
        match w_ver {
            14 | 15 => Some(Format::Ansi),
            // 21 is written by some recovery tools with the Unicode layout.
            21 | 23 => Some(Format::Unicode),
            36 | 37 => Some(Format::Unicode4k),
            _ => None,
        }
    }

    /// The `wVer` a writer puts in the header of this format.
    pub fn w_ver(self) -> u16 {
        match self {
            Format::Ansi => W_VER_ANSI,
            Format::Unicode => W_VER_UNICODE,
            Format::Unicode4k => W_VER_UNICODE_4K,
        }
    }

    /// True for the layouts with 64-bit BIDs.
    pub fn is_unicode(self) -> bool {
        self != Format::Ansi
    }

    /// Size of a BID, IB or NID field: 4 for ANSI, 8 otherwise.
    pub fn id_size(self) -> usize {
        if self.is_unicode() {
            8
        } else {
            4
        }
    }

    /// Size of a BID or file offset (`IB`): the same as [`Format::id_size`].
    pub fn bid_size(self) -> usize {
        self.id_size()
    }

    /// The header layout: ANSI, or Unicode (also used by 4K files).
    pub fn header(self) -> &'static HeaderLayout {
        if self.is_unicode() {
            &HEADER_UNICODE
        } else {
            &HEADER_ANSI
        }
    }

    /// The page layout (sizes, trailer, `BTPAGE` counts).
    pub fn page(self) -> &'static PageLayout {
        match self {
            Format::Ansi => &PAGE_ANSI,
            Format::Unicode => &PAGE_UNICODE,
            Format::Unicode4k => &PAGE_4K,
        }
    }

    /// The block layout (alignment, largest size, trailer).
    pub fn block(self) -> &'static BlockLayout {
        match self {
            Format::Ansi => &BLOCK_ANSI,
            Format::Unicode => &BLOCK_UNICODE,
            Format::Unicode4k => &BLOCK_4K,
        }
    }

    /// Size of a page (MS-PST 2.2.2.7).
    pub fn page_size(self) -> usize {
        self.page().size
    }

    /// Size of `PAGETRAILER` (MS-PST 2.2.2.7.1).
    pub fn page_trailer_size(self) -> usize {
        self.page().trailer_size
    }

    /// Size of `BLOCKTRAILER` (MS-PST 2.2.2.8.1).
    pub fn block_trailer_size(self) -> usize {
        self.block().trailer_size
    }

    /// Blocks start and end on this boundary: 64 bytes (MS-PST 2.2.2.8),
    /// 512 in 4K files.
    pub fn block_alignment(self) -> usize {
        self.block().alignment
    }

    /// The largest block including its trailer: 8192 (MS-PST 2.2.2.8);
    /// 65536 in 4K files (see [`Format::max_block_data`]).
    pub fn max_block_size(self) -> usize {
        self.block().max_size
    }

    /// The most data one block holds, the largest block less its trailer:
    /// the one definition the NDB writer (blocks, data trees, subnode
    /// blocks) and the LTP builders (heap blocks, row-matrix blocks) use.
    ///
    /// - ANSI 8,180 and Unicode 8,176 bytes: MS-PST 2.2.2.8 ("the maximum
    ///   size of any block is 8 kilobytes (8192 bytes)") less the 12- or
    ///   16-byte `BLOCKTRAILER` (2.2.2.8.1); 8,176 is also the size
    ///   MS-PST 2.2.2.8.3.2 gives every data-tree leaf but the last.
    /// - 4K 65,512 bytes (0xFFE8), of data before compression: no spec
    ///   covers the layout. The two reverse engineerings of Outlook 2013
    ///   OSTs agree on 65,536-byte blocks with a 24-byte trailer: the
    ///   mythicsoft note "OST 2013 File Format - The missing documentation"
    ///   (2015: "block sizes increased in size from 8192 bytes to 65536
    ///   (max data is actually 0xffe8 ...)"), and libpff
    ///   (`libpff_data_block.c`: `maximum_data_block_size = 65536` with
    ///   the 24-byte `pff_block_footer_64bit_4k_page_t`; its format
    ///   document, "The 64-bit 4k page block": "likely maximum size of 8 x
    ///   8192 = 65536 bytes"). Both sizes in a 4K block (`cb` and
    ///   `cbInflated`) are 16-bit, which 65,512 fits. XstReader (Dijji,
    ///   whose users read real Outlook 2013+ OSTs: `NDB.cs` `BlockSize4K =
    ///   65536`, `LTP.cs` rows per row-matrix block `(65536 - 24) / row
    ///   width`) and java pstreader (jmcleodfoss, after the same note)
    ///   size row-matrix blocks by it too; libpst (readpst) does not (it
    ///   steps row matrices at 8,176 bytes in every format, `libpst.c`
    ///   `ind2_max_block_size`), a limit of that reader that
    ///   tests/pst_write_4k.rs shows.
    pub fn max_block_data(self) -> usize {
        self.max_block_size() - self.block_trailer_size()
    }

    /// The largest file a writer makes: 2 GiB for ANSI, whose 32-bit `IB`
    /// (MS-PST 2.2.1.2) would reach 4 GiB, but 2 GB is the ANSI file's
    /// size limit in Outlook 97-2002 (the Library of Congress format
    /// description fdd000378: "the PST_ANSI overall size limit of 2
    /// gigabytes"), and it keeps every offset positive for readers that
    /// hold one in a signed 32-bit integer. The layout has no limit
    /// otherwise (64-bit `IB`s); the writer keeps a block's offset in 32
    /// bits of its alignment, which reach 256 GiB (Unicode) and 2 TiB (4K),
    /// five times and more Outlook's largest store (50 GB).
    pub fn max_file_size(self) -> u64 {
        match self {
            Format::Ansi => 1 << 31,
            Format::Unicode => 1 << 38,
            Format::Unicode4k => 1 << 41,
        }
    }

    /// The bytes a block with `cb` bytes of data occupies in the file:
    /// data, padding and trailer, rounded up to the alignment.
    pub fn block_size(self, cb: usize) -> usize {
        let a = self.block_alignment();
        (cb + self.block_trailer_size()).div_ceil(a) * a
    }

    /// Size of a `BTENTRY` (MS-PST 2.2.2.7.7.2): 12 or 24.
    pub fn bt_entry_size(self) -> usize {
        3 * self.id_size()
    }

    /// Size of a `BBTENTRY` (MS-PST 2.2.2.7.7.3): 12 (ANSI), 24 (with the
    /// Unicode `dwPadding`).
    pub fn bbt_entry_size(self) -> usize {
        if self.is_unicode() {
            24
        } else {
            12
        }
    }

    /// Size of an `NBTENTRY` (MS-PST 2.2.2.7.7.4): 16 (ANSI), 32 (with the
    /// Unicode `dwPadding`).
    pub fn nbt_entry_size(self) -> usize {
        4 * self.id_size()
    }
}

// ---------------------------------------------------------------------------
// HEADER (MS-PST 2.2.2.6) and ROOT (2.2.2.5)
// ---------------------------------------------------------------------------

/// `dwMagic`: "!BDN".
pub const DW_MAGIC: [u8; 4] = *b"!BDN";
/// `wMagicClient` of a PST: "SM".
pub const MAGIC_CLIENT_PST: [u8; 2] = *b"SM";
/// `wMagicClient` of an OST: "SO".
pub const MAGIC_CLIENT_OST: [u8; 2] = *b"SO";
/// `wMagicClient` of a personal address book: "AB".
pub const MAGIC_CLIENT_PAB: [u8; 2] = *b"AB";
/// `wVerClient` Outlook writes (MS-PST 2.2.2.6: 19).
pub const W_VER_CLIENT: u16 = 19;
/// `bSentinel`: 0x80.
pub const B_SENTINEL: u8 = 0x80;
/// Offset of `bPlatformCreate`; `bPlatformAccess` follows.
pub const HEADER_B_PLATFORM_CREATE: usize = 14;
/// `bPlatformCreate` and `bPlatformAccess` (MS-PST 2.2.2.6: "MUST be set to 0x01").
pub const B_PLATFORM: u8 = 0x01;
/// `fAMapValid` `VALID_AMAP2` (MS-PST 2.2.2.5): the AMaps are valid.
pub const VALID_AMAP2: u8 = 0x02;
/// `nidType`s whose counter in `rgnid` does not start at 0x400 (MS-PST
/// 2.2.2.6: NID_TYPE_SEARCH_FOLDER, NID_TYPE_NORMAL_MESSAGE and
/// NID_TYPE_ASSOC_MESSAGE), with the value a new file starts them at.
const RGNID_STARTS: [(u8, u32); 3] = [(0x03, 0x4000), (0x04, 0x1_0000), (0x08, 0x8000)];

/// The value `rgnid[nid_type]` of a new file (MS-PST 2.2.2.6): 0x4000
/// for search folders, 0x10000 for messages, 0x8000 for associated
/// messages, 0x400 for every other type.
pub fn rgnid_start(nid_type: u8) -> u32 {
    RGNID_STARTS.iter().find(|s| s.0 == nid_type).map_or(0x400, |s| s.1)
}

/// Offset of `dwMagic` in every header.
pub const HEADER_DW_MAGIC: usize = 0;
/// Offset of `dwCRCPartial`.
pub const HEADER_DW_CRC_PARTIAL: usize = 4;
/// Offset of `wMagicClient`: also where both header CRCs start.
pub const HEADER_W_MAGIC_CLIENT: usize = 8;
/// Offset of `wVer`.
pub const HEADER_W_VER: usize = 10;
/// Offset of `wVerClient`.
pub const HEADER_W_VER_CLIENT: usize = 12;
/// `dwCRCPartial` covers this many bytes from `wMagicClient`.
pub const HEADER_CRC_PARTIAL_LEN: usize = 471;
/// `dwCRCFull` (Unicode) covers this many bytes from `wMagicClient`.
pub const HEADER_CRC_FULL_LEN: usize = 516;

/// Where a header's format-dependent fields are. Offsets are absolute
/// (from the start of the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderLayout {
    /// Bytes of the header structure: 512 (ANSI), 564 (Unicode).
    pub size: usize,
    /// `root`: the `ROOT` structure (MS-PST 2.2.2.5).
    pub root: usize,
    /// `ROOT.ibFileEof`.
    pub ib_file_eof: usize,
    /// `ROOT.ibAMapLast`.
    pub ib_amap_last: usize,
    /// `ROOT.BREFNBT`.
    pub bref_nbt: usize,
    /// `ROOT.BREFBBT`.
    pub bref_bbt: usize,
    /// `ROOT.fAMapValid`.
    pub f_amap_valid: usize,
    /// `bSentinel`.
    pub b_sentinel: usize,
    /// `bCryptMethod`.
    pub b_crypt_method: usize,
    /// `dwCRCFull` (Unicode only).
    pub dw_crc_full: Option<usize>,
    /// `bidNextB`: the next BID of a block.
    pub bid_next_b: usize,
    /// `bidNextP`: the next BID of a page.
    pub bid_next_p: usize,
    /// `dwUnique`.
    pub dw_unique: usize,
    /// `rgnid[32]`: one `nidIndex` high-water mark per `nidType` (4 bytes each).
    pub rgnid: usize,
    /// `ROOT.cbAMapFree`.
    pub cb_amap_free: usize,
    /// `ROOT.cbPMapFree`.
    pub cb_pmap_free: usize,
    /// `rgbFM[128]`: the deprecated initial FMap.
    pub rgb_fm: usize,
    /// `rgbFP[128]`: the deprecated initial FPMap.
    pub rgb_fp: usize,
}

/// HEADER, ANSI (MS-PST 2.2.2.6.1): bidNextB 24, bidNextP 28, dwUnique 32,
/// rgnid 36, `ROOT` at 164 (ibFileEof +4, ibAMapLast +8, cbAMapFree +12,
/// cbPMapFree +16, BREFNBT +20, BREFBBT +28, fAMapValid +36), rgbFM 204,
/// rgbFP 332.
pub const HEADER_ANSI: HeaderLayout = HeaderLayout {
    size: 512,
    root: 164,
    ib_file_eof: 164 + 4,
    ib_amap_last: 164 + 8,
    bref_nbt: 164 + 20,
    bref_bbt: 164 + 28,
    f_amap_valid: 164 + 36,
    b_sentinel: 460,
    b_crypt_method: 461,
    dw_crc_full: None,
    bid_next_b: 24,
    bid_next_p: 28,
    dw_unique: 32,
    rgnid: 36,
    cb_amap_free: 164 + 12,
    cb_pmap_free: 164 + 16,
    rgb_fm: 204,
    rgb_fp: 332,
};

/// HEADER, Unicode (MS-PST 2.2.2.6.2), also that of 4K files: bidUnused
/// 24, bidNextP 32, dwUnique 40, rgnid 44, `ROOT` at 180 (ibFileEof +4,
/// ibAMapLast +12, cbAMapFree +20, cbPMapFree +28, BREFNBT +36, BREFBBT +52,
/// fAMapValid +68), rgbFM 256, rgbFP 384, bidNextB 516.
pub const HEADER_UNICODE: HeaderLayout = HeaderLayout {
    size: 564,
    root: 180,
    ib_file_eof: 180 + 4,
    ib_amap_last: 180 + 12,
    bref_nbt: 180 + 36,
    bref_bbt: 180 + 52,
    f_amap_valid: 180 + 68,
    b_sentinel: 512,
    b_crypt_method: 513,
    dw_crc_full: Some(524),
    bid_next_b: 516,
    bid_next_p: 32,
    dw_unique: 40,
    rgnid: 44,
    cb_amap_free: 180 + 20,
    cb_pmap_free: 180 + 28,
    rgb_fm: 256,
    rgb_fp: 384,
};

/// The header fields a reader needs and a writer must fill in. Encoding
/// also writes `dwMagic`, `bSentinel` and both CRCs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderFields {
    /// `wMagicClient`.
    pub magic_client: [u8; 2],
    /// `wVer`.
    pub w_ver: u16,
    /// `wVerClient`.
    pub w_ver_client: u16,
    /// `ROOT.ibFileEof`.
    pub ib_file_eof: u64,
    /// `ROOT.BREFNBT`.
    pub bref_nbt: Bref,
    /// `ROOT.BREFBBT`.
    pub bref_bbt: Bref,
    /// `bCryptMethod`.
    pub b_crypt_method: u8,
}

// Both header CRCs must cover bCryptMethod, and dwCRCFull follows the
// bytes it covers.
const _: () = assert!(HEADER_ANSI.b_crypt_method < HEADER_W_MAGIC_CLIENT + HEADER_CRC_PARTIAL_LEN);
const _: () = assert!(HEADER_UNICODE.b_crypt_method < HEADER_W_MAGIC_CLIENT + HEADER_CRC_FULL_LEN);

/// The header fields beyond [`HeaderFields`] that a writer sets: the
/// allocation counters, the `ROOT` map fields, the initial maps and the
/// platform bytes (MS-PST 2.2.2.5, 2.2.2.6). [`Default`] is all zeros, what
/// [`HeaderFields::encode`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderState {
    /// `bPlatformCreate`: [`B_PLATFORM`] in a written file.
    pub b_platform_create: u8,
    /// `bPlatformAccess`: [`B_PLATFORM`] in a written file.
    pub b_platform_access: u8,
    /// `bidNextB`: above every block BID in the file.
    pub bid_next_b: u64,
    /// `bidNextP`: above every page BID in the file.
    pub bid_next_p: u64,
    /// `dwUnique`.
    pub dw_unique: u32,
    /// `rgnid`: per `nidType`, the highest `nidIndex` allocated.
    pub rgnid: [u32; 32],
    /// `ROOT.ibAMapLast`: offset of the last AMap page.
    pub ib_amap_last: u64,
    /// `ROOT.cbAMapFree`: free bytes the AMaps show.
    pub cb_amap_free: u64,
    /// `ROOT.cbPMapFree`: free bytes the (deprecated) PMaps show.
    pub cb_pmap_free: u64,
    /// `ROOT.fAMapValid`: [`VALID_AMAP2`] in a written file.
    pub f_amap_valid: u8,
    /// `rgbFM`: per section of the first 128, the longest run of free
    /// units in its AMap, at most 255 (MS-PST 2.2.2.7.5).
    pub rgb_fm: [u8; HEADER_RGB_FM_LEN],
    /// `rgbFP`: one bit per PMap of the first 1,024 (MS-PST 2.2.2.7.6).
    pub rgb_fp: [u8; HEADER_RGB_FM_LEN],
}

impl Default for HeaderState {
    fn default() -> Self {
        HeaderState {
            b_platform_create: 0,
            b_platform_access: 0,
            bid_next_b: 0,
            bid_next_p: 0,
            dw_unique: 0,
            rgnid: [0; 32],
            ib_amap_last: 0,
            cb_amap_free: 0,
            cb_pmap_free: 0,
            f_amap_valid: 0,
            rgb_fm: [0; HEADER_RGB_FM_LEN],
            rgb_fp: [0; HEADER_RGB_FM_LEN],
        }
    }
}

impl HeaderState {
    /// Reads the fields from a header of `format` (`h` at least
    /// [`HeaderLayout::size`] bytes).
    pub fn parse(h: &[u8], format: Format) -> Option<HeaderState> {
        let l = format.header();
        let map = |at: usize| -> Option<[u8; HEADER_RGB_FM_LEN]> { h.get(at..at + HEADER_RGB_FM_LEN)?.try_into().ok() };
        let mut rgnid = [0u32; 32];
        for (i, n) in rgnid.iter_mut().enumerate() {
            *n = get_u32(h, l.rgnid + 4 * i)?;
        }
        Some(HeaderState {
            b_platform_create: get_u8(h, HEADER_B_PLATFORM_CREATE)?,
            b_platform_access: get_u8(h, HEADER_B_PLATFORM_CREATE + 1)?,
            bid_next_b: read_id(h, l.bid_next_b, format)?,
            bid_next_p: read_id(h, l.bid_next_p, format)?,
            dw_unique: get_u32(h, l.dw_unique)?,
            rgnid,
            ib_amap_last: read_id(h, l.ib_amap_last, format)?,
            cb_amap_free: read_id(h, l.cb_amap_free, format)?,
            cb_pmap_free: read_id(h, l.cb_pmap_free, format)?,
            f_amap_valid: get_u8(h, l.f_amap_valid)?,
            rgb_fm: map(l.rgb_fm)?,
            rgb_fp: map(l.rgb_fp)?,
        })
    }
}

/// Bytes of `rgbFM` and of `rgbFP` (MS-PST 2.2.2.6).
pub const HEADER_RGB_FM_LEN: usize = 128;

impl HeaderFields {
    /// The header's bytes ([`HeaderLayout::size`] of them) with correct
    /// `dwCRCPartial` and (Unicode) `dwCRCFull`; the format comes from `wVer`
    /// (unknown versions are written with the Unicode layout). Everything
    /// of [`HeaderState`] is zero.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_with(&HeaderState::default())
    }

    /// The header's bytes, as [`HeaderFields::encode`], with `state`'s
    /// counters and map fields too. The reserved fields stay zero, as
    /// MS-PST 2.2.2.6 asks of a new file.
    pub fn encode_with(&self, state: &HeaderState) -> Vec<u8> {
        let format = Format::from_wver(self.w_ver).unwrap_or(Format::Unicode);
        let l = format.header();
        let mut h = vec![0u8; l.size];
        put(&mut h, HEADER_DW_MAGIC, &DW_MAGIC);
        put(&mut h, HEADER_W_MAGIC_CLIENT, &self.magic_client);
        put(&mut h, HEADER_W_VER, &self.w_ver.to_le_bytes());
        put(&mut h, HEADER_W_VER_CLIENT, &self.w_ver_client.to_le_bytes());
        h[HEADER_B_PLATFORM_CREATE] = state.b_platform_create;
        h[HEADER_B_PLATFORM_CREATE + 1] = state.b_platform_access;
        write_id(&mut h, l.bid_next_b, format, state.bid_next_b);
        write_id(&mut h, l.bid_next_p, format, state.bid_next_p);
        put(&mut h, l.dw_unique, &state.dw_unique.to_le_bytes());
        for (i, n) in state.rgnid.iter().enumerate() {
            put(&mut h, l.rgnid + 4 * i, &n.to_le_bytes());
        }
        write_id(&mut h, l.ib_file_eof, format, self.ib_file_eof);
        write_id(&mut h, l.ib_amap_last, format, state.ib_amap_last);
        write_id(&mut h, l.cb_amap_free, format, state.cb_amap_free);
        write_id(&mut h, l.cb_pmap_free, format, state.cb_pmap_free);
        self.bref_nbt.write(&mut h[l.bref_nbt..], format);
        self.bref_bbt.write(&mut h[l.bref_bbt..], format);
        h[l.f_amap_valid] = state.f_amap_valid;
        put(&mut h, l.rgb_fm, &state.rgb_fm);
        put(&mut h, l.rgb_fp, &state.rgb_fp);
        h[l.b_sentinel] = B_SENTINEL;
        h[l.b_crypt_method] = self.b_crypt_method;
        let from = HEADER_W_MAGIC_CLIENT;
        let partial = crc32(&h[from..from + HEADER_CRC_PARTIAL_LEN]);
        put(&mut h, HEADER_DW_CRC_PARTIAL, &partial.to_le_bytes());
        if let Some(at) = l.dw_crc_full {
            let full = crc32(&h[from..from + HEADER_CRC_FULL_LEN]);
            put(&mut h, at, &full.to_le_bytes());
        }
        h
    }
}

// ---------------------------------------------------------------------------
// BREF (MS-PST 2.2.2.4)
// ---------------------------------------------------------------------------

/// `BREF` (MS-PST 2.2.2.4): a BID and the file offset of what it names.
/// 8 bytes (ANSI) or 16.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Bref {
    /// `bid`.
    pub bid: u64,
    /// `ib`: absolute file offset.
    pub ib: u64,
}

impl Bref {
    /// Size of a `BREF`.
    pub fn size(format: Format) -> usize {
        2 * format.id_size()
    }

    /// Reads a `BREF` from the start of `b`: bid then ib.
    pub fn parse(b: &[u8], format: Format) -> Option<Bref> {
        Some(Bref { bid: read_id(b, 0, format)?, ib: read_id(b, format.id_size(), format)? })
    }

    /// Writes it at the start of `b`.
    pub fn write(&self, b: &mut [u8], format: Format) {
        write_id(b, 0, format, self.bid);
        write_id(b, format.id_size(), format, self.ib);
    }
}

// ---------------------------------------------------------------------------
// Pages (MS-PST 2.2.2.7)
// ---------------------------------------------------------------------------

/// `ptypeBBT`: a page of the block B-tree.
pub const PTYPE_BBT: u8 = 0x80;
/// `ptypeNBT`: a page of the node B-tree.
pub const PTYPE_NBT: u8 = 0x81;
/// `ptypeFMap`.
pub const PTYPE_FMAP: u8 = 0x82;
/// `ptypePMap`.
pub const PTYPE_PMAP: u8 = 0x83;
/// `ptypeAMap`.
pub const PTYPE_AMAP: u8 = 0x84;
/// `ptypeFPMap`.
pub const PTYPE_FPMAP: u8 = 0x85;
/// `ptypeDL`.
pub const PTYPE_DL: u8 = 0x86;

/// A page layout: sizes, where the trailer's fields are (relative to the
/// trailer) and where a `BTPAGE`'s counts are (relative to the page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLayout {
    /// Bytes of a page.
    pub size: usize,
    /// Bytes of `PAGETRAILER`, the last of the page.
    pub trailer_size: usize,
    /// `PAGETRAILER.dwCRC`, from the trailer's start.
    pub trailer_dw_crc: usize,
    /// `PAGETRAILER.bid`, from the trailer's start.
    pub trailer_bid: usize,
    /// Bytes of `BTPAGE.rgentries`, at the start of the page; `cEnt` follows.
    pub bt_entries: usize,
    /// True if `cEnt` and `cEntMax` are 2 bytes wide (4K), not 1.
    pub bt_wide_counts: bool,
}

impl PageLayout {
    /// Offset of the trailer in the page: the bytes its `dwCRC` covers.
    pub fn trailer(&self) -> usize {
        self.size - self.trailer_size
    }
}

/// Pages of ANSI files: 512 bytes; `PAGETRAILER` (12: ptype, ptypeRepeat,
/// wSig, bid (4), dwCRC), MS-PST 2.2.2.7.1; `BTPAGE` `rgentries[496]` then
/// cEnt, cEntMax, cbEnt, cLevel, one byte each (2.2.2.7.7.1).
pub const PAGE_ANSI: PageLayout = PageLayout {
    size: 512,
    trailer_size: 12,
    trailer_dw_crc: 8,
    trailer_bid: 4,
    bt_entries: 496,
    bt_wide_counts: false,
};

/// Pages of Unicode files: 512 bytes; `PAGETRAILER` (16: ptype,
/// ptypeRepeat, wSig, dwCRC, bid (8)); `BTPAGE` `rgentries[488]`, the four
/// one-byte counts and dwPadding (4).
pub const PAGE_UNICODE: PageLayout = PageLayout {
    size: 512,
    trailer_size: 16,
    trailer_dw_crc: 4,
    trailer_bid: 8,
    bt_entries: 488,
    bt_wide_counts: false,
};

/// Pages of 4K files (libpff): 4096 bytes; the trailer is Unicode's plus 8
/// unknown bytes (24); `BTPAGE` `rgentries[4056]`, cEnt (2), cEntMax (2),
/// cbEnt, cLevel, 10 bytes of padding.
pub const PAGE_4K: PageLayout = PageLayout {
    size: 4096,
    trailer_size: 24,
    trailer_dw_crc: 4,
    trailer_bid: 8,
    bt_entries: 4056,
    bt_wide_counts: true,
};

/// An allocation map page layout (`AMAPPAGE`, MS-PST 2.2.2.7.2; `PMAPPAGE`,
/// 2.2.2.7.3): where the first one is, how much each bit maps and where
/// the bits are in the page. Map pages repeat every `bits_len * 8 * unit`
/// bytes; bits are read most significant first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapLayout {
    /// Offset of the first map page (it maps from its own offset; a PMap
    /// from the AMap before it).
    pub first: u64,
    /// Bytes one bit maps.
    pub unit: u64,
    /// Offset of the bits in the page.
    pub bits_at: usize,
    /// Bytes of bits.
    pub bits_len: usize,
}

/// The first AMap of 512-byte layouts (MS-PST 2.2.2.7.2).
pub const AMAP_FIRST: u64 = 0x4400;
/// The first AMap of 4K files (libpff).
pub const AMAP_FIRST_4K: u64 = 0x22000;

/// AMaps of ANSI files: `dwPadding` (4), then `rgbAMapBits[496]`, one bit
/// for 64 bytes.
pub const AMAP_ANSI: MapLayout = MapLayout { first: AMAP_FIRST, unit: 64, bits_at: 4, bits_len: 496 };
/// AMaps of Unicode files: `rgbAMapBits[496]`, one bit for 64 bytes.
pub const AMAP_UNICODE: MapLayout = MapLayout { first: AMAP_FIRST, unit: 64, bits_at: 0, bits_len: 496 };
/// AMaps of 4K files (libpff): 4072 bytes of bits, one for 512 bytes.
pub const AMAP_4K: MapLayout = MapLayout { first: AMAP_FIRST_4K, unit: 512, bits_at: 0, bits_len: 4072 };
/// PMaps of ANSI files: as the AMap, one bit for a 512-byte page, the
/// first right after the first AMap.
pub const PMAP_ANSI: MapLayout = MapLayout { first: AMAP_FIRST + 0x200, unit: 512, bits_at: 4, bits_len: 496 };
/// PMaps of Unicode files.
pub const PMAP_UNICODE: MapLayout = MapLayout { first: AMAP_FIRST + 0x200, unit: 512, bits_at: 0, bits_len: 496 };

impl Format {
    /// The AMap layout.
    pub fn amap(self) -> &'static MapLayout {
        match self {
            Format::Ansi => &AMAP_ANSI,
            Format::Unicode => &AMAP_UNICODE,
            Format::Unicode4k => &AMAP_4K,
        }
    }

    /// The PMap layout; 4K files have none.
    pub fn pmap(self) -> Option<&'static MapLayout> {
        match self {
            Format::Ansi => Some(&PMAP_ANSI),
            Format::Unicode => Some(&PMAP_UNICODE),
            Format::Unicode4k => None,
        }
    }
}

// Where the map pages are. The file past the first AMap is a grid of
// sections, each the span one AMap maps and each starting with its AMap
// page; the other map pages a section holds follow the AMap in this order
// (MS-PST 2.2.2.7.2-2.2.2.7.6, 2.6.1.1.2 "Growing the PST File"). The
// header's initial FMap covers the first 128 sections and its initial FPMap
// the first 1,024 PMaps (8,192 sections, just under 2 GB); past them one
// FMap page covers 496 sections and one FPMap page 496 * 8 PMaps. FMap
// sections (128 + 496 k) are PMap sections (both multiples of 8); FPMap
// sections (8,192 + 31,744 k, which is 256 mod 496) never hold an FMap, so
// the FPMap follows the PMap at +1024, not +1536. ContinuMail's writer had
// it at +1536 (as outlook-pst's constant has) and scanpst flagged every
// FPMap above 2 GB (continumail-converter pull request 61).

/// Sections (AMaps) between two PMaps (MS-PST 2.2.2.7.3).
pub const PMAP_EVERY: u64 = 8;
/// The first section holding an FMap page: the header's `rgbFM` covers
/// sections 0..128 (MS-PST 2.2.2.7.5).
pub const FMAP_FIRST_SECTION: u64 = 128;
/// Sections between two FMap pages: one byte of `rgbFMapBits` per section.
pub const FMAP_EVERY: u64 = 496;
/// The first section holding an FPMap page: the header's `rgbFP` has one
/// bit per PMap, 1,024 PMaps of 8 sections (MS-PST 2.2.2.7.6).
pub const FPMAP_FIRST_SECTION: u64 = 128 * 8 * PMAP_EVERY;
/// Sections between two FPMap pages: 496 * 8 PMaps of 8 sections.
pub const FPMAP_EVERY: u64 = 496 * 8 * PMAP_EVERY;

/// The map pages at the start of one section: their offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionPages {
    /// The AMap page: the section's first byte.
    pub amap: u64,
    /// The PMap page, in every [`PMAP_EVERY`]th section (512-byte layouts).
    pub pmap: Option<u64>,
    /// The FMap page (512-byte layouts, sections 128 + 496 k).
    pub fmap: Option<u64>,
    /// The FPMap page (Unicode, sections 8,192 + 31,744 k).
    pub fpmap: Option<u64>,
    /// The first byte after these pages: where blocks may start.
    pub end: u64,
}

impl Format {
    /// Bytes one section (one AMap) maps: 253,952, or 16,678,912 in 4K files.
    pub fn section_span(self) -> u64 {
        let a = self.amap();
        a.bits_len as u64 * 8 * a.unit
    }

    /// Offset of section `s`: its AMap page.
    pub fn section_start(self, s: u64) -> u64 {
        self.amap().first + s * self.section_span()
    }

    /// The map pages of section `s`. 4K files have only AMaps (libpff has
    /// seen no other map page in them).
    pub fn section_pages(self, s: u64) -> SectionPages {
        let page = self.page_size() as u64;
        let amap = self.section_start(s);
        let mut end = amap + page;
        let mut next = || {
            let at = end;
            end += page;
            at
        };
        let small = self.pmap().is_some();
        let pmap = (small && s.is_multiple_of(PMAP_EVERY)).then(&mut next);
        let fmap =
            (small && s >= FMAP_FIRST_SECTION && (s - FMAP_FIRST_SECTION).is_multiple_of(FMAP_EVERY)).then(&mut next);
        // ANSI files have only the header's FPMap (MS-PST 2.2.2.7.6).
        let wide = self == Format::Unicode;
        let fpmap =
            (wide && s >= FPMAP_FIRST_SECTION && (s - FPMAP_FIRST_SECTION).is_multiple_of(FPMAP_EVERY)).then(&mut next);
        SectionPages { amap, pmap, fmap, fpmap, end }
    }

    /// Offset of the density list page: 0x4200 (MS-PST 2.2.2.7.4), 0x21000
    /// in 4K files (libpff).
    pub fn dlist_offset(self) -> u64 {
        match self {
            Format::Unicode4k => DLIST_OFFSET_4K,
            _ => DLIST_OFFSET,
        }
    }

    /// `DLISTPAGE` entries that fit: 120 (ANSI), 119 (Unicode); in 4K
    /// files (layout not documented) as many as the page holds after the
    /// same header and padding, but no more than `cEntDList` (one byte) counts.
    pub fn dlist_max_entries(self) -> usize {
        ((self.page().trailer() - DLIST_ENTRIES - DLIST_PADDING) / 4).min(255)
    }
}

/// Offset of the density list in 512-byte layouts (MS-PST 2.2.2.7.4.2).
pub const DLIST_OFFSET: u64 = 0x4200;
/// Offset of the density list in 4K files (libpff: "seen at offset 0x21000").
pub const DLIST_OFFSET_4K: u64 = 0x21000;
/// `DFL_BACKFILL_COMPLETE`: no backfill is under way (`DLISTPAGE.bFlags`).
pub const DFL_BACKFILL_COMPLETE: u8 = 0x01;
/// Offset of `rgDListPageEnt` in `DLISTPAGE`, after bFlags, cEntDList,
/// wPadding and ulCurrentPage.
pub const DLIST_ENTRIES: usize = 8;
/// `DLISTPAGE.rgPadding`: 12 bytes after the entries.
pub const DLIST_PADDING: usize = 12;

/// The head of a `DLISTPAGE` (MS-PST 2.2.2.7.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DListHeader {
    /// `bFlags`: [`DFL_BACKFILL_COMPLETE`].
    pub flags: u8,
    /// `cEntDList`: entries in `rgDListPageEnt`.
    pub c_ent: u8,
    /// `ulCurrentPage`: the section (AMap index) allocations continue in.
    pub current_page: u32,
}

impl DListHeader {
    /// Reads it from the start of a page.
    pub fn parse(p: &[u8]) -> Option<DListHeader> {
        Some(DListHeader { flags: get_u8(p, 0)?, c_ent: get_u8(p, 1)?, current_page: get_u32(p, 4)? })
    }

    /// Writes it at the start of a page (`wPadding` is left as it is).
    pub fn write(&self, p: &mut [u8]) {
        p[0] = self.flags;
        p[1] = self.c_ent;
        put(p, 4, &self.current_page.to_le_bytes());
    }
}

/// `DLISTPAGEENT` (MS-PST 2.2.2.7.4.1): `dwPageNum` (20 bits, the AMap
/// index) and `dwFreeSlots` (12 bits, free 64-byte units in that AMap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DListEntry {
    /// `dwPageNum`.
    pub page: u32,
    /// `dwFreeSlots`.
    pub free_slots: u16,
}

impl DListEntry {
    /// The 4-byte value.
    pub fn to_u32(self) -> u32 {
        (self.page & 0xF_FFFF) | (u32::from(self.free_slots & 0xFFF) << 20)
    }

    /// From the 4-byte value.
    pub fn from_u32(v: u32) -> DListEntry {
        DListEntry { page: v & 0xF_FFFF, free_slots: (v >> 20) as u16 }
    }
}

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

impl PageTrailer {
    /// Reads the trailer from the start of `t` (the last
    /// [`PageLayout::trailer_size`] bytes of a page).
    pub fn parse(t: &[u8], format: Format) -> Option<PageTrailer> {
        let l = format.page();
        Some(PageTrailer {
            ptype: get_u8(t, 0)?,
            ptype_repeat: get_u8(t, 1)?,
            w_sig: get_u16(t, 2)?,
            dw_crc: get_u32(t, l.trailer_dw_crc)?,
            bid: read_id(t, l.trailer_bid, format)?,
        })
    }

    /// Reads the trailer at the end of a whole `page`.
    pub fn parse_page(page: &[u8], format: Format) -> Option<PageTrailer> {
        PageTrailer::parse(page.get(format.page().trailer()..)?, format)
    }

    /// Writes it at the start of `t` (4K's unknown bytes are left as they are).
    pub fn write(&self, t: &mut [u8], format: Format) {
        let l = format.page();
        t[0] = self.ptype;
        t[1] = self.ptype_repeat;
        put(t, 2, &self.w_sig.to_le_bytes());
        put(t, l.trailer_dw_crc, &self.dw_crc.to_le_bytes());
        write_id(t, l.trailer_bid, format, self.bid);
    }

    /// Finishes a whole `page` as a writer does: type, [`compute_sig`] of
    /// `ib` and `bid`, `bid`, and the CRC of everything before the trailer.
    pub fn seal(page: &mut [u8], format: Format, ptype: u8, ib: u64, bid: u64) {
        let at = format.page().trailer();
        let dw_crc = crc32(&page[..at]);
        let t = PageTrailer { ptype, ptype_repeat: ptype, w_sig: compute_sig(ib, bid), dw_crc, bid };
        t.write(&mut page[at..], format);
    }

    /// Finishes an AMap, PMap, FMap or FPMap page at `ib`: their BID is
    /// their offset and their `wSig` is 0 (MS-PST 2.2.2.7.1).
    pub fn seal_map(page: &mut [u8], format: Format, ptype: u8, ib: u64) {
        let at = format.page().trailer();
        let dw_crc = crc32(&page[..at]);
        let t = PageTrailer { ptype, ptype_repeat: ptype, w_sig: 0, dw_crc, bid: ib };
        t.write(&mut page[at..], format);
    }
}

/// The counts of a `BTPAGE` (MS-PST 2.2.2.7.7.1), after its `rgentries`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BtPageMeta {
    /// `cEnt`: entries in use.
    pub c_ent: u16,
    /// `cEntMax`: entries that fit.
    pub c_ent_max: u16,
    /// `cbEnt`: size of an entry.
    pub cb_ent: u8,
    /// `cLevel`: 0 for leaves.
    pub c_level: u8,
}

impl BtPageMeta {
    /// Reads the counts of a whole `page`.
    pub fn parse(page: &[u8], format: Format) -> Option<BtPageMeta> {
        let l = format.page();
        let at = l.bt_entries;
        Some(if l.bt_wide_counts {
            BtPageMeta {
                c_ent: get_u16(page, at)?,
                c_ent_max: get_u16(page, at + 2)?,
                cb_ent: get_u8(page, at + 4)?,
                c_level: get_u8(page, at + 5)?,
            }
        } else {
            BtPageMeta {
                c_ent: u16::from(get_u8(page, at)?),
                c_ent_max: u16::from(get_u8(page, at + 1)?),
                cb_ent: get_u8(page, at + 2)?,
                c_level: get_u8(page, at + 3)?,
            }
        })
    }

    /// Writes the counts into a whole `page` (512-byte layouts keep the low
    /// byte of `cEnt` and `cEntMax`).
    pub fn write(&self, page: &mut [u8], format: Format) {
        let l = format.page();
        let at = l.bt_entries;
        if l.bt_wide_counts {
            put(page, at, &self.c_ent.to_le_bytes());
            put(page, at + 2, &self.c_ent_max.to_le_bytes());
            page[at + 4] = self.cb_ent;
            page[at + 5] = self.c_level;
        } else {
            page[at] = self.c_ent as u8;
            page[at + 1] = self.c_ent_max as u8;
            page[at + 2] = self.cb_ent;
            page[at + 3] = self.c_level;
        }
    }
}

/// `BTENTRY` (MS-PST 2.2.2.7.7.2): an entry of a B-tree branch page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BtEntry {
    /// `btkey`: the first key of the child page.
    pub btkey: u64,
    /// `BREF` of the child page.
    pub bref: Bref,
}

impl BtEntry {
    /// Reads one from the start of `e`.
    pub fn parse(e: &[u8], format: Format) -> Option<BtEntry> {
        let w = format.id_size();
        Some(BtEntry { btkey: read_id(e, 0, format)?, bref: Bref::parse(e.get(w..)?, format)? })
    }

    /// Writes it at the start of `e` ([`Format::bt_entry_size`] bytes).
    pub fn write(&self, e: &mut [u8], format: Format) {
        write_id(e, 0, format, self.btkey);
        self.bref.write(&mut e[format.id_size()..], format);
    }
}

/// `BBTENTRY` (MS-PST 2.2.2.7.7.3): where a block is.
///
/// 4K files put the block's inflated size after `cb` and move `cRef` two
/// bytes on: BREF, `cbStored`, `cbInflated`, `cRef`, 2 bytes of padding
/// (mythicsoft's "OST 2013 File Format - The missing documentation":
/// "Since blocks can now be compressed there is an additional
/// 'uncompressed/inflated size' stored in the BBTENTRY"; libpst's
/// `pst_index`, XstReader's `BBTENTRYUnicode4K` and java pstreader's
/// `BBTEntry` read it there, and inflate a block whose `cbInflated`
/// differs from `cb`). libpff reads `cRef` at
/// Unicode's place and the inflated size from the block trailer instead
/// ([`BlockTrailer::cb_inflated`]); a writer fills both
/// ([`BbtEntry::write_cb_inflated`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BbtEntry {
    /// `BREF.bid`.
    pub bid: u64,
    /// `BREF.ib`: the block's file offset.
    pub ib: u64,
    /// `cb`: bytes of data in the block (before any decompression).
    pub cb: u16,
    /// `cRef`: reference count.
    pub c_ref: u16,
}

/// Offset of `cbInflated` in a 4K `BBTENTRY`, after BREF and `cbStored`.
pub const BBT_4K_CB_INFLATED: usize = 18;

impl BbtEntry {
    /// Where `cRef` is: after `cb` (ANSI, Unicode), after `cbInflated` (4K).
    fn c_ref_at(format: Format) -> usize {
        match format {
            Format::Unicode4k => BBT_4K_CB_INFLATED + 2,
            _ => 2 * format.id_size() + 2,
        }
    }

    /// Reads one from the start of `e`: BREF, cb, cRef (Unicode: dwPadding;
    /// 4K: cbInflated before cRef, see [`BbtEntry::cb_inflated`]).
    pub fn parse(e: &[u8], format: Format) -> Option<BbtEntry> {
        let w = format.id_size();
        let bref = Bref::parse(e, format)?;
        Some(BbtEntry {
            bid: bref.bid,
            ib: bref.ib,
            cb: get_u16(e, 2 * w)?,
            c_ref: get_u16(e, Self::c_ref_at(format))?,
        })
    }

    /// Writes it at the start of `e` ([`Format::bbt_entry_size`] bytes;
    /// the padding, and 4K's `cbInflated`, are left as they are).
    pub fn write(&self, e: &mut [u8], format: Format) {
        let w = format.id_size();
        Bref { bid: self.bid, ib: self.ib }.write(e, format);
        put(e, 2 * w, &self.cb.to_le_bytes());
        put(e, Self::c_ref_at(format), &self.c_ref.to_le_bytes());
    }

    /// 4K files: the `cbInflated` of the entry at the start of `e`, the
    /// block's data size after inflating (equal to `cb` when it is stored
    /// plain). `None` in other formats, or when `e` is short.
    pub fn cb_inflated(e: &[u8], format: Format) -> Option<u16> {
        (format == Format::Unicode4k).then(|| get_u16(e, BBT_4K_CB_INFLATED)).flatten()
    }

    /// 4K files: writes `cbInflated` into the entry at the start of `e`;
    /// nothing in other formats, which have no such field.
    pub fn write_cb_inflated(e: &mut [u8], format: Format, cb_inflated: u16) {
        if format == Format::Unicode4k {
            put(e, BBT_4K_CB_INFLATED, &cb_inflated.to_le_bytes());
        }
    }
}

/// `NBTENTRY` (MS-PST 2.2.2.7.7.4): a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NbtEntry {
    /// `nid` (a field of the BID's width; only the low 32 bits are meaningful).
    pub nid: u32,
    /// `bidData`: the node's data block or data tree.
    pub bid_data: u64,
    /// `bidSub`: the node's subnode tree, 0 if none.
    pub bid_sub: u64,
    /// `nidParent`.
    pub nid_parent: u32,
}

impl NbtEntry {
    /// Reads one from the start of `e`: nid, bidData, bidSub, nidParent
    /// (Unicode: dwPadding).
    pub fn parse(e: &[u8], format: Format) -> Option<NbtEntry> {
        let w = format.id_size();
        Some(NbtEntry {
            nid: get_u32(e, 0)?,
            bid_data: read_id(e, w, format)?,
            bid_sub: read_id(e, 2 * w, format)?,
            nid_parent: get_u32(e, 3 * w)?,
        })
    }

    /// Writes it at the start of `e` ([`Format::nbt_entry_size`] bytes;
    /// the padding is left as it is).
    pub fn write(&self, e: &mut [u8], format: Format) {
        let w = format.id_size();
        write_id(e, 0, format, u64::from(self.nid));
        write_id(e, w, format, self.bid_data);
        write_id(e, 2 * w, format, self.bid_sub);
        put(e, 3 * w, &self.nid_parent.to_le_bytes());
    }
}

// ---------------------------------------------------------------------------
// Blocks (MS-PST 2.2.2.8)
// ---------------------------------------------------------------------------

/// A block layout: alignment, largest size, and where the trailer's fields
/// are (relative to the trailer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockLayout {
    /// Blocks start and end on this boundary.
    pub alignment: usize,
    /// The largest block, trailer included.
    pub max_size: usize,
    /// Bytes of `BLOCKTRAILER`, the last of the block.
    pub trailer_size: usize,
    /// `BLOCKTRAILER.dwCRC`, from the trailer's start.
    pub trailer_dw_crc: usize,
    /// `BLOCKTRAILER.bid`, from the trailer's start.
    pub trailer_bid: usize,
    /// 4K only: the inflated size (libpff `uncompressed_data_size`).
    pub trailer_cb_inflated: Option<usize>,
}

/// Blocks of ANSI files (MS-PST 2.2.2.8): 64-byte aligned, at most 8192
/// bytes; `BLOCKTRAILER` (12: cb, wSig, bid (4), dwCRC), 2.2.2.8.1.
pub const BLOCK_ANSI: BlockLayout = BlockLayout {
    alignment: 64,
    max_size: 8192,
    trailer_size: 12,
    trailer_dw_crc: 8,
    trailer_bid: 4,
    trailer_cb_inflated: None,
};

/// Blocks of Unicode files: as ANSI, with `BLOCKTRAILER` (16: cb, wSig,
/// dwCRC, bid (8)).
pub const BLOCK_UNICODE: BlockLayout = BlockLayout {
    alignment: 64,
    max_size: 8192,
    trailer_size: 16,
    trailer_dw_crc: 4,
    trailer_bid: 8,
    trailer_cb_inflated: None,
};

/// Blocks of 4K files (libpff; mythicsoft's OST 2013 note): 512-byte
/// aligned, at most 65536 bytes ([`Format::max_block_data`] says where that
/// comes from); the trailer is Unicode's, then 2 unknown bytes, the inflated
/// size (2) and 4 unknown bytes (24).
pub const BLOCK_4K: BlockLayout = BlockLayout {
    alignment: 512,
    max_size: 65536,
    trailer_size: 24,
    trailer_dw_crc: 4,
    trailer_bid: 8,
    trailer_cb_inflated: Some(18),
};

/// `BLOCKTRAILER` (MS-PST 2.2.2.8.1), plus the 4K variant's inflated size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockTrailer {
    /// `cb`: bytes of (stored) data.
    pub cb: u16,
    /// `wSig`: [`compute_sig`] of the block's offset and BID.
    pub w_sig: u16,
    /// `dwCRC`: CRC of the `cb` stored bytes.
    pub dw_crc: u32,
    /// `bid`: must match the BBT entry.
    pub bid: u64,
    /// 4K files only (libpff): the size after inflating; equal to `cb` (or
    /// 0) when the block is stored uncompressed. `None` in other formats.
    pub cb_inflated: Option<u16>,
}

impl BlockTrailer {
    /// Reads the trailer from the start of `t` (the last
    /// [`BlockLayout::trailer_size`] bytes of a block).
    pub fn parse(t: &[u8], format: Format) -> Option<BlockTrailer> {
        let l = format.block();
        Some(BlockTrailer {
            cb: get_u16(t, 0)?,
            w_sig: get_u16(t, 2)?,
            dw_crc: get_u32(t, l.trailer_dw_crc)?,
            bid: read_id(t, l.trailer_bid, format)?,
            cb_inflated: match l.trailer_cb_inflated {
                Some(at) => Some(get_u16(t, at)?),
                None => None,
            },
        })
    }

    /// Writes it at the start of `t`. libpff's unknown 4K bytes are left
    /// as they are (zero in a fresh buffer); `cb_inflated` is written only
    /// where the format has it.
    pub fn write(&self, t: &mut [u8], format: Format) {
        let l = format.block();
        put(t, 0, &self.cb.to_le_bytes());
        put(t, 2, &self.w_sig.to_le_bytes());
        put(t, l.trailer_dw_crc, &self.dw_crc.to_le_bytes());
        write_id(t, l.trailer_bid, format, self.bid);
        if let (Some(at), Some(v)) = (l.trailer_cb_inflated, self.cb_inflated) {
            put(t, at, &v.to_le_bytes());
        }
    }

    /// A whole block as a writer lays it out: `stored` (already encoded and
    /// compressed), zero padding, and a trailer with `cb`, the signature of
    /// `ib` and `bid`, the CRC and (4K) `cb_inflated`.
    pub fn build_block(format: Format, ib: u64, bid: u64, stored: &[u8], cb_inflated: u16) -> Vec<u8> {
        let size = format.block_size(stored.len());
        let mut b = vec![0u8; size];
        b[..stored.len()].copy_from_slice(stored);
        let t = BlockTrailer {
            cb: stored.len() as u16,
            w_sig: compute_sig(ib, bid),
            dw_crc: crc32(stored),
            bid,
            cb_inflated: Some(cb_inflated),
        };
        t.write(&mut b[size - format.block_trailer_size()..], format);
        b
    }
}

/// `btype` of XBLOCK and XXBLOCK (MS-PST 2.2.2.8.3.2).
pub const BTYPE_XBLOCK: u8 = 0x01;
/// `btype` of SLBLOCK and SIBLOCK (MS-PST 2.2.2.8.3.3).
pub const BTYPE_SUBNODE: u8 = 0x02;

/// Bytes of the XBLOCK / XXBLOCK header; `rgbid` follows.
pub const XBLOCK_HEADER_SIZE: usize = 8;

/// The header of an XBLOCK or XXBLOCK (MS-PST 2.2.2.8.3.2.1-2): btype,
/// cLevel, cEnt (2), lcbTotal (4); then `cEnt` BIDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XBlockHeader {
    /// `btype`: [`BTYPE_XBLOCK`].
    pub btype: u8,
    /// `cLevel`: 1 (XBLOCK) or 2 (XXBLOCK).
    pub c_level: u8,
    /// `cEnt`: BIDs in `rgbid`.
    pub c_ent: u16,
    /// `lcbTotal`: bytes of data under this block.
    pub lcb_total: u32,
}

impl XBlockHeader {
    /// Reads the header at the start of a block's data.
    pub fn parse(b: &[u8]) -> Option<XBlockHeader> {
        Some(XBlockHeader {
            btype: get_u8(b, 0)?,
            c_level: get_u8(b, 1)?,
            c_ent: get_u16(b, 2)?,
            lcb_total: get_u32(b, 4)?,
        })
    }

    /// Writes it at the start of `b`.
    pub fn write(&self, b: &mut [u8]) {
        b[0] = self.btype;
        b[1] = self.c_level;
        put(b, 2, &self.c_ent.to_le_bytes());
        put(b, 4, &self.lcb_total.to_le_bytes());
    }

    /// Offset of `rgbid[i]`.
    pub fn bid_at(i: usize, format: Format) -> usize {
        XBLOCK_HEADER_SIZE + i * format.id_size()
    }

    /// A whole XBLOCK (`c_level` 1) or XXBLOCK (2) over `bids`.
    pub fn build(format: Format, c_level: u8, lcb_total: u32, bids: &[u64]) -> Vec<u8> {
        let mut b = vec![0u8; XBlockHeader::bid_at(bids.len(), format)];
        XBlockHeader { btype: BTYPE_XBLOCK, c_level, c_ent: bids.len() as u16, lcb_total }.write(&mut b);
        for (i, &bid) in bids.iter().enumerate() {
            write_id(&mut b, XBlockHeader::bid_at(i, format), format, bid);
        }
        b
    }
}

/// The header of an SLBLOCK or SIBLOCK (MS-PST 2.2.2.8.3.3.1-2): btype,
/// cLevel, cEnt (2), and in Unicode files dwPadding (4); then the entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubnodeBlockHeader {
    /// `btype`: [`BTYPE_SUBNODE`].
    pub btype: u8,
    /// `cLevel`: 0 (SLBLOCK) or 1 (SIBLOCK).
    pub c_level: u8,
    /// `cEnt`: entries.
    pub c_ent: u16,
}

impl SubnodeBlockHeader {
    /// Bytes of the header: 4 (ANSI) or 8.
    pub fn size(format: Format) -> usize {
        if format.is_unicode() {
            8
        } else {
            4
        }
    }

    /// Bytes of an entry at `c_level`: `SLENTRY` (0) or `SIENTRY`.
    pub fn entry_size(format: Format, c_level: u8) -> usize {
        if c_level == 0 {
            3 * format.id_size()
        } else {
            2 * format.id_size()
        }
    }

    /// Offset of entry `i` of a block at `c_level`.
    pub fn entry_at(i: usize, format: Format, c_level: u8) -> usize {
        SubnodeBlockHeader::size(format) + i * SubnodeBlockHeader::entry_size(format, c_level)
    }

    /// Reads the header at the start of a block's data.
    pub fn parse(b: &[u8]) -> Option<SubnodeBlockHeader> {
        Some(SubnodeBlockHeader { btype: get_u8(b, 0)?, c_level: get_u8(b, 1)?, c_ent: get_u16(b, 2)? })
    }

    /// Writes it at the start of `b` (the padding is left as it is).
    pub fn write(&self, b: &mut [u8]) {
        b[0] = self.btype;
        b[1] = self.c_level;
        put(b, 2, &self.c_ent.to_le_bytes());
    }

    /// A whole SLBLOCK over `entries`.
    pub fn build_leaf(format: Format, entries: &[SlEntry]) -> Vec<u8> {
        let mut b = vec![0u8; SubnodeBlockHeader::entry_at(entries.len(), format, 0)];
        SubnodeBlockHeader { btype: BTYPE_SUBNODE, c_level: 0, c_ent: entries.len() as u16 }.write(&mut b);
        for (i, e) in entries.iter().enumerate() {
            e.write(&mut b[SubnodeBlockHeader::entry_at(i, format, 0)..], format);
        }
        b
    }
}

/// `SLENTRY` (MS-PST 2.2.2.8.3.3.1.1): a subnode in an SLBLOCK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlEntry {
    /// `nid` (a field of the BID's width; the low 32 bits are the NID).
    pub nid: u32,
    /// `bidData`.
    pub bid_data: u64,
    /// `bidSub`: the subnode's own subnode tree, 0 if none.
    pub bid_sub: u64,
}

impl SlEntry {
    /// Reads one from the start of `e`.
    pub fn parse(e: &[u8], format: Format) -> Option<SlEntry> {
        let w = format.id_size();
        Some(SlEntry {
            nid: read_id(e, 0, format)? as u32,
            bid_data: read_id(e, w, format)?,
            bid_sub: read_id(e, 2 * w, format)?,
        })
    }

    /// Writes it at the start of `e`.
    pub fn write(&self, e: &mut [u8], format: Format) {
        let w = format.id_size();
        write_id(e, 0, format, u64::from(self.nid));
        write_id(e, w, format, self.bid_data);
        write_id(e, 2 * w, format, self.bid_sub);
    }
}

/// `SIENTRY` (MS-PST 2.2.2.8.3.3.2.1): a child SLBLOCK of an SIBLOCK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiEntry {
    /// `nid`: the first NID under the child.
    pub nid: u32,
    /// `bid`: the child SLBLOCK.
    pub bid: u64,
}

impl SiEntry {
    /// Reads one from the start of `e`.
    pub fn parse(e: &[u8], format: Format) -> Option<SiEntry> {
        Some(SiEntry { nid: read_id(e, 0, format)? as u32, bid: read_id(e, format.id_size(), format)? })
    }

    /// Writes it at the start of `e`.
    pub fn write(&self, e: &mut [u8], format: Format) {
        write_id(e, 0, format, u64::from(self.nid));
        write_id(e, format.id_size(), format, self.bid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Format; 3] = [Format::Ansi, Format::Unicode, Format::Unicode4k];

    #[test]
    fn layouts_add_up() {
        for f in ALL {
            let p = f.page();
            // BTPAGE: rgentries, the counts, padding, then the trailer.
            let counts = if p.bt_wide_counts { 6 } else { 4 };
            assert!(p.bt_entries + counts <= p.trailer(), "{f:?}");
            assert!(p.trailer_bid + f.id_size() <= p.trailer_size);
            let b = f.block();
            assert!(b.trailer_bid + f.id_size() <= b.trailer_size);
            assert_eq!(f.bt_entry_size(), Bref::size(f) + f.id_size());
        }
        assert_eq!(PAGE_UNICODE.bt_entries + 8, PAGE_UNICODE.trailer());
        assert_eq!(PAGE_ANSI.bt_entries + 4, PAGE_ANSI.trailer());
        assert_eq!(PAGE_4K.bt_entries + 16, PAGE_4K.trailer());
        assert_eq!(HEADER_UNICODE.dw_crc_full, Some(HEADER_W_MAGIC_CLIENT + HEADER_CRC_FULL_LEN));
    }

    #[test]
    fn block_data_limits() {
        assert_eq!(Format::Ansi.max_block_data(), 8180);
        assert_eq!(Format::Unicode.max_block_data(), 8176);
        assert_eq!(Format::Unicode4k.max_block_data(), 0xFFE8);
        for f in ALL {
            assert_eq!(f.block_size(f.max_block_data()), f.max_block_size(), "{f:?}: a full block fills the largest");
            assert!(f.block_size(f.max_block_data() + 1) > f.max_block_size(), "{f:?}");
        }
    }

    #[test]
    fn bbt_entry_4k_has_the_inflated_size_before_cref() {
        let f = Format::Unicode4k;
        let mut e = vec![0u8; f.bbt_entry_size()];
        BbtEntry { bid: 0x44, ib: 0x22200, cb: 700, c_ref: 2 }.write(&mut e, f);
        BbtEntry::write_cb_inflated(&mut e, f, 4000);
        assert_eq!(&e[16..22], &[0xBC, 0x02, 0xA0, 0x0F, 2, 0], "cbStored, cbInflated, cRef");
        assert_eq!(BbtEntry::cb_inflated(&e, f), Some(4000));
        assert_eq!(BbtEntry::parse(&e, f).map(|b| (b.cb, b.c_ref)), Some((700, 2)));
        let mut u = vec![0u8; 24];
        BbtEntry { bid: 0x44, ib: 0x4400, cb: 700, c_ref: 2 }.write(&mut u, Format::Unicode);
        BbtEntry::write_cb_inflated(&mut u, Format::Unicode, 4000);
        assert_eq!(&u[16..20], &[0xBC, 0x02, 2, 0], "Unicode: cb, cRef, and no inflated size");
        assert_eq!(BbtEntry::cb_inflated(&u, Format::Unicode), None);
    }

    #[test]
    fn structures_round_trip() {
        for f in ALL {
            let mut buf = vec![0u8; 64];
            let bref = Bref { bid: 0x1234, ib: 0x4400 };
            bref.write(&mut buf, f);
            assert_eq!(Bref::parse(&buf, f), Some(bref));
            let e = BtEntry { btkey: 0x21, bref };
            e.write(&mut buf, f);
            assert_eq!(BtEntry::parse(&buf, f), Some(e));
            let e = BbtEntry { bid: 0x44, ib: 0x9000, cb: 100, c_ref: 2 };
            e.write(&mut buf, f);
            assert_eq!(BbtEntry::parse(&buf, f), Some(e));
            let e = NbtEntry { nid: 0x200024, bid_data: 0x100, bid_sub: 0x102, nid_parent: 0x8022 };
            e.write(&mut buf, f);
            assert_eq!(NbtEntry::parse(&buf[..f.nbt_entry_size()], f), Some(e));
            let t = PageTrailer { ptype: PTYPE_NBT, ptype_repeat: PTYPE_NBT, w_sig: 7, dw_crc: 9, bid: 0x24 };
            t.write(&mut buf, f);
            assert_eq!(PageTrailer::parse(&buf[..f.page_trailer_size()], f), Some(t));
            let inflated = (f == Format::Unicode4k).then_some(300);
            let t = BlockTrailer { cb: 10, w_sig: 3, dw_crc: 5, bid: 0x88, cb_inflated: inflated };
            t.write(&mut buf, f);
            assert_eq!(BlockTrailer::parse(&buf[..f.block_trailer_size()], f), Some(t));
            let s = SlEntry { nid: 0x8025, bid_data: 0x104, bid_sub: 0 };
            s.write(&mut buf, f);
            assert_eq!(SlEntry::parse(&buf, f), Some(s));
            let s = SiEntry { nid: 0x8025, bid: 0x106 };
            s.write(&mut buf, f);
            assert_eq!(SiEntry::parse(&buf, f), Some(s));
            let mut page = vec![0u8; f.page_size()];
            let m = BtPageMeta { c_ent: 3, c_ent_max: 20, cb_ent: 24, c_level: 1 };
            m.write(&mut page, f);
            assert_eq!(BtPageMeta::parse(&page, f), Some(m));
            assert_eq!(BbtEntry::parse(&buf[..2 * f.id_size() + 3], f), None, "short");
        }
    }

    #[test]
    fn identifiers_decode() {
        let n = Nid(0x8022);
        assert_eq!((n.nid_type(), n.index()), (0x02, 0x401));
        assert_eq!(Nid::new(0x02, 0x401), n);
        assert_eq!(Nid(0x122).with_type(0x0D), Nid(0x12D));
        assert!(Bid(0x106).is_internal() && !Bid(0x104).is_internal());
        assert_eq!(Bid(0x45).key(), 0x44);
        let h = Hid(0x0003_0060);
        assert_eq!((h.hid_type(), h.index(), h.block_index()), (0, 3, 3));
        assert_eq!(Hid::new(3, 3), h);
        assert_eq!(u32::from(Hid::new(1, 0)), 0x20);
    }

    #[test]
    fn header_encodes_where_the_layout_says() {
        for f in ALL {
            let h = HeaderFields {
                magic_client: MAGIC_CLIENT_PST,
                w_ver: f.w_ver(),
                w_ver_client: W_VER_CLIENT,
                ib_file_eof: 0x5000,
                bref_nbt: Bref { bid: 0x24, ib: 0x4600 },
                bref_bbt: Bref { bid: 0x28, ib: 0x4800 },
                b_crypt_method: 1,
            }
            .encode();
            let l = f.header();
            assert_eq!(h.len(), l.size);
            assert_eq!(Bref::parse(&h[l.bref_bbt..], f), Some(Bref { bid: 0x28, ib: 0x4800 }));
            assert_eq!(read_id(&h, l.ib_file_eof, f), Some(0x5000));
            assert_eq!((h[l.b_sentinel], h[l.b_crypt_method]), (B_SENTINEL, 1));
            let partial = crc32(&h[8..8 + HEADER_CRC_PARTIAL_LEN]);
            assert_eq!(get_u32(&h, HEADER_DW_CRC_PARTIAL), Some(partial));
        }
    }
}
