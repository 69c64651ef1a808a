//! Running Dovecot's `doveadm` as an oracle, and Dovecot's names for the
//! folders we read. Shared by `crates/maildir/tests/dovecot.rs` and
//! `crates/cli/tests/trust_maildir.rs` (included there with `#[path]`).
//!
//! doveadm refuses to run as root, so as root it runs as the system user
//! `mailshift-test` through `runuser` ([`mailshift_testkit::user`]).
//! Dovecot runs with a config file of its own in a temp dir (no server, no
//! /etc/dovecot), in-memory indexes, and the listescape plugin with `/` as
//! the separator, so that a folder name holding a `.` reads back.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use mailshift_maildir::Layout;
use mailshift_testkit::user::{as_user, is_root, prepare_user};

/// The name Dovecot gives a folder we read: the root and the inbox are
/// `INBOX`, and the inbox's children `INBOX/...` (we name the inbox as
/// clients show it, `Inbox`). `inbox` is [`mailshift_core::inbox_name`]
/// of the store's folders.
pub fn dovecot_name(f: &mailshift_core::Folder, inbox: Option<&str>) -> String {
    match f.path.split_first() {
        None => "INBOX".to_string(),
        Some((first, rest)) if Some(first.as_str()) == inbox => {
            std::iter::once("INBOX").chain(rest.iter().map(String::as_str)).collect::<Vec<_>>().join("/")
        }
        _ => f.display_path(),
    }
}

/// doveadm with a config of its own for one Maildir.
pub struct Doveadm {
    pub dir: PathBuf,
    pub maildir: PathBuf,
    pub layout: Layout,
}

impl Doveadm {
    /// Writes a Dovecot config for `maildir` in `home` and, as root, hands
    /// `home` to the test user. `None` after a skip (no doveadm, or no user).
    pub fn new(home: &Path, maildir: &Path, layout: Layout) -> Option<Doveadm> {
        mailshift_testkit::tool("doveadm")?;
        std::fs::write(
            home.join("dovecot.conf"),
            format!(
                "mail_location = maildir:{m}:INDEX=MEMORY{l}\n\
                 mail_home = {h}\n\
                 mail_plugins = listescape\n\
                 log_path = /dev/stderr\n\
                 namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n",
                m = maildir.display(),
                l = layout_option(layout),
                h = home.display()
            ),
        )
        .expect("write dovecot.conf");
        if is_root() && !prepare_user(home) {
            mailshift_testkit::skip("running as root and cannot create or use the user mailshift-test for doveadm");
            return None;
        }
        Some(Doveadm { dir: home.to_path_buf(), maildir: maildir.to_path_buf(), layout })
    }

    /// Runs doveadm with `args` (and `input` on its standard input), for
    /// `maildir` (default: the config's); returns (success, stdout, stderr).
    pub fn try_run(
        &self,
        maildir: Option<(&Path, Layout)>,
        args: &[&str],
        input: Option<&str>,
    ) -> (bool, String, String) {
        let mut cmd = as_user("doveadm", &self.dir);
        cmd.arg("-c").arg(self.dir.join("dovecot.conf"));
        if let Some((m, layout)) = maildir {
            cmd.arg("-o").arg(format!("mail_location=maildir:{}:INDEX=MEMORY{}", m.display(), layout_option(layout)));
        }
        cmd.args(args);
        cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run doveadm");
        if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(text.as_bytes()).expect("feed doveadm");
        }
        let out = child.wait_with_output().expect("wait for doveadm");
        (
            out.status.success(),
            String::from_utf8(out.stdout).expect("doveadm prints UTF-8"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs doveadm on the config's Maildir; panics, with its output, if it fails.
    pub fn run(&self, args: &[&str], input: Option<&str>) -> String {
        let (ok, out, err) = self.try_run(None, args, input);
        assert!(ok, "doveadm {args:?} failed: {out}\n{err}");
        out
    }

    /// `doveadm mailbox status messages '*'` on `maildir` (another store
    /// than the config's, the same user): message count by mailbox name,
    /// and the error lines doveadm printed.
    pub fn status(&self, maildir: &Path, layout: Layout) -> (BTreeMap<String, usize>, Vec<String>) {
        let (_, out, err) = self.try_run(Some((maildir, layout)), &["mailbox", "status", "messages", "*"], None);
        let mut counts = BTreeMap::new();
        for line in out.lines() {
            let (name, n) = line.rsplit_once(" messages=").unwrap_or_else(|| panic!("status line {line:?}"));
            counts.insert(name.to_string(), n.parse::<usize>().expect("count"));
        }
        (counts, err.lines().map(str::to_string).collect())
    }
}

fn layout_option(layout: Layout) -> &'static str {
    if layout == Layout::Fs {
        ":LAYOUT=fs"
    } else {
        ""
    }
}
