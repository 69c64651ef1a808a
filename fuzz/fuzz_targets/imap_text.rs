//! What the IMAP store parses itself (issue 13; the protocol is
//! async-imap's): a message's header fields and keys as an upload makes
//! them (CRLF normalization, unfolding, Message-ID), mailbox names as a
//! server lists them (delimiter, prefix, modified UTF-7, special-use
//! roles), an address as a user types it, and a journal file as a killed
//! run may leave it.
#![no_main]
use std::io::Write;

use libfuzzer_sys::fuzz_target;
use mailshift_imap::journal::Journal;
use mailshift_imap::keys::{self, Key};
use mailshift_imap::names::{role_of, special_mailboxes, Layout};
use mailshift_imap::{ImapAddress, Listed};

fuzz_target!(|data: &[u8]| {
    // A message about to be appended, and its fields as a server gives them.
    let body = keys::crlf(data);
    // Every line ends in CRLF: no bare LF, no bare CR.
    assert!(!body.windows(2).any(|w| w[0] != b'\r' && w[1] == b'\n') && body.first() != Some(&b'\n'));
    assert!(!body.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n') && body.last() != Some(&b'\r'));
    let head = keys::header(&body);
    let _ = Key::of(head, body.len() as u64);
    for f in [&b"message-id"[..], b"date", b"from", b"subject"] {
        if let Some(v) = keys::field(head, f) {
            let _ = keys::message_id(&v);
        }
    }
    // Mailbox names: one per line, the first byte of each the delimiter.
    let text = String::from_utf8_lossy(data);
    let listed: Vec<Listed> = text
        .lines()
        .take(64)
        .map(|l| {
            let mut cs = l.chars();
            let d = cs.next();
            Listed {
                name: cs.as_str().to_string(),
                delimiter: d.filter(|c| !c.is_alphanumeric()),
                attributes: if l.len() % 3 == 0 { vec!["\\Sent".into()] } else { vec![] },
            }
        })
        .collect();
    let layout = Layout::from_list(&listed);
    let _ = special_mailboxes(&listed, &layout);
    for l in &listed {
        let path = layout.decode(&l.name);
        let _ = role_of(l, &layout);
        let (name, _) = layout.encode(&path);
        let _ = layout.decode(&name);
    }
    // An address.
    if let Ok(a) = ImapAddress::parse(&text) {
        let again = ImapAddress::parse(&a.to_string()).expect("an address we print parses again");
        assert_eq!(again.user, a.user);
        assert_eq!(again.host, a.host);
    }
    // A journal file, for one input in eight (the file calls are most of
    // the time spent; one temp dir for the whole run).
    if data.first().is_none_or(|b| b & 7 != 0) {
        return;
    }
    static DIR: std::sync::OnceLock<Option<tempfile::TempDir>> = std::sync::OnceLock::new();
    let Some(dir) = DIR.get_or_init(|| tempfile::tempdir().ok()) else { return };
    let p = dir.path().join("j");
    if std::fs::File::create(&p).and_then(|mut f| f.write_all(data)).is_ok() {
        if let Ok(mut j) = Journal::open(&p, false) {
            let _ = j.take("INBOX", 1);
            let _ = j.record("INBOX", 1, &[(1, Key([0; 16]))]);
        }
    }
});
