//! Test support shared by mailshift's crates: where the fixtures are, which
//! external tools are present, and the rule that a missing one is a skip for
//! a newcomer's `cargo test` but a failure in CI (`MAILSHIFT_REQUIRE_ALL=1`).
//!
//! [`corpus`] generates deterministic test mail stores (and the committed
//! samples under `fixtures/generated/`, see `fixtures/README.md`).
//!
//! [`pim`] reads vCard and iCalendar files back with parsers that are not
//! mailshift's (Rust's `calcard` and `ical`, Python's `icalendar`, `vobject`
//! and `dateutil`), for tests that check what the writers meant.
//!
//! [`oracle`] reads a PST/OST with five independent readers (readpst,
//! pffexport, pypff, Microsoft's outlook-pst, pst-extractor) into one
//! normalized view, and compares views with known differences spelled out.
//!
//! [`dovecot`] starts a real Dovecot IMAP server for a test (TLS, STARTTLS,
//! users, a master user, quota, special-use mailboxes) and inspects its
//! mailboxes with doveadm.
//!
//! [`user`] runs programs as an unprivileged user (as root: the system user
//! `mailshift-test`), so that tests of unreadable files mean something;
//! [`files`] has the small file helpers the tests share.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

/// The workspace's top directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root exists")
}

/// True when CI asks for every tool and fixture to be present.
pub fn require_all() -> bool {
    std::env::var("MAILSHIFT_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Reports that a test cannot run: a printed skip normally, a failure under
/// `MAILSHIFT_REQUIRE_ALL=1`.
#[track_caller]
pub fn skip(reason: &str) {
    if require_all() {
        panic!("MAILSHIFT_REQUIRE_ALL=1 and {reason}");
    }
    eprintln!("SKIP: {reason}");
}

/// The fixtures directory (`MAILSHIFT_FIXTURES`, default `../shared/fixtures`
/// beside the workspace), or `None` after [`skip`] if it is missing.
#[track_caller]
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("MAILSHIFT_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => workspace_root().join("../shared/fixtures"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(&format!("fixtures directory {} is missing (set MAILSHIFT_FIXTURES)", dir.display()));
        None
    }
}

/// Every fixture file whose name ends with one of `exts` (without the dot),
/// sorted; `None` after [`skip`] if the fixtures are missing. Panics if the
/// directory exists but holds no such file: a test that finds nothing to
/// test must not pass.
#[track_caller]
pub fn fixture_files(exts: &[&str]) -> Option<Vec<PathBuf>> {
    let dir = fixtures_dir()?;
    let mut out = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
                let lower = name.to_ascii_lowercase();
                if exts.iter().any(|x| lower.ends_with(&format!(".{x}"))) {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no fixture ending in {exts:?} under {}", dir.display());
    Some(out)
}

/// The path of an external program on `PATH`, or `None` after [`skip`].
#[track_caller]
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()));
    if found.is_none() {
        skip(&format!("external tool `{name}` is not installed"));
    }
    found
}

/// A Python module importable by `python3`, or `false` after [`skip`].
#[track_caller]
pub fn python_module(module: &str) -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip(&format!("python3 module `{module}` is not importable"));
    }
    ok
}

/// Runs `cmd` to its end: (exit code, or -1 if a signal ended it; stdout;
/// stderr), the output decoded lossily. Panics, naming the program, if it
/// cannot be started.
pub fn run(cmd: &mut std::process::Command) -> (i32, String, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {:?}: {e}", cmd.get_program()));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub mod corpus;
pub mod dovecot;
pub mod files;
pub mod oracle;
pub mod pim;
pub mod pim_exports;
pub mod user;

/// xorshift64: a tiny fixed-seed generator for damage tests (truncation
/// points, bit flips), so that every failing case can be reproduced.
#[derive(Debug, Clone)]
pub struct XorShift(pub u64);

impl XorShift {
    /// The next 64 pseudo-random bits.
    #[allow(clippy::should_implement_trait)] // an endless generator, not an Iterator
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
