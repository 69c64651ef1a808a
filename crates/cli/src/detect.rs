//! Which format a path holds: by its bytes and structure, never by its name alone.

use std::path::Path;

use anyhow::bail;
use clap::ValueEnum;

/// The formats this build reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// mbox (mboxo/mboxrd/mboxcl/mboxcl2), a file or a Thunderbird tree.
    Mbox,
    /// Maildir / Maildir++ / Dovecot LAYOUT=fs.
    Maildir,
    /// A tree of .eml files.
    Eml,
    /// Outlook PST or OST.
    Pst,
    /// vCard (2.1, 3.0, 4.0): a .vcf file or a directory of them (read only).
    Vcf,
    /// iCalendar: an .ics file or a directory of them (read only).
    Ics,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Mbox => "mbox",
            Format::Maildir => "maildir",
            Format::Eml => "eml",
            Format::Pst => "pst",
            Format::Vcf => "vcf",
            Format::Ics => "ics",
        }
    }
}

/// True if `path` looks like `fmt` to that format's own probe.
pub fn probe(path: &Path, fmt: Format) -> bool {
    match fmt {
        Format::Mbox => mailshift_mbox::probe(path),
        Format::Maildir => mailshift_maildir::probe(path),
        Format::Eml => mailshift_eml::probe(path),
        Format::Pst => mailshift_pst::PstReader::probe(path),
        Format::Vcf | Format::Ics => pim_kind(path) == Some(fmt),
    }
}

/// vCard or iCalendar, for a file or a directory of such files (by their
/// first line; a directory holding both is called iCalendar).
fn pim_kind(path: &Path) -> Option<Format> {
    use mailshift_core::pim::files::PimFileKind;
    use mailshift_core::pim::read::store::{sniff, PimReader};
    if !PimReader::probe(path) {
        return None;
    }
    if path.is_file() {
        let mut buf = Vec::new();
        let f = mailshift_core::fsio::open_source(path).ok()?;
        std::io::Read::read_to_end(&mut std::io::Read::take(f, 4096), &mut buf).ok()?;
        return match sniff(&buf)? {
            PimFileKind::Vcf => Some(Format::Vcf),
            PimFileKind::Ics => Some(Format::Ics),
        };
    }
    Some(Format::Ics)
}

/// The format of an existing source.
pub fn source(path: &Path) -> anyhow::Result<Format> {
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    // PST first (its magic is unambiguous); Maildir before EML: a Maildir
    // is a directory of plain message files that would also look like EML;
    // vCard and iCalendar before mbox and EML, whose probes would take
    // their `NAME:value` lines for a header.
    if probe(path, Format::Pst) {
        return Ok(Format::Pst);
    }
    if probe(path, Format::Maildir) {
        return Ok(Format::Maildir);
    }
    if let Some(fmt) = pim_kind(path) {
        return Ok(fmt);
    }
    for fmt in [Format::Mbox, Format::Eml] {
        if probe(path, fmt) {
            return Ok(fmt);
        }
    }
    // A file named as a PST or OST that is none of these: what the PST
    // reader finds wrong with it says more than "not recognised" does.
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if path.is_file() && matches!(ext.as_deref(), Some("pst" | "ost")) {
        if let Err(e) = mailshift_pst::PstReader::open(path) {
            bail!("{e}");
        }
    }
    bail!(
        "{}: not a store this build recognises (PST/OST, mbox, Maildir, EML, vCard, iCalendar); name one with --from",
        path.display()
    )
}

/// What `convert` says when asked to write an OST.
pub const NO_OST_WRITER: &str =
    "mailshift writes PST, not OST (Outlook makes OSTs for its own accounts): name a .pst target";

/// The format to write `path` in, when `--to` was not given.
pub fn target(path: &Path) -> anyhow::Result<Format> {
    if path.exists() {
        for fmt in [Format::Maildir, Format::Mbox, Format::Eml] {
            if probe(path, fmt) {
                return Ok(fmt);
            }
        }
    }
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("mbox") | Some("mbx") => Ok(Format::Mbox),
        Some("pst") => Ok(Format::Pst),
        Some("ost") => bail!("{}: {NO_OST_WRITER}", path.display()),
        _ => bail!(
            "{}: say which format to write with --to ({})",
            path.display(),
            [Format::Mbox, Format::Maildir, Format::Eml, Format::Pst].map(Format::name).join(", ")
        ),
    }
}
