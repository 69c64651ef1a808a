//! The upload journal: what each mailbox of a target held, by UID, so
//! that a run started again after a kill asks the server only about the
//! UIDs it has not seen (UID SEARCH ALL, and the header fields of the new
//! ones) instead of fetching every Message-ID again.
//!
//! One text file per target account, appended to: a line
//! `mailbox TAB uidvalidity TAB uid TAB key` per message seen in a scan or
//! appended (with APPENDUID), synced after each confirmed APPEND. Lines of
//! another UIDVALIDITY than the mailbox's now are ignored (the mailbox was
//! recreated: everything is asked again). A cut last line, from a kill,
//! is ignored. The journal is only a cache: the server is asked which
//! UIDs exist every time, so a journal that is lost, stale or edited
//! costs a rescan, never a duplicate or a lost message.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::keys::Key;

/// The journal of one target account.
pub struct Journal {
    path: PathBuf,
    /// `None` when opened [`read_only`](Self::read_only).
    file: Option<File>,
    fsync: bool,
    /// (mailbox, uidvalidity) -> uid -> key, as read at open.
    known: HashMap<(String, u32), HashMap<u32, Key>>,
}

impl Journal {
    /// Opens (creating it and its directory if needed) the journal at `path`.
    pub fn open(path: &Path, fsync: bool) -> std::io::Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let known = read(path);
        let mut file = OpenOptions::new().create(true).append(true).open(path)?;
        // A line cut by a kill must not run into the next one.
        if std::fs::metadata(path)?.len() > 0 && !ends_with_newline(path)? {
            file.write_all(b"\n")?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(Journal { path: path.to_path_buf(), file: Some(file), fsync, known })
    }

    /// What the journal at `path` knows, if it is there, never writing it
    /// (`convert --dry-run`): [`record`](Self::record) does nothing.
    pub fn read_only(path: &Path) -> Journal {
        Journal { path: path.to_path_buf(), file: None, fsync: false, known: read(path) }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the journal knows of `mailbox` at `uidvalidity` (taken out:
    /// the caller keeps it from here on).
    pub fn take(&mut self, mailbox: &str, uidvalidity: u32) -> HashMap<u32, Key> {
        self.known.remove(&(mailbox.to_string(), uidvalidity)).unwrap_or_default()
    }

    /// Records messages of `mailbox`; synced when asked to be.
    pub fn record(&mut self, mailbox: &str, uidvalidity: u32, entries: &[(u32, Key)]) -> std::io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut text = String::with_capacity(entries.len() * 64);
        for (uid, key) in entries {
            text.push_str(&format!("{mailbox}\t{uidvalidity}\t{uid}\t{}\n", key.hex()));
        }
        let Some(file) = self.file.as_mut() else { return Ok(()) };
        file.write_all(text.as_bytes())?;
        if self.fsync {
            file.sync_data()?;
        }
        Ok(())
    }
}

/// The journal's lines at `path`, by mailbox and UIDVALIDITY (nothing if
/// it cannot be read; a cut or garbled line is passed over).
fn read(path: &Path) -> HashMap<(String, u32), HashMap<u32, Key>> {
    let mut known: HashMap<(String, u32), HashMap<u32, Key>> = HashMap::new();
    if let Ok(f) = File::open(path) {
        for line in BufReader::new(f).split(b'\n') {
            let Ok(line) = line else { break };
            let Ok(line) = std::str::from_utf8(&line) else { continue };
            let mut it = line.split('\t');
            let (Some(mb), Some(v), Some(u), Some(k), None) = (it.next(), it.next(), it.next(), it.next(), it.next())
            else {
                continue;
            };
            let (Ok(v), Ok(u), Some(k)) = (v.parse::<u32>(), u.parse::<u32>(), Key::from_hex(k)) else { continue };
            known.entry((mb.to_string(), v)).or_default().insert(u, k);
        }
    }
    known
}

fn ends_with_newline(path: &Path) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path)?;
    f.seek(SeekFrom::End(-1))?;
    let mut b = [0u8; 1];
    f.read_exact(&mut b)?;
    Ok(b[0] == b'\n')
}

/// The default journal of an account: under `$XDG_STATE_HOME` (else
/// `~/.local/state`) `/mailshift/imap/`, named by user, host and port.
pub fn default_path(user: &str, host: &str, port: u16) -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/state"),
    };
    let name: String = format!("{user}@{host}_{port}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '_' | '-') { c } else { '_' })
        .collect();
    Some(base.join("mailshift/imap").join(format!("{name}.journal")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_survives_a_cut_line_and_keys_by_uidvalidity() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j/a.journal");
        let k1 = Key([1; 16]);
        let k2 = Key([2; 16]);
        {
            let mut j = Journal::open(&p, false).unwrap();
            j.record("INBOX", 7, &[(1, k1), (2, k2)]).unwrap();
            j.record("Sent", 9, &[(5, k1)]).unwrap();
        }
        // A kill in the middle of a line.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"INBOX\t7\t3\t0102").unwrap();
        drop(f);
        let mut j = Journal::open(&p, false).unwrap();
        j.record("INBOX", 7, &[(4, k2)]).unwrap();
        drop(j);
        let mut j = Journal::open(&p, false).unwrap();
        let inbox = j.take("INBOX", 7);
        assert_eq!(inbox.len(), 3);
        assert_eq!(inbox.get(&4), Some(&k2));
        assert!(j.take("INBOX", 8).is_empty());
        assert_eq!(j.take("Sent", 9).get(&5), Some(&k1));
    }
}
