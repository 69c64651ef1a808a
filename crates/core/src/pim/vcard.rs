//! vCard writer: 4.0 (RFC 6350, the default) and 3.0 (RFC 2426).
//!
//! Output is UTF-8 with CRLF line endings, folded at 75 octets. Type
//! parameters follow each version's habit: `TYPE=work,voice;PREF=1` in 4.0,
//! `TYPE=WORK,VOICE,PREF` in 3.0.

use super::{
    base64, clean_raw, escape_text, param_value, prop, AddressKind, Contact, Date, DistList, Member, PhoneKind,
};

/// Which vCard version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VCardVersion {
    /// vCard 4.0 (RFC 6350).
    #[default]
    V4,
    /// vCard 3.0 (RFC 2426), for clients that want it.
    V3,
}

impl VCardVersion {
    fn v4(self) -> bool {
        self == VCardVersion::V4
    }
}

/// The `UID` value: vCard 4 wants a URI (RFC 6350 6.7.6), so a bare UUID
/// gets `urn:uuid:`; vCard 3's UID is text.
fn uid_value(uid: &str, v: VCardVersion) -> String {
    if v.v4() {
        member_uri(uid)
    } else {
        escape_text(uid)
    }
}

/// A reference to a contact by uid, as a URI (`urn:uuid:` unless it has a scheme).
fn member_uri(uid: &str) -> String {
    if uid.contains(':') {
        clean_raw(uid)
    } else {
        format!("urn:uuid:{}", clean_raw(uid))
    }
}

/// TYPE parameter from tokens (lower-case in 4.0, upper-case in 3.0; 3.0
/// carries preference as a `PREF` type, 4.0 as `PREF=1`).
fn type_params(tokens: &[&str], pref: bool, v: VCardVersion) -> Vec<(&'static str, String)> {
    let mut params = Vec::new();
    let mut toks: Vec<String> =
        tokens.iter().map(|t| if v.v4() { t.to_string() } else { t.to_ascii_uppercase() }).collect();
    if pref && !v.v4() {
        toks.push("PREF".into());
    }
    if !toks.is_empty() {
        // A comma-separated list needs no quotes (RFC 6350 5.6).
        params.push(("TYPE", toks.join(",")));
    }
    if pref && v.v4() {
        params.push(("PREF", "1".into()));
    }
    params
}

fn kind_token(k: AddressKind) -> Option<&'static str> {
    match k {
        AddressKind::Home => Some("home"),
        AddressKind::Work => Some("work"),
        AddressKind::Other => None,
    }
}

fn phone_token(k: PhoneKind) -> Option<&'static str> {
    Some(match k {
        PhoneKind::Work => "work",
        PhoneKind::Home => "home",
        PhoneKind::Cell => "cell",
        PhoneKind::Voice => "voice",
        PhoneKind::Fax => "fax",
        PhoneKind::Pager => "pager",
        PhoneKind::Car => "car",
        PhoneKind::Main => "main",
        PhoneKind::Isdn => "isdn",
        PhoneKind::Text => "text",
        PhoneKind::Video => "video",
        PhoneKind::Textphone => "textphone",
        PhoneKind::Assistant => "x-assistant",
        PhoneKind::Callback => "x-callback",
        PhoneKind::Radio => "x-radio",
        PhoneKind::Telex => "x-telex",
        PhoneKind::Other => return None,
    })
}

/// A date: `YYYYMMDD` in 4.0 (RFC 6350 4.3.1), `YYYY-MM-DD` in 3.0 (the
/// ISO 8601 form RFC 2426's examples use and 3.0 readers expect).
fn date_value(d: Date, v: VCardVersion) -> String {
    if v.v4() {
        format!("{:04}{:02}{:02}", d.year, d.month, d.day)
    } else {
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    }
}

fn structured(parts: &[&str]) -> String {
    parts.iter().map(|p| escape_text(p)).collect::<Vec<_>>().join(";")
}

fn list(items: &[String]) -> String {
    items.iter().map(|p| escape_text(p)).collect::<Vec<_>>().join(",")
}

fn begin(out: &mut String, v: VCardVersion) {
    prop(out, "BEGIN", &[], "VCARD");
    prop(out, "VERSION", &[], if v.v4() { "4.0" } else { "3.0" });
}

/// Writes one contact as a vCard.
pub fn write(c: &Contact, v: VCardVersion) -> String {
    let mut out = String::new();
    begin(&mut out, v);
    if !c.uid.is_empty() {
        prop(&mut out, "UID", &[], &uid_value(&c.uid, v));
    }
    // FN is required in both versions; fall back on the name parts, then
    // the first address, so that no card is nameless.
    let fallback;
    let full_name = if !c.full_name.is_empty() {
        c.full_name.as_str()
    } else {
        let n = &c.name;
        fallback = [&n.prefix, &n.given, &n.middle, &n.family, &n.suffix]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if !fallback.is_empty() {
            fallback.as_str()
        } else {
            c.emails.first().map(|e| e.address.as_str()).unwrap_or("")
        }
    };
    prop(&mut out, "FN", &[], &escape_text(full_name));
    // N is required in 3.0 (RFC 2426 3.1.2), optional in 4.0.
    if !v.v4() || !c.name.is_empty() {
        let n = &c.name;
        prop(&mut out, "N", &[], &structured(&[&n.family, &n.given, &n.middle, &n.prefix, &n.suffix]));
    }
    if let Some(nick) = c.nickname.as_deref().filter(|s| !s.is_empty()) {
        prop(&mut out, "NICKNAME", &[], &escape_text(nick));
    }
    for e in &c.emails {
        let mut tokens: Vec<&str> = kind_token(e.kind).into_iter().collect();
        if !v.v4() {
            // RFC 2426 3.3.2: INTERNET is the default but 3.0 clients expect it.
            tokens.insert(0, "internet");
        }
        let mut params = type_params(&tokens, e.pref, v);
        if let Some(dn) = e.display_name.as_deref().filter(|s| !s.is_empty()) {
            params.push(("X-CN", param_value(dn)));
        }
        prop(&mut out, "EMAIL", &params, &escape_text(&e.address));
    }
    for p in &c.phones {
        let tokens: Vec<&str> = p.kinds.iter().filter_map(|k| phone_token(*k)).collect();
        prop(&mut out, "TEL", &type_params(&tokens, p.pref, v), &escape_text(&p.number));
    }
    for a in &c.addresses {
        let tokens: Vec<&str> = kind_token(a.kind).into_iter().collect();
        let value = structured(&["", "", &a.street, &a.city, &a.region, &a.postal_code, &a.country]);
        prop(&mut out, "ADR", &type_params(&tokens, a.is_mailing, v), &value);
    }
    let org = c.organization.as_deref().unwrap_or("");
    let dept = c.department.as_deref().unwrap_or("");
    if !org.is_empty() || !dept.is_empty() {
        let value = if dept.is_empty() { escape_text(org) } else { structured(&[org, dept]) };
        prop(&mut out, "ORG", &[], &value);
    }
    if let Some(t) = c.title.as_deref().filter(|s| !s.is_empty()) {
        prop(&mut out, "TITLE", &[], &escape_text(t));
    }
    if let Some(d) = c.birthday {
        prop(&mut out, "BDAY", &[], &date_value(d, v));
    }
    if let Some(d) = c.anniversary {
        // 3.0 has no ANNIVERSARY; X-ANNIVERSARY is what Apple and Evolution write.
        prop(&mut out, if v.v4() { "ANNIVERSARY" } else { "X-ANNIVERSARY" }, &[], &date_value(d, v));
    }
    for u in c.urls.iter().filter(|s| !s.is_empty()) {
        prop(&mut out, "URL", &[], &clean_raw(u));
    }
    for im in c.im.iter().filter(|s| !s.is_empty()) {
        // IMPP (RFC 6350 6.4.3; RFC 4770 for 3.0) is a URI.
        let uri = if im.contains(':') { clean_raw(im) } else { format!("sip:{}", clean_raw(im)) };
        prop(&mut out, "IMPP", &[], &uri);
    }
    if let Some(n) = c.note.as_deref().filter(|s| !s.is_empty()) {
        prop(&mut out, "NOTE", &[], &escape_text(n));
    }
    if !c.categories.is_empty() {
        prop(&mut out, "CATEGORIES", &[], &list(&c.categories));
    }
    if let Some(photo) = c.photo.as_ref().filter(|p| !p.data.is_empty()) {
        let mt = clean_raw(&photo.media_type).to_ascii_lowercase();
        let mt = if mt.is_empty() { "image/jpeg".to_string() } else { mt };
        if v.v4() {
            // RFC 6350 6.2.4: a data: URI (RFC 2397).
            prop(&mut out, "PHOTO", &[], &format!("data:{mt};base64,{}", base64(&photo.data)));
        } else {
            // RFC 2426 3.1.4: inline binary with the image type's subtype.
            let sub = mt.rsplit('/').next().unwrap_or("jpeg").to_ascii_uppercase();
            prop(&mut out, "PHOTO", &[("ENCODING", "b".into()), ("TYPE", param_value(&sub))], &base64(&photo.data));
        }
    }
    prop(&mut out, "END", &[], "VCARD");
    out
}

/// Writes a distribution list as a vCard group: vCard 4 `KIND:group` with
/// `MEMBER:mailto:` (one-off members) and `MEMBER:urn:uuid:` (contacts);
/// vCard 3 has no groups, so the `X-ADDRESSBOOKSERVER-KIND:group` /
/// `X-ADDRESSBOOKSERVER-MEMBER` form that Apple Contacts and most CardDAV
/// servers use.
pub fn write_group(g: &DistList, v: VCardVersion) -> String {
    let mut out = String::new();
    begin(&mut out, v);
    if !g.uid.is_empty() {
        prop(&mut out, "UID", &[], &uid_value(&g.uid, v));
    }
    prop(&mut out, if v.v4() { "KIND" } else { "X-ADDRESSBOOKSERVER-KIND" }, &[], "group");
    prop(&mut out, "FN", &[], &escape_text(&g.name));
    if !v.v4() {
        prop(&mut out, "N", &[], &structured(&[&g.name, "", "", "", ""]));
    }
    let member = if v.v4() { "MEMBER" } else { "X-ADDRESSBOOKSERVER-MEMBER" };
    for m in &g.members {
        match m {
            Member::OneOff { name, email } => {
                // The name has no standard place; an X- parameter keeps it
                // for readers that look (RFC 6350 6.6.5 allows any).
                let params: Vec<(&str, String)> =
                    if name.is_empty() { Vec::new() } else { vec![("X-CN", param_value(name))] };
                prop(&mut out, member, &params, &format!("mailto:{}", clean_raw(email)));
            }
            Member::Contact(uid) => prop(&mut out, member, &[], &member_uri(uid)),
        }
    }
    if let Some(n) = g.note.as_deref().filter(|s| !s.is_empty()) {
        prop(&mut out, "NOTE", &[], &escape_text(n));
    }
    if !g.categories.is_empty() {
        prop(&mut out, "CATEGORIES", &[], &list(&g.categories));
    }
    prop(&mut out, "END", &[], "VCARD");
    out
}
