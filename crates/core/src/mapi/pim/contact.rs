//! Contacts (`IPM.Contact`, [MS-OXOCNTC] 2.2.1) and personal distribution
//! lists (`IPM.DistList`, [MS-OXOCNTC] 2.2.2) mapped onto core's neutral
//! [`Contact`] and [`DistList`].
//!
//! UIDs: a contact exported on its own and the same contact named as a
//! member of a distribution list must carry the same UID. The caller gives
//! each item its UID by the rule of [`crate::mapi::pim::uid`] (search key, else
//! store record key and NID); [`dist_list_with`] asks the caller for the UID
//! of each member the list names by ENTRYID (the store's PidTagRecordKey,
//! which MS-PST 2.4.3.2 makes the `uid` of every ENTRYID pointing into the
//! store, and the NID), so that it is the one the member contact gets.
//! [`retarget_dist_list`] points a copied list's members at the copy.

use crate::pim::{
    AddressKind, Contact, Date, DistList, Email, Member, Phone, PhoneKind, Photo, PostalAddress, StructuredName,
};

use crate::mapi::tags::{self, lid, Lid};
use crate::mapi::{filetime_to_unix, AttachContent, Message, PropBag, PropValue};

pub use super::uid::item_uid;

/// A named string property, trimmed, `None` when empty.
fn lid_str(p: &PropBag, id: Lid) -> Option<String> {
    match p.lid(id)? {
        PropValue::Unicode(s) => nonempty(s),
        _ => None,
    }
}

fn lid_int(p: &PropBag, id: Lid) -> Option<i64> {
    p.lid(id)?.as_i64()
}

fn tag_str(p: &PropBag, id: u16) -> Option<String> {
    p.str(id).and_then(nonempty)
}

fn nonempty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A PtypTime holding a date (birthday, anniversary) as a calendar date.
/// Outlook stores the local midnight of the chosen day converted to UTC
/// ([MS-OXOCNTC] 2.2.1.5.1 PidTagBirthday), so a zone east of UTC gives the
/// evening before (22:00Z for Berlin) and one west of it the morning of the
/// day (05:00Z for New York); the nearest midnight is the day meant. Other
/// writers (and pim-rich.pst) store 00:00Z, which that keeps as it is.
fn date_of_filetime(ft: i64) -> Option<Date> {
    let secs = filetime_to_unix(ft)?;
    // Round to the nearest midnight; exactly noon stays on its own day.
    let day_secs = secs.rem_euclid(86_400);
    let midnight = secs - day_secs + if day_secs > 43_200 { 86_400 } else { 0 };
    let c = crate::time::Civil::from_unix(midnight);
    Some(Date::new(i32::try_from(c.year).ok()?, c.month as u8, c.day as u8))
}

/// The date of a tagged PtypTime, preferring the "local" named copy Outlook
/// 2010 and later add (PidLidBirthdayLocal, PidLidWeddingAnniversaryLocal:
/// the same day at 00:00 UTC, so no rounding is needed).
fn date_prop(p: &PropBag, tag: u16, local: Lid) -> Option<Date> {
    if let Some(PropValue::Time(ft)) = p.lid(local) {
        if let Some(d) = date_of_filetime(*ft) {
            return Some(d);
        }
    }
    match p.get(tag)? {
        PropValue::Time(ft) => date_of_filetime(*ft),
        _ => None,
    }
}

/// Strings of a multi-valued string property.
fn strings(v: Option<&PropValue<'static>>) -> Vec<String> {
    match v {
        Some(PropValue::MvUnicode(v)) => v.iter().filter_map(|s| nonempty(s)).collect(),
        Some(PropValue::Unicode(s)) => nonempty(s).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// `Keywords` in PS_PUBLIC_STRINGS: the categories ([MS-OXCMSG] 2.2.1.17).
fn categories(p: &PropBag) -> Vec<String> {
    strings(p.name(tags::name::KEYWORDS))
}

/// The body (PidTagBody) without trailing line breaks.
fn body(p: &PropBag) -> Option<String> {
    let b = p.str(tags::BODY)?.trim_end();
    (!b.trim().is_empty()).then(|| b.to_string())
}

/// `ProviderUID` of a one-off EntryID ([MS-OXCDATA] 2.2.5.1):
/// {812B1FA4-BEA3-1019-9D6E-00DD010F5402} as stored.
const ONE_OFF_UID: [u8; 16] =
    [0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02];

/// `ProviderUID` of a WrappedEntryId ([MS-OXOCNTC] 2.2.2.2.4.1.1).
const WRAPPED_UID: [u8; 16] =
    [0xC0, 0x91, 0xAD, 0xD3, 0x51, 0x9D, 0xCF, 0x11, 0xA4, 0xA9, 0x00, 0xAA, 0x00, 0x47, 0xFA, 0xA4];

/// A decoded one-off EntryID: display name, address type, address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOff {
    /// Display name.
    pub name: String,
    /// Address type (`SMTP`, `EX` ...).
    pub address_type: String,
    /// The address.
    pub address: String,
}

/// Decodes a one-off EntryID ([MS-OXCDATA] 2.2.5.1): Flags (4), ProviderUID
/// (16), Version (2, 0), then flags (2; bit 0x8000 `U` says the strings are
/// UTF-16LE, otherwise 8-bit), then display name, address type and address,
/// each null-terminated. `None` when the bytes are no one-off EntryID; a
/// truncated last string is taken as far as it goes.
pub fn parse_one_off(b: &[u8]) -> Option<OneOff> {
    if b.len() < 24 || b[4..20] != ONE_OFF_UID {
        return None;
    }
    let flags = u16::from_le_bytes([b[22], b[23]]);
    let rest = &b[24..];
    let mut parts: Vec<String> = Vec::with_capacity(3);
    if flags & 0x8000 != 0 {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        for s in units.split(|&u| u == 0).take(3) {
            parts.push(String::from_utf16_lossy(s));
        }
    } else {
        // 8-bit strings are in the code page of the writer, which the
        // EntryID does not name; Windows-1252 is what Outlook uses for them.
        for s in rest.split(|&c| c == 0).take(3) {
            parts.push(encoding_rs::WINDOWS_1252.decode_without_bom_handling(s).0.into_owned());
        }
    }
    let mut it = parts.into_iter();
    Some(OneOff {
        name: it.next().unwrap_or_default(),
        address_type: it.next().unwrap_or_default(),
        address: it.next().unwrap_or_default(),
    })
}

/// A one-off EntryID of `name`, `address_type` and `address` in the
/// Unicode form (`U` set, MAPI_ONE_OFF_NO_RICH_INFO): the inverse of
/// [`parse_one_off`].
pub fn one_off_entry_id(name: &str, address_type: &str, address: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(24 + 2 * (name.len() + address_type.len() + address.len() + 3));
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&ONE_OFF_UID);
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&0x8001u16.to_le_bytes());
    for s in [name, address_type, address] {
        for u in s.encode_utf16().filter(|u| *u != 0) {
            b.extend_from_slice(&u.to_le_bytes());
        }
        b.extend_from_slice(&[0, 0]);
    }
    b
}

/// The member EntryID of a contact (or, `list`, a distribution list)
/// stored as message `nid` of the PST whose record key is `store_uid`: a
/// WrappedEntryId ([MS-OXOCNTC] 2.2.2.2.4.1.1, type 0xC3 / 0xC4: a
/// message of this store) around its 24-byte message ENTRYID (MS-PST
/// 2.4.3.2), which [`member_target`] reads.
pub fn wrapped_member_entry_id(store_uid: &[u8; 16], nid: u32, list: bool) -> Vec<u8> {
    let mut b = Vec::with_capacity(45);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&WRAPPED_UID);
    b.push(if list { 0xC4 } else { 0xC3 });
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(store_uid);
    b.extend_from_slice(&nid.to_le_bytes());
    b
}

fn looks_like_smtp(s: &str) -> bool {
    s.contains('@') && !s.contains(char::is_whitespace) && !s.starts_with('/')
}

/// The Email1-3 slots ([MS-OXOCNTC] 2.2.1.2): display name, address type,
/// address, original display name and original EntryID.
const EMAIL_SLOTS: [[Lid; 5]; 3] = [
    [
        lid::EMAIL1_DISPLAY_NAME,
        lid::EMAIL1_ADDRESS_TYPE,
        lid::EMAIL1_EMAIL_ADDRESS,
        lid::EMAIL1_ORIGINAL_DISPLAY_NAME,
        lid::EMAIL1_ORIGINAL_ENTRY_ID,
    ],
    [
        lid::EMAIL2_DISPLAY_NAME,
        lid::EMAIL2_ADDRESS_TYPE,
        lid::EMAIL2_EMAIL_ADDRESS,
        lid::EMAIL2_ORIGINAL_DISPLAY_NAME,
        lid::EMAIL2_ORIGINAL_ENTRY_ID,
    ],
    [
        lid::EMAIL3_DISPLAY_NAME,
        lid::EMAIL3_ADDRESS_TYPE,
        lid::EMAIL3_EMAIL_ADDRESS,
        lid::EMAIL3_ORIGINAL_DISPLAY_NAME,
        lid::EMAIL3_ORIGINAL_ENTRY_ID,
    ],
];

/// One of the [`EMAIL_SLOTS`].
fn email_slot(p: &PropBag, slot: &[Lid; 5]) -> Option<Email> {
    let [display, addr_type, address, original_name, one_off] = *slot;
    let display = lid_str(p, display);
    let addr_type = lid_str(p, addr_type).unwrap_or_default();
    let mut address = lid_str(p, address);
    let original_name = lid_str(p, original_name);
    let one_off = p.lid(one_off).and_then(PropValue::as_bytes).and_then(parse_one_off);
    // An Exchange ("EX") address is an X500 DN no other client can use;
    // the SMTP address is in the original EntryID when that is a one-off
    // SMTP entry, or in the original display name Outlook fills with it.
    let needs_smtp = match &address {
        None => true,
        Some(a) => addr_type.eq_ignore_ascii_case("EX") || !looks_like_smtp(a),
    };
    if needs_smtp {
        let from_one_off = one_off
            .as_ref()
            .filter(|o| o.address_type.eq_ignore_ascii_case("SMTP") && looks_like_smtp(&o.address))
            .map(|o| o.address.clone());
        let from_name = original_name.clone().filter(|n| looks_like_smtp(n));
        if let Some(a) = from_one_off.or(from_name) {
            address = Some(a);
        }
    }
    let address = address?;
    // A display name equal to the address says nothing more.
    let display_name = display
        .or_else(|| one_off.map(|o| o.name).and_then(|n| nonempty(&n)))
        .filter(|d| !d.eq_ignore_ascii_case(&address));
    Some(Email { address, display_name, kind: AddressKind::Other, pref: false })
}

/// The phone properties of [MS-OXOCNTC] 2.2.1.4, in the order Outlook's
/// contact form lists them, with their vCard types and whether the number
/// is the preferred one.
const PHONES: &[(u16, &[PhoneKind], bool)] = &[
    (tags::PRIMARY_TELEPHONE_NUMBER, &[PhoneKind::Voice], true),
    (tags::BUSINESS_TELEPHONE_NUMBER, &[PhoneKind::Work, PhoneKind::Voice], false),
    (tags::BUSINESS2_TELEPHONE_NUMBER, &[PhoneKind::Work, PhoneKind::Voice], false),
    (tags::COMPANY_MAIN_TELEPHONE_NUMBER, &[PhoneKind::Work, PhoneKind::Main], false),
    (tags::HOME_TELEPHONE_NUMBER, &[PhoneKind::Home, PhoneKind::Voice], false),
    (tags::HOME2_TELEPHONE_NUMBER, &[PhoneKind::Home, PhoneKind::Voice], false),
    (tags::MOBILE_TELEPHONE_NUMBER, &[PhoneKind::Cell], false),
    (tags::BUSINESS_FAX_NUMBER, &[PhoneKind::Work, PhoneKind::Fax], false),
    (tags::HOME_FAX_NUMBER, &[PhoneKind::Home, PhoneKind::Fax], false),
    (tags::PRIMARY_FAX_NUMBER, &[PhoneKind::Fax], false),
    (tags::PAGER_TELEPHONE_NUMBER, &[PhoneKind::Pager], false),
    (tags::CAR_TELEPHONE_NUMBER, &[PhoneKind::Car], false),
    (tags::OTHER_TELEPHONE_NUMBER, &[PhoneKind::Other], false),
    (tags::ASSISTANT_TELEPHONE_NUMBER, &[PhoneKind::Assistant], false),
    (tags::CALLBACK_TELEPHONE_NUMBER, &[PhoneKind::Callback], false),
    (tags::RADIO_TELEPHONE_NUMBER, &[PhoneKind::Radio], false),
    (tags::TELEX_NUMBER, &[PhoneKind::Telex], false),
    (tags::ISDN_NUMBER, &[PhoneKind::Isdn], false),
    (tags::TTY_TDD_PHONE_NUMBER, &[PhoneKind::Textphone], false),
];

/// The vCard kinds [`contact`] gives the phone property `id` (PidTag...Number), `None` for no phone property.
pub fn phone_kinds(id: u16) -> Option<&'static [PhoneKind]> {
    PHONES.iter().find(|(t, _, _)| *t == id).map(|(_, k, _)| *k)
}

/// Where a postal address's five parts are: a tagged property or a
/// named one (the writer, [`super::write`], puts them where this reads them).
pub(crate) enum Src {
    Tag(u16),
    Lid(Lid),
}

fn src_str(p: &PropBag, s: &Src) -> String {
    match s {
        Src::Tag(t) => tag_str(p, *t),
        Src::Lid(l) => lid_str(p, *l),
    }
    .unwrap_or_default()
}

/// Home ([MS-OXOCNTC] 2.2.1.3.2), work (2.2.1.3.1, named) and other
/// (2.2.1.3.3) addresses: street, city, state, postal code, country; and
/// the PidLidPostalAddressId value (2.2.1.3.9) that makes each the mailing
/// one; and the whole address as one text (PidLidHomeAddress,
/// PidLidWorkAddress, PidLidOtherAddress), which some writers store alone
/// (Aspose's PersonalStorageFile*.pst do).
pub(crate) const ADDRESSES: [(AddressKind, [Src; 5], i64, Lid); 3] = [
    (
        AddressKind::Home,
        [
            Src::Tag(tags::HOME_ADDRESS_STREET),
            Src::Tag(tags::HOME_ADDRESS_CITY),
            Src::Tag(tags::HOME_ADDRESS_STATE_OR_PROVINCE),
            Src::Tag(tags::HOME_ADDRESS_POSTAL_CODE),
            Src::Tag(tags::HOME_ADDRESS_COUNTRY),
        ],
        1,
        lid::HOME_ADDRESS,
    ),
    (
        AddressKind::Work,
        [
            Src::Lid(lid::WORK_ADDRESS_STREET),
            Src::Lid(lid::WORK_ADDRESS_CITY),
            Src::Lid(lid::WORK_ADDRESS_STATE),
            Src::Lid(lid::WORK_ADDRESS_POSTAL_CODE),
            Src::Lid(lid::WORK_ADDRESS_COUNTRY),
        ],
        2,
        lid::WORK_ADDRESS,
    ),
    (
        AddressKind::Other,
        [
            Src::Tag(tags::OTHER_ADDRESS_STREET),
            Src::Tag(tags::OTHER_ADDRESS_CITY),
            Src::Tag(tags::OTHER_ADDRESS_STATE_OR_PROVINCE),
            Src::Tag(tags::OTHER_ADDRESS_POSTAL_CODE),
            Src::Tag(tags::OTHER_ADDRESS_COUNTRY),
        ],
        3,
        lid::OTHER_ADDRESS,
    ),
];

fn addresses(p: &PropBag) -> Vec<PostalAddress> {
    let mailing = lid_int(p, lid::POSTAL_ADDRESS_ID).unwrap_or(0);
    let mut out = Vec::new();
    for (kind, srcs, id, whole) in &ADDRESSES {
        let mut a = PostalAddress {
            kind: *kind,
            street: src_str(p, &srcs[0]),
            city: src_str(p, &srcs[1]),
            region: src_str(p, &srcs[2]),
            postal_code: src_str(p, &srcs[3]),
            country: src_str(p, &srcs[4]),
            is_mailing: mailing == *id,
        };
        // Only the formatted whole: it goes into the street component,
        // line breaks and all, rather than be lost (the parts cannot be
        // told apart reliably across countries' formats).
        if [&a.street, &a.city, &a.region, &a.postal_code, &a.country].iter().all(|s| s.is_empty()) {
            if let Some(w) = lid_str(p, *whole) {
                a.street = w;
            }
        }
        if [&a.street, &a.city, &a.region, &a.postal_code, &a.country].iter().any(|s| !s.is_empty()) {
            out.push(a);
        }
    }
    // The mailing address copy (PidTagStreetAddress, PidTagLocality,
    // PidTagStateOrProvince, PidTagPostalCode, PidTagCountry) only when none
    // of the three above carries it.
    if !out.iter().any(|a| a.is_mailing) {
        let a = PostalAddress {
            kind: AddressKind::Other,
            street: tag_str(p, tags::STREET_ADDRESS).unwrap_or_default(),
            city: tag_str(p, tags::LOCALITY).unwrap_or_default(),
            region: tag_str(p, tags::STATE_OR_PROVINCE).unwrap_or_default(),
            postal_code: tag_str(p, tags::POSTAL_CODE).unwrap_or_default(),
            country: tag_str(p, tags::COUNTRY).unwrap_or_default(),
            is_mailing: true,
        };
        let same = |b: &PostalAddress| {
            b.street == a.street && b.city == a.city && b.postal_code == a.postal_code && b.country == a.country
        };
        if [&a.street, &a.city, &a.region, &a.postal_code, &a.country].iter().any(|s| !s.is_empty()) {
            match out.iter_mut().find(|b| same(b)) {
                Some(b) => b.is_mailing = true,
                None => out.push(a),
            }
        }
    }
    out
}

/// The media type of a picture, from its magic bytes, else its extension.
fn media_type(data: &[u8], ext: &str) -> String {
    let by_magic = if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if data.starts_with(b"BM") {
        Some("image/bmp")
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    };
    let ext = ext.trim_start_matches('.').to_ascii_lowercase();
    let by_ext = match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    };
    by_magic.unwrap_or(by_ext).to_string()
}

/// The contact picture: the attachment with PidTagAttachmentContactPhoto
/// true ([MS-OXOCNTC] 2.2.1.8.2), by value.
fn photo(msg: &Message) -> Option<Photo> {
    let att = msg.attachments.iter().find(|a| a.props.bool(tags::ATTACHMENT_CONTACT_PHOTO) == Some(true))?;
    let AttachContent::Bytes(data) = &att.content else {
        return None;
    };
    if data.is_empty() {
        return None;
    }
    // PidTagAttachExtension, else the extension of the long or short file name.
    let name = att.props.str(tags::ATTACH_LONG_FILENAME).or_else(|| att.props.str(tags::ATTACH_FILENAME)).unwrap_or("");
    let ext = att
        .props
        .str(tags::ATTACH_EXTENSION)
        .map(str::to_string)
        .unwrap_or_else(|| name.rsplit_once('.').map(|(_, e)| e.to_string()).unwrap_or_default());
    Some(Photo { media_type: media_type(data, &ext), data: data.clone() })
}

/// Maps an `IPM.Contact` message onto a [`Contact`] with UID `uid` (see
/// [`item_uid`]). Absent properties leave their fields empty; nothing here
/// fails.
pub fn contact(msg: &Message, uid: String) -> Contact {
    let p = &msg.props;
    let name = StructuredName {
        family: tag_str(p, tags::SURNAME).unwrap_or_default(),
        given: tag_str(p, tags::GIVEN_NAME).unwrap_or_default(),
        middle: tag_str(p, tags::MIDDLE_NAME).unwrap_or_default(),
        prefix: tag_str(p, tags::DISPLAY_NAME_PREFIX).unwrap_or_default(),
        suffix: tag_str(p, tags::GENERATION).unwrap_or_default(),
    };
    // FN: PidTagDisplayName; else PidLidFileUnder; else the parts;
    // else the subject; else the first e-mail address, so FN (required by
    // RFC 6350 6.2.1) is never empty when anything names the contact.
    let emails: Vec<Email> = EMAIL_SLOTS.iter().filter_map(|s| email_slot(p, s)).collect();
    let full_name = tag_str(p, tags::DISPLAY_NAME)
        .or_else(|| lid_str(p, lid::FILE_UNDER))
        .or_else(|| {
            let parts = [&name.prefix, &name.given, &name.middle, &name.family, &name.suffix];
            let s = parts.iter().filter(|s| !s.is_empty()).map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
            nonempty(&s)
        })
        .or_else(|| msg.subject().and_then(nonempty))
        .or_else(|| emails.first().map(|e| e.address.clone()))
        .unwrap_or_default();
    let mut phones = Vec::new();
    for (id, kinds, pref) in PHONES {
        if let Some(n) = tag_str(p, *id) {
            phones.push(Phone { number: n, kinds: kinds.to_vec(), pref: *pref });
        }
    }
    let mut urls = Vec::new();
    // PidTagBusinessHomePage, PidTagPersonalHomePage, and PidLidHtml (the
    // business page Outlook's form shows) when it says something new.
    for u in [tag_str(p, tags::BUSINESS_HOME_PAGE), tag_str(p, tags::PERSONAL_HOME_PAGE), lid_str(p, lid::HTML)]
        .into_iter()
        .flatten()
    {
        if !urls.contains(&u) {
            urls.push(u);
        }
    }
    Contact {
        uid,
        full_name,
        name,
        nickname: tag_str(p, tags::NICKNAME),
        emails,
        phones,
        addresses: addresses(p),
        organization: tag_str(p, tags::COMPANY_NAME),
        title: tag_str(p, tags::TITLE),
        department: tag_str(p, tags::DEPARTMENT_NAME),
        birthday: date_prop(p, tags::BIRTHDAY, lid::BIRTHDAY_LOCAL),
        anniversary: date_prop(p, tags::WEDDING_ANNIVERSARY, lid::WEDDING_ANNIVERSARY_LOCAL),
        urls,
        im: lid_str(p, lid::INSTANT_MESSAGING_ADDRESS).into_iter().collect(),
        note: body(p),
        categories: categories(p),
        photo: photo(msg),
    }
}

/// The store uid (16 bytes) and NID a member EntryID names when it wraps
/// a PST message ENTRYID of a contact or a list ([MS-OXOCNTC]
/// 2.2.2.2.4.1.1: Flags (4), ProviderUID (16), Type (1), then MS-PST
/// 2.4.3.2's 24 bytes: flags (4), the store's record key (16), the NID (4)).
/// `None` for one-offs, GAL entries and anything else.
pub fn member_target(entry: &[u8]) -> Option<([u8; 16], u32)> {
    if entry.len() != 21 + 24 || entry[4..20] != WRAPPED_UID || !matches!(entry[20] & 0x0F, 3 | 4) {
        return None;
    }
    let e = &entry[21..];
    let nid = u32::from_le_bytes([e[20], e[21], e[22], e[23]]);
    let mut uid = [0u8; 16];
    uid.copy_from_slice(&e[4..20]);
    (nid != 0).then_some((uid, nid))
}

/// `entry` ([`member_target`]'s kind) naming `nid` in the store `store_uid`
/// instead; `None` when `entry` is no such member.
pub fn retarget_member(entry: &[u8], store_uid: &[u8; 16], nid: u32) -> Option<Vec<u8>> {
    member_target(entry)?;
    let mut out = entry.to_vec();
    out[25..41].copy_from_slice(store_uid);
    out[41..45].copy_from_slice(&nid.to_le_bytes());
    Some(out)
}

/// PidLidDistributionListChecksum of `members` ([MS-OXOCNTC] 2.2.2.2.3):
/// the CRC-32 of the concatenated values, computed as MS-PST 5.3's CRC
/// (initial value 0, no final inversion), which is what the fixtures'
/// Outlook-made lists carry.
pub fn members_checksum<B: AsRef<[u8]>>(members: &[B]) -> u32 {
    let mut crc = 0;
    for m in members {
        crc = crate::mapi::crc::update(crc, m.as_ref());
    }
    crc
}

/// Points the members of a copied list at the copy: every member of
/// PidLidDistributionListMembers naming a message of the store `from`
/// (the source's PidTagRecordKey) names `to` and the NID `nid_map` gives
/// instead, and PidLidDistributionListChecksum, when present, is
/// recomputed. Members `nid_map` has no NID for, and members of other
/// stores, stay as they are. Returns how many members were changed.
///
/// A writer copying a store calls this on each list once the NIDs of the
/// copied contacts are known: without it the copy's members still name
/// the source store, which Outlook cannot open from the copy, and the
/// members' vCard UIDs ([`crate::mapi::pim::uid`]) differ from the original's.
pub fn retarget_dist_list(
    props: &mut PropBag,
    from: &[u8],
    to: &[u8; 16],
    nid_map: impl Fn(u32) -> Option<u32>,
) -> usize {
    let key = crate::mapi::NamedId::from(lid::DISTRIBUTION_LIST_MEMBERS);
    let Some(PropValue::MvBinary(members)) = props.named.get_mut(&key) else {
        return 0;
    };
    let mut changed = 0;
    for m in members.iter_mut() {
        let Some((uid, nid)) = member_target(m) else { continue };
        if uid.as_slice() != from {
            continue;
        }
        if let Some(new) = nid_map(nid).and_then(|n| retarget_member(m, to, n)) {
            if new != *m {
                *m = new;
                changed += 1;
            }
        }
    }
    let sum = members_checksum(members);
    let ck = crate::mapi::NamedId::from(lid::DISTRIBUTION_LIST_CHECKSUM);
    if let Some(v) = props.named.get_mut(&ck) {
        // PtypInteger32 holds the CRC's bits.
        *v = PropValue::I32(sum as i32);
    }
    changed
}

/// The address type of the one-off EntryID that stands for a list member
/// that is a contact, by its UID, in a list written from the neutral model
/// ([`crate::mapi::pim::write::dist_list`]): the UID is its address. A PST
/// writer replaces it by the contact's WrappedEntryId when it writes the
/// contact too; one left as it is still reads back as that contact.
pub const MEMBER_UID_ADDRESS_TYPE: &str = "X-MAILSHIFT-UID";

/// Points the members of a list written from the neutral model
/// ([`MEMBER_UID_ADDRESS_TYPE`] one-offs naming contacts by UID) at the
/// contacts of the store `store` that `nid_of(uid)` knows: each such member
/// of PidLidDistributionListMembers becomes the contact's WrappedEntryId
/// ([`wrapped_member_entry_id`]), PidLidDistributionListOneOffMembers at
/// its position the contact's one-off entry (`one_off_of(uid)`, when
/// known), and PidLidDistributionListChecksum is recomputed. Members
/// `nid_of` does not know stay as they are (they still read back as their
/// contact). Returns how many members were changed.
pub fn resolve_uid_members(
    props: &mut PropBag,
    store: &[u8; 16],
    nid_of: impl Fn(&str) -> Option<u32>,
    one_off_of: impl Fn(&str) -> Option<Vec<u8>>,
) -> usize {
    let key = crate::mapi::NamedId::from(lid::DISTRIBUTION_LIST_MEMBERS);
    let Some(PropValue::MvBinary(members)) = props.named.get_mut(&key) else {
        return 0;
    };
    let mut changed = Vec::new();
    for (i, m) in members.iter_mut().enumerate() {
        let Some(o) = parse_one_off(m).filter(|o| o.address_type == MEMBER_UID_ADDRESS_TYPE) else { continue };
        if let Some(nid) = nid_of(&o.address) {
            *m = wrapped_member_entry_id(store, nid, false);
            changed.push((i, o.address));
        }
    }
    if changed.is_empty() {
        return 0;
    }
    let sum = members_checksum(members);
    let one_key = crate::mapi::NamedId::from(lid::DISTRIBUTION_LIST_ONE_OFF_MEMBERS);
    if let Some(PropValue::MvBinary(one_offs)) = props.named.get_mut(&one_key) {
        for (i, uid) in &changed {
            if let (Some(slot), Some(entry)) = (one_offs.get_mut(*i), one_off_of(uid)) {
                *slot = entry;
            }
        }
    }
    let ck = crate::mapi::NamedId::from(lid::DISTRIBUTION_LIST_CHECKSUM);
    props.named.insert(ck, PropValue::I32(sum as i32));
    changed.len()
}

/// What a member EntryID names; `uid_of(store uid, nid)` gives the UID of a
/// contact or list member.
fn member_of(entry: &[u8], uid_of: &dyn Fn(&[u8], u32) -> String) -> Option<Member> {
    if let Some(o) = parse_one_off(entry) {
        if o.address_type == MEMBER_UID_ADDRESS_TYPE {
            return nonempty(&o.address).map(Member::Contact);
        }
        return nonempty(&o.address).map(|email| Member::OneOff { name: o.name, email });
    }
    // WrappedEntryId: Flags (4), ProviderUID (16), Type (1), EmbeddedEntryID.
    if entry.len() < 21 || entry[4..20] != WRAPPED_UID {
        return None;
    }
    match entry[20] & 0x0F {
        // One-off wrapped as such.
        0 => member_of(&entry[21..], uid_of),
        // 3: a contact, 4: a personal distribution list, in a PST by its
        // 24-byte Message EntryID ([`member_target`]).
        3 | 4 => member_target(entry).map(|(store, nid)| Member::Contact(uid_of(&store, nid))),
        // GAL entries (5, 6) and Exchange-form contact EntryIDs cannot be
        // followed in a file: the one-off copy stands in.
        _ => None,
    }
}

/// [`dist_list_with`] with member UIDs by [`item_uid`] (the UIDs of
/// contacts without a search key).
pub fn dist_list(msg: &Message, uid: String) -> DistList {
    dist_list_with(msg, uid, &item_uid)
}

/// Maps an `IPM.DistList` message onto a [`DistList`] with UID `uid`.
/// Members come from PidLidDistributionListMembers; a contact or list
/// member, named by the store uid and NID of its ENTRYID, gets the UID
/// `member_uid(store uid, nid)` (in mailshift-pst's `PstReader`: the
/// UID that item gets, [`crate::mapi::pim::uid::StoreUids::member_uid`]). One
/// that cannot be followed (a GAL entry, an Exchange EntryID) is replaced
/// by the entry at the same position of PidLidDistributionListOneOffMembers,
/// which [MS-OXOCNTC] 2.2.2.2.2 keeps in step with it. Lists whose members
/// moved to PidLidDistributionListStream (large lists) are not read.
pub fn dist_list_with(msg: &Message, uid: String, member_uid: &dyn Fn(&[u8], u32) -> String) -> DistList {
    let p = &msg.props;
    let bins = |id| match p.lid(id) {
        Some(PropValue::MvBinary(v)) => v.as_slice(),
        _ => &[],
    };
    let members = bins(lid::DISTRIBUTION_LIST_MEMBERS);
    let one_offs = bins(lid::DISTRIBUTION_LIST_ONE_OFF_MEMBERS);
    let mut out = Vec::new();
    let n = members.len().max(one_offs.len());
    for i in 0..n {
        let m = members.get(i).and_then(|e| member_of(e, member_uid));
        let m = m.or_else(|| one_offs.get(i).and_then(|e| member_of(e, member_uid)));
        if let Some(m) = m {
            out.push(m);
        }
    }
    // PidLidDistributionListName, else the display name / subject.
    let name = tag_str(p, tags::DISPLAY_NAME)
        .or_else(|| lid_str(p, lid::DISTRIBUTION_LIST_NAME))
        .or_else(|| msg.subject().and_then(nonempty))
        .unwrap_or_default();
    DistList { uid, name, members: out, note: body(p), categories: categories(p) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_off(name: &str, ty: &str, addr: &str, unicode: bool) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 0];
        b.extend_from_slice(&ONE_OFF_UID);
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&(if unicode { 0x8001u16 } else { 0x0001 }).to_le_bytes());
        for s in [name, ty, addr] {
            if unicode {
                for u in s.encode_utf16() {
                    b.extend_from_slice(&u.to_le_bytes());
                }
                b.extend_from_slice(&[0, 0]);
            } else {
                b.extend_from_slice(s.as_bytes());
                b.push(0);
            }
        }
        b
    }

    #[test]
    fn one_off_entry_ids_decode_in_both_forms() {
        let o = parse_one_off(&one_off("Zoë Saldaña", "SMTP", "zoe@x.example", true)).expect("one-off");
        assert_eq!(
            (o.name.as_str(), o.address_type.as_str(), o.address.as_str()),
            ("Zoë Saldaña", "SMTP", "zoe@x.example")
        );
        let o = parse_one_off(&one_off("Bob", "SMTP", "bob@x.example", false)).expect("one-off");
        assert_eq!(o.address, "bob@x.example");
        // Truncated and foreign bytes: no panic.
        let full = one_off("A", "SMTP", "a@b", true);
        for n in 0..full.len() {
            let _ = parse_one_off(&full[..n]);
        }
        assert!(parse_one_off(&[0u8; 40]).is_none());
    }

    #[test]
    fn wrapped_contact_members_get_the_contacts_uid() {
        let store = [7u8; 16];
        let mut e = vec![0, 0, 0, 0];
        e.extend_from_slice(&WRAPPED_UID);
        e.push(0x83);
        e.extend_from_slice(&[0, 0, 0, 0]);
        e.extend_from_slice(&store);
        e.extend_from_slice(&0x200044u32.to_le_bytes());
        assert_eq!(member_of(&e, &item_uid), Some(Member::Contact(item_uid(&store, 0x200044))));
        // A GAL member falls back to the one-off at the same position.
        let mut gal = e.clone();
        gal[20] = 0x05;
        let mut msg = Message::default();
        msg.props.named.insert(lid::DISTRIBUTION_LIST_MEMBERS.into(), PropValue::MvBinary(vec![gal, e.clone()]));
        msg.props.named.insert(
            lid::DISTRIBUTION_LIST_ONE_OFF_MEMBERS.into(),
            PropValue::MvBinary(vec![one_off("G", "SMTP", "g@x.example", true), one_off("C", "SMTP", "c@x", true)]),
        );
        let d = dist_list(&msg, "u".into());
        assert_eq!(
            d.members,
            vec![
                Member::OneOff { name: "G".into(), email: "g@x.example".into() },
                Member::Contact(item_uid(&store, 0x200044)),
            ]
        );
    }

    #[test]
    fn uid_members_resolve_to_wrapped_entries() {
        let mut msg = Message::default();
        let members = vec![
            one_off_entry_id("", MEMBER_UID_ADDRESS_TYPE, "c-1"),
            one_off_entry_id("Bob", "SMTP", "bob@x.example"),
            one_off_entry_id("", MEMBER_UID_ADDRESS_TYPE, "c-unknown"),
        ];
        msg.props.named.insert(lid::DISTRIBUTION_LIST_MEMBERS.into(), PropValue::MvBinary(members.clone()));
        msg.props.named.insert(lid::DISTRIBUTION_LIST_ONE_OFF_MEMBERS.into(), PropValue::MvBinary(members));
        let n = resolve_uid_members(
            &mut msg.props,
            &[5; 16],
            |u| (u == "c-1").then_some(0x200024),
            |_| Some(one_off_entry_id("Ann", "SMTP", "ann@x.example")),
        );
        assert_eq!(n, 1);
        let d = dist_list_with(&msg, "l".into(), &|s, nid| format!("{}/{nid:x}", s[0]));
        assert_eq!(
            d.members,
            vec![
                Member::Contact("5/200024".into()),
                Member::OneOff { name: "Bob".into(), email: "bob@x.example".into() },
                Member::Contact("c-unknown".into()),
            ]
        );
        let Some(PropValue::MvBinary(one)) = msg.props.lid(lid::DISTRIBUTION_LIST_ONE_OFF_MEMBERS) else { panic!() };
        assert_eq!(parse_one_off(&one[0]).map(|o| o.name), Some("Ann".to_string()));
        let Some(PropValue::MvBinary(m)) = msg.props.lid(lid::DISTRIBUTION_LIST_MEMBERS) else { panic!() };
        assert_eq!(msg.props.lid(lid::DISTRIBUTION_LIST_CHECKSUM), Some(&PropValue::I32(members_checksum(m) as i32)));
    }

    #[test]
    fn dates_round_to_the_nearest_midnight() {
        // 1970-05-16T22:00Z (Berlin midnight) and 1970-05-17T05:00Z (New York).
        let ft = |unix: i64| (unix + 11_644_473_600) * 10_000_000;
        let may17 = 11_750_400; // 1970-05-17T00:00Z
        assert_eq!(date_of_filetime(ft(may17 - 7200)), Some(Date::new(1970, 5, 17)));
        assert_eq!(date_of_filetime(ft(may17 + 5 * 3600)), Some(Date::new(1970, 5, 17)));
        assert_eq!(date_of_filetime(ft(may17)), Some(Date::new(1970, 5, 17)));
        assert_eq!(date_of_filetime(0), None);
    }

    #[test]
    fn exchange_addresses_use_the_smtp_copy() {
        let mut msg = Message::default();
        let mut set = |id: Lid, v| {
            msg.props.named.insert(id.into(), v);
        };
        set(lid::EMAIL1_DISPLAY_NAME, PropValue::Unicode("Ann (ann@corp.example)".into()));
        set(lid::EMAIL1_ADDRESS_TYPE, PropValue::Unicode("EX".into()));
        set(lid::EMAIL1_EMAIL_ADDRESS, PropValue::Unicode("/o=Corp/ou=First/cn=Recipients/cn=ann".into()));
        set(lid::EMAIL1_ORIGINAL_DISPLAY_NAME, PropValue::Unicode("ann@corp.example".into()));
        let c = contact(&msg, "u".into());
        assert_eq!(c.emails.len(), 1);
        assert_eq!(c.emails[0].address, "ann@corp.example");
        assert_eq!(c.emails[0].display_name.as_deref(), Some("Ann (ann@corp.example)"));
        assert_eq!(c.full_name, "ann@corp.example");
    }
}
