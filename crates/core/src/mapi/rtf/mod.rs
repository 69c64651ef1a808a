//! Compressed RTF ([MS-OXRTFCP]) and HTML / text encapsulated in RTF ([MS-OXRTFEX]).
//!
//! - [`decompress`] turns a `PidTagRtfCompressed` (0x1009) value into RTF bytes.
//! - [`decapsulate`] recovers the HTML (`\fromhtml1`) or plain text
//!   (`\fromtext`) that Outlook wrapped in that RTF.
//! - [`to_text`] renders native RTF as plain text.
//!
//! Everything here reads untrusted bytes: nothing panics, every loop is
//! linear in the input, output is bounded by the input (and, for
//! decompression, by `RAWSIZE` and [`MAX_OUTPUT`]), and RTF group nesting is
//! tracked only to [`MAX_DEPTH`] levels.
//!
//! [MS-OXRTFCP]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfcp/
//! [MS-OXRTFEX]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfex/

mod lex;
mod render;
#[cfg(test)]
mod tests;

/// Largest decompressed RTF [`decompress`] produces (64 MiB): a `RAWSIZE`
/// above it is not believed.
pub const MAX_OUTPUT: usize = 64 << 20;

/// Deepest RTF group nesting that is tracked; deeper groups share the state
/// of the group at this depth (no recursion happens at any depth).
pub const MAX_DEPTH: usize = 256;

/// Why compressed RTF could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compressed RTF at offset {offset}: {reason}")]
pub struct RtfError {
    /// Byte offset in the compressed stream.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

fn err(offset: usize, reason: impl Into<String>) -> RtfError {
    RtfError { offset: offset as u64, reason: reason.into() }
}

/// `COMPTYPE` of a compressed stream: "LZFu" (MS-OXRTFCP 2.1.3.1.1).
const COMPRESSED: u32 = 0x7546_5A4C;
/// `COMPTYPE` of a stored (uncompressed) stream: "MELA".
const UNCOMPRESSED: u32 = 0x414C_454D;
/// Size of the header (COMPSIZE, RAWSIZE, COMPTYPE, CRC).
const HEADER_LEN: usize = 16;
/// Size of the circular dictionary (MS-OXRTFCP 2.1.2.1).
const DICT_LEN: usize = 4096;

/// The dictionary's initial contents (MS-OXRTFCP 2.1.2.1, 207 bytes); the
/// write position starts right after them.
pub(crate) const INITIAL_DICTIONARY: &[u8] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}\
{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New \
RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

/// The CRC of MS-OXRTFCP 2.1.3.2: the table-driven CRC-32 started at 0 and
/// without the final inversion zlib's CRC-32 applies, which is exactly the
/// CRC of MS-PST 5.3 ([`super::crc`]).
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    super::crc::crc32(bytes)
}

fn le32(data: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&data[at..at + 4]);
    u32::from_le_bytes(b)
}

/// Decompresses PidTagRtfCompressed ([MS-OXRTFCP] 2.1.3.1): `LZFu`
/// (compressed) or `MELA` (stored) streams; checks the CRC of compressed ones.
///
/// Leniency, so that a body with a damaged checksum still reads:
/// - A CRC mismatch is an error only when the output is also short of
///   `RAWSIZE` (the stream ended early at an end marker); a stream that
///   decodes to its full `RAWSIZE` is returned despite a bad CRC.
/// - `COMPSIZE` only bounds the bytes the CRC covers; decoding runs over
///   every byte present until the end marker.
/// - Output stops at `RAWSIZE` even if the stream would go on, so a lying
///   `RAWSIZE` can shorten but never grow the result. `RAWSIZE` above
///   [`MAX_OUTPUT`] is an error once the output reaches that cap.
///
/// Errors: a header shorter than 16 bytes, an unknown `COMPTYPE`, input
/// ending before the end marker and before `RAWSIZE` bytes were produced, a
/// dictionary reference to a position never written, a stored (`MELA`)
/// stream shorter than the lesser of `RAWSIZE` and `COMPSIZE - 12`.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>, RtfError> {
    if data.len() < HEADER_LEN {
        return Err(err(0, format!("header needs 16 bytes, only {} present", data.len())));
    }
    let comp_size = le32(data, 0) as usize;
    let raw_size = le32(data, 4) as usize;
    let comp_type = le32(data, 8);
    let crc = le32(data, 12);
    let body = &data[HEADER_LEN..];
    match comp_type {
        UNCOMPRESSED => {
            // CONTENTS is COMPSIZE - 12 bytes (2.1.3.1.1). Some writers
            // (Aspose among them) put COMPSIZE in RAWSIZE too, so the
            // stored text is the smaller of the two.
            let len = raw_size.min(comp_size.saturating_sub(12));
            if len > MAX_OUTPUT {
                return Err(err(4, format!("RAWSIZE {raw_size} exceeds the 64 MiB limit")));
            }
            match body.get(..len) {
                Some(raw) => Ok(raw.to_vec()),
                None => Err(err(
                    data.len(),
                    format!(
                        "stored (MELA) stream truncated: RAWSIZE {raw_size}, COMPSIZE \
                         {comp_size}, {} bytes present",
                        body.len()
                    ),
                )),
            }
        }
        COMPRESSED => {
            if comp_size < 12 {
                return Err(err(0, format!("COMPSIZE {comp_size} is below the 12 header bytes it counts")));
            }
            let covered = &body[..(comp_size - 12).min(body.len())];
            let actual = crc32(covered);
            let (out, ended) = lzfu(body, raw_size)?;
            if out.len() < raw_size && actual != crc {
                return Err(err(
                    12,
                    format!(
                        "CRC mismatch (header {crc:#010x}, computed {actual:#010x}) and output \
                         short: {} of RAWSIZE {raw_size} bytes{}",
                        out.len(),
                        if ended { " before the end marker" } else { "" }
                    ),
                ));
            }
            Ok(out)
        }
        other => Err(err(8, format!("unknown COMPTYPE {other:#010x}"))),
    }
}

/// The LZ77 decoder of MS-OXRTFCP 2.1.3.1.2 over `body` (the bytes after
/// the header). Returns the output and whether the end marker was seen
/// (`false` when output stopped at `raw_size`).
fn lzfu(body: &[u8], raw_size: usize) -> Result<(Vec<u8>, bool), RtfError> {
    let at = |i: usize| i + HEADER_LEN;
    let limit = raw_size.min(MAX_OUTPUT);
    // A 17-byte run (control byte + 8 references) yields at most 8 * 17
    // bytes, so the input bounds what can honestly be produced.
    let mut out = Vec::with_capacity(limit.min(body.len().saturating_mul(8)));
    let mut dict = [0u8; DICT_LEN];
    dict[..INITIAL_DICTIONARY.len()].copy_from_slice(INITIAL_DICTIONARY);
    let mut write = INITIAL_DICTIONARY.len();
    // Bytes ever placed in the dictionary, saturating at its size: offsets
    // at or past it were never written.
    let mut filled = INITIAL_DICTIONARY.len();
    let mut pos = 0usize;
    loop {
        if out.len() >= limit {
            if raw_size > MAX_OUTPUT {
                return Err(err(4, format!("RAWSIZE {raw_size} exceeds the 64 MiB limit")));
            }
            return Ok((out, false));
        }
        let Some(&control) = body.get(pos) else {
            return Err(err(
                at(pos),
                format!("stream ends before its end marker ({} of RAWSIZE {raw_size} bytes)", out.len()),
            ));
        };
        pos += 1;
        for bit in 0..8 {
            if out.len() >= limit {
                break;
            }
            if control & (1 << bit) == 0 {
                // Literal.
                let Some(&b) = body.get(pos) else {
                    return Err(err(at(pos), format!("literal missing ({} of RAWSIZE {raw_size} bytes)", out.len())));
                };
                pos += 1;
                out.push(b);
                dict[write] = b;
                write = (write + 1) % DICT_LEN;
                filled = (filled + 1).min(DICT_LEN);
                continue;
            }
            // Dictionary reference: 16 bits big-endian, offset 12 bits,
            // length 4 bits + 2 (MS-OXRTFCP 2.1.3.1.2 / 2.2.1).
            let Some(r) = body.get(pos..pos + 2) else {
                return Err(err(
                    at(pos),
                    format!("dictionary reference truncated ({} of RAWSIZE {raw_size} bytes)", out.len()),
                ));
            };
            let word = u16::from_be_bytes([r[0], r[1]]);
            let offset = usize::from(word >> 4);
            let len = usize::from(word & 0xF) + 2;
            if offset == write {
                // The end marker: a reference to the write position.
                return Ok((out, true));
            }
            if offset >= filled {
                return Err(err(
                    at(pos),
                    format!("dictionary reference to offset {offset}, never written (only {filled} bytes so far)"),
                ));
            }
            pos += 2;
            let mut read = offset;
            for _ in 0..len {
                if out.len() >= limit {
                    break;
                }
                // Byte by byte: a reference may overlap the bytes it is
                // writing (MS-OXRTFCP 3.1.2, Example 2).
                let b = dict[read];
                read = (read + 1) % DICT_LEN;
                out.push(b);
                dict[write] = b;
                write = (write + 1) % DICT_LEN;
                filled = (filled + 1).min(DICT_LEN);
            }
        }
    }
}

/// What an RTF body encapsulates ([MS-OXRTFEX]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encapsulated {
    /// `\fromhtml1`: the original HTML, as bytes in the RTF's code page
    /// decoded to UTF-8.
    Html(String),
    /// `\fromtext`: the original plain text.
    Text(String),
}

/// Recovers the HTML or text that `rtf` encapsulates, or `None` for native
/// RTF (MS-OXRTFEX 2.2.3: `\fromhtml1` or `\fromtext` must appear in the
/// RTF header, among its first 10 tokens after `\rtf1`).
///
/// HTML: the content of `{\*\htmltag}` groups is copied, text outside them
/// is copied unless inside an `\htmlrtf` region, `\par` gives CRLF and
/// `\tab` a tab, `\'hh` bytes are decoded in the code page of the current
/// font (`\fcharset` in the font table) or the document's `\ansicpg`
/// (inside `\htmltag` always the document's), `\uN` honours `\ucN`.
/// Text: the same without tags.
pub fn decapsulate(rtf: &[u8]) -> Option<Encapsulated> {
    render::decapsulate(rtf)
}

/// A plain-text rendering of native RTF (paragraphs, line breaks, tabs,
/// `\uN` and `\'hh` characters in the document's code page; groups such as
/// font tables, stylesheets and pictures skipped).
///
/// Line breaks come out as `\n`. Encapsulated HTML gives the text of its
/// RTF rendering (the `\htmltag` groups are ignorable destinations).
pub fn to_text(rtf: &[u8]) -> String {
    render::to_text(rtf)
}
