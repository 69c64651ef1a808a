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
    /// Outlook PST or OST (read only, for now).
    Pst,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Mbox => "mbox",
            Format::Maildir => "maildir",
            Format::Eml => "eml",
            Format::Pst => "pst",
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
    }
}

/// The format of an existing source.
pub fn source(path: &Path) -> anyhow::Result<Format> {
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    // PST first (its magic is unambiguous); Maildir before EML: a Maildir
    // is a directory of plain message files that would also look like EML.
    for fmt in [Format::Pst, Format::Maildir, Format::Mbox, Format::Eml] {
        if probe(path, fmt) {
            return Ok(fmt);
        }
    }
    bail!(
        "{}: not a mail store this build recognises (PST/OST, mbox, Maildir, EML); name one with --from",
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
