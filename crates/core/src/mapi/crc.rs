//! The CRC-32 MAPI structures carry: compressed RTF ([MS-OXRTFCP] 2.1.3.2)
//! and PidLidDistributionListChecksum ([MS-OXOCNTC] 2.2.2.2.3).
//!
//! It is the reflected CRC-32 of polynomial 0xEDB88320 (zlib's table), run
//! from 0 and without the final inversion: the CRC of MS-PST 5.3 too
//! (mailshift-pst's `ndb::crc`, which a PST needs without any MAPI).
//!
//! [MS-OXRTFCP]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfcp/
//! [MS-OXOCNTC]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxocntc/

/// Continues the CRC over `data` from `crc`. crc32fast inverts the register
/// before and after; the inversions are undone around it.
pub fn update(crc: u32, data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(!crc);
    h.update(data);
    !h.finalize()
}

/// The CRC of `data` from 0.
pub fn crc32(data: &[u8]) -> u32 {
    update(0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_zlibs_crc_without_the_inversions() {
        // CRC-32/ISO-HDLC of "123456789" is 0xCBF43926.
        assert_eq!(update(0xFFFF_FFFF, b"123456789") ^ 0xFFFF_FFFF, 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(&[0u8; 16]), 0);
        assert_eq!(update(crc32(b"1234"), b"56789"), crc32(b"123456789"));
    }
}
