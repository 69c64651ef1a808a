//! The file header, MS-PST 2.2.2.6, for the ANSI, Unicode and (from
//! libpff's documentation, not MS-PST) Unicode 4K-page variants.

use mailshift_core::{Problem, Severity};

use super::crc::crc32;
use super::crypt::CryptMethod;
use crate::error::{u16_at, u32_at, u8_at, CResult, Corrupt};
use crate::raw;

pub use crate::raw::{Bref, Format, DW_MAGIC};

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
        if file.get(raw::HEADER_DW_MAGIC..raw::HEADER_DW_MAGIC + 4) != Some(&DW_MAGIC[..]) {
            return Err(Corrupt::new(S, 0, "dwMagic is not \"!BDN\": not a PST or OST file"));
        }
        let dw_crc_partial = u32_at(file, raw::HEADER_DW_CRC_PARTIAL).ok_or_else(short)?;
        let at = raw::HEADER_W_MAGIC_CLIENT;
        let magic_client = [u8_at(file, at).ok_or_else(short)?, u8_at(file, at + 1).ok_or_else(short)?];
        let client = match magic_client {
            raw::MAGIC_CLIENT_PST => Client::Pst,
            raw::MAGIC_CLIENT_OST => Client::Ost,
            raw::MAGIC_CLIENT_PAB => Client::Pab,
            _ => Client::Other(magic_client),
        };
        let w_ver = u16_at(file, raw::HEADER_W_VER).ok_or_else(short)?;
        let w_ver_client = u16_at(file, raw::HEADER_W_VER_CLIENT).ok_or_else(short)?;
        let format = Format::from_wver(w_ver).ok_or_else(|| {
            Corrupt::new(
                S,
                raw::HEADER_W_VER as u64,
                format!("wVer {w_ver} is not a known PST version (14, 15, 23, 36, 37)"),
            )
        })?;
        let mut problems = Vec::new();
        if let Client::Other(m) = client {
            problems.push(problem(S, at as u64, format!("unknown wMagicClient {m:02X?}")));
        }

        // MS-PST 2.2.2.6: dwCRCPartial covers the 471 bytes from wMagicClient.
        let partial = file.get(at..at + raw::HEADER_CRC_PARTIAL_LEN).ok_or_else(short)?;
        let computed = crc32(partial);
        if computed != dw_crc_partial {
            problems.push(problem(
                S,
                raw::HEADER_DW_CRC_PARTIAL as u64,
                format!("dwCRCPartial is {dw_crc_partial:#010x}, computed {computed:#010x}"),
            ));
        }

        // The ROOT fields, bCryptMethod and (Unicode) dwCRCFull, which
        // covers the 516 bytes from wMagicClient.
        let l = format.header();
        let dw_crc_full = match l.dw_crc_full {
            Some(full_at) => {
                let stored = u32_at(file, full_at).ok_or_else(short)?;
                let full = file.get(at..at + raw::HEADER_CRC_FULL_LEN).ok_or_else(short)?;
                let computed = crc32(full);
                if computed != stored {
                    problems.push(problem(
                        S,
                        full_at as u64,
                        format!("dwCRCFull is {stored:#010x}, computed {computed:#010x}"),
                    ));
                }
                Some(stored)
            }
            None => None,
        };
        let (eof_at, crypt_at) = (l.ib_file_eof, l.b_crypt_method);
        let ib_file_eof = read_ib(file, eof_at, format).ok_or_else(short)?;
        let bref_nbt = read_bref(file, l.bref_nbt, format).ok_or_else(short)?;
        let bref_bbt = read_bref(file, l.bref_bbt, format).ok_or_else(short)?;
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

/// Reads a BID or IB of the format's width ([`raw::read_id`]).
pub(crate) fn read_ib(data: &[u8], at: usize, format: Format) -> Option<u64> {
    raw::read_id(data, at, format)
}

/// Reads a `BREF` (MS-PST 2.2.2.4) at `at` ([`Bref::parse`]).
pub(crate) fn read_bref(data: &[u8], at: usize, format: Format) -> Option<Bref> {
    Bref::parse(data.get(at..)?, format)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Unicode header with correct CRCs, for tests of every layer.
    pub(crate) fn unicode_header(w_ver: u16, crypt: u8, nbt: Bref, bbt: Bref, eof: u64) -> Vec<u8> {
        header(w_ver, crypt, nbt, bbt, eof)
    }

    /// A header of the layout `w_ver` selects, with correct CRCs.
    pub(crate) fn header(w_ver: u16, crypt: u8, nbt: Bref, bbt: Bref, eof: u64) -> Vec<u8> {
        raw::HeaderFields {
            magic_client: raw::MAGIC_CLIENT_PST,
            w_ver,
            w_ver_client: raw::W_VER_CLIENT,
            ib_file_eof: eof,
            bref_nbt: nbt,
            bref_bbt: bbt,
            b_crypt_method: crypt,
        }
        .encode()
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
