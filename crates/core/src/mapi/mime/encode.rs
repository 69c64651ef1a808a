//! Byte-level encodings of MIME: base64 and quoted-printable bodies
//! (RFC 2045 6.7, 6.8), encoded-words (RFC 2047), parameter value
//! continuations and charsets (RFC 2231), and header folding (RFC 5322 2.2.3).

/// Where folding aims (RFC 5322 2.1.1: lines SHOULD be at most 78 characters).
const FOLD_AT: usize = 78;
/// RFC 5322 2.1.1: lines MUST be at most 998 characters, CRLF excluded.
pub const MAX_LINE: usize = 998;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 without line breaks.
pub fn base64(data: &[u8]) -> String {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    base64_into(data, &mut out);
    // Only bytes of the base64 alphabet and '=' were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the base64 form of `data` to `out` (attachments run through
/// here, so it works on whole triples rather than character by character).
fn base64_into(data: &[u8], out: &mut Vec<u8>) {
    let mut triples = data.chunks_exact(3);
    for t in &mut triples {
        let n = (u32::from(t[0]) << 16) | (u32::from(t[1]) << 8) | u32::from(t[2]);
        out.extend_from_slice(&[
            B64[(n >> 18) as usize & 63],
            B64[(n >> 12) as usize & 63],
            B64[(n >> 6) as usize & 63],
            B64[n as usize & 63],
        ]);
    }
    let rest = triples.remainder();
    if !rest.is_empty() {
        let b1 = rest.get(1).copied().unwrap_or(0);
        let n = (u32::from(rest[0]) << 16) | (u32::from(b1) << 8);
        out.push(B64[(n >> 18) as usize & 63]);
        out.push(B64[(n >> 12) as usize & 63]);
        out.push(if rest.len() == 2 { B64[(n >> 6) as usize & 63] } else { b'=' });
        out.push(b'=');
    }
}

/// Base64 body: lines of 76 characters (RFC 2045 6.8), CRLF between them,
/// no CRLF after the last.
pub fn base64_body(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    base64_body_into(data, &mut out);
    out
}

/// The length of [`base64_body`]`(data)` for `data` of `n` bytes.
pub fn base64_body_len(n: usize) -> usize {
    let chars = n.div_ceil(3) * 4;
    chars + chars.div_ceil(76).saturating_sub(1) * 2
}

/// Appends [`base64_body`]`(data)` to `out`. Encoded with SIMD
/// (base64-simd) 64 lines at a time into a small buffer, then broken into
/// lines.
pub fn base64_body_into(data: &[u8], out: &mut Vec<u8>) {
    // 57 input bytes make exactly one 76-character line.
    const LINES: usize = 64;
    out.reserve(base64_body_len(data.len()));
    // Not zeroed first: base64-simd writes what it returns.
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 76 * LINES];
    let mut first = true;
    for block in data.chunks(57 * LINES) {
        let enc = base64_simd::STANDARD.encode(block, base64_simd::Out::from_uninit_slice(&mut buf));
        let mut lines = enc.chunks_exact(76);
        // Whole lines as arrays: copies of a known 76 bytes, made inline
        // instead of a call to memmove for each line.
        for line in lines.by_ref().filter_map(|l| <&[u8; 76]>::try_from(l).ok()) {
            if !first {
                out.extend_from_slice(b"\r\n");
            }
            first = false;
            out.extend_from_slice(line);
        }
        let rest = lines.remainder();
        if !rest.is_empty() {
            if !first {
                out.extend_from_slice(b"\r\n");
            }
            first = false;
            out.extend_from_slice(rest);
        }
    }
}

/// Of [`base64_body`]`(data)`: its length, and its first and its last
/// `n` bytes (all of it when shorter), without encoding the middle. Each
/// line encodes its own 57 bytes of `data`, so a run of whole lines
/// encodes alike wherever it is cut out.
pub fn base64_body_ends(data: &[u8], n: usize) -> (usize, Vec<u8>, Vec<u8>) {
    let len = base64_body_len(data.len());
    // Whole lines enough for n bytes: 76 characters and CRLF each.
    let lines = n.div_ceil(78) + 1;
    if data.len() <= 57 * 2 * lines {
        let all = base64_body(data);
        let first = all[..all.len().min(n)].to_vec();
        let last = all[all.len().saturating_sub(n)..].to_vec();
        return (len, first, last);
    }
    let head = base64_body(&data[..57 * lines]);
    let total_lines = data.len().div_ceil(57);
    // One more line at the end, which may be as short as 4 characters.
    let tail = base64_body(&data[57 * (total_lines - lines - 1)..]);
    (len, head[..n].to_vec(), tail[tail.len() - n..].to_vec())
}

/// Text with every line ending (CRLF, lone LF, lone CR) made CRLF.
pub fn crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32 + 2);
    let mut i = 0;
    while let Some(j) = memchr::memchr2(b'\r', b'\n', &text[i..]) {
        let at = i + j;
        out.extend_from_slice(&text[i..at]);
        out.extend_from_slice(b"\r\n");
        i = if text[at] == b'\r' && text.get(at + 1) == Some(&b'\n') { at + 2 } else { at + 1 };
    }
    out.extend_from_slice(&text[i..]);
    out
}

/// The bytes quoted-printable writes as they are (RFC 2045 6.7 rule 2),
/// and space and tab, which are literal except at the end of a line.
const QP_LITERAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 33;
    while c <= 126 {
        t[c] = c != b'=' as usize;
        c += 1;
    }
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t
};

/// Quoted-printable body (RFC 2045 6.7) of CRLF-normalised text: encoded
/// lines of at most 76 characters, CRLF line breaks kept as hard breaks.
/// A line starting with `From ` gets its `F` encoded, so that mbox writers
/// downstream need not mangle it; a leading `.` is encoded for SMTP's sake.
/// Runs of literal bytes are copied whole.
pub fn quoted_printable(text: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    let mut start = 0;
    loop {
        let (mut line, last) = match memchr::memchr(b'\n', &text[start..]) {
            Some(k) => (&text[start..start + k], false),
            None => (&text[start..], true),
        };
        start += line.len() + 1;
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        let (mut i, mut col) = (0usize, 0usize);
        while i < line.len() {
            let c = line[i];
            let first = i == 0 && (c == b'.' || (c == b'F' && line.starts_with(b"From ")));
            let trailing_ws = (c == b' ' || c == b'\t') && i + 1 == line.len();
            if QP_LITERAL[usize::from(c)] && !first && !trailing_ws {
                // Keep room for the soft break's "=" (76 = 75 + "=").
                if col >= 75 {
                    out.extend_from_slice(b"=\r\n");
                    col = 0;
                }
                let limit = (i + 75 - col).min(line.len());
                let j = literal_run(line, i + 1, limit);
                let j = if j == line.len() && matches!(line[j - 1], b' ' | b'\t') { j - 1 } else { j };
                out.extend_from_slice(&line[i..j]);
                col += j - i;
                i = j;
            } else {
                if col + 3 > 75 {
                    out.extend_from_slice(b"=\r\n");
                    col = 0;
                }
                out.extend_from_slice(&[b'=', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
                col += 3;
                i += 1;
            }
        }
        if last {
            break;
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The end of the run of [`QP_LITERAL`] bytes of `line` from `j`, at most
/// `limit`: 16 bytes at a time while they are all printable ASCII other
/// than `=` (a test the compiler vectorises), then a byte at a time.
fn literal_run(line: &[u8], mut j: usize, limit: usize) -> usize {
    while j + 16 <= limit {
        let plain = line[j..j + 16].iter().fold(true, |all, &b| all & (b' '..=b'~').contains(&b) & (b != b'='));
        if !plain {
            break;
        }
        j += 16;
    }
    while j < limit && QP_LITERAL[usize::from(line[j])] {
        j += 1;
    }
    j
}

/// How a text body is transferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding {
    /// Short lines of printable ASCII: as is.
    SevenBit,
    /// Mostly ASCII.
    QuotedPrintable,
    /// Mostly not ASCII (CJK, binary-ish).
    Base64,
}

impl TransferEncoding {
    /// The `Content-Transfer-Encoding` value.
    pub fn name(self) -> &'static str {
        match self {
            TransferEncoding::SevenBit => "7bit",
            TransferEncoding::QuotedPrintable => "quoted-printable",
            TransferEncoding::Base64 => "base64",
        }
    }

    /// Chooses by CRLF-normalised content: 7bit for plain ASCII lines of at most 78
    /// characters, quoted-printable while at most a quarter of the bytes
    /// would need escaping, base64 beyond (escaping triples a byte, base64
    /// costs a third more on all of them).
    pub fn choose(text: &[u8]) -> TransferEncoding {
        // Comparisons the compiler vectorises (a table lookup a byte does
        // not), counted in 255-byte chunks so that a lane cannot overflow.
        let escaped: usize = text
            .chunks(255)
            .map(|c| {
                let n: u8 = c
                    .iter()
                    .map(|&b| u8::from(!((b' '..=b'~').contains(&b) || b == b'\t' || b == b'\r' || b == b'\n')))
                    .fold(0u8, u8::wrapping_add);
                usize::from(n)
            })
            .sum();
        let long_line = memchr::memchr_iter(b'\n', text)
            .chain(std::iter::once(text.len()))
            .scan(0usize, |start, end| {
                let len = end - *start;
                *start = end + 1;
                Some(len)
            })
            .any(|len| len > FOLD_AT + 1);
        let from_line = text.starts_with(b"From ") || memfind(text, b"\nFrom ").is_some();
        if escaped == 0 && !long_line && !from_line {
            TransferEncoding::SevenBit
        } else if escaped * 4 <= text.len() {
            TransferEncoding::QuotedPrintable
        } else {
            TransferEncoding::Base64
        }
    }

    /// Encodes `text` (CRLF-normalised already for the text encodings).
    pub fn encode(self, text: &[u8]) -> Vec<u8> {
        match self {
            TransferEncoding::SevenBit => text.to_vec(),
            TransferEncoding::QuotedPrintable => quoted_printable(text),
            TransferEncoding::Base64 => base64_body(text),
        }
    }
}

/// First position of `needle` in `hay`.
pub fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    memchr::memmem::find(hay, needle)
}

/// UTF-8 text cut at character boundaries into pieces of at most `max` bytes.
fn utf8_chunks(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, ch) in text.char_indices() {
        let next = i + ch.len_utf8();
        if next - start > max && end > start {
            out.push(&text[start..end]);
            start = end;
        }
        end = next;
    }
    if end > start {
        out.push(&text[start..end]);
    }
    out
}

/// RFC 2047 B encoded-words for `text`, each at most 64 characters (39
/// bytes of UTF-8 each, never splitting a character: RFC 2047 5 requires
/// each encoded-word to hold whole characters).
pub fn encoded_words(text: &str) -> Vec<String> {
    utf8_chunks(text, 39).into_iter().map(|c| format!("=?utf-8?B?{}?=", base64(c.as_bytes()))).collect()
}

/// Whether an unstructured-text token must be carried in encoded-words:
/// non-ASCII, control characters (a stray CR or LF must never reach the
/// header), something that would itself read as an encoded-word, or a word
/// too long for any line.
fn needs_encoding(word: &str) -> bool {
    word.bytes().any(|b| !(33..127).contains(&b)) || (word.contains("=?") && word.contains("?=")) || word.len() > 900
}

/// Splits at whitespace into tokens that each start with their leading
/// whitespace (the first may have none), so that joining them gives the
/// text back and a fold may go before any token.
fn wsp_tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        let ws = c == ' ' || c == '\t';
        if ws && in_word {
            out.push(&text[start..i]);
            start = i;
        }
        in_word = !ws;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Unstructured header text (Subject, Thread-Topic ...) as header tokens:
/// plain words stay readable; runs of words that need it become
/// encoded-words (the whitespace inside a run is encoded with it, since
/// whitespace between adjacent encoded-words is dropped on decoding).
pub fn unstructured(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let tokens = wsp_tokens(text);
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        let word = t.trim_start_matches([' ', '\t']);
        if !needs_encoding(word) {
            out.push(t.to_string());
            i += 1;
            continue;
        }
        let lead = &t[..t.len() - word.len()];
        let mut run = word.to_string();
        i += 1;
        while i < tokens.len() && needs_encoding(tokens[i].trim_start_matches([' ', '\t'])) {
            run.push_str(tokens[i]);
            i += 1;
        }
        for (k, w) in encoded_words(&run).into_iter().enumerate() {
            if k == 0 {
                out.push(format!("{lead}{w}"));
            } else {
                out.push(format!(" {w}"));
            }
        }
    }
    out
}

/// A header field from tokens that each begin with the whitespace before
/// them (as [`unstructured`] makes them): folded before a token whenever the
/// line would pass 78 columns (RFC 5322 2.2.3 folds only at existing
/// whitespace, so unfolding gives the value back). Ends with CRLF.
pub fn fold_tokens<T: AsRef<str>>(name: &str, tokens: &[T]) -> String {
    let mut out = String::with_capacity(name.len() + 4 + tokens.iter().map(|t| t.as_ref().len() + 1).sum::<usize>());
    out.push_str(name);
    out.push(':');
    let mut col = out.len();
    for (k, t) in tokens.iter().enumerate() {
        let t = t.as_ref();
        let space = k == 0 && !t.starts_with([' ', '\t']);
        let len = t.len() + usize::from(space);
        if k > 0 && col + len > FOLD_AT {
            out.push_str("\r\n");
            col = 0;
        }
        col += len;
        if space {
            out.push(' ');
        }
        out.push_str(t);
    }
    out.push_str("\r\n");
    out
}

/// A structured header value (address lists, msg-id lists, parameters)
/// folded at whitespace outside quoted strings: a token ends before a
/// space or tab outside quotes once it holds something but white space.
pub fn fold_structured(name: &str, value: &str) -> String {
    let mut tokens: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut filled = false;
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in value.char_indices() {
        if !quoted && (c == ' ' || c == '\t') && filled {
            tokens.push(&value[start..i]);
            start = i;
            filled = false;
        }
        if !c.is_whitespace() {
            filled = true;
        }
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        }
    }
    if start < value.len() {
        tokens.push(&value[start..]);
    }
    fold_tokens(name, &tokens)
}

/// An unstructured header field, encoded and folded.
pub fn header_text(name: &str, text: &str) -> String {
    fold_tokens(name, &unstructured(text))
}

/// RFC 5987 `attr-char`: what may stand unescaped in an RFC 2231 value.
fn attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// Whether `s` may be an RFC 2045 token.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (33..127).contains(&b) && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

/// A `quoted-string` (RFC 5322 3.2.4) of printable ASCII.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A MIME parameter as one or more `name=value` strings: a token or quoted
/// string when the value is short printable ASCII, else RFC 2231 UTF-8
/// percent-encoding, in numbered continuations of at most 60 characters
/// when long (RFC 2231 3 and 4).
pub fn param(name: &str, value: &str) -> Vec<String> {
    let printable = value.bytes().all(|b| (32..127).contains(&b));
    if printable && value.len() <= 60 {
        // Tokens would do (RFC 2045 5.1), but file names go quoted, as
        // some readers expect them so.
        let bare = is_token(value) && !name.contains("name");
        return vec![if bare { format!("{name}={value}") } else { format!("{name}={}", quote(value)) }];
    }
    // Continuations are cut between characters, never inside one: Python's
    // `email` decodes each section on its own.
    let mut pieces: Vec<String> = vec![String::new()];
    let mut buf = [0u8; 4];
    for ch in value.chars() {
        let enc: String = ch
            .encode_utf8(&mut buf)
            .bytes()
            .map(|b| if attr_char(b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        if pieces.last().map_or(0, String::len) + enc.len() > 60 {
            pieces.push(String::new());
        }
        if let Some(p) = pieces.last_mut() {
            p.push_str(&enc);
        }
    }
    if pieces.len() == 1 {
        return vec![format!("{name}*=utf-8''{}", pieces[0])];
    }
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| if i == 0 { format!("{name}*0*=utf-8''{p}") } else { format!("{name}*{i}*={p}") })
        .collect()
}

/// A header with a value and parameters (`Content-Type`,
/// `Content-Disposition`), folded between parameters.
pub fn header_params(name: &str, value: &str, params: &[(&str, &str)]) -> String {
    let mut v = value.to_string();
    for (k, val) in params {
        for p in param(k, val) {
            v.push_str("; ");
            v.push_str(&p);
        }
    }
    fold_structured(name, &v)
}

#[cfg(test)]
mod tests {
    /// The byte-at-a-time quoted-printable encoder the run-copying one
    /// replaced, as the reference it must equal.
    fn qp_reference(text: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut lines = text.split(|&b| b == b'\n').peekable();
        while let Some(mut line) = lines.next() {
            let last = lines.peek().is_none();
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            let mut col = 0usize;
            for (i, &c) in line.iter().enumerate() {
                let at_end = i + 1 == line.len();
                let literal = match c {
                    b'=' => false,
                    b' ' | b'\t' => !at_end,
                    b'F' if i == 0 && line.starts_with(b"From ") => false,
                    b'.' if i == 0 => false,
                    33..=126 => true,
                    _ => false,
                };
                let width = if literal { 1 } else { 3 };
                if col + width > 75 {
                    out.extend_from_slice(b"=\r\n");
                    col = 0;
                }
                if literal {
                    out.push(c);
                } else {
                    out.extend_from_slice(format!("={c:02X}").as_bytes());
                }
                col += width;
            }
            if !last {
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    #[test]
    fn base64_body_length_and_ends_agree_with_the_whole() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for n in (0..300).chain([1595, 1596, 1597, 1710, 1767, 1768, 1769, 1824, 1881, 3648, 3649, 12_345, 20_000]) {
            let d = &data[..n];
            let whole = super::base64_body(d);
            assert_eq!(super::base64_body_len(n), whole.len(), "{n}");
            // RFC 2045 6.8: 76 characters a line, CRLF between lines.
            assert!(whole.split(|&b| b == b'\n').all(|l| l.len() <= 77), "{n}");
            for k in [1, 100, 1024] {
                let (len, first, last) = super::base64_body_ends(d, k);
                assert_eq!(len, whole.len());
                assert_eq!(first, &whole[..whole.len().min(k)], "{n} {k}");
                assert_eq!(last, &whole[whole.len().saturating_sub(k)..], "{n} {k}");
            }
        }
    }

    #[test]
    fn fold_structured_matches_the_reference() {
        // The first version: a String per token, cloned on the way out.
        fn reference(name: &str, value: &str) -> String {
            let mut tokens: Vec<String> = Vec::new();
            let mut cur = String::new();
            let (mut quoted, mut escaped) = (false, false);
            for c in value.chars() {
                if !quoted && (c == ' ' || c == '\t') && !cur.trim_start().is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
                cur.push(c);
                if escaped {
                    escaped = false;
                } else if quoted && c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    quoted = !quoted;
                }
            }
            if !cur.is_empty() {
                tokens.push(cur);
            }
            let mut out = format!("{name}:");
            let mut col = out.len();
            for (k, t) in tokens.iter().enumerate() {
                let t = if k == 0 && !t.starts_with([' ', '\t']) { format!(" {t}") } else { t.clone() };
                if k > 0 && col + t.len() > super::FOLD_AT {
                    out.push_str("\r\n");
                    col = 0;
                }
                col += t.len();
                out.push_str(&t);
            }
            out.push_str("\r\n");
            out
        }
        let alphabet = ['a', ' ', '\t', '"', '\\', ',', '<', '>', '\u{a0}', 'é', '@', 'x', 'y', ' '];
        let mut x = 0x1234_5678u32;
        for n in 0..3000usize {
            let v: String = (0..n % 300)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    alphabet[(x >> 4) as usize % alphabet.len()]
                })
                .collect();
            assert_eq!(super::fold_structured("To", &v), reference("To", &v), "{v:?}");
        }
    }

    #[test]
    fn quoted_printable_matches_the_reference() {
        let mut x = 0x9e37_79b9u32;
        // The second alphabet is mostly plain: long runs of literal bytes.
        for (n, alphabet) in (0..4_000usize).map(|n| {
            (
                n,
                if n < 2_000 {
                    &b"ab =\t.F\xc3\xa9\r\nFrom xyz"[..]
                } else {
                    &b"abcdefghijklmnopqrstuvwxyz0123456789 .,\n="[..]
                },
            )
        }) {
            let len = n % 400;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    if x.is_multiple_of(if n < 2_000 { 7 } else { 97 }) {
                        (x >> 8) as u8
                    } else {
                        alphabet[(x >> 3) as usize % alphabet.len()]
                    }
                })
                .collect();
            let text = super::crlf(&text);
            assert_eq!(super::quoted_printable(&text), qp_reference(&text), "{:?}", String::from_utf8_lossy(&text));
        }
        let long = "x".repeat(200) + " \r\n" + &"y ".repeat(100);
        assert_eq!(super::quoted_printable(long.as_bytes()), qp_reference(long.as_bytes()));
    }

    /// What a boundary begins with cannot occur in what the two encodings
    /// give (the boundary search skips such parts: mime::boundary).
    #[test]
    fn no_quoted_printable_or_base64_holds_an_equals_underscore() {
        let mut x = 0x2545_f491u32;
        for n in 0..3_000usize {
            let text: Vec<u8> = (0..n % 300)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    [b'=', b'_', b' ', b'\n', b'a', (x >> 8) as u8][(x >> 3) as usize % 6]
                })
                .collect();
            let text = super::crlf(&text);
            let qp = super::quoted_printable(&text);
            assert!(memfind(&qp, b"=_").is_none(), "{:?}", String::from_utf8_lossy(&qp));
            assert!(memfind(&super::base64_body(&text), b"=_").is_none());
        }
    }

    /// The SIMD body is the scalar encoding broken every 76 characters.
    #[test]
    fn base64_bodies_match_the_scalar_encoding() {
        let mut x = 0x1234_5678u32;
        for n in [0usize, 1, 2, 3, 56, 57, 58, 114, 57 * 64 - 1, 57 * 64, 57 * 64 + 1, 10_000, 300_001] {
            let data: Vec<u8> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let flat = super::base64(&data);
            let want: Vec<u8> = flat.as_bytes().chunks(76).collect::<Vec<_>>().join(&b"\r\n"[..]);
            assert_eq!(super::base64_body(&data), want, "{n} bytes");
        }
    }

    use super::*;

    #[test]
    fn base64_vectors() {
        // RFC 4648 10.
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn qp_escapes_and_wraps() {
        let q = quoted_printable("a=b \r\nFrom me\r\n.dot\r\ncaf\u{e9}".as_bytes());
        assert_eq!(q, b"a=3Db=20\r\n=46rom me\r\n=2Edot\r\ncaf=C3=A9");
        let long = quoted_printable(&[b'x'; 200]);
        assert!(long.split(|&b| b == b'\n').all(|l| l.len() <= 77));
    }

    #[test]
    fn crlf_normalises_every_ending() {
        assert_eq!(crlf(b"a\nb\rc\r\nd"), b"a\r\nb\r\nc\r\nd");
    }

    #[test]
    fn unstructured_keeps_ascii_words_readable() {
        let t = unstructured("Re: caf\u{e9} cr\u{e8}me ok");
        assert_eq!(t[0], "Re:");
        assert!(t[1].starts_with(" =?utf-8?B?"));
        assert_eq!(t.last().map(String::as_str), Some(" ok"));
    }

    #[test]
    fn rfc2231_continuations() {
        let p = param("filename", &"\u{e9}".repeat(40));
        assert!(p.len() > 1);
        assert!(p[0].starts_with("filename*0*=utf-8''%C3%A9"));
        assert!(p[1].starts_with("filename*1*=%C3%A9"));
        let cjk = param("filename", &"\u{964d}".repeat(30));
        assert!(cjk.iter().all(|p| p.matches('%').count() % 3 == 0), "{cjk:?}");
        assert_eq!(param("name", "a b.txt"), vec!["name=\"a b.txt\"".to_string()]);
        assert_eq!(param("name", "ab.txt"), vec!["name=\"ab.txt\"".to_string()]);
        assert_eq!(param("charset", "utf-8"), vec!["charset=utf-8".to_string()]);
    }
}
