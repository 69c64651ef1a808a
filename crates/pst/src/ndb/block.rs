//! Blocks (MS-PST 2.2.2.8): variable-size units holding node data, data
//! trees and subnode trees, each ending in a `BLOCKTRAILER`.

use std::borrow::Cow;
use std::io::Read;

use super::btree::BbtEntry;
use super::crc::crc32;
use super::crypt::CryptMethod;
use super::header::Format;
use super::page::compute_sig;
use crate::error::{CResult, Corrupt};
use crate::raw::Bid;

/// The BID bit that marks an internal block (MS-PST 2.2.2.2): data trees
/// and subnode trees, never encoded.
pub const BID_INTERNAL: u64 = Bid::INTERNAL;

pub use crate::raw::BlockTrailer;

/// Reads the `BLOCKTRAILER` (MS-PST 2.2.2.8.1) from the last bytes of
/// `block`, found at file offset `offset` (for the error).
pub fn parse_trailer(block: &[u8], format: Format, offset: u64) -> CResult<BlockTrailer> {
    let bad = || Corrupt::new("BLOCKTRAILER", offset, "block shorter than its trailer");
    let at = block.len().checked_sub(format.block_trailer_size()).ok_or_else(bad)?;
    BlockTrailer::parse(&block[at..], format).ok_or_else(bad)
}

/// The data of the block `entry` describes: checked against its trailer,
/// inflated (4K files) and decoded (external blocks) as needed. Borrowed from
/// `file` when stored plain.
pub fn read_block<'a>(file: &'a [u8], format: Format, crypt: CryptMethod, entry: &BbtEntry) -> CResult<Cow<'a, [u8]>> {
    let (stored, inflated) = validated(file, format, entry)?;
    if let Some(inflated) = inflated {
        let mut data = inflate(stored, inflated, entry.ib)?;
        if !Bid(entry.bid).is_internal() {
            crypt.decode(&mut data, entry.bid);
        }
        return Ok(Cow::Owned(data));
    }
    if Bid(entry.bid).is_internal() || crypt == CryptMethod::None {
        return Ok(Cow::Borrowed(stored));
    }
    let mut data = Vec::with_capacity(stored.len());
    crypt.decode_into(stored, &mut data, entry.bid);
    Ok(Cow::Owned(data))
}

/// [`read_block`], the data appended to `out`: decoded straight from the
/// map into it, without a copy of its own.
pub fn read_block_into(
    file: &[u8],
    format: Format,
    crypt: CryptMethod,
    entry: &BbtEntry,
    out: &mut Vec<u8>,
) -> CResult<()> {
    let (stored, inflated) = validated(file, format, entry)?;
    let internal = Bid(entry.bid).is_internal();
    if let Some(inflated) = inflated {
        let at = out.len();
        out.extend_from_slice(&inflate(stored, inflated, entry.ib)?);
        if !internal {
            crypt.decode(&mut out[at..], entry.bid);
        }
    } else if internal {
        out.extend_from_slice(stored);
    } else {
        crypt.decode_into(stored, out, entry.bid);
    }
    Ok(())
}

/// The block's stored bytes once its trailer, signature and CRC check
/// out, and the size they inflate to when they are compressed (4K files).
fn validated<'a>(file: &'a [u8], format: Format, entry: &BbtEntry) -> CResult<(&'a [u8], Option<usize>)> {
    const S: &str = "block";
    let off = entry.ib;
    let cb = usize::from(entry.cb);
    let size = format.block_size(cb);
    if size > format.max_block_size() {
        return Err(Corrupt::new(S, off, format!("cb {cb} exceeds the largest block")));
    }
    let start = usize::try_from(entry.ib).map_err(|_| Corrupt::new(S, off, "offset beyond address space"))?;
    let block =
        start.checked_add(size).and_then(|end| file.get(start..end)).filter(|_| start > 0).ok_or_else(|| {
            Corrupt::new(S, off, format!("block of {size} bytes at {off} is outside the file ({} bytes)", file.len()))
        })?;
    let t = parse_trailer(block, format, off)?;
    if t.cb != entry.cb {
        return Err(Corrupt::new("BLOCKTRAILER", off, format!("cb {} but the BBT says {}", t.cb, entry.cb)));
    }
    if Bid(t.bid).key() != Bid(entry.bid).key() {
        return Err(Corrupt::new("BLOCKTRAILER", off, format!("bid {:#x} but the BBT says {:#x}", t.bid, entry.bid)));
    }
    if t.w_sig != 0
        && t.w_sig != compute_sig(entry.ib, Bid(entry.bid).key())
        && t.w_sig != compute_sig(entry.ib, entry.bid)
    {
        return Err(Corrupt::new(
            "BLOCKTRAILER",
            off,
            format!("wSig {:#06x} does not match the block's offset and BID", t.w_sig),
        ));
    }
    let stored = &block[..cb];
    let crc = crc32(stored);
    if crc != t.dw_crc && !LENIENT.with(|l| l.get().map(|n| l.set(Some(n + 1))).is_some()) {
        return Err(Corrupt::new("BLOCKTRAILER", off, format!("dwCRC {:#010x}, computed {crc:#010x}", t.dw_crc)));
    }
    let inflated = t.cb_inflated.map(usize::from).filter(|&i| i != 0 && i != cb);
    Ok((stored, inflated))
}

thread_local! {
    /// Inside [`lenient`]: how many blocks were read past a CRC mismatch.
    static LENIENT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with blocks whose CRC alone fails (size, BID and signature
/// match) read as they are, on this thread only; returns what `f` gave and
/// how many such blocks it read. For salvaging a message that cannot be
/// read otherwise (issue 11): the caller marks what it gives as damaged.
pub fn lenient<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = LENIENT.with(|l| l.replace(Some(0)));
    let out = f();
    let n = LENIENT.with(|l| l.replace(before)).unwrap_or(0);
    if let Some(b) = before {
        LENIENT.with(|l| l.set(Some(b + n)));
    }
    (out, n)
}

/// Inflates a zlib stream (RFC 1950, what libpff's `uncompress` expects)
/// to exactly `expected` bytes: never more are allocated or produced.
pub fn inflate(stored: &[u8], expected: usize, offset: u64) -> CResult<Vec<u8>> {
    let mut out = Vec::with_capacity(expected);
    let mut dec = flate2::read::ZlibDecoder::new(stored).take(expected as u64 + 1);
    dec.read_to_end(&mut out)
        .map_err(|e| Corrupt::new("compressed block", offset, format!("zlib data does not inflate: {e}")))?;
    if out.len() != expected {
        return Err(Corrupt::new(
            "compressed block",
            offset,
            format!(
                "inflates to {}{} bytes, the trailer says {expected}",
                if out.len() > expected { "more than " } else { "" },
                out.len().min(expected)
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// Lays out one block as a writer would: data (already encoded), padding,
    /// trailer ([`BlockTrailer::build_block`]). `cb_inflated` is
    /// written only for 4K.
    pub(crate) fn build_block(format: Format, ib: u64, bid: u64, stored: &[u8], cb_inflated: u16) -> Vec<u8> {
        BlockTrailer::build_block(format, ib, bid, stored, cb_inflated)
    }

    fn file_with(block: &[u8], ib: usize) -> Vec<u8> {
        let mut f = vec![0u8; ib];
        f.extend_from_slice(block);
        f
    }

    #[test]
    fn plain_internal_block_is_borrowed() {
        let data = b"\x01\x01\x02\x00internal".to_vec();
        let blk = build_block(Format::Unicode, 512, 0x46, &data, 0);
        assert_eq!(blk.len(), 64);
        let file = file_with(&blk, 512);
        let e = BbtEntry { bid: 0x46, ib: 512, cb: data.len() as u16, c_ref: 1 };
        let got = read_block(&file, Format::Unicode, CryptMethod::Permute, &e).expect("valid");
        assert!(matches!(got, Cow::Borrowed(_)), "internal blocks are not decoded");
        assert_eq!(&*got, &data[..]);
    }

    #[test]
    fn permuted_and_cyclic_external_blocks_decode() {
        let plain = b"Subject: hello from a permuted block".to_vec();
        for (crypt, bid) in [(CryptMethod::Permute, 0x1234u64), (CryptMethod::Cyclic, 0x1_0000_5678u64)] {
            let mut enc = plain.clone();
            crypt.encode(&mut enc, bid);
            let file = file_with(&build_block(Format::Unicode, 1024, bid, &enc, 0), 1024);
            let e = BbtEntry { bid, ib: 1024, cb: enc.len() as u16, c_ref: 1 };
            let got = read_block(&file, Format::Unicode, crypt, &e).expect("valid");
            assert_eq!(&*got, &plain[..], "{crypt:?}");
        }
    }

    #[test]
    fn ansi_block() {
        let data = vec![0xAB; 52];
        let blk = build_block(Format::Ansi, 512, 0x88, &data, 0);
        assert_eq!(blk.len(), 64);
        let file = file_with(&blk, 512);
        let e = BbtEntry { bid: 0x88, ib: 512, cb: 52, c_ref: 1 };
        assert_eq!(&*read_block(&file, Format::Ansi, CryptMethod::None, &e).expect("valid"), &data[..]);
    }

    #[test]
    fn zlib_compressed_4k_block_inflates() {
        let plain: Vec<u8> = b"4K OST blocks are zlib streams when cb < the inflated size. ".repeat(40);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&plain).expect("in memory");
        let packed = z.finish().expect("in memory");
        assert!(packed.len() < plain.len());
        let bid = 0x2A4; // external: compressed data is permuted? none here
        let blk = build_block(Format::Unicode4k, 4096, bid, &packed, plain.len() as u16);
        assert_eq!(blk.len() % 512, 0);
        let file = file_with(&blk, 4096);
        let e = BbtEntry { bid, ib: 4096, cb: packed.len() as u16, c_ref: 1 };
        let got = read_block(&file, Format::Unicode4k, CryptMethod::None, &e).expect("inflates");
        assert_eq!(&*got, &plain[..]);

        // An uncompressed 4K block: cb == inflated size, borrowed.
        let blk = build_block(Format::Unicode4k, 4096, bid, &plain[..100], 100);
        let file = file_with(&blk, 4096);
        let e = BbtEntry { bid, ib: 4096, cb: 100, c_ref: 1 };
        let got = read_block(&file, Format::Unicode4k, CryptMethod::None, &e).expect("plain");
        assert!(matches!(got, Cow::Borrowed(_)));

        // A lying inflated size is an error, and nothing past it is produced.
        let blk = build_block(Format::Unicode4k, 4096, bid, &packed, 200);
        let file = file_with(&blk, 4096);
        let e = BbtEntry { bid, ib: 4096, cb: packed.len() as u16, c_ref: 1 };
        assert!(read_block(&file, Format::Unicode4k, CryptMethod::None, &e).is_err());
        // Garbage instead of zlib.
        let junk = vec![0x55u8; 300];
        let blk = build_block(Format::Unicode4k, 4096, bid, &junk, 1000);
        let file = file_with(&blk, 4096);
        let e = BbtEntry { bid, ib: 4096, cb: 300, c_ref: 1 };
        assert!(read_block(&file, Format::Unicode4k, CryptMethod::None, &e).is_err());
    }

    #[test]
    fn mismatches_are_errors() {
        let data = vec![1u8; 40];
        let file = file_with(&build_block(Format::Unicode, 512, 0x48, &data, 0), 512);
        let good = BbtEntry { bid: 0x48, ib: 512, cb: 40, c_ref: 1 };
        assert!(read_block(&file, Format::Unicode, CryptMethod::None, &good).is_ok());
        let wrong_cb = BbtEntry { cb: 41, ..good };
        assert!(read_block(&file, Format::Unicode, CryptMethod::None, &wrong_cb).is_err());
        let wrong_bid = BbtEntry { bid: 0x4C, ..good };
        assert!(read_block(&file, Format::Unicode, CryptMethod::None, &wrong_bid).is_err());
        let outside = BbtEntry { ib: 1 << 40, ..good };
        assert!(read_block(&file, Format::Unicode, CryptMethod::None, &outside).is_err());
        let mut flipped = file.clone();
        flipped[515] ^= 0x10;
        assert!(read_block(&flipped, Format::Unicode, CryptMethod::None, &good).is_err());
    }
}
