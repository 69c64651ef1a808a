//! What a conversion did, per folder and in total.

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{FolderKind, Problem};

/// Item counts of a folder or of a whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Items written to the target.
    pub copied: u64,
    /// Skipped: already in the target, or written earlier in this run (`--dedup`).
    pub skipped_duplicate: u64,
    /// Skipped by a filter (`--since`, `--until`, `--items`).
    pub skipped_filtered: u64,
    /// Skipped: larger than `--max-size`.
    pub skipped_too_large: u64,
    /// Skipped: the target format cannot hold this kind of item.
    pub skipped_unsupported: u64,
    /// Could not be read or written; see the failures.
    pub failed: u64,
    /// Bytes written.
    pub bytes: u64,
}

impl Counts {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Counts) {
        self.copied += other.copied;
        self.skipped_duplicate += other.skipped_duplicate;
        self.skipped_filtered += other.skipped_filtered;
        self.skipped_too_large += other.skipped_too_large;
        self.skipped_unsupported += other.skipped_unsupported;
        self.failed += other.failed;
        self.bytes += other.bytes;
    }

    /// Every item seen, whatever became of it.
    pub fn seen(&self) -> u64 {
        self.copied + self.skipped() + self.failed
    }

    /// Every item skipped, for whatever reason.
    pub fn skipped(&self) -> u64 {
        self.skipped_duplicate + self.skipped_filtered + self.skipped_too_large + self.skipped_unsupported
    }
}

/// One item that was not copied, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Where the item is in the source (the reader's description).
    pub item: String,
    /// Why it was not copied.
    pub reason: String,
}

/// What happened to one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FolderReport {
    /// The folder's path, `/`-joined (`""` for the root).
    pub path: String,
    /// What it holds.
    pub kind: FolderKind,
    /// Item counts.
    pub counts: Counts,
    /// Items that failed, with the reason.
    pub failures: Vec<Failure>,
    /// Items skipped for their size or kind, with the reason (duplicates and
    /// filtered items are only counted).
    pub skips: Vec<Failure>,
    /// What the target could not keep of items that were copied.
    pub losses: Vec<Failure>,
}

/// What a whole conversion did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// The source, as given.
    pub source: String,
    /// The source's format.
    pub source_format: String,
    /// The target, as given.
    pub target: String,
    /// The target's format.
    pub target_format: String,
    /// One entry per folder, in the order they were converted.
    pub folders: Vec<FolderReport>,
    /// Sum over the folders.
    pub total: Counts,
    /// Problems the reader found in the source and read past.
    pub problems: Vec<Problem>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl Report {
    /// True if something was lost: an item failed, was skipped because the
    /// target cannot hold it, or lost part of itself on the way.
    pub fn has_losses(&self) -> bool {
        self.total.failed > 0 || self.total.skipped_unsupported > 0 || self.folders.iter().any(|f| !f.losses.is_empty())
    }

    /// The exit code the CLI gives for this report: 0 if everything that
    /// was selected was copied whole, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.has_losses())
    }

    /// The report as a table for people.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let width = self.folders.iter().map(|f| display_path(&f.path).chars().count()).max().unwrap_or(0).clamp(6, 60);
        let _ = writeln!(
            out,
            "{:<width$}  {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>12}",
            "folder", "copied", "dup", "filtered", "large", "unsupp", "failed", "bytes"
        );
        let row = |out: &mut String, name: &str, c: &Counts| {
            let _ = writeln!(
                out,
                "{:<width$}  {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>12}",
                name,
                c.copied,
                c.skipped_duplicate,
                c.skipped_filtered,
                c.skipped_too_large,
                c.skipped_unsupported,
                c.failed,
                c.bytes
            );
        };
        for f in &self.folders {
            row(&mut out, &display_path(&f.path), &f.counts);
        }
        row(&mut out, "TOTAL", &self.total);
        for f in &self.folders {
            for x in &f.failures {
                let _ = writeln!(out, "failed   {} {}: {}", display_path(&f.path), x.item, x.reason);
            }
            for x in &f.skips {
                let _ = writeln!(out, "skipped  {} {}: {}", display_path(&f.path), x.item, x.reason);
            }
            for x in &f.losses {
                let _ = writeln!(out, "lost     {} {}: {}", display_path(&f.path), x.item, x.reason);
            }
        }
        for p in &self.problems {
            match p.offset {
                Some(o) => {
                    let _ = writeln!(out, "problem  {}: {} at offset {}: {}", p.path, p.structure, o, p.message);
                }
                None => {
                    let _ = writeln!(out, "problem  {}: {}: {}", p.path, p.structure, p.message);
                }
            }
        }
        let _ = writeln!(out, "{:.2} s", self.seconds);
        out
    }
}

fn display_path(p: &str) -> String {
    if p.is_empty() {
        "(root)".to_string()
    } else {
        p.to_string()
    }
}
