//! Message state in mbox headers, both ways.
//!
//! mbox has no place for flags outside the message, so clients keep them in
//! header fields: `Status` (`R` read, `O` old) and `X-Status` (`A` answered,
//! `F` flagged, `T` draft, `D` deleted) from mutt/UW-IMAP/Dovecot,
//! `X-Mozilla-Status` (hex bit field) and `X-Mozilla-Keys` from Thunderbird,
//! `X-Keywords` from Dovecot.
//!
//! Forwarded has no `Status` / `X-Status` letter: it is Thunderbird's
//! `X-Mozilla-Status` bit 0x1000 where the message has that field, else the
//! IMAP keyword `$Forwarded` in `X-Keywords` (as Dovecot keeps it). Either
//! reads back as the flag, never as a keyword.

use std::borrow::Cow;

use mailshift_core::Flags;

/// Thunderbird's `X-Mozilla-Status` bits (nsMsgMessageFlags.idl).
const MOZ_READ: u32 = 0x0001;
const MOZ_REPLIED: u32 = 0x0002;
const MOZ_MARKED: u32 = 0x0004;
const MOZ_EXPUNGED: u32 = 0x0008;
const MOZ_FORWARDED: u32 = 0x1000;
const MOZ_MASK: u32 = MOZ_READ | MOZ_REPLIED | MOZ_MARKED | MOZ_EXPUNGED | MOZ_FORWARDED;

/// One header field of a message: byte ranges into the message.
#[derive(Debug, Clone, Copy)]
struct Field {
    /// First byte of the field's first line.
    start: usize,
    /// One past the field's last line ending (continuation lines included).
    end: usize,
    /// One past the `:`.
    value: usize,
    /// One past the field name.
    name_end: usize,
}

impl Field {
    fn is(&self, raw: &[u8], name: &str) -> bool {
        raw[self.start..self.name_end].eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value, unfolded and trimmed.
    fn text(&self, raw: &[u8]) -> String {
        let v = String::from_utf8_lossy(&raw[self.value..self.end]);
        v.split(['\r', '\n']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
    }
}

/// The header fields of `raw` and the offset of the empty line ending the
/// header (or the end of `raw` if there is none).
fn fields(raw: &[u8]) -> (Vec<Field>, usize) {
    let mut out: Vec<Field> = Vec::new();
    let mut pos = 0;
    let mut continuing = false;
    while pos < raw.len() {
        let (ce, next) = crate::scan::line_end(raw, pos);
        let line = &raw[pos..ce];
        if line.is_empty() {
            return (out, pos);
        }
        if continuing && (line[0] == b' ' || line[0] == b'\t') {
            if let Some(f) = out.last_mut() {
                f.end = next;
            }
        } else {
            let colon = memchr::memchr(b':', line);
            match colon {
                Some(c) if c > 0 => {
                    let name = &line[..c];
                    let name_end = pos + name.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
                    out.push(Field { start: pos, end: next, value: pos + c + 1, name_end });
                    continuing = true;
                }
                _ => continuing = false,
            }
        }
        pos = next;
    }
    (out, raw.len())
}

/// Flags and keywords a message's header carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct State {
    /// The flags, from every field that carries some.
    pub flags: Flags,
    /// Keywords from `X-Keywords` and `X-Mozilla-Keys`, first spelling kept.
    pub keywords: Vec<String>,
    /// True if an `X-Mozilla-Status` field is present (it can hold Forwarded).
    pub has_mozilla_status: bool,
}

/// The IMAP keyword that means Forwarded (RFC 5788 registry; keywords are
/// case-insensitive).
const FORWARDED_KEYWORD: &str = "$Forwarded";

fn is_forwarded_keyword(k: &str) -> bool {
    k.trim().eq_ignore_ascii_case(FORWARDED_KEYWORD)
}

/// Splits a keyword field: on commas if it has any (so that Outlook
/// categories with spaces survive), else on white space (Dovecot, Thunderbird).
fn split_keywords(v: &str, out: &mut Vec<String>) {
    let parts: Vec<&str> = if v.contains(',') { v.split(',').collect() } else { v.split_ascii_whitespace().collect() };
    for p in parts {
        let p = p.trim();
        if !p.is_empty() && !out.iter().any(|k| k == p) {
            out.push(p.to_string());
        }
    }
}

/// Reads the state fields of a message's header.
pub(crate) fn parse_state(raw: &[u8]) -> State {
    let (fields, _) = fields(raw);
    let mut st = State::default();
    for f in &fields {
        if f.is(raw, "status") {
            if f.text(raw).contains('R') {
                st.flags |= Flags::SEEN;
            }
        } else if f.is(raw, "x-status") {
            for c in f.text(raw).chars() {
                match c {
                    'A' => st.flags |= Flags::ANSWERED,
                    'F' => st.flags |= Flags::FLAGGED,
                    'T' => st.flags |= Flags::DRAFT,
                    'D' => st.flags |= Flags::DELETED,
                    _ => {}
                }
            }
        } else if f.is(raw, "x-mozilla-status") {
            st.has_mozilla_status = true;
            let t = f.text(raw);
            if let Ok(bits) = u32::from_str_radix(t.trim_start_matches("0x"), 16) {
                st.flags |= moz_flags(bits);
            }
        } else if f.is(raw, "x-keywords") || f.is(raw, "x-mozilla-keys") {
            split_keywords(&f.text(raw), &mut st.keywords);
        }
    }
    let before = st.keywords.len();
    st.keywords.retain(|k| !is_forwarded_keyword(k));
    if st.keywords.len() != before {
        st.flags |= Flags::FORWARDED;
    }
    st
}

fn moz_flags(bits: u32) -> Flags {
    let mut fl = Flags::empty();
    fl.set(Flags::SEEN, bits & MOZ_READ != 0);
    fl.set(Flags::ANSWERED, bits & MOZ_REPLIED != 0);
    fl.set(Flags::FLAGGED, bits & MOZ_MARKED != 0);
    fl.set(Flags::DELETED, bits & MOZ_EXPUNGED != 0);
    fl.set(Flags::FORWARDED, bits & MOZ_FORWARDED != 0);
    fl
}

fn moz_bits(flags: Flags) -> u32 {
    let mut b = 0;
    for (f, bit) in [
        (Flags::SEEN, MOZ_READ),
        (Flags::ANSWERED, MOZ_REPLIED),
        (Flags::FLAGGED, MOZ_MARKED),
        (Flags::DELETED, MOZ_EXPUNGED),
        (Flags::FORWARDED, MOZ_FORWARDED),
    ] {
        if flags.contains(f) {
            b |= bit;
        }
    }
    b
}

fn same_keywords(a: &[String], b: &[String]) -> bool {
    a.iter().all(|k| b.contains(k)) && b.iter().all(|k| a.contains(k))
}

/// A keyword as it can stand in a header field: no line breaks, commas or
/// control characters.
fn clean_keyword(k: &str) -> String {
    k.trim().chars().map(|c| if c.is_control() || c == ',' { '_' } else { c }).collect()
}

/// The message with its state fields saying `flags` and `keywords`, and
/// what mbox headers cannot hold by design (for [`Written::not_kept`](mailshift_core::Written)).
///
/// If the header already says exactly that (read back with
/// [`parse_state`]), the message is returned unchanged, so that mbox -> mbox
/// copies are byte-identical. Otherwise `Status`, `X-Status` and
/// `X-Keywords` are replaced where they are (first occurrence, duplicates
/// dropped) or inserted before the empty line ending the header, and an
/// existing `X-Mozilla-Status` / `X-Mozilla-Keys` is brought in line too,
/// so that reading the result back gives the same state. Forwarded goes to
/// the `X-Mozilla-Status` bit if the message has that field, else to
/// `$Forwarded` in `X-Keywords`.
#[cfg(test)]
pub(crate) fn apply_state<'r>(raw: &'r [u8], flags: Flags, keywords: &[String]) -> (Cow<'r, [u8]>, Vec<String>) {
    let (head, rest, not_kept) = apply_state_parts(raw, flags, keywords);
    match head {
        Cow::Borrowed(h) if rest.is_empty() => (Cow::Borrowed(h), not_kept),
        head => (Cow::Owned([&head[..], rest].concat()), not_kept),
    }
}

/// [`apply_state`] as two parts, the message being their concatenation: a
/// rewritten header and the rest borrowed (the body is not copied), or the
/// message as it is and nothing.
pub(crate) fn apply_state_parts<'r>(
    raw: &'r [u8],
    flags: Flags,
    keywords: &[String],
) -> (Cow<'r, [u8]>, &'r [u8], Vec<String>) {
    let have = parse_state(raw);
    let mut not_kept = Vec::new();
    let mut want = flags;
    let mut cleaned: Vec<String> = Vec::new();
    for k in keywords {
        if is_forwarded_keyword(k) {
            want |= Flags::FORWARDED;
            continue;
        }
        let c = clean_keyword(k);
        if c != k.trim() && not_kept.is_empty() {
            // The fields separate keywords by commas or white space and
            // have no escape.
            not_kept.push("commas and control characters in keywords (written as _)".to_string());
        }
        if !c.is_empty() && !cleaned.contains(&c) {
            cleaned.push(c);
        }
    }
    let keywords = cleaned;
    let keywords_same = same_keywords(&have.keywords, &keywords);
    if have.flags == want && keywords_same {
        return (Cow::Borrowed(raw), &[], not_kept);
    }

    let eol: &[u8] = if first_line_crlf(raw) { b"\r\n" } else { b"\n" };
    let mut status = b"Status: ".to_vec();
    status.extend_from_slice(if want.contains(Flags::SEEN) { b"RO" } else { b"O" });
    status.extend_from_slice(eol);
    let mut xs = String::new();
    for (f, c) in [(Flags::ANSWERED, 'A'), (Flags::FLAGGED, 'F'), (Flags::DRAFT, 'T'), (Flags::DELETED, 'D')] {
        if want.contains(f) {
            xs.push(c);
        }
    }
    let x_status = (!xs.is_empty()).then(|| [b"X-Status: ", xs.as_bytes(), eol].concat());
    let mut field_keywords = keywords.clone();
    if want.contains(Flags::FORWARDED) && !have.has_mozilla_status {
        field_keywords.push(FORWARDED_KEYWORD.to_string());
    }
    let x_keywords = (!field_keywords.is_empty()).then(|| {
        // Space-separated as Dovecot writes it, unless a keyword holds a
        // space (an Outlook category): then commas, which the reader prefers.
        let mut v = if field_keywords.iter().any(|k| k.contains(char::is_whitespace)) {
            let mut j = field_keywords.join(", ");
            if field_keywords.len() == 1 {
                j.push(',');
            }
            j
        } else {
            field_keywords.join(" ")
        };
        v.insert_str(0, "X-Keywords: ");
        [v.as_bytes(), eol].concat()
    });

    let (fields, header_end) = fields(raw);
    let mut out = Vec::with_capacity(header_end + 64);
    let mut cursor = 0;
    let (mut did_status, mut did_xs, mut did_kw, mut did_moz, mut did_mozkeys) = (false, false, false, false, false);
    for f in &fields {
        let replacement: Option<Vec<u8>> = if f.is(raw, "status") {
            Some(if std::mem::replace(&mut did_status, true) { Vec::new() } else { status.clone() })
        } else if f.is(raw, "x-status") {
            Some(if std::mem::replace(&mut did_xs, true) { Vec::new() } else { x_status.clone().unwrap_or_default() })
        } else if f.is(raw, "x-keywords") {
            Some(if std::mem::replace(&mut did_kw, true) { Vec::new() } else { x_keywords.clone().unwrap_or_default() })
        } else if f.is(raw, "x-mozilla-status") {
            let old = u32::from_str_radix(f.text(raw).trim_start_matches("0x"), 16).unwrap_or(0);
            let bits = (old & !MOZ_MASK) | moz_bits(want);
            Some(if std::mem::replace(&mut did_moz, true) {
                Vec::new()
            } else {
                [format!("X-Mozilla-Status: {bits:04x}").as_bytes(), eol].concat()
            })
        } else if f.is(raw, "x-mozilla-keys")
            && (!keywords_same || f.text(raw).split_ascii_whitespace().any(is_forwarded_keyword))
        {
            Some(if std::mem::replace(&mut did_mozkeys, true) {
                Vec::new()
            } else {
                // Thunderbird pads this field with spaces so it can rewrite
                // it in place; keep the padding width where the keywords fit.
                let old_len = f.end - f.value;
                let mut v = format!(" {}", keywords.join(" "));
                let pad = old_len.saturating_sub(eol.len()).saturating_sub(v.len());
                v.push_str(&" ".repeat(pad));
                [b"X-Mozilla-Keys:", v.as_bytes(), eol].concat()
            })
        } else {
            None
        };
        if let Some(r) = replacement {
            out.extend_from_slice(&raw[cursor..f.start]);
            out.extend_from_slice(&r);
            cursor = f.end;
        }
    }
    out.extend_from_slice(&raw[cursor..header_end]);
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.extend_from_slice(eol);
    }
    if !did_status {
        out.extend_from_slice(&status);
    }
    if let (false, Some(x)) = (did_xs, &x_status) {
        out.extend_from_slice(x);
    }
    if let (false, Some(x)) = (did_kw, &x_keywords) {
        out.extend_from_slice(x);
    }
    (Cow::Owned(out), &raw[header_end..], not_kept)
}

/// True if the message's first line ends with CRLF.
pub(crate) fn first_line_crlf(raw: &[u8]) -> bool {
    memchr::memchr(b'\n', raw).is_some_and(|i| i > 0 && raw[i - 1] == b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_field() {
        let raw = b"Status: RO\nX-Status: AF\nX-Keywords: work, Red Category\nX-Mozilla-Status: 1008\nX-Mozilla-Keys: $label1 \n\nbody\n";
        let st = parse_state(raw);
        assert_eq!(st.flags, Flags::SEEN | Flags::ANSWERED | Flags::FLAGGED | Flags::DELETED | Flags::FORWARDED);
        assert_eq!(st.keywords, vec!["work", "Red Category", "$label1"]);
    }

    #[test]
    fn unchanged_when_equal() {
        let raw = b"Subject: x\nStatus: O\n\nbody\n";
        let (out, not_kept) = apply_state(raw, Flags::empty(), &[]);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert!(not_kept.is_empty());
    }

    #[test]
    fn replaces_and_inserts() {
        let raw = b"Subject: x\r\nStatus: O\r\nStatus: O\r\n\r\nbody\r\n";
        let (out, not_kept) = apply_state(raw, Flags::SEEN | Flags::FLAGGED | Flags::FORWARDED, &["a".into()]);
        assert_eq!(
            &out[..],
            &b"Subject: x\r\nStatus: RO\r\nX-Status: F\r\nX-Keywords: a $Forwarded\r\n\r\nbody\r\n"[..]
        );
        assert!(not_kept.is_empty());
        let st = parse_state(&out);
        assert_eq!(st.flags, Flags::SEEN | Flags::FLAGGED | Flags::FORWARDED);
        assert_eq!(st.keywords, ["a"]);
    }

    #[test]
    fn keywords_mbox_cannot_hold_are_not_kept() {
        let (out, not_kept) = apply_state(b"Subject: x\n\nb\n", Flags::empty(), &["a,b".into(), "c\nd".into()]);
        assert_eq!(&out[..], &b"Subject: x\nStatus: O\nX-Keywords: a_b c_d\n\nb\n"[..]);
        assert_eq!(not_kept, ["commas and control characters in keywords (written as _)"]);
        // A `$Forwarded` keyword is the flag.
        let (out, not_kept) = apply_state(b"Subject: x\n\nb\n", Flags::empty(), &["$forwarded".into()]);
        assert_eq!(&out[..], &b"Subject: x\nStatus: O\nX-Keywords: $Forwarded\n\nb\n"[..]);
        assert!(not_kept.is_empty());
    }

    #[test]
    fn forwarded_in_x_mozilla_keys_is_cleared_with_the_flag() {
        let raw = b"X-Mozilla-Keys: $Forwarded work   \nSubject: x\n\nb\n";
        assert_eq!(parse_state(raw).flags, Flags::FORWARDED);
        let (out, _) = apply_state(raw, Flags::empty(), &["work".into()]);
        let st = parse_state(&out);
        assert_eq!((st.flags, st.keywords), (Flags::empty(), vec!["work".to_string()]));
    }
}
