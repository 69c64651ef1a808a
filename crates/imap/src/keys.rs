//! What identifies a message in a mailbox, for uploads that can be run
//! again: its Message-ID, or for a message without one a hash of its
//! Date, From and Subject fields and its size. The same key is made from
//! a message about to be appended and from the header fields and
//! RFC822.SIZE a server gives for the messages it holds, so that only the
//! header fields are fetched to know what a mailbox has.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// The key of a message (16 bytes of a SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub [u8; 16]);

impl Key {
    /// The key of a message, from its header block and its size in bytes
    /// as uploaded (CRLF line endings).
    pub fn of(header: &[u8], size: u64) -> Key {
        let mut h = Sha256::new();
        match field(header, b"message-id").map(|v| message_id(&v)).filter(|v| !v.is_empty()) {
            Some(id) => {
                h.update(b"id\0");
                h.update(id.as_bytes());
            }
            None => {
                h.update(b"fields\0");
                for name in [&b"date"[..], b"from", b"subject"] {
                    h.update(field(header, name).unwrap_or_default().as_bytes());
                    h.update(b"\0");
                }
                h.update(size.to_le_bytes());
            }
        }
        let d = h.finalize();
        let mut k = [0u8; 16];
        k.copy_from_slice(&d[..16]);
        Key(k)
    }

    /// As 32 hex digits, for the journal.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Back from [`hex`](Self::hex).
    pub fn from_hex(s: &str) -> Option<Key> {
        if s.len() != 32 {
            return None;
        }
        let mut k = [0u8; 16];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Key(k))
    }
}

/// The Message-ID without its angle brackets: the first `<...>` of the
/// value, else the value trimmed.
pub fn message_id(v: &str) -> String {
    let t = v.trim();
    match (t.find('<'), t.find('>')) {
        (Some(a), Some(b)) if b > a => t[a + 1..b].trim().to_string(),
        _ => t.trim_matches(['<', '>']).trim().to_string(),
    }
}

/// The header block of a message: up to and without the empty line.
pub fn header(raw: &[u8]) -> &[u8] {
    let mut i = 0;
    while i < raw.len() {
        let end = memchr::memchr(b'\n', &raw[i..]).map_or(raw.len(), |n| i + n);
        let line = &raw[i..end];
        if line.is_empty() || line == b"\r" {
            return &raw[..i];
        }
        i = end + 1;
    }
    raw
}

/// The first field `name` (lower-case) of a header block, unfolded, its
/// white space runs made one space, trimmed; bytes that are not UTF-8
/// read as Latin-1 so that the same bytes always give the same text.
pub fn field(header: &[u8], name: &[u8]) -> Option<String> {
    let mut lines = header.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).peekable();
    while let Some(line) = lines.next() {
        let Some(colon) = memchr::memchr(b':', line) else { continue };
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            continue;
        }
        if !line[..colon].trim_ascii_end().eq_ignore_ascii_case(name) {
            continue;
        }
        let mut value: Vec<u8> = line[colon + 1..].to_vec();
        while let Some(next) = lines.peek() {
            if next.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
                value.push(b' ');
                value.extend_from_slice(next);
                lines.next();
            } else {
                break;
            }
        }
        let text = match String::from_utf8(value) {
            Ok(s) => s,
            Err(e) => e.into_bytes().iter().map(|b| *b as char).collect(),
        };
        return Some(text.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    None
}

/// The message with CRLF line endings, as IMAP wants it (a bare LF made
/// CRLF, a bare CR too); borrowed when it has them already.
pub fn crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let clean = {
        let mut ok = true;
        let mut prev = 0u8;
        for (i, &b) in raw.iter().enumerate() {
            if (b == b'\n' && prev != b'\r') || (prev == b'\r' && b != b'\n') {
                ok = false;
                break;
            }
            prev = b;
            if i + 1 == raw.len() && b == b'\r' {
                ok = false;
            }
        }
        ok
    };
    if clean {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if raw.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_the_message_and_from_its_fields_agree() {
        let raw = b"From: A <a@x>\nSubject: hi\n  there\nMessage-ID:\n <m1@x>\n\nbody\n";
        let up = crlf(raw);
        assert_eq!(&up[..], &b"From: A <a@x>\r\nSubject: hi\r\n  there\r\nMessage-ID:\r\n <m1@x>\r\n\r\nbody\r\n"[..]);
        let k = Key::of(header(&up), up.len() as u64);
        // As a server gives BODY.PEEK[HEADER.FIELDS (...)]: other order, a blank line at the end.
        let fields = b"Message-ID: <m1@x>\r\nSubject: hi there\r\n\r\n";
        assert_eq!(k, Key::of(fields, 12345));
        assert_eq!(Key::from_hex(&k.hex()), Some(k));
        assert_eq!(field(header(&up), b"subject").as_deref(), Some("hi there"));
        // No Message-ID: the fields and the size.
        let a = Key::of(b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nFrom: a@x\r\n", 100);
        assert_eq!(a, Key::of(b"From: a@x\r\nDate:  Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n", 100));
        assert_ne!(a, Key::of(b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nFrom: a@x\r\n", 101));
        assert!(matches!(crlf(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert_eq!(&crlf(b"a\rb\r")[..], b"a\r\nb\r\n");
        assert_eq!(message_id(" <a@b> (comment)"), "a@b");
    }
}
