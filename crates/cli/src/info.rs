//! `mailshift info`: a health check of a store before converting it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use mailshift_core::text::{for_terminal, pad, truncate, width};
use mailshift_core::time::rfc3339;
use mailshift_core::{Error, FolderKind, FolderRole, Item, ItemMeta, Prepared, Problem, Severity, StoreReader};
use rayon::prelude::*;
use serde::Serialize;

use crate::detect::{self, Format};

#[derive(Serialize, Default)]
struct FolderInfo {
    path: String,
    kind: FolderKind,
    role: FolderRole,
    items: u64,
    bytes: u64,
    #[serde(serialize_with = "timestamp")]
    oldest: Option<i64>,
    #[serde(serialize_with = "timestamp")]
    newest: Option<i64>,
    unreadable: u64,
    /// The unreadable items, with the reason (the first hundred).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unreadable_items: Vec<mailshift_core::Failure>,
    /// Items this build cannot export in their own form yet (PST contacts,
    /// appointments ... before the PIM export).
    not_mail: u64,
    /// An Outlook 2013+ IMAP data file's "... (This computer only)" folder:
    /// its items exist on no server, so this file is their only copy.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    this_computer_only: bool,
    /// Item counts by class, where the format has classes (PST: IPM.Note ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    classes: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Info {
    path: String,
    format: String,
    facts: BTreeMap<String, String>,
    folders: Vec<FolderInfo>,
    items: u64,
    bytes: u64,
    #[serde(serialize_with = "timestamp")]
    oldest: Option<i64>,
    #[serde(serialize_with = "timestamp")]
    newest: Option<i64>,
    problems: Vec<Problem>,
    /// What an import into Exchange or Microsoft 365 would meet.
    exchange: Readiness,
}

/// Exchange / Microsoft 365 readiness: the documented limits, for any source.
#[derive(Serialize, Default)]
struct Readiness {
    /// Items over 35 MB, a mailbox's default receive limit (Exchange
    /// Online, its IMAP migration).
    over_35mb: u64,
    /// Items over 150 MB, which the PST Import Service skips.
    over_150mb: u64,
    /// The largest item's size.
    largest: u64,
    /// The most deeply nested folder and its depth (levels below the
    /// store's top); the import rejects 300 levels or more.
    deepest_folder: String,
    depth: usize,
    /// The PSTs a 20 GB split (`--split 20G`, as the import advises) would
    /// make, by the items' sizes in the source's order.
    psts_at_20gb: u64,
    /// The items over 35 MB (the first hundred), with their size.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    large_items: Vec<mailshift_core::Failure>,
}

impl Readiness {
    fn item(&mut self, reader: &dyn StoreReader, id: mailshift_core::ItemId, size: u64, part: &mut u64) {
        if size > crate::M365_RECEIVE_LIMIT {
            self.over_35mb += 1;
            if self.large_items.len() < 100 {
                self.large_items
                    .push(mailshift_core::Failure { item: reader.describe(id), reason: format!("{size} bytes") });
            }
        }
        if size > crate::M365_MAX_ITEM {
            self.over_150mb += 1;
        }
        self.largest = self.largest.max(size);
        if *part > 0 && part.saturating_add(size) > crate::M365_SPLIT {
            self.psts_at_20gb += 1;
            *part = 0;
        }
        *part += size;
    }
}

pub fn run(src: &Path, from: Option<Format>, json: bool, recover: bool, quick: bool) -> anyhow::Result<u8> {
    let fmt = match from {
        Some(f) => f,
        None => detect::source(src)?,
    };
    let reader = crate::open_reader(src, fmt, recover).context("cannot open the store")?;
    let info = gather(reader.as_ref(), quick)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print!("{}", table(&info));
    }
    Ok(u8::from(info.troubled()))
}

impl Info {
    /// Damaged or unreadable: a problem that is more than a note, an item
    /// that cannot be read, a folder whose items cannot be listed. `info`
    /// exits 1 for these; notes alone leave it at 0.
    fn troubled(&self) -> bool {
        self.problems.iter().any(|p| p.severity >= Severity::Damaged)
            || self.folders.iter().any(|f| f.unreadable > 0 || f.error.is_some())
    }
}

fn gather(reader: &dyn StoreReader, quick: bool) -> anyhow::Result<Info> {
    let mut folders = Vec::new();
    let (mut items, mut bytes, mut oldest, mut newest) = (0u64, 0u64, None::<i64>, None::<i64>);
    let mut exchange = Readiness { psts_at_20gb: 1, ..Readiness::default() };
    let mut part = 0u64;
    for folder in reader.folders()? {
        if folder.path.len() > exchange.depth {
            exchange.depth = folder.path.len();
            exchange.deepest_folder = folder.display_path();
        }
        let mut fi = FolderInfo {
            path: folder.display_path(),
            kind: folder.kind,
            role: folder.role,
            this_computer_only: this_computer_only(&folder.name),
            ..FolderInfo::default()
        };
        match reader.items(folder.id) {
            Err(e) => fi.error = Some(e.to_string()),
            Ok(metas) => {
                // Every item is read to find its date and size, and its
                // class looked up: in parallel, without keeping its bytes.
                // PST/OST without --exact: a message without its conversion.
                let pst = quick && matches!(reader.format_name(), "pst" | "ost");
                let facts: Vec<(Option<String>, Fact)> = if pst {
                    metas
                        .par_iter()
                        .map(|m| {
                            // One look at the message's property context;
                            // else the message read as the store holds it.
                            if let Some(g) = reader.item_glance(m.id) {
                                if g.kind == Some(FolderKind::Mail) {
                                    if let Some(size) = g.size.or(m.size).filter(|&s| s <= NEAR_LIMIT) {
                                        return (g.class, Fact::Read(m.id, size, g.date));
                                    }
                                }
                            } else if reader.item_kind(m.id) == Some(FolderKind::Mail) {
                                if let Some(f) = mapi_fact(reader, m) {
                                    return f;
                                }
                            }
                            (reader.item_class(m.id), read_fact(reader, m))
                        })
                        .collect()
                } else {
                    // The classes first, on this thread (a lookup in each
                    // item's property context), then the reads in parallel.
                    let classes: Vec<Option<String>> = metas.iter().map(|m| reader.item_class(m.id)).collect();
                    let facts: Vec<Fact> = metas.par_iter().map(|m| read_fact(reader, m)).collect();
                    classes.into_iter().zip(facts).collect()
                };
                for (class, f) in facts {
                    if let Some(class) = class {
                        *fi.classes.entry(class).or_default() += 1;
                    }
                    match f {
                        Fact::Unreadable(why) => {
                            fi.unreadable += 1;
                            if fi.unreadable_items.len() < 100 {
                                fi.unreadable_items.push(why);
                            }
                        }
                        Fact::Unsupported(id, size) => {
                            fi.items += 1;
                            fi.bytes += size;
                            fi.not_mail += 1;
                            exchange.item(reader, id, size, &mut part);
                        }
                        Fact::Read(id, size, date) => {
                            fi.items += 1;
                            fi.bytes += size;
                            exchange.item(reader, id, size, &mut part);
                            if let Some(d) = date {
                                widen(&mut fi.oldest, &mut fi.newest, d);
                                widen(&mut oldest, &mut newest, d);
                            }
                        }
                    }
                }
                items += fi.items;
                bytes += fi.bytes;
            }
        }
        folders.push(fi);
    }
    Ok(Info {
        path: reader.path().display().to_string(),
        format: reader.format_name().to_string(),
        facts: reader.facts().into_iter().collect(),
        folders,
        items,
        bytes,
        oldest,
        newest,
        problems: reader.problems(),
        exchange,
    })
}

/// True for the local-only folders Outlook 2013+ keeps in an IMAP
/// account's data file ("Calendar (This computer only)"), in English and
/// the localisations seen most.
fn this_computer_only(name: &str) -> bool {
    const MARKS: [&str; 5] = [
        "(this computer only)",
        "(nur dieser computer)",
        "(uniquement cet ordinateur)",
        "(solo este equipo)",
        "(alleen deze computer)",
    ];
    let lower = name.to_lowercase();
    MARKS.iter().any(|m| lower.trim_end().ends_with(m))
}

/// What reading one item showed.
enum Fact {
    Read(mailshift_core::ItemId, u64, Option<i64>),
    Unsupported(mailshift_core::ItemId, u64),
    Unreadable(mailshift_core::Failure),
}

/// Base64 makes attachments a third larger: from here on the MIME size
/// may pass 35 MB, and is measured (without `--exact`).
const NEAR_LIMIT: u64 = 24 << 20;

/// Without `--exact`: a PST or OST message's facts from the message as the store holds it,
/// without building its MIME: the size is the store's own
/// (PidTagMessageSize, as Outlook counts it), the date the one its header
/// would carry (the kept transport header's Date, else the submit,
/// delivery, modification or creation time). `None` sends the item to
/// [`read_fact`]: a message that cannot be read so (it is reported as a
/// full read reports it), or one near the 35 MB limit, whose converted
/// size is measured.
fn mapi_fact(reader: &dyn StoreReader, m: &ItemMeta) -> Option<(Option<String>, Fact)> {
    use mailshift_core::mapi::tags;
    let msg = reader.read_mapi(m.id).ok()?;
    let size = msg.props.int(tags::MESSAGE_SIZE).and_then(|s| u64::try_from(s).ok()).or(m.size)?;
    if size > NEAR_LIMIT {
        return None;
    }
    let header = msg.props.str(tags::TRANSPORT_MESSAGE_HEADERS).filter(|h| h.contains(':'));
    let date = header.and_then(|h| mailshift_core::prepare::header_date(h.as_bytes())).or_else(|| {
        [tags::CLIENT_SUBMIT_TIME, tags::MESSAGE_DELIVERY_TIME, tags::LAST_MODIFICATION_TIME, tags::CREATION_TIME]
            .iter()
            .find_map(|&id| msg.props.time(id))
    });
    let class = msg.props.str(tags::MESSAGE_CLASS).map(str::to_string);
    Some((class, Fact::Read(m.id, size, date)))
}

/// An item's facts from a full read.
fn read_fact(reader: &dyn StoreReader, m: &ItemMeta) -> Fact {
    match reader.read(m.id) {
        // A message needs only its size and its Date field (the header's
        // other fields are not parsed).
        Ok(Item::Mail(mail)) => {
            Fact::Read(m.id, mail.raw.len() as u64, mailshift_core::prepare::header_date(&mail.raw).or(mail.received))
        }
        Ok(item) => {
            let p = Prepared::keyed(item, *m, false);
            Fact::Read(m.id, p.size(), p.date())
        }
        Err(Error::Unsupported { .. }) => Fact::Unsupported(m.id, m.size.unwrap_or(0)),
        Err(e) => Fact::Unreadable(mailshift_core::Failure { item: reader.describe(m.id), reason: e.to_string() }),
    }
}

fn widen(oldest: &mut Option<i64>, newest: &mut Option<i64>, t: i64) {
    *oldest = Some(oldest.map_or(t, |o| o.min(t)));
    *newest = Some(newest.map_or(t, |n| n.max(t)));
}

fn timestamp<S: serde::Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

fn date(t: Option<i64>) -> String {
    t.map_or_else(|| "-".to_string(), rfc3339)
}

/// The info as a table for people: every string from the source escaped
/// for the terminal, columns aligned by display width.
fn table(info: &Info) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", for_terminal(&info.path), info.format);
    for (k, v) in &info.facts {
        let _ = writeln!(out, "  {k}: {}", for_terminal(v));
    }
    let names: Vec<String> = info
        .folders
        .iter()
        .map(|f| truncate(&for_terminal(if f.path.is_empty() { "(root)" } else { &f.path }), 60).into_owned())
        .collect();
    let w = names.iter().map(|n| width(n)).max().unwrap_or(0).clamp(6, 60);
    let _ = writeln!(
        out,
        "{}  {:<8} {:>7} {:>12}  {:<20}  {:<20}",
        pad("folder", w),
        "kind",
        "items",
        "bytes",
        "oldest",
        "newest"
    );
    for (f, name) in info.folders.iter().zip(&names) {
        let _ = writeln!(
            out,
            "{}  {:<8} {:>7} {:>12}  {:<20}  {:<20}",
            pad(name, w),
            f.kind.as_str(),
            f.items,
            f.bytes,
            date(f.oldest),
            date(f.newest)
        );
        if f.this_computer_only {
            let _ = writeln!(out, "  this computer only: on no server; this file is the only copy");
        }
        if !f.classes.is_empty() {
            let list: Vec<String> = f.classes.iter().map(|(c, n)| format!("{} {n}", for_terminal(c))).collect();
            let _ = writeln!(out, "  {}", list.join(", "));
        }
        if f.not_mail > 0 {
            let _ = writeln!(out, "  {} items not exportable by this build (not mail)", f.not_mail);
        }
        if f.unreadable > 0 {
            let _ = writeln!(out, "  {} unreadable items", f.unreadable);
            for x in &f.unreadable_items {
                let _ = writeln!(out, "  unreadable {}: {}", for_terminal(&x.item), for_terminal(&x.reason));
            }
        }
        if let Some(e) = &f.error {
            let _ = writeln!(out, "  cannot list items: {}", for_terminal(e));
        }
    }
    let _ = writeln!(
        out,
        "{}  {:<8} {:>7} {:>12}  {:<20}  {:<20}",
        pad("TOTAL", w),
        "",
        info.items,
        info.bytes,
        date(info.oldest),
        date(info.newest)
    );
    let x = &info.exchange;
    let _ = writeln!(out, "Exchange / Microsoft 365 readiness:");
    let _ = writeln!(out, "  items over 35 MB (a mailbox's default receive limit): {}", x.over_35mb);
    let _ = writeln!(out, "  items over 150 MB (skipped by the PST Import Service): {}", x.over_150mb);
    for l in &x.large_items {
        let _ = writeln!(out, "  large {}: {}", for_terminal(&l.item), l.reason);
    }
    let _ = writeln!(
        out,
        "  deepest folder: {} level{}{}{}",
        x.depth,
        if x.depth == 1 { "" } else { "s" },
        if x.depth > 0 { format!(" ({})", for_terminal(&truncate(&x.deepest_folder, 60))) } else { String::new() },
        if x.depth > crate::M365_MAX_DEPTH { "; 300 or more are rejected: --target m365 brings them up" } else { "" }
    );
    let _ = writeln!(
        out,
        "  total {}: {} PST{} at a 20 GB split (--target m365, or --split 20G)",
        mailshift_core::text::human_bytes(info.bytes),
        x.psts_at_20gb,
        if x.psts_at_20gb == 1 { "" } else { "s" }
    );
    for p in &info.problems {
        let _ = writeln!(out, "{}", p.to_line());
    }
    let notes = info.problems.iter().filter(|p| p.severity == Severity::Note).count();
    let _ = if info.troubled() {
        let damaged = info.problems.len() - notes;
        let unreadable: u64 = info.folders.iter().map(|f| f.unreadable + u64::from(f.error.is_some())).sum();
        writeln!(
            out,
            "damaged: {damaged} problem{} and {unreadable} unreadable item{} or folder{} (exit 1)",
            if damaged == 1 { "" } else { "s" },
            if unreadable == 1 { "" } else { "s" },
            if unreadable == 1 { "" } else { "s" }
        )
    } else if notes > 0 {
        writeln!(out, "readable: no damage found ({notes} note{})", if notes == 1 { "" } else { "s" })
    } else {
        writeln!(out, "readable: no problems found")
    };
    out
}

#[cfg(test)]
mod tests {
    use super::this_computer_only;

    #[test]
    fn local_only_folders_are_recognised() {
        assert!(this_computer_only("Calendar (This computer only)"));
        assert!(this_computer_only("Kontakte (Nur dieser Computer)"));
        assert!(!this_computer_only("Calendar"));
        assert!(!this_computer_only("This computer only notes"));
    }
}

/// `mailshift info imaps://...`: the health check before a migration.
#[derive(Serialize)]
struct Health {
    store: String,
    capabilities: Vec<String>,
    /// The extensions an upload uses, and whether the server has them.
    extensions: BTreeMap<&'static str, bool>,
    append_limit: Option<u64>,
    quota: Option<Quota>,
    folders: Vec<HealthFolder>,
    messages: u64,
    bytes: u64,
    holds_data: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    upload: Option<UploadCheck>,
}

#[derive(Serialize)]
struct Quota {
    root: String,
    used: u64,
    limit: u64,
}

#[derive(Serialize)]
struct HealthFolder {
    path: String,
    role: FolderRole,
    messages: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct UploadCheck {
    source: String,
    messages: u64,
    bytes: u64,
    /// The largest message the target takes, and why.
    limit: Option<u64>,
    limit_label: Option<String>,
    over_limit: u64,
    over_limit_items: Vec<mailshift_core::Failure>,
    /// Whether it fits in what the quota leaves free (None: no quota).
    fits: Option<bool>,
}

/// What the IMAP side of `info` is told about an upload to check.
pub struct UploadPlan<'a> {
    pub source: Option<&'a Path>,
    pub from: Option<Format>,
    pub max_size: Option<(u64, String)>,
}

/// `info imaps://...`: capabilities, quota, each folder's count and size,
/// and with an upload to check, whether it fits and what it would skip.
/// Exit 1 when a folder cannot be read, the upload does not fit or some
/// of it would be skipped.
pub fn run_imap(addr: &Path, json: bool, imap: &crate::imap::ImapArgs, plan: &UploadPlan<'_>) -> anyhow::Result<u8> {
    let ep = crate::imap::endpoint(addr, imap)?;
    let reader = mailshift_imap::ImapReader::open(ep, imap.retries).context("cannot open the mailbox")?;
    let caps = reader.capabilities();
    let extensions: BTreeMap<&'static str, bool> =
        ["UIDPLUS", "LITERAL+", "MULTIAPPEND", "SPECIAL-USE", "MOVE", "COMPRESS=DEFLATE", "QUOTA", "IDLE", "CONDSTORE"]
            .into_iter()
            .map(|c| (c, caps.has(c)))
            .chain([("APPENDLIMIT", caps.append_limit().is_some())])
            .collect();
    let mut folders = Vec::new();
    let (mut messages, mut bytes) = (0u64, 0u64);
    let mut troubled = false;
    for f in reader.folders()? {
        let (n, b) = match reader.items(f.id) {
            Ok(items) => (items.len() as u64, items.iter().map(|m| m.size.unwrap_or(0)).sum()),
            Err(e) => {
                eprintln!("mailshift: {}: {}", for_terminal(&f.display_path()), for_terminal(&e.to_string()));
                troubled = true;
                (0, 0)
            }
        };
        messages += n;
        bytes += b;
        folders.push(HealthFolder { path: f.display_path(), role: f.role, messages: n, bytes: b });
    }
    let quota = reader.quota().map(|(root, used, limit)| Quota { root, used, limit });
    let upload = match plan.source {
        None => None,
        Some(src) => Some(check_upload(src, plan, caps.append_limit(), quota.as_ref())?),
    };
    let health = Health {
        store: reader.path().display().to_string(),
        capabilities: caps.sorted(),
        extensions,
        append_limit: caps.append_limit(),
        quota,
        folders,
        messages,
        bytes,
        holds_data: messages > 0,
        upload,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&health)?);
    } else {
        print!("{}", health_table(&health));
    }
    let too_full = health.upload.as_ref().is_some_and(|u| u.fits == Some(false) || u.over_limit > 0);
    Ok(u8::from(troubled || too_full))
}

fn check_upload(
    src: &Path,
    plan: &UploadPlan<'_>,
    append_limit: Option<u64>,
    quota: Option<&Quota>,
) -> anyhow::Result<UploadCheck> {
    let fmt = match plan.from {
        Some(f) => f,
        None => detect::source(src)?,
    };
    let source = crate::open_reader(src, fmt, false).context("cannot open the store to upload")?;
    let mut limit: Option<(u64, String)> = plan.max_size.clone();
    if let Some(a) = append_limit {
        if limit.as_ref().is_none_or(|(l, _)| a < *l) {
            limit = Some((a, format!("the server's APPENDLIMIT of {a} bytes")));
        }
    }
    let mut check = UploadCheck {
        source: src.display().to_string(),
        messages: 0,
        bytes: 0,
        limit: limit.as_ref().map(|l| l.0),
        limit_label: limit.as_ref().map(|l| l.1.clone()),
        over_limit: 0,
        over_limit_items: Vec::new(),
        fits: None,
    };
    for f in source.folders()? {
        if f.kind != FolderKind::Mail {
            continue;
        }
        let Ok(items) = source.items(f.id) else { continue };
        // Sizes as uploaded: the reader's where it knows them, else the item's.
        let sized: Vec<(mailshift_core::ItemId, u64)> = items
            .par_iter()
            .map(|m| {
                let size = match m.size {
                    Some(s) => s,
                    None => source.read(m.id).map(|i| Prepared::keyed(i, *m, false).size()).unwrap_or(0),
                };
                (m.id, size)
            })
            .collect();
        for (id, size) in sized {
            check.messages += 1;
            check.bytes += size;
            if let Some((l, _)) = &limit {
                if size > *l {
                    check.over_limit += 1;
                    if check.over_limit_items.len() < 100 {
                        check.over_limit_items.push(mailshift_core::Failure {
                            item: source.describe(id),
                            reason: format!("{size} bytes"),
                        });
                    }
                }
            }
        }
    }
    check.fits = quota.map(|q| q.used.saturating_add(check.bytes) <= q.limit);
    Ok(check)
}

fn health_table(h: &Health) -> String {
    use std::fmt::Write as _;
    let hb = mailshift_core::text::human_bytes;
    let mut out = String::new();
    let _ = writeln!(out, "{}: imap", for_terminal(&h.store));
    let ext: Vec<String> = h.extensions.iter().map(|(k, v)| format!("{k} {}", if *v { "yes" } else { "no" })).collect();
    let _ = writeln!(out, "extensions: {}", ext.join(", "));
    if let Some(a) = h.append_limit {
        let _ = writeln!(out, "largest message the server takes (APPENDLIMIT): {}", hb(a));
    }
    match &h.quota {
        Some(q) => {
            let free = hb(q.limit.saturating_sub(q.used));
            let _ =
                writeln!(out, "quota {}: {} used of {} ({free} free)", for_terminal(&q.root), hb(q.used), hb(q.limit));
        }
        None => {
            let _ = writeln!(out, "quota: none reported");
        }
    }
    let names: Vec<String> = h.folders.iter().map(|f| truncate(&for_terminal(&f.path), 60).into_owned()).collect();
    let w = names.iter().map(|n| width(n)).max().unwrap_or(0).clamp(6, 60);
    let _ = writeln!(out, "{}  {:<8} {:>9} {:>12}", pad("folder", w), "role", "messages", "bytes");
    for (f, name) in h.folders.iter().zip(&names) {
        let role = match f.role {
            FolderRole::None => String::new(),
            r => format!("{r:?}").to_lowercase(),
        };
        let _ = writeln!(out, "{}  {:<8} {:>9} {:>12}", pad(name, w), role, f.messages, f.bytes);
    }
    let _ = writeln!(out, "{}  {:<8} {:>9} {:>12}", pad("TOTAL", w), "", h.messages, h.bytes);
    let _ = writeln!(
        out,
        "{}",
        if h.holds_data {
            "the mailbox holds mail already: an upload adds only what it does not hold"
        } else {
            "the mailbox is empty"
        }
    );
    if let Some(u) = &h.upload {
        let _ = writeln!(out, "upload of {}: {} messages, {}", for_terminal(&u.source), u.messages, hb(u.bytes));
        match u.fits {
            Some(true) => {
                let _ = writeln!(out, "  fits in what the quota leaves free");
            }
            Some(false) => {
                let _ = writeln!(out, "  does not fit in what the quota leaves free: the upload would stop (exit 3)");
            }
            None => {}
        }
        if let Some(label) = &u.limit_label {
            let _ = writeln!(out, "  {} messages over {} would be skipped", u.over_limit, for_terminal(label));
            for i in &u.over_limit_items {
                let _ = writeln!(out, "    {}: {}", for_terminal(&i.item), i.reason);
            }
        }
    }
    out
}
