//! RFC 5322 / MIME -> MAPI message, the inbound direction of [MS-OXCMAIL]
//! (the inverse of [`super::build`]).
//!
//! [`message`] parses a [`MailItem`]'s bytes with mail-parser and lays the
//! result out as Outlook would store the message it received:
//!
//! - **Envelope.** The header block verbatim as
//!   PidTagTransportMessageHeaders; Subject with its prefix and normalized
//!   subject ([MS-OXCMSG] 2.2.1.46); Date as PidTagClientSubmitTime, the
//!   store's received time (else the first Received field's date, else
//!   Date) as PidTagMessageDeliveryTime; From as the sent-representing
//!   identity and Sender (else From) as the sender, each with its name,
//!   address type `SMTP`, address, search key and one-off entry id
//!   ([MS-OXCDATA] 2.2.5.1); Reply-To as PidTagReplyRecipientEntries and
//!   names; To / Cc / Bcc as recipient rows and PidTagDisplayTo/Cc/Bcc;
//!   Message-ID, In-Reply-To, References; Importance / X-Priority,
//!   Priority, Sensitivity ([MS-OXCMAIL] 2.2.3.2.10-11).
//! - **Threads.** PidTagConversationTopic from Thread-Topic (else the
//!   normalized subject), PidTagConversationIndex from Thread-Index, else
//!   synthesized ([MS-OXOMSG] 2.2.1.3: a 22-byte header from the date and a
//!   GUID hashed from the thread's first Message-ID, one 5-byte child block
//!   per References level), so that Outlook groups and orders a thread
//!   made by any client.
//! - **Bodies.** The first text/plain body as PidTagBody, the first
//!   text/html one as PidTagHtml, both decoded from their charsets; the
//!   HTML is stored in its own charset's code page where encoding_rs can
//!   write it (PidTagInternetCodepage says which), else as UTF-8.
//! - **Attachments.** Every other leaf part by value, with long and 8.3
//!   file names, extension, MIME type, Content-ID / Content-Location,
//!   rendering position -1, and parts the HTML shows (`cid:`) hidden and
//!   marked rendered in body; message/rfc822 parts as embedded messages,
//!   converted the same way, [`MAX_DEPTH`] levels deep (deeper ones are
//!   kept whole, as `.eml` bytes). PidTagAttachSize is the writer's to
//!   derive.
//! - **S/MIME** ([MS-OXOSMIME] 2.1): multipart/signed becomes
//!   `IPM.Note.SMIME.MultipartSigned` with the bodies of its signed part and
//!   the whole signed entity as its one attachment (`SMIME.p7m`,
//!   multipart/signed); application/pkcs7-mime becomes `IPM.Note.SMIME`
//!   without a body, the CMS bytes as `smime.p7m`.
//! - **State** from the store beside the bytes: read and draft as
//!   PidTagMessageFlags (mfRead, mfUnsent), flagged as PidTagFlagStatus
//!   and PidTagFollowupIcon, answered / forwarded as PidTagLastVerbExecuted
//!   and PidTagIconIndex, keywords as PidNameKeywords (Outlook's
//!   categories); some X- fields Outlook can show as named properties of
//!   PS_INTERNET_HEADERS.
//!
//! A message mail-parser cannot read at all becomes a note that says so,
//! its bytes attached as `message.eml`, and the report counts it as a loss.
//! Nothing here panics on bad input or allocates by a size the input
//! claims; work per message is linear in its size, and no lock is taken.
//!
//! [MS-OXCMAIL]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcmail/
//! [MS-OXOSMIME]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxosmime/

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::sync::OnceLock;

use mail_parser::{Address, HeaderName, MessageParser, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::mapi::inbound::Converted;
use crate::mapi::tags;
use crate::mapi::{AttachContent, Attachment, Message, NamedId, PropBag, PropValue};
use crate::model::{Flags, MailItem};

/// How many levels of message/rfc822 parts become embedded messages (the
/// PST writer stores 8); a part deeper than that is kept as its bytes.
pub const MAX_DEPTH: usize = 8;

/// Header fields above this many are not looked at for X- properties.
const MAX_X_FIELDS: usize = 256;

/// The X- fields kept as PS_INTERNET_HEADERS named properties: the ones
/// Outlook can show (the field chooser's "Internet headers" columns, the
/// X-Message-Flag info bar). A fixed list, so that a store's name-to-id
/// map (32,767 names at most) cannot be filled by the fields of a million
/// messages.
const X_FIELDS: [&str; 12] = [
    "x-mailer",
    "x-message-flag",
    "x-originating-ip",
    "x-priority",
    "x-msmail-priority",
    "x-mimeole",
    "x-spam-flag",
    "x-spam-status",
    "x-spam-score",
    "x-spam-level",
    "x-original-to",
    "x-user-agent",
];

/// PidTagMessageFlags bits ([MS-OXCMSG] 2.2.1.6).
const MF_READ: i32 = 0x01;
const MF_UNSENT: i32 = 0x08;

fn parser() -> &'static MessageParser {
    static P: OnceLock<MessageParser> = OnceLock::new();
    P.get_or_init(MessageParser::default)
}

/// `mail` as a MAPI message (IPM.Note and its S/MIME classes). Never
/// fails: a message that cannot be parsed is written as a note holding
/// its bytes, and the loss is in [`Converted::lost`].
pub fn message(mail: &MailItem<'_>) -> Converted {
    let mut c = Converted::default();
    let raw: &[u8] = &mail.raw;
    // mail-parser is asked in a guard: one of its internal checks (a
    // `debug_assert!` on malformed multipart nesting, found by the
    // mail_to_mapi fuzz target) panics in debug builds, and a message it
    // cannot handle must not end the run in any build. (Our own code runs
    // outside the guard, so that the fuzz target still sees its panics.)
    let parsed = if raw.iter().all(|b| b.is_ascii_whitespace()) {
        None
    } else {
        std::panic::catch_unwind(|| parser().parse(raw)).ok().flatten()
    };
    let mut m = match parsed {
        Some(mut p) => {
            let mut ctx = Ctx { notes: &mut c.not_kept, lost: &mut c.lost };
            convert(&mut p, 0, &mut ctx)
        }
        None => unparsed(raw, &mut c.lost),
    };
    state(mail, &mut m.props, &mut c.not_kept);
    // Outlook sets a search key on every message; ours derives from the
    // bytes, so a second import of the same message has the same one.
    let mut h = Sha256::new();
    h.update(b"mailshift message search key\0");
    h.update(&mail.raw[..]);
    m.props.tagged.insert(tags::SEARCH_KEY, bin(h.finalize()[..16].to_vec()));
    c.message = m;
    c
}

/// What a conversion notes as it goes.
struct Ctx<'n> {
    notes: &'n mut Vec<String>,
    lost: &'n mut Vec<String>,
}

fn uni(s: impl Into<String>) -> PropValue<'static> {
    PropValue::Unicode(s.into())
}

fn bin(b: Vec<u8>) -> PropValue<'static> {
    PropValue::Binary(Cow::Owned(b))
}

/// Unix seconds as FILETIME.
fn filetime(t: i64) -> PropValue<'static> {
    PropValue::Time(t.saturating_add(11_644_473_600).saturating_mul(10_000_000))
}

/// A message that could not be parsed: a note that says so, with the bytes.
fn unparsed(raw: &[u8], lost: &mut Vec<String>) -> Message {
    lost.push("the message could not be parsed as RFC 5322; written as a note with its bytes attached".into());
    let mut m = Message::default();
    let p = &mut m.props.tagged;
    p.insert(tags::MESSAGE_CLASS, uni("IPM.Note"));
    p.insert(tags::SUBJECT, uni("(message mailshift could not read)"));
    p.insert(tags::NORMALIZED_SUBJECT, uni("(message mailshift could not read)"));
    p.insert(
        tags::BODY,
        uni(format!(
            "mailshift could not read this message as RFC 5322 / MIME. Its {} bytes are attached as message.eml, unchanged.",
            raw.len()
        )),
    );
    m.attachments.push(by_value(raw.to_vec(), Some("message.eml"), "application/octet-stream"));
    m
}

/// An attachment by value with the usual properties.
fn by_value(data: Vec<u8>, name: Option<&str>, mime: &str) -> Attachment {
    let mut a = PropBag::default();
    a.tagged.insert(tags::ATTACH_METHOD, PropValue::I32(1));
    a.tagged.insert(tags::RENDERING_POSITION, PropValue::I32(-1));
    a.tagged.insert(tags::ATTACH_MIME_TAG, uni(mime));
    if let Some(n) = name.filter(|n| !n.is_empty()) {
        names(&mut a, n);
    }
    Attachment { props: a, content: AttachContent::Bytes(data) }
}

/// Long name, 8.3 name, extension and display name ([MS-OXCMSG] 2.2.2.x).
fn names(a: &mut PropBag, name: &str) {
    a.tagged.insert(tags::ATTACH_LONG_FILENAME, uni(name));
    a.tagged.insert(tags::DISPLAY_NAME, uni(name));
    a.tagged.insert(tags::ATTACH_FILENAME, uni(short_name(name)));
    if let Some((_, ext)) = name.rsplit_once('.').filter(|(b, e)| !b.is_empty() && !e.is_empty() && e.len() <= 16) {
        a.tagged.insert(tags::ATTACH_EXTENSION, uni(format!(".{ext}")));
    }
}

/// An 8.3 name as Windows derives one: upper case, characters outside the
/// short-name set as `_`, a base longer than 8 (or altered) cut to six and
/// `~1`.
pub fn short_name(name: &str) -> String {
    let (base, ext) = match name.rsplit_once('.') {
        Some((b, e)) if !b.is_empty() => (b, e),
        _ => (name, ""),
    };
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != ' ' && *c != '.')
            .map(|c| {
                let c = c.to_ascii_uppercase();
                if c.is_ascii_alphanumeric() || "!#$%&'()-@^_`{}~".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let b = clean(base);
    let e: String = clean(ext).chars().take(3).collect();
    let altered = b.chars().count() > 8 || b != base.to_ascii_uppercase() || ext.chars().count() > 3;
    let b = if altered { format!("{}~1", b.chars().take(6).collect::<String>()) } else { b };
    let b = if b.is_empty() { "ATTACH".to_string() } else { b };
    if e.is_empty() {
        b
    } else {
        format!("{b}.{e}")
    }
}

/// The header block of a message: every byte before the body, verbatim,
/// and whether it had to be transcoded. UTF-8 where it is (RFC 6532);
/// else in the charset of the message's Content-Type or of its first text
/// part (an ASCII-compatible one: what the sender's client wrote 8-bit
/// headers in), else Windows-1252.
fn header_text(p: &mail_parser::Message<'_>, raw: &[u8], root: &MessagePart<'_>) -> (String, bool) {
    let start = (root.offset_header as usize).min(raw.len());
    let end = (root.offset_body as usize).clamp(start, raw.len());
    let h = &raw[start..end];
    if let Ok(s) = std::str::from_utf8(h) {
        return (s.to_string(), false);
    }
    let declared = std::iter::once(root)
        .chain(p.text_body.iter().chain(&p.html_body).filter_map(|&i| p.parts.get(i as usize)))
        .find_map(|part| part.content_type().and_then(|c| c.attribute("charset")))
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .filter(|e| e.is_ascii_compatible() && *e != encoding_rs::UTF_8);
    let enc = declared.unwrap_or(encoding_rs::WINDOWS_1252);
    (enc.decode_without_bom_handling(h).0.into_owned(), true)
}

/// The raw text of the first header field `name` of `part`, unfolded.
fn raw_field(raw: &[u8], part: &MessagePart<'_>, name: &str) -> Option<String> {
    let h = part.headers.iter().find(|h| h.name.as_str().eq_ignore_ascii_case(name))?;
    let (s, e) = (h.offset_start as usize, h.offset_end as usize);
    let v = raw.get(s..e.max(s))?;
    let text = String::from_utf8_lossy(v);
    let unfolded: String =
        text.split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    Some(unfolded).filter(|s| !s.is_empty())
}

/// Converts one parsed message (the top level, or an embedded one at
/// `depth`). Decoded bodies and attachments are moved out of `p`, not
/// copied.
fn convert(p: &mut mail_parser::Message<'_>, depth: usize, ctx: &mut Ctx<'_>) -> Message {
    let mut m = Message::default();
    let raw: &[u8] = p.raw_message.as_ref();
    let Some(root) = p.parts.first() else {
        return unparsed(raw, ctx.lost);
    };
    // A header block that is not UTF-8 is read in the charset the message
    // declares (else Windows-1252), and its fields from that text, so that
    // 8-bit names and subjects are the same in every property.
    let (headers, transcoded) = header_text(p, raw, root);
    let hparsed = if transcoded { parser().parse_headers(headers.as_bytes()) } else { None };
    let h: &mail_parser::Message<'_> = hparsed.as_ref().unwrap_or(&*p);
    let hraw: &[u8] = h.raw_message.as_ref();
    let Some(hroot) = h.parts.first() else {
        return unparsed(raw, ctx.lost);
    };
    let props = &mut m.props;
    if !headers.trim().is_empty() {
        props.tagged.insert(tags::TRANSPORT_MESSAGE_HEADERS, uni(headers.clone()));
    }

    // Subject, prefix and normalized subject ([MS-OXCMSG] 2.2.1.46).
    let subject = h.subject().map(|s| s.trim_matches(['\r', '\n']).to_string()).unwrap_or_default();
    let (prefix, normalized) = split_subject(&subject);
    props.tagged.insert(tags::SUBJECT, uni(subject.clone()));
    props.tagged.insert(tags::SUBJECT_PREFIX, uni(prefix));
    props.tagged.insert(tags::NORMALIZED_SUBJECT, uni(normalized.clone()));
    let topic = hroot
        .headers
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case("Thread-Topic"))
        .and_then(|h| h.value.as_text().map(str::to_string))
        .or_else(|| raw_field(hraw, hroot, "Thread-Topic"))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| normalized.clone());
    props.tagged.insert(tags::CONVERSATION_TOPIC, uni(topic));

    // Dates.
    let date = h.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp());
    let received = p
        .header_values(HeaderName::Received)
        .find_map(|v| v.as_received().and_then(|r| r.date).filter(|d| d.is_valid()).map(|d| d.to_timestamp()));
    if let Some(d) = date {
        props.tagged.insert(tags::CLIENT_SUBMIT_TIME, filetime(d));
    }
    if let Some(t) = received.or(date) {
        props.tagged.insert(tags::MESSAGE_DELIVERY_TIME, filetime(t));
        props.tagged.insert(tags::CREATION_TIME, filetime(t));
        props.tagged.insert(tags::LAST_MODIFICATION_TIME, filetime(t));
    }

    // From / Sender ([MS-OXCMAIL] 2.2.3.2.1, 2.2.3.2.3).
    let from = first_addr(h.from());
    let sender = first_addr(h.sender()).or_else(|| from.clone());
    if let Some(a) = &from {
        identity(props, a, Who::Representing);
    }
    if let Some(a) = &sender {
        identity(props, a, Who::Sender);
    }
    let reply_to = addrs(h.reply_to());
    if !reply_to.is_empty() {
        let entries: Vec<Vec<u8>> = reply_to.iter().map(one_off).collect();
        props.tagged.insert(tags::REPLY_RECIPIENT_ENTRIES, bin(flat_entry_list(&entries)));
        props
            .tagged
            .insert(tags::REPLY_RECIPIENT_NAMES, uni(reply_to.iter().map(Addr::shown).collect::<Vec<_>>().join("; ")));
    }

    // Recipients ([MS-OXCMAIL] 2.2.3.2.4) and the display lists.
    for (kind, name, display) in [
        (1, HeaderName::To, tags::DISPLAY_TO),
        (2, HeaderName::Cc, tags::DISPLAY_CC),
        (3, HeaderName::Bcc, tags::DISPLAY_BCC),
    ] {
        let mut list = Vec::new();
        for v in h.header_values(name) {
            list.extend(addrs(v.as_address()));
        }
        props.tagged.insert(display, uni(list.iter().map(Addr::shown).collect::<Vec<_>>().join("; ")));
        for a in list {
            m.recipients.push(recipient(&a, kind));
        }
    }
    let props = &mut m.props;

    // Identifiers ([MS-OXCMAIL] 2.2.3.2.5-7).
    let message_id = h.message_id().map(|id| format!("<{}>", id.trim_matches(['<', '>'])));
    if let Some(id) = &message_id {
        props.tagged.insert(tags::INTERNET_MESSAGE_ID, uni(id.clone()));
    }
    let in_reply_to = raw_field(hraw, hroot, "In-Reply-To");
    if let Some(v) = &in_reply_to {
        props.tagged.insert(tags::IN_REPLY_TO_ID, uni(v.clone()));
    }
    let references = raw_field(hraw, hroot, "References");
    if let Some(v) = &references {
        props.tagged.insert(tags::INTERNET_REFERENCES, uni(v.clone()));
    }
    let index = raw_field(hraw, hroot, "Thread-Index")
        .and_then(|t| base64_decode(t.as_bytes()))
        .filter(|b| b.len() >= 22 && (b.len() - 22) % 5 == 0 && b[0] == 0x01)
        .unwrap_or_else(|| {
            conversation_index(date.or(received), message_id.as_deref(), in_reply_to.as_deref(), references.as_deref())
        });
    props.tagged.insert(tags::CONVERSATION_INDEX, bin(index));

    // Importance, priority, sensitivity ([MS-OXCMAIL] 2.2.3.2.10-11).
    let text_of = |n: &str| raw_field(hraw, hroot, n).map(|v| v.to_ascii_lowercase());
    let importance = match text_of("Importance").as_deref() {
        Some("low") => Some(0),
        Some("normal") => Some(1),
        Some("high") => Some(2),
        _ => match text_of("X-Priority").as_deref().and_then(|v| v.trim().chars().next()) {
            Some('1' | '2') => Some(2),
            Some('3') => Some(1),
            Some('4' | '5') => Some(0),
            _ => None,
        },
    };
    props.tagged.insert(tags::IMPORTANCE, PropValue::I32(importance.unwrap_or(1)));
    let priority = match text_of("Priority").as_deref() {
        Some("urgent") => 1,
        Some("non-urgent") => -1,
        _ => 0,
    };
    props.tagged.insert(tags::PRIORITY, PropValue::I32(priority));
    let sensitivity = match text_of("Sensitivity").as_deref() {
        Some("personal") => 1,
        Some("private") => 2,
        Some("company-confidential") => 3,
        _ => 0,
    };
    props.tagged.insert(tags::SENSITIVITY, PropValue::I32(sensitivity));

    // X- fields Outlook can show.
    for h in h.headers().iter().take(MAX_X_FIELDS) {
        let n = h.name.as_str().to_ascii_lowercase();
        if !X_FIELDS.contains(&n.as_str()) {
            continue;
        }
        let id = NamedId::Name(tags::PS_INTERNET_HEADERS, n);
        if m.props.named.contains_key(&id) {
            continue;
        }
        let v = raw_field(hraw, hroot, h.name.as_str()).unwrap_or_default();
        m.props.named.insert(id, uni(v));
    }

    // Class, bodies and attachments.
    let ct = root.content_type();
    let is = |t: &str, s: &str| {
        ct.is_some_and(|c| c.ctype().eq_ignore_ascii_case(t) && c.subtype().is_some_and(|x| x.eq_ignore_ascii_case(s)))
    };
    let signed = is("multipart", "signed");
    let enveloped = is("application", "pkcs7-mime") || is("application", "x-pkcs7-mime");
    let class = if signed {
        "IPM.Note.SMIME.MultipartSigned"
    } else if enveloped {
        "IPM.Note.SMIME"
    } else {
        "IPM.Note"
    };
    m.props.tagged.insert(tags::MESSAGE_CLASS, uni(class));
    // [MS-OXOSMIME] 2.1.1: the signed entity whole, with its Content-Type,
    // is the message's one attachment.
    let signed_entity = signed.then(|| {
        let ctv = raw_field(raw, root, "Content-Type").unwrap_or_else(|| "multipart/signed".into());
        let s = (root.offset_body as usize).min(raw.len());
        let e = (root.offset_end as usize).clamp(s, raw.len());
        let mut data = format!("Content-Type: {ctv}\r\n\r\n").into_bytes();
        data.extend_from_slice(&raw[s..e]);
        data
    });
    m.props.tagged.insert(tags::MESSAGE_FLAGS, PropValue::I32(0));

    let (plain, html) = if enveloped { (None, None) } else { bodies(&*p) };
    let mut html_text = None;
    if let Some(i) = plain {
        if let Some(PartType::Text(t)) = p.parts.get_mut(i).map(|x| &mut x.body) {
            m.props.tagged.insert(tags::BODY, uni(std::mem::take(t).into_owned()));
        }
    }
    if let Some(i) = html {
        if let Some(part) = p.parts.get(i) {
            if let PartType::Html(t) = &part.body {
                let (bytes, cp) = html_in_charset(t, part.content_type().and_then(|c| c.attribute("charset")));
                m.props.tagged.insert(tags::HTML, bin(bytes));
                m.props.tagged.insert(tags::INTERNET_CODEPAGE, PropValue::I32(cp));
                html_text = Some(t.to_ascii_lowercase());
            }
        }
    }
    m.props.tagged.entry(tags::INTERNET_CODEPAGE).or_insert_with(|| {
        let cs = plain.and_then(|i| p.parts.get(i)).and_then(|x| x.content_type()).and_then(|c| c.attribute("charset"));
        let cp = cs.and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes())).and_then(codepage_of);
        PropValue::I32(cp.unwrap_or(65001))
    });
    // PidTagNativeBody ([MS-OXCMSG] 2.2.1.49.1): 1 plain, 3 HTML.
    if html.is_some() {
        m.props.tagged.insert(tags::NATIVE_BODY, PropValue::I32(3));
    } else if plain.is_some() {
        m.props.tagged.insert(tags::NATIVE_BODY, PropValue::I32(1));
    }

    if let Some(data) = signed_entity {
        m.attachments.push(by_value(data, Some("SMIME.p7m"), "multipart/signed"));
        return m;
    }
    for (i, part) in p.parts.iter_mut().enumerate() {
        if Some(i) == plain || Some(i) == html || matches!(part.body, PartType::Multipart(_)) {
            continue;
        }
        if i == 0 && !enveloped && part.is_text() && part.is_empty() {
            continue;
        }
        if let Some(a) = attachment(raw, part, html_text.as_deref(), depth, ctx) {
            m.attachments.push(a);
        }
    }
    if enveloped {
        for a in &mut m.attachments {
            if a.props.str(tags::ATTACH_LONG_FILENAME).is_none() {
                names(&mut a.props, "smime.p7m");
            }
        }
    }
    m
}

/// The body parts: the first text/plain and the first text/html of
/// mail-parser's body lists (which also list an HTML body as text, and the
/// reverse, when a message has one form only).
fn bodies(p: &mail_parser::Message<'_>) -> (Option<usize>, Option<usize>) {
    let pick = |ids: &[u32], html: bool| {
        ids.iter().map(|&i| i as usize).find(|&i| {
            p.parts.get(i).is_some_and(|x| {
                if html {
                    matches!(x.body, PartType::Html(_))
                } else {
                    matches!(x.body, PartType::Text(_))
                }
            })
        })
    };
    (pick(&p.text_body, false), pick(&p.html_body, true))
}

/// One leaf part as an attachment.
fn attachment(
    raw: &[u8],
    part: &mut MessagePart<'_>,
    html_lower: Option<&str>,
    depth: usize,
    ctx: &mut Ctx<'_>,
) -> Option<Attachment> {
    let ct = part.content_type();
    let mime = ct
        .map(|c| match c.subtype() {
            Some(s) => format!("{}/{}", c.ctype(), s),
            None => c.ctype().to_string(),
        })
        .unwrap_or_else(|| "text/plain".into())
        .to_ascii_lowercase();
    let name = part.attachment_name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let cid = part.content_id().map(|c| c.trim().trim_start_matches('<').trim_end_matches('>').to_string());
    let location = part.content_location().map(|l| l.trim().to_string()).filter(|l| !l.is_empty());
    let body = {
        let s = (part.offset_body as usize).min(raw.len());
        let e = (part.offset_end as usize).clamp(s, raw.len());
        &raw[s..e]
    };
    let encoding = part.encoding;

    let mut a = match &mut part.body {
        PartType::Message(inner) if depth < MAX_DEPTH => {
            let msg = convert(inner, depth + 1, ctx);
            let mut props = PropBag::default();
            props.tagged.insert(tags::ATTACH_METHOD, PropValue::I32(5));
            props.tagged.insert(tags::RENDERING_POSITION, PropValue::I32(-1));
            props.tagged.insert(tags::ATTACH_MIME_TAG, uni("message/rfc822"));
            let shown = name.clone().or_else(|| msg.props.str(tags::SUBJECT).map(str::to_string)).unwrap_or_default();
            props.tagged.insert(tags::DISPLAY_NAME, uni(shown));
            if let Some(n) = &name {
                props.tagged.insert(tags::ATTACH_LONG_FILENAME, uni(n.clone()));
                props.tagged.insert(tags::ATTACH_FILENAME, uni(short_name(n)));
            }
            Attachment { props, content: AttachContent::Embedded(Box::new(msg)) }
        }
        PartType::Message(inner) => {
            // Deeper than a PST holds: the message kept whole, as bytes.
            let bytes = message_bytes(inner).unwrap_or_else(|| transfer_decoded(encoding, body));
            ctx.notes.push(format!("a message attached deeper than {MAX_DEPTH} levels kept as an .eml attachment"));
            let n = name.clone().unwrap_or_else(|| {
                format!("{}.eml", inner.subject().map(file_safe).filter(|s| !s.is_empty()).unwrap_or("message".into()))
            });
            by_value(bytes, Some(&n), "message/rfc822")
        }
        PartType::Binary(b) | PartType::InlineBinary(b) => {
            by_value(std::mem::take(b).into_owned(), name.as_deref(), &mime)
        }
        PartType::Text(_) | PartType::Html(_) => by_value(transfer_decoded(encoding, body), name.as_deref(), &mime),
        PartType::Multipart(_) => return None,
    };
    if part.is_encoding_problem {
        ctx.notes.push(format!(
            "attachment {}: its transfer encoding is broken; kept as decoded as it could be",
            name.as_deref().unwrap_or(&mime)
        ));
    }
    if let Some(c) = cid.as_ref().filter(|c| !c.is_empty()) {
        a.props.tagged.insert(tags::ATTACH_CONTENT_ID, uni(c.clone()));
    }
    if let Some(l) = &location {
        a.props.tagged.insert(tags::ATTACH_CONTENT_LOCATION, uni(l.clone()));
    }
    // Parts the HTML shows ([MS-OXCMAIL] 2.1.3.4.2): hidden from the
    // attachment list and marked as rendered in the body.
    let explicit_attachment = part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
    let shown_in_html = html_lower.is_some_and(|h| {
        cid.as_ref().filter(|c| !c.is_empty()).is_some_and(|c| h.contains(&format!("cid:{}", c.to_ascii_lowercase())))
            || location.as_ref().is_some_and(|l| h.contains(&l.to_ascii_lowercase()))
    });
    let inline = shown_in_html && !explicit_attachment;
    a.props.tagged.insert(tags::ATTACHMENT_HIDDEN, PropValue::Bool(inline));
    a.props.tagged.insert(tags::ATTACH_FLAGS, PropValue::I32(if inline { 4 } else { 0 }));
    Some(a)
}

/// A nested message's own bytes, where mail-parser gives them.
fn message_bytes(m: &mail_parser::Message<'_>) -> Option<Vec<u8>> {
    let root = m.parts.first()?;
    let raw: &[u8] = m.raw_message.as_ref();
    let s = (root.offset_header as usize).min(raw.len());
    let e = (root.offset_end as usize).clamp(s, raw.len());
    Some(raw[s..e].to_vec()).filter(|b| !b.is_empty())
}

/// A part's content as bytes: its body with only the transfer encoding
/// undone (a text attachment keeps its own charset).
fn transfer_decoded(encoding: mail_parser::Encoding, body: &[u8]) -> Vec<u8> {
    let decoded = match encoding {
        mail_parser::Encoding::Base64 => base64_decode(body),
        mail_parser::Encoding::QuotedPrintable => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
        }
        mail_parser::Encoding::None => None,
    };
    decoded.unwrap_or_else(|| body.to_vec())
}

/// Base64 with the white space of MIME bodies and fields skipped.
fn base64_decode(b: &[u8]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = b.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    mail_parser::decoders::base64::base64_decode(&clean)
}

/// A subject made safe as a file name.
fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() || "/\\:*?\"<>|".contains(c) { '_' } else { c })
        .take(64)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Subject prefix and normalized subject ([MS-OXCMSG] 2.2.1.46): a prefix
/// is one to three characters that are not digits or white space, then a
/// colon and a space ("RE: ", "Fwd: ", "AW: ").
pub fn split_subject(s: &str) -> (String, String) {
    for (n, (i, c)) in s.char_indices().enumerate() {
        if c == ':' {
            if n >= 1 && s[i + 1..].starts_with(' ') {
                let cut = i + 2;
                return (s[..cut].to_string(), s[cut..].to_string());
            }
            break;
        }
        if n == 3 || c.is_whitespace() || c.is_numeric() {
            break;
        }
    }
    (String::new(), s.to_string())
}

/// A mailbox of a header field.
#[derive(Debug, Clone, PartialEq)]
struct Addr {
    name: String,
    address: String,
}

impl Addr {
    /// How Outlook shows it in a display list: the name, else the address.
    fn shown(&self) -> String {
        if self.name.is_empty() {
            self.address.clone()
        } else {
            self.name.clone()
        }
    }
}

/// The mailboxes of an address field, groups flattened.
fn addrs(a: Option<&Address<'_>>) -> Vec<Addr> {
    let conv = |x: &mail_parser::Addr<'_>| {
        let name = x.name.as_deref().unwrap_or("").trim().to_string();
        let address = x.address.as_deref().unwrap_or("").trim().to_string();
        (!name.is_empty() || !address.is_empty()).then_some(Addr { name, address })
    };
    match a {
        Some(Address::List(l)) => l.iter().filter_map(conv).collect(),
        Some(Address::Group(g)) => g.iter().flat_map(|g| g.addresses.iter().filter_map(conv)).collect(),
        None => Vec::new(),
    }
}

fn first_addr(a: Option<&Address<'_>>) -> Option<Addr> {
    addrs(a).into_iter().next()
}

#[derive(Clone, Copy)]
enum Who {
    Sender,
    Representing,
}

/// PidTagSender* or PidTagSentRepresenting*: name, type, address, SMTP
/// address, search key and one-off entry id.
fn identity(props: &mut PropBag, a: &Addr, who: Who) {
    let ids = match who {
        Who::Sender => [
            tags::SENDER_NAME,
            tags::SENDER_ADDRESS_TYPE,
            tags::SENDER_EMAIL_ADDRESS,
            tags::SENDER_SMTP_ADDRESS,
            tags::SENDER_SEARCH_KEY,
            tags::SENDER_ENTRY_ID,
        ],
        Who::Representing => [
            tags::SENT_REPRESENTING_NAME,
            tags::SENT_REPRESENTING_ADDRESS_TYPE,
            tags::SENT_REPRESENTING_EMAIL_ADDRESS,
            tags::SENT_REPRESENTING_SMTP_ADDRESS,
            tags::SENT_REPRESENTING_SEARCH_KEY,
            tags::SENT_REPRESENTING_ENTRY_ID,
        ],
    };
    let t = &mut props.tagged;
    t.insert(ids[0], uni(a.shown()));
    if !a.address.is_empty() {
        t.insert(ids[1], uni("SMTP"));
        t.insert(ids[2], uni(a.address.clone()));
        t.insert(ids[3], uni(a.address.clone()));
        t.insert(ids[4], bin(search_key(&a.address)));
    }
    t.insert(ids[5], bin(one_off(a)));
}

/// One recipient row ([MS-OXCMSG] 2.2.3, [MS-OXOABK] display and object type).
fn recipient(a: &Addr, kind: i32) -> PropBag {
    let mut r = PropBag::default();
    let t = &mut r.tagged;
    t.insert(tags::RECIPIENT_TYPE, PropValue::I32(kind));
    t.insert(tags::DISPLAY_NAME, uni(a.shown()));
    t.insert(tags::RECIPIENT_DISPLAY_NAME, uni(a.shown()));
    if !a.address.is_empty() {
        t.insert(tags::ADDRESS_TYPE, uni("SMTP"));
        t.insert(tags::EMAIL_ADDRESS, uni(a.address.clone()));
        t.insert(tags::SMTP_ADDRESS, uni(a.address.clone()));
        t.insert(tags::SEARCH_KEY, bin(search_key(&a.address)));
    }
    let entry = one_off(a);
    t.insert(tags::ENTRY_ID, bin(entry.clone()));
    t.insert(tags::RECIPIENT_ENTRY_ID, bin(entry));
    // DT_MAILUSER, MAPI_MAILUSER, recipSendable.
    t.insert(tags::DISPLAY_TYPE, PropValue::I32(0));
    t.insert(tags::OBJECT_TYPE, PropValue::I32(6));
    t.insert(tags::RECIPIENT_FLAGS, PropValue::I32(1));
    r
}

/// PidTagSearchKey of an address: `SMTP:` and the address in upper case,
/// NUL-terminated ([MS-OXCMAIL] 2.2.3.2.1).
fn search_key(address: &str) -> Vec<u8> {
    let mut k = format!("SMTP:{}", address.to_ascii_uppercase()).into_bytes();
    k.push(0);
    k
}

/// A one-off entry id ([MS-OXCDATA] 2.2.5.1): the one-off provider UID,
/// Unicode strings (display name, address type, address).
fn one_off(a: &Addr) -> Vec<u8> {
    const ONE_OFF: [u8; 16] =
        [0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02];
    let mut e = vec![0u8; 4];
    e.extend_from_slice(&ONE_OFF);
    e.extend_from_slice(&[0, 0]);
    // MAPI_UNICODE | MAPI_SEND_NO_RICH_INFO, format 1 (as Outlook writes them).
    e.extend_from_slice(&0x9001u16.to_le_bytes());
    for s in [a.shown().as_str(), if a.address.is_empty() { "" } else { "SMTP" }, a.address.as_str()] {
        e.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        e.extend_from_slice(&[0, 0]);
    }
    e
}

/// A FlatEntryList ([MS-OXCDATA] 2.3.3) of entry ids.
fn flat_entry_list(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for e in entries {
        body.extend_from_slice(&(e.len() as u32).to_le_bytes());
        body.extend_from_slice(e);
        while body.len() % 4 != 0 {
            body.push(0);
        }
    }
    let mut out = (entries.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// PidTagConversationIndex for a message without Thread-Index
/// ([MS-OXOMSG] 2.2.1.3): 0x01, the top five bytes of the date's FILETIME,
/// a GUID made from the thread's first message id (References' first, else
/// In-Reply-To, else the message's own), and one 5-byte child block per
/// message the References list before this one, so that the replies of a
/// thread share the GUID and sort under their root.
pub fn conversation_index(
    date: Option<i64>,
    message_id: Option<&str>,
    in_reply_to: Option<&str>,
    references: Option<&str>,
) -> Vec<u8> {
    let ids = |s: Option<&str>| -> Vec<String> {
        s.map(|s| {
            s.split(|c: char| c.is_whitespace() || c == ',')
                .map(|t| t.trim().trim_matches(['<', '>']).to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default()
    };
    let refs = ids(references);
    let parent = ids(in_reply_to);
    let root =
        refs.first().or(parent.first()).cloned().or_else(|| message_id.map(|m| m.trim_matches(['<', '>']).to_string()));
    let mut out = vec![0x01];
    let ft = date.map(|d| d.saturating_add(11_644_473_600).saturating_mul(10_000_000)).unwrap_or(0) as u64;
    out.extend_from_slice(&ft.to_be_bytes()[..5]);
    let mut h = Sha256::new();
    h.update(b"mailshift conversation\0");
    match &root {
        Some(r) => h.update(r.as_bytes()),
        None => h.update(ft.to_le_bytes()),
    }
    out.extend_from_slice(&h.finalize()[..16]);
    let depth = if refs.is_empty() { usize::from(!parent.is_empty()) } else { refs.len() };
    for i in 0..depth.min(50) {
        // A child block: the time delta is not known; its place in the
        // thread is, and a hash of the id keeps siblings apart.
        let mut h = Sha256::new();
        h.update(b"mailshift conversation child\0");
        h.update((i as u32).to_le_bytes());
        h.update(message_id.unwrap_or("").as_bytes());
        let d = h.finalize();
        out.extend_from_slice(&d[..5]);
    }
    out
}

/// The HTML body as bytes of its charset's code page, where encoding_rs can
/// write that charset (characters it cannot hold become character
/// references, which HTML reads back as the same characters), else UTF-8.
fn html_in_charset(html: &str, charset: Option<&str>) -> (Vec<u8>, i32) {
    let enc = charset.and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()));
    if let Some(enc) = enc.filter(|e| *e != encoding_rs::UTF_8 && e.output_encoding() == *e) {
        if let Some(cp) = codepage_of(enc) {
            let (bytes, _, _) = enc.encode(html);
            return (bytes.into_owned(), cp);
        }
    }
    (html.as_bytes().to_vec(), 65001)
}

/// The Windows code page of an encoding (the inverse of
/// [`crate::mapi::codepage::encoding_for`]).
pub fn codepage_of(enc: &'static encoding_rs::Encoding) -> Option<i32> {
    use encoding_rs::*;
    let table: [(&'static Encoding, i32); 34] = [
        (UTF_8, 65001),
        (IBM866, 866),
        (WINDOWS_874, 874),
        (SHIFT_JIS, 932),
        (GBK, 936),
        (GB18030, 54936),
        (EUC_KR, 949),
        (BIG5, 950),
        (WINDOWS_1250, 1250),
        (WINDOWS_1251, 1251),
        (WINDOWS_1252, 1252),
        (WINDOWS_1253, 1253),
        (WINDOWS_1254, 1254),
        (WINDOWS_1255, 1255),
        (WINDOWS_1256, 1256),
        (WINDOWS_1257, 1257),
        (WINDOWS_1258, 1258),
        (MACINTOSH, 10000),
        (X_MAC_CYRILLIC, 10007),
        (KOI8_R, 20866),
        (KOI8_U, 21866),
        (EUC_JP, 51932),
        (ISO_8859_2, 28592),
        (ISO_8859_3, 28593),
        (ISO_8859_4, 28594),
        (ISO_8859_5, 28595),
        (ISO_8859_6, 28596),
        (ISO_8859_7, 28597),
        (ISO_8859_8, 28598),
        (ISO_8859_8_I, 38598),
        (ISO_8859_13, 28603),
        (ISO_8859_15, 28605),
        (ISO_2022_JP, 50220),
        (UTF_16LE, 1200),
    ];
    table.iter().find(|(e, _)| *e == enc).map(|(_, cp)| *cp)
}

/// The store's state of the message as MAPI properties.
fn state(mail: &MailItem<'_>, props: &mut PropBag, not_kept: &mut Vec<String>) {
    let f = mail.flags;
    let mut mf = props.int(tags::MESSAGE_FLAGS).unwrap_or(0) as i32;
    if f.contains(Flags::SEEN) {
        mf |= MF_READ;
    }
    if f.contains(Flags::DRAFT) {
        mf |= MF_UNSENT;
    }
    props.tagged.insert(tags::MESSAGE_FLAGS, PropValue::I32(mf));
    if f.contains(Flags::FLAGGED) {
        // followupFlagged, the red flag ([MS-OXOFLAG] 2.2.1.1, 2.2.1.2).
        props.tagged.insert(tags::FLAG_STATUS, PropValue::I32(2));
        props.tagged.insert(tags::FOLLOWUP_ICON, PropValue::I32(6));
    }
    // PidTagLastVerbExecuted ([MS-OXOMSG] 2.2.1.56): 102 reply to sender,
    // 104 forward; PidTagIconIndex 0x105 replied, 0x106 forwarded, else
    // 0x100 read / 0x101 unread mail ([MS-OXOMSG] 2.2.1.10).
    let (verb, icon) = if f.contains(Flags::ANSWERED) {
        if f.contains(Flags::FORWARDED) {
            not_kept.push("forwarded as well as answered: the last verb executed holds one (answered kept)".into());
        }
        (Some(102), 0x105)
    } else if f.contains(Flags::FORWARDED) {
        (Some(104), 0x106)
    } else if f.contains(Flags::SEEN) {
        (None, 0x100)
    } else {
        (None, 0x101)
    };
    if let Some(v) = verb {
        props.tagged.insert(tags::LAST_VERB_EXECUTED, PropValue::I32(v));
    }
    props.tagged.insert(tags::ICON_INDEX, PropValue::I32(icon));
    if f.contains(Flags::DELETED) {
        not_kept.push("the deleted mark (\\Deleted): a PST has no such flag".into());
    }
    let mut kw: Vec<String> = Vec::new();
    for k in &mail.keywords {
        let k = k.trim();
        if !k.is_empty() && !kw.iter().any(|x| x.eq_ignore_ascii_case(k)) {
            kw.push(k.to_string());
        }
    }
    if !kw.is_empty() {
        props.named.insert(tags::name::KEYWORDS.into(), PropValue::MvUnicode(kw));
    }
    // A received time the store knows (mbox From_ line, Maildir file time)
    // is the delivery time ([MS-OXCMAIL] 2.2.3.2.2's "received" date).
    if let Some(t) = mail.received {
        props.tagged.insert(tags::MESSAGE_DELIVERY_TIME, filetime(t));
        props.tagged.insert(tags::CREATION_TIME, filetime(t));
        props.tagged.insert(tags::LAST_MODIFICATION_TIME, filetime(t));
    }
}
