//! The CRC of MS-PST 5.3, used by the header, page trailers and block
//! trailers.
//!
//! It is the reflected CRC-32 of polynomial 0xEDB88320 (the table of zlib and
//! Ethernet), but run with an initial value of 0 and no final inversion, so
//! `crc32` here differs from zlib's `crc32` for the same bytes.

/// `CrcTableOffset32` of MS-PST 5.3: one byte at a time is enough for pages of
/// 512 or 4096 bytes and blocks of at most 64 KiB.
#[cfg(test)]
const TABLE: [u32; 256] = make_table();

#[cfg(test)]
const fn make_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// Continues a CRC over `data` from `crc` (MS-PST 5.3 `ComputeCRC(dwCRC, pv, cbLength)`).
///
/// Every page and block read is checked, so this is hot: it runs
/// crc32fast's SIMD CRC-32, which inverts the register before and after,
/// so the inversions are undone around it.
pub fn update(crc: u32, data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(!crc);
    h.update(data);
    !h.finalize()
}

/// The byte-at-a-time form of [`update`], straight from MS-PST 5.3, kept
/// as the reference the fast one is tested against.
#[cfg(test)]
fn update_reference(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

/// The MS-PST CRC of `data`: `ComputeCRC(0, data, len)`.
pub fn crc32(data: &[u8]) -> u32 {
    update(0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_zlib_crc_with_pre_and_post_inversion() {
        // The check value of CRC-32/ISO-HDLC for "123456789" is 0xCBF43926;
        // MS-PST's variant is the same table without the inversions.
        assert_eq!(update(0xFFFF_FFFF, b"123456789") ^ 0xFFFF_FFFF, 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(&[0u8; 16]), 0, "zero bytes from a zero CRC stay zero");
    }

    #[test]
    fn fast_crc_equals_the_spec_table() {
        let mut x = 0x1234_5678u32;
        let data: Vec<u8> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        for len in [0, 1, 7, 64, 511, 512, 4096, 5000] {
            for start in [0u32, 1, 0xFFFF_FFFF, 0xDEAD_BEEF] {
                assert_eq!(
                    update(start, &data[..len]),
                    update_reference(start, &data[..len]),
                    "len {len} start {start:#x}"
                );
            }
        }
    }

    #[test]
    fn known_vectors() {
        // Computed independently (Python: zlib.crc32(d, 0xFFFFFFFF) ^ 0xFFFFFFFF
        // is the no-inversion form).
        assert_eq!(crc32(b"123456789"), 0x2DFD_2D88);
        assert_eq!(crc32(b"a"), 0x3AB5_51CE);
    }

    #[test]
    fn update_is_incremental() {
        let whole = crc32(b"hello, personal folders");
        let split = update(crc32(b"hello, "), b"personal folders");
        assert_eq!(whole, split);
    }
}
