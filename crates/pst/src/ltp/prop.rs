//! Property values: the MAPI property types of [MS-OXCDATA] 2.11.1 as PST
//! stores them (MS-PST 2.3.3.4 and 2.3.4.4).

use std::borrow::Cow;

use crate::error::{u32_at, CResult, Corrupt};

/// `PtypUnspecified`: written by some tools (Aspose) for values of unknown
/// type. libpff drops items holding it; readpst reads them; we keep the bytes.
pub const PT_UNSPECIFIED: u16 = 0x0000;
/// `PtypNull`.
pub const PT_NULL: u16 = 0x0001;
/// `PtypInteger16`.
pub const PT_I2: u16 = 0x0002;
/// `PtypInteger32`.
pub const PT_LONG: u16 = 0x0003;
/// `PtypFloating32`.
pub const PT_R4: u16 = 0x0004;
/// `PtypFloating64`.
pub const PT_DOUBLE: u16 = 0x0005;
/// `PtypCurrency`.
pub const PT_CURRENCY: u16 = 0x0006;
/// `PtypFloatingTime`.
pub const PT_APPTIME: u16 = 0x0007;
/// `PtypErrorCode`.
pub const PT_ERROR: u16 = 0x000A;
/// `PtypBoolean`.
pub const PT_BOOLEAN: u16 = 0x000B;
/// `PtypObject` (embedded message or OLE object).
pub const PT_OBJECT: u16 = 0x000D;
/// `PtypInteger64`.
pub const PT_I8: u16 = 0x0014;
/// `PtypString8`: 8-bit text in the store's code page.
pub const PT_STRING8: u16 = 0x001E;
/// `PtypString`: UTF-16LE text.
pub const PT_UNICODE: u16 = 0x001F;
/// `PtypTime`: FILETIME.
pub const PT_SYSTIME: u16 = 0x0040;
/// `PtypGuid`.
pub const PT_CLSID: u16 = 0x0048;
/// `PtypServerId`.
pub const PT_SVREID: u16 = 0x00FB;
/// `PtypRestriction`.
pub const PT_SRESTRICT: u16 = 0x00FD;
/// `PtypRuleAction`.
pub const PT_ACTIONS: u16 = 0x00FE;
/// `PtypBinary`.
pub const PT_BINARY: u16 = 0x0102;
/// The multi-valued flag.
pub const MV_FLAG: u16 = 0x1000;

/// The stored size of a fixed-size type, `None` for variable-size types.
pub fn fixed_size(ptype: u16) -> Option<usize> {
    match ptype & !MV_FLAG {
        PT_NULL => Some(0),
        PT_BOOLEAN => Some(1),
        PT_I2 => Some(2),
        PT_LONG | PT_R4 | PT_ERROR => Some(4),
        PT_DOUBLE | PT_CURRENCY | PT_APPTIME | PT_I8 | PT_SYSTIME => Some(8),
        PT_CLSID => Some(16),
        _ => None,
    }
}

/// A property's value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PropValue<'a> {
    /// `PtypNull`.
    Null,
    /// `PtypInteger16`.
    I16(i16),
    /// `PtypInteger32`.
    I32(i32),
    /// `PtypFloating32`.
    F32(f32),
    /// `PtypFloating64`.
    F64(f64),
    /// `PtypCurrency`: fixed point, 4 decimals.
    Currency(i64),
    /// `PtypFloatingTime`: OLE automation date.
    AppTime(f64),
    /// `PtypErrorCode`.
    Error(u32),
    /// `PtypBoolean`.
    Bool(bool),
    /// `PtypInteger64`.
    I64(i64),
    /// `PtypTime`: FILETIME, 100 ns since 1601-01-01 UTC.
    Time(i64),
    /// `PtypGuid`.
    Guid([u8; 16]),
    /// `PtypString8`: bytes in the code page of the message or store.
    String8(Cow<'a, [u8]>),
    /// `PtypString`.
    Unicode(String),
    /// `PtypBinary`.
    Binary(Cow<'a, [u8]>),
    /// `PtypServerId` ([MS-OXCDATA] 2.11.1.4): the stored bytes.
    ServerId(Cow<'a, [u8]>),
    /// `PtypRestriction` ([MS-OXCDATA] 2.12): the stored bytes.
    Restriction(Cow<'a, [u8]>),
    /// `PtypRuleAction` ([MS-OXORULE] 2.2.5): the stored bytes.
    RuleAction(Cow<'a, [u8]>),
    /// `PtypObject` in a PC (MS-PST 2.3.3.5): the subnode holding the
    /// object, and its size.
    Object {
        /// NID of the subnode.
        nid: u32,
        /// `ulSize`.
        size: u32,
    },
    /// `PtypUnspecified` (type 0x0000): the stored bytes.
    Unspecified(Cow<'a, [u8]>),
    /// Multi-valued `PtypInteger16`.
    MvI16(Vec<i16>),
    /// Multi-valued `PtypInteger32`.
    MvI32(Vec<i32>),
    /// Multi-valued `PtypErrorCode`.
    MvError(Vec<u32>),
    /// Multi-valued `PtypFloating32`.
    MvF32(Vec<f32>),
    /// Multi-valued `PtypFloating64`.
    MvF64(Vec<f64>),
    /// Multi-valued `PtypFloatingTime`.
    MvAppTime(Vec<f64>),
    /// Multi-valued `PtypInteger64`.
    MvI64(Vec<i64>),
    /// Multi-valued `PtypCurrency`.
    MvCurrency(Vec<i64>),
    /// Multi-valued `PtypTime`.
    MvTime(Vec<i64>),
    /// Multi-valued `PtypGuid`.
    MvGuid(Vec<[u8; 16]>),
    /// Multi-valued `PtypString8`.
    MvString8(Vec<Vec<u8>>),
    /// Multi-valued `PtypString`.
    MvUnicode(Vec<String>),
    /// Multi-valued `PtypBinary`.
    MvBinary(Vec<Vec<u8>>),
    /// A type this reader does not know, with its stored bytes.
    Unknown {
        /// The property type.
        ptype: u16,
        /// The stored bytes.
        raw: Cow<'a, [u8]>,
    },
}

impl<'a> PropValue<'a> {
    /// The property type ([MS-OXCDATA] 2.11.1) the value was stored as, so
    /// that a copy can be written back with the same type. String8 values
    /// the messaging layer decoded are `PtypString` from then on.
    pub fn prop_type(&self) -> u16 {
        use PropValue as P;
        match self {
            P::Null => PT_NULL,
            P::I16(_) => PT_I2,
            P::I32(_) => PT_LONG,
            P::F32(_) => PT_R4,
            P::F64(_) => PT_DOUBLE,
            P::Currency(_) => PT_CURRENCY,
            P::AppTime(_) => PT_APPTIME,
            P::Error(_) => PT_ERROR,
            P::Bool(_) => PT_BOOLEAN,
            P::I64(_) => PT_I8,
            P::Time(_) => PT_SYSTIME,
            P::Guid(_) => PT_CLSID,
            P::String8(_) => PT_STRING8,
            P::Unicode(_) => PT_UNICODE,
            P::Binary(_) => PT_BINARY,
            P::ServerId(_) => PT_SVREID,
            P::Restriction(_) => PT_SRESTRICT,
            P::RuleAction(_) => PT_ACTIONS,
            P::Object { .. } => PT_OBJECT,
            P::Unspecified(_) => PT_UNSPECIFIED,
            P::MvI16(_) => MV_FLAG | PT_I2,
            P::MvI32(_) => MV_FLAG | PT_LONG,
            P::MvError(_) => MV_FLAG | PT_ERROR,
            P::MvF32(_) => MV_FLAG | PT_R4,
            P::MvF64(_) => MV_FLAG | PT_DOUBLE,
            P::MvAppTime(_) => MV_FLAG | PT_APPTIME,
            P::MvI64(_) => MV_FLAG | PT_I8,
            P::MvCurrency(_) => MV_FLAG | PT_CURRENCY,
            P::MvTime(_) => MV_FLAG | PT_SYSTIME,
            P::MvGuid(_) => MV_FLAG | PT_CLSID,
            P::MvString8(_) => MV_FLAG | PT_STRING8,
            P::MvUnicode(_) => MV_FLAG | PT_UNICODE,
            P::MvBinary(_) => MV_FLAG | PT_BINARY,
            P::Unknown { ptype, .. } => *ptype,
        }
    }

    /// The bytes of a binary-like value: `PtypBinary`, `PtypServerId`,
    /// `PtypRestriction` and `PtypRuleAction` (not `PtypUnspecified`, nor
    /// text).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            PropValue::Binary(b) | PropValue::ServerId(b) | PropValue::Restriction(b) | PropValue::RuleAction(b) => {
                Some(b)
            }
            _ => None,
        }
    }

    /// [`as_bytes`](Self::as_bytes), taking the value.
    pub fn into_bytes(self) -> Option<Cow<'a, [u8]>> {
        match self {
            PropValue::Binary(b) | PropValue::ServerId(b) | PropValue::Restriction(b) | PropValue::RuleAction(b) => {
                Some(b)
            }
            _ => None,
        }
    }

    /// The value as text: `PtypString` as is, `PtypString8` as UTF-8 when
    /// valid and Windows-1252-ish Latin-1 otherwise (the messaging layer will
    /// apply the real code page).
    pub fn as_text(&self) -> Option<String> {
        match self {
            PropValue::Unicode(s) => Some(s.clone()),
            PropValue::String8(b) => Some(string8_lossy(b)),
            _ => None,
        }
    }

    /// The value as a 64-bit integer, for the integer types.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            PropValue::I16(v) => Some(v.into()),
            PropValue::I32(v) => Some(v.into()),
            PropValue::I64(v) | PropValue::Time(v) | PropValue::Currency(v) => Some(v),
            PropValue::Error(v) => Some(v.into()),
            PropValue::Bool(b) => Some(b.into()),
            _ => None,
        }
    }
}

/// Decodes 8-bit text without a code page: UTF-8 if valid, else Latin-1.
pub fn string8_lossy(b: &[u8]) -> String {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| char::from(c)).collect(),
    }
}

/// Decodes UTF-16LE (a trailing odd byte and a final NUL are dropped).
pub fn utf16le(b: &[u8]) -> String {
    let units: Vec<u16> = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let units = units.strip_suffix(&[0]).unwrap_or(&units);
    String::from_utf16_lossy(units)
}

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
        if size == 0 || bytes.len() % size != 0 {
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
