//! The parallel converter: one reader, many threads preparing items, one writer.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::Instant;

use globset::{GlobBuilder, GlobMatcher};
use rayon::prelude::*;

use crate::model::{Folder, FolderKind, FolderRole, Item, ItemId};
use crate::prepare::{DedupKey, Prepared};
use crate::report::{Failure, FolderReport, Report};
use crate::store::{ItemMeta, StoreReader, StoreWriter, Written};
use crate::{Error, Result};

/// What to convert and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only folders whose `/`-joined path matches one of these globs (all if empty).
    pub folders: Vec<String>,
    /// Leave out folders whose path matches one of these globs.
    pub exclude: Vec<String>,
    /// Only items dated at or after this Unix time.
    pub since: Option<i64>,
    /// Only items dated before this Unix time.
    pub until: Option<i64>,
    /// Skip (and list) items larger than this many bytes.
    pub max_size: Option<u64>,
    /// What the size limit is, for the report's reason (default
    /// `--max-size N`; `--target m365` names the import service's limit).
    pub max_size_label: Option<String>,
    /// Folders nested deeper than this many levels below the store's top
    /// are written at this depth: the names below it joined with ` - ` into
    /// one folder name, and a note says which (Microsoft 365's import
    /// rejects 300 levels or more).
    pub max_depth: Option<usize>,
    /// Only items of these kinds (all if empty).
    pub kinds: Vec<FolderKind>,
    /// Skip items already in the target or already written in this run.
    pub dedup: bool,
    /// Upper bound on the bytes of items prepared ahead of the writer.
    pub batch_bytes: u64,
    /// Set (from a signal handler, say) to stop the run: the item in hand is
    /// finished, the open folder closed, the target finished, and the
    /// report says `interrupted`.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Options {
    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            folders: Vec::new(),
            exclude: Vec::new(),
            since: None,
            until: None,
            max_size: None,
            max_size_label: None,
            max_depth: None,
            kinds: Vec::new(),
            dedup: false,
            batch_bytes: 8 << 20,
            cancel: None,
        }
    }
}

/// Told how far a conversion has got. Called from the writer's thread only.
pub trait Progress {
    /// The number of items the run will look at.
    fn start(&self, _total_items: u64) {}
    /// `n` more items are done.
    fn advance(&self, _n: u64) {}
    /// The run is over.
    fn finish(&self) {}
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// The name of a store's inbox: its first top-level folder with the Inbox role.
pub fn inbox_name(folders: &[Folder]) -> Option<String> {
    folders.iter().find(|f| f.path.len() == 1 && f.role == FolderRole::Inbox).map(|f| f.path[0].clone())
}

/// Which folders of a target count as "the same folder" for dedup: the root
/// and a top-level inbox are one, since writers put both in the same place,
/// and so are the inbox's children whatever the inbox is called (a PST's
/// `Inbox/sub1` is Maildir's `INBOX/sub1`). `inbox` is the store's
/// [`inbox_name`].
pub fn dedup_scope(folder: &Folder, inbox: Option<&str>) -> String {
    match folder.path.split_first() {
        None => "\u{0}INBOX".to_string(),
        Some((first, rest)) if Some(first.as_str()) == inbox => {
            std::iter::once("\u{0}INBOX").chain(rest.iter().map(String::as_str)).collect::<Vec<_>>().join("/")
        }
        Some((_, [])) if folder.role == FolderRole::Inbox => "\u{0}INBOX".to_string(),
        _ => folder.display_path(),
    }
}

/// Reads the dedup keys of every item already in `target`, by folder
/// scope. With `mapi` (the writer [`wants_mapi`](StoreWriter::wants_mapi))
/// the items are read as MAPI messages where the target holds them, so
/// that their keys are made as the new items' are.
pub fn existing_keys(
    target: &dyn StoreReader,
    mapi: bool,
) -> Result<std::collections::HashMap<String, HashSet<DedupKey>>> {
    let mut out: std::collections::HashMap<String, HashSet<DedupKey>> = Default::default();
    let folders = target.folders()?;
    let inbox = inbox_name(&folders);
    let read = |m: &ItemMeta| -> Option<Item<'_>> {
        if mapi {
            match target.read_mapi(m.id) {
                Ok(msg) => return Some(Item::Mapi(Box::new(msg))),
                Err(Error::Unsupported { .. }) => {}
                Err(_) => return None,
            }
        }
        target.read(m.id).ok()
    };
    for folder in folders {
        let mut items = target.items(folder.id)?;
        if mapi {
            items.extend(target.associated_items(folder.id).unwrap_or_default());
        }
        let keys: Vec<DedupKey> =
            items.par_iter().filter_map(|m| read(m).map(|item| Prepared::new(item, *m).key)).collect();
        out.entry(dedup_scope(&folder, inbox.as_deref())).or_default().extend(keys);
    }
    Ok(out)
}

struct Filters {
    include: Vec<(String, GlobMatcher)>,
    exclude: Vec<(String, GlobMatcher)>,
}

/// Folder globs match case-insensitively, as mail clients treat folder
/// names (`--folder inbox` takes `Inbox`).
fn matchers(patterns: &[String], what: &'static str) -> Result<Vec<(String, GlobMatcher)>> {
    patterns
        .iter()
        .map(|p| {
            let g = GlobBuilder::new(p)
                .case_insensitive(true)
                .build()
                .map_err(|e| Error::Invalid { what, reason: format!("{p}: {e}") })?;
            Ok((p.clone(), g.compile_matcher()))
        })
        .collect()
}

/// True if `m` matches the folder or one of its ancestors.
fn hits(m: &GlobMatcher, folder: &Folder) -> bool {
    (1..=folder.path.len()).any(|n| m.is_match(folder.path[..n].join("/"))) || m.is_match(folder.display_path())
}

impl Filters {
    fn new(opts: &Options) -> Result<Filters> {
        Ok(Filters { include: matchers(&opts.folders, "--folder")?, exclude: matchers(&opts.exclude, "--exclude")? })
    }

    /// A folder is selected if it, or one of its ancestors, matches an
    /// include pattern (so `--folder Archive` takes Archive's subfolders too),
    /// and neither it nor an ancestor matches an exclude pattern.
    fn selects(&self, folder: &Folder) -> bool {
        let included = self.include.is_empty() || self.include.iter().any(|(_, m)| hits(m, folder));
        included && !self.exclude.iter().any(|(_, m)| hits(m, folder))
    }

    /// A pattern that matches no folder of the store is a mistake (a typo,
    /// a name from another store): an error that lists the folders there are.
    fn check(&self, folders: &[Folder]) -> Result<()> {
        for (what, list) in [("--folder", &self.include), ("--exclude", &self.exclude)] {
            for (p, m) in list {
                if !folders.iter().any(|f| hits(m, f)) {
                    let names: Vec<String> =
                        folders.iter().filter(|f| !f.is_root()).map(|f| format!("  {}", f.display_path())).collect();
                    let listing = if names.is_empty() {
                        "the store has no folders but its root".to_string()
                    } else {
                        format!("the store's folders are:\n{}", names.join("\n"))
                    };
                    return Err(Error::Invalid { what, reason: format!("{p:?} matches no folder; {listing}") });
                }
            }
        }
        Ok(())
    }
}

/// What became of one item in the parallel stage. (Most items are `Ready`:
/// boxing that variant would cost an allocation per item to save bytes on
/// the rare others.)
#[allow(clippy::large_enum_variant)]
enum Outcome<'a> {
    Ready(Prepared<'a>),
    Filtered,
    /// Known to the target already by the key the reader gave unread.
    Duplicate,
    TooLarge(u64),
    Unsupported(String),
    Failed(String),
}

/// Converts everything `opts` selects from `source` into `target`.
///
/// `existing` is a reader over the target as it was before the run; with
/// `opts.dedup` its items are not written again. Folders are converted in
/// the source's order; within a folder, items are read and prepared in
/// parallel and written in the source's order. A failure to read or write
/// one item is counted in the report and the run goes on; only a failure
/// to list the source's folders or to start or finish the target ends it.
pub fn convert(
    source: &dyn StoreReader,
    target: &mut dyn StoreWriter,
    existing: Option<&dyn StoreReader>,
    opts: &Options,
    progress: &dyn Progress,
) -> Result<Report> {
    let started = Instant::now();
    let filters = Filters::new(opts)?;
    let mut report = Report {
        source: source.path().display().to_string(),
        source_format: source.format_name().to_string(),
        target_format: target.format_name().to_string(),
        dry_run: target.dry_run(),
        ..Report::default()
    };

    let all = source.folders()?;
    let inbox = inbox_name(&all);
    filters.check(&all)?;
    // `--items` selects items, not folders: a calendar item filed in
    // Deleted Items is still a calendar item. Folders of other kinds are
    // still looked at, and opened in the target only once an item is written.
    // A writer of MAPI messages (PST) gets every item as the source holds
    // it, the folders' associated items too, and the store's and folders'
    // own properties.
    let mapi = target.wants_mapi();
    let mut plan: Vec<(Folder, Result<Vec<ItemMeta>>)> = Vec::new();
    for folder in all {
        if !filters.selects(&folder) {
            continue;
        }
        let mut items = source.items(folder.id);
        if mapi {
            if let Ok(list) = &mut items {
                match source.associated_items(folder.id) {
                    Ok(fai) => list.extend(fai),
                    Err(e) => report.notes.push(format!(
                        "{}: associated items not listed: {e}",
                        crate::text::for_terminal(&folder.display_path())
                    )),
                }
            }
        }
        plan.push((folder, items));
    }
    let total: u64 = plan.iter().map(|(_, i)| i.as_ref().map_or(0, |v| v.len() as u64)).sum();
    progress.start(total);

    let mut seen: std::collections::HashMap<String, HashSet<DedupKey>> = match (opts.dedup, existing) {
        (true, Some(t)) => existing_keys(t, mapi)?,
        _ => Default::default(),
    };

    if let Some(depth) = opts.max_depth {
        let flattened = flatten_deep(plan.iter_mut().map(|(f, _)| f), depth);
        if flattened > 0 {
            report.notes.push(format!(
                "{flattened} folder{} nested deeper than {depth} levels written at level {depth}, \
                 the names below it joined with \" - \"",
                if flattened == 1 { "" } else { "s" }
            ));
        }
    }
    let folders: Vec<Folder> = plan.iter().map(|(f, _)| f.clone()).collect();
    // With --dedup into a MAPI writer, the source store's identity: what a
    // message without PidTagSearchKey is keyed by (`prepare`), as the
    // writer will key its copy.
    let identity: Option<Vec<u8>> = (mapi && opts.dedup).then(|| {
        source.store_mapi().and_then(|s| s.bin(crate::mapi::tags::RECORD_KEY).map(<[u8]>::to_vec)).unwrap_or_default()
    });
    let unreleased = std::sync::atomic::AtomicU64::new(0);
    if mapi {
        let props = folders.iter().filter_map(|f| source.folder_mapi(f.id).map(|p| (f.id, p))).collect();
        target.mapi_props(source.store_mapi(), props)?;
    }
    target.begin(&folders)?;

    // One producer for the whole run prepares the folders' batches in
    // order while the writer writes: the next folder's first batch is
    // prepared while this one's last is written, so that both cores stay
    // busy across folders (a scope per folder left one idle at each end).
    let accepted: Vec<FolderKind> = FolderKind::ALL.into_iter().filter(|k| target.accepts(*k)).collect();
    let scopes: Vec<String> = plan.iter().map(|(f, _)| dedup_scope(f, inbox.as_deref())).collect();
    // With --dedup, items whose key the reader knows unread and the target
    // holds already are passed over without being fetched (a remote
    // source): what the target held at the start, and what earlier folders
    // wrote (merged as each folder ends; a batch prepared ahead of that
    // fetches what the writer then finds a duplicate).
    let known = std::sync::Mutex::new(if opts.dedup { seen.clone() } else { Default::default() });
    let work = Producer {
        source,
        opts,
        accepted: &accepted,
        mapi,
        identity: identity.as_deref(),
        unreleased: &unreleased,
        known: &known,
    };
    std::thread::scope(|scope| {
        // One batch queued while one is being prepared and one written:
        // memory stays within three batches whatever the folder's size.
        let (tx, rx) = sync_channel::<(usize, Vec<(ItemMeta, Outcome<'_>)>)>(1);
        let plan_ref = &plan;
        let scopes_ref = &scopes;
        let pool = prepare_pool();
        scope.spawn(move || {
            for (fi, (_, items)) in plan_ref.iter().enumerate() {
                let Ok(items) = items else { continue };
                for range in batches(items, opts.batch_bytes) {
                    let prepare = || work.prepare_batch(&items[range.clone()], &scopes_ref[fi]);
                    let batch = match &pool {
                        Some(pool) => pool.install(prepare),
                        None => prepare(),
                    };
                    if tx.send((fi, batch)).is_err() {
                        return;
                    }
                }
            }
        });
        let mut rx = rx.iter().peekable();
        for (fi, (folder, items)) in plan.iter().enumerate() {
            if opts.cancelled() {
                report.interrupted = true;
                break;
            }
            let mut fr = FolderReport { path: folder.display_path(), kind: folder.kind, ..FolderReport::default() };
            let items = match items {
                Ok(items) => items,
                Err(e) => {
                    fr.counts.failed += 1;
                    fr.failures.push(Failure { item: "(folder)".into(), reason: format!("cannot list items: {e}") });
                    report.total.add(&fr.counts);
                    report.folders.push(fr);
                    continue;
                }
            };
            // Each item is checked on its own (a contact filed in the Inbox is a
            // contact): a folder of a kind the target cannot hold is opened only
            // if one of its items is written.
            let eager = (opts.kinds.is_empty() || opts.kinds.contains(&folder.kind)) && target.accepts(folder.kind);
            let mut open = OpenFolder { folder, opened: false, failed: None };
            if eager {
                if let Err(e) = open.ensure(target) {
                    fr.counts.failed += items.len() as u64;
                    fr.failures.push(Failure {
                        item: format!("{} items", items.len()),
                        reason: format!("cannot create target folder: {e}"),
                    });
                    progress.advance(items.len() as u64);
                    report.total.add(&fr.counts);
                    report.folders.push(fr);
                    // Its batches, prepared already or being prepared, go unwritten.
                    while rx.next_if(|(i, _)| *i == fi).is_some() {}
                    continue;
                }
            }
            let seen = seen.entry(scopes[fi].clone()).or_default();
            let mut run = FolderRun {
                seen,
                added: Vec::new(),
                stopped: None,
                pending: Default::default(),
                fr: &mut fr,
                open: &mut open,
            };
            convert_folder(source, target, opts, fi, &mut rx, &mut run, progress);
            if opts.dedup {
                let mut k = known.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                k.entry(scopes[fi].clone()).or_default().extend(run.added.drain(..));
            }
            let stopped = run.stopped.take();
            if open.opened {
                if let Err(e) = target.close_folder() {
                    fr.failures
                        .push(Failure { item: "(folder)".into(), reason: format!("cannot finish target folder: {e}") });
                    fr.counts.failed += fr.counts.copied;
                    fr.counts.copied = 0;
                }
            }
            report.total.add(&fr.counts);
            report.folders.push(fr);
            if stopped.is_some() {
                report.stopped = stopped;
                break;
            }
            if opts.cancelled() {
                report.interrupted = true;
                break;
            }
        }
    });
    let finished = target.finish();
    let mut swept = target.swept();
    swept.sort();
    swept.dedup();
    if !swept.is_empty() {
        report.notes.push(crate::fsio::stale_note(&swept));
    }
    report.notes.extend(target.notes());
    finished?;
    progress.finish();
    report.problems = source.problems();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Brings every folder deeper than `depth` levels up to level `depth`: its
/// path keeps the first `depth - 1` names and joins the rest with ` - `
/// into the last, and its parent becomes the folder at level `depth - 1`
/// (the parents come before their children). Returns how many moved.
fn flatten_deep<'f>(folders: impl Iterator<Item = &'f mut Folder>, depth: usize) -> usize {
    let depth = depth.max(1);
    let mut by_path: std::collections::HashMap<Vec<String>, crate::model::FolderId> = Default::default();
    let mut moved = 0;
    for f in folders {
        if f.path.len() > depth {
            let tail = f.path[depth - 1..].join(" - ");
            f.path.truncate(depth - 1);
            f.parent = if f.path.is_empty() { None } else { by_path.get(&f.path).copied() };
            f.path.push(tail.clone());
            f.name = tail;
            moved += 1;
        }
        by_path.entry(f.path.clone()).or_insert(f.id);
    }
    moved
}

/// The state of the folder being converted.
struct FolderRun<'r, 'f> {
    /// Dedup keys of the folder's scope.
    seen: &'r mut HashSet<DedupKey>,
    /// The keys this folder added to `seen` (with --dedup), for the
    /// producer's `known`.
    added: Vec<DedupKey>,
    /// Set when the target said it is full: the run stops.
    stopped: Option<String>,
    /// Items the writer took and will say later how it went.
    pending: std::collections::HashMap<ItemId, Pending>,
    fr: &'r mut FolderReport,
    open: &'r mut OpenFolder<'f>,
}

/// A target folder opened on demand: at once for folders of the kinds
/// selected, at the first item written for the others.
struct OpenFolder<'f> {
    folder: &'f Folder,
    opened: bool,
    failed: Option<String>,
}

impl OpenFolder<'_> {
    fn ensure(&mut self, target: &mut dyn StoreWriter) -> std::result::Result<(), String> {
        if self.opened {
            return Ok(());
        }
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match target.open_folder(self.folder) {
            Ok(()) => {
                self.opened = true;
                Ok(())
            }
            Err(e) => {
                self.failed = Some(e.to_string());
                Err(e.to_string())
            }
        }
    }
}

/// What prepares the items of a batch in parallel on the producer thread
/// (see `convert`).
struct Producer<'a> {
    source: &'a dyn StoreReader,
    opts: &'a Options,
    accepted: &'a [FolderKind],
    mapi: bool,
    identity: Option<&'a [u8]>,
    unreleased: &'a std::sync::atomic::AtomicU64,
    /// With --dedup, the keys the target holds, by dedup scope.
    known: &'a std::sync::Mutex<std::collections::HashMap<String, HashSet<DedupKey>>>,
}

impl<'a> Producer<'a> {
    fn prepare_batch(&self, batch: &[ItemMeta], scope: &str) -> Vec<(ItemMeta, Outcome<'a>)> {
        let source = self.source;
        // Which items the target holds already (None: none of them).
        let held: Option<Vec<bool>> = if self.opts.dedup {
            let known = self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            known
                .get(scope)
                .filter(|k| !k.is_empty())
                .map(|k| batch.iter().map(|m| source.dedup_key(m.id).is_some_and(|key| k.contains(&key))).collect())
        } else {
            None
        };
        let is_held = |i: usize| held.as_ref().is_some_and(|h| h[i]);
        match &held {
            Some(h) => {
                let wanted: Vec<ItemMeta> = batch.iter().zip(h).filter(|(_, h)| !**h).map(|(m, _)| *m).collect();
                source.prefetch(&wanted);
            }
            None => source.prefetch(batch),
        }
        // The map's pages are let go once every RELEASE_EVERY bytes read,
        // not after every batch: each release makes every page read again
        // (the B-trees' upper pages first) fault back in, and on a small
        // store that is all cost. The release (the kernel unmapping tens of
        // MiB) runs beside the batch, not before it: on its own it left
        // the pool idle.
        let read: u64 = batch.iter().map(|m| m.size.unwrap_or(64 << 10)).sum();
        let release = self.unreleased.fetch_add(read, std::sync::atomic::Ordering::Relaxed) + read >= RELEASE_EVERY;
        if release {
            self.unreleased.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        let prepare_all = || -> Vec<(ItemMeta, Outcome<'a>)> {
            batch
                .par_iter()
                .enumerate()
                .map(|(i, m)| {
                    let outcome = if is_held(i) {
                        Outcome::Duplicate
                    } else {
                        prepare(source, *m, self.opts, self.accepted, self.mapi, self.identity)
                    };
                    (*m, outcome)
                })
                .collect()
        };
        if release {
            rayon::join(|| source.release_memory(), prepare_all).1
        } else {
            prepare_all()
        }
    }
}

/// The pool that prepares the items: one thread more than the machine has
/// cores, unless `RAYON_NUM_THREADS` sets rayon's own pool (then `None`:
/// that one is used). The writer runs on a thread of its own, and each
/// batch waits for its slowest item: with one worker per core, a core
/// idled at every batch's tail and whenever the writer ran alone (10,000
/// messages to mbox on 2 cores: 0.74-0.89 s, 0.65-0.67 s with three).
fn prepare_pool() -> Option<rayon::ThreadPool> {
    if std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return None;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    rayon::ThreadPoolBuilder::new()
        .num_threads(cores + 1)
        .thread_name(|i| format!("mailshift-prepare-{i}"))
        .build()
        .ok()
}

/// The producer's batches as the writer takes them: (folder index, items).
type Batches<'r, 'a> = std::iter::Peekable<std::sync::mpsc::Iter<'r, (usize, Vec<(ItemMeta, Outcome<'a>)>)>>;

/// The prepared batches of folder `fi`, in order, from the producer;
/// writes them and settles what the writer still holds before the folder
/// closes.
fn convert_folder<'a>(
    source: &dyn StoreReader,
    target: &mut dyn StoreWriter,
    opts: &Options,
    fi: usize,
    batches: &mut Batches<'_, 'a>,
    run: &mut FolderRun<'_, '_>,
    progress: &dyn Progress,
) {
    'batches: while let Some((_, batch)) = batches.next_if(|(i, _)| *i == fi) {
        for (meta, outcome) in batch {
            // Between items: the one in hand is whole (written or not).
            if opts.cancelled() || run.stopped.is_some() {
                break 'batches;
            }
            write_one(source, target, opts, meta, outcome, run);
            progress.advance(1);
        }
    }
    // Every item the writer still holds is settled before the folder closes.
    settle(source, target, opts, true, run);
}

fn write_one(
    source: &dyn StoreReader,
    target: &mut dyn StoreWriter,
    opts: &Options,
    meta: ItemMeta,
    outcome: Outcome<'_>,
    run: &mut FolderRun<'_, '_>,
) {
    let FolderRun { seen, fr, open, .. } = run;
    match outcome {
        Outcome::Filtered => fr.counts.skipped_filtered += 1,
        Outcome::Duplicate => fr.counts.skipped_duplicate += 1,
        Outcome::TooLarge(size) => {
            fr.counts.skipped_too_large += 1;
            fr.skips.push(Failure {
                item: source.describe(meta.id),
                reason: match &opts.max_size_label {
                    Some(label) => format!("{size} bytes, over {label}"),
                    None => format!("{size} bytes, over --max-size {}", opts.max_size.unwrap_or(0)),
                },
            });
        }
        Outcome::Unsupported(reason) => {
            fr.counts.skipped_unsupported += 1;
            fr.skips.push(Failure { item: source.describe(meta.id), reason });
        }
        Outcome::Failed(reason) => {
            fr.counts.failed += 1;
            fr.failures.push(Failure { item: source.describe(meta.id), reason });
        }
        Outcome::Ready(p) => {
            if opts.dedup && seen.contains(&p.key) {
                fr.counts.skipped_duplicate += 1;
                return;
            }
            if let Err(e) = open.ensure(target) {
                fr.counts.failed += 1;
                fr.failures.push(Failure {
                    item: source.describe(meta.id),
                    reason: format!("cannot create target folder: {e}"),
                });
                return;
            }
            let result = target.write(&p);
            let Prepared { key, lost, not_kept, .. } = p;
            match result {
                Ok(w) if w.pending => {
                    // The key is claimed now, not when the writer says how
                    // it went: a copy of the message later in the same
                    // batch is a duplicate of this one (it was written
                    // twice). Given back if this one is not written.
                    let claimed = opts.dedup && run.seen.insert(key);
                    run.pending.insert(meta.id, Pending { meta, key, lost, not_kept, claimed });
                }
                result => {
                    account(source, opts, meta, Pending { meta, key, lost, not_kept, claimed: false }, result, run)
                }
            }
            settle(source, target, opts, false, run);
        }
    }
}

/// What the converter keeps of an item a writer took and has not yet
/// said the outcome of ([`Written::pending`]).
struct Pending {
    meta: ItemMeta,
    key: DedupKey,
    lost: Vec<String>,
    not_kept: Vec<String>,
    /// Its key was put in `seen` when it was taken (with --dedup).
    claimed: bool,
}

/// Counts the outcomes the writer knows now of items it took pending;
/// with `wait`, every one of them.
fn settle(
    source: &dyn StoreReader,
    target: &mut dyn StoreWriter,
    opts: &Options,
    wait: bool,
    run: &mut FolderRun<'_, '_>,
) {
    if run.pending.is_empty() {
        return;
    }
    for (id, result) in target.settled(wait) {
        if let Some(p) = run.pending.remove(&id) {
            account(source, opts, p.meta, p, result, run);
        }
    }
    if wait {
        // A writer that lost track of an item: it is not silently gone.
        let left: Vec<ItemId> = run.pending.keys().copied().collect();
        for id in left {
            if let Some(p) = run.pending.remove(&id) {
                let e =
                    Error::Invalid { what: "writer", reason: "the writer never said whether it wrote the item".into() };
                account(source, opts, p.meta, p, Err(e), run);
            }
        }
    }
}

/// Counts what became of one item the writer was given.
fn account(
    source: &dyn StoreReader,
    opts: &Options,
    meta: ItemMeta,
    p: Pending,
    result: Result<Written>,
    run: &mut FolderRun<'_, '_>,
) {
    let FolderRun { seen, added, stopped, fr, .. } = run;
    if p.claimed && !matches!(result, Ok(Written { duplicate: None, .. })) {
        // Not written after all: a later copy may be.
        seen.remove(&p.key);
    }
    match result {
        Ok(Written { duplicate: Some(reason), .. }) => {
            fr.counts.skipped_duplicate += 1;
            // An empty reason: counted, not listed (a rerun's
            // thousands of messages already in the mailbox).
            if !reason.is_empty() {
                fr.skips.push(Failure { item: source.describe(meta.id), reason });
            }
        }
        Ok(w) => {
            fr.counts.copied += 1;
            fr.counts.bytes += w.bytes;
            if source.salvaged(meta.id) {
                fr.counts.salvaged += 1;
            }
            for l in p.lost.into_iter().chain(w.lost) {
                fr.losses.push(Failure { item: source.describe(meta.id), reason: l });
            }
            for n in p.not_kept.into_iter().chain(w.not_kept) {
                fr.add_not_kept(n);
            }
            if opts.dedup && (p.claimed || seen.insert(p.key)) {
                added.push(p.key);
            }
        }
        // The writer cannot hold this item in this form.
        Err(e @ Error::Unsupported { .. }) => {
            fr.counts.skipped_unsupported += 1;
            fr.skips.push(Failure { item: source.describe(meta.id), reason: e.to_string() });
        }
        // The target is full: this item failed, and so would every
        // other; the run stops.
        Err(Error::TargetFull { store, reason }) => {
            fr.counts.failed += 1;
            fr.failures.push(Failure {
                item: source.describe(meta.id),
                reason: format!("write: {store}: {reason} (the run stops here)"),
            });
            if stopped.is_none() {
                *stopped = Some(reason);
            }
        }
        Err(e) => {
            fr.counts.failed += 1;
            fr.failures.push(Failure { item: source.describe(meta.id), reason: format!("write: {e}") });
        }
    }
}

fn prepare<'a>(
    source: &'a dyn StoreReader,
    meta: ItemMeta,
    opts: &Options,
    accepted: &[FolderKind],
    mapi: bool,
    identity: Option<&[u8]>,
) -> Outcome<'a> {
    if let (Some(max), Some(size)) = (opts.max_size, meta.size) {
        if size > max {
            return Outcome::TooLarge(size);
        }
    }
    // Where the reader can tell an item's kind cheaply, items of kinds not
    // selected, or not accepted, are passed over without being read (asked
    // only when some kind would be passed over: it costs a lookup an item).
    let narrowed = !opts.kinds.is_empty() || accepted.len() < FolderKind::ALL.len();
    if let Some(k) = if narrowed { source.item_kind(meta.id) } else { None } {
        if !opts.kinds.is_empty() && !opts.kinds.contains(&k) {
            return Outcome::Filtered;
        }
        if !accepted.contains(&k) {
            return Outcome::Unsupported(format!("the target cannot hold {} items", k.as_str()));
        }
    }
    // A MAPI writer takes the item as the source holds it where the source
    // holds MAPI messages, and otherwise the item in its own form.
    let read = match mapi.then(|| source.read_mapi(meta.id)) {
        Some(Ok(mut m)) => {
            // A message without PidTagSearchKey is keyed by the one the
            // PST writer gives it ([`crate::mapi::pim::uid::fallback_search_key`]),
            // so that its copy, read back, has the same --dedup key.
            if let Some(key) = identity.and_then(|id| crate::mapi::pim::uid::missing_search_key(&m.props, id, m.nid)) {
                m.props
                    .tagged
                    .insert(crate::mapi::tags::SEARCH_KEY, crate::mapi::PropValue::Binary(key.to_vec().into()));
            }
            Ok(Item::Mapi(Box::new(m)))
        }
        Some(Err(Error::Unsupported { .. })) | None => source.read(meta.id),
        Some(Err(e)) => Err(e),
    };
    let item = match read {
        Ok(item) => item,
        // The reader knows the item and cannot hand it over in this form
        // (a contact while only mail is exported): a skip with its reason.
        Err(e @ Error::Unsupported { .. }) => return Outcome::Unsupported(e.to_string()),
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    if !opts.kinds.is_empty() && !opts.kinds.contains(&item.kind()) {
        return Outcome::Filtered;
    }
    if !accepted.contains(&item.kind()) {
        return Outcome::Unsupported(format!("the target cannot hold {} items", item.kind().as_str()));
    }
    // A MAPI writer gets mail and PIM items of other sources as MAPI
    // messages, converted here, in the parallel stage. The date filters
    // judge such an item as the source has it (an event by its start, a
    // contact not at all): the MAPI message has no delivery time.
    let converting = mapi && !matches!(item, Item::Mapi(_));
    let mut item = item;
    let source_date = if converting && (opts.since.is_some() || opts.until.is_some()) {
        let n = Prepared::keyed(item, meta, false);
        let d = (n.date(), matches!(n.item, Item::Contact(_) | Item::DistList(_)));
        item = n.item;
        Some(d)
    } else {
        None
    };
    let p = if converting {
        match crate::mapi::inbound::to_mapi(item) {
            Ok(c) => {
                let mut p = Prepared::keyed(Item::Mapi(Box::new(c.message)), meta, opts.dedup);
                p.not_kept = c.not_kept;
                p.lost = c.lost;
                p
            }
            Err(reason) => return Outcome::Unsupported(reason),
        }
    } else {
        Prepared::keyed(item, meta, opts.dedup)
    };
    if let Some(max) = opts.max_size {
        if p.size() > max {
            return Outcome::TooLarge(p.size());
        }
    }
    if opts.since.is_some() || opts.until.is_some() {
        let (date, undated) =
            source_date.unwrap_or_else(|| (p.date(), matches!(p.item, Item::Contact(_) | Item::DistList(_))));
        match date {
            Some(d) => {
                if opts.since.is_some_and(|s| d < s) || opts.until.is_some_and(|u| d >= u) {
                    return Outcome::Filtered;
                }
            }
            // Contacts and lists have no date: a date filter is not about them.
            None if undated => {}
            // An undated item cannot be shown to be in range; a date filter
            // leaves it out, as `find -newer` would.
            None => return Outcome::Filtered,
        }
    }
    Outcome::Ready(p)
}

/// How much a reader over a memory map reads (by the items' size hints)
/// between two calls of [`StoreReader::release_memory`]: what of the input
/// stays resident at most, beside the pages read again and again.
const RELEASE_EVERY: u64 = 64 << 20;

fn batches(items: &[ItemMeta], max_bytes: u64) -> Vec<std::ops::Range<usize>> {
    const MAX_ITEMS: usize = 1024;
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (i, m) in items.iter().enumerate() {
        let size = m.size.unwrap_or(64 << 10);
        if i > start && (bytes + size > max_bytes || i - start >= MAX_ITEMS) {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < items.len() {
        out.push(start..items.len());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn deep_folders_are_brought_up() {
        use crate::model::{Folder, FolderId, FolderKind, FolderRole};
        let mk = |id: u64, parent: Option<u64>, path: &[&str]| Folder {
            id: FolderId(id),
            parent: parent.map(FolderId),
            path: path.iter().map(|s| s.to_string()).collect(),
            name: path.last().unwrap_or(&"").to_string(),
            kind: FolderKind::Mail,
            role: FolderRole::None,
        };
        let mut fs = [
            mk(1, None, &["a"]),
            mk(2, Some(1), &["a", "b"]),
            mk(3, Some(2), &["a", "b", "c"]),
            mk(4, Some(3), &["a", "b", "c", "d"]),
            mk(5, Some(1), &["a", "x"]),
        ];
        assert_eq!(super::flatten_deep(fs.iter_mut(), 2), 2);
        assert_eq!(fs[2].path, ["a", "b - c"]);
        assert_eq!(fs[2].parent, Some(FolderId(1)));
        assert_eq!(fs[3].path, ["a", "b - c - d"]);
        assert_eq!(fs[3].name, "b - c - d");
        assert_eq!(fs[3].parent, Some(FolderId(1)));
        assert_eq!(fs[4].path, ["a", "x"]);
    }

    use super::*;
    use crate::model::ItemId;

    #[test]
    fn batches_respect_bytes_and_order() {
        let items: Vec<ItemMeta> =
            (0..10).map(|i| ItemMeta { id: ItemId(i, 0), size: Some(if i == 3 { 100 } else { 10 }) }).collect();
        let b = batches(&items, 50);
        assert_eq!(b, vec![0..3, 3..4, 4..9, 9..10]);
        assert!(batches(&[], 50).is_empty());
    }

    #[test]
    fn folder_filters_take_subfolders() {
        let f = |p: &[&str]| Folder {
            id: crate::model::FolderId(0),
            parent: None,
            path: p.iter().map(|s| s.to_string()).collect(),
            name: p.last().unwrap_or(&"").to_string(),
            kind: FolderKind::Mail,
            role: FolderRole::None,
        };
        let opts =
            Options { folders: vec!["Archive".into()], exclude: vec!["Archive/2019*".into()], ..Options::default() };
        let filt = Filters::new(&opts).unwrap();
        assert!(filt.selects(&f(&["Archive"])));
        assert!(filt.selects(&f(&["Archive", "2020"])));
        assert!(!filt.selects(&f(&["Archive", "2019", "x"])));
        assert!(!filt.selects(&f(&["Inbox"])));
    }
}
