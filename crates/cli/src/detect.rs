//! Which format a path holds: by its bytes and structure, never by its name alone.

use std::io::Read;
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
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Mbox => "mbox",
            Format::Maildir => "maildir",
            Format::Eml => "eml",
        }
    }
}

/// True if `path` looks like `fmt` to that format's own probe.
pub fn probe(path: &Path, fmt: Format) -> bool {
    match fmt {
        Format::Mbox => mailshift_mbox::probe(path),
        Format::Maildir => mailshift_maildir::probe(path),
        Format::Eml => mailshift_eml::probe(path),
    }
}

fn pst_magic(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"!BDN"
}

/// The format of an existing source.
pub fn source(path: &Path) -> anyhow::Result<Format> {
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    if path.is_file() && pst_magic(path) {
        bail!("{}: an Outlook PST/OST store; this build does not read PST/OST yet", path.display());
    }
    // Maildir first: a Maildir is a directory of plain message files that
    // would otherwise also look like EML.
    for fmt in [Format::Maildir, Format::Mbox, Format::Eml] {
        if probe(path, fmt) {
            return Ok(fmt);
        }
    }
    bail!("{}: not a mail store this build recognises (mbox, Maildir, EML); name one with --from", path.display())
}

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
        _ => bail!("{}: say which format to write with --to ({})", path.display(), [Format::Mbox, Format::Maildir, Format::Eml].map(Format::name).join(", ")),
    }
}
