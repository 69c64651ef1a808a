//! MAPI message -> RFC 5322 / MIME, following [MS-OXCMAIL].
//!
//! [`build`] turns an owned [`Message`] into the bytes of an Internet
//! message:
//!
//! - **Header.** When the store kept the message's Internet header
//!   (PidTagTransportMessageHeaders), its fields are reused as they are,
//!   folding and order included (Received, DKIM-Signature,
//!   Authentication-Results, List-* ...); only the MIME structural fields
//!   (Content-Type, Content-Transfer-Encoding, MIME-Version,
//!   Content-Disposition, and the stale Content-Length) are dropped, because
//!   they describe a body we do not have and we write them for the body we
//!   build. Date, From, Subject and Message-ID are added from properties if
//!   the kept header lacks them. Without a kept header, the fields are built
//!   from properties ([MS-OXCMAIL] 2.2.3): Date, From / Sender, Reply-To,
//!   Subject, To / Cc / Bcc, Message-ID, In-Reply-To, References,
//!   Importance, X-Priority, Sensitivity; text is RFC 2047-encoded when it is
//!   not ASCII, and fields are folded at 78 columns.
//! - **Body.** PidTagBody as text/plain, PidTagHtml as text/html, both as
//!   multipart/alternative. Without HTML, compressed RTF is decompressed and
//!   de-encapsulated ([MS-OXRTFEX]): encapsulated HTML becomes the
//!   text/html alternative, encapsulated text the text/plain one; native
//!   RTF gives a text/plain rendering and is kept as a `body.rtf`
//!   attachment (noted).
//! - **Attachments.** By value as base64 parts; embedded messages as
//!   message/rfc822 parts built recursively; inline images whose
//!   Content-ID the HTML references (`cid:`) go with the HTML into
//!   multipart/related. Structure: `mixed(related(alternative(plain, html),
//!   inline...), attachments...)`, each level left out when it would have
//!   one child.
//!
//! Output is deterministic: Date and Message-ID come from properties (no
//! Message-ID is invented), and multipart boundaries are derived from a
//! hash of the parts they separate, never from a clock or a random
//! source. Every line is at most 998 octets (RFC 5322 2.1.1); bodies are
//! 7bit, quoted-printable or base64, never raw 8bit (message/rfc822 parts
//! excepted, which RFC 2046 5.2.1 forbids to encode: they are labelled
//! 8bit when a reused header holds UTF-8).
//!
//! [MS-OXCMAIL]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcmail/
//! [MS-OXRTFEX]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfex/

mod address;
pub use address::imcea;
mod encode;
pub mod inbound;
#[cfg(test)]
mod tests;

use super::{rtf, tags};
use super::{without_subject_marker, AttachContent, Attachment, Message, PropBag, PropValue};
use address::Addr;
use encode::{fold_structured, header_params, header_text, TransferEncoding, MAX_LINE};

/// What [`build`] made of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Built {
    /// The RFC 5322 bytes.
    pub bytes: Vec<u8>,
    /// What could not be carried over faithfully (e.g. "RTF body kept as an
    /// attachment: it encapsulates neither HTML nor text"), for the report.
    pub notes: Vec<String>,
}

/// Choices for [`build_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MimeOptions {
    /// How deep embedded messages are followed (a message attached to a
    /// message attached to ...); deeper ones are left out with a note.
    pub max_depth: usize,
}

impl Default for MimeOptions {
    fn default() -> Self {
        MimeOptions { max_depth: 16 }
    }
}

/// True if `name` is an RFC 5322 field name (2.2: one or more printable
/// US-ASCII characters, 33..=126; the caller has split at the colon, so
/// `:` itself does not occur).
pub fn is_field_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| (33..=126).contains(b))
}

/// Builds the MIME form of `msg` (recursively for embedded messages).
/// Deterministic: the same message always gives the same bytes (boundaries
/// derive from the message's content).
pub fn build(msg: &Message) -> Built {
    build_with(msg, &MimeOptions::default())
}

/// [`build`] with options.
pub fn build_with(msg: &Message, opts: &MimeOptions) -> Built {
    let mut notes = Vec::new();
    let bytes = message_bytes(msg, opts, 0, &mut notes);
    Built { bytes, notes }
}

// ---------------------------------------------------------------- parts

/// A MIME entity before serialisation. `'a`: the message whose attachment
/// data base64 leaves still point at.
struct Part<'a> {
    /// Header fields other than a multipart's Content-Type, folded, CRLF-ended.
    headers: Vec<String>,
    body: Body<'a>,
}

enum Body<'a> {
    /// Encoded content, and whether it is quoted-printable or base64 of
    /// this module's making, in which `=_` (what begins a boundary) cannot
    /// occur: [`boundary`] does not search it.
    Leaf(Vec<u8>, bool),
    /// Data to be written as a base64 body ([`encode::base64_body`]),
    /// encoded straight into the message when it is written: an
    /// attachment is not encoded into a buffer of its own first and then
    /// copied (that copy was a twentieth of a PST -> mbox run).
    Base64(&'a [u8]),
    /// A multipart: subtype, extra Content-Type parameters, children, and
    /// its boundary ([`Part::set_boundaries`]).
    Multi(&'static str, Vec<(&'static str, String)>, Vec<Part<'a>>, String),
}

impl<'a> Part<'a> {
    fn multi(subtype: &'static str, params: Vec<(&'static str, String)>, children: Vec<Part<'a>>) -> Part<'a> {
        Part { headers: Vec::new(), body: Body::Multi(subtype, params, children, String::new()) }
    }

    /// The first child alone when there is one, else a multipart.
    fn wrap(subtype: &'static str, params: Vec<(&'static str, String)>, mut children: Vec<Part<'a>>) -> Part<'a> {
        if children.len() == 1 {
            children.remove(0)
        } else {
            Part::multi(subtype, params, children)
        }
    }

    /// The full Content-Type value of the part, for multipart/related's `type`.
    fn content_type(&self) -> String {
        match &self.body {
            Body::Multi(sub, _, _, _) => format!("multipart/{sub}"),
            Body::Leaf(..) | Body::Base64(_) => self
                .headers
                .iter()
                .find_map(|h| h.strip_prefix("Content-Type:"))
                .and_then(|v| v.split(';').next())
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| "text/plain".into()),
        }
    }

    /// Gives every multipart of the tree its boundary, the innermost
    /// first (a boundary must differ from those inside it); returns the
    /// boundaries of the subtree.
    fn set_boundaries(&mut self) -> Vec<String> {
        match &mut self.body {
            Body::Leaf(..) | Body::Base64(_) => Vec::new(),
            Body::Multi(sub, _, children, b) => {
                let mut inner = Vec::new();
                for c in children.iter_mut() {
                    inner.extend(c.set_boundaries());
                }
                *b = boundary(sub, children, &inner);
                inner.push(b.clone());
                inner
            }
        }
    }

    /// Appends the header block (CRLF-ended lines, no blank line).
    fn write_head(&self, out: &mut Vec<u8>) {
        if let Body::Multi(sub, params, _, boundary) = &self.body {
            let mut ps: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ps.push(("boundary", boundary));
            out.extend_from_slice(header_params("Content-Type", &format!("multipart/{sub}"), &ps).as_bytes());
        }
        for h in &self.headers {
            out.extend_from_slice(h.as_bytes());
        }
    }

    /// Appends the body (after [`set_boundaries`](Self::set_boundaries)).
    fn write_body(&self, out: &mut Vec<u8>) {
        match &self.body {
            Body::Leaf(b, _) => out.extend_from_slice(b),
            Body::Base64(data) => encode::base64_body_into(data, out),
            Body::Multi(_, _, children, boundary) => {
                for c in children {
                    out.extend_from_slice(b"--");
                    out.extend_from_slice(boundary.as_bytes());
                    out.extend_from_slice(b"\r\n");
                    c.write_head(out);
                    out.extend_from_slice(b"\r\n");
                    c.write_body(out);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"--");
                out.extend_from_slice(boundary.as_bytes());
                out.extend_from_slice(b"--");
            }
        }
    }

    /// An upper bound of the bytes [`write_body`](Self::write_body) appends
    /// with the head, for one allocation of the message.
    fn size_hint(&self) -> usize {
        let head: usize = self.headers.iter().map(String::len).sum::<usize>() + 256;
        match &self.body {
            Body::Leaf(b, _) => head + b.len(),
            Body::Base64(data) => head + encode::base64_body_len(data.len()),
            Body::Multi(_, _, children, _) => head + children.iter().map(|c| c.size_hint() + 64).sum::<usize>(),
        }
    }

    /// Feeds what identifies the part to `h`: its header fields, and of a
    /// leaf its length and its first and last KiB (hashing every byte of
    /// every attachment was a tenth of a PST -> mbox run; the boundary is
    /// checked against the whole content anyway).
    fn sample(&self, h: &mut Fnv128) {
        for f in &self.headers {
            h.update(f.as_bytes());
        }
        match &self.body {
            Body::Leaf(b, _) => {
                h.update(&(b.len() as u64).to_le_bytes());
                h.update(&b[..b.len().min(1024)]);
                h.update(&b[b.len().saturating_sub(1024)..]);
            }
            Body::Base64(data) => {
                // The same bytes as of the encoded leaf it replaced, so
                // boundaries did not change.
                let (len, first, last) = encode::base64_body_ends(data, 1024);
                h.update(&(len as u64).to_le_bytes());
                h.update(&first);
                h.update(&last);
            }
            Body::Multi(sub, _, children, _) => {
                h.update(sub.as_bytes());
                for c in children {
                    c.sample(h);
                }
            }
        }
    }

    /// True if `needle` occurs in the part's header fields or content, to
    /// any depth.
    fn contains(&self, needle: &[u8]) -> bool {
        self.headers.iter().any(|f| encode::memfind(f.as_bytes(), needle).is_some())
            || match &self.body {
                Body::Leaf(b, encoded) => {
                    !(*encoded && needle.starts_with(b"=_")) && encode::memfind(b, needle).is_some()
                }
                Body::Base64(data) => {
                    !needle.starts_with(b"=_") && encode::memfind(&encode::base64_body(data), needle).is_some()
                }
                Body::Multi(_, params, children, _) => {
                    params.iter().any(|(_, v)| encode::memfind(v.as_bytes(), needle).is_some())
                        || children.iter().any(|c| c.contains(needle))
                }
            }
    }
}

/// A 128-bit hash of 8-byte words (two lanes of xor, multiply, rotate),
/// stable across builds and platforms (std's hashers promise neither), and
/// cheap: the byte-at-a-time FNV it replaced was a fortieth of a PST ->
/// mbox run. Not for adversaries: a boundary it makes is checked anyway.
struct Fnv128([u64; 2]);

impl Fnv128 {
    const K: [u64; 2] = [0x9e37_79b9_7f4a_7c15, 0xc2b2_ae3d_27d4_eb4f];

    fn new() -> Fnv128 {
        Fnv128([0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142])
    }

    fn word(&mut self, w: u64) {
        self.0[0] = (self.0[0] ^ w).wrapping_mul(Fnv128::K[0]).rotate_left(29);
        self.0[1] = (self.0[1] ^ w.rotate_left(32)).wrapping_mul(Fnv128::K[1]).rotate_left(31);
    }

    fn update(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.word(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        // The length closes the input, so that "a" and "a\0" differ.
        self.word(u64::from_le_bytes(last) ^ ((bytes.len() as u64) << 56));
    }

    /// The hash with `salt` mixed in last, finished (each bit of the state
    /// reaching every bit of the result).
    fn finish(&self, salt: u32) -> [u64; 2] {
        let mut h = Fnv128(self.0);
        h.word(u64::from(salt));
        let mix = |mut x: u64| {
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
            x ^= x >> 33;
            x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
            x ^ (x >> 33)
        };
        [mix(h.0[0] ^ h.0[1].rotate_left(17)), mix(h.0[1] ^ h.0[0].rotate_left(41))]
    }
}

/// A boundary derived from what it separates: `=_` and 32 hex digits of a
/// hash of the parts ([`Part::sample`]). `=_` can occur in neither
/// quoted-printable nor base64 text, and a boundary has no CR or LF, so it
/// cannot span two pieces of the output; the other parts (7bit text, an
/// embedded message) and every header field are searched whole, with the
/// boundaries inside them, and the hash re-salted on a hit, so that no
/// part can collide.
fn boundary(subtype: &str, parts: &[Part<'_>], inner: &[String]) -> String {
    let mut b = String::new();
    let mut h = Fnv128::new();
    h.update(b"mailshift multipart boundary\0");
    h.update(subtype.as_bytes());
    for p in parts {
        p.sample(&mut h);
    }
    for salt in 0u32..1024 {
        let [x, y] = h.finish(salt);
        b = format!("=_{x:016x}{y:016x}");
        if !inner.contains(&b) && !parts.iter().any(|p| p.contains(b.as_bytes())) {
            break;
        }
    }
    b
}

/// A text part: CRLF line ends, transfer encoding picked by content.
///
/// `alone`: the part is the whole message body, so the line end that
/// closes the message would read as part of the text. Text without a final
/// line end is then quoted-printable with a closing soft break (RFC 2045
/// 6.7 rule 5), so nothing is added to it.
fn text_part(subtype: &str, text: &[u8], charset: &str, alone: bool) -> Part<'static> {
    let text = encode::crlf(text);
    let mut te = TransferEncoding::choose(&text);
    let open_end = alone && !text.is_empty() && !text.ends_with(b"\r\n");
    if open_end && te == TransferEncoding::SevenBit {
        te = TransferEncoding::QuotedPrintable;
    }
    let mut body = if te == TransferEncoding::SevenBit { text } else { te.encode(&text) };
    if open_end && te == TransferEncoding::QuotedPrintable {
        body.push(b'=');
    }
    Part {
        headers: vec![
            header_params("Content-Type", &format!("text/{subtype}"), &[("charset", charset)]),
            format!("Content-Transfer-Encoding: {}\r\n", te.name()),
        ],
        body: Body::Leaf(body, te != TransferEncoding::SevenBit),
    }
}

// ---------------------------------------------------------------- message

fn message_bytes(msg: &Message, opts: &MimeOptions, depth: usize, notes: &mut Vec<String>) -> Vec<u8> {
    if let Some(body) = smime_body(msg) {
        let mut out = message_header(msg, notes).into_bytes();
        out.extend_from_slice(b"MIME-Version: 1.0\r\n");
        out.extend_from_slice(&body);
        if !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        return out;
    }
    let bodies = bodies(msg, notes);
    // The HTML in lower case, for attachments' cid: and Content-Location
    // references: made only when an attachment has one to look for.
    let cids = msg.attachments.iter().any(|a| {
        a.props.get(tags::ATTACH_CONTENT_ID).is_some() || a.props.get(tags::ATTACH_CONTENT_LOCATION).is_some()
    });
    let html_text = bodies.html.as_ref().filter(|_| cids).map(|(b, _)| String::from_utf8_lossy(b).to_ascii_lowercase());

    let mut inline = Vec::new();
    let mut attached = Vec::new();
    for (i, att) in msg.attachments.iter().enumerate() {
        if let Some((part, is_inline)) = attachment_part(i, att, html_text.as_deref(), opts, depth, notes) {
            if is_inline {
                inline.push(part);
            } else {
                attached.push(part);
            }
        }
    }
    if let Some(rtf) = &bodies.rtf_attachment {
        attached.push(binary_part("application/rtf", Some("body.rtf"), None, false, rtf));
    }

    let alone = inline.is_empty() && attached.is_empty() && (bodies.plain.is_none() || bodies.html.is_none());
    let mut alternatives = Vec::new();
    if let Some(plain) = &bodies.plain {
        alternatives.push(text_part("plain", plain.as_bytes(), "utf-8", alone));
    }
    if let Some((html, charset)) = &bodies.html {
        alternatives.push(text_part("html", html, charset, alone));
    }
    if alternatives.is_empty() {
        alternatives.push(text_part("plain", b"", "utf-8", alone));
    }
    let alt = Part::wrap("alternative", Vec::new(), alternatives);
    let related = if inline.is_empty() {
        alt
    } else {
        let ty = alt.content_type();
        let mut children = vec![alt];
        children.extend(inline);
        Part::multi("related", vec![("type", ty)], children)
    };
    let mut top = vec![related];
    top.extend(attached);
    let mut root = Part::wrap("mixed", Vec::new(), top);
    root.set_boundaries();

    let header = message_header(msg, notes);
    let mut out = Vec::with_capacity(header.len() + root.size_hint() + 32);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    root.write_head(&mut out);
    out.extend_from_slice(b"\r\n");
    let body = out.len();
    root.write_body(&mut out);
    // A text body that ends its last line keeps it as it is; anything else
    // (a multipart's close delimiter, base64) gets its line ended.
    if out.len() > body && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The body of an S/MIME message ([MS-OXOSMIME] 2.1): the entity its one
/// attachment holds. `IPM.Note.SMIME.MultipartSigned` keeps the whole
/// multipart/signed entity, Content-Type field included, so it is written
/// as it is (the signature covers it byte for byte); `IPM.Note.SMIME`
/// keeps the CMS object, written as application/pkcs7-mime, its
/// smime-type from the CMS content type (signedData or envelopedData).
/// `None` for other messages, and for S/MIME classes whose attachment is
/// not of that shape (then written as ordinary mail).
fn smime_body(msg: &Message) -> Option<Vec<u8>> {
    let class = msg.class();
    if !super::class_is(class, "IPM.Note.SMIME") {
        return None;
    }
    let [att] = msg.attachments.as_slice() else { return None };
    let AttachContent::Bytes(data) = &att.content else { return None };
    let tag = nonempty(&att.props, tags::ATTACH_MIME_TAG).unwrap_or_default().to_ascii_lowercase();
    if super::class_is(class, "IPM.Note.SMIME.MultipartSigned") {
        let head = data.get(..13)?;
        return (tag == "multipart/signed" && head.eq_ignore_ascii_case(b"Content-Type:")).then(|| data.clone());
    }
    if tag != "application/pkcs7-mime" && tag != "application/x-pkcs7-mime" {
        return None;
    }
    // The OID 1.2.840.113549.1.7.x near the start: 2 signedData, 3 envelopedData.
    const PKCS7: [u8; 10] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];
    let head = &data[..data.len().min(64)];
    let kind = encode::memfind(head, &PKCS7).and_then(|i| head.get(i + PKCS7.len()));
    let smime_type = if kind == Some(&2) { "signed-data" } else { "enveloped-data" };
    let mut out =
        header_params("Content-Type", &tag, &[("smime-type", smime_type), ("name", "smime.p7m")]).into_bytes();
    out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n");
    out.extend_from_slice(header_params("Content-Disposition", "attachment", &[("filename", "smime.p7m")]).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&encode::base64_body(data));
    Some(out)
}

/// A property as text (`PtypString`, or `PtypString8` not yet decoded).
fn text(bag: &PropBag, id: u16) -> Option<String> {
    bag.get(id).and_then(PropValue::as_text)
}

/// A text property with surrounding whitespace removed, `None` when empty.
fn nonempty(bag: &PropBag, id: u16) -> Option<String> {
    text(bag, id).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------- header

/// The message's header block (every line CRLF-ended), without MIME-Version
/// and the root Content-* fields.
fn message_header(msg: &Message, notes: &mut Vec<String>) -> String {
    let p = &msg.props;
    if let Some(raw) = text(p, tags::TRANSPORT_MESSAGE_HEADERS).filter(|t| t.contains(':')) {
        let (mut out, has) = transport_fields(&raw, notes);
        if !out.is_empty() {
            // RFC 5322 3.6 requires Date and From; Subject and Message-ID
            // help every reader. A header kept without them is completed.
            if !has.date {
                out.push_str(&date_field(msg).unwrap_or_default());
            }
            if !has.from {
                out.push_str(&from_fields(msg).0.unwrap_or_default());
            }
            if !has.subject {
                out.push_str(&subject_field(msg).unwrap_or_default());
            }
            if !has.message_id {
                out.push_str(&message_id_fields(msg, notes));
            }
            return out;
        }
    }

    let mut out = String::new();
    out.push_str(&date_field(msg).unwrap_or_default());
    let (from, sender) = from_fields(msg);
    out.push_str(&from.unwrap_or_default());
    out.push_str(&sender.unwrap_or_default());
    if let Some(entries) = p.bin(tags::REPLY_RECIPIENT_ENTRIES) {
        out.push_str(&address_field("Reply-To", &address::flat_entry_list(entries)));
    }
    out.push_str(&subject_field(msg).unwrap_or_default());
    let rows: Vec<(u32, Addr)> = msg
        .recipients
        .iter()
        .filter_map(|r| {
            let ty = r.int(tags::RECIPIENT_TYPE).unwrap_or(1);
            // MAPI_P1 (0x10000000) rows are resend transmission copies of
            // other rows ([MS-OXCMSG] 2.2.3.1), not recipients of their own.
            if ty & 0x1000_0000 != 0 {
                return None;
            }
            let name = nonempty(r, tags::DISPLAY_NAME).or_else(|| nonempty(r, tags::RECIPIENT_DISPLAY_NAME));
            let a = address::resolve(
                name.as_deref(),
                nonempty(r, tags::EMAIL_ADDRESS).as_deref(),
                nonempty(r, tags::ADDRESS_TYPE).as_deref(),
                nonempty(r, tags::SMTP_ADDRESS).as_deref(),
            );
            Some(((ty & 0xF) as u32, a))
        })
        .collect();
    for (kind, name, display) in
        [(1, "To", tags::DISPLAY_TO), (2, "Cc", tags::DISPLAY_CC), (3, "Bcc", tags::DISPLAY_BCC)]
    {
        let list: Vec<Addr> = rows.iter().filter(|(t, _)| *t == kind).map(|(_, a)| a.clone()).collect();
        if !list.is_empty() {
            out.push_str(&address_field(name, &list));
        } else if msg.recipients.is_empty() {
            // No recipient table: the display strings are all there is
            // ([MS-OXCMSG] 2.2.1.7-9 hold names only).
            if let Some(d) = nonempty(p, display) {
                out.push_str(&address_field(name, &address::from_display_list(&d)));
            }
        }
    }
    out.push_str(&message_id_fields(msg, notes));
    match p.int(tags::IMPORTANCE) {
        // [MS-OXCMAIL] 2.2.3.2.10: Importance; X-Priority for older readers.
        Some(0) => out.push_str("Importance: low\r\nX-Priority: 5\r\n"),
        Some(2) => out.push_str("Importance: high\r\nX-Priority: 1\r\n"),
        _ => {}
    }
    match p.int(tags::SENSITIVITY) {
        // [MS-OXCMAIL] 2.2.3.2.11, RFC 2156 values.
        Some(1) => out.push_str("Sensitivity: Personal\r\n"),
        Some(2) => out.push_str("Sensitivity: Private\r\n"),
        Some(3) => out.push_str("Sensitivity: Company-Confidential\r\n"),
        _ => {}
    }
    out
}

/// Which of the fields RFC 5322 wants a kept Internet header holds.
#[derive(Default)]
struct HeldFields {
    date: bool,
    from: bool,
    subject: bool,
    message_id: bool,
}

/// The fields of a kept Internet header, as written: each field's raw text
/// (continuation lines included), CRLF-ended. Reading stops at the first
/// empty line. Lines that are neither a field nor a continuation (the
/// "Microsoft Mail Internet Headers Version 2.0" banner of old Exchange, an
/// mbox From_ line) are dropped with a note; the MIME structural fields are
/// dropped silently, continuation lines and all (we write our own).
fn transport_fields(raw: &str, notes: &mut Vec<String>) -> (String, HeldFields) {
    const STRUCTURAL: [&str; 5] =
        ["Content-Type", "Content-Transfer-Encoding", "MIME-Version", "Content-Disposition", "Content-Length"];
    // What a continuation line belongs to: nothing yet, a kept field (at
    // the end of `out`), or a structural field left out.
    #[derive(PartialEq)]
    enum Last {
        None,
        Kept,
        Left,
    }
    let mut out = String::with_capacity(raw.len() + 64);
    let mut has = HeldFields::default();
    let mut last = Last::None;
    let mut dropped = 0usize;
    let mut long = 0usize;
    let mut push = |out: &mut String, line: &str| {
        if line.len() > MAX_LINE {
            long += 1;
            out.push_str(&split_long_line(line));
        } else {
            out.push_str(line);
            out.push_str("\r\n");
        }
    };
    for line in raw.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if last == Last::None && dropped == 0 {
                continue;
            }
            break;
        }
        if line.starts_with([' ', '\t']) {
            match last {
                Last::Kept => push(&mut out, line),
                Last::Left => {}
                Last::None => dropped += 1,
            }
            continue;
        }
        let name = line.split_once(':').map(|(n, _)| n.trim_end_matches([' ', '\t']));
        match name {
            Some(n) if is_field_name(n.as_bytes()) => {
                if STRUCTURAL.iter().any(|s| s.eq_ignore_ascii_case(n)) {
                    last = Last::Left;
                    continue;
                }
                for (held, want) in [
                    (&mut has.date, "Date"),
                    (&mut has.from, "From"),
                    (&mut has.subject, "Subject"),
                    (&mut has.message_id, "Message-ID"),
                ] {
                    *held |= n.eq_ignore_ascii_case(want);
                }
                last = Last::Kept;
                push(&mut out, line);
            }
            _ => dropped += 1,
        }
    }
    if dropped > 0 {
        notes.push(format!("transport headers: {dropped} line(s) that were not header fields left out"));
    }
    if long > 0 {
        notes.push(format!("transport headers: {long} line(s) longer than 998 octets folded"));
    }
    (out, has)
}

/// A header line over 998 octets folded at whitespace where it can be
/// (RFC 5322 2.1.1); a run without whitespace is cut as a last resort.
fn split_long_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    while rest.len() > MAX_LINE {
        let mut cut = MAX_LINE;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let at = rest[..cut].rfind([' ', '\t']).filter(|&i| i > 0);
        match at {
            Some(i) => {
                out.push_str(&rest[..i]);
                out.push_str("\r\n");
                rest = &rest[i..];
            }
            None => {
                out.push_str(&rest[..cut]);
                out.push_str("\r\n ");
                rest = &rest[cut..];
            }
        }
    }
    out.push_str(rest);
    out.push_str("\r\n");
    out
}

/// Date from PidTagClientSubmitTime, else PidTagMessageDeliveryTime
/// ([MS-OXCMAIL] 2.2.3.2.2), else (drafts) the last modification or
/// creation time, since RFC 5322 3.6 requires a Date.
fn date_field(msg: &Message) -> Option<String> {
    let p = &msg.props;
    let t = [tags::CLIENT_SUBMIT_TIME, tags::MESSAGE_DELIVERY_TIME, tags::LAST_MODIFICATION_TIME, tags::CREATION_TIME]
        .iter()
        .find_map(|&id| p.time(id))?;
    Some(format!("Date: {}\r\n", rfc5322_date(t)))
}

/// RFC 5322 3.3 date-time in UTC.
fn rfc5322_date(t: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let c = crate::time::Civil::from_unix(t);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
        DAYS[c.weekday as usize % 7],
        c.day,
        MONTHS[(c.month as usize).saturating_sub(1) % 12],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// From and Sender ([MS-OXCMAIL] 2.2.3.2.1 and 2.2.3.2.3): From is the
/// "sent representing" identity (whom the message is from), Sender the
/// account that sent it, written only when the two differ.
fn from_fields(msg: &Message) -> (Option<String>, Option<String>) {
    let p = &msg.props;
    let get = |n, e, t, s| {
        let a = address::resolve(
            nonempty(p, n).as_deref(),
            nonempty(p, e).as_deref(),
            nonempty(p, t).as_deref(),
            nonempty(p, s).as_deref(),
        );
        (!a.name.is_empty() || a.smtp.is_some()).then_some(a)
    };
    let rep = get(
        tags::SENT_REPRESENTING_NAME,
        tags::SENT_REPRESENTING_EMAIL_ADDRESS,
        tags::SENT_REPRESENTING_ADDRESS_TYPE,
        tags::SENT_REPRESENTING_SMTP_ADDRESS,
    );
    let sender =
        get(tags::SENDER_NAME, tags::SENDER_EMAIL_ADDRESS, tags::SENDER_ADDRESS_TYPE, tags::SENDER_SMTP_ADDRESS);
    match (rep, sender) {
        (Some(r), Some(s)) => {
            let same = match (&r.smtp, &s.smtp) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => r.name == s.name,
            };
            let from = address_field("From", std::slice::from_ref(&r));
            (Some(from), (!same).then(|| address_field("Sender", &[s])))
        }
        (Some(a), None) | (None, Some(a)) => (Some(address_field("From", &[a])), None),
        (None, None) => (None, None),
    }
}

/// An address-list field, or nothing when no address can be written.
fn address_field(name: &str, list: &[Addr]) -> String {
    let items: Vec<String> = list.iter().filter_map(address::render).collect();
    if items.is_empty() {
        return String::new();
    }
    fold_structured(name, &items.join(", "))
}

/// Subject: PidTagSubject is the full subject (less the PST prefix
/// marker, see [`without_subject_marker`]); without it, prefix and
/// normalized subject are joined ([MS-OXCMSG] 2.2.1.46).
fn subject_field(msg: &Message) -> Option<String> {
    let p = &msg.props;
    let s = text(p, tags::SUBJECT).map(|s| without_subject_marker(&s).to_string()).or_else(|| {
        let n = text(p, tags::NORMALIZED_SUBJECT)?;
        Some(format!("{}{n}", text(p, tags::SUBJECT_PREFIX).unwrap_or_default()))
    })?;
    Some(header_text("Subject", &s))
}

/// Message-ID, In-Reply-To and References from their properties
/// ([MS-OXCMAIL] 2.2.3.2.5-7). Whitespace inside an id is dropped (a
/// folded id is not an id), angle brackets added when missing.
fn message_id_fields(msg: &Message, notes: &mut Vec<String>) -> String {
    let p = &msg.props;
    let mut out = String::new();
    if let Some(id) = nonempty(p, tags::INTERNET_MESSAGE_ID) {
        let id = msg_id(&id);
        let ok = id.strip_prefix('<').and_then(|i| i.strip_suffix('>')).is_some_and(|i| {
            let (l, r) = i.rsplit_once('@').unwrap_or(("", ""));
            !l.is_empty() && !r.is_empty() && !i.contains(['<', '>', '"', '\\'])
        });
        if !ok {
            notes.push(format!("Message-ID {id} is not RFC 5322 msg-id syntax; kept as is"));
        }
        out.push_str(&format!("Message-ID: {id}\r\n"));
    }
    if let Some(v) = nonempty(p, tags::IN_REPLY_TO_ID) {
        out.push_str(&fold_structured("In-Reply-To", &msg_ids(&v)));
    }
    if let Some(v) = nonempty(p, tags::INTERNET_REFERENCES) {
        out.push_str(&fold_structured("References", &msg_ids(&v)));
    }
    out
}

/// One id with its brackets.
fn msg_id(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
    if s.starts_with('<') && s.ends_with('>') {
        s
    } else {
        format!("<{}>", s.trim_start_matches('<').trim_end_matches('>'))
    }
}

/// A list of ids (References may hold many, separated by whitespace or
/// commas), each bracketed.
fn msg_ids(s: &str) -> String {
    let mut ids = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '<' => {
                if !cur.trim().is_empty() {
                    ids.push(msg_id(&cur));
                }
                cur = "<".into();
            }
            '>' => {
                cur.push('>');
                ids.push(msg_id(&cur));
                cur.clear();
            }
            c if (c.is_whitespace() || c == ',') && !cur.starts_with('<') => {
                if !cur.trim().is_empty() {
                    ids.push(msg_id(&cur));
                }
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        ids.push(msg_id(&cur));
    }
    ids.join(" ")
}

// ---------------------------------------------------------------- bodies

/// The bodies chosen for a message.
struct Bodies {
    plain: Option<String>,
    /// HTML bytes and their charset.
    html: Option<(Vec<u8>, String)>,
    /// Native RTF kept as an attachment.
    rtf_attachment: Option<Vec<u8>>,
}

fn bodies(msg: &Message, notes: &mut Vec<String>) -> Bodies {
    let p = &msg.props;
    let plain = text(p, tags::BODY);
    let html = match p.get(tags::HTML) {
        Some(v) => match v.as_bytes() {
            Some(b) => Some(html_bytes(b, p)),
            None => v.as_text().map(|s| (s.into_bytes(), "utf-8".to_string())),
        },
        None => None,
    }
    .filter(|(b, _)| !b.is_empty());
    let mut out = Bodies { plain, html, rtf_attachment: None };
    if out.html.is_none() {
        if let Some(compressed) = p.bin(tags::RTF_COMPRESSED) {
            rtf_body(compressed, &mut out, notes);
        }
    }
    if out.html.is_some() && out.plain.as_deref().is_some_and(|s| s.trim().is_empty()) {
        out.plain = None;
    }
    out
}

/// The RTF path ([MS-OXRTFCP], [MS-OXRTFEX]). Encapsulated HTML is
/// preferred even when PidTagBody exists: Outlook often keeps an HTML
/// mail's HTML only inside the RTF.
fn rtf_body(compressed: &[u8], out: &mut Bodies, notes: &mut Vec<String>) {
    let rtf = match rtf::decompress(compressed) {
        Ok(r) => r,
        Err(e) => {
            notes.push(format!(
                "RTF body not usable ({e}); {}",
                if out.plain.is_some() { "plain text body kept" } else { "message has no body" }
            ));
            return;
        }
    };
    match rtf::decapsulate(&rtf) {
        Some(rtf::Encapsulated::Html(h)) => out.html = Some((h.into_bytes(), "utf-8".into())),
        Some(rtf::Encapsulated::Text(t)) => {
            if out.plain.as_deref().is_none_or(|s| s.trim().is_empty()) {
                out.plain = Some(t);
            }
        }
        None => {
            if out.plain.as_deref().is_none_or(|s| s.trim().is_empty()) {
                out.plain = Some(rtf::to_text(&rtf));
            }
            notes.push("RTF body: native RTF (neither HTML nor text encapsulated); text/plain body from it, the RTF itself attached as body.rtf".into());
            out.rtf_attachment = Some(rtf);
        }
    }
}

/// PidTagHtml is bytes in the code page of PidTagInternetCodepage; they are
/// kept as they are (a `<meta charset>` inside stays true) and labelled.
fn html_bytes(b: &[u8], p: &PropBag) -> (Vec<u8>, String) {
    let cp = p.int(tags::INTERNET_CODEPAGE).or_else(|| p.int(tags::MESSAGE_CODEPAGE));
    match cp {
        // UTF-16 would not survive CRLF handling as bytes: decode it.
        Some(1200) | Some(1201) => {
            let units: Vec<u16> =
                b.chunks_exact(2)
                    .map(|c| {
                        if cp == Some(1200) {
                            u16::from_le_bytes([c[0], c[1]])
                        } else {
                            u16::from_be_bytes([c[0], c[1]])
                        }
                    })
                    .collect();
            (String::from_utf16_lossy(&units).into_bytes(), "utf-8".into())
        }
        Some(cp) => match charset_of(cp) {
            Some(cs) => (b.to_vec(), cs.into()),
            None if std::str::from_utf8(b).is_ok() => (b.to_vec(), "utf-8".into()),
            None => (b.to_vec(), format!("windows-{cp}")),
        },
        None if std::str::from_utf8(b).is_ok() => (b.to_vec(), "utf-8".into()),
        None => (b.to_vec(), "windows-1252".into()),
    }
}

/// IANA charset names of the Windows code pages mail uses.
fn charset_of(cp: i64) -> Option<&'static str> {
    Some(match cp {
        65001 => "utf-8",
        20127 => "us-ascii",
        874 => "windows-874",
        932 => "shift_jis",
        936 => "gbk",
        949 => "euc-kr",
        950 => "big5",
        1250..=1258 => [
            "windows-1250",
            "windows-1251",
            "windows-1252",
            "windows-1253",
            "windows-1254",
            "windows-1255",
            "windows-1256",
            "windows-1257",
            "windows-1258",
        ][(cp - 1250) as usize],
        20866 => "koi8-r",
        21866 => "koi8-u",
        28591..=28599 => [
            "iso-8859-1",
            "iso-8859-2",
            "iso-8859-3",
            "iso-8859-4",
            "iso-8859-5",
            "iso-8859-6",
            "iso-8859-7",
            "iso-8859-8",
            "iso-8859-9",
        ][(cp - 28591) as usize],
        28603 => "iso-8859-13",
        28605 => "iso-8859-15",
        50220..=50222 => "iso-2022-jp",
        50225 => "iso-2022-kr",
        51932 => "euc-jp",
        51936 => "gb2312",
        51949 => "euc-kr",
        52936 => "hz-gb-2312",
        54936 => "gb18030",
        _ => return None,
    })
}

// ---------------------------------------------------------------- attachments

/// The filename of an attachment ([MS-OXCMAIL] 2.2.3.4.1).
fn attachment_name(props: &PropBag) -> Option<String> {
    [tags::ATTACH_LONG_FILENAME, tags::ATTACH_FILENAME, tags::DISPLAY_NAME]
        .iter()
        .find_map(|&id| nonempty(props, id))
        .map(|n| n.chars().map(|c| if c.is_control() || c == '/' || c == '\\' { '_' } else { c }).collect())
}

/// The part for one attachment, and whether it is an inline part of the
/// HTML (multipart/related). `None` when there is nothing to carry (notes say why).
fn attachment_part<'a>(
    index: usize,
    att: &'a Attachment,
    html_lower: Option<&str>,
    opts: &MimeOptions,
    depth: usize,
    notes: &mut Vec<String>,
) -> Option<(Part<'a>, bool)> {
    let p = &att.props;
    let name = attachment_name(p);
    let label = match &name {
        Some(n) => format!("attachment {} ({n:?})", index + 1),
        None => format!("attachment {}", index + 1),
    };
    let cid = nonempty(p, tags::ATTACH_CONTENT_ID)
        .map(|c| {
            c.trim_start_matches('<')
                .trim_end_matches('>')
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
        })
        .filter(|c| !c.is_empty());
    match &att.content {
        AttachContent::Bytes(data) => {
            // Inline: referenced from the HTML by cid: ([MS-OXCMAIL]
            // 2.2.3.4.3; PidTagAttachFlags attRenderedInBody and
            // PidTagAttachmentHidden say the same, but only a reference
            // makes multipart/related meaningful).
            let by_cid = match (&cid, html_lower) {
                (Some(c), Some(h)) => h.contains(&format!("cid:{}", c.to_ascii_lowercase())),
                _ => false,
            };
            // RFC 2557 also lets HTML name a part by Content-Location.
            let location = nonempty(p, tags::ATTACH_CONTENT_LOCATION)
                .filter(|l| l.bytes().all(|b| (33..127).contains(&b)))
                .filter(|l| html_lower.is_some_and(|h| h.contains(&format!("\"{}\"", l.to_ascii_lowercase()))));
            let inline = by_cid || location.is_some();
            let ty = content_type_for(p, name.as_deref());
            let mut part = binary_part(&ty, name.as_deref(), cid.as_deref(), inline, data);
            if let Some(l) = location {
                part.headers.push(fold_structured("Content-Location", &l));
            }
            Some((part, inline))
        }
        AttachContent::Ole(data) => {
            notes.push(format!("{label}: OLE object kept as application/octet-stream"));
            let n = name.unwrap_or_else(|| format!("ole-object-{}.bin", index + 1));
            Some((binary_part("application/octet-stream", Some(&n), cid.as_deref(), false, data), false))
        }
        AttachContent::Embedded(inner) => {
            if depth + 1 > opts.max_depth {
                notes.push(format!("{label}: embedded message nested deeper than {} levels left out", opts.max_depth));
                return None;
            }
            let mut inner_notes = Vec::new();
            let bytes = message_bytes(inner, opts, depth + 1, &mut inner_notes);
            notes.extend(inner_notes.into_iter().map(|n| format!("{label}, embedded message: {n}")));
            // RFC 2046 5.2.1: message/rfc822 may not be base64- or
            // QP-encoded; our own output is 7bit unless a kept header held UTF-8.
            let cte = if bytes.is_ascii() { "7bit" } else { "8bit" };
            let mut headers =
                vec!["Content-Type: message/rfc822\r\n".to_string(), format!("Content-Transfer-Encoding: {cte}\r\n")];
            let disp: Vec<(&str, &str)> = name.as_deref().map(|n| vec![("filename", n)]).unwrap_or_default();
            headers.push(header_params("Content-Disposition", "attachment", &disp));
            // The embedded message is kept whole, its last line end
            // included; the delimiter brings its own CRLF.
            Some((Part { headers, body: Body::Leaf(bytes, false) }, false))
        }
        AttachContent::Reference(path) => {
            notes.push(format!("{label}: attachment by reference ({path}), no bytes in the store"));
            None
        }
        AttachContent::Missing(why) => {
            notes.push(format!("{label}: data missing ({why})"));
            None
        }
    }
}

/// A base64 part.
fn binary_part<'a>(
    content_type: &str,
    name: Option<&str>,
    cid: Option<&str>,
    inline: bool,
    data: &'a [u8],
) -> Part<'a> {
    let name_param: Vec<(&str, &str)> = name.map(|n| vec![("name", n)]).unwrap_or_default();
    let file_param: Vec<(&str, &str)> = name.map(|n| vec![("filename", n)]).unwrap_or_default();
    let mut headers = vec![header_params("Content-Type", content_type, &name_param)];
    headers.push("Content-Transfer-Encoding: base64\r\n".into());
    headers.push(header_params("Content-Disposition", if inline { "inline" } else { "attachment" }, &file_param));
    if let Some(c) = cid {
        headers.push(format!("Content-ID: <{c}>\r\n"));
    }
    Part { headers, body: Body::Base64(data) }
}

/// Content-Type from PidTagAttachMimeTag when it is a well-formed
/// `type/subtype`, else from the extension, else application/octet-stream.
/// message/* by value is labelled application/octet-stream: RFC 2046 5.2
/// forbids base64 for it, and the bytes are not ours to re-encode.
fn content_type_for(p: &PropBag, name: Option<&str>) -> String {
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
    if let Some(tag) = nonempty(p, tags::ATTACH_MIME_TAG) {
        let tag = tag.to_ascii_lowercase();
        if let Some((t, s)) = tag.split_once('/') {
            if token(t) && token(s) && t != "multipart" && t != "message" {
                return tag;
            }
        }
    }
    let ext = nonempty(p, tags::ATTACH_EXTENSION)
        .or_else(|| name.and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_string()))
        .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
        .unwrap_or_default();
    by_extension(&ext).to_string()
}

/// Common types by file extension.
fn by_extension(ext: &str) -> &'static str {
    match ext {
        "txt" | "log" => "text/plain",
        "htm" | "html" => "text/html",
        "csv" => "text/csv",
        "ics" => "text/calendar",
        "vcf" => "text/vcard",
        "xml" => "application/xml",
        "json" => "application/json",
        "rtf" => "application/rtf",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "7z" => "application/x-7z-compressed",
        "doc" | "dot" => "application/msword",
        "xls" | "xlt" => "application/vnd.ms-excel",
        "ppt" | "pps" => "application/vnd.ms-powerpoint",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "msg" => "application/vnd.ms-outlook",
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}
