//! The file header, MS-PST 2.2.2.6, for the ANSI, Unicode and (from
//! libpff's documentation, not MS-PST) Unicode 4K-page variants.

use mailshift_core::{Problem, Severity};

use super::crc::crc32;
use super::crypt::CryptMethod;
use crate::error::{u16_at, u32_at, u64_at, u8_at, CResult, Corrupt};

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

    /// True for the layouts with 64-bit BIDs.
    pub fn is_unicode(self) -> bool {
        self != Format::Ansi
    }

    /// Size of a BID or file offset (`IB`): 4 for ANSI, 8 otherwise.
    pub fn bid_size(self) -> usize {
        if self.is_unicode() {
            8
        } else {
            4
        }
    }

    /// Size of a page (MS-PST 2.2.2.7).
    pub fn page_size(self) -> usize {
        if self == Format::Unicode4k {
            4096
        } else {
            512
        }
    }

    /// Size of `PAGETRAILER` (MS-PST 2.2.2.7.1).
    pub fn page_trailer_size(self) -> usize {
        match self {
            Format::Ansi => 12,
            Format::Unicode => 16,
            Format::Unicode4k => 24,
        }
    }

    /// Size of `BLOCKTRAILER` (MS-PST 2.2.2.8.1).
    pub fn block_trailer_size(self) -> usize {
        match self {
            Format::Ansi => 12,
            Format::Unicode => 16,
            Format::Unicode4k => 24,
        }
    }

    /// Blocks start and end on this boundary: 64 bytes (MS-PST 2.2.2.8),
    /// 512 in 4K files.
    pub fn block_alignment(self) -> usize {
        if self == Format::Unicode4k {
            512
        } else {
            64
        }
    }

    /// The largest block including its trailer: 8192 (MS-PST 2.2.2.8);
    /// 65536 in 4K files (libpff's documented assumption).
    pub fn max_block_size(self) -> usize {
        if self == Format::Unicode4k {
            65536
        } else {
            8192
        }
    }

    /// The bytes a block with `cb` bytes of data occupies in the file:
    /// data, padding and trailer, rounded up to the alignment.
    pub fn block_size(self, cb: usize) -> usize {
        let a = self.block_alignment();
        (cb + self.block_trailer_size()).div_ceil(a) * a
    }
}

/// What kind of store the client magic says this is (`wMagicClient`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    /// "SM": a PST.
    Pst,
    /// "SO": an OST.
    Ost,
    /// "AB": a personal address book.
    Pab,
    /// Anything else (kept for diagnostics; reading goes on).
    Other([u8; 2]),
}

/// `BREF` (MS-PST 2.2.2.4): a BID and the file offset of what it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Bref {
    /// `bid`.
    pub bid: u64,
    /// `ib`: absolute file offset.
    pub ib: u64,
}

/// The fields of `HEADER` this crate uses, already decoded.
#[derive(Clone, Debug)]
pub struct Header {
    /// `wMagicClient`.
    pub client: Client,
    /// `wVer`.
    pub w_ver: u16,
    /// `wVerClient`.
    pub w_ver_client: u16,
    /// The layout `wVer` selects.
    pub format: Format,
    /// `bCryptMethod`.
    pub crypt_method: CryptMethod,
    /// `ROOT.ibFileEof`: the file size the header claims.
    pub ib_file_eof: u64,
    /// `ROOT.BREFNBT`: root page of the node B-tree.
    pub bref_nbt: Bref,
    /// `ROOT.BREFBBT`: root page of the block B-tree.
    pub bref_bbt: Bref,
    /// `dwCRCPartial` as stored.
    pub dw_crc_partial: u32,
    /// `dwCRCFull` as stored (Unicode only).
    pub dw_crc_full: Option<u32>,
    /// What did not check out but did not stop reading (CRC mismatches,
    /// a short file ...). `path` is left empty; [`crate::Pst`] fills it.
    pub problems: Vec<Problem>,
}

/// `dwMagic`: "!BDN".
pub const DW_MAGIC: [u8; 4] = *b"!BDN";

fn problem(structure: &str, offset: u64, message: String) -> Problem {
    Problem::new(Severity::Damaged, String::new(), structure, Some(offset), message)
}

impl Header {
    /// Reads the header at the start of `file`. Checks the magic, version and
    /// encoding, and records CRC mismatches in [`Header::problems`]; whether
    /// the root BREFs are usable is for [`crate::Pst::open`] to find out.
    pub fn parse(file: &[u8]) -> CResult<Header> {
        const S: &str = "HEADER";
        let short = || Corrupt::new(S, 0, format!("file is {} bytes, too short for a PST header", file.len()));
        if file.len() < 4 || file[..4] != DW_MAGIC {
            return Err(Corrupt::new(S, 0, "dwMagic is not \"!BDN\": not a PST or OST file"));
        }
        let dw_crc_partial = u32_at(file, 4).ok_or_else(short)?;
        let magic_client = [u8_at(file, 8).ok_or_else(short)?, u8_at(file, 9).ok_or_else(short)?];
        let client = match &magic_client {
            b"SM" => Client::Pst,
            b"SO" => Client::Ost,
            b"AB" => Client::Pab,
            _ => Client::Other(magic_client),
        };
        let w_ver = u16_at(file, 10).ok_or_else(short)?;
        let w_ver_client = u16_at(file, 12).ok_or_else(short)?;
        let format = Format::from_wver(w_ver).ok_or_else(|| {
            Corrupt::new(S, 10, format!("wVer {w_ver} is not a known PST version (14, 15, 23, 36, 37)"))
        })?;
        let mut problems = Vec::new();
        if let Client::Other(m) = client {
            problems.push(problem(S, 8, format!("unknown wMagicClient {m:02X?}")));
        }

        // MS-PST 2.2.2.6: dwCRCPartial covers the 471 bytes from wMagicClient.
        let partial = file.get(8..8 + 471).ok_or_else(short)?;
        let computed = crc32(partial);
        if computed != dw_crc_partial {
            problems.push(problem(S, 4, format!("dwCRCPartial is {dw_crc_partial:#010x}, computed {computed:#010x}")));
        }

        let (nbt_at, bbt_at, eof_at, crypt_at, dw_crc_full);
        if format.is_unicode() {
            // MS-PST 2.2.2.6 (Unicode): ROOT at 180; ibFileEof at +4,
            // BREFNBT at +36, BREFBBT at +52; bCryptMethod at 513;
            // dwCRCFull at 524 covers the 516 bytes from wMagicClient.
            eof_at = 184;
            nbt_at = 216;
            bbt_at = 232;
            crypt_at = 513;
            let stored = u32_at(file, 524).ok_or_else(short)?;
            let full = file.get(8..8 + 516).ok_or_else(short)?;
            let computed = crc32(full);
            if computed != stored {
                problems.push(problem(S, 524, format!("dwCRCFull is {stored:#010x}, computed {computed:#010x}")));
            }
            dw_crc_full = Some(stored);
        } else {
            // MS-PST 2.2.2.6 (ANSI): ROOT at 164; ibFileEof at +4, BREFNBT at
            // +20, BREFBBT at +28; bCryptMethod at 461.
            eof_at = 168;
            nbt_at = 184;
            bbt_at = 192;
            crypt_at = 461;
            dw_crc_full = None;
        }
        let ib_file_eof = read_ib(file, eof_at, format).ok_or_else(short)?;
        let bref_nbt = read_bref(file, nbt_at, format).ok_or_else(short)?;
        let bref_bbt = read_bref(file, bbt_at, format).ok_or_else(short)?;
        let crypt_byte = u8_at(file, crypt_at).ok_or_else(short)?;
        let crypt_method = CryptMethod::from_byte(crypt_byte).ok_or_else(|| {
            Corrupt::new(S, crypt_at as u64, format!("bCryptMethod {crypt_byte:#04x} is not 0, 1 or 2"))
        })?;
        if ib_file_eof != file.len() as u64 {
            problems.push(problem(
                S,
                eof_at as u64,
                format!("ibFileEof is {ib_file_eof} but the file has {} bytes", file.len()),
            ));
        }
        Ok(Header {
            client,
            w_ver,
            w_ver_client,
            format,
            crypt_method,
            ib_file_eof,
            bref_nbt,
            bref_bbt,
            dw_crc_partial,
            dw_crc_full,
            problems,
        })
    }
}

/// Reads a BID or IB of the format's width.
pub(crate) fn read_ib(data: &[u8], at: usize, format: Format) -> Option<u64> {
    if format.is_unicode() {
        u64_at(data, at)
    } else {
        u32_at(data, at).map(u64::from)
    }
}

/// Reads a `BREF` (MS-PST 2.2.2.4): bid then ib.
pub(crate) fn read_bref(data: &[u8], at: usize, format: Format) -> Option<Bref> {
    let w = format.bid_size();
    Some(Bref { bid: read_ib(data, at, format)?, ib: read_ib(data, at.checked_add(w)?, format)? })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Unicode header with correct CRCs, for tests of every layer.
    pub(crate) fn unicode_header(w_ver: u16, crypt: u8, nbt: Bref, bbt: Bref, eof: u64) -> Vec<u8> {
        let mut h = vec![0u8; 564];
        h[..4].copy_from_slice(b"!BDN");
        h[8..10].copy_from_slice(b"SM");
        h[10..12].copy_from_slice(&w_ver.to_le_bytes());
        h[12..14].copy_from_slice(&19u16.to_le_bytes());
        h[184..192].copy_from_slice(&eof.to_le_bytes());
        h[216..224].copy_from_slice(&nbt.bid.to_le_bytes());
        h[224..232].copy_from_slice(&nbt.ib.to_le_bytes());
        h[232..240].copy_from_slice(&bbt.bid.to_le_bytes());
        h[240..248].copy_from_slice(&bbt.ib.to_le_bytes());
        h[512] = 0x80;
        h[513] = crypt;
        let partial = crc32(&h[8..8 + 471]);
        h[4..8].copy_from_slice(&partial.to_le_bytes());
        let full = crc32(&h[8..8 + 516]);
        h[524..528].copy_from_slice(&full.to_le_bytes());
        h
    }

    #[test]
    fn parses_unicode_header() {
        let nbt = Bref { bid: 0x100, ib: 0x4400 };
        let bbt = Bref { bid: 0x104, ib: 0x4600 };
        let h = unicode_header(23, 1, nbt, bbt, 564);
        let hdr = Header::parse(&h).expect("valid header");
        assert_eq!(hdr.format, Format::Unicode);
        assert_eq!(hdr.client, Client::Pst);
        assert_eq!(hdr.crypt_method, CryptMethod::Permute);
        assert_eq!(hdr.bref_nbt, nbt);
        assert_eq!(hdr.bref_bbt, bbt);
        assert!(hdr.problems.is_empty(), "{:?}", hdr.problems);
    }

    #[test]
    fn crc_mismatch_is_a_problem_not_an_error() {
        let mut h = unicode_header(23, 0, Bref::default(), Bref::default(), 564);
        h[300] ^= 0xFF;
        let hdr = Header::parse(&h).expect("still parses");
        assert_eq!(hdr.problems.len(), 2, "{:?}", hdr.problems);
        assert!(hdr.problems[0].message.contains("dwCRCPartial"));
    }

    #[test]
    fn four_k_header_and_sizes() {
        let h = unicode_header(36, 0, Bref::default(), Bref::default(), 564);
        let hdr = Header::parse(&h).expect("valid header");
        assert_eq!(hdr.format, Format::Unicode4k);
        assert_eq!(Format::Unicode4k.page_size(), 4096);
        assert_eq!(Format::Unicode4k.block_size(1), 512);
        assert_eq!(Format::Unicode4k.block_size(489), 1024);
        assert_eq!(Format::Unicode.block_size(48), 64);
        assert_eq!(Format::Unicode.block_size(49), 128);
        assert_eq!(Format::Ansi.block_size(52), 64);
        assert_eq!(Format::Unicode.block_size(8176), 8192);
    }

    #[test]
    fn rejects_garbage() {
        assert!(Header::parse(b"From someone").is_err());
        assert!(Header::parse(b"!BDN").is_err());
        let mut h = unicode_header(23, 0, Bref::default(), Bref::default(), 564);
        h[10] = 99;
        assert!(Header::parse(&h).is_err());
        let mut h = unicode_header(23, 7, Bref::default(), Bref::default(), 564);
        h[513] = 7;
        assert!(Header::parse(&h).is_err());
    }
}
