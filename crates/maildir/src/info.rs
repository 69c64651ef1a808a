//! What a Maildir file name says: the leading timestamp, the `,S=` size and
//! the `:2,` flags (<https://cr.yp.to/proto/maildir.html>, and Dovecot's
//! "Maildir Mailbox Format" for `S=` and keyword letters).

use std::path::Path;

use mailshift_core::{Error, Flags, Result};

/// The system flags' Maildir letters, in ASCII order.
pub(crate) const FLAG_LETTERS: [(char, Flags); 6] = [
    ('D', Flags::DRAFT),
    ('F', Flags::FLAGGED),
    ('P', Flags::FORWARDED), // "passed": resent/forwarded/bounced
    ('R', Flags::ANSWERED),  // "replied"
    ('S', Flags::SEEN),
    ('T', Flags::DELETED), // "trashed"
];

/// The most keywords a folder can have: letters `a` to `z`.
pub(crate) const MAX_KEYWORDS: usize = 26;

/// The seconds before the first `.` of a name, if they are digits.
pub(crate) fn leading_timestamp(name: &str) -> Option<u64> {
    let digits = name.split('.').next()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The part of a name before the `:2,` info (the unique part with its fields).
fn base(name: &str) -> &str {
    match name.find(':') {
        Some(i) => &name[..i],
        None => name,
    }
}

/// The `,S=<size>` field of the unique part (Dovecot, Courier).
pub(crate) fn size_field(name: &str) -> Option<u64> {
    base(name).split(',').skip(1).find_map(|f| f.strip_prefix("S=")).and_then(|v| v.parse().ok())
}

/// The letters after `:2,`, or `""` when the name has no such info.
pub(crate) fn info_letters(name: &str) -> &str {
    match name.rfind(":2,") {
        Some(i) => &name[i + 3..],
        None => "",
    }
}

/// The system flags and keyword letters (`a`..`z`) of a file name.
/// Letters Maildir does not define are ignored, as Dovecot does.
pub(crate) fn parse_flags(name: &str) -> (Flags, Vec<u8>) {
    let mut flags = Flags::empty();
    let mut keywords = Vec::new();
    for c in info_letters(name).chars() {
        if let Some((_, f)) = FLAG_LETTERS.iter().find(|(l, _)| *l == c) {
            flags |= *f;
        } else if c.is_ascii_lowercase() {
            let idx = c as u8 - b'a';
            if !keywords.contains(&idx) {
                keywords.push(idx);
            }
        }
    }
    (flags, keywords)
}

/// The letters for `flags`, in ASCII order.
pub(crate) fn flag_letters(flags: Flags) -> String {
    FLAG_LETTERS.iter().filter(|(_, f)| flags.contains(*f)).map(|(l, _)| *l).collect()
}

/// Reads a `dovecot-keywords` file: lines `<index> <name>`. A missing file
/// is an empty list; malformed lines and indexes past `z` are skipped.
pub(crate) fn read_keywords(path: &Path) -> Result<Vec<Option<String>>> {
    let text = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut out: Vec<Option<String>> = Vec::new();
    for line in String::from_utf8_lossy(&text).lines() {
        let Some((idx, name)) = line.split_once(' ') else { continue };
        let Ok(idx) = idx.parse::<usize>() else { continue };
        if idx >= MAX_KEYWORDS || name.is_empty() {
            continue;
        }
        if out.len() <= idx {
            out.resize(idx + 1, None);
        }
        out[idx] = Some(name.to_string());
    }
    Ok(out)
}

/// True if `kw` can be a Dovecot keyword: an IMAP atom (RFC 3501
/// `flag-keyword`), which also keeps the `dovecot-keywords` file one line
/// per keyword.
pub(crate) fn valid_keyword(kw: &str) -> bool {
    !kw.is_empty()
        && kw.len() <= 128
        && kw
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']'))
}
