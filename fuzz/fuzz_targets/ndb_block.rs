//! Blocks (MS-PST 2.2.2.8): input is `[selector] [flags] [cb_inflated: 2] data`.
//! The data is written as one block behind a trailer the harness makes
//! consistent (size, BID, signature and, unless flag bit 0, CRC), then read
//! back as `read_block` does: CRC check, zlib inflation in the 4K layout
//! (whenever cb_inflated differs from cb) and permute / cyclic decoding.
//! The raw codecs and `inflate` are fed the data too.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_pst::ndb::block::{inflate, parse_trailer, read_block};
use mailshift_pst::ndb::btree::BbtEntry;
use mailshift_pst::ndb::crc::crc32;
use mailshift_pst::ndb::crypt::{cyclic, permute_decode, CryptMethod};
use mailshift_pst::ndb::header::Format;
use mailshift_pst::ndb::page::compute_sig;
use mailshift_pst::raw::BlockTrailer;

fuzz_target!(|data: &[u8]| {
    let [sel, flags, i0, i1, rest @ ..] = data else { return };
    let (format, crypt) = mailshift_fuzz::format_and_crypt(*sel);
    let max = format.max_block_data();
    let stored = &rest[..rest.len().min(max)];
    let cb_inflated = u16::from_le_bytes([*i0, *i1]);
    let internal = flags & 2 != 0;
    let bid = 0x1000u64 | if internal { 2 } else { 0 };
    let ib = format.block_alignment() as u64 * 2;
    let size = format.block_size(stored.len());
    let mut file = vec![0u8; ib as usize + size];
    let b = &mut file[ib as usize..];
    b[..stored.len()].copy_from_slice(stored);
    let t = size - format.block_trailer_size();
    let dw_crc = if flags & 1 != 0 { 0xDEAD_BEEF } else { crc32(stored) };
    // cbInflated is written in the 4K layout only.
    let trailer = BlockTrailer {
        cb: stored.len() as u16,
        w_sig: compute_sig(ib, bid),
        dw_crc,
        bid,
        cb_inflated: Some(cb_inflated),
    };
    trailer.write(&mut b[t..], format);
    let _ = parse_trailer(&file[ib as usize..], format, ib);
    let entry = BbtEntry { bid, ib, cb: stored.len() as u16, c_ref: 1 };
    if let Ok(out) = read_block(&file, format, crypt, &entry) {
        let mut again = out.into_owned();
        // Encoding what was decoded gives back the stored bytes (when no
        // zlib was involved): the codecs are inverses.
        if !internal && (format != Format::Unicode4k || usize::from(cb_inflated) == stored.len() || cb_inflated == 0) {
            crypt.encode(&mut again, bid);
            assert_eq!(&again[..], stored, "encode(decode(x)) != x for {crypt:?}");
        }
    }
    // Wrong-sized entries must be refused, not read past.
    let wrong = BbtEntry { cb: (stored.len() as u16).wrapping_add(u16::from(flags >> 2)), ..entry };
    let _ = read_block(&file, format, crypt, &wrong);
    let _ = inflate(stored, usize::from(cb_inflated), 0);
    let mut d = stored.to_vec();
    permute_decode(&mut d);
    cyclic(&mut d, u32::from(cb_inflated));
    let _ = CryptMethod::from_byte(*flags);
});
