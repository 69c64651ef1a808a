//! An RTF tokenizer ([MSFT-RTF] "RTF Syntax"): groups, control words with
//! their optional numeric parameter, control symbols, `\'hh` escapes,
//! `\binN` data and runs of plain text. One pass, no allocation.

/// One RTF token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// `{`
    Open,
    /// `}`
    Close,
    /// `\word` or `\wordN` (N clamped to the i32 range).
    Word(&'a [u8], Option<i32>),
    /// `\` followed by one non-letter (`\*`, `\{`, `\~`, ...).
    Symbol(u8),
    /// `\'hh`: one byte in the current code page.
    Hex(u8),
    /// `\binN` and the N bytes of binary data after it (fewer if the input ends).
    Bin(&'a [u8]),
    /// A NUL byte in the text (a token of its own: it counts as one
    /// fallback character after `\uN`, and is not text).
    Text(u8),
    /// A run of text bytes: every byte but `{`, `}`, `\`, NUL, CR and LF
    /// (CR and LF are not text in RTF and are dropped; the run ends there).
    Run(&'a [u8]),
}

/// True for a byte that ends a run of text.
#[inline]
fn special(b: u8) -> bool {
    matches!(b, b'{' | b'}' | b'\\' | b'\r' | b'\n' | 0)
}

/// Longest control word name kept; RTF allows 32 letters. Longer runs of
/// letters are consumed but compared by their first 32.
const MAX_WORD: usize = 32;

pub(crate) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Lexer<'a> {
        Lexer { data, pos: 0 }
    }

    /// Moves past the `}` that closes the group the lexer is in (to the
    /// end of the input if none does), without making tokens: a skipped
    /// destination (a font's panose, a theme, a data store, a picture) is
    /// looked at only where it has `{`, `}` or `\\`. Escaped braces and
    /// backslashes and the data of `\\binN` do not count as braces.
    pub(crate) fn skip_group(&mut self) {
        let mut depth = 1usize;
        while let Some(k) = memchr::memchr3(b'{', b'}', b'\\', &self.data[self.pos..]) {
            let at = self.pos + k;
            self.pos = at + 1;
            match self.data[at] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => match self.data.get(self.pos) {
                    Some(b'{' | b'}' | b'\\') => self.pos += 1,
                    Some(b'b') if self.data[self.pos..].starts_with(b"bin") => {
                        // Through the lexer, which knows `\\binN`'s shape.
                        self.pos = at;
                        self.next();
                    }
                    _ => {}
                },
            }
        }
        self.pos = self.data.len();
    }

    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let &b = self.data.get(self.pos)?;
            self.pos += 1;
            match b {
                b'{' => return Some(Token::Open),
                b'}' => return Some(Token::Close),
                b'\r' | b'\n' => continue,
                b'\\' => {}
                0 => return Some(Token::Text(0)),
                _ => {
                    let start = self.pos - 1;
                    while self.data.get(self.pos).is_some_and(|&x| !special(x)) {
                        self.pos += 1;
                    }
                    return Some(Token::Run(&self.data[start..self.pos]));
                }
            }
            let &c = self.data.get(self.pos)?;
            if !c.is_ascii_alphabetic() {
                self.pos += 1;
                if c == b'\'' {
                    let h = self.data.get(self.pos).and_then(|&x| Self::hex(x));
                    let l = self.data.get(self.pos + 1).and_then(|&x| Self::hex(x));
                    if let (Some(h), Some(l)) = (h, l) {
                        self.pos += 2;
                        return Some(Token::Hex(h << 4 | l));
                    }
                    // A malformed escape: drop it, read on.
                    continue;
                }
                // `\` + CR or LF is `\par` ([MSFT-RTF] "Special characters").
                if c == b'\r' || c == b'\n' {
                    return Some(Token::Word(b"par", None));
                }
                return Some(Token::Symbol(c));
            }
            let start = self.pos;
            while self.data.get(self.pos).is_some_and(|x| x.is_ascii_alphabetic()) {
                self.pos += 1;
            }
            let name = &self.data[start..self.pos];
            let name = &name[..name.len().min(MAX_WORD)];
            let mut param = None;
            let neg =
                self.data.get(self.pos) == Some(&b'-') && self.data.get(self.pos + 1).is_some_and(u8::is_ascii_digit);
            if neg {
                self.pos += 1;
            }
            if self.data.get(self.pos).is_some_and(u8::is_ascii_digit) {
                let mut v: i64 = 0;
                while let Some(d) = self.data.get(self.pos).filter(|d| d.is_ascii_digit()) {
                    v = (v * 10 + i64::from(d - b'0')).min(1 << 40);
                    self.pos += 1;
                }
                let v = if neg { -v } else { v };
                param = Some(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
            }
            // A space delimiting the control word belongs to it.
            if self.data.get(self.pos) == Some(&b' ') {
                self.pos += 1;
            }
            if name == b"bin" {
                let n = usize::try_from(param.unwrap_or(0).max(0)).unwrap_or(0);
                let end = self.pos.saturating_add(n).min(self.data.len());
                let bin = &self.data[self.pos..end];
                self.pos = end;
                return Some(Token::Bin(bin));
            }
            return Some(Token::Word(name, param));
        }
    }
}
