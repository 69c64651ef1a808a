//! Folder names <-> directory names.
//!
//! A folder name is stored as modified UTF-7 ([`crate::mutf7`]), as Dovecot
//! 2.3 and Courier do by default. Characters that cannot appear in a
//! directory name component are then escaped as `\NN` (two lower-case hex
//! digits), the form of Dovecot's listescape plugin (`listescape_char`,
//! default `\`):
//!
//! - `\` itself, and `/` always;
//! - `.` in Maildir++ (it is the hierarchy separator there);
//! - a leading `~` (Dovecot refuses it: it could be taken for a home
//!   directory) and, in `LAYOUT=fs`, a leading `.` (hidden, or `.`/`..`);
//! - in `LAYOUT=fs`, the first letter of a name equal to `cur`, `new` or
//!   `tmp`, which would otherwise be taken for the parent's own maildir
//!   directories.
//!
//! A store whose names needed no escaping reads the same in any Dovecot;
//! one with escapes reads back with the listescape plugin and a virtual
//! separator other than `.`:
//! `mail_plugins = listescape`, `namespace inbox { separator = / }`.

use crate::mutf7;
use crate::Layout;

/// The escape character (Dovecot listescape's default).
const ESCAPE: char = '\\';

/// Encodes one folder name (one element of a folder path) as the directory
/// name component of `layout`.
pub fn encode_component(name: &str, layout: Layout) -> String {
    let m = mutf7::encode(name);
    let mut out = String::with_capacity(m.len() + 4);
    let reserved = layout == Layout::Fs && matches!(m.as_str(), "cur" | "new" | "tmp");
    for (i, c) in m.chars().enumerate() {
        let escape = c == ESCAPE
            || c == '/'
            || (c == '.' && (layout == Layout::MaildirPlusPlus || i == 0))
            || (c == '~' && i == 0)
            || (reserved && i == 0);
        if escape {
            out.push_str(&format!("{ESCAPE}{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Undoes `\NN` escapes (any two hex digits; a lone `\` stays), then
/// modified UTF-7. Returns the name and whether it was valid modified UTF-7
/// (if not, the unescaped text is returned as it is).
pub fn decode_component(component: &str) -> (String, bool) {
    let bytes = component.as_bytes();
    let mut raw: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == ESCAPE as u8 && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                raw.push(v);
                i += 3;
                continue;
            }
        }
        raw.push(bytes[i]);
        i += 1;
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    match mutf7::decode(&text) {
        Some(name) => (name, true),
        None => (text, false),
    }
}
