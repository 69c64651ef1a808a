//! Modified UTF-7, the encoding of IMAP mailbox names (RFC 3501 section
//! 5.1.3), which Courier and Dovecot also use for Maildir++ folder names on
//! disk: one implementation for the Maildir and IMAP stores, kept in core
//! so that neither format crate depends on the other.
//!
//! Printable US-ASCII (0x20-0x7e) stands for itself, except `&`, written
//! `&-`. Every other character is written as UTF-16 in a modified base64
//! (`,` instead of `/`, no padding) between `&` and `-`.

/// RFC 3501's modified base64 alphabet (RFC 2045 base64 with `,` for `/`).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Encodes a mailbox name in modified UTF-7.
///
/// ```
/// assert_eq!(mailshift_core::mutf7::encode("Entwürfe"), "Entw&APw-rfe");
/// assert_eq!(mailshift_core::mutf7::encode("A&B"), "A&-B");
/// ```
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Writes the UTF-16 units in `pending` as one `&...-` run.
fn flush(pending: &mut Vec<u16>, out: &mut String) {
    if pending.is_empty() {
        return;
    }
    out.push('&');
    let mut bits: u32 = 0;
    let mut nbits = 0u32;
    for unit in pending.drain(..) {
        bits = (bits << 16) | u32::from(unit);
        nbits += 16;
        while nbits >= 6 {
            nbits -= 6;
            out.push(ALPHABET[((bits >> nbits) & 0x3f) as usize] as char);
        }
        bits &= (1 << nbits) - 1;
    }
    if nbits > 0 {
        // RFC 3501: the last group is padded with zero bits.
        out.push(ALPHABET[((bits << (6 - nbits)) & 0x3f) as usize] as char);
    }
    out.push('-');
}

fn value(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    } as u32)
}

/// Decodes a modified UTF-7 mailbox name, or `None` if `name` is not valid
/// modified UTF-7 (an unterminated `&` run, a character outside printable
/// US-ASCII, bad base64, non-zero padding bits, a printable character or an
/// unpaired surrogate inside a run).
///
/// ```
/// assert_eq!(mailshift_core::mutf7::decode("Entw&APw-rfe").as_deref(), Some("Entwürfe"));
/// assert_eq!(mailshift_core::mutf7::decode("&Jjo"), None);
/// ```
pub fn decode(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    // Where the last base64 run ended: RFC 3501 forbids two runs in a row
    // ("&U,BTFw-&ZeVnLIqe-" must be one run).
    let mut run_end = usize::MAX;
    while i < bytes.len() {
        let b = bytes[i];
        if !(0x20..=0x7e).contains(&b) {
            return None;
        }
        if b != b'&' {
            out.push(b as char);
            i += 1;
            continue;
        }
        let start = i;
        let end = i + 1 + bytes[i + 1..].iter().position(|&c| c == b'-')?;
        let run = &bytes[i + 1..end];
        i = end + 1;
        if run.is_empty() {
            out.push('&');
            continue;
        }
        if run_end == start {
            return None;
        }
        run_end = i;
        let mut units: Vec<u16> = Vec::with_capacity(run.len() * 6 / 16);
        let mut bits: u32 = 0;
        let mut nbits = 0u32;
        for &c in run {
            bits = (bits << 6) | value(c)?;
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push((bits >> nbits) as u16);
                bits &= (1 << nbits) - 1;
            }
        }
        // Leftover bits are padding: fewer than 6 of them, all zero.
        if nbits >= 6 || bits != 0 {
            return None;
        }
        let text = String::from_utf16(&units).ok()?;
        // A run must not encode what could be written directly.
        if text.chars().any(|c| (' '..='~').contains(&c)) {
            return None;
        }
        out.push_str(&text);
    }
    Some(out)
}
/// `kw` as an IMAP keyword atom (what Maildir's `dovecot-keywords` and an
/// IMAP server take): non-ASCII text in modified UTF-7, every character an
/// atom cannot hold (space, `(){%*"\\]`, controls) as `_`, at most 128
/// bytes. An Outlook category "Green Category" becomes `Green_Category`.
pub fn keyword_atom(kw: &str) -> String {
    let mut out: String = encode(kw.trim())
        .chars()
        .map(|c| match c {
            '!'..='~' if !matches!(c, '(' | ')' | '{' | '%' | '*' | '"' | '\\' | ']') => c,
            _ => '_',
        })
        .collect();
    while out.len() > 128 {
        out.pop();
    }
    out
}
