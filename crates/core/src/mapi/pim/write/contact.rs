//! `Contact` as IPM.Contact and `DistList` as IPM.DistList ([MS-OXOCNTC]
//! 2.2.1, 2.2.2), the inverse of [`crate::mapi::pim::contact`].

use super::{filetime, midnight, Out};
use crate::mapi::inbound::Converted;
use crate::mapi::pim::contact::{
    members_checksum, one_off_entry_id, phone_kinds, Src as Dst, ADDRESSES, MEMBER_UID_ADDRESS_TYPE,
};
use crate::mapi::tags::{self, lid, Lid};
use crate::mapi::{AttachContent, Attachment, PropBag, PropValue};
use crate::pim::{AddressKind, Contact, DistList, Member, Phone, PhoneKind, PostalAddress};

/// The phone properties in the order the reader lists them; the first is
/// the preferred number's ([`crate::mapi::pim::contact`]'s table).
const PHONE_TAGS: [u16; 19] = [
    tags::PRIMARY_TELEPHONE_NUMBER,
    tags::BUSINESS_TELEPHONE_NUMBER,
    tags::BUSINESS2_TELEPHONE_NUMBER,
    tags::COMPANY_MAIN_TELEPHONE_NUMBER,
    tags::HOME_TELEPHONE_NUMBER,
    tags::HOME2_TELEPHONE_NUMBER,
    tags::MOBILE_TELEPHONE_NUMBER,
    tags::BUSINESS_FAX_NUMBER,
    tags::HOME_FAX_NUMBER,
    tags::PRIMARY_FAX_NUMBER,
    tags::PAGER_TELEPHONE_NUMBER,
    tags::CAR_TELEPHONE_NUMBER,
    tags::OTHER_TELEPHONE_NUMBER,
    tags::ASSISTANT_TELEPHONE_NUMBER,
    tags::CALLBACK_TELEPHONE_NUMBER,
    tags::RADIO_TELEPHONE_NUMBER,
    tags::TELEX_NUMBER,
    tags::ISDN_NUMBER,
    tags::TTY_TDD_PHONE_NUMBER,
];

/// Where a number of kinds the reader's table does not give goes: the
/// first free property for the first kind it has, in this order.
fn phone_candidates(p: &Phone) -> Vec<u16> {
    let has = |k| p.kinds.contains(&k);
    let mut c = Vec::new();
    if has(PhoneKind::Fax) {
        if has(PhoneKind::Work) {
            c.push(tags::BUSINESS_FAX_NUMBER);
        }
        if has(PhoneKind::Home) {
            c.push(tags::HOME_FAX_NUMBER);
        }
        c.extend([tags::PRIMARY_FAX_NUMBER, tags::BUSINESS_FAX_NUMBER, tags::HOME_FAX_NUMBER]);
    }
    for (k, t) in [
        (PhoneKind::Cell, tags::MOBILE_TELEPHONE_NUMBER),
        (PhoneKind::Pager, tags::PAGER_TELEPHONE_NUMBER),
        (PhoneKind::Car, tags::CAR_TELEPHONE_NUMBER),
        (PhoneKind::Isdn, tags::ISDN_NUMBER),
        (PhoneKind::Textphone, tags::TTY_TDD_PHONE_NUMBER),
        (PhoneKind::Assistant, tags::ASSISTANT_TELEPHONE_NUMBER),
        (PhoneKind::Callback, tags::CALLBACK_TELEPHONE_NUMBER),
        (PhoneKind::Radio, tags::RADIO_TELEPHONE_NUMBER),
        (PhoneKind::Telex, tags::TELEX_NUMBER),
        (PhoneKind::Main, tags::COMPANY_MAIN_TELEPHONE_NUMBER),
    ] {
        if has(k) {
            c.push(t);
        }
    }
    if has(PhoneKind::Work) {
        c.extend([tags::BUSINESS_TELEPHONE_NUMBER, tags::BUSINESS2_TELEPHONE_NUMBER]);
    }
    if has(PhoneKind::Home) {
        c.extend([tags::HOME_TELEPHONE_NUMBER, tags::HOME2_TELEPHONE_NUMBER]);
    }
    if p.pref {
        c.push(tags::PRIMARY_TELEPHONE_NUMBER);
    }
    c.extend([
        tags::OTHER_TELEPHONE_NUMBER,
        tags::PRIMARY_TELEPHONE_NUMBER,
        tags::BUSINESS2_TELEPHONE_NUMBER,
        tags::HOME2_TELEPHONE_NUMBER,
        tags::CALLBACK_TELEPHONE_NUMBER,
    ]);
    c
}

/// The Email1-3 properties: display name, address type, address, original
/// display name, original EntryID ([MS-OXOCNTC] 2.2.1.2).
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

/// The mailing address's copy in PidTagStreetAddress and the rest.
fn mailing_copy(o: &mut Out, a: &PostalAddress) {
    for (t, v) in [
        (tags::STREET_ADDRESS, &a.street),
        (tags::LOCALITY, &a.city),
        (tags::STATE_OR_PROVINCE, &a.region),
        (tags::POSTAL_CODE, &a.postal_code),
        (tags::COUNTRY, &a.country),
    ] {
        o.text(t, Some(v));
    }
}

fn parts(a: &PostalAddress) -> [&str; 5] {
    [&a.street, &a.city, &a.region, &a.postal_code, &a.country]
}

/// The address as Outlook's form shows it: street, "city region postal
/// code", country, one per line, empty lines left out.
fn whole(a: &PostalAddress) -> String {
    let middle = [&a.city, &a.region, &a.postal_code]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    [a.street.as_str(), middle.as_str(), a.country.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// File extension and media type of a picture, by its bytes first.
fn picture_ext(data: &[u8], media_type: &str) -> &'static str {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return "jpg";
    }
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return "png";
    }
    if data.starts_with(b"GIF8") {
        return "gif";
    }
    if data.starts_with(b"BM") {
        return "bmp";
    }
    match media_type.to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/bmp" => "bmp",
        "image/webp" => "webp",
        _ => "bin",
    }
}

/// A contact as IPM.Contact.
///
/// Names, company, title, department, nickname, birthday and anniversary
/// (PidTagBirthday and PidLidBirthdayLocal at 00:00 UTC of the day, as the
/// reader's rounding takes them), the body, the categories; up to three
/// e-mail addresses in the Email1-3 slots (SMTP, with one-off EntryIDs and
/// the address book lists Outlook's address book reads); each number in
/// the phone property the reader maps to its kinds (else the nearest free
/// one); home, work and other addresses with the mailing one's
/// PidLidPostalAddressId and its copy in PidTagStreetAddress...; the web
/// pages in PidTagBusinessHomePage, PidTagPersonalHomePage and PidLidHtml
/// (the order the reader lists them); the IM address; the photo as the
/// contact-photo attachment.
pub fn contact(c: &Contact) -> Result<Converted, String> {
    let mut o = Out::new("IPM.Contact", &c.uid);
    let fname = (!c.full_name.is_empty()).then_some(c.full_name.as_str());
    o.subject(fname);
    o.text(tags::DISPLAY_NAME, fname);
    o.lid_text(lid::FILE_UNDER, fname);
    if fname.is_some() {
        o.lid(lid::FILE_UNDER_ID, PropValue::I32(0));
    }
    o.text(tags::SURNAME, Some(&c.name.family));
    o.text(tags::GIVEN_NAME, Some(&c.name.given));
    o.text(tags::MIDDLE_NAME, Some(&c.name.middle));
    o.text(tags::DISPLAY_NAME_PREFIX, Some(&c.name.prefix));
    o.text(tags::GENERATION, Some(&c.name.suffix));
    o.text(tags::NICKNAME, c.nickname.as_deref());
    o.text(tags::COMPANY_NAME, c.organization.as_deref());
    o.text(tags::TITLE, c.title.as_deref());
    o.text(tags::DEPARTMENT_NAME, c.department.as_deref());
    o.text(tags::BODY, c.note.as_deref());
    o.common(&c.categories, None, None, None);
    for (d, tag, local) in [
        (c.birthday, tags::BIRTHDAY, lid::BIRTHDAY_LOCAL),
        (c.anniversary, tags::WEDDING_ANNIVERSARY, lid::WEDDING_ANNIVERSARY_LOCAL),
    ] {
        if let Some(d) = d {
            o.tag(tag, filetime(midnight(d)));
            o.lid(local, filetime(midnight(d)));
        }
    }

    // E-mail addresses.
    let mut slots = Vec::new();
    for (i, e) in c.emails.iter().enumerate() {
        let Some(slot) = EMAIL_SLOTS.get(i) else {
            o.not_kept(format!("e-mail address {} (a contact has three)", e.address));
            continue;
        };
        let [display, addr_type, address, original_name, original_entry] = *slot;
        let shown = e.display_name.clone().unwrap_or_else(|| e.address.clone());
        o.lid(display, PropValue::Unicode(shown.clone()));
        o.lid(addr_type, PropValue::Unicode("SMTP".into()));
        o.lid(address, PropValue::Unicode(e.address.clone()));
        o.lid(original_name, PropValue::Unicode(e.address.clone()));
        o.lid(original_entry, PropValue::Binary(one_off_entry_id(&shown, "SMTP", &e.address).into()));
        slots.push(i as i32);
        if e.kind != AddressKind::Other || e.pref {
            o.not_kept(format!("the type or preference of e-mail address {}", e.address));
        }
    }
    if !slots.is_empty() {
        let mask = slots.iter().fold(0, |m, s| m | (1 << s));
        o.lid(lid::ADDRESS_BOOK_PROVIDER_EMAIL_LIST, PropValue::MvI32(slots));
        o.lid(lid::ADDRESS_BOOK_PROVIDER_ARRAY_TYPE, PropValue::I32(mask));
    }

    // Phones: the property whose kinds are the number's, else the nearest.
    let mut used: Vec<u16> = Vec::new();
    for p in &c.phones {
        let exact = PHONE_TAGS.iter().copied().find(|t| {
            !used.contains(t)
                && phone_kinds(*t) == Some(p.kinds.as_slice())
                && p.pref == (*t == tags::PRIMARY_TELEPHONE_NUMBER)
        });
        let tag = exact.or_else(|| {
            let t = phone_candidates(p).into_iter().find(|t| !used.contains(t));
            if t.is_some() {
                o.not_kept(format!(
                    "the kinds {:?} of phone number {} (written as the nearest Outlook has)",
                    p.kinds, p.number
                ));
            }
            t
        });
        match tag {
            Some(t) => {
                used.push(t);
                o.tag(t, PropValue::Unicode(p.number.clone()));
            }
            None => o.not_kept(format!("phone number {} (no phone property of its kind left)", p.number)),
        }
    }

    // Postal addresses.
    let mut mailing_done = false;
    let mut kinds_used: Vec<AddressKind> = Vec::new();
    for a in &c.addresses {
        let Some((_, dsts, id, whole_lid)) = ADDRESSES.iter().find(|(k, ..)| *k == a.kind) else { continue };
        if kinds_used.contains(&a.kind) {
            // The reader's mailing-address copy holds one more, when it is
            // the mailing one and no other is.
            if a.is_mailing && !mailing_done && a.kind == AddressKind::Other {
                mailing_copy(&mut o, a);
                mailing_done = true;
                continue;
            }
            o.not_kept(format!("a second {:?} postal address", a.kind));
            continue;
        }
        kinds_used.push(a.kind);
        for (d, v) in dsts.iter().zip(parts(a)) {
            match d {
                Dst::Tag(t) => o.text(*t, Some(v)),
                Dst::Lid(l) => o.lid_text(*l, Some(v)),
            }
        }
        o.lid_text(*whole_lid, Some(&whole(a)));
        if a.is_mailing {
            if mailing_done {
                o.not_kept("a second mailing address");
                continue;
            }
            mailing_done = true;
            o.lid(lid::POSTAL_ADDRESS_ID, PropValue::I32(*id as i32));
            mailing_copy(&mut o, a);
        }
    }
    if !mailing_done && !c.addresses.is_empty() {
        o.lid(lid::POSTAL_ADDRESS_ID, PropValue::I32(0));
    }

    // Web pages in the reader's order, the IM address.
    for (u, dst) in
        c.urls.iter().zip([Dst::Tag(tags::BUSINESS_HOME_PAGE), Dst::Tag(tags::PERSONAL_HOME_PAGE), Dst::Lid(lid::HTML)])
    {
        match dst {
            Dst::Tag(t) => o.text(t, Some(u)),
            Dst::Lid(l) => o.lid_text(l, Some(u)),
        }
    }
    for u in c.urls.iter().skip(3) {
        o.not_kept(format!("web page {u} (a contact has three)"));
    }
    if let Some(im) = c.im.first() {
        o.lid_text(lid::INSTANT_MESSAGING_ADDRESS, Some(im));
    }
    for im in c.im.iter().skip(1) {
        o.not_kept(format!("IM address {im} (a contact has one)"));
    }

    // The picture ([MS-OXOCNTC] 2.2.1.8).
    if let Some(ph) = c.photo.as_ref().filter(|p| !p.data.is_empty()) {
        let ext = picture_ext(&ph.data, &ph.media_type);
        let name = format!("ContactPicture.{ext}");
        let mut p = PropBag::default();
        p.tagged.insert(tags::ATTACH_METHOD, PropValue::I32(1));
        p.tagged.insert(tags::ATTACH_LONG_FILENAME, PropValue::Unicode(name.clone()));
        p.tagged.insert(tags::ATTACH_FILENAME, PropValue::Unicode(name.clone()));
        p.tagged.insert(tags::DISPLAY_NAME, PropValue::Unicode(name));
        p.tagged.insert(tags::ATTACH_EXTENSION, PropValue::Unicode(format!(".{ext}")));
        p.tagged.insert(tags::ATTACH_MIME_TAG, PropValue::Unicode(ph.media_type.clone()));
        p.tagged.insert(tags::RENDERING_POSITION, PropValue::I32(-1));
        p.tagged.insert(tags::ATTACHMENT_HIDDEN, PropValue::Bool(true));
        p.tagged.insert(tags::ATTACHMENT_CONTACT_PHOTO, PropValue::Bool(true));
        o.msg.attachments.push(Attachment { props: p, content: AttachContent::Bytes(ph.data.clone()) });
        o.lid(lid::HAS_PICTURE, PropValue::Bool(true));
        if ext == "bin" {
            o.not_kept(format!("the media type {} of the photo", ph.media_type));
        }
    }
    Ok(o.done())
}

/// A distribution list as IPM.DistList: the name (PidTagDisplayName,
/// PidLidDistributionListName, the subject), the body, the categories, and
/// the members in PidLidDistributionListMembers and
/// PidLidDistributionListOneOffMembers, with their checksum. A one-off
/// member is its one-off EntryID in both; a contact member, which only the
/// store it is written into can name by EntryID, the one-off EntryID of
/// address type [`MEMBER_UID_ADDRESS_TYPE`] whose address is its UID: a PST
/// writer that writes the contact too replaces it by the contact's
/// WrappedEntryId, and the reader takes one left as it is for the contact.
pub fn dist_list(d: &DistList) -> Result<Converted, String> {
    let mut o = Out::new("IPM.DistList", &d.uid);
    let name = (!d.name.is_empty()).then_some(d.name.as_str());
    o.subject(name);
    o.text(tags::DISPLAY_NAME, name);
    o.lid_text(lid::DISTRIBUTION_LIST_NAME, name);
    o.lid_text(lid::FILE_UNDER, name);
    o.text(tags::BODY, d.note.as_deref());
    o.common(&d.categories, None, None, None);
    let mut members = Vec::with_capacity(d.members.len());
    for m in &d.members {
        members.push(match m {
            Member::OneOff { name, email } => one_off_entry_id(name, "SMTP", email),
            Member::Contact(uid) => one_off_entry_id("", MEMBER_UID_ADDRESS_TYPE, uid),
        });
    }
    o.lid(lid::DISTRIBUTION_LIST_CHECKSUM, PropValue::I32(members_checksum(&members) as i32));
    o.lid(lid::DISTRIBUTION_LIST_ONE_OFF_MEMBERS, PropValue::MvBinary(members.clone()));
    o.lid(lid::DISTRIBUTION_LIST_MEMBERS, PropValue::MvBinary(members));
    Ok(o.done())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapi::pim::contact as read;
    use crate::pim::{Date, Email, Photo, StructuredName};

    fn sample() -> Contact {
        Contact {
            uid: "c-1".into(),
            full_name: "Dr. Jürgen K. Müller Jr.".into(),
            name: StructuredName {
                family: "Müller".into(),
                given: "Jürgen".into(),
                middle: "Karl".into(),
                prefix: "Dr.".into(),
                suffix: "Jr.".into(),
            },
            nickname: Some("Jü".into()),
            emails: vec![
                Email {
                    address: "j@mueller.example".into(),
                    display_name: Some("Jürgen (Büro)".into()),
                    ..Email::default()
                },
                Email { address: "jm@home.example".into(), ..Email::default() },
            ],
            phones: vec![
                Phone { number: "+49 30 1".into(), kinds: vec![PhoneKind::Voice], pref: true },
                Phone { number: "+49 30 2".into(), kinds: vec![PhoneKind::Work, PhoneKind::Voice], pref: false },
                Phone { number: "+49 30 3".into(), kinds: vec![PhoneKind::Work, PhoneKind::Voice], pref: false },
                Phone { number: "+49 170 4".into(), kinds: vec![PhoneKind::Cell], pref: false },
                Phone { number: "+49 30 5".into(), kinds: vec![PhoneKind::Home, PhoneKind::Fax], pref: false },
                Phone { number: "+49 30 6".into(), kinds: vec![PhoneKind::Other], pref: false },
            ],
            addresses: vec![
                PostalAddress {
                    kind: AddressKind::Home,
                    street: "Am See 1".into(),
                    city: "Potsdam".into(),
                    ..Default::default()
                },
                PostalAddress {
                    kind: AddressKind::Work,
                    street: "Kantstraße 3".into(),
                    city: "Berlin".into(),
                    region: "BE".into(),
                    postal_code: "10623".into(),
                    country: "Deutschland".into(),
                    is_mailing: true,
                },
            ],
            organization: Some("Müller & Söhne GmbH".into()),
            title: Some("Geschäftsführer".into()),
            department: Some("Vorstand".into()),
            birthday: Some(Date::new(1970, 5, 17)),
            anniversary: Some(Date::new(1999, 9, 9)),
            urls: vec!["https://mueller.example".into(), "https://juergen.example".into()],
            im: vec!["juergen@im.example".into()],
            note: Some("Line 1\r\nLine 2".into()),
            categories: vec!["Geschäftlich".into(), "VIP".into()],
            photo: Some(Photo { data: b"\x89PNG\r\n\x1a\n....".to_vec(), media_type: "image/png".into() }),
        }
    }

    #[test]
    fn contacts_read_back_as_written() {
        let c = sample();
        let conv = contact(&c).unwrap();
        assert!(conv.not_kept.is_empty(), "{:?}", conv.not_kept);
        let m = &conv.message;
        assert_eq!(m.class(), "IPM.Contact");
        // Named properties by their sets and LIDs.
        assert_eq!(m.props.lid(lid::WORK_ADDRESS_CITY), Some(&PropValue::Unicode("Berlin".into())));
        assert_eq!(m.props.lid(lid::POSTAL_ADDRESS_ID), Some(&PropValue::I32(2)));
        assert_eq!(m.props.lid(lid::EMAIL2_EMAIL_ADDRESS), Some(&PropValue::Unicode("jm@home.example".into())));
        assert_eq!(m.props.lid(lid::ADDRESS_BOOK_PROVIDER_ARRAY_TYPE), Some(&PropValue::I32(3)));
        assert_eq!(m.props.str(tags::BUSINESS2_TELEPHONE_NUMBER), Some("+49 30 3"));
        assert_eq!(m.props.str(tags::HOME_FAX_NUMBER), Some("+49 30 5"));
        assert_eq!(m.props.str(tags::STREET_ADDRESS), Some("Kantstraße 3"));
        let uid = crate::mapi::pim::uid::identity_uid(m.props.bin(tags::SEARCH_KEY).unwrap(), 0);
        assert_eq!(uid, "c-1");
        // (The reader lists home, work and other addresses in that order.)
        assert_eq!(read::contact(m, uid), c);
        // A vCard's kinds Outlook has no property for go to the nearest.
        let mut v = c.clone();
        v.phones = vec![Phone { number: "1".into(), kinds: vec![PhoneKind::Work, PhoneKind::Text], pref: false }];
        v.emails[0].pref = true;
        let conv = contact(&v).unwrap();
        assert_eq!(conv.message.props.str(tags::BUSINESS_TELEPHONE_NUMBER), Some("1"));
        assert_eq!(conv.not_kept.len(), 2, "{:?}", conv.not_kept);
    }

    #[test]
    fn lists_read_back_with_their_members() {
        let d = DistList {
            uid: "l-1".into(),
            name: "Team Ümlaut".into(),
            members: vec![
                Member::OneOff { name: "Zoë Saldaña".into(), email: "zoe@cafe.example".into() },
                Member::Contact("c-1".into()),
            ],
            note: Some("Notiz".into()),
            categories: vec!["Team".into()],
        };
        let conv = dist_list(&d).unwrap();
        let m = &conv.message;
        let Some(PropValue::MvBinary(v)) = m.props.lid(lid::DISTRIBUTION_LIST_MEMBERS) else { panic!("members") };
        assert_eq!(m.props.lid(lid::DISTRIBUTION_LIST_CHECKSUM), Some(&PropValue::I32(members_checksum(v) as i32)));
        assert_eq!(read::dist_list(m, "l-1".into()), d);
        // Resolved by a writer to the contact's entry: the reader's
        // callback names it.
        let mut m = m.clone();
        if let Some(PropValue::MvBinary(v)) = m.props.named.get_mut(&lid::DISTRIBUTION_LIST_MEMBERS.into()) {
            v[1] = read::wrapped_member_entry_id(&[9; 16], 0x200024, false);
        }
        let got = read::dist_list_with(&m, "l-1".into(), &|s, n| format!("{}:{n:x}", s[0]));
        assert_eq!(got.members[1], Member::Contact("9:200024".into()));
    }
}
