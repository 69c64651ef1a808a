//! Turning a read item into what a writer needs: header facts, a dedup key.
//!
//! This runs in the parallel stage of [`convert`](crate::convert()), so the
//! writer only appends bytes.

use mail_parser::{HeaderName, HeaderValue, MessageParser};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::{Item, MailItem};
use crate::store::ItemMeta;

/// Facts taken from a message's header, once, for filters and writers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MailInfo {
    /// `Message-ID` without angle brackets.
    pub message_id: Option<String>,
    /// `Date`, seconds since the Unix epoch.
    pub date: Option<i64>,
    /// `Subject`, RFC 2047 decoded.
    pub subject: Option<String>,
    /// The first `From` address (addr-spec only).
    pub from: Option<String>,
    /// The `Return-Path` address (addr-spec only; empty for `<>`).
    pub return_path: Option<String>,
}

/// The `Date` of `raw`'s header alone, as [`MailInfo::parse`] reads it
/// (the last `Date` field, parsed by the same parser), without the other
/// fields: for `info`, which needs only the date of every item.
pub fn header_date(raw: &[u8]) -> Option<i64> {
    let (head, _) = split_header(raw);
    let mut last: Option<(usize, usize)> = None;
    let mut pos = 0;
    while pos < head.len() {
        let end = memchr::memchr(b'\n', &head[pos..]).map_or(head.len(), |i| pos + i + 1);
        let line = &head[pos..end];
        if line.len() > 5 && line[..4].eq_ignore_ascii_case(b"date") {
            let rest = &line[4..];
            let colon = rest.iter().position(|&b| b == b':');
            if colon.is_some_and(|c| rest[..c].iter().all(|b| *b == b' ' || *b == b'\t')) {
                // The field and its continuation lines.
                let mut stop = end;
                while stop < head.len() && matches!(head[stop], b' ' | b'\t') {
                    stop = memchr::memchr(b'\n', &head[stop..]).map_or(head.len(), |i| stop + i + 1);
                }
                last = Some((pos, stop));
            }
        }
        pos = end;
    }
    let (a, b) = last?;
    let mut field = Vec::with_capacity(b - a + 2);
    field.extend_from_slice(&head[a..b]);
    if !field.ends_with(b"\n") {
        field.extend_from_slice(b"\r\n");
    }
    field.extend_from_slice(b"\r\n");
    let msg = MessageParser::new().parse_headers(&field[..])?;
    msg.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp())
}

impl MailInfo {
    /// Reads the facts from the header of `raw`. Never fails: what cannot
    /// be read is `None`.
    pub fn parse(raw: &[u8]) -> MailInfo {
        // Only the fields read below are parsed (as mail-parser's defaults
        // parse them); the others, Received above all, are skipped: parsing
        // every field was a fifteenth of a PST -> mbox run.
        static PARSER: std::sync::LazyLock<MessageParser> = std::sync::LazyLock::new(|| {
            MessageParser::new()
                .header_id(HeaderName::MessageId)
                .header_date(HeaderName::Date)
                .header_text(HeaderName::Subject)
                .header_address(HeaderName::From)
                .header_id(HeaderName::ReturnPath)
                .default_header_ignore()
        });
        let wanted = wanted_fields(raw);
        let Some(msg) = PARSER.parse_headers(wanted.as_deref().unwrap_or(raw)) else {
            return MailInfo::default();
        };
        let message_id =
            msg.message_id().map(|s| s.trim().trim_matches(['<', '>']).to_string()).filter(|s| !s.is_empty());
        let date = msg.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp());
        let subject = msg.subject().map(str::to_string);
        let from = msg.from().and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_string);
        let return_path = match msg.return_path() {
            HeaderValue::Text(t) => Some(t.trim().trim_matches(['<', '>']).to_string()),
            HeaderValue::TextList(l) => l.first().map(|t| t.trim().trim_matches(['<', '>']).to_string()),
            HeaderValue::Address(a) => a.first().and_then(|a| a.address()).map(str::to_string),
            _ => None,
        };
        MailInfo { message_id, date, subject, from, return_path }
    }
}

/// The fields [`MailInfo::parse`] reads, cut out of a plain header block
/// with their continuation lines and in their order, then the empty line:
/// mail-parser reads the same values from them as from the whole header,
/// and skips no Received chain to find them (that skipping was most of a
/// twentieth of a PST -> mbox run). `None`, so that the whole message is
/// parsed, for anything but CRLF lines of `name: value` and continuations
/// ending in an empty line.
fn wanted_fields(raw: &[u8]) -> Option<Vec<u8>> {
    const NAMES: [&[u8]; 5] = [b"message-id", b"date", b"subject", b"from", b"return-path"];
    let mut out = Vec::with_capacity(512);
    let mut keep: Option<bool> = None;
    let mut pos = 0;
    loop {
        let end = pos + memchr::memchr(b'\n', &raw[pos..])? + 1;
        let line = &raw[pos..end];
        let text = line.strip_suffix(b"\r\n")?;
        if text.is_empty() {
            out.extend_from_slice(b"\r\n");
            return Some(out);
        }
        if text.contains(&b'\r') {
            return None;
        }
        if matches!(text[0], b' ' | b'\t') {
            // A continuation of the field before, kept with it.
            if keep? {
                out.extend_from_slice(line);
            }
        } else {
            let colon = memchr::memchr(b':', text)?;
            let name = text[..colon].trim_ascii_end();
            if !crate::mapi::mime::is_field_name(name) {
                return None;
            }
            let k = NAMES.iter().any(|n| name.eq_ignore_ascii_case(n));
            if k {
                out.extend_from_slice(line);
            }
            keep = Some(k);
        }
        pos = end;
    }
}

impl MailInfo {
    /// The same facts from a MAPI message's properties ([MS-OXCMAIL]
    /// 2.2.3: Message-ID is PidTagInternetMessageId, Date the client-submit
    /// time), so that a message copied as MAPI has the key it has as MIME.
    pub fn of_mapi(m: &crate::mapi::Message) -> MailInfo {
        use crate::mapi::tags as tag;
        let text = |id| m.props.str(id).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let message_id =
            text(tag::INTERNET_MESSAGE_ID).map(|s| s.trim_matches(['<', '>']).to_string()).filter(|s| !s.is_empty());
        let from = text(tag::SENDER_SMTP_ADDRESS).or_else(|| {
            (m.props.str(tag::SENDER_ADDRESS_TYPE).is_some_and(|t| t.eq_ignore_ascii_case("SMTP")))
                .then(|| text(tag::SENDER_EMAIL_ADDRESS))
                .flatten()
        });
        MailInfo {
            message_id,
            date: m.props.time(tag::CLIENT_SUBMIT_TIME),
            subject: m.subject().map(str::to_string),
            from,
            return_path: None,
        }
    }
}

/// What identifies a message for `--dedup`: its Message-ID, or where it has
/// none, a hash of its normalized header fields and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DedupKey(pub [u8; 16]);

impl DedupKey {
    /// The key of an item prepared without one ([`Prepared::keyed`]).
    pub const NONE: DedupKey = DedupKey([0; 16]);

    /// The key of a message.
    pub fn of_mail(info: &MailInfo, raw: &[u8]) -> DedupKey {
        let mut h = Sha256::new();
        match &info.message_id {
            Some(id) => {
                h.update(b"id\0");
                h.update(id.as_bytes());
            }
            None => {
                h.update(b"content\0");
                hash_normalized(&mut h, raw);
            }
        }
        DedupKey::from_digest(h)
    }

    /// The key of a MAPI message: its Message-ID as for MIME; else its
    /// PidTagSearchKey (a copy keeps it); else a hash of its class,
    /// subject, times and size.
    pub fn of_mapi(info: &MailInfo, m: &crate::mapi::Message) -> DedupKey {
        use crate::mapi::tags as tag;
        let mut h = Sha256::new();
        if let Some(id) = &info.message_id {
            h.update(b"id\0");
            h.update(id.as_bytes());
        } else if let Some(k) = m.props.bin(tag::SEARCH_KEY).filter(|k| !k.is_empty()) {
            h.update(b"mapi-search-key\0");
            h.update(k);
        } else {
            h.update(b"mapi\0");
            h.update(m.class().as_bytes());
            h.update(b"\0");
            h.update(m.subject().unwrap_or("").as_bytes());
            for id in [tag::CLIENT_SUBMIT_TIME, tag::MESSAGE_DELIVERY_TIME, tag::CREATION_TIME] {
                h.update(m.props.time(id).unwrap_or(0).to_le_bytes());
            }
            h.update(m.props.int(tag::MESSAGE_SIZE).unwrap_or(0).to_le_bytes());
        }
        DedupKey::from_digest(h)
    }

    /// The key of a non-mail item, from its stable identifier.
    pub fn of_uid(uid: &str) -> DedupKey {
        let mut h = Sha256::new();
        h.update(b"uid\0");
        h.update(uid.as_bytes());
        DedupKey::from_digest(h)
    }

    fn from_digest(h: Sha256) -> DedupKey {
        let d = h.finalize();
        let mut k = [0u8; 16];
        k.copy_from_slice(&d[..16]);
        DedupKey(k)
    }
}

/// Header fields that identify a message's content; the rest (Status,
/// X-Mozilla-Status, Received ...) is state or transport a conversion may change.
const IDENTIFYING: [&[u8]; 6] = [b"from", b"to", b"cc", b"date", b"subject", b"in-reply-to"];

/// Feeds `raw`'s identifying header fields and its body to `h`, with line
/// endings, folding and trailing white space normalized, so that the same
/// message read from mbox, Maildir or EML hashes the same.
fn hash_normalized(h: &mut Sha256, raw: &[u8]) {
    let (head, body) = split_header(raw);
    let mut fields: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for line in head.split(|&b| b == b'\n') {
        let line = trim_end_ws(line);
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if let Some(last) = fields.last_mut() {
                last.1.push(b' ');
                last.1.extend_from_slice(trim_ws(line));
            }
            continue;
        }
        if let Some(colon) = memchr::memchr(b':', line) {
            let name = trim_ws(&line[..colon]).to_ascii_lowercase();
            fields.push((name, trim_ws(&line[colon + 1..]).to_vec()));
        }
    }
    for want in IDENTIFYING {
        for (name, value) in &fields {
            if name.as_slice() == want {
                h.update(name);
                h.update(b":");
                h.update(value);
                h.update(b"\n");
            }
        }
    }
    h.update(b"\n");
    let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').map(trim_end_ws).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for l in lines {
        h.update(l);
        h.update(b"\n");
    }
}

/// Splits a message at the first empty line: (header, body).
pub fn split_header(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    while pos < raw.len() {
        let end = memchr::memchr(b'\n', &raw[pos..]).map(|i| pos + i + 1).unwrap_or(raw.len());
        let line = &raw[pos..end];
        if line == b"\n" || line == b"\r\n" {
            return (&raw[..pos], &raw[end..]);
        }
        pos = end;
    }
    (raw, &[])
}

fn trim_end_ws(s: &[u8]) -> &[u8] {
    let mut e = s.len();
    while e > 0 && matches!(s[e - 1], b' ' | b'\t' | b'\r') {
        e -= 1;
    }
    &s[..e]
}

fn trim_ws(s: &[u8]) -> &[u8] {
    let s = trim_end_ws(s);
    let start = s.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(s.len());
    &s[start..]
}

/// An item read and made ready for a writer.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    /// The item.
    pub item: Item<'a>,
    /// What the reader knew before reading it.
    pub meta: ItemMeta,
    /// Header facts (all `None` for non-mail items).
    pub info: MailInfo,
    /// Its dedup key.
    pub key: DedupKey,
    /// What turning the item into the writer's form (mail into MAPI for a
    /// PST) could not carry by design, for the report's "not kept".
    pub not_kept: Vec<String>,
    /// What that conversion lost that the target could have held.
    pub lost: Vec<String>,
}

impl<'a> Prepared<'a> {
    /// Reads the header facts and computes the dedup key.
    pub fn new(item: Item<'a>, meta: ItemMeta) -> Prepared<'a> {
        Prepared::keyed(item, meta, true)
    }

    /// The same; the dedup key only when `keyed` (a message without a
    /// Message-ID is hashed whole for it: a run without `--dedup` need not
    /// pay for that), else [`DedupKey::NONE`].
    pub fn keyed(item: Item<'a>, meta: ItemMeta, keyed: bool) -> Prepared<'a> {
        let (info, key) = match &item {
            Item::Mail(m) => {
                let info = MailInfo::parse(&m.raw);
                let key = if keyed { DedupKey::of_mail(&info, &m.raw) } else { DedupKey::NONE };
                (info, key)
            }
            _ if !keyed => (
                match &item {
                    Item::Mapi(m) => MailInfo::of_mapi(m),
                    _ => MailInfo::default(),
                },
                DedupKey::NONE,
            ),
            // A modified occurrence shares its master's UID (RFC 5545
            // 3.8.4.4): its RECURRENCE-ID is part of its identity.
            Item::Event(e) => {
                let id = match &e.recurrence_id {
                    Some(r) => format!("{}\0{r:?}", e.uid),
                    None => e.uid.clone(),
                };
                (MailInfo::default(), DedupKey::of_uid(&id))
            }
            Item::Mapi(m) => {
                let info = MailInfo::of_mapi(m);
                let key = DedupKey::of_mapi(&info, m);
                (info, key)
            }
            other => (MailInfo::default(), DedupKey::of_uid(other.uid().unwrap_or(""))),
        };
        Prepared { item, meta, info, key, not_kept: Vec::new(), lost: Vec::new() }
    }

    /// The mail item, if this is one.
    pub fn mail(&self) -> Option<&MailItem<'a>> {
        match &self.item {
            Item::Mail(m) => Some(m),
            _ => None,
        }
    }

    /// The item's size in bytes (the RFC 5322 bytes for mail,
    /// PidTagMessageSize for a MAPI message).
    pub fn size(&self) -> u64 {
        match &self.item {
            Item::Mail(m) => m.raw.len() as u64,
            Item::Mapi(m) => m
                .props
                .int(crate::mapi::tags::MESSAGE_SIZE)
                .and_then(|s| u64::try_from(s).ok())
                .or(self.meta.size)
                .unwrap_or(0),
            _ => self.meta.size.unwrap_or(0),
        }
    }

    /// The best date for the item: the header's `Date`, else the received
    /// time; for an event its start, a task its due date (else its start),
    /// a note or journal entry its date. A wall-clock time is taken as UTC
    /// (at most 14 hours off, which `--since`/`--until` on dates tolerate).
    /// Contacts and lists have none.
    pub fn date(&self) -> Option<i64> {
        fn unix(w: &crate::pim::When) -> i64 {
            use crate::pim::{DateTime, When};
            match w {
                When::Utc(t) => *t,
                When::Date(d) => DateTime { date: *d, ..DateTime::default() }.unix_if_utc(),
                When::Local { time, .. } => time.unix_if_utc(),
            }
        }
        match &self.item {
            Item::Mail(m) => self.info.date.or(m.received),
            Item::Mapi(m) => self.info.date.or_else(|| m.props.time(crate::mapi::tags::MESSAGE_DELIVERY_TIME)),
            Item::Event(e) => e.start.as_ref().map(unix),
            Item::Task(t) => t.due.as_ref().or(t.start.as_ref()).map(unix),
            Item::Note(n) => n.dtstart.as_ref().map(unix).or(n.created),
            Item::Journal(j) => j.dtstart.as_ref().map(unix).or(j.created),
            Item::Contact(_) | Item::DistList(_) => None,
        }
    }

    /// The best received time: the store's, else the header's `Date`.
    pub fn received(&self) -> Option<i64> {
        match &self.item {
            Item::Mapi(m) => m.props.time(crate::mapi::tags::MESSAGE_DELIVERY_TIME).or(self.info.date),
            _ => self.mail().and_then(|m| m.received).or(self.info.date),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_from_header() {
        let raw = b"Return-Path: <bounce@example.org>\r\nFrom: =?utf-8?q?J=C3=B6rg?= <jorg@example.org>\r\nSubject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\nDate: Tue, 14 Nov 2023 23:13:20 +0100\r\nMessage-ID: <abc@x>\r\n\r\nbody\r\n";
        let i = MailInfo::parse(raw);
        assert_eq!(i.message_id.as_deref(), Some("abc@x"));
        assert_eq!(i.date, Some(1_700_000_000));
        assert_eq!(i.subject.as_deref(), Some("grüße"));
        assert_eq!(i.from.as_deref(), Some("jorg@example.org"));
        assert_eq!(i.return_path.as_deref(), Some("bounce@example.org"));
    }

    #[test]
    fn the_wanted_fields_read_as_the_whole_header_does() {
        fn whole(raw: &[u8]) -> String {
            // What MailInfo::parse gave before it cut the fields out: the
            // same parser over the whole message.
            let mut crlf_less = raw.to_vec();
            crlf_less.retain(|&b| b != b'\r');
            let info = MailInfo::parse(&crlf_less);
            format!("{info:?}")
        }
        let heads: [&[u8]; 7] = [
            b"Received: from a\r\n by b; Tue, 14 Nov 2023 23:13:20 +0100\r\nSubject: one\r\n two\r\nFROM : \"A, B\" <a@b.c>\r\nX-From: no@no\r\nDate: Tue, 14 Nov 2023 23:13:20 +0100\r\n\r\nFrom: body@x\r\n",
            b"Subject: first\r\nSubject: second\r\nMessage-ID:\r\n <id@x>\r\nReturn-Path: <>\r\n\r\n",
            b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.org>, other@x\r\nSubject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\n\r\n",
            b"Date: not a date\r\nReturn-Path: bounce@x\r\nMessage-Id: <a@b> (comment)\r\n\r\n",
            b"X-Long: a\r\n\tb\r\nSubject:\tx\r\n\r\n",
            b"Subject: no end of header\r\n",
            b"",
        ];
        for raw in heads {
            let cut = wanted_fields(raw).map(|w| format!("{:?}", MailInfo::parse(&w)));
            assert_eq!(format!("{:?}", MailInfo::parse(raw)), whole(raw), "{}", String::from_utf8_lossy(raw));
            if let Some(cut) = cut {
                assert_eq!(cut, whole(raw), "{}", String::from_utf8_lossy(raw));
            }
        }
        // Odd shapes are left to the whole parse.
        assert!(wanted_fields(b"Subject: a\nFrom: b\n\n").is_none());
        assert!(wanted_fields(b" lead\r\nSubject: a\r\n\r\n").is_none());
        assert!(wanted_fields(b"no colon\r\n\r\n").is_none());
        assert!(wanted_fields(b"Subject: a\rb\r\n\r\n").is_none());
        assert_eq!(
            wanted_fields(b"Received: x\r\n y\r\nSubject: a\r\n\r\nbody").as_deref(),
            Some(&b"Subject: a\r\n\r\n"[..])
        );
    }

    #[test]
    fn content_key_ignores_line_endings_and_state_headers() {
        let a = b"From: a@b\nSubject: hi\nStatus: RO\n\nline\n\n";
        let b = b"X-Mozilla-Status: 0001\r\nFrom: a@b\r\nSubject: hi\r\n\r\nline\r\n";
        let c = b"From: a@b\nSubject: hi\n\nother\n";
        let k = |r: &[u8]| DedupKey::of_mail(&MailInfo::parse(r), r);
        assert_eq!(k(a), k(b));
        assert_ne!(k(a), k(c));
    }

    #[test]
    fn split_header_finds_blank_line() {
        assert_eq!(split_header(b"A: b\r\n\r\nbody"), (&b"A: b\r\n"[..], &b"body"[..]));
        assert_eq!(split_header(b"A: b\n"), (&b"A: b\n"[..], &b""[..]));
    }

    #[test]
    fn header_date_reads_what_the_full_parse_reads() {
        let cases: [&[u8]; 7] = [
            b"From: a@b\r\nDate: Tue, 1 Dec 2026 10:00:00 +0100\r\nSubject: x\r\n\r\nbody\r\n",
            b"Date: Tue, 1 Dec 2026 10:00:00 +0100\nDate: Wed, 2 Dec 2026 10:00:00 +0000\n\nbody\n",
            b"DATE : Tue,\n 1 Dec 2026\n\t10:00:00 -0500\nX: y\n\nDate: Mon, 1 Jan 2001 00:00:00 +0000\n",
            b"Subject: no date\n\nbody",
            b"Date: not a date at all\n\n",
            b"Dated: Tue, 1 Dec 2026 10:00:00 +0100\n\n",
            b"Date: Tue, 1 Dec 2026 10:00:00 +0100",
        ];
        for raw in cases {
            assert_eq!(header_date(raw), MailInfo::parse(raw).date, "{}", String::from_utf8_lossy(raw));
        }
        assert!(header_date(cases[0]).is_some() && header_date(cases[2]).is_some());
    }
}
