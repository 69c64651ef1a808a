//! A deterministic generator of test mail corpora, and writers that store
//! them as mbox (mboxrd) and Maildir++ without using mailshift's own crates,
//! so that what they write is ground truth.
//!
//! The same [`CorpusSpec`] gives the same bytes on every machine and run: no
//! clock, no `rand` crate, no hash-map order; the PRNG is SplitMix64.
//!
//! Most messages are ordinary text mails (body text drawn from a fixed word
//! list) so sizes are realistic; the hard cases are spread over the corpus,
//! each at least once when `messages` is at least [`CASES`]`.len()`. Every
//! message carries an `X-Mailshift-Case` header naming its case, and every
//! message ends with a line ending, so mbox round trips are byte-exact.
//!
//! ```
//! use mailshift_testkit::corpus::{generate, CorpusSpec};
//! let spec = CorpusSpec { seed: 7, messages: 40, target_bytes: 100_000, max_attachment: 10_000 };
//! let a = generate(&spec);
//! assert_eq!(a.len(), 40);
//! assert_eq!(a, generate(&spec));
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorpusSpec {
    /// The PRNG seed: same seed, same corpus.
    pub seed: u64,
    /// How many messages.
    pub messages: usize,
    /// About how many bytes all messages together should have (ordinary
    /// bodies and attachments grow or shrink towards it).
    pub target_bytes: u64,
    /// The largest attachment, in bytes before base64.
    pub max_attachment: usize,
}

/// Message state flags, the IMAP system flags plus `$Forwarded`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GenFlags {
    /// `\Seen` (mbox `Status: R`, Maildir `S`).
    pub seen: bool,
    /// `\Answered` (`X-Status: A`, Maildir `R`).
    pub answered: bool,
    /// `\Flagged` (`X-Status: F`, Maildir `F`).
    pub flagged: bool,
    /// `\Draft` (`X-Status: T`, Maildir `D`).
    pub draft: bool,
    /// `\Deleted` (`X-Status: D`, Maildir `T`).
    pub deleted: bool,
    /// `$Forwarded` (Maildir `P`; mbox has no letter for it).
    pub forwarded: bool,
}

impl GenFlags {
    /// True if no flag is set.
    pub fn is_empty(&self) -> bool {
        *self == GenFlags::default()
    }

    /// The Maildir `:2,` info letters, in ASCII order.
    pub fn maildir_letters(&self) -> String {
        let mut s = String::new();
        for (on, c) in [
            (self.draft, 'D'),
            (self.flagged, 'F'),
            (self.forwarded, 'P'),
            (self.answered, 'R'),
            (self.seen, 'S'),
            (self.deleted, 'T'),
        ] {
            if on {
                s.push(c);
            }
        }
        s
    }
}

/// One generated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenMessage {
    /// The folder it belongs to; empty for the root (the Inbox).
    pub folder: Vec<String>,
    /// The RFC 5322 bytes. Some messages carry `Status` / `X-Status` /
    /// `X-Keywords` header fields; where they do, those agree with
    /// `flags` and `keywords` (except `$Forwarded`, which mbox cannot say).
    pub raw: Vec<u8>,
    /// State flags (what a Maildir file name says).
    pub flags: GenFlags,
    /// IMAP keywords.
    pub keywords: Vec<String>,
    /// When it was received, Unix seconds (UTC).
    pub received: i64,
}

impl GenMessage {
    /// The value of the first header field named `name` (case-insensitive),
    /// unfolded and trimmed, as bytes; `None` if absent.
    pub fn header(&self, name: &str) -> Option<Vec<u8>> {
        let head = header_block(&self.raw);
        let mut found: Option<Vec<u8>> = None;
        for line in head.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(v) = found.as_mut() {
                if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
                    v.extend_from_slice(line);
                    continue;
                }
                break;
            }
            if let Some(colon) = line.iter().position(|&b| b == b':') {
                if line[..colon].eq_ignore_ascii_case(name.as_bytes()) {
                    found = Some(line[colon + 1..].to_vec());
                }
            }
        }
        found.map(|v| {
            // (`<[u8]>::trim_ascii` needs Rust 1.80; the workspace supports 1.75.)
            let start = v.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(v.len());
            let end = v.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |e| e + 1);
            v[start..end.max(start)].to_vec()
        })
    }

    /// The Message-ID without angle brackets, if the message has one.
    pub fn message_id(&self) -> Option<String> {
        self.header("Message-ID").map(|v| String::from_utf8_lossy(&v).trim_matches(['<', '>']).to_string())
    }

    /// The `X-Mailshift-Case` header: which case of [`CASES`] (or
    /// `ordinary`) made this message.
    pub fn case(&self) -> String {
        self.header("X-Mailshift-Case").map(|v| String::from_utf8_lossy(&v).into_owned()).unwrap_or_default()
    }
}

fn header_block(raw: &[u8]) -> &[u8] {
    let mut pos = 0;
    while pos < raw.len() {
        let end = raw[pos..].iter().position(|&b| b == b'\n').map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        if line == b"\n" || line == b"\r\n" {
            return &raw[..pos];
        }
        pos = end;
    }
    raw
}

/// The hard cases, each generated at least once when the corpus has at
/// least this many messages.
pub const CASES: [&str; 19] = [
    "from-lines",
    "quoted-from-lines",
    "crlf",
    "utf8-header",
    "latin1-header",
    "shift-jis-header",
    "rfc2047",
    "rfc2231-attachment",
    "nested-rfc822",
    "long-lines",
    "header-only",
    "zero-body",
    "no-message-id",
    "duplicate-message-id",
    "big-attachment",
    "status-headers",
    "html-alternative",
    "no-date",
    "from-line-last",
];

/// The folders messages go to; the root gets about half.
pub const FOLDERS: [&[&str]; 5] = [&[], &["Sent"], &["Entwürfe"], &["Archiv"], &["Archiv", "2019"]];

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for
/// test data; deterministic across platforms.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn fill(&mut self, out: &mut Vec<u8>, n: usize) {
        out.reserve(n);
        let target = out.len() + n;
        while out.len() + 8 <= target {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        while out.len() < target {
            out.push(self.next() as u8);
        }
    }
}

const WORDS: [&str; 64] = [
    "the",
    "meeting",
    "report",
    "budget",
    "quarter",
    "schedule",
    "project",
    "review",
    "please",
    "attached",
    "thanks",
    "regards",
    "tomorrow",
    "office",
    "update",
    "draft",
    "version",
    "customer",
    "invoice",
    "delivery",
    "team",
    "plan",
    "status",
    "question",
    "answer",
    "call",
    "week",
    "monday",
    "friday",
    "server",
    "backup",
    "mailbox",
    "folder",
    "archive",
    "message",
    "from",
    "to",
    "and",
    "or",
    "with",
    "about",
    "for",
    "a",
    "of",
    "in",
    "on",
    "is",
    "we",
    "you",
    "will",
    "can",
    "should",
    "not",
    "Termin",
    "Bericht",
    "Grüße",
    "Übersicht",
    "München",
    "naïve",
    "café",
    "data",
    "numbers",
    "check",
    "soon",
];

const PEOPLE: [(&str, &str); 8] = [
    ("Anna Müller", "anna.mueller@example.org"),
    ("Jörg Weiß", "joerg.weiss@example.de"),
    ("Bob Smith", "bob@example.com"),
    ("Élodie Durand", "elodie@example.fr"),
    ("山田太郎", "yamada@example.jp"),
    ("Carol O'Neil", "carol@example.com"),
    ("Dave", "dave@example.net"),
    ("Ŝtefan Ĉu", "stefan@example.eo"),
];

const KEYWORDS: [&str; 4] = ["$Label1", "Work", "todo", "$Junk"];

const ZONES: [i64; 8] = [0, 60, 120, -300, 540, -480, 330, -210];

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 (RFC 2045 6.8), no line breaks.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in lines of 76 characters, each ended by `\n`.
fn base64_lines(data: &[u8]) -> String {
    let flat = base64(data);
    let mut out = String::with_capacity(flat.len() + flat.len() / 76 + 1);
    for chunk in flat.as_bytes().chunks(76) {
        // The alphabet is ASCII, so each chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// RFC 2047 "B" encoded word(s) for UTF-8 text, split so each word stays
/// under 75 characters (RFC 2047 2) on character boundaries.
fn encode_b(text: &str) -> String {
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if (cur.len() + c.len_utf8()).div_ceil(3) * 4 > 45 {
            words.push(format!("=?UTF-8?B?{}?=", base64(cur.as_bytes())));
            cur.clear();
        }
        cur.push(c);
    }
    if !cur.is_empty() || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(cur.as_bytes())));
    }
    words.join("\n ")
}

/// RFC 2047 "Q" encoded word(s) for UTF-8 text, each under 75 characters
/// (RFC 2047 2), split on character boundaries and folded.
fn encode_q(text: &str) -> String {
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        let mut enc = String::new();
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            match b {
                b' ' => enc.push('_'),
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' => enc.push(b as char),
                _ => enc.push_str(&format!("={b:02X}")),
            }
        }
        if cur.len() + enc.len() > 60 {
            words.push(format!("=?utf-8?q?{cur}?="));
            cur.clear();
        }
        cur.push_str(&enc);
    }
    words.push(format!("=?utf-8?q?{cur}?="));
    words.join("\n ")
}

/// A display name as a header would carry it: plain if ASCII, else RFC 2047.
fn name_header(rng: &mut Rng, name: &str, addr: &str) -> String {
    if name.is_ascii() {
        if name.contains('\'') {
            format!("\"{name}\" <{addr}>")
        } else {
            format!("{name} <{addr}>")
        }
    } else if rng.chance(50) {
        format!("{} <{addr}>", encode_q(name))
    } else {
        format!("{} <{addr}>", encode_b(name))
    }
}

// Calendar arithmetic (Howard Hinnant's civil_from_days), kept here since
// testkit depends on no mailshift crate.
fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32, usize) {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60, (days + 4).rem_euclid(7) as usize)
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `asctime` form as in mbox From_ lines: `Thu Jan  1 00:00:00 1970` (UTC).
pub fn asctime(t: i64) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(t);
    format!("{} {} {:2} {:02}:{:02}:{:02} {}", WEEKDAYS[wd], MONTHS[(mo - 1) as usize], d, h, mi, s, y)
}

/// RFC 5322 3.3 date-time for Unix time `t` shown in a zone `offset_min`
/// minutes east of UTC.
pub fn rfc5322_date(t: i64, offset_min: i64) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(t + offset_min * 60);
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.abs();
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} {}{:02}{:02}",
        WEEKDAYS[wd],
        d,
        MONTHS[(mo - 1) as usize],
        y,
        h,
        mi,
        s,
        sign,
        off / 60,
        off % 60
    )
}

/// Paragraphs of word-list text, lines under 73 characters, about `bytes` long.
fn text(rng: &mut Rng, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 80);
    let mut line = String::new();
    let mut words_in_par = 0;
    while out.len() + line.len() < bytes {
        let w = *rng.pick(&WORDS);
        if !line.is_empty() && line.len() + 1 + w.len() > 72 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
            if words_in_par > 40 && rng.chance(25) {
                out.push('\n');
                words_in_par = 0;
            }
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
        words_in_par += 1;
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

struct Gen {
    rng: Rng,
    seed: u64,
    clock: i64,
    last_id: Option<String>,
}

/// What a case builds beside the common header fields.
struct Parts {
    /// Header fields after the common ones (each ending in `\n`).
    extra_headers: String,
    /// Everything from the blank line on (`None`: header only, no blank line).
    body: Option<Vec<u8>>,
    subject: Option<Vec<u8>>,
    from: Option<Vec<u8>>,
    message_id: bool,
    date: bool,
}

impl Parts {
    fn text(subject: &str, body: String) -> Parts {
        Parts {
            extra_headers:
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n".into(),
            body: Some(body.into_bytes()),
            subject: Some(subject.as_bytes().to_vec()),
            from: None,
            message_id: true,
            date: true,
        }
    }
}

impl Gen {
    fn subject(&mut self) -> String {
        let n = 2 + self.rng.below(6) as usize;
        let mut s = Vec::new();
        for _ in 0..n {
            s.push(*self.rng.pick(&WORDS));
        }
        let prefix = *self.rng.pick(&["", "", "", "Re: ", "Fwd: ", "AW: "]);
        format!("{prefix}{}", s.join(" "))
    }

    fn subject_header(&mut self, s: &str) -> String {
        if s.is_ascii() {
            s.to_string()
        } else if self.rng.chance(50) {
            encode_q(s)
        } else {
            encode_b(s)
        }
    }

    fn attachment_part(&mut self, boundary: &str, size: usize) -> String {
        let mut data = b"%PDF-1.4\n".to_vec();
        data.truncate(size);
        let rest = size - data.len();
        self.rng.fill(&mut data, rest);
        let n = self.rng.below(1000);
        format!(
            "--{boundary}\nContent-Type: application/pdf; name=\"scan{n}.pdf\"\nContent-Disposition: attachment; filename=\"scan{n}.pdf\"\nContent-Transfer-Encoding: base64\n\n{}",
            base64_lines(&data)
        )
    }

    fn multipart_with_attachment(&mut self, subject: &str, text_bytes: usize, att: usize) -> Parts {
        let boundary = format!("=_mixed_{:016x}", self.rng.next());
        let body = text(&mut self.rng, text_bytes);
        let att = self.attachment_part(&boundary, att);
        let body = format!(
            "\nThis is a multi-part message in MIME format.\n--{boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}{att}--{boundary}--\n"
        );
        Parts {
            extra_headers: format!("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\n"),
            body: Some(body.into_bytes()),
            subject: Some(subject.as_bytes().to_vec()),
            from: None,
            message_id: true,
            date: true,
        }
    }

    fn case(&mut self, case: &str, per: usize, spec: &CorpusSpec) -> Parts {
        let subj = self.subject();
        match case {
            "from-lines" => {
                let t = text(&mut self.rng, per.min(2000));
                Parts::text(
                    &format!("{subj} (From lines)"),
                    format!(
                        "\nFrom the start of the body, right after the blank line.\nHello,\n\nFrom the desk of the director: {t}From here on the text continues mid-paragraph,\nFrom which nobody should split a message.\nFrom: not a header, in the body\nFrom \n\nFrom nobody@example.org Thu Jan  1 00:00:00 1970\nlooks exactly like a separator.\n"
                    ),
                )
            }
            "quoted-from-lines" => Parts::text(
                &format!("{subj} (quoted From)"),
                "\nQuoted lines, as an mboxrd reader leaves them after unquoting:\n\n>From the archive, quoted once\n>>From the archive, quoted twice\n>>>From thrice\n>From\n>Fromage is not a From_ line\n >From with a leading space\n\n>From right after a blank line\n".to_string(),
            ),
            "crlf" => {
                let t = text(&mut self.rng, per.min(3000));
                Parts::text(&format!("{subj} (CRLF)"), format!("\n{t}\nFrom a CRLF body line\n>From a quoted one\n"))
            }
            "utf8-header" => {
                let mut p = Parts::text("Grüße aus Köln – 日本語 ☃", "\nRaw UTF-8 in the header (RFC 6532).\n".into());
                p.from = Some("Jörg Weiß <joerg.weiss@example.de>".as_bytes().to_vec());
                p.extra_headers.push_str("To: Élodie Durand <elodie@example.fr>\n");
                p
            }
            "latin1-header" => Parts {
                extra_headers: "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n".into(),
                body: Some(b"\nGr\xfc\xdfe aus M\xfcnchen, \xe0 bient\xf4t.\n".to_vec()),
                subject: Some(b"Gr\xfc\xdfe aus K\xf6ln (raw ISO-8859-1)".to_vec()),
                from: Some(b"J\xf6rg Wei\xdf <joerg.weiss@example.de>".to_vec()),
                message_id: true,
                date: true,
            },
            "shift-jis-header" => Parts {
                extra_headers: "MIME-Version: 1.0\nContent-Type: text/plain; charset=Shift_JIS\nContent-Transfer-Encoding: 8bit\n".into(),
                // 日本語 / こんにちは / 山田太郎 in Shift_JIS.
                body: Some(b"\n\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\x81\x42\n".to_vec()),
                subject: Some(b"\x93\xfa\x96\x7b\x8c\xea (raw Shift_JIS)".to_vec()),
                from: Some(b"\x8e\x52\x93\x63\x91\xbe\x98\x59 <yamada@example.jp>".to_vec()),
                message_id: true,
                date: true,
            },
            "rfc2047" => {
                let mut p = Parts::text("", format!("\n{}", text(&mut self.rng, per.min(1500))));
                p.subject = Some(
                    format!("{}\n =?ISO-8859-1?Q?Gr=FC=DFe?= =?utf-8?q?_und_Tsch=C3=BCss?=", encode_b("Grüße – 日本語 ☃ – a long encoded subject that needs several words"))
                        .into_bytes(),
                );
                p.from = Some(format!("{} <joerg.weiss@example.de>", encode_q("Jörg Weiß")).into_bytes());
                p.extra_headers.push_str(&format!("To: {} <yamada@example.jp>, =?ISO-8859-1?Q?=C9lodie?= <elodie@example.fr>\n", encode_b("山田太郎")));
                p
            }
            "rfc2231-attachment" => {
                let boundary = format!("=_2231_{:016x}", self.rng.next());
                let mut a = Vec::new();
                self.rng.fill(&mut a, 600.min(spec.max_attachment.max(1)));
                let b = base64_lines(&a);
                let body = format!(
                    "\n--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\nTwo attachments with RFC 2231 names.\n\
--{boundary}\nContent-Type: application/octet-stream; name=\"=?UTF-8?Q?=E2=82=AC_rates_=C3=BCbersicht.bin?=\"\n\
Content-Disposition: attachment;\n filename*0*=UTF-8''%E2%82%AC%20rates%20;\n filename*1*=%C3%BCbersicht.bin\nContent-Transfer-Encoding: base64\n\n{b}\
--{boundary}\nContent-Type: text/plain; charset=iso-8859-1\n\
Content-Disposition: attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt\n\n"
                );
                let mut bytes = body.into_bytes();
                bytes.extend_from_slice(b"Gr\xfc\xdfe (ISO-8859-1)\n");
                bytes.extend_from_slice(format!("--{boundary}--\n").as_bytes());
                Parts {
                    extra_headers: format!("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\n"),
                    body: Some(bytes),
                    subject: Some(format!("{subj} (RFC 2231 names)").into_bytes()),
                    from: None,
                    message_id: true,
                    date: true,
                }
            }
            "nested-rfc822" => {
                let b1 = format!("=_outer_{:016x}", self.rng.next());
                let b2 = format!("=_inner_{:016x}", self.rng.next());
                let t = text(&mut self.rng, per.min(1200));
                let date = rfc5322_date(self.clock - 86400, 60);
                let body = format!(
                    "\n--{b1}\nContent-Type: text/plain; charset=utf-8\n\nSee the forwarded message.\n--{b1}\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename=\"forwarded.eml\"\n\n\
From: {inner_from}\nTo: bob@example.com\nSubject: {inner_subj}\nDate: {date}\nMessage-ID: <inner.{n}@example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{b2}\"\n\n\
--{b2}\nContent-Type: text/plain; charset=utf-8\n\n{t}\nFrom inside the forwarded message.\n--{b2}\nContent-Type: message/rfc822\n\n\
From: dave@example.net\nSubject: innermost\nDate: {date}\nMessage-ID: <innermost.{n}@example.org>\n\nThe innermost body.\n>From quoted, innermost.\n--{b2}--\n\n--{b1}--\n",
                    inner_from = encode_q("Anna Müller") + " <anna.mueller@example.org>",
                    inner_subj = encode_b("Weitergeleitet: Übersicht"),
                    n = self.rng.next() % 1_000_000,
                );
                Parts {
                    extra_headers: format!("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{b1}\"\n"),
                    body: Some(body.into_bytes()),
                    subject: Some(format!("Fwd: {subj} (nested)").into_bytes()),
                    from: None,
                    message_id: true,
                    date: true,
                }
            }
            "long-lines" => {
                let mut long = String::new();
                while long.len() < 3000 {
                    let w = self.rng.pick(&WORDS);
                    long.push_str(w.as_ref());
                    long.push(' ');
                }
                let mut refs = String::new();
                for i in 0..40 {
                    refs.push_str(&format!("\n <ref.{i}.{}@example.org>", self.rng.below(1_000_000)));
                }
                let mut p = Parts::text(&format!("{subj} (long lines)"), format!("\n{long}\nshort line\n{}\n", "x".repeat(1200)));
                p.extra_headers.push_str(&format!("X-Long-Header: {}\nReferences:{refs}\n", "y".repeat(1500)));
                p
            }
            "header-only" => Parts { body: None, ..Parts::text(&format!("{subj} (header only)"), String::new()) },
            "zero-body" => Parts { body: Some(b"\n".to_vec()), ..Parts::text(&format!("{subj} (zero body)"), String::new()) },
            "no-message-id" => {
                let t = text(&mut self.rng, per.min(2000));
                Parts { message_id: false, ..Parts::text(&format!("{subj} (no Message-ID)"), format!("\n{t}")) }
            }
            "duplicate-message-id" => {
                let t = text(&mut self.rng, per.min(1000));
                Parts::text(&format!("{subj} (duplicate Message-ID)"), format!("\nThis message reuses the previous Message-ID.\n{t}"))
            }
            "big-attachment" => self.multipart_with_attachment(&format!("{subj} (big attachment)"), 400, spec.max_attachment),
            "status-headers" => {
                let t = text(&mut self.rng, per.min(1500));
                Parts::text(&format!("{subj} (Status headers)"), format!("\n{t}"))
            }
            "html-alternative" => {
                let boundary = format!("=_alt_{:016x}", self.rng.next());
                let t = text(&mut self.rng, per.min(2000));
                let html: String = t.replace('\n', "<br>=\n");
                let body = format!(
                    "\n--{boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{t}--{boundary}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<html><body style=3D\"font-family: sans-serif\"><p>{html}</p></body></html>\n--{boundary}--\n"
                );
                Parts {
                    extra_headers: format!("MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\n"),
                    body: Some(body.into_bytes()),
                    subject: Some(format!("{subj} (HTML)").into_bytes()),
                    from: None,
                    message_id: true,
                    date: true,
                }
            }
            "no-date" => {
                let t = text(&mut self.rng, per.min(1000));
                Parts { date: false, ..Parts::text(&format!("{subj} (no Date)"), format!("\n{t}")) }
            }
            "from-line-last" => Parts::text(&format!("{subj} (From line last)"), "\nThe last line of this body is a From line.\n\nFrom the end\n".into()),
            _ => {
                // Ordinary: text, sometimes with an attachment when the byte
                // budget per message is large.
                let jitter = per / 2 + self.rng.below(per as u64 + 1) as usize;
                let text_bytes = jitter.clamp(80, 24_000);
                if spec.max_attachment > 0 && (jitter > 24_000 || self.rng.chance(4)) {
                    let att = (jitter.saturating_sub(text_bytes) * 3 / 4).clamp(256, spec.max_attachment.max(256)).min(spec.max_attachment);
                    let text_bytes = 200 + self.rng.below(800) as usize;
                    self.multipart_with_attachment(&subj, text_bytes, att)
                } else {
                    let s = if self.rng.chance(15) { format!("{subj} {}", self.rng.pick(&["Grüße", "Übersicht", "日本語", "café"])) } else { subj };
                    Parts::text(&s, format!("\n{}", text(&mut self.rng, text_bytes)))
                }
            }
        }
    }

    fn message(&mut self, i: usize, case: &str, folder: &[&str], per: usize, spec: &CorpusSpec) -> GenMessage {
        self.clock += 60 + self.rng.below(3 * 86400) as i64;
        let received = self.clock;
        let parts = self.case(case, per, spec);

        let mut flags = GenFlags {
            seen: self.rng.chance(70),
            answered: self.rng.chance(15),
            flagged: self.rng.chance(10),
            draft: folder.len() == 1 && folder[0] == "Entwürfe",
            deleted: self.rng.chance(3),
            forwarded: self.rng.chance(5),
        };
        let mut keywords: Vec<String> = Vec::new();
        if self.rng.chance(12) {
            keywords.push(self.rng.pick(&KEYWORDS).to_string());
            if self.rng.chance(30) {
                let k = self.rng.pick(&KEYWORDS).to_string();
                if !keywords.contains(&k) {
                    keywords.push(k);
                }
            }
        }
        let status_headers = case == "status-headers" || (case == "ordinary" && self.rng.chance(25));
        if case == "status-headers" {
            flags = GenFlags { seen: true, answered: true, flagged: true, ..flags };
            keywords = vec!["Work".into(), "$Label1".into()];
        }

        let mut h: Vec<u8> = Vec::new();
        let (name, addr) = *self.rng.pick(&PEOPLE);
        let (rname, raddr) = *self.rng.pick(&PEOPLE);
        h.extend_from_slice(format!("Return-Path: <{addr}>\n").as_bytes());
        h.extend_from_slice(
            format!("Received: from mail.example.org (mail.example.org [192.0.2.{}])\n\tby mx.example.net with ESMTP id {:x};\n\t{}\n", 1 + i % 250, self.rng.next(), rfc5322_date(received, 0))
                .as_bytes(),
        );
        h.extend_from_slice(b"From: ");
        match &parts.from {
            Some(f) => h.extend_from_slice(f),
            None => h.extend_from_slice(name_header(&mut self.rng, name, addr).as_bytes()),
        }
        h.push(b'\n');
        h.extend_from_slice(format!("To: {}\n", name_header(&mut self.rng, rname, raddr)).as_bytes());
        if let Some(s) = &parts.subject {
            h.extend_from_slice(b"Subject: ");
            match std::str::from_utf8(s) {
                Ok(s) if parts.from.is_none() && !s.contains("=?") => {
                    let enc = self.subject_header(s);
                    h.extend_from_slice(enc.as_bytes());
                }
                _ => h.extend_from_slice(s),
            }
            h.push(b'\n');
        }
        if parts.date {
            let zone = *self.rng.pick(&ZONES);
            let sent = received - self.rng.below(7200) as i64;
            h.extend_from_slice(format!("Date: {}\n", rfc5322_date(sent, zone)).as_bytes());
        }
        if parts.message_id {
            let id = match (case, &self.last_id) {
                ("duplicate-message-id", Some(prev)) => prev.clone(),
                _ => format!("gen.{:x}.{i}.{:08x}@example.org", self.seed, self.rng.next() as u32),
            };
            h.extend_from_slice(format!("Message-ID: <{id}>\n").as_bytes());
            self.last_id = Some(id);
        }
        h.extend_from_slice(format!("X-Mailshift-Case: {case}\n").as_bytes());
        h.extend_from_slice(parts.extra_headers.as_bytes());
        if status_headers {
            h.extend_from_slice(if flags.seen { b"Status: RO\n" } else { b"Status: O\n" });
            let mut x = String::new();
            for (on, c) in [(flags.answered, 'A'), (flags.flagged, 'F'), (flags.draft, 'T'), (flags.deleted, 'D')] {
                if on {
                    x.push(c);
                }
            }
            h.extend_from_slice(format!("X-Status: {x}\n").as_bytes());
            if !keywords.is_empty() {
                h.extend_from_slice(format!("X-Keywords: {}\n", keywords.join(" ")).as_bytes());
            }
        }
        if let Some(b) = &parts.body {
            h.extend_from_slice(b);
        }
        let crlf = case == "crlf" || (case == "ordinary" && self.rng.chance(10));
        let raw = if crlf {
            let mut out = Vec::with_capacity(h.len() + h.len() / 30);
            for &b in &h {
                if b == b'\n' {
                    out.push(b'\r');
                }
                out.push(b);
            }
            out
        } else {
            h
        };
        GenMessage { folder: folder.iter().map(|s| s.to_string()).collect(), raw, flags, keywords, received }
    }
}

/// Generates the corpus `spec` describes. Same spec, same output.
pub fn generate(spec: &CorpusSpec) -> Vec<GenMessage> {
    let mut g =
        Gen { rng: Rng(spec.seed ^ 0x6D61_696C_7368_6966), seed: spec.seed, clock: 1_000_000_000, last_id: None };
    let n = spec.messages;
    // Hard case k sits at message k * stride, spread over the corpus.
    let stride = (n / CASES.len()).max(1);
    let mut out = Vec::with_capacity(n);
    let mut produced = 0u64;
    for i in 0..n {
        let case = if i % stride == 0 && i / stride < CASES.len() { CASES[i / stride] } else { "ordinary" };
        let folder: &[&str] =
            if g.rng.chance(50) { FOLDERS[0] } else { FOLDERS[1 + g.rng.below(FOLDERS.len() as u64 - 1) as usize] };
        let left = (n - i) as u64;
        let per = (spec.target_bytes.saturating_sub(produced) / left).clamp(200, 64 << 20) as usize;
        let m = g.message(i, case, folder, per, spec);
        produced += m.raw.len() as u64;
        out.push(m);
    }
    out
}

/// Appends one mboxrd entry: the From_ line, the message with every line
/// matching `^>*From ` given one more `>`, and the separating blank line.
/// (mboxrd: <https://www.loc.gov/preservation/digital/formats/fdd/fdd000385.shtml>.)
fn push_mboxrd(out: &mut Vec<u8>, m: &GenMessage) {
    out.extend_from_slice(format!("From sender@example.org {}\n", asctime(m.received)).as_bytes());
    for line in m.raw.split_inclusive(|&b| b == b'\n') {
        let gts = line.iter().take_while(|&&b| b == b'>').count();
        if line[gts..].starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    if !m.raw.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.push(b'\n');
}

fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.flush()
}

/// Writes every message, in order, into one mboxrd file.
pub fn write_single_mbox(msgs: &[GenMessage], path: &Path) -> io::Result<()> {
    let mut out = Vec::new();
    for m in msgs {
        push_mboxrd(&mut out, m);
    }
    write_file(path, &out)
}

/// The mbox file of a folder in a Thunderbird-style tree under `dir`: the
/// root folder is `Inbox`, folder `[A, B]` is `A.sbd/B`.
pub fn mbox_tree_path(dir: &Path, folder: &[String]) -> PathBuf {
    if folder.is_empty() {
        return dir.join("Inbox");
    }
    let mut p = dir.to_path_buf();
    for (i, part) in folder.iter().enumerate() {
        if i + 1 == folder.len() {
            p.push(part);
        } else {
            p.push(format!("{part}.sbd"));
        }
    }
    p
}

/// Writes a Thunderbird-style tree of mboxrd files under `dir` (created if
/// missing): one file per folder, parents of nested folders included
/// (empty if they hold no message).
pub fn write_mboxrd(msgs: &[GenMessage], dir: &Path) -> io::Result<()> {
    let mut files: BTreeMap<Vec<String>, Vec<u8>> = BTreeMap::new();
    for m in msgs {
        for n in 0..m.folder.len() {
            files.entry(m.folder[..n].to_vec()).or_default();
        }
        push_mboxrd(files.entry(m.folder.clone()).or_default(), m);
    }
    for (folder, bytes) in &files {
        let p = mbox_tree_path(dir, folder);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        write_file(&p, bytes)?;
    }
    Ok(())
}

/// Modified UTF-7 (RFC 3501 5.1.3), as IMAP servers and Maildir++ name
/// folders: printable ASCII as is (`&` as `&-`), the rest as UTF-16 in
/// base64 with `,` for `/`, between `&` and `-`.
pub fn modified_utf7(s: &str) -> String {
    fn flush(out: &mut String, units: &mut Vec<u16>) {
        if units.is_empty() {
            return;
        }
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&base64(&bytes).trim_end_matches('=').replace('/', ","));
        out.push('-');
        units.clear();
    }
    let mut out = String::new();
    let mut units = Vec::new();
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut units);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut units);
    out
}

/// The directory of a folder in a Maildir++ under `dir`: the root is `dir`,
/// folder `[A, B]` is `.A.B` with each name in modified UTF-7.
pub fn maildir_folder_path(dir: &Path, folder: &[String]) -> PathBuf {
    if folder.is_empty() {
        return dir.to_path_buf();
    }
    let names: Vec<String> = folder.iter().map(|n| modified_utf7(n)).collect();
    dir.join(format!(".{}", names.join(".")))
}

/// Writes a Maildir++ under `dir`: messages with flags or keywords in
/// `cur/` with a `:2,` info (flags in ASCII order, keywords as Dovecot's
/// lower-case letters listed in each folder's `dovecot-keywords`), the rest
/// in `new/`. File times are the received times.
pub fn write_maildir(msgs: &[GenMessage], dir: &Path) -> io::Result<()> {
    let mut folders: BTreeMap<Vec<String>, Vec<(usize, &GenMessage)>> = BTreeMap::new();
    folders.entry(Vec::new()).or_default();
    for (i, m) in msgs.iter().enumerate() {
        folders.entry(m.folder.clone()).or_default().push((i, m));
    }
    for (folder, items) in &folders {
        let fdir = maildir_folder_path(dir, folder);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(fdir.join(sub))?;
        }
        if !folder.is_empty() {
            write_file(&fdir.join("maildirfolder"), b"")?;
        }
        let mut kws: Vec<&str> = items.iter().flat_map(|(_, m)| m.keywords.iter().map(String::as_str)).collect();
        kws.sort_unstable();
        kws.dedup();
        kws.truncate(26);
        if !kws.is_empty() {
            let list: String = kws.iter().enumerate().map(|(i, k)| format!("{i} {k}\n")).collect();
            write_file(&fdir.join("dovecot-keywords"), list.as_bytes())?;
        }
        for (i, m) in items {
            let base = format!("{}.M{}P1Q{}.mailshift-gen,S={}", m.received, i, i, m.raw.len());
            let mut letters = m.flags.maildir_letters();
            let mut kl: Vec<char> = m
                .keywords
                .iter()
                .filter_map(|k| kws.iter().position(|x| x == k))
                .map(|p| (b'a' + p as u8) as char)
                .collect();
            kl.sort_unstable();
            letters.extend(kl);
            let path = if letters.is_empty() && !m.flags.seen {
                fdir.join("new").join(&base)
            } else {
                fdir.join("cur").join(format!("{base}:2,{letters}"))
            };
            let mut f = File::create(&path)?;
            f.write_all(&m.raw)?;
            if m.received >= 0 {
                f.set_modified(UNIX_EPOCH + Duration::from_secs(m.received as u64))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_utf7() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(modified_utf7("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(modified_utf7("A&B"), "A&-B");
        assert_eq!(modified_utf7("日本語"), "&ZeVnLIqe-");
        assert_eq!(modified_utf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    }

    #[test]
    fn dates() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(1_700_000_000), "Tue Nov 14 22:13:20 2023");
        assert_eq!(rfc5322_date(1_700_000_000, 60), "Tue, 14 Nov 2023 23:13:20 +0100");
        assert_eq!(rfc5322_date(1_700_000_000, -210), "Tue, 14 Nov 2023 18:43:20 -0330");
        assert_eq!(rfc5322_date(951_782_400, 0), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn mboxrd_quoting() {
        let m = GenMessage {
            folder: vec![],
            raw: b"Subject: x\n\nFrom a\n>From b\n>>From c\n>Fromage\nFrom\n".to_vec(),
            flags: GenFlags::default(),
            keywords: vec![],
            received: 0,
        };
        let mut out = Vec::new();
        push_mboxrd(&mut out, &m);
        assert_eq!(
            out,
            b"From sender@example.org Thu Jan  1 00:00:00 1970\nSubject: x\n\n>From a\n>>From b\n>>>From c\n>Fromage\nFrom\n\n".to_vec()
        );
    }
}
