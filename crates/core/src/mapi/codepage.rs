//! Windows code page numbers (PidTagMessageCodepage, PidTagInternetCodepage)
//! to `encoding_rs` encodings, and the decoding of `PtypString8` values.

use encoding_rs::Encoding;

/// The encoding for a Windows code page number, `None` for code pages
/// `encoding_rs` does not implement (the caller falls back to Windows-1252).
///
/// Where WHATWG folds an ISO code page into its Windows superset
/// (ISO-8859-1 and US-ASCII into Windows-1252, ISO-8859-9 into
/// Windows-1254), so does this table: the superset decodes every byte the
/// subset defines the same way.
pub fn encoding_for(codepage: u32) -> Option<&'static Encoding> {
    use encoding_rs::*;
    Some(match codepage {
        65001 => UTF_8,
        1200 => UTF_16LE,
        1201 => UTF_16BE,
        866 => IBM866,
        874 => WINDOWS_874,
        932 => SHIFT_JIS,
        936 | 51936 => GBK,
        54936 => GB18030,
        949 | 51949 => EUC_KR,
        950 => BIG5,
        1250 => WINDOWS_1250,
        1251 => WINDOWS_1251,
        1252 | 20127 | 28591 => WINDOWS_1252,
        1253 => WINDOWS_1253,
        1254 | 28599 => WINDOWS_1254,
        1255 => WINDOWS_1255,
        1256 => WINDOWS_1256,
        1257 => WINDOWS_1257,
        1258 => WINDOWS_1258,
        10000 => MACINTOSH,
        10007 => X_MAC_CYRILLIC,
        20866 => KOI8_R,
        21866 => KOI8_U,
        20932 | 51932 => EUC_JP,
        28592 => ISO_8859_2,
        28593 => ISO_8859_3,
        28594 => ISO_8859_4,
        28595 => ISO_8859_5,
        28596 => ISO_8859_6,
        28597 => ISO_8859_7,
        28598 => ISO_8859_8,
        38598 => ISO_8859_8_I,
        28603 => ISO_8859_13,
        28605 => ISO_8859_15,
        50220..=50222 => ISO_2022_JP,
        _ => return None,
    })
}

/// Decodes 8-bit text (trailing NULs dropped) with `enc`.
pub fn decode_string8(bytes: &[u8], enc: &'static Encoding) -> String {
    let mut end = bytes.len();
    while end > 0 && bytes[end - 1] == 0 {
        end -= 1;
    }
    enc.decode_without_bom_handling(&bytes[..end]).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_code_pages() {
        assert_eq!(encoding_for(1252), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(encoding_for(65001), Some(encoding_rs::UTF_8));
        assert_eq!(encoding_for(932), Some(encoding_rs::SHIFT_JIS));
        assert_eq!(encoding_for(437), None);
        assert_eq!(decode_string8(b"Gel\xf6scht\0", encoding_rs::WINDOWS_1252), "Gelöscht");
        assert_eq!(
            decode_string8(b"\xc5\xe9\xf3\xe5\xf1\xf7\xfc\xec\xe5\xed\xe1", encoding_rs::WINDOWS_1253),
            "Εισερχόμενα"
        );
        assert_eq!(decode_string8(b"\x93\xfa\x96\x7b", encoding_rs::SHIFT_JIS), "日本");
    }
}
