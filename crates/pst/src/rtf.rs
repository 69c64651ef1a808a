//! Compressed RTF ([MS-OXRTFCP]) and HTML / text encapsulated in RTF ([MS-OXRTFEX]).
//!
//! PLACEHOLDER: the RTF helper replaces this file (or turns it into a
//! module directory) wholesale; only the signatures below are fixed.

/// Why compressed RTF could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compressed RTF at offset {offset}: {reason}")]
pub struct RtfError {
    /// Byte offset in the compressed stream.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

/// Decompresses PidTagRtfCompressed ([MS-OXRTFCP] 2.1.3.1): `LZFu`
/// (compressed) or `MELA` (stored) streams; checks the CRC of compressed ones.
pub fn decompress(_data: &[u8]) -> Result<Vec<u8>, RtfError> {
    Err(RtfError { offset: 0, reason: "not implemented yet".into() })
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

/// Recovers the HTML or text that `rtf` encapsulates, or `None` for native RTF.
pub fn decapsulate(_rtf: &[u8]) -> Option<Encapsulated> {
    None
}

/// A plain-text rendering of native RTF (paragraphs, line breaks, tabs,
/// `\uN` and `\'hh` characters in the document's code page; groups such as
/// font tables, stylesheets and pictures skipped).
pub fn to_text(_rtf: &[u8]) -> String {
    String::new()
}
