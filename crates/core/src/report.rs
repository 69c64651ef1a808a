//! What a conversion did, per folder and in total.

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{FolderKind, Problem, Severity};
use crate::text::{self, for_terminal, pad, truncate};

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
    /// Of the copied, items only the salvage of a damaged source gave
    /// ([`StoreReader::salvaged`](crate::StoreReader::salvaged)); left out
    /// of the JSON when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub salvaged: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
        self.salvaged += other.salvaged;
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

/// Something this target format cannot hold by design, and how many of a
/// folder's copied items had it (`flags` on 120 items written as EML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotKept {
    /// What was not kept (`"flags (EML has no place for them)"`).
    pub what: String,
    /// How many items had it.
    pub items: u64,
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
    /// What the target could have kept of items that were copied, and lost.
    pub losses: Vec<Failure>,
    /// What the target format cannot hold by design, with counts: not a
    /// failure (exit 0) unless the run is `--strict`.
    pub not_kept: Vec<NotKept>,
}

impl FolderReport {
    /// Counts one copied item's `what` as not kept by the target format.
    pub fn add_not_kept(&mut self, what: String) {
        match self.not_kept.iter_mut().find(|n| n.what == what) {
            Some(n) => n.items += 1,
            None => self.not_kept.push(NotKept { what, items: 1 }),
        }
    }
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
    /// What the writer did that is neither loss nor failure (folders
    /// renamed to stay distinct, stale temporary files removed ...).
    pub notes: Vec<String>,
    /// The run was stopped (SIGINT, SIGTERM) before it had looked at every
    /// item: what it wrote is whole, the rest was not looked at.
    pub interrupted: bool,
    /// The run was stopped because the target is full (a mailbox over its
    /// quota), with the target's words: every further item would have
    /// failed the same way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Nothing was written (`convert --dry-run`): `copied` counts what
    /// would have been copied, `bytes` the items' sizes as prepared (not
    /// the target's bytes).
    pub dry_run: bool,
}

impl Report {
    /// True if something was lost: an item failed or was unreadable, an item
    /// was skipped because no target here can hold it, a copied item lost
    /// part of itself that the format could have held, or the source is
    /// damaged or partly unreadable. What the target format cannot hold by
    /// design ([`FolderReport::not_kept`]) is not a loss.
    pub fn has_losses(&self) -> bool {
        self.total.failed > 0
            || self.total.skipped_unsupported > 0
            || self.folders.iter().any(|f| !f.losses.is_empty())
            || self.problems.iter().any(|p| p.severity >= Severity::Damaged)
    }

    /// True if the target format left something out by design.
    pub fn has_not_kept(&self) -> bool {
        self.folders.iter().any(|f| !f.not_kept.is_empty())
    }

    /// The exit code the CLI gives for this report: 130 if the run was
    /// interrupted; 3 if it stopped because the target is full; 1 if something was lost ([`has_losses`](Self::has_losses)),
    /// or, with `strict`, if the target format did not keep something; else 0.
    pub fn exit_code(&self, strict: bool) -> i32 {
        if self.interrupted {
            130
        } else if self.stopped.is_some() {
            3
        } else {
            i32::from(self.has_losses() || (strict && self.has_not_kept()))
        }
    }

    /// The report as a table for people. Every string from the source is
    /// escaped for the terminal and the columns are aligned by display width.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        if self.dry_run {
            let _ = writeln!(out, "dry run: nothing was written; copied means would be copied");
        }
        let names: Vec<String> =
            self.folders.iter().map(|f| truncate(&for_terminal(&display_path(&f.path)), 60).into_owned()).collect();
        let width = names.iter().map(|n| text::width(n)).max().unwrap_or(0).clamp(6, 60);
        let _ = writeln!(
            out,
            "{}  {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>12}",
            pad("folder", width),
            "copied",
            "dup",
            "filtered",
            "large",
            "unsupp",
            "failed",
            "bytes"
        );
        let row = |out: &mut String, name: &str, c: &Counts| {
            let _ = writeln!(
                out,
                "{}  {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>12}",
                pad(name, width),
                c.copied,
                c.skipped_duplicate,
                c.skipped_filtered,
                c.skipped_too_large,
                c.skipped_unsupported,
                c.failed,
                c.bytes
            );
        };
        for (f, name) in self.folders.iter().zip(&names) {
            row(&mut out, name, &f.counts);
        }
        row(&mut out, "TOTAL", &self.total);
        if self.total.salvaged > 0 {
            let _ = writeln!(
                out,
                "salvaged {} of the copied items came only from the salvage of the damaged source (see its problems)",
                self.total.salvaged
            );
        }
        for f in &self.folders {
            let path = for_terminal(&display_path(&f.path)).into_owned();
            let line = |out: &mut String, tag: &str, x: &Failure| {
                let _ = writeln!(out, "{tag:<8} {path} {}: {}", for_terminal(&x.item), for_terminal(&x.reason));
            };
            for x in &f.failures {
                line(&mut out, "failed", x);
            }
            for x in &f.skips {
                line(&mut out, "skipped", x);
            }
            for x in &f.losses {
                line(&mut out, "lost", x);
            }
            for n in &f.not_kept {
                let _ = writeln!(
                    out,
                    "not kept by {}: {path}: {} ({} item{})",
                    self.target_format,
                    for_terminal(&n.what),
                    n.items,
                    if n.items == 1 { "" } else { "s" }
                );
            }
        }
        for p in &self.problems {
            let _ = writeln!(out, "problem  {}", p.to_line());
        }
        for n in &self.notes {
            let _ = writeln!(out, "note     {}", for_terminal(n));
        }
        if self.interrupted {
            let _ = writeln!(out, "interrupted: the items above are whole; the rest was not looked at");
        }
        if let Some(why) = &self.stopped {
            let _ = writeln!(
                out,
                "stopped: the target is full ({}); the items above are whole, the rest was not written: \
                 free space and run again to go on",
                for_terminal(why)
            );
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
