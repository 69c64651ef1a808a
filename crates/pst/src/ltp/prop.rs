//! Property values: the MAPI property types of [MS-OXCDATA] 2.11.1 as PST
//! stores them (MS-PST 2.3.3.4 and 2.3.4.4).

use std::borrow::Cow;

pub use mailshift_core::mapi::{
    fixed_size, string8_lossy, utf16le, PropValue, MV_FLAG, PT_ACTIONS, PT_APPTIME, PT_BINARY, PT_BOOLEAN, PT_CLSID,
    PT_CURRENCY, PT_DOUBLE, PT_ERROR, PT_I2, PT_I8, PT_LONG, PT_NULL, PT_OBJECT, PT_R4, PT_SRESTRICT, PT_STRING8,
    PT_SVREID, PT_SYSTIME, PT_UNICODE, PT_UNSPECIFIED,
};

use crate::error::{u32_at, CResult, Corrupt};

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// Decodes a value of type `ptype` from its stored bytes (inline bytes,
/// heap allocation or subnode data).
pub fn decode(ptype: u16, bytes: Cow<'_, [u8]>) -> CResult<PropValue<'_>> {
    const S: &str = "property value";
    if let Some(size) = fixed_size(ptype) {
        if ptype & MV_FLAG == 0 {
            if bytes.len() < size {
                return Err(Corrupt::new(
                    S,
                    0,
                    format!("type {ptype:#06x} needs {size} bytes, {} stored", bytes.len()),
                ));
            }
            let b = &bytes[..];
            return Ok(match ptype {
                PT_NULL => PropValue::Null,
                PT_BOOLEAN => PropValue::Bool(b[0] != 0),
                PT_I2 => PropValue::I16(i16::from_le_bytes(arr(b))),
                PT_LONG => PropValue::I32(i32::from_le_bytes(arr(b))),
                PT_R4 => PropValue::F32(f32::from_le_bytes(arr(b))),
                PT_ERROR => PropValue::Error(u32::from_le_bytes(arr(b))),
                PT_DOUBLE => PropValue::F64(f64::from_le_bytes(arr(b))),
                PT_APPTIME => PropValue::AppTime(f64::from_le_bytes(arr(b))),
                PT_CURRENCY => PropValue::Currency(i64::from_le_bytes(arr(b))),
                PT_I8 => PropValue::I64(i64::from_le_bytes(arr(b))),
                PT_SYSTIME => PropValue::Time(i64::from_le_bytes(arr(b))),
                PT_CLSID => PropValue::Guid(arr(b)),
                _ => PropValue::Unknown { ptype, raw: bytes },
            });
        }
        // Multi-valued fixed types (MS-PST 2.3.3.4.1): the values back to back.
        if size == 0 || !bytes.len().is_multiple_of(size) {
            return Err(Corrupt::new(
                S,
                0,
                format!("{} bytes is not a whole number of {size}-byte values", bytes.len()),
            ));
        }
        let it = bytes.chunks_exact(size);
        return Ok(match ptype & !MV_FLAG {
            PT_I2 => PropValue::MvI16(it.map(|c| i16::from_le_bytes(arr(c))).collect()),
            PT_LONG => PropValue::MvI32(it.map(|c| i32::from_le_bytes(arr(c))).collect()),
            PT_ERROR => PropValue::MvError(it.map(|c| u32::from_le_bytes(arr(c))).collect()),
            PT_R4 => PropValue::MvF32(it.map(|c| f32::from_le_bytes(arr(c))).collect()),
            PT_DOUBLE => PropValue::MvF64(it.map(|c| f64::from_le_bytes(arr(c))).collect()),
            PT_APPTIME => PropValue::MvAppTime(it.map(|c| f64::from_le_bytes(arr(c))).collect()),
            PT_I8 => PropValue::MvI64(it.map(|c| i64::from_le_bytes(arr(c))).collect()),
            PT_CURRENCY => PropValue::MvCurrency(it.map(|c| i64::from_le_bytes(arr(c))).collect()),
            PT_SYSTIME => PropValue::MvTime(it.map(|c| i64::from_le_bytes(arr(c))).collect()),
            PT_CLSID => PropValue::MvGuid(it.map(arr).collect()),
            _ => PropValue::Unknown { ptype, raw: bytes },
        });
    }
    Ok(match ptype {
        PT_STRING8 => PropValue::String8(bytes),
        PT_UNICODE => PropValue::Unicode(utf16le(&bytes)),
        PT_BINARY => PropValue::Binary(bytes),
        PT_SVREID => PropValue::ServerId(bytes),
        PT_SRESTRICT => PropValue::Restriction(bytes),
        PT_ACTIONS => PropValue::RuleAction(bytes),
        PT_UNSPECIFIED => PropValue::Unspecified(bytes),
        PT_OBJECT => match (u32_at(&bytes, 0), u32_at(&bytes, 4)) {
            (Some(nid), Some(size)) => PropValue::Object { nid, size },
            _ => return Err(Corrupt::new(S, 0, "PtypObject value shorter than 8 bytes")),
        },
        t if t == MV_FLAG | PT_STRING8 => {
            PropValue::MvString8(split_mv(&bytes)?.into_iter().map(<[u8]>::to_vec).collect())
        }
        t if t == MV_FLAG | PT_UNICODE => PropValue::MvUnicode(split_mv(&bytes)?.into_iter().map(utf16le).collect()),
        t if t == MV_FLAG | PT_BINARY => {
            PropValue::MvBinary(split_mv(&bytes)?.into_iter().map(<[u8]>::to_vec).collect())
        }
        _ => PropValue::Unknown { ptype, raw: bytes },
    })
}

/// Multi-valued variable-size values (MS-PST 2.3.3.4.2): ulCount, then
/// ulCount offsets from the start, then the data.
fn split_mv(b: &[u8]) -> CResult<Vec<&[u8]>> {
    const S: &str = "multi-valued property";
    let count = u32_at(b, 0).ok_or_else(|| Corrupt::new(S, 0, "no ulCount"))? as usize;
    if count > b.len() / 4 {
        return Err(Corrupt::new(S, 0, format!("ulCount {count} does not fit in {} bytes", b.len())));
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let start = u32_at(b, 4 + 4 * i).ok_or_else(|| Corrupt::new(S, 0, "offsets cut short"))? as usize;
        let end = if i + 1 < count {
            u32_at(b, 8 + 4 * i).ok_or_else(|| Corrupt::new(S, 0, "offsets cut short"))? as usize
        } else {
            b.len()
        };
        let v = b
            .get(start..end)
            .ok_or_else(|| Corrupt::new(S, 0, format!("value {i} at {start}..{end} outside {} bytes", b.len())))?;
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_values() {
        assert_eq!(decode(PT_LONG, Cow::Borrowed(&[1, 2, 0, 0])).expect("i32"), PropValue::I32(0x201));
        assert_eq!(decode(PT_BOOLEAN, Cow::Borrowed(&[1, 0, 0, 0])).expect("bool"), PropValue::Bool(true));
        assert_eq!(decode(PT_I2, Cow::Borrowed(&[0xFF, 0xFF])).expect("i16"), PropValue::I16(-1));
        let ft = 132_000_000_000_000_000i64.to_le_bytes();
        assert_eq!(decode(PT_SYSTIME, Cow::Borrowed(&ft)).expect("time"), PropValue::Time(132_000_000_000_000_000));
        assert!(decode(PT_SYSTIME, Cow::Borrowed(&ft[..7])).is_err());
    }

    #[test]
    fn strings() {
        let utf16: Vec<u8> = "Posteingang".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(PT_UNICODE, Cow::Owned(utf16)).expect("str").as_text().as_deref(), Some("Posteingang"));
        assert_eq!(decode(PT_STRING8, Cow::Borrowed(b"Inbox\0")).expect("s8").as_text().as_deref(), Some("Inbox"));
        assert_eq!(string8_lossy(b"Gel\xf6scht"), "Gelöscht");
    }

    #[test]
    fn multi_valued() {
        let mut b = 2u32.to_le_bytes().to_vec();
        b.extend_from_slice(&12u32.to_le_bytes());
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(b"a\0b\0c\0");
        assert_eq!(
            decode(MV_FLAG | PT_UNICODE, Cow::Owned(b)).expect("mv"),
            PropValue::MvUnicode(vec!["ab".into(), "c".into()])
        );
        assert_eq!(
            decode(MV_FLAG | PT_LONG, Cow::Borrowed(&[1, 0, 0, 0, 2, 0, 0, 0])).expect("mv"),
            PropValue::MvI32(vec![1, 2])
        );
        assert!(decode(MV_FLAG | PT_LONG, Cow::Borrowed(&[1, 0, 0])).is_err());
        // ulCount larger than the bytes: an error, not a huge allocation.
        assert!(decode(MV_FLAG | PT_BINARY, Cow::Borrowed(&[0xFF, 0xFF, 0xFF, 0x7F])).is_err());
        let bad = [1u8, 0, 0, 0, 200, 0, 0, 0];
        assert!(decode(MV_FLAG | PT_BINARY, Cow::Borrowed(&bad)).is_err());
    }

    /// Which variant a value is; no wildcard arm, so a new variant does not
    /// compile until this test covers it.
    fn variant_index(v: &PropValue<'_>) -> usize {
        use PropValue as P;
        match v {
            P::Null => 0,
            P::I16(_) => 1,
            P::I32(_) => 2,
            P::F32(_) => 3,
            P::F64(_) => 4,
            P::Currency(_) => 5,
            P::AppTime(_) => 6,
            P::Error(_) => 7,
            P::Bool(_) => 8,
            P::I64(_) => 9,
            P::Time(_) => 10,
            P::Guid(_) => 11,
            P::String8(_) => 12,
            P::Unicode(_) => 13,
            P::Binary(_) => 14,
            P::ServerId(_) => 15,
            P::Restriction(_) => 16,
            P::RuleAction(_) => 17,
            P::Object { .. } => 18,
            P::Unspecified(_) => 19,
            P::MvI16(_) => 20,
            P::MvI32(_) => 21,
            P::MvError(_) => 22,
            P::MvF32(_) => 23,
            P::MvF64(_) => 24,
            P::MvAppTime(_) => 25,
            P::MvI64(_) => 26,
            P::MvCurrency(_) => 27,
            P::MvTime(_) => 28,
            P::MvGuid(_) => 29,
            P::MvString8(_) => 30,
            P::MvUnicode(_) => 31,
            P::MvBinary(_) => 32,
            P::Unknown { .. } => 33,
        }
    }
    const VARIANTS: usize = 34;

    /// Two values of a variable-size multi-valued type (MS-PST 2.3.3.4.2).
    fn mv_var(a: &[u8], b: &[u8]) -> Vec<u8> {
        let mut out = 2u32.to_le_bytes().to_vec();
        out.extend_from_slice(&12u32.to_le_bytes());
        out.extend_from_slice(&(12 + a.len() as u32).to_le_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b);
        out
    }

    #[test]
    fn prop_type_is_the_stored_type_for_every_variant() {
        let fixed = |n: usize| (1..=n as u8).collect::<Vec<u8>>();
        let mut cases: Vec<(u16, Vec<u8>)> = vec![
            (PT_NULL, vec![]),
            (PT_I2, fixed(2)),
            (PT_LONG, fixed(4)),
            (PT_R4, fixed(4)),
            (PT_DOUBLE, fixed(8)),
            (PT_CURRENCY, fixed(8)),
            (PT_APPTIME, fixed(8)),
            (PT_ERROR, fixed(4)),
            (PT_BOOLEAN, fixed(1)),
            (PT_I8, fixed(8)),
            (PT_SYSTIME, fixed(8)),
            (PT_CLSID, fixed(16)),
            (PT_STRING8, b"abc\0".to_vec()),
            (PT_UNICODE, b"a\0b\0".to_vec()),
            (PT_BINARY, fixed(5)),
            (PT_SVREID, fixed(21)),
            (PT_SRESTRICT, fixed(7)),
            (PT_ACTIONS, fixed(9)),
            (PT_OBJECT, fixed(8)),
            (PT_UNSPECIFIED, fixed(3)),
            (0x0049, fixed(3)),
            (MV_FLAG | PT_BOOLEAN, fixed(2)),
        ];
        for t in [PT_I2, PT_LONG, PT_ERROR, PT_R4, PT_DOUBLE, PT_APPTIME, PT_I8, PT_CURRENCY, PT_SYSTIME, PT_CLSID] {
            let size = fixed_size(t).expect("fixed");
            cases.push((MV_FLAG | t, fixed(2 * size)));
        }
        for t in [PT_STRING8, PT_UNICODE, PT_BINARY] {
            cases.push((MV_FLAG | t, mv_var(b"a\0", b"bc\0\0")));
        }
        let mut seen = [false; VARIANTS];
        for (t, bytes) in cases {
            let v = decode(t, Cow::Owned(bytes.clone())).unwrap_or_else(|e| panic!("type {t:#06x}: {e:?}"));
            assert_eq!(v.prop_type(), t, "{v:?}");
            seen[variant_index(&v)] = true;
            if matches!(t, PT_BINARY | PT_SVREID | PT_SRESTRICT | PT_ACTIONS) {
                assert_eq!(v.as_bytes(), Some(&bytes[..]), "type {t:#06x} keeps its bytes");
                assert_eq!(v.into_bytes().as_deref(), Some(&bytes[..]));
            } else {
                assert_eq!(v.as_bytes(), None, "type {t:#06x} is not binary");
            }
        }
        let missing: Vec<usize> = (0..VARIANTS).filter(|&i| !seen[i]).collect();
        assert!(missing.is_empty(), "variants not decoded by any case: {missing:?}");
    }

    #[test]
    fn server_id_restriction_and_rule_action_are_not_folded_into_binary() {
        assert_eq!(
            decode(PT_SVREID, Cow::Borrowed(b"\x01id")).expect("svreid"),
            PropValue::ServerId(Cow::Borrowed(b"\x01id"))
        );
        assert_eq!(
            decode(PT_SRESTRICT, Cow::Borrowed(b"r")).expect("res"),
            PropValue::Restriction(Cow::Borrowed(b"r"))
        );
        assert_eq!(decode(PT_ACTIONS, Cow::Borrowed(b"a")).expect("act"), PropValue::RuleAction(Cow::Borrowed(b"a")));
        let cur = 12_345i64.to_le_bytes();
        assert_eq!(
            decode(MV_FLAG | PT_CURRENCY, Cow::Borrowed(&cur)).expect("mv cur"),
            PropValue::MvCurrency(vec![12_345])
        );
    }

    #[test]
    fn unspecified_keeps_bytes() {
        assert_eq!(
            decode(PT_UNSPECIFIED, Cow::Borrowed(b"xy")).expect("raw"),
            PropValue::Unspecified(Cow::Borrowed(b"xy"))
        );
    }
}
