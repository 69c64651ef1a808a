//! Unit tests of the MIME -> MAPI conversion: real property values.

use super::*;
use crate::mapi::tags as t;

fn conv(raw: &[u8]) -> Converted {
    message(&MailItem::new(raw.to_vec()))
}

fn conv_with(raw: &[u8], flags: Flags, keywords: &[&str]) -> Converted {
    let mut m = MailItem::new(raw.to_vec());
    m.flags = flags;
    m.keywords = keywords.iter().map(|s| s.to_string()).collect();
    message(&m)
}

fn int(m: &Message, id: u16) -> Option<i64> {
    m.props.int(id)
}

const PLAIN: &[u8] = b"Return-Path: <a@x.org>\r\n\
Received: from mx.y.org by mail.y.org; Tue, 02 Jan 2024 10:00:05 +0000\r\n\
From: \"Doe, Ann\" <ann@x.org>\r\n\
To: Bob <bob@y.org>, carol@z.org\r\n\
Cc: =?utf-8?q?J=C3=BCrgen?= <j@z.org>\r\n\
Bcc: hidden@z.org\r\n\
Reply-To: list@x.org\r\n\
Subject: RE: Quarterly numbers\r\n\
Date: Tue, 02 Jan 2024 09:59:00 +0100\r\n\
Message-ID: <m2@x.org>\r\n\
In-Reply-To: <m1@x.org>\r\n\
References: <m0@x.org>\r\n <m1@x.org>\r\n\
Importance: high\r\n\
Sensitivity: Company-Confidential\r\n\
X-Mailer: Thunderbird 115\r\n\
X-Random-Thing: not kept as a property\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello.\r\n";

#[test]
fn envelope_properties() {
    let c = conv(PLAIN);
    let m = &c.message;
    let p = &m.props;
    assert!(c.lost.is_empty() && c.not_kept.is_empty(), "{c:?}");
    assert_eq!(m.class(), "IPM.Note");
    let headers = p.str(t::TRANSPORT_MESSAGE_HEADERS).unwrap();
    assert!(headers.starts_with("Return-Path: <a@x.org>\r\nReceived:"), "{headers}");
    assert!(headers.ends_with("Content-Type: text/plain; charset=utf-8\r\n\r\n"), "verbatim, blank line included");
    assert_eq!(p.str(t::SUBJECT), Some("RE: Quarterly numbers"));
    assert_eq!(p.str(t::SUBJECT_PREFIX), Some("RE: "));
    assert_eq!(p.str(t::NORMALIZED_SUBJECT), Some("Quarterly numbers"));
    assert_eq!(p.str(t::CONVERSATION_TOPIC), Some("Quarterly numbers"));
    // 09:59 +0100 is 08:59 UTC; the Received date is the delivery time.
    assert_eq!(p.time(t::CLIENT_SUBMIT_TIME), Some(1_704_185_940));
    assert_eq!(p.time(t::MESSAGE_DELIVERY_TIME), Some(1_704_189_605));
    assert_eq!(p.str(t::SENT_REPRESENTING_NAME), Some("Doe, Ann"));
    assert_eq!(p.str(t::SENT_REPRESENTING_ADDRESS_TYPE), Some("SMTP"));
    assert_eq!(p.str(t::SENT_REPRESENTING_EMAIL_ADDRESS), Some("ann@x.org"));
    assert_eq!(p.str(t::SENDER_SMTP_ADDRESS), Some("ann@x.org"));
    assert_eq!(p.bin(t::SENDER_SEARCH_KEY), Some(&b"SMTP:ANN@X.ORG\0"[..]));
    let eid = p.bin(t::SENDER_ENTRY_ID).unwrap();
    assert_eq!(
        &eid[4..20],
        &[0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02]
    );
    // The one-off id reads back through the outbound side's parser.
    let reply = crate::mapi::mime::address::flat_entry_list(p.bin(t::REPLY_RECIPIENT_ENTRIES).unwrap());
    assert_eq!(reply.len(), 1);
    assert_eq!(reply[0].smtp.as_deref(), Some("list@x.org"));
    assert_eq!(p.str(t::DISPLAY_TO), Some("Bob; carol@z.org"));
    assert_eq!(p.str(t::DISPLAY_CC), Some("J\u{fc}rgen"));
    assert_eq!(p.str(t::DISPLAY_BCC), Some("hidden@z.org"));
    let rows: Vec<(i64, &str, &str)> = m
        .recipients
        .iter()
        .map(|r| (r.int(t::RECIPIENT_TYPE).unwrap(), r.str(t::DISPLAY_NAME).unwrap(), r.str(t::SMTP_ADDRESS).unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            (1, "Bob", "bob@y.org"),
            (1, "carol@z.org", "carol@z.org"),
            (2, "J\u{fc}rgen", "j@z.org"),
            (3, "hidden@z.org", "hidden@z.org")
        ]
    );
    assert_eq!(m.recipients[0].str(t::ADDRESS_TYPE), Some("SMTP"));
    assert_eq!(p.str(t::INTERNET_MESSAGE_ID), Some("<m2@x.org>"));
    assert_eq!(p.str(t::IN_REPLY_TO_ID), Some("<m1@x.org>"));
    assert_eq!(p.str(t::INTERNET_REFERENCES), Some("<m0@x.org> <m1@x.org>"));
    assert_eq!(int(m, t::IMPORTANCE), Some(2));
    assert_eq!(int(m, t::SENSITIVITY), Some(3));
    assert_eq!(p.str(t::BODY), Some("Hello.\r\n"));
    assert_eq!(p.get(t::HTML), None);
    assert_eq!(int(m, t::INTERNET_CODEPAGE), Some(65001));
    assert_eq!(int(m, t::NATIVE_BODY), Some(1));
    assert_eq!(
        p.named.get(&NamedId::Name(t::PS_INTERNET_HEADERS, "x-mailer".into())),
        Some(&PropValue::Unicode("Thunderbird 115".into()))
    );
    assert!(!p.named.keys().any(|k| matches!(k, NamedId::Name(_, n) if n == "x-random-thing")));
    assert!(m.attachments.is_empty());
    assert_eq!(p.bin(t::SEARCH_KEY).map(<[u8]>::len), Some(16));
}

#[test]
fn eight_bit_headers_in_the_declared_charset() {
    let c = conv(b"From: J\xf6rg <j@x.org>\r\nSubject: Gr\xfc\xdfe\r\nContent-Type: text/plain; charset=iso-8859-15\r\n\r\nx\r\n");
    let p = &c.message.props;
    assert_eq!(p.str(t::SUBJECT), Some("Gr\u{fc}\u{df}e"));
    assert_eq!(p.str(t::SENDER_NAME), Some("J\u{f6}rg"));
    assert!(p.str(t::TRANSPORT_MESSAGE_HEADERS).unwrap().contains("Subject: Gr\u{fc}\u{df}e\r\n"));
    // Shift_JIS declared by the body part.
    let c = conv(b"Subject: \x93\xfa\x96\x7b\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\nx\r\n");
    assert_eq!(c.message.props.str(t::SUBJECT), Some("\u{65e5}\u{672c}"));
    // Nothing declared: Windows-1252.
    let c = conv(b"Subject: caf\xe9 \x80\r\n\r\nx\r\n");
    assert_eq!(c.message.props.str(t::SUBJECT), Some("caf\u{e9} \u{20ac}"));
}

#[test]
fn subject_prefixes() {
    for (s, pre, norm) in [
        ("RE: x", "RE: ", "x"),
        ("Fwd: x", "Fwd: ", "x"),
        ("AW: Re: x", "AW: ", "Re: x"),
        ("Meeting: 10:00", "", "Meeting: 10:00"),
        ("1: x", "", "1: x"),
        ("RE:x", "", "RE:x"),
        ("", "", ""),
        ("Ré: é", "Ré: ", "é"),
    ] {
        assert_eq!(split_subject(s), (pre.to_string(), norm.to_string()), "{s:?}");
    }
}

#[test]
fn threading_is_synthesized_alike_for_a_thread() {
    let root = conv(b"Subject: plan\r\nMessage-ID: <r@x>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nx\r\n");
    let reply = conv(
        b"Subject: Re: plan\r\nMessage-ID: <s@x>\r\nIn-Reply-To: <r@x>\r\nReferences: <r@x>\r\nDate: Mon, 1 Jan 2024 01:00:00 +0000\r\n\r\nx\r\n",
    );
    let a = root.message.props.bin(t::CONVERSATION_INDEX).unwrap();
    let b = reply.message.props.bin(t::CONVERSATION_INDEX).unwrap();
    assert_eq!((a.len(), b.len()), (22, 27), "a header, and one child block for the reply");
    assert_eq!(a[0], 1);
    assert_eq!(a[6..22], b[6..22], "the thread's GUID is shared");
    assert_eq!(root.message.props.str(t::CONVERSATION_TOPIC), reply.message.props.str(t::CONVERSATION_TOPIC));
    // A Thread-Index the client wrote is kept as it is.
    let idx = [1u8; 27];
    let b64 = crate::mapi::mime::encode::base64_body(&idx);
    let raw = format!(
        "Subject: x\r\nThread-Topic: the topic\r\nThread-Index: {}\r\n\r\nx\r\n",
        String::from_utf8_lossy(&b64).trim()
    );
    let c = conv(raw.as_bytes());
    assert_eq!(c.message.props.bin(t::CONVERSATION_INDEX), Some(&idx[..]));
    assert_eq!(c.message.props.str(t::CONVERSATION_TOPIC), Some("the topic"));
}

#[test]
fn bodies_from_their_charsets() {
    let raw = b"Subject: =?iso-8859-1?q?Gr=FC=DFe?=\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe\r\n\
--b\r\nContent-Type: text/html; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<p>\xf0\xd2\xc9\xd7\xc5\xd4 \xe2\x82</p>\r\n\
--b--\r\n";
    let c = conv(raw);
    let p = &c.message.props;
    assert_eq!(p.str(t::SUBJECT), Some("Gr\u{fc}\u{df}e"));
    assert_eq!(p.str(t::BODY).map(str::trim_end), Some("Gr\u{fc}\u{df}e"));
    // The HTML stays in KOI8-R, and the code page says so.
    assert_eq!(int(&c.message, t::INTERNET_CODEPAGE), Some(20866));
    let html = p.bin(t::HTML).unwrap();
    let (text, _, _) = encoding_rs::KOI8_R.decode(html);
    assert!(text.starts_with("<p>\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}"), "{text}");
    assert_eq!(int(&c.message, t::NATIVE_BODY), Some(3));
    assert!(c.message.attachments.is_empty(), "the alternatives are bodies, not attachments");

    // A charset encoding_rs cannot write back: UTF-8 and 65001.
    let raw = b"Content-Type: text/html; charset=utf-16le\r\nContent-Transfer-Encoding: base64\r\n\r\nPABiAD4A\r\n";
    let c = conv(raw);
    assert_eq!(c.message.props.bin(t::HTML), Some(&b"<b>"[..]));
    assert_eq!(int(&c.message, t::INTERNET_CODEPAGE), Some(65001));
    assert_eq!(c.message.props.get(t::BODY), None, "an HTML-only message has no invented plain body");
}

#[test]
fn attachments_by_value_with_names_and_inline_images() {
    let raw = b"Subject: pics\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n\
--o\r\nContent-Type: multipart/related; boundary=r\r\n\r\n\
--r\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<img src=\"cid:Img1@x\">\r\n\
--r\r\nContent-Type: image/png\r\nContent-ID: <img1@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n\
--r--\r\n\
--o\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\nContent-Disposition: attachment;\r\n filename*=utf-8''Rapport%20annuel%20d%C3%A9taill%C3%A9.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n\
--o\r\nContent-Type: text/plain; charset=iso-8859-1; name=notes.txt\r\nContent-Disposition: attachment; filename=notes.txt\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n\
--o--\r\n";
    let c = conv(raw);
    let m = &c.message;
    assert_eq!(m.attachments.len(), 3, "{:#?}", m.attachments);
    let img = &m.attachments[0];
    assert_eq!(img.content, AttachContent::Bytes(vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A]));
    assert_eq!(img.props.str(t::ATTACH_MIME_TAG), Some("image/png"));
    assert_eq!(img.props.str(t::ATTACH_CONTENT_ID), Some("img1@x"));
    assert_eq!(
        img.props.bool(t::ATTACHMENT_HIDDEN),
        Some(true),
        "shown by the HTML (cid: compared case-insensitively)"
    );
    assert_eq!(img.props.int(t::ATTACH_FLAGS), Some(4));
    assert_eq!(img.props.int(t::RENDERING_POSITION), Some(-1));
    assert_eq!(img.props.int(t::ATTACH_METHOD), Some(1));
    let pdf = &m.attachments[1];
    assert_eq!(pdf.content, AttachContent::Bytes(b"%PDF-".to_vec()));
    assert_eq!(pdf.props.str(t::ATTACH_LONG_FILENAME), Some("Rapport annuel d\u{e9}taill\u{e9}.pdf"));
    assert_eq!(pdf.props.str(t::ATTACH_FILENAME), Some("RAPPOR~1.PDF"));
    assert_eq!(pdf.props.str(t::ATTACH_EXTENSION), Some(".pdf"));
    assert_eq!(pdf.props.bool(t::ATTACHMENT_HIDDEN), Some(false));
    // A text attachment keeps its bytes in its own charset.
    let txt = &m.attachments[2];
    assert_eq!(txt.content, AttachContent::Bytes(b"caf\xe9".to_vec()));
    assert_eq!(txt.props.str(t::ATTACH_FILENAME), Some("NOTES.TXT"));
    assert_eq!(m.props.get(t::BODY), None);
    assert!(m.props.bin(t::HTML).is_some());
}

/// A message attached `n` times over: each level an embedded message of
/// the one above.
fn nested(n: usize) -> Vec<u8> {
    let mut inner = b"From: deep@x.org\r\nSubject: level 0\r\n\r\nthe bottom\r\n".to_vec();
    for i in 1..=n {
        let mut outer = format!(
            "From: l{i}@x.org\r\nSubject: level {i}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\nContent-Type: text/plain\r\n\r\ntext {i}\r\n--b{i}\r\nContent-Type: message/rfc822\r\n\r\n"
        )
        .into_bytes();
        outer.extend_from_slice(&inner);
        outer.extend_from_slice(format!("\r\n--b{i}--\r\n").as_bytes());
        inner = outer;
    }
    inner
}

#[test]
fn embedded_messages_to_the_depth_a_pst_holds() {
    let c = conv(&nested(3));
    let mut m = &c.message;
    for level in (1..=3).rev() {
        assert_eq!(m.props.str(t::SUBJECT), Some(format!("level {level}").as_str()));
        assert_eq!(m.props.str(t::BODY).map(str::trim), Some(format!("text {level}").as_str()));
        assert_eq!(m.attachments.len(), 1);
        let a = &m.attachments[0];
        assert_eq!(a.props.int(t::ATTACH_METHOD), Some(5));
        assert_eq!(a.props.str(t::ATTACH_MIME_TAG), Some("message/rfc822"));
        assert_eq!(a.props.str(t::DISPLAY_NAME), Some(format!("level {}", level - 1).as_str()));
        let AttachContent::Embedded(inner) = &a.content else { panic!("level {level}: {:?}", a.content) };
        m = inner;
    }
    assert_eq!(m.props.str(t::SUBJECT), Some("level 0"));
    assert_eq!(m.props.str(t::SENDER_EMAIL_ADDRESS), Some("deep@x.org"));
    assert!(m.props.str(t::TRANSPORT_MESSAGE_HEADERS).unwrap().starts_with("From: deep@x.org\r\n"));

    // Deeper than MAX_DEPTH: the rest is one .eml attachment; nothing is lost.
    let c = conv(&nested(MAX_DEPTH + 3));
    assert!(c.lost.is_empty(), "{:?}", c.lost);
    let mut m = &c.message;
    let mut depth = 0;
    while let Some(AttachContent::Embedded(inner)) = m.attachments.first().map(|a| &a.content) {
        m = inner;
        depth += 1;
    }
    assert_eq!(depth, MAX_DEPTH);
    let AttachContent::Bytes(b) = &m.attachments[0].content else { panic!() };
    assert!(b.starts_with(b"From: l2@x.org\r\nSubject: level 2\r\n"), "{}", String::from_utf8_lossy(&b[..40]));
    assert_eq!(m.attachments[0].props.str(t::ATTACH_LONG_FILENAME), Some("level 2.eml"));
    assert!(c.not_kept.iter().any(|n| n.contains("deeper than")), "{:?}", c.not_kept);

    // Thousands of levels: bounded, no stack overflow.
    let c = conv(&nested(3000));
    assert_eq!(c.message.props.str(t::SUBJECT), Some("level 3000"));
}

#[test]
fn smime_classes_and_their_attachment() {
    let signed = b"From: a@x.org\r\nSubject: signed\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=s\r\n\r\n\
--s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nsigned text\r\n\
--s\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n\
--s--\r\n";
    let c = conv(signed);
    let m = &c.message;
    assert_eq!(m.class(), "IPM.Note.SMIME.MultipartSigned");
    assert_eq!(m.props.str(t::BODY).map(str::trim), Some("signed text"), "the signed part's body is promoted");
    assert_eq!(m.attachments.len(), 1);
    let a = &m.attachments[0];
    assert_eq!(a.props.str(t::ATTACH_MIME_TAG), Some("multipart/signed"));
    assert_eq!(a.props.str(t::ATTACH_LONG_FILENAME), Some("SMIME.p7m"));
    let AttachContent::Bytes(b) = &a.content else { panic!() };
    let text = String::from_utf8_lossy(b);
    assert!(text.starts_with("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=s\r\n\r\n--s\r\n"), "{text}");
    assert!(text.trim_end().ends_with("--s--"), "{text}");

    let enveloped = b"From: a@x.org\r\nSubject: secret\r\nMIME-Version: 1.0\r\n\
Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CA\r\n";
    let c = conv(enveloped);
    let m = &c.message;
    assert_eq!(m.class(), "IPM.Note.SMIME");
    assert_eq!(m.props.get(t::BODY), None);
    assert_eq!(m.attachments.len(), 1);
    let a = &m.attachments[0];
    assert_eq!(a.props.str(t::ATTACH_MIME_TAG), Some("application/pkcs7-mime"));
    assert_eq!(a.props.str(t::ATTACH_LONG_FILENAME), Some("smime.p7m"));
    assert_eq!(
        a.content,
        AttachContent::Bytes(vec![
            0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03, 0xA0, 0x80
        ])
    );
}

/// An S/MIME message goes back to MIME as it came: the signed entity byte
/// for byte (so the signature still verifies), the CMS object as
/// application/pkcs7-mime.
#[test]
fn smime_through_build_and_back() {
    let signed: &[u8] = b"From: a@x.org\r\nSubject: signed\r\nMessage-ID: <s@x.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=s\r\n\r\n\
--s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nsigned text\r\n\
--s\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n\
--s--\r\n";
    let b = crate::mapi::mime::build(&conv(signed).message);
    let body_at = |m: &[u8]| m.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&b.bytes[body_at(&b.bytes)..], &signed[body_at(signed)..], "{}", String::from_utf8_lossy(&b.bytes));
    let p = mail_parser::MessageParser::default().parse(&b.bytes).unwrap();
    assert!(p.root_part().content_type().is_some_and(|c| c.subtype() == Some("signed")));
    assert_eq!(p.body_text(0).as_deref().map(str::trim), Some("signed text"));

    let enveloped: &[u8] = b"From: a@x.org\r\nSubject: secret\r\nMIME-Version: 1.0\r\n\
Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CA\r\n";
    let b = crate::mapi::mime::build(&conv(enveloped).message);
    let p = mail_parser::MessageParser::default().parse(&b.bytes).unwrap();
    let ct = p.root_part().content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("application", Some("pkcs7-mime")));
    assert_eq!(ct.attribute("smime-type"), Some("enveloped-data"));
    let original = mail_parser::MessageParser::default().parse(enveloped).unwrap();
    assert_eq!(p.root_part().contents(), original.root_part().contents());
}

#[test]
fn flags_and_keywords() {
    let raw = b"Subject: s\r\n\r\nx\r\n";
    let c = conv_with(raw, Flags::empty(), &[]);
    assert_eq!(int(&c.message, t::MESSAGE_FLAGS), Some(0));
    assert_eq!(int(&c.message, t::ICON_INDEX), Some(0x101), "unread mail");
    assert_eq!(int(&c.message, t::LAST_VERB_EXECUTED), None);
    assert_eq!(int(&c.message, t::FLAG_STATUS), None);

    let c = conv_with(raw, Flags::SEEN | Flags::ANSWERED | Flags::FLAGGED, &["Work", "$label1", "work", " "]);
    let m = &c.message;
    assert_eq!(int(m, t::MESSAGE_FLAGS), Some(1), "mfRead");
    assert_eq!(int(m, t::LAST_VERB_EXECUTED), Some(102));
    assert_eq!(int(m, t::ICON_INDEX), Some(0x105));
    assert_eq!(int(m, t::FLAG_STATUS), Some(2));
    assert_eq!(int(m, t::FOLLOWUP_ICON), Some(6));
    assert_eq!(m.props.name(t::name::KEYWORDS), Some(&PropValue::MvUnicode(vec!["Work".into(), "$label1".into()])));
    assert!(c.not_kept.is_empty());

    let c = conv_with(raw, Flags::FORWARDED | Flags::DRAFT | Flags::DELETED, &[]);
    let m = &c.message;
    assert_eq!(int(m, t::MESSAGE_FLAGS), Some(8), "mfUnsent");
    assert_eq!(int(m, t::LAST_VERB_EXECUTED), Some(104));
    assert_eq!(int(m, t::ICON_INDEX), Some(0x106));
    assert!(c.not_kept.iter().any(|n| n.contains("deleted")), "{:?}", c.not_kept);

    let c = conv_with(raw, Flags::ANSWERED | Flags::FORWARDED, &[]);
    assert_eq!(int(&c.message, t::LAST_VERB_EXECUTED), Some(102));
    assert!(c.not_kept.iter().any(|n| n.contains("forwarded as well as answered")));

    // The store's received time is the delivery time.
    let mut item = MailItem::new(b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nx".to_vec());
    item.received = Some(1_800_000_000);
    let c = message(&item);
    assert_eq!(c.message.props.time(t::MESSAGE_DELIVERY_TIME), Some(1_800_000_000));
    assert_eq!(c.message.props.time(t::CLIENT_SUBMIT_TIME), Some(1_704_067_200));
}

#[test]
fn unparseable_mail_is_a_note_with_its_bytes() {
    for raw in [&b""[..], b"\r\n\r\n"] {
        let c = conv(raw);
        assert_eq!(c.message.class(), "IPM.Note");
        assert_eq!(c.lost.len(), 1, "{raw:?}");
        assert!(c.message.props.str(t::BODY).unwrap().contains("could not read"));
        assert_eq!(c.message.attachments[0].content, AttachContent::Bytes(raw.to_vec()));
        assert_eq!(c.message.attachments[0].props.str(t::ATTACH_LONG_FILENAME), Some("message.eml"));
    }
}

/// What the mail_to_mapi fuzz target found: malformed multipart nesting on
/// which mail-parser's own check panics (debug builds); the message is
/// still written, as a note with its bytes.
#[test]
fn mail_parser_panic_on_bad_nesting_is_a_note() {
    let raw = include_bytes!("fuzz-multipart-nesting.eml");
    let c = conv(raw);
    if cfg!(debug_assertions) {
        assert_eq!(c.lost.len(), 1, "{:?}", c.lost);
        assert_eq!(c.message.attachments[0].content, AttachContent::Bytes(raw.to_vec()));
    }
}

#[test]
fn short_names() {
    assert_eq!(short_name("report.pdf"), "REPORT.PDF");
    assert_eq!(short_name("a very long name.docx"), "AVERYL~1.DOC");
    assert_eq!(short_name("noext"), "NOEXT");
    assert_eq!(short_name("\u{65e5}\u{672c}.txt"), "__~1.TXT");
    assert_eq!(short_name(".hidden"), "HIDDEN~1");
}

/// What `build` makes of the MAPI message keeps the headers that matter,
/// the bodies and the attachments.
#[test]
fn through_build_and_back() {
    let b = crate::mapi::mime::build(&conv(PLAIN).message);
    let p = mail_parser::MessageParser::default().parse(&b.bytes).unwrap();
    let o = mail_parser::MessageParser::default().parse(PLAIN).unwrap();
    assert_eq!(p.subject(), o.subject());
    assert_eq!(p.message_id(), o.message_id());
    assert_eq!(p.date(), o.date());
    assert_eq!(p.from(), o.from());
    assert_eq!(p.to(), o.to());
    assert_eq!(p.body_text(0), o.body_text(0));
}

/// Bad input never panics: truncations and bit flips of the samples.
#[test]
fn truncated_and_flipped_inputs_convert() {
    let samples: [&[u8]; 2] = [PLAIN, &nested(4)];
    for s in samples {
        for cut in (0..s.len()).step_by(7) {
            let _ = conv(&s[..cut]);
        }
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200 {
            let mut v = s.to_vec();
            for _ in 0..4 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let i = (rng as usize) % v.len();
                v[i] ^= 1 << (rng % 8);
            }
            let _ = conv(&v);
        }
    }
}
