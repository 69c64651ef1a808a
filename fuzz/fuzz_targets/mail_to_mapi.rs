//! Mail from MIME into MAPI (issue 10): the input as an RFC 5322 message
//! through `mapi::mime::inbound::message` (with every flag and a keyword,
//! so the state arms run), and the MAPI message it gives back out through
//! `mapi::mime::build`. Panics inside mail-parser that the conversion
//! catches are not crashes (see below).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_core::mapi::mime::{build, inbound};
use mailshift_core::{Flags, MailItem};

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys's panic hook aborts on every panic, caught or not; the
    // conversion catches mail-parser's (see inbound::message), so only a
    // panic that gets out of it is a crash here (libfuzzer-sys aborts on
    // those after unwinding).
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let mut item = MailItem::new(data);
    if data.first().is_some_and(|b| b & 1 == 1) {
        item.flags = Flags::SEEN | Flags::ANSWERED | Flags::FORWARDED | Flags::FLAGGED | Flags::DRAFT | Flags::DELETED;
        item.keywords = vec!["Work".into(), String::new()];
        item.received = Some(1_700_000_000);
    }
    let c = inbound::message(&item);
    let _ = build(&c.message);
});
