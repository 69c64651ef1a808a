//! MAPI addresses to RFC 5322 mailboxes ([MS-OXCMAIL] 2.1.3.1).

use super::encode::{encoded_words, quote};

/// One address as MAPI holds it: a display name and an email address of
/// some type ("SMTP", "EX" for an Exchange legacy DN, "FAX", ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addr {
    /// The display name.
    pub name: String,
    /// The SMTP address, if one could be found or made.
    pub smtp: Option<String>,
}

/// RFC 5322 3.2.3 `atext`.
fn atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// RFC 5322 3.2.3 `dot-atom-text`.
fn dot_atom(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.bytes().all(atext))
}

/// `s` as an RFC 5322 addr-spec we can write without defects: ASCII, a
/// dot-atom or quotable local part, a dot-atom or literal domain.
/// Returns the form to write (the local part quoted when it must be).
pub fn addr_spec(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix('<').and_then(|x| x.strip_suffix('>')).unwrap_or(s);
    let (local, domain) = s.rsplit_once('@')?;
    let domain_ok = dot_atom(domain)
        || (domain.starts_with('[')
            && domain.ends_with(']')
            && domain.len() > 2
            && domain[1..domain.len() - 1].bytes().all(|b| (33..127).contains(&b) && !b"[]\\".contains(&b)));
    if !domain_ok {
        return None;
    }
    if dot_atom(local) {
        return Some(format!("{local}@{domain}"));
    }
    let inner = local.strip_prefix('"').and_then(|l| l.strip_suffix('"')).unwrap_or(local);
    if !inner.is_empty() && inner.bytes().all(|b| (32..127).contains(&b)) {
        return Some(format!("{}@{domain}", quote(&inner.replace("\\\"", "\"").replace("\\\\", "\\"))));
    }
    None
}

/// IMCEA encapsulation ([MS-OXCMAIL] 2.1.3.1.8) of a non-SMTP address:
/// `IMCEA<type>-<encoded>@invalid`. Letters, digits, `-` and `=` stay, `/`
/// becomes `_`, every other octet `+XX`. The domain is the reserved
/// `invalid` (RFC 2606): there is no server that could de-encapsulate it,
/// and the legacy DN survives for whoever reads the header.
pub fn imcea(addr_type: &str, address: &str) -> String {
    let mut enc = String::with_capacity(address.len() + 16);
    for &b in address.as_bytes() {
        match b {
            b'/' => enc.push('_'),
            b'-' | b'=' => enc.push(b as char),
            _ if b.is_ascii_alphanumeric() => enc.push(b as char),
            _ => enc.push_str(&format!("+{b:02X}")),
        }
    }
    let ty: String = addr_type.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("IMCEA{ty}-{enc}@invalid")
}

/// Picks the SMTP form of an address: an explicit SMTP property first,
/// then the email address when its type is SMTP (or untyped and shaped
/// like one), else IMCEA encapsulation of what there is.
pub fn resolve(name: Option<&str>, email: Option<&str>, addr_type: Option<&str>, smtp: Option<&str>) -> Addr {
    let name = name.map(clean_name).unwrap_or_default();
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    let ty = addr_type.map(str::trim).unwrap_or("");
    let smtp = smtp.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).or_else(|| {
        let e = email?;
        if ty.eq_ignore_ascii_case("SMTP") || (ty.is_empty() && e.contains('@')) {
            Some(e.to_string())
        } else {
            Some(imcea(if ty.is_empty() { "EX" } else { ty }, e))
        }
    });
    Addr { name, smtp }
}

/// A display name without control characters (a CR or LF in a name must
/// not reach a header) and without surrounding whitespace.
fn clean_name(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// A display name as an RFC 5322 `phrase`: atoms as they are, printable
/// ASCII quoted, anything else in encoded-words.
pub fn phrase(name: &str) -> String {
    if name.bytes().all(|b| (32..127).contains(&b)) {
        let plain = name.split(' ').all(|w| !w.is_empty() && w.bytes().all(atext));
        if plain {
            name.to_string()
        } else {
            quote(name)
        }
    } else {
        encoded_words(name).join(" ")
    }
}

/// One address as it goes into an address list. An address we cannot write
/// as a valid addr-spec (non-ASCII, no `@`) is kept in the display name of
/// an empty group (`"Name <addr>":;`), which RFC 5322 3.4 allows and which
/// loses nothing a reader could have used. `None` when there is nothing.
pub fn render(a: &Addr) -> Option<String> {
    let spec = a.smtp.as_deref().and_then(addr_spec);
    match (spec, a.name.is_empty()) {
        (Some(s), true) => Some(s),
        (Some(s), false) if a.name.eq_ignore_ascii_case(&s) || a.name.trim_matches('\'') == s => Some(s),
        (Some(s), false) => Some(format!("{} <{s}>", phrase(&a.name))),
        (None, _) => {
            let shown = match (&a.smtp, a.name.is_empty()) {
                (Some(raw), true) => raw.clone(),
                (Some(raw), false) => format!("{} <{raw}>", a.name),
                (None, false) => a.name.clone(),
                (None, true) => return None,
            };
            Some(format!("{}:;", phrase(&clean_name(&shown))))
        }
    }
}

/// A PidTagDisplayTo-style list (`Name1; Name2`) as addresses: names only,
/// unless a name is itself an address.
pub fn from_display_list(list: &str) -> Vec<Addr> {
    list.split(';')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| match addr_spec(n) {
            Some(s) => Addr { name: String::new(), smtp: Some(s) },
            None => Addr { name: n.to_string(), smtp: None },
        })
        .collect()
}

/// The one-off entry ids of a `FlatEntryList` ([MS-OXCDATA] 2.3.3), as in
/// PidTagReplyRecipientEntries, decoded to addresses ([MS-OXCDATA] 2.2.5.1
/// One-Off EntryID). Entries of other kinds are skipped.
pub fn flat_entry_list(data: &[u8]) -> Vec<Addr> {
    const ONE_OFF: [u8; 16] =
        [0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02];
    let u32_at = |p: usize| data.get(p..p + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let mut out = Vec::new();
    let Some(count) = u32_at(0) else { return out };
    let mut pos = 8;
    for _ in 0..count.min(1024) {
        let Some(size) = u32_at(pos) else { break };
        let Some(entry) = data.get(pos + 4..(pos + 4).saturating_add(size)) else {
            break;
        };
        pos = pos + 4 + size.div_ceil(4) * 4;
        if entry.len() < 24 || entry[4..20] != ONE_OFF {
            continue;
        }
        let flags = u16::from_le_bytes([entry[22], entry[23]]);
        let mut rest = &entry[24..];
        let mut fields = Vec::new();
        for _ in 0..3 {
            let (s, used) = if flags & 0x8000 != 0 {
                let units: Vec<u16> =
                    rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|&u| u != 0).collect();
                (String::from_utf16_lossy(&units), (units.len() + 1) * 2)
            } else {
                let bytes: Vec<u8> = rest.iter().copied().take_while(|&b| b != 0).collect();
                (bytes.iter().map(|&b| b as char).collect(), bytes.len() + 1)
            };
            fields.push(s);
            rest = rest.get(used..).unwrap_or(&[]);
        }
        out.push(resolve(Some(&fields[0]), Some(&fields[2]), Some(&fields[1]), None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imcea_per_ms_oxcmail() {
        assert_eq!(
            imcea("EX", "/o=Org/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe"),
            "IMCEAEX-_o=Org_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT+29_cn=Recipients_cn=jdoe@invalid"
        );
    }

    #[test]
    fn render_forms() {
        let a = |n: &str, s: Option<&str>| Addr { name: n.into(), smtp: s.map(Into::into) };
        assert_eq!(render(&a("John Doe", Some("j@x.org"))).as_deref(), Some("John Doe <j@x.org>"));
        assert_eq!(render(&a("Doe, John", Some("j@x.org"))).as_deref(), Some("\"Doe, John\" <j@x.org>"));
        assert_eq!(render(&a("", Some("j@x.org"))).as_deref(), Some("j@x.org"));
        assert_eq!(render(&a("Alice", None)).as_deref(), Some("Alice:;"));
        assert_eq!(render(&a("", None)), None);
        assert!(render(&a("J\u{fc}rgen", Some("j@x.org"))).is_some_and(|r| r.starts_with("=?utf-8?B?")));
        assert_eq!(render(&a("", Some("caf\u{e9}@x.org"))).map(|r| r.ends_with(":;")), Some(true));
    }
}
