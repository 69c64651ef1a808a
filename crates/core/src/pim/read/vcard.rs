//! vCard (2.1, 3.0, 4.0) -> [`Contact`] / [`DistList`].
//!
//! What [`crate::pim::vcard`] writes reads back as it was; from other
//! writers: Outlook's 2.1 (`TEL;WORK;VOICE`, `EMAIL;PREF;INTERNET`,
//! `X-MS-OL-DEFAULT-POSTAL-ADDRESS`, `X-MS-IMADDRESS`), Google's and
//! Apple's 3.0 (`item1.` groups, `TYPE=INTERNET`), Thunderbird's 4.0, and
//! groups as vCard 4 `KIND:group` + `MEMBER` or Apple's
//! `X-ADDRESSBOOKSERVER-KIND` + `X-ADDRESSBOOKSERVER-MEMBER`.

use super::{split_unescaped, unbase64, Component, ParseProblem, Parser, Prop};
use crate::pim::{
    AddressKind, Contact, Date, DistList, Email, Member, Phone, PhoneKind, Photo, PostalAddress, StructuredName,
};

/// A vCard as the model holds it.
#[allow(clippy::large_enum_variant)] // one at a time, moved into a boxed Item
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Card {
    /// A person or organisation.
    Contact(Contact),
    /// A group (distribution list).
    Group(DistList),
}

impl Card {
    /// The card's UID.
    pub fn uid(&self) -> &str {
        match self {
            Card::Contact(c) => &c.uid,
            Card::Group(g) => &g.uid,
        }
    }
}

/// Reads every vCard of `text`, with the problems found (offsets into
/// `text`). Cards that are not closed are skipped.
pub fn read(text: &[u8]) -> (Vec<Card>, Vec<ParseProblem>) {
    let mut p = Parser::new(text);
    let mut out = Vec::new();
    let mut problems = Vec::new();
    while let Some((_, c)) = p.next_entry() {
        if c.name != "VCARD" {
            problems.push(ParseProblem::note(c.start, &c.name, format!("{} in a vCard file; skipped", c.name)));
            continue;
        }
        out.push(card(&c, &text[c.start..c.end], &mut problems));
    }
    problems.extend(p.problems);
    problems.sort_by_key(|p| p.offset);
    (out, problems)
}

/// A UID without vCard 4's `urn:uuid:` prefix (the writer adds it back).
pub(crate) fn bare_uid(s: &str) -> String {
    // Control characters cannot be carried by any writer (ours drops them).
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    let s = s.trim();
    match s.get(..9) {
        Some(p) if p.eq_ignore_ascii_case("urn:uuid:") => s[9..].to_string(),
        _ => s.to_string(),
    }
}

/// True if the card is a group (`KIND:group`, `X-ADDRESSBOOKSERVER-KIND:group`).
fn is_group(c: &Component) -> bool {
    ["KIND", "X-ADDRESSBOOKSERVER-KIND"]
        .iter()
        .any(|k| c.prop(k).is_some_and(|p| p.value.trim().eq_ignore_ascii_case("group")))
}

/// One `VCARD` component; `raw` is its text (for a UID when it has none).
pub(crate) fn card(c: &Component, raw: &[u8], problems: &mut Vec<ParseProblem>) -> Card {
    let uid = c.prop("UID").map(|p| bare_uid(&p.text())).filter(|u| !u.is_empty()).unwrap_or_else(|| {
        // No UID: one from the card's bytes, the same on every read.
        super::derived_uid("vcard", raw)
    });
    let note = notes(c);
    let categories = categories(c);
    if is_group(c) {
        let mut members = Vec::new();
        for p in c.all("MEMBER").chain(c.all("X-ADDRESSBOOKSERVER-MEMBER")) {
            let v = p.value.trim();
            if v.is_empty() {
                continue;
            }
            match v.get(..7) {
                Some(s) if s.eq_ignore_ascii_case("mailto:") => members.push(Member::OneOff {
                    name: p.param("X-CN").or(p.param("CN")).unwrap_or("").to_string(),
                    email: v[7..].to_string(),
                }),
                _ => members.push(Member::Contact(bare_uid(v))),
            }
        }
        let name =
            c.text("FN").or_else(|| c.prop("N").map(|n| split_unescaped(&n.value, ';').remove(0))).unwrap_or_default();
        return Card::Group(DistList { uid, name, members, note, categories });
    }
    let version = c.prop("VERSION").map(|p| p.value.trim().to_string()).unwrap_or_default();
    let mut out = Contact { uid, full_name: c.text("FN").unwrap_or_default(), note, categories, ..Contact::default() };
    if let Some(n) = c.prop("N") {
        let mut parts = split_unescaped(&n.value, ';').into_iter();
        let mut next = || parts.next().unwrap_or_default();
        out.name = StructuredName { family: next(), given: next(), middle: next(), prefix: next(), suffix: next() };
    }
    out.nickname = c.text("NICKNAME");
    // Outlook 2.1: which address is the mailing one (1 home, 2 work, 3 other).
    let default_postal = c.prop("X-MS-OL-DEFAULT-POSTAL-ADDRESS").map(|p| p.value.trim().to_string());
    for p in &c.props {
        match p.name.as_str() {
            "EMAIL" => {
                let address = p.text().trim().to_string();
                if address.is_empty() {
                    continue;
                }
                let types = p.tokens("TYPE");
                out.emails.push(Email {
                    address,
                    display_name: p.param("X-CN").map(str::to_string).filter(|s| !s.is_empty()),
                    kind: address_kind(&types),
                    pref: is_pref(p, &types),
                });
            }
            "TEL" => {
                let number = p.text().trim().to_string();
                if number.is_empty() {
                    continue;
                }
                let number = number.strip_prefix("tel:").map(str::to_string).unwrap_or(number);
                let types = p.tokens("TYPE");
                let mut kinds = Vec::new();
                for t in &types {
                    if let Some(k) = phone_kind(t) {
                        if !kinds.contains(&k) {
                            kinds.push(k);
                        }
                    }
                }
                if kinds.is_empty() {
                    // No kind the model knows: an "other" number (which is
                    // how the writer leaves Other, without a TYPE).
                    kinds.push(PhoneKind::Other);
                }
                out.phones.push(Phone { number, kinds, pref: is_pref(p, &types) });
            }
            "ADR" => {
                let parts = split_unescaped(&p.value, ';');
                let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
                // The model has one street field: box and extended address
                // (our writer leaves them empty) join it.
                let street = [part(2), part(1), part(0)].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
                let types = p.tokens("TYPE");
                let kind = address_kind(&types);
                let mailing = is_pref(p, &types)
                    || matches!(
                        (default_postal.as_deref(), kind),
                        (Some("1"), AddressKind::Home)
                            | (Some("2"), AddressKind::Work)
                            | (Some("3"), AddressKind::Other)
                    );
                let a = PostalAddress {
                    kind,
                    street: street.join("\n"),
                    city: part(3),
                    region: part(4),
                    postal_code: part(5),
                    country: part(6),
                    is_mailing: mailing,
                };
                if !(a.street.is_empty()
                    && a.city.is_empty()
                    && a.region.is_empty()
                    && a.postal_code.is_empty()
                    && a.country.is_empty())
                {
                    out.addresses.push(a);
                }
            }
            "ORG" => {
                let parts = split_unescaped(&p.value, ';');
                out.organization = parts.first().cloned().filter(|s| !s.is_empty());
                let rest: Vec<String> = parts.into_iter().skip(1).filter(|s| !s.is_empty()).collect();
                out.department = Some(rest.join(", ")).filter(|s| !s.is_empty());
            }
            "TITLE" if out.title.is_none() => out.title = Some(p.text()).filter(|s| !s.is_empty()),
            "BDAY" => out.birthday = date(p, problems),
            "ANNIVERSARY" | "X-ANNIVERSARY" | "X-MS-ANNIVERSARY" | "X-EVOLUTION-ANNIVERSARY"
                if out.anniversary.is_none() =>
            {
                out.anniversary = date(p, problems)
            }
            "URL" => {
                let u = p.text().trim().to_string();
                if !u.is_empty() {
                    out.urls.push(u);
                }
            }
            "IMPP" | "X-MS-IMADDRESS" => {
                // `sip:` is what our writer (and Outlook) put before an
                // address Outlook's IM field holds bare.
                let v = p.text().trim().to_string();
                let v = match v.get(..4) {
                    Some(s) if s.eq_ignore_ascii_case("sip:") => v[4..].to_string(),
                    _ => v,
                };
                if !v.is_empty() && !out.im.contains(&v) {
                    out.im.push(v);
                }
            }
            "PHOTO" if out.photo.is_none() => out.photo = photo(p, &version, problems),
            _ => {}
        }
    }
    Card::Contact(out)
}

/// Every NOTE, one after another.
fn notes(c: &Component) -> Option<String> {
    let all: Vec<String> = c.all("NOTE").map(Prop::text).filter(|s| !s.is_empty()).collect();
    Some(all.join("\n")).filter(|s| !s.is_empty())
}

/// Every CATEGORIES value, in order, once each.
pub(crate) fn categories(c: &Component) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in c.all("CATEGORIES") {
        for v in split_unescaped(&p.value, ',') {
            let v = v.trim().to_string();
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

fn address_kind(types: &[String]) -> AddressKind {
    if types.iter().any(|t| t == "home") {
        AddressKind::Home
    } else if types.iter().any(|t| t == "work") {
        AddressKind::Work
    } else {
        AddressKind::Other
    }
}

/// Preferred: `PREF=1` (4.0; any value below 100 is a preference, 1 the
/// first) or a `PREF` type (2.1, 3.0).
fn is_pref(p: &Prop, types: &[String]) -> bool {
    types.iter().any(|t| t == "pref") || p.param("PREF").is_some_and(|v| v.trim() == "1")
}

fn phone_kind(t: &str) -> Option<PhoneKind> {
    Some(match t {
        "work" => PhoneKind::Work,
        "home" => PhoneKind::Home,
        "cell" | "mobile" | "iphone" => PhoneKind::Cell,
        "voice" => PhoneKind::Voice,
        "fax" => PhoneKind::Fax,
        "pager" => PhoneKind::Pager,
        "car" => PhoneKind::Car,
        "main" | "x-main" => PhoneKind::Main,
        "isdn" => PhoneKind::Isdn,
        "text" | "msg" => PhoneKind::Text,
        "video" => PhoneKind::Video,
        "textphone" => PhoneKind::Textphone,
        "x-assistant" | "assistant" => PhoneKind::Assistant,
        "x-callback" | "callback" => PhoneKind::Callback,
        "x-radio" | "radio" => PhoneKind::Radio,
        "x-telex" | "telex" | "tlx" => PhoneKind::Telex,
        _ => return None,
    })
}

/// A date value: `19800315`, `1980-03-15`, `1980-03-15T00:00:00Z`. A date
/// without a year (`--0315`) has no place in the model: reported, left out.
fn date(p: &Prop, problems: &mut Vec<ParseProblem>) -> Option<Date> {
    let v = p.value.trim();
    let d = v.split('T').next().unwrap_or("");
    let digits: String = d.chars().filter(|c| *c != '-').collect();
    let parsed = if digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with("--") {
        let y: i32 = digits[0..4].parse().ok()?;
        let m: u8 = digits[4..6].parse().ok()?;
        let day: u8 = digits[6..8].parse().ok()?;
        valid_date(y, m, day)
    } else {
        None
    };
    if parsed.is_none() && !v.is_empty() {
        problems.push(ParseProblem::note(p.offset, &p.name, format!("{}: not a full date ({v:?}); left out", p.name)));
    }
    parsed
}

pub(crate) fn valid_date(y: i32, m: u8, d: u8) -> Option<Date> {
    if (1..=12).contains(&m) && d >= 1 && u32::from(d) <= crate::time::days_in_month(i64::from(y), u32::from(m)) {
        Some(Date::new(y, m, d))
    } else {
        None
    }
}

/// PHOTO: a `data:` URI (4.0), or inline base64 with `ENCODING=b` (3.0)
/// or `ENCODING=BASE64` (2.1) and the image type in `TYPE`. A photo by
/// reference (a URL) is not fetched.
fn photo(p: &Prop, version: &str, problems: &mut Vec<ParseProblem>) -> Option<Photo> {
    let v = p.value.trim();
    let (media_type, b64) = if let Some(rest) = v.get(..5).filter(|s| s.eq_ignore_ascii_case("data:")).map(|_| &v[5..])
    {
        let (head, data) = rest.split_once(',')?;
        let Some(mt) = head.strip_suffix(";base64") else {
            problems.push(ParseProblem::note(p.offset, "PHOTO", "a data: URI that is not base64; left out"));
            return None;
        };
        (mt.to_ascii_lowercase(), data)
    } else if p.param("ENCODING").is_some_and(|e| e.eq_ignore_ascii_case("b") || e.eq_ignore_ascii_case("base64")) {
        let sub = p
            .tokens("TYPE")
            .into_iter()
            .find(|t| t != "pref")
            .or_else(|| p.param("MEDIATYPE").map(str::to_ascii_lowercase))
            .unwrap_or_else(|| "jpeg".into());
        let mt = if sub.contains('/') { sub } else { format!("image/{sub}") };
        (mt, v)
    } else {
        if !v.is_empty() {
            problems.push(ParseProblem::note(
                p.offset,
                "PHOTO",
                format!("a photo by reference (vCard {version}) is not fetched; left out"),
            ));
        }
        return None;
    };
    match unbase64(b64) {
        Some(data) if !data.is_empty() => Some(Photo { data, media_type }),
        _ => {
            problems.push(ParseProblem::damaged(p.offset, "PHOTO", "the photo's base64 does not decode; left out"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pim::vcard::{write, write_group, VCardVersion};

    #[test]
    fn outlook_21_card() {
        let bytes: &[u8] = b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;LANGUAGE=de;CHARSET=Windows-1252:M\xfcller;J\xfcrgen\r\nFN;CHARSET=Windows-1252:J\xfcrgen M\xfcller\r\nTEL;WORK;VOICE:+49 30 1234\r\nTEL;CELL;VOICE:+49 170 1\r\nEMAIL;PREF;INTERNET:j@example.de\r\nADR;WORK;ENCODING=QUOTED-PRINTABLE:;;Hauptstr. 1=0D=0AHof;Berlin;;10115;Deutschland\r\nX-MS-OL-DEFAULT-POSTAL-ADDRESS:2\r\nPHOTO;TYPE=JPEG;ENCODING=BASE64:\r\n /9j/4AAQ\r\n\r\nEND:VCARD\r\n";
        let (cards, probs) = read(bytes);
        assert!(probs.is_empty(), "{probs:?}");
        let Card::Contact(c) = &cards[0] else { panic!() };
        assert_eq!(c.full_name, "Jürgen Müller");
        assert_eq!(c.name.family, "Müller");
        assert_eq!(c.phones[0].kinds, [PhoneKind::Work, PhoneKind::Voice]);
        assert!(c.emails[0].pref);
        assert_eq!(c.addresses[0].street, "Hauptstr. 1\r\nHof");
        assert!(c.addresses[0].is_mailing);
        assert_eq!(c.photo.as_ref().unwrap().media_type, "image/jpeg");
        assert_eq!(c.photo.as_ref().unwrap().data, [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);
    }

    #[test]
    fn our_own_cards_read_back() {
        let c = Contact {
            uid: "0b2f6b0e-1c1d-8e2f-9a3b-4c5d6e7f8091".into(),
            full_name: "Dr. Jo Smith, Jr.".into(),
            name: StructuredName {
                family: "Smith".into(),
                given: "Jo".into(),
                prefix: "Dr.".into(),
                ..Default::default()
            },
            emails: vec![Email {
                address: "jo@example.org".into(),
                display_name: Some("Jo \"the\" Smith".into()),
                kind: AddressKind::Work,
                pref: true,
            }],
            phones: vec![Phone { number: "+1 555".into(), kinds: vec![PhoneKind::Work, PhoneKind::Fax], pref: false }],
            addresses: vec![PostalAddress {
                kind: AddressKind::Home,
                street: "1 Main St\nApt 2".into(),
                city: "Town".into(),
                is_mailing: true,
                ..Default::default()
            }],
            organization: Some("ACME; Inc".into()),
            department: Some("R&D".into()),
            birthday: Some(Date::new(1980, 3, 15)),
            anniversary: Some(Date::new(2005, 6, 20)),
            urls: vec!["https://example.org/a,b".into()],
            im: vec!["jo@example.org".into(), "xmpp:jo@example.org".into()],
            note: Some("line 1\nline 2, with; punctuation\\".into()),
            categories: vec!["A,B".into(), "VIP".into()],
            photo: Some(Photo { data: vec![1, 2, 3, 4, 5], media_type: "image/png".into() }),
            ..Default::default()
        };
        for v in [VCardVersion::V4, VCardVersion::V3] {
            let (cards, probs) = read(write(&c, v).as_bytes());
            assert!(probs.is_empty(), "{probs:?}");
            let mut want = c.clone();
            // Double quotes cannot be carried in a parameter (the writer
            // makes them single quotes).
            want.emails[0].display_name = Some("Jo 'the' Smith".into());
            assert_eq!(cards, [Card::Contact(want)], "{v:?}");
        }
        let g = DistList {
            uid: "g1".into(),
            name: "Team".into(),
            members: vec![
                Member::OneOff { name: "Ann, B".into(), email: "ann@example.org".into() },
                Member::Contact("0b2f6b0e-1c1d-8e2f-9a3b-4c5d6e7f8091".into()),
            ],
            note: Some("n".into()),
            categories: vec!["x".into()],
        };
        for v in [VCardVersion::V4, VCardVersion::V3] {
            let (cards, probs) = read(write_group(&g, v).as_bytes());
            assert!(probs.is_empty(), "{probs:?}");
            assert_eq!(cards, [Card::Group(g.clone())], "{v:?}");
        }
    }
}
