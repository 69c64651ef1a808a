//! Folder names: modified UTF-7 (RFC 3501 section 5.1.3) and the `\NN`
//! escapes of directory names.

use mailshift_maildir::mutf7::{decode, encode};
use mailshift_maildir::name::{decode_component, encode_component};
use mailshift_maildir::Layout;

#[test]
fn rfc3501_example() {
    // RFC 3501 5.1.3: "~peter/mail/台北/日本語".
    assert_eq!(encode("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    assert_eq!(decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-").as_deref(), Some("~peter/mail/台北/日本語"));
    // ... and the forms it calls illegal.
    assert_eq!(decode("&Jjo!"), None, "unterminated run");
    assert_eq!(decode("&U,BTFw-&ZeVnLIqe-"), None, "two runs in a row");
    assert_eq!(decode("&Jjo-!").as_deref(), Some("☺!"));
}

#[test]
fn common_names() {
    for (plain, coded) in [
        ("Entwürfe", "Entw&APw-rfe"),
        ("日本語", "&ZeVnLIqe-"),
        ("A&B", "A&-B"),
        ("&", "&-"),
        ("Gelöschte Elemente", "Gel&APY-schte Elemente"),
        ("a.b/c", "a.b/c"),
        ("Ünïcödé", "&ANw-n&AO8-c&APY-d&AOk-"),
        ("😀", "&2D3eAA-"),
        ("tab\there", "tab&AAk-here"),
        ("", ""),
    ] {
        assert_eq!(encode(plain), coded, "encode {plain:?}");
        assert_eq!(decode(coded).as_deref(), Some(plain), "decode {coded:?}");
    }
}

#[test]
fn invalid_mutf7_is_rejected() {
    for bad in ["&", "&AP", "&APw", "&AGE-", "&APx-", "ü", "&2D0-", "a\u{7f}b", "&*-"] {
        assert_eq!(decode(bad), None, "{bad:?}");
    }
}

#[test]
fn components_escape_what_a_directory_cannot_hold() {
    assert_eq!(encode_component("a.b", Layout::MaildirPlusPlus), "a\\2eb");
    assert_eq!(encode_component("a/b", Layout::MaildirPlusPlus), "a\\2fb");
    assert_eq!(encode_component("a\\b", Layout::MaildirPlusPlus), "a\\5cb");
    assert_eq!(encode_component("~home", Layout::MaildirPlusPlus), "\\7ehome");
    assert_eq!(encode_component("a~b", Layout::MaildirPlusPlus), "a~b");
    assert_eq!(encode_component("Entwürfe", Layout::MaildirPlusPlus), "Entw&APw-rfe");
    // LAYOUT=fs: dots are fine inside a name, not at its start.
    assert_eq!(encode_component("a.b", Layout::Fs), "a.b");
    assert_eq!(encode_component(".hidden", Layout::Fs), "\\2ehidden");
    assert_eq!(encode_component("..", Layout::Fs), "\\2e.");
    assert_eq!(encode_component("cur", Layout::Fs), "\\63ur");
    assert_eq!(encode_component("cur", Layout::MaildirPlusPlus), "cur");
    for name in ["a.b", "a/b", "a\\b", "~x", ".x", "..", "cur", "new", "tmp", "Ünïcödé/Sub.x", "&\\2e", "x\\"] {
        for layout in [Layout::MaildirPlusPlus, Layout::Fs] {
            let c = encode_component(name, layout);
            assert!(!c.contains('/'), "{c}");
            if layout == Layout::MaildirPlusPlus {
                assert!(!c.contains('.'), "{c}");
            }
            assert_eq!(decode_component(&c), (name.to_string(), true), "{name:?} as {c:?}");
        }
    }
}

#[test]
fn bad_components_decode_as_they_are() {
    // Not mUTF-7: taken as written, flagged invalid.
    assert_eq!(decode_component("Entw&rfe"), ("Entw&rfe".to_string(), false));
    // A backslash not followed by two hex digits is literal.
    assert_eq!(decode_component("a\\zz"), ("a\\zz".to_string(), true));
    assert_eq!(decode_component("a\\2"), ("a\\2".to_string(), true));
}
