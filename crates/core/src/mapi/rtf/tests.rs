//! The worked examples of MS-OXRTFCP section 3 and MS-OXRTFEX section 3,
//! plus hostile inputs.

use super::*;

/// MS-OXRTFCP 3.1.1 "Example 1: Simple Compressed RTF".
const SIMPLE: &[u8] = &[
    0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7, 0x03, 0x00, 0x0a,
    0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20,
    0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0,
];
const SIMPLE_RAW: &[u8] = b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n";

/// MS-OXRTFCP 3.1.2 "Example 2: Reading a Token from the Dictionary that
/// Crosses WritePosition".
const CROSSING: &[u8] = &[
    0x1a, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xe2, 0xd4, 0x4b, 0x51, 0x41, 0x00, 0x04,
    0x20, 0x57, 0x58, 0x59, 0x5a, 0x0d, 0x6e, 0x7d, 0x01, 0x0e, 0xb0,
];
const CROSSING_RAW: &[u8] = b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}";

fn with_header(comp: u32, raw: u32, typ: &[u8; 4], crc: u32, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&comp.to_le_bytes());
    v.extend_from_slice(&raw.to_le_bytes());
    v.extend_from_slice(typ);
    v.extend_from_slice(&crc.to_le_bytes());
    v.extend_from_slice(body);
    v
}

#[test]
fn initial_dictionary_is_the_specs_207_bytes() {
    assert_eq!(INITIAL_DICTIONARY.len(), 207);
    assert!(INITIAL_DICTIONARY.starts_with(b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}"));
    assert!(INITIAL_DICTIONARY.ends_with(b"\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"));
}

#[test]
fn spec_example_1_simple() {
    assert_eq!(crc32(&SIMPLE[16..]), 0xA7C7_C5F1, "the CRC in the example's header");
    assert_eq!(decompress(SIMPLE).expect("decompresses"), SIMPLE_RAW);
}

#[test]
fn spec_example_2_reference_crossing_the_write_position() {
    assert_eq!(crc32(&CROSSING[16..]), 0x514B_D4E2);
    assert_eq!(decompress(CROSSING).expect("decompresses"), CROSSING_RAW);
}

#[test]
fn mela_is_stored() {
    let raw = b"{\\rtf1 plain}";
    let v = with_header(raw.len() as u32 + 12, raw.len() as u32, b"MELA", 0, raw);
    assert_eq!(decompress(&v).expect("stored"), raw);
    // Trailing bytes past RAWSIZE are not part of it.
    let mut padded = v.clone();
    padded.extend_from_slice(b"\0\0junk");
    assert_eq!(decompress(&padded).expect("stored"), raw);
    // RAWSIZE written like COMPSIZE (header bytes counted), as Aspose does:
    // COMPSIZE - 12 bounds the text.
    let quirk = with_header(raw.len() as u32 + 12, raw.len() as u32 + 12, b"MELA", 0, raw);
    assert_eq!(decompress(&quirk).expect("stored"), raw);
    // Fewer bytes than RAWSIZE: an error at the end of the data.
    let e = decompress(&v[..v.len() - 3]).expect_err("short");
    assert_eq!(e.offset, v.len() as u64 - 3);
    assert!(e.reason.contains("MELA"), "{e}");
}

#[test]
fn unknown_type_and_short_header() {
    let e = decompress(&with_header(12, 0, b"ABCD", 0, b"")).expect_err("type");
    assert_eq!(e.offset, 8);
    assert!(e.to_string().contains("COMPTYPE 0x44434241"), "{e}");
    let e = decompress(&SIMPLE[..15]).expect_err("header");
    assert_eq!(e.offset, 0);
}

#[test]
fn every_truncation_is_an_error_or_the_whole_text() {
    for (data, raw) in [(SIMPLE, SIMPLE_RAW), (CROSSING, CROSSING_RAW)] {
        let mut errors = 0;
        for n in 0..data.len() {
            match decompress(&data[..n]) {
                Err(e) => {
                    assert!(e.offset <= n as u64, "offset {} beyond {n}", e.offset);
                    errors += 1;
                }
                // Only when every raw byte came out before the end marker.
                Ok(v) => assert_eq!(v, raw, "truncated at {n}"),
            }
        }
        assert!(errors >= data.len() - 3, "{errors} errors");
    }
    // Byte 29 starts a dictionary reference whose second byte is cut off.
    let e = decompress(&SIMPLE[..30]).expect_err("truncated");
    assert_eq!(e.offset, 29);
    assert!(e.reason.contains("reference truncated"), "{e}");
    // Nothing after the header: the first control byte is missing.
    let e = decompress(&SIMPLE[..16]).expect_err("truncated");
    assert_eq!(e.offset, 16);
    assert!(e.reason.contains("before its end marker"), "{e}");
}

#[test]
fn lying_sizes() {
    // RAWSIZE far too big: the end marker ends the output, the CRC is
    // right, so the text is returned. Nothing near 4 GiB is allocated.
    let mut v = SIMPLE.to_vec();
    v[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(decompress(&v).expect("end marker"), SIMPLE_RAW);
    // RAWSIZE too small: output stops there.
    v[4..8].copy_from_slice(&10u32.to_le_bytes());
    assert_eq!(decompress(&v).expect("capped"), &SIMPLE_RAW[..10]);
    // COMPSIZE too big or too small: the CRC then covers other bytes and
    // mismatches, but the output is whole, so it reads.
    let mut v = SIMPLE.to_vec();
    v[0..4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    assert_eq!(decompress(&v).expect("big COMPSIZE"), SIMPLE_RAW);
    v[0..4].copy_from_slice(&20u32.to_le_bytes());
    assert_eq!(decompress(&v).expect("small COMPSIZE"), SIMPLE_RAW);
    v[0..4].copy_from_slice(&3u32.to_le_bytes());
    assert!(decompress(&v).expect_err("below 12").reason.contains("COMPSIZE 3"));
    // A huge RAWSIZE over a tiny body of literals: truncated, not allocated.
    let v = with_header(14, u32::MAX, b"LZFu", 0, &[0x00, b'a']);
    let e = decompress(&v).expect_err("runs out");
    assert_eq!(e.offset, 18);
}

#[test]
fn reference_to_unwritten_dictionary_is_an_error() {
    // Control byte 0x01: the first token is a reference to offset 0x800,
    // length 2, while only 207 bytes were ever written.
    let body = [0x01, 0x80, 0x00];
    let v = with_header(15, 100, b"LZFu", crc32(&body), &body);
    let e = decompress(&v).expect_err("unwritten");
    assert_eq!(e.offset, 17);
    assert!(e.reason.contains("never written"), "{e}");
    // A reference into the initial dictionary is fine: offset 0, length 6
    // gives "{\rtf1"; then the end marker at write position 207 + 6.
    let end = ((207u16 + 6) << 4).to_be_bytes();
    let body = [0x03, 0x00, 0x04, end[0], end[1]];
    let v = with_header(17, 6, b"LZFu", crc32(&body), &body);
    assert_eq!(decompress(&v).expect("initial dictionary"), b"{\\rtf1");
}

#[test]
fn crc_mismatch_reads_when_whole_and_fails_when_short() {
    let mut v = SIMPLE.to_vec();
    v[12] ^= 0xFF;
    assert_eq!(decompress(&v).expect("whole output despite CRC"), SIMPLE_RAW);
    v[4..8].copy_from_slice(&100u32.to_le_bytes());
    let e = decompress(&v).expect_err("short and bad CRC");
    assert_eq!(e.offset, 12);
    assert!(e.reason.contains("CRC mismatch"), "{e}");
}

#[test]
fn pseudo_random_streams_never_panic() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..2000 {
        let len = 16 + (round % 300);
        let mut v = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.push(x as u8);
        }
        let raw = (x >> 20) as u32 % 5000;
        v[4..8].copy_from_slice(&raw.to_le_bytes());
        v[8..12].copy_from_slice(if round % 7 == 0 { b"MELA" } else { b"LZFu" });
        if let Ok(out) = decompress(&v) {
            assert!(out.len() <= raw as usize);
        }
        let _ = decapsulate(&v);
        let _ = to_text(&v);
    }
}

/// MS-OXRTFEX 3.1 "Encapsulating HTML into RTF": the example RTF (its
/// list-item tail replaced by the closing tags), de-encapsulated as in 3.2.
#[test]
fn spec_html_example() {
    let rtf = [
        r#"{\rtf1\ANSI\ansicpg1251\fromhtml1 \deff0"#,
        r#"{\fonttbl {\f0\fmodern Courier New;}{\f1\fswiss Arial;}{\f2\fswiss\fcharset0 Arial;}}"#,
        r#"{\colortbl\red0\green0\blue0;\red0\green0\blue255;}"#,
        r#"{\*\htmltag64}"#,
        r#"\uc1\pard\plain\deftab360 \f0\fs24"#,
        r#"{\*\htmltag <HTML><head>\par"#,
        r#"<style>\par"#,
        r#"<!--\par"#,
        r#"/* Style Definitions */\par"#,
        r#"p.MsoNormal, li.MsoNormal \{font-family:Arial;\}\par"#,
        r#"-->\par"#,
        r#"</style>\par"#,
        r#"\tab <!-- This is a HTML comment.\par"#,
        r#"There is a horizontal tab (%x09) character before the comment, \par"#,
        r#"and some new lines inside the comment. -->\par"#,
        r#"</head>\par"#,
        r#"<body>\par"#,
        r#"<p\par"#,
        r#"class="MsoNormal">}"#,
        r#"{\htmlrtf \f1 \htmlrtf0 Note the line break inside a P tag. {\*\htmltag <b>}{\htmlrtf \b \htmlrtf0 This is a bold text{\*\htmltag </b>}} \htmlrtf\par\htmlrtf0}"#,
        r#"\htmlrtf \par \htmlrtf0"#,
        r#"{\*\htmltag </p>\par"#,
        r#"<p class="MsoNormal">\par}"#,
        r#"{\htmlrtf \f1 \htmlrtf0 This is a normal text with a character references:"#,
        r#"{\*\htmltag &nbsp;}\htmlrtf \'a0\htmlrtf0  {\*\htmltag &lt;}\htmlrtf <\htmlrtf0  {\*\htmltag &uml;}\htmlrtf {\f2\'a8}\htmlrtf0{\*\htmltag <br>\par}\htmlrtf\line\htmlrtf0"#,
        r#"characters which have special meaning in RTF: \{\}\\{\*\htmltag <br>\par}\htmlrtf\line\htmlrtf0\htmlrtf\par\htmlrtf0}"#,
        r#"{\*\htmltag </p>\par"#,
        r#"</body>\par"#,
        r#"</HTML>\par }}"#,
    ]
    .join("\r\n");
    let want = "<HTML><head>\r\n<style>\r\n<!--\r\n/* Style Definitions */\r\n\
        p.MsoNormal, li.MsoNormal {font-family:Arial;}\r\n-->\r\n</style>\r\n\
        \t<!-- This is a HTML comment.\r\n\
        There is a horizontal tab (%x09) character before the comment, \r\n\
        and some new lines inside the comment. -->\r\n</head>\r\n<body>\r\n<p\r\n\
        class=\"MsoNormal\">Note the line break inside a P tag. <b>This is a bold text</b> </p>\r\n\
        <p class=\"MsoNormal\">\r\n\
        This is a normal text with a character references:&nbsp; &lt; &uml;<br>\r\n\
        characters which have special meaning in RTF: {}\\<br>\r\n</p>\r\n</body>\r\n</HTML>\r\n";
    assert_eq!(decapsulate(rtf.as_bytes()), Some(Encapsulated::Html(want.to_string())));
    // The same document read as RTF: the htmltag groups vanish and the
    // \htmlrtf renderings show.
    let text = to_text(rtf.as_bytes());
    assert!(text.starts_with("Note the line break inside a P tag. This is a bold text \n\n"), "{text:?}");
    // \f2 is \fcharset0: Windows-1252 in a 1251 document, so \'a8 is
    // U+00A8 (the "&uml;" of the original), not Cyrillic U+0401.
    assert!(text.contains("references:\u{A0} < \u{A8}\n"), "{text:?}");
}

fn html(rtf: &str) -> String {
    match decapsulate(rtf.as_bytes()) {
        Some(Encapsulated::Html(h)) => h,
        other => panic!("not HTML: {other:?}"),
    }
}

#[test]
fn htmlrtf_nests_with_groups() {
    let rtf =
        r"{\rtf1\ansi\fromhtml1 {\*\htmltag <p>}a{\htmlrtf b{c\htmlrtf0 d}e}f\htmlrtf g{\htmlrtf0 h}i\htmlrtf0 j}";
    assert_eq!(html(rtf), "<p>adfhj");
}

#[test]
fn unicode_with_uc_skip_counts() {
    let rtf = r"{\rtf1\ansi\fromhtml1 {\*\htmltag <p>}\uc0\u8364 x{\uc2\u8364\'80\'80y}\uc1\u-10179?\u-8704?{\*\htmltag \u233?}\u56832?}";
    // \u-10179 \u-8704 is the surrogate pair of U+1F600; a lone low
    // surrogate is U+FFFD.
    assert_eq!(html(rtf), "<p>\u{20AC}x\u{20AC}y\u{1F600}\u{E9}\u{FFFD}");
}

#[test]
fn shift_jis_code_pages() {
    let rtf = r"{\rtf1\ansi\ansicpg932\fromhtml1 {\*\htmltag <p>}\'82\'a0\'82\'a2{\*\htmltag </p>}}";
    assert_eq!(html(rtf), "<p>\u{3042}\u{3044}</p>");
    // A font with \fcharset128 switches text (not tags) to Shift-JIS.
    let rtf = r"{\rtf1\ansi\ansicpg1252\fromhtml1 \deff0{\fonttbl{\f0\fswiss Arial;}{\f1\fnil\fcharset128 MS Gothic;}}{\*\htmltag <p title='\'e9'>}{\f1 \'82\'a0}\'e9{\*\htmltag </p>}}";
    assert_eq!(html(rtf), "<p title='\u{E9}'>\u{3042}\u{E9}</p>");
}

#[test]
fn ignorable_and_header_destinations_are_skipped() {
    let rtf = r"{\rtf1\ansi\fromhtml1 {\fonttbl{\f0 Arial;}}{\colortbl;\red1;}{\stylesheet{\s0 Normal;}}{\*\mhtmltag <img src=cid:x>}{\*\htmltag <img src=x>}{\*\unknown junk}{\pict abc}\htmlbase}";
    assert_eq!(html(rtf), "<img src=x>");
}

#[test]
fn from_text() {
    let rtf = r"{\rtf1\ansi\ansicpg1252\fromtext \fbidis \deff0{\fonttbl{\f0\fswiss Arial;}}{\colortbl;\red0\green0\blue0;}\uc1\pard\plain\deftab360 \f0\fs20 Hello \'e9t\'e9\par second\tab line\par}";
    assert_eq!(decapsulate(rtf.as_bytes()), Some(Encapsulated::Text("Hello \u{E9}t\u{E9}\r\nsecond\tline\r\n".into())));
}

#[test]
fn native_rtf_is_not_encapsulated() {
    assert_eq!(decapsulate(br"{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}\pard Hello\par}"), None);
    // \fromhtml1 too late to be in the header.
    assert_eq!(decapsulate(br"{\rtf1\ansi\a\b\c\d\e\f\g\h\i\j\k\fromhtml1 x}"), None);
    assert_eq!(decapsulate(b"not rtf \\fromhtml1"), None);
    assert_eq!(decapsulate(b" \r\n{\\rtf1\\fromtext x}"), Some(Encapsulated::Text("x".into())));
    assert_eq!(decapsulate(b""), None);
}

#[test]
fn to_text_of_native_rtf() {
    let rtf = br"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times;}}{\colortbl;\red255\green0\blue0;}{\stylesheet{\s0 Normal;}}{\info{\title T}{\author A}}\pard\plain Caf\'e9 {\b bold}\par Line\line two\tab end {\*\generator X;}{\pict\pngblip 89504e47}\bin4 {}{}\u8364?\par}";
    assert_eq!(to_text(rtf), "Caf\u{E9} bold\nLine\ntwo\tend \u{20AC}\n");
}

#[test]
fn deep_nesting_and_hostile_words() {
    let mut rtf = b"{\\rtf1\\ansi\\fromhtml1 ".to_vec();
    rtf.extend(std::iter::repeat_n(b'{', 100_000));
    rtf.extend_from_slice(b"abc");
    rtf.extend(std::iter::repeat_n(b'}', 100_000));
    rtf.extend_from_slice(b"d}");
    assert_eq!(html(std::str::from_utf8(&rtf).expect("ascii")), "abcd");
    assert_eq!(to_text(&rtf), "abcd");
    // Unbalanced, huge parameters, a \bin running past the end, a word of
    // 10 000 letters, a dangling backslash.
    let mut rtf = b"{\\rtf1 }}}}{{{\\u99999999999999999999 \\uc-5 \\f-2147483649 x".to_vec();
    rtf.push(b'\\');
    rtf.extend(std::iter::repeat_n(b'q', 10_000));
    rtf.extend_from_slice(b" \\'zz\\'4 \\bin999999999 abc\\");
    let t = to_text(&rtf);
    // Text after the root group's `}` is outside the document; the huge
    // \u is clamped (U+FFFF) and its one fallback is the next control
    // word; a malformed \' escape is dropped and its letters read as text.
    assert_eq!(t, "\u{FFFF}xzz4 ");
    assert_eq!(decapsulate(&rtf), None);
}

#[test]
fn skipped_groups_end_at_their_own_brace() {
    // Escaped braces and backslashes, `\binN` data holding braces, and
    // nested groups inside skipped destinations do not end them early or
    // late; a `\binfoo` word is not `\bin`.
    let rtf = br"{\rtf1\ansi\fromhtml1 {\*\htmltag <p>}{\*\x a\}b\{c\\}d{\pict{\*\blipuid 1}\bin3 }{}{\binfoo }}e{\*\w \bin2 {{}f{\*\y {\z \'7d}}g{\themedata {{{}}}}h}";
    match decapsulate(rtf) {
        Some(Encapsulated::Html(h)) => assert_eq!(h, "<p>defgh"),
        other => panic!("not HTML: {other:?}"),
    }
    // A skipped group that never closes ends the document.
    assert_eq!(to_text(br"{\rtf1 a{\*\x b{c"), "a");
    assert_eq!(to_text(br"{\rtf1 a{\*\x b\bin99 }"), "a");
}
