//! MAPI message -> RFC 5322 / MIME, following [MS-OXCMAIL].
//!
//! PLACEHOLDER: the MIME helper replaces this file wholesale; only the
//! signatures below are fixed, so that the messaging layer can call them.

use crate::mapi::Message;

/// What [`build`] made of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Built {
    /// The RFC 5322 bytes.
    pub bytes: Vec<u8>,
    /// What could not be carried over faithfully (e.g. "RTF body kept as an
    /// attachment: it encapsulates neither HTML nor text"), for the report.
    pub notes: Vec<String>,
}

/// Builds the MIME form of `msg` (recursively for embedded messages).
/// Deterministic: the same message always gives the same bytes (boundaries
/// and any generated Message-ID derive from the message's content).
pub fn build(msg: &Message) -> Built {
    let subject = msg.props.str(0x0037).unwrap_or("");
    Built { bytes: format!("Subject: {subject}\r\n\r\n").into_bytes(), notes: vec!["placeholder MIME".into()] }
}
