//! The MAPI message model: the properties, recipients and attachments of a
//! message as Outlook, Exchange and their files (PST, OST, MSG) hold them,
//! with no file format in it.
//!
//! A reader that holds MAPI items (PST, OST) offers them through
//! [`crate::StoreReader::read_mapi`], and a writer that stores them (PST)
//! asks for them with [`crate::StoreWriter::wants_mapi`]: a PST -> PST copy
//! then carries every property with its type, named properties by name
//! (their ids differ per store), recipients, attachments and embedded
//! messages to any depth. Mail writers keep getting RFC 5322 bytes.
//!
//! Beside the model live the conversions between MAPI and the Internet
//! formats, which know no file format either: [`mime`] (a message ->
//! RFC 5322, [MS-OXCMAIL]), [`rtf`] (compressed and encapsulated RTF
//! bodies), [`pim`] (contacts, appointments, tasks, notes and journals ->
//! [`crate::pim`] items), with [`codepage`] and [`crc`] beneath them and
//! [`Malformed`] as the error of the binary values they decode.
//!
//! Values ([`PropValue`]) are the property types of [MS-OXCDATA] 2.11.1.
//! Named properties are [`NamedId`]s (property set GUID plus LID or name,
//! [MS-OXPROPS] 1.3.2). `PtypString8` values are decoded to Unicode by the
//! reader with the message's code page, so a bag's text is `PtypString`.
//!
//! [MS-OXCMAIL]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcmail/
//! [MS-OXCDATA]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcdata/
//! [MS-OXPROPS]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxprops/

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::model::FolderKind;
use tags::{MESSAGE_CLASS, SUBJECT};

pub mod codepage;
pub mod crc;
mod error;
pub mod inbound;
pub mod mime;
pub mod pim;
pub mod rtf;
pub mod tags;

pub use error::Malformed;

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
/// Not `#[non_exhaustive]`: a copy matches every type, and a new one
/// should fail to compile where it is not carried.
#[derive(Clone, Debug, PartialEq)]
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
    /// `PtypObject` as a store references it (PST: the subnode holding the
    /// object, MS-PST 2.3.3.5) and its size. Never in a [`PropBag`]: a
    /// model carries an embedded message as [`AttachContent::Embedded`].
    Object {
        /// The store's id of the object (PST: the subnode's NID).
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

/// Decodes UTF-16LE (a trailing odd byte and a final NUL are dropped; an
/// unpaired surrogate becomes U+FFFD).
///
/// Bodies are most of a store's text and mostly ASCII: runs of ASCII units
/// are narrowed 16 at a time ([`ascii_run`]); the units between runs go
/// through `char::decode_utf16`. A run ends only at a unit of 0x80 or
/// more and a segment between runs ends at an ASCII unit, which is never
/// half of a surrogate pair, so cutting there changes nothing.
#[allow(unsafe_code)]
pub fn utf16le(b: &[u8]) -> String {
    let b = &b[..b.len() & !1];
    let b = b.strip_suffix(&[0, 0]).unwrap_or(b);
    // Room for ASCII text, the common case, exactly; the rest grows it (not
    // the worst case up front: a message's strings are held until it is
    // written, and bodies are large).
    let mut out = Vec::with_capacity(b.len() / 2);
    let mut rest = b;
    while !rest.is_empty() {
        let n = ascii_run(rest, &mut out);
        rest = &rest[2 * n..];
        let wide = rest.chunks_exact(2).position(|u| u[1] == 0 && u[0] < 0x80).unwrap_or(rest.len() / 2);
        if wide > 0 {
            let units = rest[..2 * wide].chunks_exact(2).map(|u| u16::from_le_bytes([u[0], u[1]]));
            let mut buf = [0u8; 4];
            for c in char::decode_utf16(units) {
                out.extend_from_slice(c.unwrap_or(char::REPLACEMENT_CHARACTER).encode_utf8(&mut buf).as_bytes());
            }
            rest = &rest[2 * wide..];
        }
    }
    // SAFETY: only ASCII bytes and whole UTF-8 encoded chars were appended
    // (checking again was a twentieth of decoding a body).
    unsafe { String::from_utf8_unchecked(out) }
}

/// Appends the leading ASCII units of UTF-16LE `b` (even length) to `out`
/// as bytes; returns how many units that was.
#[allow(unsafe_code)]
fn ascii_run(b: &[u8], out: &mut Vec<u8>) -> usize {
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        out.reserve(b.len() / 2);
        // SSE2 is part of x86_64. Sixteen units (32 bytes) a step: ASCII
        // when no unit has a bit of 0xFF80 set; packus then narrows them.
        // SAFETY: loads read b[i..i + 32] with i + 32 <= b.len(); the store
        // writes 16 bytes into the capacity reserved above (b.len() / 2 bytes
        // past the length it started at, and the length grows by 16 a step
        // as i grows by 32).
        unsafe {
            let high = _mm_set1_epi16(0xFF80u16 as i16);
            let zero = _mm_setzero_si128();
            while i + 32 <= b.len() {
                let x = _mm_loadu_si128(b.as_ptr().add(i).cast());
                let y = _mm_loadu_si128(b.as_ptr().add(i + 16).cast());
                let over = _mm_and_si128(_mm_or_si128(x, y), high);
                if _mm_movemask_epi8(_mm_cmpeq_epi8(over, zero)) != 0xFFFF {
                    break;
                }
                let len = out.len();
                _mm_storeu_si128(out.as_mut_ptr().add(len).cast(), _mm_packus_epi16(x, y));
                out.set_len(len + 16);
                i += 32;
            }
        }
    }
    while i + 2 <= b.len() && b[i + 1] == 0 && b[i] < 0x80 {
        out.push(b[i]);
        i += 2;
    }
    i / 2
}

impl PropValue<'_> {
    /// The value borrowing this one's bytes (binary-like values are not
    /// copied; the others are cloned).
    pub fn borrowed(&self) -> PropValue<'_> {
        fn b(c: &[u8]) -> Cow<'_, [u8]> {
            Cow::Borrowed(c)
        }
        use PropValue as P;
        match self {
            P::String8(c) => P::String8(b(c)),
            P::Binary(c) => P::Binary(b(c)),
            P::ServerId(c) => P::ServerId(b(c)),
            P::Restriction(c) => P::Restriction(b(c)),
            P::RuleAction(c) => P::RuleAction(b(c)),
            P::Unspecified(c) => P::Unspecified(b(c)),
            other => other.clone(),
        }
    }

    /// The value with every borrowed byte copied: what a [`PropBag`] holds.
    pub fn into_owned(self) -> PropValue<'static> {
        fn own(c: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
            Cow::Owned(c.into_owned())
        }
        use PropValue as P;
        match self {
            P::Null => P::Null,
            P::I16(v) => P::I16(v),
            P::I32(v) => P::I32(v),
            P::F32(v) => P::F32(v),
            P::F64(v) => P::F64(v),
            P::Currency(v) => P::Currency(v),
            P::AppTime(v) => P::AppTime(v),
            P::Error(v) => P::Error(v),
            P::Bool(v) => P::Bool(v),
            P::I64(v) => P::I64(v),
            P::Time(v) => P::Time(v),
            P::Guid(v) => P::Guid(v),
            P::String8(b) => P::String8(own(b)),
            P::Unicode(s) => P::Unicode(s),
            P::Binary(b) => P::Binary(own(b)),
            P::ServerId(b) => P::ServerId(own(b)),
            P::Restriction(b) => P::Restriction(own(b)),
            P::RuleAction(b) => P::RuleAction(own(b)),
            P::Object { nid, size } => P::Object { nid, size },
            P::Unspecified(b) => P::Unspecified(own(b)),
            P::MvI16(v) => P::MvI16(v),
            P::MvI32(v) => P::MvI32(v),
            P::MvError(v) => P::MvError(v),
            P::MvF32(v) => P::MvF32(v),
            P::MvF64(v) => P::MvF64(v),
            P::MvAppTime(v) => P::MvAppTime(v),
            P::MvI64(v) => P::MvI64(v),
            P::MvCurrency(v) => P::MvCurrency(v),
            P::MvTime(v) => P::MvTime(v),
            P::MvGuid(v) => P::MvGuid(v),
            P::MvString8(v) => P::MvString8(v),
            P::MvUnicode(v) => P::MvUnicode(v),
            P::MvBinary(v) => P::MvBinary(v),
            P::Unknown { ptype, raw } => P::Unknown { ptype, raw: own(raw) },
        }
    }
}

/// A named property with a numeric name (`MNID_ID`): property set and LID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lid {
    /// The property set GUID, as stored.
    pub set: [u8; 16],
    /// The long id.
    pub lid: u32,
}

/// A named property with a string name (`MNID_STRING`): property set and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name {
    /// The property set GUID, as stored.
    pub set: [u8; 16],
    /// The name.
    pub name: &'static str,
}

impl From<Lid> for NamedId {
    fn from(p: Lid) -> NamedId {
        NamedId::Lid(p.set, p.lid)
    }
}

impl From<Name> for NamedId {
    fn from(p: Name) -> NamedId {
        NamedId::Name(p.set, p.name.to_string())
    }
}

/// A named property's identity (MS-OXPROPS: property set GUID plus a
/// numeric LID or a string name). The ones the crate knows by name are
/// [`tags::lid`] and [`tags::name`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamedId {
    /// `MNID_ID`: property set and long id.
    Lid([u8; 16], u32),
    /// `MNID_STRING`: property set and name.
    Name([u8; 16], String),
}

/// The properties of one object (message, recipient, attachment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropBag {
    /// Properties with ids below 0x8000, by id (the type is in the value).
    pub tagged: BTreeMap<u16, PropValue<'static>>,
    /// Named properties, resolved through the store's name-to-id map.
    pub named: BTreeMap<NamedId, PropValue<'static>>,
}

impl PropBag {
    /// A tagged property.
    pub fn get(&self, id: u16) -> Option<&PropValue<'static>> {
        self.tagged.get(&id)
    }

    /// A tagged property as text (`PtypString`; String8 was decoded on reading).
    pub fn str(&self, id: u16) -> Option<&str> {
        match self.tagged.get(&id)? {
            PropValue::Unicode(s) => Some(s),
            _ => None,
        }
    }

    /// A tagged integer property (16, 32 or 64 bits), widened.
    pub fn int(&self, id: u16) -> Option<i64> {
        self.tagged.get(&id)?.as_i64()
    }

    /// A tagged boolean property.
    pub fn bool(&self, id: u16) -> Option<bool> {
        match self.tagged.get(&id)? {
            PropValue::Bool(b) => Some(*b),
            v => v.as_i64().map(|i| i != 0),
        }
    }

    /// A tagged `PtypTime` property as seconds since the Unix epoch.
    pub fn time(&self, id: u16) -> Option<i64> {
        match self.tagged.get(&id)? {
            PropValue::Time(ft) => filetime_to_unix(*ft),
            _ => None,
        }
    }

    /// A tagged binary property.
    pub fn bin(&self, id: u16) -> Option<&[u8]> {
        self.tagged.get(&id)?.as_bytes()
    }

    /// A named property.
    pub fn named(&self, id: &NamedId) -> Option<&PropValue<'static>> {
        self.named.get(id)
    }

    /// A named property with a numeric name ([`tags::lid`]).
    pub fn lid(&self, p: Lid) -> Option<&PropValue<'static>> {
        self.named.get(&NamedId::Lid(p.set, p.lid))
    }

    /// A named property with a string name ([`tags::name`]).
    pub fn name(&self, p: Name) -> Option<&PropValue<'static>> {
        self.named.get(&NamedId::Name(p.set, p.name.to_string()))
    }
}

/// FILETIME (100 ns ticks since 1601-01-01 UTC) to Unix seconds; `None`
/// for the "no date" values Outlook writes (0 and the far future 0x0CB34557...).
pub fn filetime_to_unix(ft: i64) -> Option<i64> {
    const EPOCH_DIFF: i64 = 11_644_473_600;
    if ft <= 0 {
        return None;
    }
    let secs = ft / 10_000_000 - EPOCH_DIFF;
    // 4501-01-01 and later is Outlook's "none".
    (secs < 79_443_360_000).then_some(secs)
}

/// What an attachment holds ([MS-OXCMSG] 2.2.2.9 PidTagAttachMethod).
#[derive(Debug, Clone, PartialEq)]
pub enum AttachContent {
    /// `afByValue`: the bytes (PidTagAttachDataBinary).
    Bytes(Vec<u8>),
    /// `afEmbeddedMessage`: a whole message.
    Embedded(Box<Message>),
    /// `afStorage` (OLE compound file) or other object data, as stored.
    Ole(Vec<u8>),
    /// `afByReference` / `afByReferenceOnly`: a path or URL, no bytes
    /// (PidTagAttachLongPathname / PidTagAttachPathname).
    Reference(String),
    /// The attachment's data could not be found or read; the reason.
    Missing(String),
}

/// One attachment.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// Its properties (PidTagAttachLongFilename, PidTagAttachMimeTag,
    /// PidTagAttachContentId, PidTagAttachFlags, PidTagAttachmentHidden ...).
    pub props: PropBag,
    /// Its content.
    pub content: AttachContent,
}

/// The kind of folder that normally holds items of message class `class`
/// ([MS-OXOCNTC], [MS-OXOCAL], [MS-OXOTASK], [MS-OXONOTE], [MS-OXOJRNL]);
/// everything else (notes, reports, meeting requests) is mail.
pub fn kind_of_class(class: &str) -> FolderKind {
    if class_is(class, "IPM.Contact") || class_is(class, "IPM.DistList") {
        FolderKind::Contacts
    } else if class_is(class, "IPM.Appointment") {
        FolderKind::Calendar
    } else if class_is(class, "IPM.Task") {
        FolderKind::Tasks
    } else if class_is(class, "IPM.StickyNote") {
        FolderKind::Notes
    } else if class_is(class, "IPM.Activity") {
        FolderKind::Journal
    } else {
        FolderKind::Mail
    }
}

/// True when the message or container class `class` is `base` or one of its
/// subclasses (`IPM.Contact.Custom`, `IPF.Contact.MOC.QuickContacts`):
/// classes compare case-insensitively, and a subclass adds a `.` part
/// ([MS-OXCMSG] 2.2.1.3, [MS-OXOSFLD] 2.2.7).
pub fn class_is(class: &str, base: &str) -> bool {
    class.len() >= base.len()
        && class.is_char_boundary(base.len())
        && class[..base.len()].eq_ignore_ascii_case(base)
        && matches!(class.as_bytes().get(base.len()), None | Some(b'.'))
}

impl Message {
    /// `PidTagSubject` without the prefix marker some writers keep in the
    /// stored value (0x01 and a length character before the text).
    pub fn subject(&self) -> Option<&str> {
        self.props.str(SUBJECT).map(without_subject_marker)
    }

    /// `PidTagMessageClass`, `IPM.Note` when absent (its default, [MS-OXCMSG] 2.2.1.3).
    pub fn class(&self) -> &str {
        self.props.str(MESSAGE_CLASS).unwrap_or("IPM.Note")
    }

    /// The kind of folder that normally holds a message of this class.
    pub fn kind(&self) -> FolderKind {
        kind_of_class(self.class())
    }
}

/// A stored PidTagSubject without its prefix marker: PST writers may keep
/// 0x01 and a character giving the length of the subject prefix ("RE: ")
/// before the text. [MS-OXCMSG] does not know it; libpff and java-libpst
/// (`PSTMessage.getSubject`) drop those two characters, and readpst's
/// output shows the subject without them.
pub fn without_subject_marker(s: &str) -> &str {
    let mut c = s.chars();
    if c.next() == Some('\u{1}') {
        c.next();
        return c.as_str();
    }
    s
}

/// A message with its recipients and attachments, all owned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// The node id of the message in its store (0 for an embedded message).
    pub nid: u32,
    /// The message's properties.
    pub props: PropBag,
    /// One property bag per recipient row (PidTagRecipientType,
    /// PidTagDisplayName, PidTagEmailAddress, PidTagSmtpAddress, PidTagAddressType ...).
    pub recipients: Vec<PropBag>,
    /// The attachments, in attachment-table order.
    pub attachments: Vec<Attachment>,
    /// A folder-associated (FAI, "hidden") item: views, rules, forms and
    /// other configuration a folder keeps beside its contents ([MS-OXCFOLD]).
    pub associated: bool,
}

#[cfg(test)]
mod tests {
    use super::utf16le;

    #[test]
    fn utf16le_agrees_with_std() {
        // ASCII runs longer and shorter than a SIMD step, cut by BMP and
        // astral characters, unpaired surrogates on either side of a run,
        // and units whose low byte is ASCII but high byte is not.
        let pieces: [&[u16]; 9] = [
            &[0x48, 0x69],
            &[0xE9],
            &[0xD83D, 0xDE00],
            &[0xD800],
            &[0xDC00],
            &[0x0141, 0x4100],
            &[0x7F, 0x80, 0x20],
            &[0x3042; 5],
            &[0x61; 40],
        ];
        let mut seed = 0x2545F491u32;
        for _ in 0..2000 {
            let mut units = Vec::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                units.extend_from_slice(pieces[(seed % 9) as usize]);
            }
            let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            assert_eq!(utf16le(&bytes), String::from_utf16_lossy(&units), "{units:x?}");
        }
        // A final NUL and an odd trailing byte are dropped.
        assert_eq!(utf16le(b"a\0b\0\0\0"), "ab");
        assert_eq!(utf16le(b"a\0b"), "a");
        assert_eq!(utf16le(b""), "");
    }

    fn units(s: &[u16]) -> Vec<u8> {
        s.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn utf16le_decodes_ascii_and_the_rest_alike() {
        for s in ["", "plain ascii", "Grüße, 日本", "ab\u{1F600}cd", "é", "x\u{7F}\u{80}"] {
            let enc: Vec<u16> = s.encode_utf16().collect();
            assert_eq!(utf16le(&units(&enc)), s);
            // One final NUL is a terminator; a trailing odd byte is dropped.
            let mut with_nul = units(&enc);
            with_nul.extend_from_slice(&[0, 0, 7]);
            assert_eq!(utf16le(&with_nul), s);
        }
        assert_eq!(utf16le(&units(&[0x61, 0xD800, 0x62])), "a\u{FFFD}b", "an unpaired surrogate");
        assert_eq!(utf16le(&units(&[0x61, 0, 0])), "a\0", "only one NUL is dropped");
        assert_eq!(utf16le(&units(&[0x0141])), "\u{141}", "a high byte makes a unit non-ASCII");
    }
}
