//! Property values as stored (MS-PST 2.3.3.4, [MS-OXCDATA] 2.11.1): the
//! inverse of [`crate::ltp::prop::decode`].

use crate::ltp::prop::*;

/// The property type and stored bytes of `v`, such that
/// `decode(type, bytes) == v`: fixed-size values little-endian at their
/// size (a `PtypBoolean` is one byte; a PC pads inline values to 4),
/// strings without a terminator (UTF-16LE for `PtypString`), multi-valued
/// fixed types back to back (MS-PST 2.3.3.4.1), multi-valued variable
/// types as ulCount, rgulDataOffsets and the values (MS-PST 2.3.3.4.2),
/// `PtypObject` as its subnode NID and size (MS-PST 2.3.3.5).
pub fn encode(v: &PropValue<'_>) -> (u16, Vec<u8>) {
    use PropValue as P;
    let bytes = match v {
        P::Null => Vec::new(),
        P::I16(x) => x.to_le_bytes().to_vec(),
        P::I32(x) => x.to_le_bytes().to_vec(),
        P::F32(x) => x.to_le_bytes().to_vec(),
        P::F64(x) | P::AppTime(x) => x.to_le_bytes().to_vec(),
        P::Currency(x) | P::I64(x) | P::Time(x) => x.to_le_bytes().to_vec(),
        P::Error(x) => x.to_le_bytes().to_vec(),
        P::Bool(b) => vec![u8::from(*b)],
        P::Guid(g) => g.to_vec(),
        P::String8(b)
        | P::Binary(b)
        | P::ServerId(b)
        | P::Restriction(b)
        | P::RuleAction(b)
        | P::Unspecified(b)
        | P::Unknown { raw: b, .. } => b.to_vec(),
        P::Unicode(s) => utf16(s),
        P::Object { nid, size } => [nid.to_le_bytes(), size.to_le_bytes()].concat(),
        P::MvI16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        P::MvI32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        P::MvError(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        P::MvF32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        P::MvF64(v) | P::MvAppTime(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        P::MvI64(v) | P::MvCurrency(v) | P::MvTime(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        P::MvGuid(v) => v.concat(),
        P::MvString8(v) | P::MvBinary(v) => mv_variable(v.iter().map(|x| x.to_vec())),
        P::MvUnicode(v) => mv_variable(v.iter().map(|s| utf16(s))),
    };
    (v.prop_type(), bytes)
}

/// UTF-16LE without a terminator. The reader drops one trailing NUL, so a
/// string that itself ends in NUL gets one more to keep it.
fn utf16(s: &str) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(2 * s.len() + 2);
    if s.is_ascii() {
        // Most text is ASCII: one byte and a zero per character.
        out.resize(2 * s.len(), 0);
        for (o, b) in out.chunks_exact_mut(2).zip(s.bytes()) {
            o[0] = b;
        }
    } else {
        // encoding_rs's converter: two to three times `encode_utf16` on
        // mixed text.
        let mut units = vec![0u16; s.len() + 1];
        let n = encoding_rs::mem::convert_str_to_utf16(s, &mut units);
        out.resize(2 * n, 0);
        for (o, u) in out.chunks_exact_mut(2).zip(&units[..n]) {
            o.copy_from_slice(&u.to_le_bytes());
        }
    }
    if s.ends_with('\0') {
        out.extend_from_slice(&[0, 0]);
    }
    out
}

/// MS-PST 2.3.3.4.2: ulCount, then ulCount offsets from the start of the
/// value, then the values back to back.
fn mv_variable(items: impl ExactSizeIterator<Item = Vec<u8>>) -> Vec<u8> {
    let count = items.len();
    let mut head = Vec::with_capacity(4 + 4 * count);
    head.extend_from_slice(&(count as u32).to_le_bytes());
    let mut data = Vec::new();
    let base = 4 + 4 * count;
    for it in items {
        head.extend_from_slice(&((base + data.len()) as u32).to_le_bytes());
        data.extend_from_slice(&it);
    }
    head.extend_from_slice(&data);
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn every_variant() -> Vec<PropValue<'static>> {
        use PropValue as P;
        vec![
            P::Null,
            P::I16(-2),
            P::I32(-70_000),
            P::F32(1.5),
            P::F64(-2.25e300),
            P::Currency(123_456_789),
            P::AppTime(45_000.5),
            P::Error(0x8004_010F),
            P::Bool(true),
            P::Bool(false),
            P::I64(i64::MIN),
            P::Time(133_000_000_000_000_000),
            P::Guid(*b"0123456789abcdef"),
            P::String8(Cow::Borrowed(b"Gel\xf6scht")),
            P::Unicode("Posteingang \u{1F4E8} ü".into()),
            P::Unicode("ends in NUL\0".into()),
            P::Unicode(String::new()),
            P::Binary(Cow::Borrowed(&[0, 1, 2, 255])),
            P::ServerId(Cow::Borrowed(b"\x01server")),
            P::Restriction(Cow::Borrowed(b"\x00\x01")),
            P::RuleAction(Cow::Borrowed(b"act")),
            P::Object { nid: 0x20_0104, size: 20_732 },
            P::Unspecified(Cow::Borrowed(b"raw")),
            P::MvI16(vec![1, -1]),
            P::MvI32(vec![]),
            P::MvI32(vec![7, 8, 9]),
            P::MvError(vec![0x8000_4005]),
            P::MvF32(vec![0.5, -0.25]),
            P::MvF64(vec![1e-300]),
            P::MvAppTime(vec![1.0, 2.0]),
            P::MvI64(vec![i64::MAX]),
            P::MvCurrency(vec![-5]),
            P::MvTime(vec![1, 2, 3]),
            P::MvGuid(vec![[7; 16], [9; 16]]),
            P::MvString8(vec![b"a".to_vec(), vec![], b"ccc".to_vec()]),
            P::MvUnicode(vec!["x".into(), "".into(), "Zürich".into()]),
            P::MvUnicode(vec![]),
            P::MvBinary(vec![vec![1, 2], vec![3]]),
            P::Unknown { ptype: 0x0049, raw: Cow::Borrowed(b"\x01\x02\x03") },
            P::Unknown { ptype: 0x100B, raw: Cow::Borrowed(b"\x01\x00") },
        ]
    }

    #[test]
    fn encode_is_the_inverse_of_decode_for_every_type() {
        for v in every_variant() {
            let (t, bytes) = encode(&v);
            assert_eq!(t, v.prop_type(), "{v:?}");
            let back = decode(t, Cow::Owned(bytes.clone())).unwrap_or_else(|e| panic!("{v:?}: {e:?}"));
            assert_eq!(back, v, "type {t:#06x}, bytes {bytes:02x?}");
            if let Some(n) = fixed_size(t) {
                if t & MV_FLAG == 0 {
                    assert_eq!(bytes.len(), n, "{v:?} is stored at its fixed size");
                }
            }
        }
    }

    #[test]
    fn multi_valued_layouts_are_the_spec_ones() {
        // MS-PST 2.3.3.4.2: ulCount 2, offsets 12 and 14, then the data.
        let (_, b) = encode(&PropValue::MvUnicode(vec!["a".into(), "bc".into()]));
        assert_eq!(b, [2, 0, 0, 0, 12, 0, 0, 0, 14, 0, 0, 0, b'a', 0, b'b', 0, b'c', 0]);
        // MS-PST 2.3.3.4.1: packed.
        let (t, b) = encode(&PropValue::MvI16(vec![1, 2]));
        assert_eq!((t, b), (MV_FLAG | PT_I2, vec![1, 0, 2, 0]));
        let (t, b) = encode(&PropValue::Object { nid: 0x44, size: 9 });
        assert_eq!((t, b), (PT_OBJECT, vec![0x44, 0, 0, 0, 9, 0, 0, 0]));
    }
}

#[cfg(test)]
mod utf16_tests {
    use super::utf16;

    #[test]
    fn utf16_of_ascii_and_the_rest() {
        for s in ["", "ascii", "Grüße aus Köln — €", "日本語", "a\u{1F600}b", "ends in NUL\0"] {
            let mut want: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
            if s.ends_with('\0') {
                want.extend_from_slice(&[0, 0]);
            }
            assert_eq!(utf16(s), want, "{s:?}");
        }
    }
}
