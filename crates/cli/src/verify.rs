//! `mailshift verify SRC DST`: reconciles a finished migration, read-only
//! on both sides (issue 14).
//!
//! Each source folder is paired with the target folder `convert` would have
//! written it to (by `--folder-map`, by `/`-joined path case-insensitively,
//! by role: inbox, sent, drafts, trash, junk, archive), and their messages
//! are matched by the key `--dedup` uses ([`DedupKey`]: the Message-ID, else
//! a hash of the normalized header and body). A message in both whose
//! [`content digest`](digest) differs is *altered*; one of the source found
//! in another target folder is present, *in another folder*; the rest are
//! *missing* (in the source only) or *extra* (in the target only). Extras
//! are listed and do not fail the run.
//!
//! [`verify`] is the in-process API (`batch --verify` calls it per job);
//! the command prints [`VerifyReport::to_table`] or its JSON.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use mailshift_core::text::{for_terminal, pad, truncate, width};
use mailshift_core::time::rfc3339;
use mailshift_core::{
    inbox_name, DedupKey, Error, Folder, FolderKind, FolderRole, Item, ItemMeta, MailInfo, Prepared, StoreReader,
};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::detect::{self, Format};

/// What [`verify`] compares, and how.
#[derive(Clone)]
pub struct VerifyOptions {
    /// The source's format (default: detected).
    pub from: Option<Format>,
    /// The target's format (default: detected).
    pub to: Option<Format>,
    /// `--folder-map SRC=DST` pairs, as `convert` takes them.
    pub folder_map: Vec<(String, String)>,
    /// How many messages each list of a folder names (the counts are
    /// always whole).
    pub limit: usize,
    /// The options of an IMAP side (password file, TLS ...).
    pub imap: crate::imap::ImapArgs,
    /// An IMAP source's password or token, when the caller has it (a
    /// batch job's); else `imap` says where it comes from.
    pub source_secret: Option<mailshift_imap::Secret>,
    /// The same for an IMAP target.
    pub target_secret: Option<mailshift_imap::Secret>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            from: None,
            to: None,
            folder_map: Vec::new(),
            limit: 20,
            imap: Default::default(),
            source_secret: None,
            target_secret: None,
        }
    }
}

/// A message as the report names it: its Message-ID, else its Date, From
/// and Subject.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MessageRef {
    /// Message-ID without angle brackets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The header's Date (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The first From address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The subject, RFC 2047 decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// For a message found in another folder than expected: that folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_in: Option<String>,
}

impl MessageRef {
    fn of(info: &MailInfo) -> MessageRef {
        MessageRef {
            message_id: info.message_id.clone(),
            date: info.date.map(rfc3339),
            from: info.from.clone(),
            subject: info.subject.clone(),
            found_in: None,
        }
    }

    /// One line for people, escaped for the terminal.
    fn to_line(&self) -> String {
        let text = match &self.message_id {
            Some(id) => format!("<{id}>"),
            None => format!(
                "{} {} \"{}\"",
                self.date.as_deref().unwrap_or("(no date)"),
                self.from.as_deref().unwrap_or("(no from)"),
                self.subject.as_deref().unwrap_or("")
            ),
        };
        truncate(&for_terminal(&text), 120).into_owned()
    }
}

/// How a source folder was compared.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Compared {
    /// Message by message: keys and content.
    Messages,
    /// By count only (contacts, calendars ... in a target that holds them).
    Count,
    /// Not compared: the target cannot hold these items (say the notes).
    Skipped,
}

/// One source folder (or several that go to the same target folder) and
/// its target folder.
#[derive(Debug, Clone, Serialize)]
pub struct FolderCheck {
    /// The source folder's `/`-joined path (`""` for the root; several
    /// joined by `, ` when they go to one target folder); `None` for a
    /// target folder no source folder goes to.
    pub source: Option<String>,
    /// The target folder's path, `None` when the target has none for it.
    pub target: Option<String>,
    /// What the folder holds.
    pub kind: FolderKind,
    /// How the target folder was found: `folder-map`, `path`, `role`, or
    /// `none`.
    pub matched_by: &'static str,
    /// How it was compared.
    pub compared: Compared,
    /// Messages in the source folder (items, in a folder compared by
    /// count; items of a mail folder that are not mail are in `not_mail`).
    pub source_count: u64,
    /// Messages in the target folder (the same).
    pub target_count: u64,
    /// In the source, in no target folder.
    pub missing: u64,
    /// In the target folder, in no source folder.
    pub extra: u64,
    /// In both under the same key, with other content.
    pub altered: u64,
    /// In the target, but in another folder than this one.
    pub in_other_folder: u64,
    /// Further source messages under a key the target folder holds
    /// already (as `convert --dedup` writes them: once); not a failure.
    pub duplicates: u64,
    /// Items that could not be read (source or target).
    pub unreadable: u64,
    /// Items of a mail folder that are not mail (a contact in Deleted
    /// Items), not compared.
    pub not_mail: u64,
    /// The first `limit` of each.
    pub missing_items: Vec<MessageRef>,
    /// ...
    pub extra_items: Vec<MessageRef>,
    /// ...
    pub altered_items: Vec<MessageRef>,
    /// ... with the folder each was found in.
    pub in_other_folder_items: Vec<MessageRef>,
    /// ...
    pub duplicate_items: Vec<MessageRef>,
    /// What could not be read, and why (the first `limit`).
    pub unreadable_items: Vec<String>,
    /// Why a folder was compared by count or not at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl FolderCheck {
    fn new(source: Option<String>, target: Option<String>, kind: FolderKind, matched_by: &'static str) -> Self {
        FolderCheck {
            source,
            target,
            kind,
            matched_by,
            compared: Compared::Messages,
            source_count: 0,
            target_count: 0,
            missing: 0,
            extra: 0,
            altered: 0,
            in_other_folder: 0,
            duplicates: 0,
            unreadable: 0,
            not_mail: 0,
            missing_items: Vec::new(),
            extra_items: Vec::new(),
            altered_items: Vec::new(),
            in_other_folder_items: Vec::new(),
            duplicate_items: Vec::new(),
            unreadable_items: Vec::new(),
            note: None,
        }
    }
}

/// The sums over every folder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Messages in the source's mail folders.
    pub source: u64,
    /// Messages in the target's mail folders.
    pub target: u64,
    /// See [`FolderCheck`].
    pub missing: u64,
    /// ...
    pub extra: u64,
    /// ...
    pub altered: u64,
    /// ...
    pub in_other_folder: u64,
    /// ...
    pub duplicates: u64,
    /// ...
    pub unreadable: u64,
    /// Items of the source's folders compared by count only.
    pub by_count_source: u64,
    /// Items of their target folders.
    pub by_count_target: u64,
    /// Items of the source's folders not compared (skipped).
    pub not_compared: u64,
}

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The source, as given (an IMAP address without its secret).
    pub source: String,
    /// Its format.
    pub source_format: String,
    /// The target.
    pub target: String,
    /// Its format.
    pub target_format: String,
    /// Folder by folder, in the source's order, then the target folders
    /// no source folder goes to.
    pub folders: Vec<FolderCheck>,
    /// The sums.
    pub total: Totals,
    /// Notes: folders not compared and why, the digest used.
    pub notes: Vec<String>,
    /// `true` when the target holds every source message unaltered.
    pub ok: bool,
}

impl VerifyReport {
    /// Messages of the source the target does not hold.
    pub fn missing(&self) -> u64 {
        self.total.missing
    }

    /// Messages in both whose content differs.
    pub fn altered(&self) -> u64 {
        self.total.altered
    }

    /// Messages in the target only.
    pub fn extra(&self) -> u64 {
        self.total.extra
    }

    /// 0 when the target holds every source message unaltered (extras do
    /// not count), 1 when something is missing, altered or unreadable.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.ok)
    }

    /// The report as a table for people: every string from the stores
    /// escaped for the terminal, columns aligned by display width.
    pub fn to_table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "verify {} ({}) -> {} ({})",
            for_terminal(&self.source),
            self.source_format,
            for_terminal(&self.target),
            self.target_format
        );
        let name = |p: &Option<String>| match p.as_deref() {
            None => "-".to_string(),
            Some("") => "(root)".to_string(),
            Some(p) => truncate(&for_terminal(p), 40).into_owned(),
        };
        let rows: Vec<(String, String)> = self.folders.iter().map(|f| (name(&f.source), name(&f.target))).collect();
        let ws = rows.iter().map(|r| width(&r.0)).max().unwrap_or(0).clamp(6, 40);
        let wt = rows.iter().map(|r| width(&r.1)).max().unwrap_or(0).clamp(6, 40);
        let _ = writeln!(
            out,
            "{}  {}  {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
            pad("source", ws),
            pad("target", wt),
            "source",
            "target",
            "missing",
            "altered",
            "extra",
            "moved"
        );
        for (f, (s, t)) in self.folders.iter().zip(&rows) {
            let _ = writeln!(
                out,
                "{}  {}  {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
                pad(s, ws),
                pad(t, wt),
                f.source_count,
                f.target_count,
                f.missing,
                f.altered,
                f.extra,
                f.in_other_folder
            );
            if let Some(n) = &f.note {
                let _ = writeln!(out, "  {}", for_terminal(n));
            }
            let lists: [(&str, u64, &Vec<MessageRef>); 5] = [
                ("missing", f.missing, &f.missing_items),
                ("altered", f.altered, &f.altered_items),
                ("extra", f.extra, &f.extra_items),
                ("in another folder", f.in_other_folder, &f.in_other_folder_items),
                ("held once", f.duplicates, &f.duplicate_items),
            ];
            for (what, n, items) in lists {
                for m in items {
                    let at = m.found_in.as_deref().map(|p| format!(" (in {})", for_terminal(p))).unwrap_or_default();
                    let _ = writeln!(out, "  {what}: {}{at}", m.to_line());
                }
                if n > items.len() as u64 {
                    let _ = writeln!(out, "  ... and {} more {what}", n - items.len() as u64);
                }
            }
            if f.not_mail > 0 {
                let _ = writeln!(out, "  {} items that are not mail, not compared", f.not_mail);
            }
            for u in &f.unreadable_items {
                let _ = writeln!(out, "  unreadable: {}", for_terminal(u));
            }
            if f.unreadable > f.unreadable_items.len() as u64 {
                let _ = writeln!(out, "  ... and {} more unreadable", f.unreadable - f.unreadable_items.len() as u64);
            }
        }
        let t = &self.total;
        let _ = writeln!(
            out,
            "{}  {}  {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
            pad("TOTAL", ws),
            pad("", wt),
            t.source,
            t.target,
            t.missing,
            t.altered,
            t.extra,
            t.in_other_folder
        );
        if t.by_count_source > 0 || t.by_count_target > 0 {
            let _ = writeln!(
                out,
                "compared by count: {} items in the source, {} in the target",
                t.by_count_source, t.by_count_target
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {}", for_terminal(n));
        }
        let verdict = if self.ok {
            "verified: the target holds every source message unaltered".to_string()
        } else {
            format!("NOT verified: {} missing, {} altered, {} unreadable", self.missing(), self.altered(), t.unreadable)
        };
        let _ = writeln!(
            out,
            "{verdict}{}",
            if self.extra() > 0 { format!(" ({} extra in the target)", self.extra()) } else { String::new() }
        );
        out
    }
}

/// A digest of what of a message survives a conversion by mailshift: the
/// decoded Subject, the From address and the Date, and the body after the
/// header with line ends normalized, trailing white space and trailing
/// empty lines dropped, and mbox's `>From ` quoting undone (mboxo cannot
/// be unquoted exactly). The rest of the header is left out: writers add
/// state (mbox's Status and X-Status, X-Keywords) and IMAP servers may
/// rewrite it.
pub fn digest(info: &MailInfo, raw: &[u8]) -> [u8; 16] {
    let mut h = Sha256::new();
    for (name, v) in [("subject", info.subject.as_deref()), ("from", info.from.as_deref())] {
        h.update(name.as_bytes());
        h.update(b"\0");
        h.update(v.unwrap_or("").as_bytes());
        h.update(b"\0");
    }
    h.update(b"date\0");
    h.update(info.date.unwrap_or(i64::MIN).to_le_bytes());
    h.update(b"\0body\0");
    let (_, body) = mailshift_core::prepare::split_header(raw);
    let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').map(trim_end_ws).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for l in lines {
        let q = l.iter().take_while(|&&b| b == b'>').count();
        let l = if q > 0 && l[q..].starts_with(b"From ") { &l[q..] } else { l };
        h.update(l);
        h.update(b"\n");
    }
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

fn trim_end_ws(s: &[u8]) -> &[u8] {
    let mut e = s.len();
    while e > 0 && matches!(s[e - 1], b' ' | b'\t' | b'\r') {
        e -= 1;
    }
    &s[..e]
}

/// One message read.
struct Msg {
    key: DedupKey,
    digest: [u8; 16],
    info: MailInfo,
}

/// What one folder holds, read.
#[derive(Default)]
struct Contents {
    msgs: Vec<Msg>,
    count: u64,
    not_mail: u64,
    unreadable: u64,
    /// The first `limit` of them, with the reason.
    unreadable_items: Vec<String>,
}

/// One side of the comparison.
struct Side {
    name: String,
    reader: Box<dyn StoreReader>,
    folders: Vec<Folder>,
}

fn open_side(p: &Path, fmt: Option<Format>, opts: &VerifyOptions, source: bool) -> anyhow::Result<Side> {
    let what = if source { "source" } else { "target" };
    let imap = &opts.imap;
    if crate::imap::is_imap(p) {
        let secret = if source { &opts.source_secret } else { &opts.target_secret };
        let ep = match (secret, source) {
            (Some(s), true) => {
                let mut own = imap.clone();
                own.authzid = imap.source_authzid.clone().or_else(|| imap.authzid.clone());
                crate::imap::endpoint_with(p, &own, Some(s.clone()))?
            }
            (Some(s), false) => crate::imap::endpoint_with(p, imap, Some(s.clone()))?,
            (None, true) => crate::imap::source_endpoint(p, imap)?,
            (None, false) => crate::imap::endpoint(p, imap)?,
        };
        let name = ep.address.to_string();
        let reader = mailshift_imap::ImapReader::open(ep, imap.retries)
            .with_context(|| format!("cannot open the {what} mailbox"))?;
        let folders = reader.folders()?;
        return Ok(Side { name, reader: Box::new(reader), folders });
    }
    let fmt = match fmt {
        Some(f) => f,
        None => detect::source(p)?,
    };
    let reader = crate::open_reader(p, fmt, false).with_context(|| format!("cannot open the {what}"))?;
    let folders = reader.folders().with_context(|| format!("cannot list the {what}'s folders"))?;
    Ok(Side { name: p.display().to_string(), reader, folders })
}

/// Reads every message of a mail folder: in batches, each prefetched (a
/// network reader fetches it in one go) and then read in parallel.
fn read_folder(reader: &dyn StoreReader, folder: &Folder, limit: usize) -> Contents {
    let mut c = Contents::default();
    let metas = match reader.items(folder.id) {
        Ok(m) => m,
        Err(e) => {
            c.unreadable = 1;
            c.unreadable_items.push(format!("cannot list the items of {}: {e}", folder.display_path()));
            return c;
        }
    };
    c.count = metas.len() as u64;
    const BATCH_BYTES: u64 = 32 << 20;
    let mut start = 0;
    while start < metas.len() {
        let mut end = start;
        let mut bytes = 0u64;
        while end < metas.len() && (end == start || bytes < BATCH_BYTES) && end - start < 1000 {
            bytes += metas[end].size.unwrap_or(64 << 10);
            end += 1;
        }
        let batch: &[ItemMeta] = &metas[start..end];
        reader.prefetch(batch);
        let read: Vec<Result<Option<Msg>, String>> = batch
            .par_iter()
            .map(|m| match reader.read(m.id) {
                Ok(item @ Item::Mail(_)) => {
                    let p = Prepared::new(item, *m);
                    let Item::Mail(mail) = &p.item else { unreachable!("matched as mail") };
                    let digest = digest(&p.info, &mail.raw);
                    Ok(Some(Msg { key: p.key, digest, info: p.info }))
                }
                Ok(_) | Err(Error::Unsupported { .. }) => Ok(None),
                Err(e) => Err(format!("{}: {e}", reader.describe(m.id))),
            })
            .collect();
        for r in read {
            match r {
                Ok(Some(m)) => c.msgs.push(m),
                Ok(None) => c.not_mail += 1,
                Err(e) => {
                    c.unreadable += 1;
                    if c.unreadable_items.len() < limit {
                        c.unreadable_items.push(e);
                    }
                }
            }
        }
        reader.release_memory();
        start = end;
    }
    c
}

/// Roles a writer puts in the target's special folder of that role.
fn special(r: FolderRole) -> bool {
    r != FolderRole::None
}

/// The role of a folder's nearest special ancestor (itself included), and
/// the path below it, lower-cased: `(Sent, "2019")` for `Sent Items/2019`.
/// The root holds the inbox (a single mbox file, a Maildir's INBOX).
fn role_key(f: &Folder, folders: &[Folder]) -> Option<(FolderRole, String)> {
    if f.path.is_empty() {
        return Some((FolderRole::Inbox, String::new()));
    }
    for n in (1..=f.path.len()).rev() {
        let anc = &f.path[..n];
        let role = folders
            .iter()
            .find(|g| g.path == anc)
            .map(|g| g.role)
            .filter(|r| special(*r))
            .unwrap_or_else(|| if n == 1 { FolderRole::guess(&anc[0]) } else { FolderRole::None });
        if special(role) {
            return Some((role, lower(&f.path[n..])));
        }
    }
    None
}

fn lower(path: &[String]) -> String {
    path.iter().map(|p| p.to_lowercase()).collect::<Vec<_>>().join("/")
}

/// Where `convert` would have put each source folder in the target.
struct Targets {
    by_scope: HashMap<String, usize>,
    by_path: HashMap<String, usize>,
    by_role: HashMap<(FolderRole, String), usize>,
    imap: bool,
}

impl Targets {
    fn new(side: &Side) -> Targets {
        let folders = &side.folders;
        let inbox = inbox_name(folders);
        let mut t = Targets {
            by_scope: HashMap::new(),
            by_path: HashMap::new(),
            by_role: HashMap::new(),
            imap: side.reader.format_name() == "imap",
        };
        let mut roles: Vec<(usize, (FolderRole, String), usize)> = Vec::new();
        for (i, f) in folders.iter().enumerate() {
            t.by_scope.entry(mailshift_core::dedup_scope(f, inbox.as_deref()).to_lowercase()).or_insert(i);
            t.by_path.entry(lower(&f.path)).or_insert(i);
            if let Some(k) = role_key(f, folders) {
                let depth = f.path.len() - k.1.split('/').filter(|s| !s.is_empty()).count();
                roles.push((depth, k, i));
            }
        }
        // The shallowest special folder of a role wins (INBOX.Sent's
        // children are below it).
        roles.sort_by_key(|r| r.0);
        for (_, k, i) in roles {
            t.by_role.entry(k).or_insert(i);
        }
        t
    }

    /// The target folder for source folder `f` and how it was found.
    fn find(
        &self,
        f: &Folder,
        src: &[Folder],
        src_inbox: Option<&str>,
        map: &[(String, String)],
    ) -> (Option<usize>, &'static str) {
        for (from, to) in map {
            let from: Vec<String> = from.split('/').filter(|p| !p.is_empty()).map(str::to_lowercase).collect();
            let hit = !from.is_empty()
                && f.path.len() >= from.len()
                && from.iter().zip(&f.path).all(|(a, b)| *a == b.to_lowercase());
            if hit {
                let mut path: Vec<String> = to.split('/').filter(|p| !p.is_empty()).map(str::to_string).collect();
                path.extend(f.path[from.len()..].iter().cloned());
                let key = lower(&path);
                let found = self.by_path.get(&key).copied().or_else(|| {
                    // `INBOX` (and below) names the target's inbox, whatever it is called.
                    let rest = path.split_first().filter(|(top, _)| top.eq_ignore_ascii_case("inbox"))?.1;
                    self.by_role.get(&(FolderRole::Inbox, lower(rest))).copied()
                });
                return (found, "folder-map");
            }
        }
        let scope = || self.by_scope.get(&mailshift_core::dedup_scope(f, src_inbox).to_lowercase()).copied();
        let role = || role_key(f, src).and_then(|k| self.by_role.get(&k).copied());
        let found = if self.imap {
            role().map(|i| (i, "role")).or_else(|| scope().map(|i| (i, "path")))
        } else {
            scope().map(|i| (i, "path")).or_else(|| role().map(|i| (i, "role")))
        };
        match found {
            Some((i, how)) => (Some(i), how),
            None => (None, "none"),
        }
    }
}

/// Compares the target `dst` with the source `src` it was converted from.
/// Read-only on both sides. An error only when a store cannot be opened
/// or listed (exit 2); what differs is in the report.
pub fn verify(src: &Path, dst: &Path, opts: &VerifyOptions) -> anyhow::Result<VerifyReport> {
    let source = open_side(src, opts.from, opts, true)?;
    let target = open_side(dst, opts.to, opts, false)?;
    Ok(compare(&source, &target, opts))
}

/// A target message not yet paired: (row, message).
type Loose = (usize, usize);

fn compare(source: &Side, target: &Side, opts: &VerifyOptions) -> VerifyReport {
    let limit = opts.limit;
    let targets = Targets::new(target);
    let src_inbox = inbox_name(&source.folders);
    let mut notes = Vec::new();

    // Rows: one per target folder a source folder goes to (several source
    // folders may go to one), plus one per source folder with none.
    struct Row {
        check: FolderCheck,
        src: Vec<Msg>,
        dst: Vec<Msg>,
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut row_of_target: HashMap<usize, usize> = HashMap::new();
    let tname = |i: usize| target.folders[i].display_path();
    for f in &source.folders {
        let (mut found, mut how) = targets.find(f, &source.folders, src_inbox.as_deref(), &opts.folder_map);
        // Contacts, calendars ... only go to a folder of their kind.
        if f.kind != FolderKind::Mail && found.is_some_and(|t| target.folders[t].kind != f.kind) {
            (found, how) = (None, "none");
        }
        let existing = found.and_then(|t| row_of_target.get(&t).copied());
        let r = match existing {
            Some(r) => {
                let s = rows[r].check.source.get_or_insert_with(String::new);
                s.push_str(", ");
                s.push_str(&f.display_path());
                r
            }
            None => {
                rows.push(Row {
                    check: FolderCheck::new(Some(f.display_path()), found.map(tname), f.kind, how),
                    src: Vec::new(),
                    dst: Vec::new(),
                });
                if let Some(t) = found {
                    row_of_target.insert(t, rows.len() - 1);
                }
                rows.len() - 1
            }
        };
        let row = &mut rows[r];
        if f.kind != FolderKind::Mail {
            let n = source.reader.items(f.id).map(|v| v.len() as u64).unwrap_or(0);
            row.check.source_count += n;
            match found {
                Some(_) => {
                    row.check.compared = Compared::Count;
                    row.check.note = Some(format!("{} folder: compared by count only", f.kind.as_str()));
                }
                None => {
                    row.check.compared = Compared::Skipped;
                    row.check.note = Some(format!(
                        "{} folder: not compared, the target ({}) has no {} folder",
                        f.kind.as_str(),
                        target.reader.format_name(),
                        f.kind.as_str()
                    ));
                }
            }
            continue;
        }
        let c = read_folder(source.reader.as_ref(), f, limit);
        // Mail (and what could not be read); the rest is said apart.
        row.check.source_count += c.count - c.not_mail;
        row.check.not_mail += c.not_mail;
        row.src.extend(c.msgs);
        row.check.unreadable += c.unreadable;
        for u in c.unreadable_items {
            if row.check.unreadable_items.len() < limit {
                row.check.unreadable_items.push(format!("source {u}"));
            }
        }
    }
    // The target's side of each row, and the target folders no source
    // folder goes to.
    for (i, f) in target.folders.iter().enumerate() {
        // A target folder of no source folder, read already.
        let mut pending = None;
        let r = match row_of_target.get(&i) {
            Some(&r) => r,
            None => {
                if f.kind != FolderKind::Mail {
                    continue;
                }
                let c = read_folder(target.reader.as_ref(), f, limit);
                if c.count == 0 {
                    continue;
                }
                pending = Some(c);
                rows.push(Row {
                    check: FolderCheck::new(None, Some(f.display_path()), f.kind, "none"),
                    src: Vec::new(),
                    dst: Vec::new(),
                });
                rows.len() - 1
            }
        };
        let row = &mut rows[r];
        if row.check.compared != Compared::Messages || f.kind != FolderKind::Mail {
            row.check.target_count += target.reader.items(f.id).map(|v| v.len() as u64).unwrap_or(0);
            if row.check.compared == Compared::Count {
                row.check.missing = row.check.source_count.saturating_sub(row.check.target_count);
                row.check.extra = row.check.target_count.saturating_sub(row.check.source_count);
            }
            continue;
        }
        let c = match pending.take() {
            Some(c) => c,
            None => read_folder(target.reader.as_ref(), f, limit),
        };
        row.check.target_count += c.count - c.not_mail;
        row.dst.extend(c.msgs);
        row.check.unreadable += c.unreadable;
        for u in c.unreadable_items {
            if row.check.unreadable_items.len() < limit {
                row.check.unreadable_items.push(format!("target {u}"));
            }
        }
    }

    // Within each row: pair by key, equal content first.
    let mut missing: Vec<(usize, usize)> = Vec::new(); // (row, src msg)
    let mut loose: HashMap<DedupKey, Vec<Loose>> = HashMap::new();
    let mut altered: Vec<(usize, usize, Option<usize>)> = Vec::new(); // (row, src msg, other row)
    let mut duplicates: Vec<(usize, usize)> = Vec::new(); // (row, src msg)
    for (r, row) in rows.iter().enumerate() {
        let mut by_key: HashMap<DedupKey, Vec<usize>> = HashMap::new();
        for (j, m) in row.dst.iter().enumerate() {
            by_key.entry(m.key).or_default().push(j);
        }
        let mut unpaired = Vec::new();
        for (j, m) in row.src.iter().enumerate() {
            let same = by_key.get_mut(&m.key).and_then(|v| {
                let at = v.iter().position(|&t| row.dst[t].digest == m.digest)?;
                Some(v.remove(at))
            });
            if same.is_none() {
                unpaired.push(j);
            }
        }
        for j in unpaired {
            let key = row.src[j].key;
            match by_key.get_mut(&key).and_then(|v| (!v.is_empty()).then(|| v.remove(0))) {
                Some(_) => altered.push((r, j, None)),
                // The target folder holds this key, as often as it could
                // be paired: the source has it more often.
                None if by_key.contains_key(&key) => duplicates.push((r, j)),
                None => missing.push((r, j)),
            }
        }
        let mut left: Vec<usize> = by_key.into_values().flatten().collect();
        left.sort_unstable();
        for t in left {
            loose.entry(row.dst[t].key).or_default().push((r, t));
        }
    }
    // What is missing from its folder may be in another one.
    let mut moved: Vec<(usize, usize, usize)> = Vec::new(); // (row, src msg, other row)
    let mut really_missing = Vec::new();
    for (r, j) in missing {
        let m = &rows[r].src[j];
        let hit = loose.get_mut(&m.key).and_then(|v| {
            let at =
                v.iter().position(|&(tr, t)| rows[tr].dst[t].digest == m.digest).or((!v.is_empty()).then_some(0))?;
            Some(v.remove(at))
        });
        match hit {
            Some((tr, t)) => {
                moved.push((r, j, tr));
                if rows[tr].dst[t].digest != m.digest {
                    altered.push((r, j, Some(tr)));
                }
            }
            None => really_missing.push((r, j)),
        }
    }

    let folder_of = |rows: &[Row], r: usize| rows[r].check.target.clone().unwrap_or_default();
    let push = |list: &mut Vec<MessageRef>, m: MessageRef| {
        if list.len() < limit {
            list.push(m);
        }
    };
    for (r, j) in really_missing {
        let m = MessageRef::of(&rows[r].src[j].info);
        rows[r].check.missing += 1;
        push(&mut rows[r].check.missing_items, m);
    }
    for (r, j, other) in altered {
        let mut m = MessageRef::of(&rows[r].src[j].info);
        m.found_in = other.map(|o| folder_of(&rows, o));
        rows[r].check.altered += 1;
        push(&mut rows[r].check.altered_items, m);
    }
    for (r, j, other) in moved {
        let mut m = MessageRef::of(&rows[r].src[j].info);
        m.found_in = Some(folder_of(&rows, other));
        rows[r].check.in_other_folder += 1;
        push(&mut rows[r].check.in_other_folder_items, m);
    }
    for (r, j) in duplicates {
        let m = MessageRef::of(&rows[r].src[j].info);
        rows[r].check.duplicates += 1;
        push(&mut rows[r].check.duplicate_items, m);
    }
    let mut extras: Vec<Loose> = loose.into_values().flatten().collect();
    extras.sort_unstable();
    for (r, t) in extras {
        let m = MessageRef::of(&rows[r].dst[t].info);
        rows[r].check.extra += 1;
        push(&mut rows[r].check.extra_items, m);
    }

    let mut total = Totals::default();
    let mut folders = Vec::new();
    for row in rows {
        let c = &row.check;
        match c.compared {
            Compared::Messages => {
                total.source += c.source_count;
                total.target += c.target_count;
            }
            Compared::Count => {
                total.by_count_source += c.source_count;
                total.by_count_target += c.target_count;
            }
            Compared::Skipped => total.not_compared += c.source_count,
        }
        total.missing += c.missing;
        total.extra += c.extra;
        total.altered += c.altered;
        total.in_other_folder += c.in_other_folder;
        total.duplicates += c.duplicates;
        total.unreadable += c.unreadable;
        folders.push(row.check);
    }
    let skipped: u64 = folders.iter().filter(|f| f.compared == Compared::Skipped).map(|f| f.source_count).sum();
    if skipped > 0 {
        let why = if matches!(target.reader.format_name(), "imap" | "mbox" | "maildir" | "eml") {
            " (it holds mail only: convert writes contacts and calendars as .vcf/.ics files, beside the mail \
             or into --pim-dir)"
        } else {
            ""
        };
        notes.push(format!(
            "{skipped} items in folders of contacts, calendars, tasks, notes or journals were not compared: \
             the target has no folder of their kind{why}"
        ));
    }
    let not_mail: u64 = folders.iter().map(|f| f.not_mail).sum();
    if not_mail > 0 {
        notes.push(format!(
            "{not_mail} items in mail folders are not mail (contacts, meetings ...) and were not compared"
        ));
    }
    if total.duplicates > 0 {
        notes.push(format!(
            "{} source messages share their key with another of their folder that the target holds, \
             which the target holds once (as convert --dedup writes them): listed as held once, not missing",
            total.duplicates
        ));
    }
    notes.push(
        "messages are matched by Message-ID, else by a hash of their normalized header and body; \
         content is compared by Subject, From, Date and the body"
            .to_string(),
    );
    let ok = total.missing == 0 && total.altered == 0 && total.unreadable == 0;
    VerifyReport {
        source: source.name.clone(),
        source_format: source.reader.format_name().to_string(),
        target: target.name.clone(),
        target_format: target.reader.format_name().to_string(),
        folders,
        total,
        notes,
        ok,
    }
}

/// `mailshift verify`: prints the report (a table, or JSON with `json`)
/// and returns the exit code.
pub fn run(src: &Path, dst: &Path, opts: &VerifyOptions, json: bool) -> anyhow::Result<u8> {
    let report = verify(src, dst, opts)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_table());
    }
    Ok(report.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_ignores_line_ends_state_headers_and_from_quoting() {
        let a = b"From: a@b\nSubject: hi\nStatus: RO\n\nline\n>From here\n\n";
        let b = b"X-Status: F\r\nFrom: a@b\r\nSubject: hi\r\n\r\nline  \r\nFrom here\r\n";
        let c = b"From: a@b\nSubject: hi\n\nline\nother\n";
        let d = |r: &[u8]| digest(&MailInfo::parse(r), r);
        assert_eq!(d(a), d(b));
        assert_ne!(d(a), d(c));
        let e = b"From: a@b\nSubject: ho\n\nline\n>From here\n";
        assert_ne!(d(a), d(e));
    }

    #[test]
    fn text_from_the_source_is_escaped_for_the_terminal() {
        let m = MessageRef {
            message_id: None,
            date: None,
            from: Some("a@b".into()),
            subject: Some("\u{1b}]0;owned\u{7} \u{202e}txt".into()),
            found_in: None,
        };
        let line = m.to_line();
        assert!(!line.contains('\u{1b}') && !line.contains('\u{202e}'), "{line}");
        assert!(line.contains("\\x1b") && line.contains("a@b"), "{line}");
    }
}
