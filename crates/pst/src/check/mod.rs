//! `mailshift check`: a read-only structural check of a PST or OST, in the
//! spirit of Outlook's scanpst, on any store (ANSI, Unicode, 4K; PST and OST).
//!
//! The check walks every layer from the bytes up and reports each rule it
//! finds broken as a [`Problem`] with a stable [`Problem::rule`] id (listed
//! in [`RULES`]), so that callers and tests can ask which rule fired:
//!
//! - [`header`]: `dwMagic`, both CRCs, versions, `bCryptMethod`, the
//!   `ROOT` fields, `bidNextB` / `bidNextP` and `rgnid`;
//! - [`btree`]: every page of the NBT and BBT reachable from the roots
//!   (trailer, signature, CRC, BID, alignment) and the trees themselves (key
//!   order, parent keys, levels, entry counts and sizes, cycles);
//! - [`blocks`]: every block the BBT lists, the data trees (XBLOCK /
//!   XXBLOCK) and subnode trees (SLBLOCK / SIBLOCK) every node reaches, and
//!   the reference counts those references add up to;
//! - [`amap`]: the allocation maps (AMap, PMap, FMap, FPMap) and the DList
//!   against what the B-trees say is allocated, and `cbAMapFree`;
//! - [`ltp`]: every heap-on-node, BTree-on-heap, property context and table
//!   context;
//! - [`messaging`]: the required nodes, the folder tree against its
//!   hierarchy tables, contents tables against their messages, the counts in
//!   their three places, and the message and attachment size properties.
//!
//! The check never stops at the first problem: each layer checks what it can
//! reach and leaves out only what sits behind a broken structure. Time and
//! memory are linear in the file size; no input panics.
//!
//! ```no_run
//! let report = mailshift_pst::check::check(std::path::Path::new("Outlook.pst"));
//! for p in report.problems() {
//!     println!("{} {} at {:?}: {}", p.rule, p.structure, p.offset, p.message);
//! }
//! std::process::exit(i32::from(report.exit_code()));
//! ```

pub mod amap;
pub mod blocks;
pub mod btree;
pub mod header;
pub mod ltp;
pub mod messaging;
mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::ndb::crypt::CryptMethod;
use crate::raw::Format;
use crate::Pst;

pub use rules::{rule, Rule, RULES};

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; the store is sound (the check still exits 0).
    Note,
    /// An inconsistency Outlook tolerates or repairs (a leaked block, a count
    /// that disagrees, free space the maps misstate): nothing is lost yet.
    Warning,
    /// A structure is damaged: a reader following it fails or reads wrong data.
    Error,
}

impl Severity {
    /// Lower-case name, as in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One broken rule at one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The rule's stable id ("bt.order", "amap.free" ...), one of [`RULES`].
    pub rule: &'static str,
    /// From the rule.
    pub severity: Severity,
    /// The structure the rule is about, named as in MS-PST ("BTPAGE", "AMAP" ...).
    pub structure: &'static str,
    /// File offset of the structure, where there is one.
    pub offset: Option<u64>,
    /// What is wrong, with the values found. Text from the file in it is
    /// quoted as it is: escape it before printing ([`mailshift_core::text::for_terminal`]).
    pub message: String,
}

/// What the check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No problem above a note.
    Clean,
    /// At least one warning or error.
    Problems,
    /// Not a PST or OST at all, or a header that cannot be read: nothing
    /// beyond the header was checked.
    NotAStore,
}

/// One area of the check: how many structures it looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    /// The structure checked ("HEADER", "BTPAGE", "BLOCK" ...).
    pub structure: &'static str,
    /// How many were examined.
    pub checked: u64,
    /// Problems found in them (all severities, including those not kept in
    /// [`CheckReport::problems`]).
    pub problems: u64,
}

/// The result of [`check`].
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// The file's name (as given).
    pub file: String,
    /// The format found: "PST Unicode (wVer 23)" ..., `None` if not a store.
    pub format: Option<String>,
    /// The verdict; [`CheckReport::exit_code`] follows from it.
    pub verdict: Verdict,
    /// The areas checked, in the order of the layers.
    pub areas: Vec<Area>,
    problems: Vec<Problem>,
    counts: BTreeMap<&'static str, u64>,
}

/// At most this many problems of one rule are kept with their details; the
/// rest are only counted ([`CheckReport::count`]). Bounds memory on a file
/// that is garbage all through.
pub const KEEP_PER_RULE: usize = 200;

impl CheckReport {
    /// The problems kept (at most [`KEEP_PER_RULE`] per rule), in the order found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// How many times `rule` fired (also those not kept).
    pub fn count(&self, rule: &str) -> u64 {
        self.counts.get(rule).copied().unwrap_or(0)
    }

    /// Every rule that fired, with its count.
    pub fn counts(&self) -> &BTreeMap<&'static str, u64> {
        &self.counts
    }

    /// The ids of the rules that fired with a severity of at least `min`.
    pub fn rules(&self, min: Severity) -> BTreeSet<&'static str> {
        self.counts.keys().copied().filter(|r| rule(r).is_some_and(|r| r.severity >= min)).collect()
    }

    /// The ids of the rules that fired as warnings or errors: what makes the
    /// check fail.
    pub fn failed_rules(&self) -> BTreeSet<&'static str> {
        self.rules(Severity::Warning)
    }

    /// True when nothing above a note was found.
    pub fn is_clean(&self) -> bool {
        self.verdict == Verdict::Clean
    }

    /// The CLI's exit code: 0 clean, 1 problems, 2 not a store.
    pub fn exit_code(&self) -> u8 {
        match self.verdict {
            Verdict::Clean => 0,
            Verdict::Problems => 1,
            Verdict::NotAStore => 2,
        }
    }
}

/// What [`check`] reads: a path (memory-mapped) or bytes in memory.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A file on disk.
    Path(&'a Path),
    /// A file's bytes, with a name for the report.
    Bytes(&'a str, &'a [u8]),
}

impl<'a> From<&'a Path> for Source<'a> {
    fn from(p: &'a Path) -> Source<'a> {
        Source::Path(p)
    }
}

impl<'a> From<&'a std::path::PathBuf> for Source<'a> {
    fn from(p: &'a std::path::PathBuf) -> Source<'a> {
        Source::Path(p)
    }
}

impl<'a> From<&'a [u8]> for Source<'a> {
    fn from(b: &'a [u8]) -> Source<'a> {
        Source::Bytes("(memory)", b)
    }
}

impl<'a> From<&'a Vec<u8>> for Source<'a> {
    fn from(b: &'a Vec<u8>) -> Source<'a> {
        Source::Bytes("(memory)", b)
    }
}

/// Checks a PST or OST: a path or its bytes ([`Source`]).
pub fn check<'a>(source: impl Into<Source<'a>>) -> CheckReport {
    match source.into() {
        Source::Bytes(name, bytes) => check_bytes(name, bytes),
        Source::Path(path) => {
            let name = path.display().to_string();
            // The reader's map serves every layer when it opens the file;
            // else the bytes are mapped here for the layers that need none.
            if let Ok(pst) = Pst::open(path) {
                return run(&name, pst.ndb().file, Some(&pst));
            }
            match mailshift_core::Mapped::open(path) {
                Ok(map) => run(&name, &map, None),
                Err(e) => not_a_store(&name, format!("cannot read the file: {e}")),
            }
        }
    }
}

/// Checks a file held in memory; `name` stands for it in the report.
pub fn check_bytes(name: &str, bytes: &[u8]) -> CheckReport {
    let pst = Pst::from_bytes(name, bytes.to_vec()).ok();
    run(name, bytes, pst.as_ref())
}

fn not_a_store(name: &str, why: String) -> CheckReport {
    let mut sink = Sink::default();
    sink.report("header.unreadable", Some(0), why);
    sink.finish(name.to_string(), None, Vec::new(), true)
}

/// Every layer in order over `file`; `pst` is the reader over the same
/// bytes when it could open them (the messaging layer reads values with it).
fn run(name: &str, file: &[u8], pst: Option<&Pst>) -> CheckReport {
    let mut sink = Sink::default();
    let hdr = match header::parse(file) {
        Ok(h) => h,
        Err((rule, offset, why)) => {
            sink.report(rule, Some(offset), why);
            return sink.finish(name.to_string(), None, Vec::new(), true);
        }
    };
    let format_name = format_name(&hdr);
    let mut cx = Ctx::new(file, hdr, sink);
    header::check(&mut cx);
    btree::check(&mut cx);
    blocks::check(&mut cx);
    header::check_counters(&mut cx);
    amap::check(&mut cx);
    ltp::check(&mut cx);
    match pst {
        Some(pst) => {
            messaging::check(&mut cx, pst);
            salvage_found(&mut cx, pst);
        }
        None => cx.sink.report(
            "msg.skipped",
            None,
            "the reader cannot open this file (see the problems above), so folders and messages were not checked"
                .into(),
        ),
    }
    let areas = std::mem::take(&mut cx.checked);
    cx.sink.finish(name.to_string(), Some(format_name), areas, false)
}

/// Where a B-tree is damaged: what the reader's salvage scan finds, and
/// how many messages it can read past the damage.
fn salvage_found(cx: &mut Ctx<'_>, pst: &Pst) {
    if cx.nbt_complete && cx.bbt_complete && !pst.is_salvaged() {
        return;
    }
    let nodes = pst.all_nodes().unwrap_or_default();
    let messages: Vec<_> = nodes.iter().filter(|n| n.nid & 0x1F == crate::messaging::NID_TYPE_NORMAL_MESSAGE).collect();
    let readable = messages.iter().filter(|n| pst.property_context(n).is_ok()).count();
    let (blocks, found) = pst.salvage().map_or((0, 0), |s| (s.block_count(), s.node_count()));
    cx.report(
        "salvage.found",
        None,
        format!(
            "the salvage scan finds {blocks} blocks and {found} nodes; {readable} of the {} messages it and the \
             readable B-tree pages list have a readable property context (`mailshift convert` reads them)",
            messages.len()
        ),
    );
}

fn format_name(h: &header::RawHeader) -> String {
    let kind = match &h.magic_client {
        b"SM" => "PST",
        b"SO" => "OST",
        b"AB" => "PAB",
        _ => "store",
    };
    let layout = match h.format {
        Format::Ansi => "ANSI",
        Format::Unicode => "Unicode",
        Format::Unicode4k => "Unicode 4K",
    };
    format!("{kind} {layout} (wVer {})", h.w_ver)
}

/// Collects problems, keeping the first [`KEEP_PER_RULE`] of each rule.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    problems: Vec<Problem>,
    counts: BTreeMap<&'static str, u64>,
}

impl Sink {
    /// Records that `rule` is broken at `offset`.
    pub(crate) fn report(&mut self, id: &'static str, offset: Option<u64>, message: String) {
        let r = rule(id).unwrap_or_else(|| panic!("check rule {id:?} is not in RULES (a bug in the check)"));
        let n = self.counts.entry(r.id).or_insert(0);
        *n += 1;
        if *n as usize <= KEEP_PER_RULE {
            self.problems.push(Problem { rule: r.id, severity: r.severity, structure: r.structure, offset, message });
        }
    }

    /// True when an error-severity problem was reported.
    pub(crate) fn has_errors(&self) -> bool {
        self.counts.keys().any(|id| rule(id).is_some_and(|r| r.severity == Severity::Error))
    }

    fn finish(self, file: String, format: Option<String>, checked: Vec<Area>, not_a_store: bool) -> CheckReport {
        let mut areas: Vec<Area> = checked;
        for (id, n) in &self.counts {
            let Some(r) = rule(id) else { continue };
            match areas.iter_mut().find(|a| a.structure == r.structure) {
                Some(a) => a.problems += n,
                None => areas.push(Area { structure: r.structure, checked: 0, problems: *n }),
            }
        }
        let failing = self.counts.keys().any(|id| rule(id).is_some_and(|r| r.severity >= Severity::Warning));
        let verdict = if not_a_store {
            Verdict::NotAStore
        } else if failing {
            Verdict::Problems
        } else {
            Verdict::Clean
        };
        CheckReport { file, format, verdict, areas, problems: self.problems, counts: self.counts }
    }
}

/// A block the BBT lists, as the check found it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockRec {
    /// `BREF.bid` as stored.
    pub bid: u64,
    /// `BREF.ib`.
    pub ib: u64,
    /// `cb`.
    pub cb: u16,
    /// `cRef`.
    pub c_ref: u16,
    /// True when the block is inside the file and its trailer and CRC check out.
    pub sound: bool,
}

/// A page the check found (B-tree pages reached from the roots, map pages
/// where they must be).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageRec {
    /// Offset.
    pub ib: u64,
    /// BID from the BREF that led here (map pages: their offset).
    pub bid: u64,
}

/// What the layers hand each other.
pub(crate) struct Ctx<'a> {
    pub file: &'a [u8],
    pub format: Format,
    pub hdr: header::RawHeader,
    pub crypt: Option<CryptMethod>,
    pub sink: Sink,
    checked: Vec<Area>,
    /// Every B-tree page reached (both trees).
    pub pages: Vec<PageRec>,
    /// Every BBT leaf entry, by BID key (reserved bit cleared).
    pub bbt: HashMap<u64, BlockRec>,
    /// Every NBT leaf entry, in tree order.
    pub nbt: Vec<crate::raw::NbtEntry>,
    /// True when both trees were walked without a structural error: the
    /// layers that count what is missing (leaked blocks, AMap bits) only run
    /// on complete lists.
    pub nbt_complete: bool,
    /// See [`Ctx::nbt_complete`].
    pub bbt_complete: bool,
    /// An error was found below the messaging layer: the reader failing
    /// there is its consequence ([`messaging`]).
    pub explained: bool,
    /// References to each BID key: NBT `bidData` / `bidSub`, XBLOCK children,
    /// SLBLOCK and SIBLOCK entries (each stored reference once).
    pub refs: HashMap<u64, u32>,
    /// The data blocks of each node's data tree, by the tree's root BID key,
    /// `None` when the tree is broken.
    pub leaves: HashMap<u64, Option<Vec<u64>>>,
    /// The subnodes of each subnode tree, by the tree's root BID key, `None`
    /// when the tree is broken.
    pub subnodes: HashMap<u64, Option<Vec<crate::raw::SlEntry>>>,
}

impl<'a> Ctx<'a> {
    fn new(file: &'a [u8], hdr: header::RawHeader, sink: Sink) -> Ctx<'a> {
        Ctx {
            file,
            format: hdr.format,
            crypt: CryptMethod::from_byte(hdr.b_crypt_method),
            hdr,
            sink,
            checked: Vec::new(),
            pages: Vec::new(),
            bbt: HashMap::new(),
            nbt: Vec::new(),
            nbt_complete: false,
            bbt_complete: false,
            explained: false,
            refs: HashMap::new(),
            leaves: HashMap::new(),
            subnodes: HashMap::new(),
        }
    }

    /// Reports `rule` at `offset`.
    pub(crate) fn report(&mut self, rule: &'static str, offset: Option<u64>, message: String) {
        self.sink.report(rule, offset, message);
    }

    /// Counts `n` more structures of `structure` as examined.
    pub(crate) fn count(&mut self, structure: &'static str, n: u64) {
        match self.checked.iter_mut().find(|a| a.structure == structure) {
            Some(a) => a.checked += n,
            None => self.checked.push(Area { structure, checked: n, problems: 0 }),
        }
    }

    /// The BBT record of `bid` (reserved bit ignored).
    pub(crate) fn block(&self, bid: u64) -> Option<BlockRec> {
        self.bbt.get(&crate::raw::Bid(bid).key()).copied()
    }

    /// The decoded data of a sound block (decrypted, inflated), or `None`.
    pub(crate) fn block_data(&self, bid: u64) -> Option<std::borrow::Cow<'a, [u8]>> {
        let b = self.block(bid)?;
        if !b.sound {
            return None;
        }
        // Internal blocks are never encoded (MS-PST 2.2.2.8.1); without a
        // known crypt method only they can be read.
        let crypt = match self.crypt {
            Some(c) => c,
            None if crate::raw::Bid(bid).is_internal() => CryptMethod::None,
            None => return None,
        };
        let entry = crate::raw::BbtEntry { bid: b.bid, ib: b.ib, cb: b.cb, c_ref: b.c_ref };
        crate::ndb::block::read_block(self.file, self.format, crypt, &entry).ok()
    }

    /// Adds one stored reference to `bid`.
    pub(crate) fn add_ref(&mut self, bid: u64) {
        *self.refs.entry(crate::raw::Bid(bid).key()).or_insert(0) += 1;
    }
}
