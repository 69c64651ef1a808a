//! One RTF reader behind [`super::decapsulate`] and [`super::to_text`]:
//! a flat loop over [`Lexer`] tokens with an explicit stack of group states
//! (bounded by [`MAX_DEPTH`]), so hostile nesting costs neither recursion
//! nor memory beyond that bound.

use std::collections::HashMap;

use encoding_rs::Encoding;

use super::lex::{Lexer, Token};
use super::{Encapsulated, MAX_DEPTH};

/// What the reader produces.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// MS-OXRTFEX 2.2.3.2: HTML from `\htmltag` groups and text outside
    /// `\htmlrtf` regions.
    Html,
    /// MS-OXRTFEX 2.2.3.3: text outside `\htmlrtf` regions.
    Text,
    /// Plain RTF rendering: `\htmlrtf` means nothing, `\*` groups are skipped.
    Native,
}

/// Tokens after `\rtf1` in which `\fromhtml1` / `\fromtext` must appear
/// (MS-OXRTFEX 2.2.3.1: the control word is in the RTF header, "within
/// the first 10 tokens").
const HEADER_TOKENS: usize = 10;

/// Font table entries remembered (a font table is small; this bounds a
/// hostile one).
const MAX_FONTS: usize = 4096;

/// The state RTF saves at `{` and restores at `}`.
#[derive(Clone, Copy, Debug)]
struct State {
    /// Inside a destination whose text is not output (font table,
    /// stylesheet, picture, an unknown `{\*\...}` group ...).
    skip: bool,
    /// Inside the font table (its `\f`, `\fcharset`, `\cpg` are read).
    fonttbl: bool,
    /// Inside `{\*\htmltag}` (HTML mode only).
    htmltag: bool,
    /// `\htmlrtf` on (MS-OXRTFEX 2.1.3.1.3): a toggle inherited by groups.
    htmlrtf: bool,
    /// `\ucN`: bytes of fallback text after each `\uN`.
    uc: u32,
    /// Code page of the current font; `None`: the document's `\ansicpg`.
    enc: Option<&'static Encoding>,
}

impl Default for State {
    fn default() -> State {
        State { skip: false, fonttbl: false, htmltag: false, htmlrtf: false, uc: 1, enc: None }
    }
}

/// Destinations ([MSFT-RTF]) whose content is not document text.
const SKIPPED: &[&[u8]] = &[
    b"fonttbl",
    b"colortbl",
    b"stylesheet",
    b"info",
    b"pict",
    b"object",
    b"objdata",
    b"header",
    b"headerl",
    b"headerr",
    b"headerf",
    b"footer",
    b"footerl",
    b"footerr",
    b"footerf",
    b"listtable",
    b"listoverridetable",
    b"revtbl",
    b"rsidtbl",
    b"filetbl",
    b"xmlnstbl",
    b"themedata",
    b"colorschememapping",
    b"datastore",
    b"latentstyles",
    b"generator",
    b"author",
    b"title",
    b"subject",
    b"operator",
    b"comment",
    b"keywords",
    b"doccomm",
    b"company",
    b"footnote",
    b"annotation",
    b"atnid",
    b"atnauthor",
    b"fldinst",
    b"bkmkstart",
    b"bkmkend",
    b"xe",
    b"tc",
    b"txe",
    b"userprops",
    b"nonshppict",
    b"shppict",
    b"shpinst",
    b"sp",
    b"mmathPr",
    b"pgdsctbl",
    b"protusertbl",
    b"template",
    b"buptim",
    b"creatim",
    b"revtim",
    b"printim",
    b"docvar",
    b"falt",
    b"panose",
    b"fontemb",
    b"fontfile",
    b"listtext",
    b"passwordhash",
    b"wgrffmtfilter",
];

/// The encoding of a Windows code page, where encoding_rs has one (the
/// same table as string properties use). DOS Latin code pages (437, 850)
/// read as Windows-1252, their nearest superset encoding_rs has.
fn codepage(cp: i32) -> Option<&'static Encoding> {
    match cp {
        437 | 850 => Some(encoding_rs::WINDOWS_1252),
        _ => u32::try_from(cp).ok().and_then(crate::mapi::codepage::encoding_for),
    }
}

/// The code page of an `\fcharsetN` ([MSFT-RTF] font table). ANSI (0) is
/// Windows-1252 whatever `\ansicpg` says (MS-OXRTFEX 3.1 relies on it for
/// `&uml;` in a 1251 document); DEFAULT (1), SYMBOL (2) and unknown sets
/// give `None`: the document's `\ansicpg` applies.
fn charset(cs: i32) -> Option<&'static Encoding> {
    codepage(match cs {
        0 => 1252,
        77 => 10000,
        128 => 932,
        129 => 949,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        _ => return None,
    })
}

/// Text being built: bytes in some code page are gathered and decoded in
/// runs, so double-byte characters written as two `\'hh` decode together.
struct Out {
    s: String,
    bytes: Vec<u8>,
    enc: &'static Encoding,
    /// A `\uN` high surrogate waiting for its low half.
    high: Option<u16>,
}

impl Out {
    fn new() -> Out {
        Out { s: String::new(), bytes: Vec::new(), enc: encoding_rs::WINDOWS_1252, high: None }
    }

    fn flush(&mut self) {
        if !self.bytes.is_empty() {
            // Undecodable bytes become U+FFFD: a body with a stray byte
            // still reads.
            let (text, _) = self.enc.decode_without_bom_handling(&self.bytes);
            self.s.push_str(&text);
            self.bytes.clear();
        }
    }

    fn orphan_high(&mut self) {
        if self.high.take().is_some() {
            self.s.push(char::REPLACEMENT_CHARACTER);
        }
    }

    fn byte(&mut self, b: u8, enc: &'static Encoding) {
        self.orphan_high();
        if enc != self.enc {
            self.flush();
            self.enc = enc;
        }
        self.bytes.push(b);
    }

    fn bytes(&mut self, b: &[u8], enc: &'static Encoding) {
        self.orphan_high();
        if enc != self.enc {
            self.flush();
            self.enc = enc;
        }
        self.bytes.extend_from_slice(b);
    }

    fn text(&mut self, t: &str) {
        self.flush();
        self.orphan_high();
        self.s.push_str(t);
    }

    /// `\uN`: a UTF-16 code unit, N signed 16-bit (MSFT-RTF "Unicode RTF").
    fn unit(&mut self, n: i32) {
        self.flush();
        let u = (n & 0xFFFF) as u16;
        match (self.high.take(), u) {
            (Some(h), 0xDC00..=0xDFFF) => {
                let c = 0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                self.s.push(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            (h, 0xD800..=0xDBFF) => {
                if h.is_some() {
                    self.s.push(char::REPLACEMENT_CHARACTER);
                }
                self.high = Some(u);
            }
            (h, _) => {
                if h.is_some() {
                    self.s.push(char::REPLACEMENT_CHARACTER);
                }
                // Lone low surrogates have no char: U+FFFD.
                self.s.push(char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }

    fn finish(mut self) -> String {
        self.flush();
        self.orphan_high();
        self.s
    }
}

/// Which encapsulation the header announces, if any.
fn detect(rtf: &[u8]) -> Option<Mode> {
    // Whitespace or NUL padding before the first `{` is tolerated.
    let mut lex = Lexer::new(rtf).skip_while(|t| match t {
        Token::Text(0) => true,
        Token::Run(r) => r.iter().all(|b| matches!(b, b' ' | b'\t')),
        _ => false,
    });
    if lex.next() != Some(Token::Open) {
        return None;
    }
    if !matches!(lex.next(), Some(Token::Word(b"rtf", _))) {
        return None;
    }
    for tok in lex.take(HEADER_TOKENS) {
        match tok {
            Token::Word(b"fromhtml", p) if p.unwrap_or(1) != 0 => return Some(Mode::Html),
            Token::Word(b"fromtext", _) => return Some(Mode::Text),
            _ => {}
        }
    }
    None
}

pub(super) fn decapsulate(rtf: &[u8]) -> Option<Encapsulated> {
    match detect(rtf)? {
        Mode::Html => Some(Encapsulated::Html(render(rtf, Mode::Html))),
        Mode::Text => Some(Encapsulated::Text(render(rtf, Mode::Text))),
        Mode::Native => None,
    }
}

pub(super) fn to_text(rtf: &[u8]) -> String {
    render(rtf, Mode::Native)
}

fn render(rtf: &[u8], mode: Mode) -> String {
    let mut out = Out::new();
    let mut stack: Vec<State> = Vec::new();
    // Groups opened beyond MAX_DEPTH: counted, not stacked.
    let mut overflow = 0usize;
    let mut st = State::default();
    let mut doc_enc = encoding_rs::WINDOWS_1252;
    let mut fonts: HashMap<i32, Option<&'static Encoding>> = HashMap::new();
    let mut font_cur: Option<i32> = None;
    let mut deff: Option<i32> = None;
    // Fallback bytes still to drop after a `\uN`.
    let mut ucskip = 0u32;
    // The previous token was `\*`.
    let mut star = false;
    let (newline, tab) = match mode {
        Mode::Native => ("\n", "\t"),
        _ => ("\r\n", "\t"),
    };

    let mut lex = Lexer::new(rtf);
    // The rest of a group that is skipped is passed over whole
    // ([`Lexer::skip_group`]); its `}` is then handled as the next token.
    // A skipped group never writes anything; what it could set (an
    // encoding, `\uc`) ends with it, apart from document-wide `\ansicpg`,
    // `\deff` and `\mac`, which belong in the header, not inside an
    // ignored destination. At the top level (no group open) nothing is
    // passed over: there is no `}` of its own to stop at.
    let mut skipped = false;
    while let Some(tok) = if std::mem::take(&mut skipped) { Some(Token::Close) } else { lex.next() } {
        match tok {
            Token::Open => {
                ucskip = 0;
                star = false;
                if stack.len() < MAX_DEPTH {
                    stack.push(st);
                } else {
                    overflow += 1;
                }
                continue;
            }
            Token::Close => {
                ucskip = 0;
                star = false;
                if overflow > 0 {
                    overflow -= 1;
                } else if let Some(s) = stack.pop() {
                    st = s;
                }
                continue;
            }
            _ => {}
        }
        // Fallback characters are counted byte by byte, in runs too.
        let tok = match tok {
            Token::Run(r) if ucskip > 0 => {
                let k = r.len().min(ucskip as usize);
                ucskip -= k as u32;
                if k == r.len() {
                    continue;
                }
                Token::Run(&r[k..])
            }
            _ if ucskip > 0 => {
                ucskip -= 1;
                continue;
            }
            t => t,
        };
        let was_star = std::mem::replace(&mut star, false);
        let emit = !st.skip
            && !stack.is_empty()
            && match mode {
                Mode::Html => st.htmltag || !st.htmlrtf,
                Mode::Text => !st.htmlrtf,
                Mode::Native => true,
            };
        let enc = if st.htmltag { doc_enc } else { st.enc.unwrap_or(doc_enc) };
        match tok {
            Token::Open | Token::Close | Token::Bin(_) => {}
            Token::Text(_) => {}
            Token::Run(r) => {
                if emit {
                    out.bytes(r, enc);
                }
            }
            Token::Hex(b) => {
                if emit {
                    out.byte(b, enc);
                }
            }
            Token::Symbol(b'*') => star = true,
            Token::Symbol(c @ (b'{' | b'}' | b'\\')) => {
                if emit {
                    out.byte(c, enc);
                }
            }
            Token::Symbol(b'~') => {
                if emit {
                    out.text("\u{A0}");
                }
            }
            Token::Symbol(b'_') => {
                if emit {
                    out.text("\u{AD}");
                }
            }
            Token::Symbol(_) => {}
            Token::Word(name, param) => {
                if was_star {
                    // `{\*\dest ...}`: an ignorable destination. Only
                    // `\htmltag` is read, and only when de-encapsulating HTML.
                    if mode == Mode::Html && name == b"htmltag" {
                        st.htmltag = true;
                        st.htmlrtf = false;
                    } else {
                        st.skip = true;
                        if !stack.is_empty() || overflow > 0 {
                            lex.skip_group();
                            skipped = true;
                        }
                    }
                    continue;
                }
                if SKIPPED.contains(&name) {
                    st.skip = true;
                    if name == b"fonttbl" {
                        st.fonttbl = true;
                    } else if !stack.is_empty() || overflow > 0 {
                        lex.skip_group();
                        skipped = true;
                    }
                    continue;
                }
                if st.fonttbl {
                    match name {
                        b"f" => font_cur = param,
                        b"fcharset" | b"cpg" => {
                            if let (Some(f), Some(p)) = (font_cur, param) {
                                let e = if name == b"cpg" { codepage(p) } else { charset(p) };
                                if fonts.len() < MAX_FONTS || fonts.contains_key(&f) {
                                    fonts.insert(f, e);
                                }
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                match name {
                    b"ansicpg" => {
                        if let Some(e) = param.and_then(codepage) {
                            doc_enc = e;
                        }
                    }
                    b"mac" => doc_enc = encoding_rs::MACINTOSH,
                    b"deff" => deff = param,
                    b"f" => st.enc = param.and_then(|f| fonts.get(&f).copied().flatten()),
                    b"plain" => st.enc = deff.and_then(|f| fonts.get(&f).copied().flatten()),
                    b"uc" => st.uc = param.unwrap_or(1).clamp(0, 255) as u32,
                    b"u" => {
                        if emit {
                            out.unit(param.unwrap_or(0));
                        }
                        // The fallback is skipped whether or not the
                        // character itself was output.
                        ucskip = st.uc;
                    }
                    b"htmlrtf" if mode != Mode::Native => st.htmlrtf = param != Some(0),
                    _ if !emit => {}
                    b"par" | b"line" => out.text(newline),
                    b"tab" => out.text(tab),
                    b"sect" | b"page" | b"row" if mode == Mode::Native => out.text(newline),
                    b"cell" if mode == Mode::Native => out.text(tab),
                    b"lquote" => out.text("\u{2018}"),
                    b"rquote" => out.text("\u{2019}"),
                    b"ldblquote" => out.text("\u{201C}"),
                    b"rdblquote" => out.text("\u{201D}"),
                    b"bullet" => out.text("\u{2022}"),
                    b"endash" => out.text("\u{2013}"),
                    b"emdash" => out.text("\u{2014}"),
                    b"enspace" => out.text("\u{2002}"),
                    b"emspace" => out.text("\u{2003}"),
                    _ => {}
                }
            }
        }
    }
    out.finish()
}
