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

/// The order of a file among its folder's: the delivery time of its name,
/// then the microseconds (`M`) and the delivery counter (`Q`) of the
/// unique part (`1700000000.M123P45Q6.host`), compared as numbers so that
/// `M99` sorts before `M100`; unparsable names sort last.
pub(crate) fn order_key(name: &str) -> (u64, u64, u64) {
    let secs = leading_timestamp(name).unwrap_or(u64::MAX);
    let unique = base(name).split('.').nth(1).unwrap_or("");
    let field = |tag: u8| -> u64 {
        let b = unique.as_bytes();
        let Some(i) = b.iter().position(|&c| c == tag) else { return 0 };
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).take(19);
        digits.fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'))
    };
    (secs, field(b'M'), field(b'Q'))
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
    let text = match mailshift_core::fsio::read_source(path) {
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

#[cfg(test)]
mod order_tests {
    use super::order_key;

    #[test]
    fn microseconds_and_counters_compare_as_numbers() {
        let mut names = vec![
            "1700000000.M100P7Q10.h,S=5:2,S",
            "1700000000.M99P7Q9.h,S=5:2,",
            "1699999999.M999999P7Q8.h",
            "junk",
            "1700000000.M100P7Q2.h",
        ];
        names.sort_by_key(|n| (order_key(n), n.to_string()));
        assert_eq!(
            names,
            [
                "1699999999.M999999P7Q8.h",
                "1700000000.M99P7Q9.h,S=5:2,",
                "1700000000.M100P7Q2.h",
                "1700000000.M100P7Q10.h,S=5:2,S",
                "junk"
            ]
        );
    }
}
