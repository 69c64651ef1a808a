//! Finding the messages of an mbox file: one pass over the bytes.
//!
//! RFC 4155 describes the format loosely: each message is preceded by a
//! From_ line (`From SENDER DATE`) and followed by an empty line the writer
//! adds. Writers disagree on the rest (mboxo/mboxrd quoting, mboxcl/mboxcl2
//! `Content-Length`), so the scanner only trusts a `From ` line as a
//! separator when it follows an empty line, carries an asctime date and is
//! followed by a header field (or by the end of the file, or by the empty
//! line of an empty message), and trusts `Content-Length` only when it
//! lands on such a separator. A body that quotes a letter unquoted
//! (`From alice Mon Jan  1 ...` then prose) thus stays one message.

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
    /// How many problems of each kind were met, for [`MAX_LISTED`].
    tallies: Vec<Tally>,
}

/// How many problems of one kind a file lists one by one. The rest are
/// counted in one summary: a file whose bodies hold a million unquoted
/// `From ` lines must not make a million-line report (or a gigabyte of it).
const MAX_LISTED: usize = 100;

#[derive(Debug)]
struct Tally {
    kind: &'static str,
    severity: Severity,
    structure: &'static str,
    listed: usize,
    omitted: u64,
    first_omitted: u64,
}

impl Scan {
    /// Records a problem of `kind` (a fixed description of it), one by one
    /// up to [`MAX_LISTED`] of that kind, counted after.
    fn report(
        &mut self,
        kind: &'static str,
        severity: Severity,
        offset: u64,
        structure: &'static str,
        message: impl FnOnce() -> String,
    ) {
        let i = match self.tallies.iter().position(|t| t.kind == kind) {
            Some(i) => i,
            None => {
                self.tallies.push(Tally { kind, severity, structure, listed: 0, omitted: 0, first_omitted: 0 });
                self.tallies.len() - 1
            }
        };
        let t = &mut self.tallies[i];
        if t.listed < MAX_LISTED {
            t.listed += 1;
            self.problems.push((severity, offset, structure, message()));
        } else {
            if t.omitted == 0 {
                t.first_omitted = offset;
            }
            t.omitted += 1;
        }
    }

    /// Adds the summaries of what was counted and not listed, and puts the
    /// problems in file order.
    fn finish(mut self) -> Scan {
        for t in &self.tallies {
            if t.omitted > 0 {
                self.problems.push((
                    t.severity,
                    t.first_omitted,
                    t.structure,
                    format!(
                        "{} more from this offset on, not listed one by one (the first {MAX_LISTED} are): {}",
                        t.omitted, t.kind
                    ),
                ));
            }
        }
        self.problems.sort_by_key(|p| p.1);
        self
    }
}

const FROM_NO_HEADER: &str = "a From_ line not followed by a header field; kept in the message body \
                              (readers that split at every `From ` line see an extra message here)";
const FROM_NO_DATE: &str =
    "a line starts with `From ` after an empty line but carries no asctime date; kept in the message body";
const FROM_NO_BLANK: &str = "an unquoted `From ` line that does not follow an empty line; kept in the message body \
                             (readers that split at every `From ` line see an extra message here)";
const BAD_CONTENT_LENGTH: &str = "a Content-Length that does not end at a From_ line or the end of the file; \
                                  the message is framed by From_ separators instead";

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

/// True if a From_ separator line starts at `q`: a dated From_ line
/// followed by what can start a message ([`message_starts_at`]).
fn separator_at(data: &[u8], q: usize) -> bool {
    if !data[q.min(data.len())..].starts_with(b"From ") || !(q == 0 || data[q - 1] == b'\n') {
        return false;
    }
    let (ce, next) = line_end(data, q);
    separator_date(&data[q + 5..ce]).is_some() && message_starts_at(data, next)
}

/// True if what starts at `pos` (the line after a dated From_ line) can be
/// a message: a header field line, the end of the file, or an empty
/// message (the framing empty line, then the next dated From_ line or the
/// end of the file).
fn message_starts_at(data: &[u8], pos: usize) -> bool {
    if pos >= data.len() || field_line(&data[pos..]) {
        return true;
    }
    let (ce, next) = line_end(data, pos);
    if ce != pos {
        return false;
    }
    if next >= data.len() {
        return true;
    }
    // The line after must itself be a dated From_ line; what follows that
    // is checked when the scan gets there.
    data[next..].starts_with(b"From ") && separator_date(&data[next + 5..line_end(data, next).0]).is_some()
}

/// True if `s` starts with an RFC 5322 header field line: a field name of
/// printable ASCII other than `:` (33..=126), then `:`, with the obsolete
/// white space before the colon tolerated (RFC 5322 4.5.4, `obs-field`).
/// Only the first line is looked at; a continuation line is not a start.
pub(crate) fn field_line(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() && s[i] != b':' && (33..=126).contains(&s[i]) {
        i += 1;
    }
    if i == 0 {
        return false;
    }
    while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
        i += 1;
    }
    i < s.len() && s[i] == b':'
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
    out.finish()
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
        let (ce, next) = line_end(data, ls);
        if p >= start && empty_line_ends_at(data, p) {
            if separator_date(&data[ls + 5..ce]).is_some() {
                if message_starts_at(data, next) {
                    return (strip_framing_blank(data, start, ls), Some(ls));
                }
                out.report(FROM_NO_HEADER, Severity::Note, ls as u64, "mbox From_ line", || FROM_NO_HEADER.into());
                continue;
            }
            out.report(FROM_NO_DATE, Severity::Note, ls as u64, "mbox From_ line", || FROM_NO_DATE.into());
        } else {
            out.report(FROM_NO_BLANK, Severity::Note, ls as u64, "mbox From_ line", || FROM_NO_BLANK.into());
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
        out.report(BAD_CONTENT_LENGTH, Severity::Note, field_at as u64, "mbox Content-Length", || {
            format!("Content-Length: {n} does not end at a From_ line or the end of the file; the message is framed by From_ separators instead")
        });
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
        return separator_date(&rest[5..ce]).is_some() || field_line(&rest[next..]);
    }
    if !field_line(rest) {
        return false;
    }
    memmem::find_iter(rest, b"\nFrom ").any(|p| empty_line_ends_at(rest, p) && separator_at(rest, p + 1))
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
    fn field_lines() {
        assert!(field_line(b"Subject: x\n"));
        assert!(field_line(b"X-Empty:\n"));
        assert!(field_line(b"Subject :obsolete\n"));
        assert!(field_line(b"Subject\t: obsolete"));
        assert!(field_line(format!("X-{}: long", "a".repeat(300)).as_bytes()));
        assert!(!field_line(b": no name"));
        assert!(!field_line(b" Folded: continuation"));
        assert!(!field_line(b"Dear all, note: this\n"));
        assert!(!field_line(b"Subject\n: split"));
        assert!(!field_line(b"Sub\x80ject: 8 bit"));
        assert!(!field_line(b"no colon at all"));
        assert!(!field_line(b""));
    }

    #[test]
    fn messages_start_at_a_header_the_end_or_an_empty_message() {
        let d = b"From a Mon Jan  1 00:00:00 2001\nSubject: x\n";
        assert!(message_starts_at(d, 32));
        assert!(message_starts_at(d, d.len()));
        assert!(message_starts_at(b"\n", 0));
        assert!(message_starts_at(b"\r\n", 0));
        assert!(message_starts_at(b"\nFrom b Mon Jan  1 00:00:00 2001\n", 0));
        assert!(!message_starts_at(b"\nFrom the desk of b\n", 0));
        assert!(!message_starts_at(b"\nprose\n", 0));
        assert!(!message_starts_at(b"prose, with: a colon late\n", 0));
    }

    #[test]
    fn problems_of_one_kind_are_listed_up_to_a_bound_then_counted() {
        let mut text = String::from("From a Mon Jan  1 00:00:00 2001\nSubject: x\n\n");
        let mut offsets = Vec::new();
        for i in 0..MAX_LISTED + 5 {
            text.push_str(&format!("line {i}\n"));
            offsets.push(text.len() as u64);
            text.push_str("From here on\n");
        }
        let s = scan(text.as_bytes());
        assert_eq!(s.msgs.len(), 1);
        assert_eq!(s.problems.len(), MAX_LISTED + 1);
        assert!(s.problems[..MAX_LISTED].iter().zip(&offsets).all(|(p, o)| p.1 == *o && p.3 == FROM_NO_BLANK));
        let last = &s.problems[MAX_LISTED];
        assert_eq!((last.0, last.1), (Severity::Note, offsets[MAX_LISTED]));
        assert!(last.3.starts_with("5 more from this offset on"), "{}", last.3);
        assert!(last.3.ends_with(FROM_NO_BLANK));
    }

    #[test]
    fn token_soup_never_panics_and_gives_ordered_disjoint_messages() {
        const TOKENS: [&[u8]; 12] = [
            b"From ",
            b"a@x Mon Jan  1 00:00:00 2001",
            b"\n",
            b"\n",
            b"\r\n",
            b"Subject: x",
            b":",
            b" ",
            b"Content-Length: 3",
            b">",
            b"prose",
            b"\xEF\xBB\xBF",
        ];
        let mut rng = mailshift_testkit::XorShift(0x5EED_F00D_D00D_F00D);
        for _ in 0..3000 {
            let mut data = Vec::new();
            for _ in 0..rng.below(60) {
                data.extend_from_slice(TOKENS[rng.below(TOKENS.len())]);
            }
            let s = scan(&data);
            let mut last = 0;
            for m in &s.msgs {
                assert!(last <= m.start && m.start <= m.end && m.end <= data.len(), "{data:?}: {:?}", s.msgs);
                if let Some((a, b)) = m.from_line {
                    assert!(a <= b && b <= m.start && data[a..].starts_with(b"From "), "{data:?}");
                }
                last = m.end;
            }
            assert!(s.problems.windows(2).all(|w| w[0].1 <= w[1].1));
        }
    }

    #[test]
    fn strip_blank() {
        assert_eq!(strip_framing_blank(b"a\n\n", 0, 3), 2);
        assert_eq!(strip_framing_blank(b"a\r\n\r\n", 0, 5), 3);
        assert_eq!(strip_framing_blank(b"a\n", 0, 2), 2);
        assert_eq!(strip_framing_blank(b"\n", 0, 1), 0);
    }
}
