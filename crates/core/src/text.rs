//! Text from a source on its way to a person's terminal.
//!
//! Folder names, subjects and paths come from the source and are data: a
//! folder named `ESC ] 0 ; … BEL` must not retitle the window, and a
//! right-to-left override must not reorder the line. [`for_terminal`]
//! escapes every C0 and C1 control character, DEL and the bidirectional
//! formatting characters as `\x1b`, `\u{202e}`; [`pad`] aligns by display
//! width, so CJK names (two columns a character) and combining marks
//! (none) keep a table's columns straight. The JSON report keeps the real
//! strings (JSON-escaped by serde).

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

/// True for the characters [`for_terminal`] escapes.
fn unsafe_char(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with control, DEL, C1 and bidi-override characters escaped, safe to
/// print on a terminal. Borrowed when nothing needed escaping.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && unsafe_char(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Columns `s` takes on a terminal (East Asian wide characters two,
/// combining marks none). Meant for text already passed through
/// [`for_terminal`].
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` columns, with `…` where it was cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    Cow::Owned(out)
}

/// `s` followed by spaces up to `columns` display columns (left-aligned).
pub fn pad(s: &str, columns: usize) -> String {
    let mut out = s.to_string();
    for _ in width(s)..columns {
        out.push(' ');
    }
    out
}

/// A byte count for people, in decimal units: `950 B`, `12.3 kB`,
/// `4.56 MB`, `20.0 GB` (three significant digits at most).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 999.5 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    let digits = if v >= 99.95 {
        0
    } else if v >= 9.995 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_counts_for_people() {
        use super::human_bytes;
        assert_eq!(human_bytes(950), "950 B");
        assert_eq!(human_bytes(12_345), "12.3 kB");
        assert_eq!(human_bytes(4_560_000), "4.56 MB");
        assert_eq!(human_bytes(999_999), "1.00 MB");
        assert_eq!(human_bytes(20 << 30), "21.5 GB");
    }

    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(for_terminal("Inbox"), "Inbox");
        assert!(matches!(for_terminal("Café 日本"), Cow::Borrowed(_)));
        assert_eq!(for_terminal("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(for_terminal("x\u{9b}31m"), "x\\u{009b}31m");
        assert_eq!(for_terminal("\u{202e}txt.exe"), "\\u{202e}txt.exe");
        assert_eq!(for_terminal("a\tb\r\n\x7f"), "a\\tb\\r\\n\\x7f");
    }

    #[test]
    fn widths() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("日本語"), 6);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(pad("日本", 6), "日本  ");
        assert_eq!(pad("toolong", 3), "toolong");
        assert_eq!(truncate("日本語のフォルダ", 7), "日本語…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
