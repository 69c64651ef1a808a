//! Safe, portable file and folder names.
//!
//! Names come from message subjects and folder names, which are untrusted:
//! they may hold `/`, `..`, NUL, control characters, bidi overrides or
//! Windows-reserved names. Every name this module returns is one path
//! component that stays inside its parent directory on Unix and Windows.

/// Longest name, in bytes, a `.eml` file name may have (a conservative
/// bound well under the 255-byte limit of common file systems, leaving room
/// for the collision suffix).
pub const MAX_NAME_BYTES: usize = 119;

/// Bytes kept for the subject part of a file name, so that the date prefix
/// (18 bytes), a collision suffix (`_` and up to 10 digits) and `.eml` fit
/// under [`MAX_NAME_BYTES`].
const MAX_SUBJECT_BYTES: usize = MAX_NAME_BYTES - 18 - 11 - 4;

/// Longest folder name, in bytes.
const MAX_FOLDER_BYTES: usize = 100;

/// Device names Windows reserves in any directory, with or without an
/// extension (`CON`, `con.txt`).
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// True for characters kept as they are: letters and digits of any script
/// and a few ASCII punctuation marks that no common file system or shell
/// treats specially. Everything else (separators, controls, format
/// characters such as bidi overrides, `<>:"|?*`) becomes `_`.
fn keep(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(
            c,
            ' ' | '-' | '_' | '.' | ',' | '+' | '=' | '@' | '(' | ')' | '[' | ']' | '!' | '#' | '&' | '\'' | '~'
        )
}

/// Replaces every character outside the kept set by `_`, truncates to
/// `max` bytes on a character boundary, and fixes the ends: no leading dot
/// (hidden files, `.`, `..`), no trailing dot or space (Windows drops them),
/// no Windows device name. Returns `fallback` for an empty result.
fn clean(raw: &str, max: usize, fallback: &str) -> String {
    let mut s = String::with_capacity(raw.len().min(max));
    for c in raw.chars() {
        let c = if keep(c) { c } else { '_' };
        if s.len() + c.len_utf8() > max {
            break;
        }
        s.push(c);
    }
    // Windows drops trailing spaces and dots; a leading space is merely confusing.
    let trimmed = s.trim_matches(' ');
    let mut s = trimmed.to_string();
    if s.ends_with('.') {
        s.pop();
        s.push('_');
    }
    if s.starts_with('.') {
        s.replace_range(..1, "_");
    }
    if s.is_empty() {
        return fallback.to_string();
    }
    let stem = s.split('.').next().unwrap_or("");
    if RESERVED.iter().any(|r| stem.trim_end().eq_ignore_ascii_case(r)) {
        s.insert(0, '_');
        if s.len() > max {
            // Only ASCII can be cut here: the stem is a device name.
            s.truncate(max);
        }
    }
    s
}

/// The file name (without collision suffix and `.eml`) for a message dated
/// `date` (Unix seconds, UTC) with the decoded `subject`:
/// `YYYY-MM-DD_HHMMSS_<subject>`.
pub fn file_stem(date: Option<i64>, subject: Option<&str>) -> String {
    let prefix = match date.map(civil) {
        Some((y, mo, d, h, mi, s)) if (0..=9999).contains(&y) => {
            format!("{y:04}-{mo:02}-{d:02}_{h:02}{mi:02}{s:02}")
        }
        _ => "0000-00-00_000000".to_string(),
    };
    let subject = clean(subject.unwrap_or(""), MAX_SUBJECT_BYTES, "no_subject");
    format!("{prefix}_{subject}")
}

/// The `.eml` file name for `stem` and collision number `n` (1 = first try).
pub fn file_name(stem: &str, n: u32) -> String {
    if n <= 1 {
        format!("{stem}.eml")
    } else {
        format!("{stem}_{n}.eml")
    }
}

/// A directory name for a folder named `name`: one safe path component,
/// never `.` or `..`, never empty.
pub fn folder_name(name: &str) -> String {
    clean(name, MAX_FOLDER_BYTES, "_")
}

/// The file in a folder's directory that records the folder's own name
/// when the directory is named otherwise (`a?b` written as `a_b (2)`), so
/// that reading the tree back, and a second run into it, find the folder
/// under its own name. It holds the name in UTF-8 and nothing else.
pub const FOLDER_NAME_FILE: &str = ".mailshift-folder";

/// The `n`th directory name to try for a folder named `name` (1 = first
/// try): [`folder_name`], then `<that> (2)`, `<that> (3)` ..., the way
/// mailshift numbers the `.vcf`/`.ics` files of colliding folders.
pub fn folder_dir_name(name: &str, n: u32) -> String {
    let base = folder_name(name);
    if n <= 1 {
        base
    } else {
        format!("{base} ({n})")
    }
}

/// The folder a directory named `dir` stands for, given the name its
/// [`FOLDER_NAME_FILE`] records: that name if `dir` is one of the names
/// [`folder_dir_name`] gives it (so a directory renamed by hand is known
/// by its new name), else `dir` itself.
pub fn folder_of_dir(dir: &str, recorded: Option<&str>) -> String {
    if let Some(name) = recorded.filter(|r| !r.is_empty()) {
        let base = folder_name(name);
        let numbered = dir
            .strip_prefix(base.as_str())
            .and_then(|rest| rest.strip_prefix(" ("))
            .and_then(|rest| rest.strip_suffix(')'))
            .is_some_and(|n| !n.starts_with('0') && n.parse::<u32>().is_ok_and(|n| n >= 2));
        if dir == base || numbered {
            return name.to_string();
        }
    }
    dir.to_string()
}

/// Splits a Unix timestamp (UTC) into year, month, day, hour, minute, second.
fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let c = mailshift_core::time::Civil::from_unix(t);
    (c.year, c.month, c.day, c.hour, c.minute, c.second)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_safe(name: &str) {
        assert!(!name.is_empty());
        assert!(name.len() <= MAX_NAME_BYTES, "{name:?} is {} bytes", name.len());
        assert!(!name.starts_with('.'), "{name:?}");
        assert!(!name.ends_with('.') && !name.ends_with(' '), "{name:?}");
        assert!(name != "." && name != "..");
        for c in name.chars() {
            assert!(!c.is_control(), "{name:?}");
            assert!(!"/\\<>:\"|?*\u{0}\u{202e}\u{200f}".contains(c), "{name:?} holds {c:?}");
        }
    }

    #[test]
    fn hostile_subjects() {
        let t = Some(1_700_000_000);
        let cases: &[(&str, &str)] = &[
            ("../../etc/passwd", "2023-11-14_221320__._.._etc_passwd"),
            ("CON", "2023-11-14_221320__CON"),
            ("", "2023-11-14_221320_no_subject"),
            ("a\0b\x07c", "2023-11-14_221320_a_b_c"),
            ("abc\u{202e}gpj.exe", "2023-11-14_221320_abc_gpj.exe"),
            ("Re: <x> \"y\" |z?*", "2023-11-14_221320_Re_ _x_ _y_ _z__"),
            ("...", "2023-11-14_221320__._"),
            ("Grüße aus Köln", "2023-11-14_221320_Grüße aus Köln"),
            ("dots at end...", "2023-11-14_221320_dots at end.._"),
            ("C:\\Windows\\x", "2023-11-14_221320_C__Windows_x"),
        ];
        for (subject, want) in cases {
            let stem = file_stem(t, Some(subject));
            assert_eq!(&stem, want, "subject {subject:?}");
            assert_safe(&file_name(&stem, 1));
            assert_safe(&file_name(&stem, 4_000_000_000));
        }
    }

    #[test]
    fn long_utf8_subject_is_cut_on_a_char_boundary() {
        let subject = "日本語のとても長い件名".repeat(40);
        let stem = file_stem(Some(0), Some(&subject));
        assert!(stem.starts_with("1970-01-01_000000_日本語"));
        let name = file_name(&stem, 99_999);
        assert_safe(&name);
        assert!(name.len() < 120);
        // The subject part is whole characters only.
        assert!(std::str::from_utf8(stem.as_bytes()).is_ok());
        let emoji = "🎉".repeat(200);
        assert_safe(&file_name(&file_stem(None, Some(&emoji)), 7));
    }

    #[test]
    fn undated_and_out_of_range_dates() {
        assert_eq!(file_stem(None, Some("x")), "0000-00-00_000000_x");
        assert_eq!(file_stem(Some(i64::MAX / 4), Some("x")), "0000-00-00_000000_x");
        assert_eq!(file_stem(Some(-1), Some("x")), "1969-12-31_235959_x");
    }

    #[test]
    fn numbered_folder_directories_and_their_recorded_names() {
        assert_eq!(folder_dir_name("a?b", 1), "a_b");
        assert_eq!(folder_dir_name("a?b", 2), "a_b (2)");
        assert_eq!(folder_dir_name("a?b", 12), "a_b (12)");
        assert_safe(&folder_dir_name(&"x".repeat(300), u32::MAX));
        for (dir, recorded, want) in [
            ("a_b", Some("a?b"), "a?b"),
            ("a_b (2)", Some("a:b"), "a:b"),
            ("a_b (13)", Some("a:b"), "a:b"),
            ("a_b", None, "a_b"),
            // Renamed by hand, or a record that does not fit the directory.
            ("Work", Some("a:b"), "Work"),
            ("a_b (1)", Some("a:b"), "a_b (1)"),
            ("a_b (02)", Some("a:b"), "a_b (02)"),
            ("a_b (x)", Some("a:b"), "a_b (x)"),
            ("a_b", Some(""), "a_b"),
        ] {
            assert_eq!(folder_of_dir(dir, recorded), want, "{dir:?} recording {recorded:?}");
        }
    }

    #[test]
    fn folder_names_stay_inside() {
        for (raw, want) in [
            ("..", "__"),
            (".", "_"),
            ("", "_"),
            ("a/b", "a_b"),
            ("..\\..", "_._._"),
            ("CON", "_CON"),
            ("lpt1.txt", "_lpt1.txt"),
            ("Entwürfe", "Entwürfe"),
            (".hidden", "_hidden"),
            ("trailing ", "trailing"),
        ] {
            let got = folder_name(raw);
            assert_eq!(got, want, "folder {raw:?}");
            assert_safe(&got);
        }
    }
}
