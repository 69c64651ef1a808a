//! Issue 10, part 1: mail from MIME into PST. Every mbox of the shared
//! fixtures, the repository's samples and a generated corpus go through
//! `mailshift convert X out.pst`; the five independent readers open the
//! result with no error and see what the source holds; `mailshift check`
//! passes; the mail read back through our reader keeps what matters; a
//! second `--dedup` run copies nothing.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::mailshift;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use mailshift_core::{Flags, Item, StoreReader};
use mailshift_testkit::corpus::{generate, write_mboxrd, CorpusSpec};
use mailshift_testkit::oracle::{self, fact, normalize_subject, sha256_hex, FolderView, Oracle, Reader, StoreView};

/// The sources: every mbox of the shared fixtures (when there), the
/// repository's sample mbox and tree, and a generated tree (folders,
/// flags, keywords, attachments, encodings) written under `tmp`.
fn sources(tmp: &Path) -> Vec<PathBuf> {
    let mut out = mailshift_testkit::fixture_files(&["mbox"]).unwrap_or_else(|| {
        mailshift_testkit::skip("no shared fixtures: only the repository's samples and the generated corpus");
        Vec::new()
    });
    out.push(common::sample("sample.mbox"));
    out.push(common::sample("tree"));
    let corpus = tmp.join("corpus");
    let msgs = generate(&CorpusSpec { seed: 10, messages: 150, target_bytes: 500_000, max_attachment: 40_000 });
    write_mboxrd(&msgs, &corpus).unwrap();
    out.push(corpus);
    out
}

/// The folder a source folder becomes in the PST, as the readers name it
/// below the IPM subtree: the root of a single mbox is the Inbox.
fn pst_path(f: &mailshift_core::Folder) -> String {
    if f.is_root() {
        "Inbox".into()
    } else {
        f.display_path()
    }
}

/// Transfer decoding only (a text attachment keeps its charset).
fn transfer_decoded(part: &mail_parser::MessagePart<'_>, raw: &[u8]) -> Vec<u8> {
    let s = (part.offset_body as usize).min(raw.len());
    let e = (part.offset_end as usize).clamp(s, raw.len());
    let body = &raw[s..e];
    let d = match part.encoding {
        mail_parser::Encoding::Base64 => {
            let clean: Vec<u8> = body.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
            mail_parser::decoders::base64::base64_decode(&clean)
        }
        mail_parser::Encoding::QuotedPrintable => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
        }
        mail_parser::Encoding::None => None,
    };
    d.unwrap_or_else(|| body.to_vec())
}

/// The header fields of a message as a PST should hold them: a header
/// block that is not UTF-8 read in the charset the message declares
/// (its Content-Type's, else its first text part's; else Windows-1252).
fn header_fields(raw: &[u8]) -> Option<mail_parser::Message<'static>> {
    let p = MessageParser::default().parse(raw)?;
    let root = p.parts.first()?;
    let head = &raw[..(root.offset_body as usize).min(raw.len())];
    if std::str::from_utf8(head).is_ok() {
        return MessageParser::default().parse_headers(head).map(|m| m.into_owned());
    }
    let charset = p
        .parts
        .iter()
        .take(8)
        .find_map(|part| part.content_type().and_then(|c| c.attribute("charset")).map(str::to_string));
    let enc = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .filter(|e| e.is_ascii_compatible() && *e != encoding_rs::UTF_8)
        .unwrap_or(encoding_rs::WINDOWS_1252);
    let text = enc.decode_without_bom_handling(head).0.into_owned();
    MessageParser::default().parse_headers(text.as_bytes()).map(|m| m.into_owned())
}

/// What the readers should see of one message: its subject, the sha256
/// of each part that is an attachment by value (every leaf part but the
/// first text and HTML bodies and message/rfc822 parts, which are
/// embedded messages), its envelope, and those attachments' file names
/// (compared with the readers that give them: pypff and pst-extractor).
fn expected(raw: &[u8]) -> (String, Vec<String>, Option<String>, Vec<String>) {
    let Some(p) = MessageParser::default().parse(raw) else {
        return (String::new(), vec![sha256_hex(raw)], None, vec!["message.eml".into()]);
    };
    let pick = |ids: &[u32], html: bool| {
        ids.iter().map(|&i| i as usize).find(|&i| match &p.parts[i].body {
            PartType::Html(_) => html,
            PartType::Text(_) => !html,
            _ => false,
        })
    };
    let bodies = [pick(&p.text_body, false), pick(&p.html_body, true)];
    let mut atts = Vec::new();
    let mut names = Vec::new();
    for (i, part) in p.parts.iter().enumerate() {
        if bodies.contains(&Some(i)) || i == 0 && part.is_text() && part.is_empty() {
            continue;
        }
        match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) => atts.push(sha256_hex(b)),
            PartType::Text(_) | PartType::Html(_) => atts.push(sha256_hex(&transfer_decoded(part, raw))),
            PartType::Message(_) | PartType::Multipart(_) => continue,
        }
        names.extend(part.attachment_name().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string));
    }
    let Some(h) = header_fields(raw) else {
        return (String::new(), atts, None, names);
    };
    let p = h;
    let list = |a: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        a.map(|a| a.iter().filter_map(|x| x.address.as_deref().map(str::to_string)).collect()).unwrap_or_default()
    };
    let all = |n: mail_parser::HeaderName<'_>| -> Vec<String> {
        p.header_values(n).flat_map(|v| list(v.as_address())).collect()
    };
    let from = p.from().and_then(|a| a.first()).and_then(|a| a.address.as_deref().map(str::to_string));
    let date = p.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp());
    let f = fact(
        p.message_id(),
        from.as_deref(),
        &all(mail_parser::HeaderName::To),
        &all(mail_parser::HeaderName::Cc),
        date,
    );
    let subject = p.subject().unwrap_or("").trim_matches(['\r', '\n']).to_string();
    (normalize_subject(&subject), atts, Some(f), names)
}

/// The view every reader should have of the PST made from `src`.
fn source_view(src: &Path) -> StoreView {
    let r = mailshift_mbox::MboxReader::open(src).unwrap();
    let mut folders: BTreeMap<String, FolderView> = BTreeMap::new();
    let list = r.folders().unwrap();
    for f in &list {
        let v = folders.entry(pst_path(f)).or_default();
        for meta in r.items(f.id).unwrap() {
            let Item::Mail(m) = r.read(meta.id).unwrap() else { continue };
            let (s, a, fa, n) = expected(&m.raw);
            v.count += 1;
            v.subjects.push(s);
            v.attachments.extend(a);
            v.facts.extend(fa);
            v.names.extend(n);
        }
    }
    let trash = list.iter().any(|f| {
        f.path.len() == 1
            && (f.role == mailshift_core::FolderRole::Trash || f.name.eq_ignore_ascii_case("Deleted Items"))
    });
    if !trash {
        folders.entry("Deleted Items".into()).or_default();
    }
    for v in folders.values_mut() {
        v.subjects.sort();
        v.attachments.sort();
        v.facts.sort();
        v.names.sort();
    }
    // The IPM subtree itself, which holds no message.
    folders.entry(String::new()).or_default();
    StoreView { reader: Reader::Ours, folders, errors: Vec::new() }
}

/// Where a reader shows something else than the PST holds, and why.
const KNOWN: &[(Oracle, &str, &str)] = &[
    (
        Oracle::Pffexport,
        "\"*\": subject only in *",
        "pffexport's OutlookHeaders.txt drops the first two bytes of a subject whose first character is not ASCII \
         (\"\u{dc}bersicht\" as \"bersicht\", \"\u{65e5}\u{672c}\u{8a9e}\" as a broken byte and \"\u{672c}\u{8a9e}\"); pypff, \
         of the same libpff, reads the PidTagSubject right",
    ),
    (
        Oracle::Readpst,
        "\"Inbox\": message only in *: id=CAOpBqrKrwi4mMTj8eujd+Hhy+OTgy-DsOXgUFmHFsXcSvGMiFQ@mail.gmail.com *",
        "readpst writes a header of its own when the kept one does not begin with a field it expects (here \
         X-GM-THRID): its To is then PidTagDisplayTo, names without addresses",
    ),
    (
        Oracle::Readpst,
        "\"Inbox\": message only in *: id= from=* to=from@domain.com cc= date=1470394640",
        "the message has no From field; readpst writes From: MAILER-DAEMON",
    ),
];

fn to_pst(src: &Path, pst: &Path) {
    let (code, _, err) = mailshift(&[&"convert", &src, &pst, &"--no-fsync", &"--quiet"]);
    assert_eq!(code, 0, "{}: exit {code}: {err}", src.display());
}

/// The readers: readpst, pffexport, pypff, the outlook-pst crate and
/// pst-extractor open each PST with no error and give the same per-folder
/// counts, subjects and attachment bytes (sha256) as the source; all but
/// pffexport (whose export this oracle reads no envelope from; pypff reads
/// the same library) give each message's Message-ID, sender, To and Cc
/// addresses and date, and those are the source's too. `mailshift check`
/// passes on every PST.
#[test]
fn every_mbox_to_pst_reads_the_same_in_every_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let srcs = sources(tmp.path());
    let mut problems = Vec::new();
    let mut compared = 0;
    for (i, src) in srcs.iter().enumerate() {
        let pst = tmp.path().join(format!("{i}.pst"));
        to_pst(src, &pst);
        let (code, out, err) = mailshift(&[&"check", &pst]);
        if code != 0 {
            problems.push(format!("{}: check exit {code}: {out}{err}", src.display()));
        }
        let want = source_view(src);
        for o in Oracle::ALL {
            let Some(theirs) = oracle::view_or_skip(o, &pst) else { continue };
            let known: Vec<oracle::Known> =
                KNOWN.iter().filter(|(r, _, _)| *r == o).map(|(_, p, w)| oracle::Known::new(p, w)).collect();
            let report = oracle::check(&want, &theirs, &known);
            for d in report.unexpected {
                problems.push(format!("{} ({o}): {d}", src.display()));
            }
            if o != Oracle::Pffexport {
                for (path, f) in &theirs.folders {
                    if f.count > 0 && f.facts.len() != f.count {
                        problems.push(format!(
                            "{} ({o}): {path:?}: {} envelopes for {} items",
                            src.display(),
                            f.facts.len(),
                            f.count
                        ));
                    }
                }
            }
            compared += 1;
        }
    }
    eprintln!("{} sources, {compared} reader views compared", srcs.len());
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// One message's parts as the round trip compares them: (file name,
/// sha256) of its attachments, embedded messages by their subject.
fn attachments_of(p: &mail_parser::Message<'_>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = p
        .attachments()
        .map(|a| match &a.body {
            PartType::Message(m) => ("message".into(), format!("subject {:?}", m.subject().unwrap_or(""))),
            PartType::Text(_) | PartType::Html(_) => {
                (a.attachment_name().unwrap_or("").to_string(), sha256_hex(&transfer_decoded(a, p.raw_message())))
            }
            _ => (a.attachment_name().unwrap_or("").to_string(), sha256_hex(a.contents())),
        })
        .collect();
    v.sort();
    v
}

/// Text with line ends as LF and trailing white space dropped.
fn lines(s: Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    s.map(|s| s.replace("\r\n", "\n").trim_end().to_string()).filter(|s| !s.is_empty())
}

/// mbox -> PST -> mbox through our reader: every message keeps From, To,
/// Cc, Subject, Date, Message-ID, In-Reply-To and References, its text
/// and HTML bodies once decoded, its attachments (names and bytes;
/// embedded messages by subject) and its flags and keywords.
///
/// What differs, by design:
/// - line ends: bodies come back with CRLF (MIME's canonical form), and
///   trailing white space of a body is not compared;
/// - `\Deleted`: a PST has no such flag (listed as not kept);
/// - answered and forwarded together: PidTagLastVerbExecuted holds one,
///   answered is kept (listed as not kept);
/// - the MIME structure is rebuilt (plain + HTML as alternatives, inline
///   parts in multipart/related), so boundaries, transfer encodings and
///   the order of parts change; a second text part of a multipart/mixed
///   comes back as an attachment; a text attachment's charset label
///   follows its bytes, which are kept as they were.
#[test]
fn mbox_through_pst_and_back_keeps_what_matters() {
    let tmp = tempfile::tempdir().unwrap();
    let srcs = sources(tmp.path());
    let mut problems = Vec::new();
    let mut messages = 0;
    for (i, src) in srcs.iter().enumerate() {
        let pst = tmp.path().join(format!("{i}.pst"));
        to_pst(src, &pst);
        let a = mailshift_mbox::MboxReader::open(src).unwrap();
        let b = mailshift_pst::PstReader::open(&pst).unwrap();
        let mut copies: BTreeMap<String, Vec<mailshift_core::MailItem<'_>>> = BTreeMap::new();
        for f in b.folders().unwrap() {
            for meta in b.items(f.id).unwrap() {
                if let Item::Mail(m) = b.read(meta.id).unwrap() {
                    copies.entry(f.display_path()).or_default().push(m);
                }
            }
        }
        for f in a.folders().unwrap() {
            let got = copies.remove(&pst_path(&f)).unwrap_or_default();
            let want: Vec<_> = a.items(f.id).unwrap();
            if got.len() != want.len() {
                problems.push(format!(
                    "{} {:?}: {} messages, {} back",
                    src.display(),
                    f.display_path(),
                    want.len(),
                    got.len()
                ));
                continue;
            }
            for (meta, copy) in want.iter().zip(&got) {
                let Item::Mail(orig) = a.read(meta.id).unwrap() else { continue };
                messages += 1;
                let (Some(x), Some(y)) =
                    (MessageParser::default().parse(&orig.raw[..]), MessageParser::default().parse(&copy.raw[..]))
                else {
                    problems.push(format!("{}: a message does not parse", src.display()));
                    continue;
                };
                let id = x.message_id().unwrap_or("(no id)").to_string();
                // The fields as the PST holds them (8-bit headers in their charset).
                let Some(hx) = header_fields(&orig.raw) else { continue };
                let mut differ = |what: &str, ok: bool| {
                    if !ok {
                        problems.push(format!("{} {id}: {what} differs", src.display()));
                    }
                };
                differ("From", hx.from() == y.from());
                differ("To", hx.to() == y.to());
                differ("Cc", hx.cc() == y.cc());
                differ("Subject", hx.subject() == y.subject());
                // A message without a valid Date gets one (its delivery time): RFC
                // 5322 requires it.
                differ("Date", hx.date() == y.date() || !hx.date().is_some_and(|d| d.is_valid()));
                differ("Message-ID", hx.message_id() == y.message_id());
                differ("In-Reply-To", hx.in_reply_to() == y.in_reply_to());
                differ("References", hx.references() == y.references());
                differ("text body", lines(x.body_text(0)) == lines(y.body_text(0)));
                differ("HTML body", lines(x.body_html(0)) == lines(y.body_html(0)) || x.html_body_count() == 0);
                differ("attachments", attachments_of(&x) == attachments_of(&y));
                let mut flags = orig.flags;
                flags.set(Flags::DELETED, false);
                if flags.contains(Flags::ANSWERED) {
                    flags.set(Flags::FORWARDED, false);
                }
                differ("flags", flags == copy.flags);
                differ("keywords", orig.keywords == copy.keywords);
            }
        }
    }
    eprintln!("{} sources, {messages} messages compared", srcs.len());
    assert!(messages > 200, "only {messages} messages compared");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// `convert a.mbox out.pst --dedup` twice: the second run copies nothing
/// (the PST is read back as MAPI, its messages keyed as the new ones are).
#[test]
fn a_second_dedup_run_into_the_pst_copies_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    write_mboxrd(
        &generate(&CorpusSpec { seed: 3, messages: 80, target_bytes: 200_000, max_attachment: 20_000 }),
        &corpus,
    )
    .unwrap();
    for src in [common::sample("sample.mbox"), corpus] {
        let pst = tmp.path().join(format!("{}.pst", src.file_name().unwrap().to_string_lossy()));
        let (code, first) = common::convert(&src, &pst, &["--dedup"]);
        assert_eq!(code, 0, "{first}");
        let n = common::total(&first, "copied");
        assert!(n > 50, "{first}");
        let seen = n + common::total(&first, "skipped_duplicate");
        let (code, second) = common::convert(&src, &pst, &["--dedup"]);
        assert_eq!(code, 0, "{second}");
        assert_eq!(common::total(&second, "copied"), 0, "{second}");
        assert_eq!(common::total(&second, "skipped_duplicate"), seen, "{second}");
        let r = mailshift_pst::PstReader::open(&pst).unwrap();
        assert_eq!(common::messages(&r).len() as u64, n, "nothing was added twice");
    }
}

/// A single mbox file's messages land in the PST's Inbox (the store's
/// special folder), a tree's Sent/Trash in Sent Items / Deleted Items.
#[test]
fn folders_land_where_outlook_keeps_them() {
    let tmp = tempfile::tempdir().unwrap();
    let pst = tmp.path().join("one.pst");
    to_pst(&common::sample("sample.mbox"), &pst);
    let r = mailshift_pst::PstReader::open(&pst).unwrap();
    let folders = r.folders().unwrap();
    let inbox = folders.iter().find(|f| f.path == ["Inbox"]).expect("an Inbox");
    assert_eq!(inbox.role, mailshift_core::FolderRole::Inbox);
    assert_eq!(r.items(inbox.id).unwrap().len(), 60);
    assert!(folders.iter().all(|f| !f.is_root()), "nothing left at the top: {folders:?}");

    let tree = tmp.path().join("tree");
    for (name, body) in [("Inbox", "a"), ("Sent", "b"), ("Trash", "c"), ("Projects", "d")] {
        std::fs::create_dir_all(&tree).unwrap();
        std::fs::write(
            tree.join(name),
            format!(
                "From x@y Mon Jan  1 00:00:00 2024\nFrom: x@y\nSubject: {body}\nMessage-ID: <{body}@y>\n\n{body}\n"
            ),
        )
        .unwrap();
    }
    let pst = tmp.path().join("tree.pst");
    to_pst(&tree, &pst);
    let r = mailshift_pst::PstReader::open(&pst).unwrap();
    let roles: BTreeMap<String, mailshift_core::FolderRole> =
        r.folders().unwrap().into_iter().map(|f| (f.display_path(), f.role)).collect();
    use mailshift_core::FolderRole as R;
    assert_eq!(roles.get("Inbox"), Some(&R::Inbox), "{roles:?}");
    assert_eq!(roles.get("Sent"), Some(&R::Sent), "{roles:?}");
    assert_eq!(roles.get("Trash"), Some(&R::Trash), "{roles:?}");
    assert_eq!(roles.get("Projects"), Some(&R::None), "{roles:?}");
}

/// Maildir and EML sources into PST: every message there, in its folder
/// (a Maildir's INBOX and a folder of .eml files in the Inbox), with the
/// flags and keywords of the Maildir file names.
#[test]
fn maildir_and_eml_into_pst() {
    use mailshift_testkit::corpus::write_maildir;
    let tmp = tempfile::tempdir().unwrap();
    let msgs = generate(&CorpusSpec { seed: 21, messages: 90, target_bytes: 250_000, max_attachment: 20_000 });
    let md = tmp.path().join("Maildir");
    write_maildir(&msgs, &md).unwrap();
    let pst = tmp.path().join("md.pst");
    to_pst(&md, &pst);
    let (code, out, err) = mailshift(&[&"check", &pst]);
    assert_eq!(code, 0, "{out}{err}");
    let r = mailshift_pst::PstReader::open(&pst).unwrap();
    // (folder, Message-ID) -> flags and keywords (the corpus files some
    // messages in two folders).
    let mut by_id: BTreeMap<(String, String), (Flags, Vec<String>)> = BTreeMap::new();
    for f in r.folders().unwrap() {
        for meta in r.items(f.id).unwrap() {
            let Item::Mail(m) = r.read(meta.id).unwrap() else { continue };
            let id = MessageParser::default().parse(&m.raw[..]).and_then(|p| p.message_id().map(str::to_string));
            by_id.insert((f.display_path(), id.unwrap_or_default()), (m.flags, m.keywords.clone()));
        }
    }
    let src = mailshift_maildir::MaildirReader::open(&md).unwrap();
    let mut n = 0;
    for f in src.folders().unwrap() {
        for meta in src.items(f.id).unwrap() {
            let Item::Mail(m) = src.read(meta.id).unwrap() else { continue };
            let id = MessageParser::default().parse(&m.raw[..]).and_then(|p| p.message_id().map(str::to_string));
            let (flags, keywords) =
                by_id.get(&(pst_path(&f), id.unwrap_or_default())).expect("every message is in its folder in the PST");
            let mut want = m.flags;
            want.set(Flags::DELETED, false);
            if want.contains(Flags::ANSWERED) {
                want.set(Flags::FORWARDED, false);
            }
            assert_eq!(*flags, want, "flags");
            assert_eq!(keywords, &m.keywords, "keywords");
            n += 1;
        }
    }
    assert_eq!(n, msgs.len());

    let eml = tmp.path().join("eml");
    std::fs::create_dir_all(&eml).unwrap();
    for (i, m) in msgs.iter().take(20).enumerate() {
        std::fs::write(eml.join(format!("{i}.eml")), &m.raw).unwrap();
    }
    let pst = tmp.path().join("eml.pst");
    to_pst(&eml, &pst);
    let r = mailshift_pst::PstReader::open(&pst).unwrap();
    let folders = r.folders().unwrap();
    let inbox = folders.iter().find(|f| f.path == ["Inbox"]).expect("an Inbox");
    assert_eq!(r.items(inbox.id).unwrap().len(), 20);
}
