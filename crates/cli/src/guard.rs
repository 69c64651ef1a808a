//! Refusals before anything is written: the source, and files that are not
//! ours, are never modified.
//!
//! - The target (or the report file) must not be the source, lie inside it,
//!   or hold it. Paths are compared canonically (symlinks resolved, `..`
//!   folded, relative paths made absolute) and files also by device and
//!   inode, so neither a symlink nor a hard link slips through.
//! - An existing target file must be of the target's format: an mbox to
//!   append to, a vCard or iCalendar file to merge into. A PST named as an
//!   mbox target is refused, not appended to.
//! - An existing target directory that another format's probe recognises
//!   and the target's does not (a Maildir named as an EML target) is refused.

use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};
use mailshift_core::pim::files::PimFileKind;

use crate::detect::{self, Format};

/// `path` made absolute and canonical as far as it exists; the missing rest
/// is appended with `.` and `..` folded lexically.
pub fn canonical(path: &Path) -> std::io::Result<PathBuf> {
    let abs = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) };
    let mut existing = abs.as_path();
    let mut rest: Vec<Component<'_>> = Vec::new();
    loop {
        if let Ok(c) = std::fs::canonicalize(existing) {
            let mut out = c;
            for comp in rest.iter().rev() {
                match comp {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::CurDir => {}
                    c => out.push(c.as_os_str()),
                }
            }
            return Ok(out);
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return Ok(abs),
        }
    }
}

/// Refuses `other` (`what`: "target", or "report file") when it is `src`, lies
/// inside it, or holds it.
pub fn distinct(src: &Path, other: &Path, what: &str) -> anyhow::Result<()> {
    let s = canonical(src).with_context(|| format!("{}: cannot resolve the path", src.display()))?;
    let o = canonical(other).with_context(|| format!("{}: cannot resolve the path", other.display()))?;
    let same_file = match (std::fs::metadata(src), std::fs::metadata(other)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    };
    if s == o || same_file {
        bail!(
            "{}: the {what} is the source ({}); mailshift never writes to its source: name another {what}",
            other.display(),
            src.display()
        );
    }
    if o.starts_with(&s) {
        bail!(
            "{}: the {what} lies inside the source {}; mailshift never writes to its source: name a {what} outside it",
            other.display(),
            src.display()
        );
    }
    if s.starts_with(&o) {
        bail!(
            "{}: the source {} lies inside the {what}; writing there could change the source: name a {what} outside it",
            other.display(),
            src.display()
        );
    }
    Ok(())
}

/// Refuses an existing target that is not of format `fmt`.
pub fn target_format(dst: &Path, fmt: Format) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::metadata(dst) else { return Ok(()) };
    if fmt == Format::Pst {
        // An existing PST is added to: a new file with its items and the new
        // ones replaces it at the end. Anything else is not ours to replace.
        let is_pst = meta.is_file()
            && detect::probe(dst, Format::Pst)
            && mailshift_pst::PstReader::open(dst).is_ok_and(|r| mailshift_core::StoreReader::format_name(&r) == "pst");
        if !is_pst {
            bail!(
                "{}: exists and is not a PST file mailshift can add to; it changes nothing that is not ours: \
                 name another target",
                dst.display()
            );
        }
        return Ok(());
    }
    if meta.is_file() {
        if meta.len() == 0 && fmt == Format::Mbox {
            return Ok(());
        }
        if fmt != Format::Mbox {
            bail!(
                "{}: exists and is a file; a {} target is a directory: name another target",
                dst.display(),
                name(fmt)
            );
        }
        if !detect::probe(dst, Format::Mbox) {
            let what = match detect::source(dst) {
                Ok(f) => format!("a {} file", name(f)),
                Err(_) => "not an mbox".to_string(),
            };
            bail!(
                "{}: exists and is {what}; mailshift appends only to mbox files and changes nothing that is not ours: \
                 name another target",
                dst.display()
            );
        }
        return Ok(());
    }
    if meta.is_dir() && !detect::probe(dst, fmt) {
        for other in [Format::Maildir, Format::Mbox, Format::Eml] {
            if other != fmt && detect::probe(dst, other) {
                bail!(
                    "{}: is a {} store; writing {} into it would mix two formats: name another target or --to {}",
                    dst.display(),
                    name(other),
                    name(fmt),
                    name(other)
                );
            }
        }
    }
    Ok(())
}

/// Refuses an existing `.vcf` / `.ics` target that is not a vCard or
/// iCalendar file (it would be merged into, that is rewritten).
pub fn pim_target(dst: &Path, kind: PimFileKind) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::metadata(dst) else { return Ok(()) };
    if !meta.is_file() {
        bail!("{}: exists and is not a file", dst.display());
    }
    if meta.len() == 0 {
        return Ok(());
    }
    let head = {
        use std::io::Read;
        let mut buf = Vec::new();
        mailshift_core::fsio::open_source(dst)
            .and_then(|f| f.take(4096).read_to_end(&mut buf))
            .with_context(|| format!("{}: cannot read", dst.display()))?;
        buf
    };
    let text = String::from_utf8_lossy(&head);
    let text = text.trim_start_matches('\u{feff}').trim_start().to_ascii_uppercase();
    let (want, what) = match kind {
        PimFileKind::Vcf => ("BEGIN:VCARD", "vCard"),
        PimFileKind::Ics => ("BEGIN:VCALENDAR", "iCalendar"),
    };
    if !text.starts_with(want) {
        bail!(
            "{}: exists and is not a {what} file; mailshift merges only into {what} files and changes nothing that \
             is not ours: name another target",
            dst.display()
        );
    }
    Ok(())
}

/// True if `path` does not exist, or is an empty file or directory.
pub fn is_empty(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Err(_) => true,
        Ok(m) if m.is_dir() => std::fs::read_dir(path).map(|mut d| d.next().is_none()).unwrap_or(false),
        Ok(m) => m.len() == 0,
    }
}

fn name(f: Format) -> &'static str {
    match f {
        Format::Mbox => "mbox",
        Format::Maildir => "Maildir",
        Format::Eml => "EML",
        Format::Pst => "PST/OST",
        Format::Vcf => "vCard",
        Format::Ics => "iCalendar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_folds_missing_parts() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(canonical(&dir.path().join("a/../b")).unwrap(), real.join("b"));
        assert_eq!(canonical(&dir.path().join("x/./y")).unwrap(), real.join("x/y"));
        std::os::unix::fs::symlink(dir.path(), dir.path().join("link")).unwrap();
        assert_eq!(canonical(&dir.path().join("link/new")).unwrap(), real.join("new"));
    }

    #[test]
    fn inside_and_same_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        assert!(distinct(&src, &src.join("out"), "target").is_err());
        assert!(distinct(&src, dir.path(), "target").is_err());
        assert!(distinct(&src, &src, "target").is_err());
        assert!(distinct(&src, &dir.path().join("out"), "target").is_ok());
        let f = dir.path().join("a.mbox");
        std::fs::write(&f, b"From x\n").unwrap();
        std::fs::hard_link(&f, dir.path().join("b.mbox")).unwrap();
        assert!(distinct(&f, &dir.path().join("b.mbox"), "target").is_err());
    }
}
