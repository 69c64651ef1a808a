//! Unit tests of the MIME -> MAPI conversion: real property values.

use super::*;
use crate::mapi::tags as t;

fn conv(raw: &[u8]) -> Converted {
    message(&MailItem::new(raw.to_vec()))
}

#[test]
fn smoke() {
    let c = conv(b"From: A <a@x.org>\r\nTo: b@y.org\r\nSubject: RE: hi\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n");
    assert_eq!(c.message.props.str(t::SUBJECT_PREFIX), Some("RE: "));
}
