//! Finding the messages of an mbox file: one pass over the bytes.
//!
//! RFC 4155 describes the format loosely: each message is preceded by a
//! From_ line (`From SENDER DATE`) and followed by an empty line the writer
//! adds. Writers disagree on the rest (mboxo/mboxrd quoting, mboxcl/mboxcl2
//! `Content-Length`), so the scanner only trusts a `From ` line as a
//! separator when it follows an empty line and carries an asctime date, and
//! trusts `Content-Length` only when it lands on such a separator.

use mailshift_core::Severity;
use memchr::memmem;

/// One message found by [`scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Msg {
    /// Byte range of the From_ line's text (from `F` up to, not including,
    /// the line ending), if the message has one.
    pub from_line: Option<(usize, usize)>,
    /// First byte of the message (after the From_ line).
    pub start: usize,
    /// One past the last byte of the message (before the framing empty line).
    pub end: usize,
}

/// A framing problem found while scanning: (severity, offset, structure, message).
pub(crate) type ScanProblem = (Severity, u64, &'static str, String);

/// Every message of a file and the framing problems read past.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The messages, in file order (sorted by `start`).
    pub msgs: Vec<Msg>,
    /// Problems, in file order.
    pub problems: Vec<ScanProblem>,
}

/// Longest From_ line considered a separator: real ones are well under
/// this, and it bounds the date search on hostile input.
const MAX_FROM_LINE: usize = 1000;

/// Returns `(content_end, next_line_start)` for the line starting at `pos`:
/// the content excludes `\n` / `\r\n`.
pub(crate) fn line_end(data: &[u8], pos: usize) -> (usize, usize) {
    match memchr::memchr(b'\n', &data[pos.min(data.len())..]) {
        Some(i) => {
            let nl = pos + i;
            let ce = if nl > pos && data[nl - 1] == b'\r' { nl - 1 } else { nl };
            (ce, nl + 1)
        }
        None => (data.len(), data.len()),
    }
}

/// Skips a UTF-8 byte order mark and empty lines at the start of a file.
pub(crate) fn skip_preamble(data: &[u8]) -> usize {
    let mut pos = if data.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    loop {
        if data[pos..].starts_with(b"\n") {
            pos += 1;
        } else if data[pos..].starts_with(b"\r\n") {
            pos += 2;
        } else {
            return pos;
        }
    }
}

/// If `line` (the text after `From `) looks like `SENDER DATE`, the date as a
/// Unix time. The sender may contain spaces (pipermail's `user at host`), so
/// every token after the first is tried as the start of the date.
pub(crate) fn separator_date(line: &[u8]) -> Option<i64> {
    if line.len() > MAX_FROM_LINE {
        return None;
    }
    let text = String::from_utf8_lossy(line);
    let mut starts = Vec::new();
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        let space = c.is_ascii_whitespace();
        if !space && prev_space {
            starts.push(i);
        }
        prev_space = space;
    }
    // The first token is the sender (`-` for Thunderbird). A From_ line
    // without one (`From Mon Jan  1 ...`) still parses from its month.
    starts.iter().skip(1).take(16).find_map(|&i| mailshift_core::time::parse_asctime(&text[i..]))
}

/// True if the line ending with the `\n` at `p` is empty (`\n` or `\r\n`).
fn empty_line_ends_at(data: &[u8], p: usize) -> bool {
    p == 0 || data[p - 1] == b'\n' || (data[p - 1] == b'\r' && (p == 1 || data[p - 2] == b'\n'))
}

/// True if a From_ separator line starts at `q`.
fn separator_at(data: &[u8], q: usize) -> bool {
    if !data[q.min(data.len())..].starts_with(b"From ") || !(q == 0 || data[q - 1] == b'\n') {
        return false;
    }
    let (ce, _) = line_end(data, q);
    separator_date(&data[q + 5..ce]).is_some()
}

/// `e` without the framing empty line that ends the region `start..e`.
fn strip_framing_blank(data: &[u8], start: usize, e: usize) -> usize {
    if e > start && data[e - 1] == b'\n' {
        if e - 1 == start || data[e - 2] == b'\n' {
            return e - 1;
        }
        if data[e - 2] == b'\r' && (e - 2 == start || data[e - 3] == b'\n') {
            return e - 2;
        }
    }
    e
}

/// Scans a whole file.
pub(crate) fn scan(data: &[u8]) -> Scan {
    let mut out = Scan::default();
    let pos = skip_preamble(data);
    if pos >= data.len() {
        return out;
    }
    let (mut from_line, mut start) = if data[pos..].starts_with(b"From ") {
        let (ce, next) = line_end(data, pos);
        if separator_date(&data[pos + 5..ce]).is_none() {
            out.problems.push((
                Severity::Damaged,
                pos as u64,
                "mbox From_ line",
                "the first line starts with `From ` but carries no asctime date; read as the first From_ line anyway"
                    .into(),
            ));
        }
        (Some((pos, ce)), next)
    } else {
        out.problems.push((
            Severity::Damaged,
            pos as u64,
            "mbox From_ line",
            "the file does not start with a From_ line; the text before the first From_ line is read as one message"
                .into(),
        ));
        (None, pos)
    };
    loop {
        let (end, next) = match content_length_end(data, start, &mut out) {
            Some(r) => r,
            None => separator_end(data, start, &mut out),
        };
        out.msgs.push(Msg { from_line, start, end });
        match next {
            None => break,
            Some(f) => {
                // `f >= start` and the line is at least `From `, so `start`
                // grows every round: the loop ends.
                let (ce, n) = line_end(data, f);
                from_line = Some((f, ce));
                start = n;
            }
        }
    }
    out
}

/// Ends the message at `start` at the next From_ separator (or EOF).
/// Returns the message end and the next From_ line's start.
fn separator_end(data: &[u8], start: usize, out: &mut Scan) -> (usize, Option<usize>) {
    // Search from the `\n` ending the From_ line, so that a `From ` line
    // right after it is seen (and reported) too.
    let from = start.saturating_sub(1);
    for hit in memmem::find_iter(&data[from..], b"\nFrom ") {
        let p = from + hit;
        let ls = p + 1;
        if ls < start {
            continue;
        }
        let (ce, _) = line_end(data, ls);
        if p >= start && empty_line_ends_at(data, p) {
            if separator_date(&data[ls + 5..ce]).is_some() {
                return (strip_framing_blank(data, start, ls), Some(ls));
            }
            out.problems.push((
                Severity::Note,
                ls as u64,
                "mbox From_ line",
                "a line starts with `From ` after an empty line but carries no asctime date; kept in the message body"
                    .into(),
            ));
        } else {
            out.problems.push((
                Severity::Note,
                ls as u64,
                "mbox From_ line",
                "an unquoted `From ` line that does not follow an empty line; kept in the message body \
                 (readers that split at every `From ` line see an extra message here)"
                    .into(),
            ));
        }
    }
    (strip_framing_blank(data, start, data.len()), None)
}

/// mboxcl / mboxcl2: if the message's header has a `Content-Length` that
/// ends the body at a From_ separator (optionally after the framing empty
/// line) or at EOF, the message ends there. A `Content-Length` that does
/// not is reported and ignored.
fn content_length_end(data: &[u8], start: usize, out: &mut Scan) -> Option<(usize, Option<usize>)> {
    let mut pos = start;
    let mut length: Option<(usize, u64)> = None;
    let body_start = loop {
        if pos >= data.len() {
            break None;
        }
        let (ce, next) = line_end(data, pos);
        let line = &data[pos..ce];
        if line.is_empty() {
            break Some(next);
        }
        // A header line never starts with `From ` (a field name has no
        // space): stopping there keeps the header search inside this
        // message, so the whole scan stays linear.
        if line.starts_with(b"From ") {
            break None;
        }
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            let v = std::str::from_utf8(&line[15..]).unwrap_or("").trim();
            if !v.is_empty() && v.len() <= 18 && v.bytes().all(|b| b.is_ascii_digit()) {
                length = v.parse::<u64>().ok().map(|n| (pos, n));
            }
        }
        pos = next;
    };
    let (field_at, n) = length?;
    let reject = |out: &mut Scan| {
        out.problems.push((
            Severity::Note,
            field_at as u64,
            "mbox Content-Length",
            format!("Content-Length: {n} does not end at a From_ line or the end of the file; the message is framed by From_ separators instead"),
        ));
    };
    let Some(body_start) = body_start else {
        reject(out);
        return None;
    };
    let cand = match usize::try_from(n).ok().and_then(|n| body_start.checked_add(n)) {
        Some(c) if c <= data.len() => c,
        _ => {
            reject(out);
            return None;
        }
    };
    if cand == data.len() {
        return Some((cand, None));
    }
    if separator_at(data, cand) {
        return Some((cand, Some(cand)));
    }
    let blank = if data[cand..].starts_with(b"\n") {
        1
    } else if data[cand..].starts_with(b"\r\n") {
        2
    } else {
        0
    };
    if blank > 0 {
        let after = cand + blank;
        if after == data.len() {
            return Some((cand, None));
        }
        if separator_at(data, after) {
            return Some((cand, Some(after)));
        }
    }
    reject(out);
    None
}

/// True if the first bytes of a file look like mbox: a From_ line (after an
/// optional BOM and empty lines) that carries a date or is followed by a
/// header field, or a header block followed by a From_ separator.
pub(crate) fn probe_bytes(prefix: &[u8]) -> bool {
    let pos = skip_preamble(prefix);
    let rest = &prefix[pos..];
    if rest.starts_with(b"From ") {
        let (ce, next) = line_end(rest, 0);
        return separator_date(&rest[5..ce]).is_some() || header_line(&rest[next..]);
    }
    if !header_line(rest) {
        return false;
    }
    memmem::find_iter(rest, b"\nFrom ").any(|p| empty_line_ends_at(rest, p) && separator_at(rest, p + 1))
}

/// True if `s` starts with `Name:` (RFC 5322 field name: printable ASCII
/// without `:` or space).
fn header_line(s: &[u8]) -> bool {
    let colon = s.iter().take(80).position(|&b| b == b':');
    match colon {
        Some(c) if c > 0 => s[..c].iter().all(|&b| (33..=126).contains(&b)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_from_lines() {
        assert!(separator_date(b"- Fri Aug 05 10:57:20 2016").is_some());
        assert!(separator_date(b"goran at domain.com  Wed Dec  1 08:26:40 2010").is_some());
        assert_eq!(separator_date(b"MAILER-DAEMON Thu Jan  1 00:00:00 1970"), Some(0));
        assert!(separator_date(b"1563685564519032849@xxx Mon Apr 03 19:12:41 +0000 2017").is_some());
        assert!(separator_date(b"Mon Jan  1 00:00:00 2001").is_some());
        assert!(separator_date(b"here on, we go").is_none());
        assert!(separator_date(b"me").is_none());
    }

    #[test]
    fn strip_blank() {
        assert_eq!(strip_framing_blank(b"a\n\n", 0, 3), 2);
        assert_eq!(strip_framing_blank(b"a\r\n\r\n", 0, 5), 3);
        assert_eq!(strip_framing_blank(b"a\n", 0, 2), 2);
        assert_eq!(strip_framing_blank(b"\n", 0, 1), 0);
    }
}
