//! vCard and iCalendar readers: the inverse of [`super::vcard`] and
//! [`super::ical`], and more, since what comes in is whatever a client
//! wrote: vCard 2.1 (RFC 2425's ancestor, as Outlook writes it: bare type
//! parameters, `QUOTED-PRINTABLE` with soft line breaks, `CHARSET=`,
//! `ENCODING=BASE64` photos), 3.0 (RFC 2426) and 4.0 (RFC 6350);
//! iCalendar (RFC 5545) with `VTIMEZONE`, recurrence, overrides, alarms,
//! tasks and journal entries.
//!
//! Three layers: content lines and components (this module: unfolding,
//! parameters with quoting, value decoding, `BEGIN`/`END` nesting), the
//! mappers onto the neutral model ([`vcard`], [`ical`]), and the
//! [`store::PimReader`] that makes `.vcf` / `.ics` files a store.
//!
//! Bad input never panics, never loops and never allocates by a size it
//! states: everything allocated is at most proportional to the bytes
//! read. A component that is not closed is reported ([`ParseProblem`],
//! with its byte offset) and skipped; a line or value that cannot be read
//! is reported and left out of its component, the rest of which is kept.

use std::borrow::Cow;

use crate::model::Severity;

pub mod ical;
pub mod store;
pub mod vcard;

/// Components nested deeper than this are skipped (RFC 5545 needs three:
/// VCALENDAR, VTIMEZONE, STANDARD).
const MAX_DEPTH: usize = 8;

/// Something wrong in the text, found while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseProblem {
    /// How much it matters.
    pub severity: Severity,
    /// Byte offset of the line concerned, in the text given to the parser.
    pub offset: u64,
    /// The structure (`"VCARD"`, `"VEVENT"`, `"content line"`).
    pub structure: String,
    /// What was wrong and what was done about it.
    pub message: String,
}

impl ParseProblem {
    pub(crate) fn damaged(offset: usize, structure: &str, message: impl Into<String>) -> ParseProblem {
        ParseProblem {
            severity: Severity::Damaged,
            offset: offset as u64,
            structure: structure.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn note(offset: usize, structure: &str, message: impl Into<String>) -> ParseProblem {
        ParseProblem { severity: Severity::Note, ..ParseProblem::damaged(offset, structure, message) }
    }
}

/// One parameter of a content line, its name upper-case, its values
/// unquoted (RFC 6868 `^` escapes decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    pub name: String,
    pub values: Vec<String>,
}

/// One content line (property), unfolded and decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prop {
    /// Upper-case, without its group (`item1.EMAIL` is `EMAIL`).
    pub name: String,
    pub params: Vec<Param>,
    /// The value as text: quoted-printable and the charset decoded, TEXT
    /// escapes not yet undone (structured values split on them).
    pub value: String,
    /// Byte offset of the line.
    pub offset: usize,
}

impl Prop {
    /// The first value of parameter `name` (upper-case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|p| p.name == name).and_then(|p| p.values.first()).map(String::as_str)
    }

    /// Every value of every parameter `name`, each comma-separated value
    /// apart (`TYPE=work,voice;TYPE=pref`), lower-case.
    pub fn tokens(&self, name: &str) -> Vec<String> {
        self.params
            .iter()
            .filter(|p| p.name == name)
            .flat_map(|p| p.values.iter())
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// The value as TEXT (RFC 5545 3.3.11, RFC 6350 3.4), unescaped.
    pub fn text(&self) -> String {
        unescape(&self.value)
    }
}

/// A component (`VCARD`, `VEVENT`, `VALARM` ...) with its own properties
/// and its nested components.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Component {
    /// Upper-case.
    pub name: String,
    pub props: Vec<Prop>,
    pub children: Vec<Component>,
    /// Byte offset of its `BEGIN` line.
    pub start: usize,
    /// Byte offset just past its `END` line.
    pub end: usize,
}

impl Component {
    /// The first property called `name` (upper-case).
    pub fn prop(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    /// Every property called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Prop> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    /// The unescaped text of the first property `name`, if not empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.prop(name).map(Prop::text).filter(|s| !s.is_empty())
    }
}

/// One unfolded line and where it was.
struct Logical<'a> {
    bytes: Cow<'a, [u8]>,
    start: usize,
    end: usize,
}

/// Components that never nest inside one another: a `BEGIN` of one of
/// these inside another means the one open was never closed.
fn is_entry_kind(name: &str) -> bool {
    matches!(name, "VCARD" | "VCALENDAR" | "VEVENT" | "VTODO" | "VJOURNAL" | "VTIMEZONE" | "VFREEBUSY")
}

/// Reads a vCard or iCalendar text entry by entry: the top-level `VCARD`s
/// of a vCard file, the components directly inside each `VCALENDAR` of an
/// iCalendar file (and the calendar's own properties, kept apart).
pub(crate) struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    pending: Option<Logical<'a>>,
    /// Inside a `VCALENDAR` (entries are its children).
    in_calendar: bool,
    /// How many `VCALENDAR`s have begun (the current one is this minus 1).
    pub calendars: usize,
    /// Properties of the calendars themselves (`PRODID`, `X-WR-CALNAME`),
    /// with the calendar's number.
    pub calendar_props: Vec<(usize, Prop)>,
    pub problems: Vec<ParseProblem>,
    /// A run of lines outside every component was reported.
    junk_reported: bool,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a [u8]) -> Parser<'a> {
        // A UTF-8 byte-order mark (Windows tools write one).
        let pos = if text.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        Parser {
            text,
            pos,
            pending: None,
            in_calendar: false,
            calendars: 0,
            calendar_props: Vec::new(),
            problems: Vec::new(),
            junk_reported: false,
        }
    }

    /// The next physical line (without its line ending) and the offset
    /// just past it.
    fn physical(&mut self) -> Option<(usize, &'a [u8])> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.text[start..];
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], start + i + 1),
            None => (rest, self.text.len()),
        };
        self.pos = next;
        Some((start, line.strip_suffix(b"\r").unwrap_or(line)))
    }

    /// True if the next physical line continues the current logical one
    /// (starts with a space or tab: RFC 5545 3.1, RFC 6350 3.2).
    fn next_is_fold(&self) -> bool {
        matches!(self.text.get(self.pos), Some(b' ' | b'\t'))
    }

    /// The next logical (unfolded) line, blank lines skipped. A
    /// quoted-printable value ending in `=` continues on the next line
    /// whatever it starts with (vCard 2.1's soft line breaks).
    fn logical(&mut self) -> Option<Logical<'a>> {
        if let Some(l) = self.pending.take() {
            return Some(l);
        }
        loop {
            let (start, first) = self.physical()?;
            if first.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let mut bytes: Cow<'a, [u8]> = Cow::Borrowed(first);
            loop {
                let qp_soft = bytes.ends_with(b"=") && is_quoted_printable(&bytes) && self.pos < self.text.len();
                if qp_soft {
                    let Some((_, next)) = self.physical() else { break };
                    let b = bytes.to_mut();
                    b.pop();
                    b.extend_from_slice(next);
                } else if self.next_is_fold() {
                    let Some((_, next)) = self.physical() else { break };
                    bytes.to_mut().extend_from_slice(&next[1..]);
                } else {
                    break;
                }
            }
            return Some(Logical { bytes, start, end: self.pos });
        }
    }

    /// The next entry: a top-level component, or a component directly
    /// inside a `VCALENDAR`, with the number of its calendar. Entries
    /// that are never closed are reported and skipped.
    pub fn next_entry(&mut self) -> Option<(usize, Component)> {
        loop {
            let line = self.logical()?;
            let head = line_head(&line.bytes);
            match head {
                Head::Begin(name) if name == "VCALENDAR" => {
                    if self.in_calendar {
                        self.problems.push(ParseProblem::damaged(
                            line.start,
                            "VCALENDAR",
                            "a VCALENDAR begins before the one open ends; read as a new calendar",
                        ));
                    }
                    self.in_calendar = true;
                    self.calendars += 1;
                    self.junk_reported = false;
                }
                Head::End(name) if name == "VCALENDAR" => {
                    if !self.in_calendar {
                        self.problems.push(ParseProblem::damaged(
                            line.start,
                            "VCALENDAR",
                            "END:VCALENDAR without BEGIN",
                        ));
                    }
                    self.in_calendar = false;
                }
                Head::Begin(name) => {
                    self.junk_reported = false;
                    if let Some(c) = self.component(name, line.start) {
                        return Some((self.calendars.saturating_sub(1), c));
                    }
                }
                Head::End(name) => {
                    self.problems.push(ParseProblem::damaged(
                        line.start,
                        &name,
                        format!("END:{name} without BEGIN; line ignored"),
                    ));
                }
                Head::Other => {
                    if self.in_calendar {
                        match parse_prop(&line) {
                            Ok(p) => self.calendar_props.push((self.calendars.saturating_sub(1), p)),
                            Err(why) => self.problems.push(ParseProblem::damaged(line.start, "content line", why)),
                        }
                    } else if !self.junk_reported {
                        self.junk_reported = true;
                        self.problems.push(ParseProblem::note(
                            line.start,
                            "content line",
                            "text outside any BEGIN/END component; ignored",
                        ));
                    }
                }
            }
        }
    }

    /// Reads a component whose `BEGIN:{name}` line was at `start`, up to
    /// its `END`. `None` (reported) when it is never closed.
    fn component(&mut self, name: String, start: usize) -> Option<Component> {
        let mut stack = vec![Component { name, start, ..Component::default() }];
        loop {
            let Some(line) = self.logical() else {
                let open = &stack[0];
                self.problems.push(ParseProblem::damaged(
                    open.start,
                    &open.name,
                    format!("BEGIN:{} is never closed (the text ends first); entry skipped", open.name),
                ));
                return None;
            };
            match line_head(&line.bytes) {
                Head::Begin(inner) if is_entry_kind(&inner) || stack.len() >= MAX_DEPTH => {
                    if stack.len() >= MAX_DEPTH && !is_entry_kind(&inner) {
                        self.problems.push(ParseProblem::damaged(
                            line.start,
                            &inner,
                            format!("components nested deeper than {MAX_DEPTH}; {inner} skipped"),
                        ));
                        self.skip(&inner);
                        continue;
                    }
                    let open = &stack[0];
                    self.problems.push(ParseProblem::damaged(
                        open.start,
                        &open.name,
                        format!("BEGIN:{} is not closed before BEGIN:{inner}; entry skipped", open.name),
                    ));
                    self.pending = Some(line);
                    return None;
                }
                Head::Begin(inner) => stack.push(Component { name: inner, start: line.start, ..Component::default() }),
                Head::End(end) if end == "VCALENDAR" && stack[0].name != "VCALENDAR" => {
                    let open = &stack[0];
                    self.problems.push(ParseProblem::damaged(
                        open.start,
                        &open.name,
                        format!("BEGIN:{} is not closed before END:VCALENDAR; entry skipped", open.name),
                    ));
                    self.pending = Some(line);
                    return None;
                }
                Head::End(end) => {
                    let Some(at) = stack.iter().rposition(|c| c.name == end) else {
                        self.problems.push(ParseProblem::damaged(
                            line.start,
                            &end,
                            format!("END:{end} inside {} closes nothing; line ignored", stack[stack.len() - 1].name),
                        ));
                        continue;
                    };
                    // Components opened inside the one closed and never
                    // closed themselves are dropped.
                    while stack.len() > at + 1 {
                        let lost = stack.pop().expect("stack is longer than at + 1");
                        self.problems.push(ParseProblem::damaged(
                            lost.start,
                            &lost.name,
                            format!("BEGIN:{} is not closed before END:{end}; skipped", lost.name),
                        ));
                    }
                    let mut done = stack.pop().expect("at is an index of stack");
                    done.end = line.end;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Some(done),
                    }
                }
                Head::Other => match parse_prop(&line) {
                    Ok(p) => stack.last_mut().expect("stack is never empty here").props.push(p),
                    Err(why) => self.problems.push(ParseProblem::damaged(line.start, "content line", why)),
                },
            }
        }
    }

    /// Skips lines up to the `END` matching a `BEGIN:{name}` just read.
    fn skip(&mut self, name: &str) {
        let mut depth = 1usize;
        while let Some(line) = self.logical() {
            match line_head(&line.bytes) {
                Head::Begin(n) if n == name => depth += 1,
                Head::End(n) if n == name => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }
}

enum Head {
    Begin(String),
    End(String),
    Other,
}

/// Whether a line is `BEGIN:x` / `END:x` (names case-insensitive, the
/// value trimmed and upper-cased).
fn line_head(line: &[u8]) -> Head {
    let Some(colon) = memchr::memchr(b':', line) else { return Head::Other };
    let name = &line[..colon];
    let value = || String::from_utf8_lossy(&line[colon + 1..]).trim().to_ascii_uppercase();
    if name.eq_ignore_ascii_case(b"BEGIN") {
        Head::Begin(value())
    } else if name.eq_ignore_ascii_case(b"END") {
        Head::End(value())
    } else {
        Head::Other
    }
}

/// True if the parameters of a line (before its first `:`) say
/// `QUOTED-PRINTABLE`.
fn is_quoted_printable(line: &[u8]) -> bool {
    let head = match memchr::memchr(b':', line) {
        Some(i) => &line[..i],
        None => line,
    };
    head.windows(16).any(|w| w.eq_ignore_ascii_case(b"QUOTED-PRINTABLE"))
}

/// Splits a content line into name, parameters and value (RFC 5545 3.1,
/// RFC 6350 3.3; vCard 2.1's bare parameters such as `TEL;WORK;VOICE` are
/// `TYPE` values).
fn parse_prop(line: &Logical<'_>) -> Result<Prop, String> {
    let b: &[u8] = &line.bytes;
    let name_end = b.iter().position(|&c| c == b';' || c == b':').ok_or("content line without a ':'; ignored")?;
    let full_name = String::from_utf8_lossy(&b[..name_end]).trim().to_ascii_uppercase();
    let name = match full_name.rfind('.') {
        Some(i) => full_name[i + 1..].to_string(),
        None => full_name,
    };
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_') {
        return Err(format!("content line without a valid name ({:?}); ignored", truncated(&name)));
    }
    let mut params: Vec<Param> = Vec::new();
    let mut i = name_end;
    // Parameters: `;NAME=v1,"v,2"` or a bare `;VALUE`.
    while i < b.len() && b[i] == b';' {
        i += 1;
        let pstart = i;
        while i < b.len() && !matches!(b[i], b'=' | b';' | b':') {
            i += 1;
        }
        let pname = String::from_utf8_lossy(&b[pstart..i]).trim().to_ascii_uppercase();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            let mut values = Vec::new();
            loop {
                let (v, next) = param_value(b, i);
                values.push(v);
                i = next;
                if i < b.len() && b[i] == b',' {
                    i += 1;
                    continue;
                }
                break;
            }
            params.push(Param { name: pname, values });
        } else if !pname.is_empty() {
            // vCard 2.1: `TEL;WORK;PREF`, `PHOTO;JPEG`, `ADR;QUOTED-PRINTABLE`.
            let (n, v) = match pname.as_str() {
                "QUOTED-PRINTABLE" | "BASE64" | "8BIT" | "7BIT" | "B" => ("ENCODING", pname.clone()),
                _ => ("TYPE", pname.clone()),
            };
            params.push(Param { name: n.to_string(), values: vec![v] });
        }
    }
    if i >= b.len() || b[i] != b':' {
        return Err(format!("{name}: no ':' after the parameters; ignored"));
    }
    let raw = &b[i + 1..];
    let mut prop = Prop { name, params, value: String::new(), offset: line.start };
    let encoding = prop.param("ENCODING").map(str::to_ascii_uppercase);
    let charset = prop.param("CHARSET").map(str::to_string);
    prop.value = match encoding.as_deref() {
        Some("QUOTED-PRINTABLE") => decode_text(&quoted_printable(raw), charset.as_deref()),
        _ => decode_text(raw, charset.as_deref()),
    };
    // Decode parameter values in the line's charset too (2.1 names in
    // Windows-1252); they were read as UTF-8 (lossy) above, so only
    // non-UTF-8 lines need it, and those are rare: left as read.
    Ok(prop)
}

/// One parameter value starting at `i`: quoted (`"..."`, which may hold
/// `;`, `:` and `,`) or up to the next `,`, `;` or `:`.
fn param_value(b: &[u8], mut i: usize) -> (String, usize) {
    if i < b.len() && b[i] == b'"' {
        i += 1;
        let start = i;
        while i < b.len() && b[i] != b'"' {
            i += 1;
        }
        let v = caret_decode(&String::from_utf8_lossy(&b[start..i]));
        if i < b.len() {
            i += 1; // the closing quote
        }
        // Junk after the closing quote, up to the next delimiter.
        while i < b.len() && !matches!(b[i], b',' | b';' | b':') {
            i += 1;
        }
        return (v, i);
    }
    let start = i;
    while i < b.len() && !matches!(b[i], b',' | b';' | b':') {
        i += 1;
    }
    (caret_decode(String::from_utf8_lossy(&b[start..i]).trim()), i)
}

/// RFC 6868: `^n` newline, `^'` double quote, `^^` caret.
fn caret_decode(s: &str) -> String {
    if !s.contains('^') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '^' {
            match chars.peek() {
                Some('n') => {
                    chars.next();
                    out.push('\n');
                }
                Some('\'') => {
                    chars.next();
                    out.push('"');
                }
                Some('^') => {
                    chars.next();
                    out.push('^');
                }
                _ => out.push('^'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Quoted-printable (RFC 2045 6.7) as vCard 2.1 uses it; soft line
/// breaks were joined by the unfolding. Malformed escapes are kept as
/// they are.
fn quoted_printable(raw: &[u8]) -> Vec<u8> {
    let hex = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'=' {
            if let (Some(h), Some(l)) = (raw.get(i + 1).and_then(|&c| hex(c)), raw.get(i + 2).and_then(|&c| hex(c))) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// Bytes as text: in the named charset, else UTF-8 when they are UTF-8,
/// else Windows-1252 (what vCard 2.1 files from Windows are without a
/// `CHARSET`).
fn decode_text(raw: &[u8], charset: Option<&str>) -> String {
    if let Some(enc) = charset.and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes())) {
        return enc.decode_without_bom_handling(raw).0.into_owned();
    }
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(raw).0.into_owned(),
    }
}

/// TEXT unescaping: `\n` / `\N` newline, `\\`, `\,`, `\;`, `\:` (some
/// writers escape it); any other backslash is kept.
pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(c @ ('\\' | ',' | ';' | ':' | '"')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a value on unescaped `sep` and unescapes each part (structured
/// values: `N`, `ADR`, `ORG`; lists: `CATEGORIES`).
pub(crate) fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push('\\');
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(unescape(&cur));
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if escaped {
        cur.push('\\');
    }
    parts.push(unescape(&cur));
    parts
}

/// What an entry holds that the model has no place for: the names of its
/// properties that are neither read nor bookkeeping (`DTSTAMP`, `REV`,
/// `PRODID`, Thunderbird's `X-MOZ-GENERATION` ...), and `VALARM` for
/// alarms not read (an event's after the first, a task's). The reader
/// reports them, so that nothing is dropped unsaid.
pub(crate) fn unread(c: &Component) -> Vec<String> {
    const CARD: &[&str] = &[
        "VERSION",
        "UID",
        "FN",
        "N",
        "NICKNAME",
        "EMAIL",
        "TEL",
        "ADR",
        "ORG",
        "TITLE",
        "BDAY",
        "ANNIVERSARY",
        "X-ANNIVERSARY",
        "X-MS-ANNIVERSARY",
        "X-EVOLUTION-ANNIVERSARY",
        "URL",
        "IMPP",
        "X-MS-IMADDRESS",
        "PHOTO",
        "NOTE",
        "CATEGORIES",
        "KIND",
        "X-ADDRESSBOOKSERVER-KIND",
        "MEMBER",
        "X-ADDRESSBOOKSERVER-MEMBER",
        "X-MS-OL-DEFAULT-POSTAL-ADDRESS",
        // Bookkeeping, and LABEL: the printable form of an ADR.
        "PRODID",
        "REV",
        "LABEL",
        "X-MS-OL-DESIGN",
        "X-MOZILLA-HTML",
        "SOURCE",
        "NAME",
        "PROFILE",
        "MAILER",
    ];
    const EVENT: &[&str] = &[
        "UID",
        "SUMMARY",
        "LOCATION",
        "DESCRIPTION",
        "DTSTART",
        "DTEND",
        "DURATION",
        "ORGANIZER",
        "ATTENDEE",
        "X-MICROSOFT-CDO-BUSYSTATUS",
        "TRANSP",
        "CATEGORIES",
        "CLASS",
        "RRULE",
        "EXDATE",
        "RDATE",
        "RECURRENCE-ID",
        "SEQUENCE",
        "CREATED",
        "LAST-MODIFIED",
    ];
    const TASK: &[&str] = &[
        "UID",
        "SUMMARY",
        "DESCRIPTION",
        "DTSTART",
        "DUE",
        "DURATION",
        "COMPLETED",
        "STATUS",
        "PERCENT-COMPLETE",
        "PRIORITY",
        "CATEGORIES",
        "CLASS",
        "RRULE",
        "CREATED",
        "LAST-MODIFIED",
    ];
    const JOURNAL: &[&str] = &["UID", "SUMMARY", "DESCRIPTION", "DTSTART", "CATEGORIES", "CREATED", "LAST-MODIFIED"];
    const BOOKKEEPING: &[&str] = &[
        "DTSTAMP",
        "SEQUENCE",
        "X-MOZ-GENERATION",
        "X-MOZ-LASTACK",
        "X-MOZ-SEND-INVITATIONS",
        "X-MOZ-SEND-INVITATIONS-UNDISCLOSED",
        "X-MICROSOFT-CDO-OWNERAPPTID",
        "X-MICROSOFT-CDO-ALLDAYEVENT",
        "X-MICROSOFT-CDO-APPT-SEQUENCE",
        "X-MICROSOFT-DISALLOW-COUNTER",
    ];
    let known: &[&str] = match c.name.as_str() {
        "VCARD" => CARD,
        "VEVENT" => EVENT,
        "VTODO" => TASK,
        "VJOURNAL" => JOURNAL,
        _ => return Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for p in &c.props {
        let n = p.name.as_str();
        // An event's STATUS:CONFIRMED is what an event is anyway.
        let confirmed = n == "STATUS" && c.name == "VEVENT" && p.value.trim().eq_ignore_ascii_case("CONFIRMED");
        // Empty values lose nothing.
        if known.contains(&n) || BOOKKEEPING.contains(&n) || confirmed || p.value.trim().is_empty() {
            continue;
        }
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    let alarms = c.children.iter().filter(|a| a.name == "VALARM").count();
    let read = usize::from(c.name == "VEVENT");
    if alarms > read {
        out.push("VALARM".into());
    }
    out
}

/// A UID for a component that has none, from its text: the same for the
/// same entry whatever its line endings, and whether or not the file ends
/// right after it.
pub(crate) fn derived_uid(namespace: &str, raw: &[u8]) -> String {
    let text: Vec<u8> = raw.iter().copied().filter(|&b| b != b'\r').collect();
    let end = text.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
    crate::pim::stable_uid(namespace, &text[..end])
}

/// At most 40 characters of `s`, for messages.
fn truncated(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Base64 (RFC 4648), whitespace ignored, padding optional, the URL-safe
/// alphabet accepted. `None` for any other byte.
pub(crate) fn unbase64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s.as_bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            break;
        }
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> (Vec<Component>, Vec<ParseProblem>) {
        let mut p = Parser::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some((_, c)) = p.next_entry() {
            out.push(c);
        }
        (out, p.problems)
    }

    #[test]
    fn unfolds_and_splits_parameters() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nitem1.EMAIL;TYPE=INTERNET;TYPE=\"work,pref\";X-CN=\"Smith, J\":j@\r\n example.org\r\nN:A\\;b;C\nEND:VCARD\n";
        let (c, probs) = entries(text);
        assert!(probs.is_empty(), "{probs:?}");
        assert_eq!(c.len(), 1);
        let e = c[0].prop("EMAIL").unwrap();
        assert_eq!(e.value, "j@example.org");
        assert_eq!(e.tokens("TYPE"), ["internet", "work", "pref"]);
        assert_eq!(e.param("X-CN"), Some("Smith, J"));
        assert_eq!(split_unescaped(&c[0].prop("N").unwrap().value, ';'), ["A;b", "C"]);
    }

    #[test]
    fn vcard21_quoted_printable_soft_breaks_and_charset() {
        let text = "BEGIN:VCARD\r\nVERSION:2.1\r\nADR;WORK;ENCODING=QUOTED-PRINTABLE;CHARSET=Windows-1252:;;Stra=DFe 1=0D=0A=\r\nHof 2;Berlin\r\nNOTE;QUOTED-PRINTABLE;CHARSET=UTF-8:J=C3=BCrgen\r\nEND:VCARD\r\n";
        let (c, probs) = entries(text);
        assert!(probs.is_empty(), "{probs:?}");
        let adr = c[0].prop("ADR").unwrap();
        assert_eq!(adr.value, ";;Straße 1\r\nHof 2;Berlin");
        assert_eq!(adr.tokens("TYPE"), ["work"]);
        assert_eq!(c[0].prop("NOTE").unwrap().value, "Jürgen");
    }

    #[test]
    fn unclosed_entries_are_reported_and_skipped() {
        let text = "BEGIN:VCARD\nFN:a\nBEGIN:VCARD\nFN:b\nEND:VCARD\nBEGIN:VCARD\nFN:c\n";
        let (c, probs) = entries(text);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].text("FN").as_deref(), Some("b"));
        assert_eq!(probs.len(), 2, "{probs:?}");
        assert_eq!(probs[0].offset, 0);
        assert_eq!(probs[1].offset, 44);
    }

    #[test]
    fn calendar_children_are_entries() {
        let text = "BEGIN:VCALENDAR\nPRODID:x\nBEGIN:VEVENT\nUID:1\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\nBEGIN:VTODO\nUID:2\nEND:VCALENDAR\n";
        let mut p = Parser::new(text.as_bytes());
        let first = p.next_entry().unwrap().1;
        assert_eq!(first.name, "VEVENT");
        assert_eq!(first.children[0].name, "VALARM");
        assert_eq!(
            &text[first.start..first.end],
            "BEGIN:VEVENT\nUID:1\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\n"
        );
        assert!(p.next_entry().is_none());
        assert_eq!(p.problems.len(), 1, "the VTODO is not closed");
        assert_eq!(p.calendar_props[0].1.value, "x");
    }

    #[test]
    fn base64_and_escapes() {
        assert_eq!(unbase64("Zm9v\r\n  YmFy").unwrap(), b"foobar");
        assert_eq!(unbase64("Zg").unwrap(), b"f");
        assert!(unbase64("Zm9v*").is_none());
        assert_eq!(unescape("a\\nb\\,c\\\\d\\x"), "a\nb,c\\d\\x");
        assert_eq!(caret_decode("a^nb^'c^^"), "a\nb\"c^");
    }
}
