//! Five PST readers that are not mailshift's, behind one interface: each
//! reads a PST/OST into the same normalized [`StoreView`] (folders, item
//! counts, subjects, attachment bytes), which [`compare`] and
//! [`assert_same`] hold against the view of our own reader.
//!
//! | [`Oracle`] | what runs | lineage |
//! |---|---|---|
//! | `Readpst` | `readpst -S` (Debian pst-utils) into a scratch directory | libpst |
//! | `Pffexport` | `pffexport` (Debian pff-tools) into a scratch directory | libpff |
//! | `Pypff` | `py/pstview.py` with pypff (PyPI libpff-python) | libpff's Python binding |
//! | `OutlookPst` | the `outlook-pst` crate, in process | Microsoft's Rust reader |
//! | `PstExtractor` | `node/pstview.js` with pst-extractor (npm) | java-libpst |
//!
//! A reader that is not installed is [`OracleError::Missing`] (a test
//! skips it, or fails under `MAILSHIFT_REQUIRE_ALL=1`: see
//! [`view_or_skip`]); one that refuses the file is [`OracleError::Failed`]
//! with what it said.
//!
//! # Normalization
//!
//! Every reader hands over a [`RawView`]: the folders it reached from the
//! root folder (paths of display names from the root down), the IPM
//! subtree's path if it can tell, and what it complained about.
//! [`RawView::normalize`] turns that into a [`StoreView`] the same way for
//! all of them, ours included:
//!
//! - **Folders** are those of the IPM subtree (MS-PST 2.4.3: the folder
//!   `PidTagIpmSubtreeEntryId` names), keyed by their path below it, `/`
//!   joined as the reader names them; the subtree itself is `""`. Folders
//!   outside it (the root's own items, Search Root, IPM_VIEWS, Freebusy
//!   Data, ...) are not compared: readpst never shows them, and the other
//!   readers disagree on which search folders they can open. Readers that
//!   do not report the subtree (pffexport, and every reader on an OST,
//!   whose Exchange entry ids hold no NID) are cut at the names Outlook
//!   gives it ([`find_ipm_subtree`]). Hidden folders inside the subtree
//!   (PidTagAttributeHidden: Sync Issues, Quick Step Settings ...) are kept.
//!   Search folders inside the subtree (NID type 0x03) our reader leaves
//!   out (they hold references to messages kept elsewhere); a reader that
//!   lists one shows it as a folder only it has (no fixture has one).
//!   readpst names folders by its own directory names; the top one (the
//!   store's display name) is the subtree.
//! - **count** is the number of items each reader returns for the folder
//!   (mail, contacts, appointments, ... whatever it exports); folder-
//!   associated (FAI) items are not items.
//! - **subjects**: PidTagSubject without the 0x01 + length marker some
//!   writers keep before the text (libpff and java-libpst strip it), NULs
//!   cut, runs of white space made one space, trimmed; a missing subject
//!   is `""`; sorted. readpst gives no PidTagSubject: its `Subject:` header
//!   (RFC 2047 decoded; the original transport header when the message has
//!   one), its vCards' `FN` and its iCalendar `SUMMARY` stand in.
//! - **attachments**: sha256 (lowercase hex) of each by-value attachment's
//!   bytes (`afByValue`, PidTagAttachDataBinary) of the folder's items,
//!   sorted. Embedded messages are not attachment bytes (every reader
//!   re-encodes them differently), nor are OLE objects; readpst writes
//!   every attachment it has bytes for, whatever the method.
//! - **errors**: each distinct complaint of the reader, in order, prefixed
//!   with the folder it was reading when the reader says (`"Inbox": ...`,
//!   `(root folder): ...`); complaints about folders outside the IPM
//!   subtree go with those folders.
//!
//! # Comparing
//!
//! [`compare`] lists every [`Diff`]: folders only one side has, counts,
//! subjects and attachments (as multisets) that differ, and the reader's
//! errors. One rule depends on the reader: readpst walks folders by NBT
//! parent and writes no directory for a folder without child nodes, so a
//! folder whose whole subtree is empty on one side and absent on the other
//! is no difference when readpst is one side. Known differences are
//! [`Known`] patterns matched against each diff's one-line text;
//! [`assert_same`] fails on any diff none matches.

mod outlook_pst;
mod pffexport;
mod pst_extractor;
mod pypff;
mod readpst;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// How long one reader may take on one file before it is stopped and the
/// run is [`OracleError::Failed`]: far above the fixtures' times (under
/// 1 s each), for a reader that loops on a bad file.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Folder recursion bound for every walk over a reader's output.
const MAX_DEPTH: usize = 64;

/// The most errors a view keeps (a reader can complain once per item).
const MAX_ERRORS: usize = 200;

/// One of the five independent readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Oracle {
    /// `readpst` 0.6.x (libpst), Debian pst-utils.
    Readpst,
    /// `pffexport` (libpff), Debian pff-tools.
    Pffexport,
    /// pypff, the Python binding of libpff (PyPI `libpff-python`).
    Pypff,
    /// Microsoft's `outlook-pst` crate.
    OutlookPst,
    /// `pst-extractor` on node (npm; a port of java-libpst).
    PstExtractor,
}

impl Oracle {
    /// All five, in a fixed order.
    pub const ALL: [Oracle; 5] =
        [Oracle::Readpst, Oracle::Pffexport, Oracle::Pypff, Oracle::OutlookPst, Oracle::PstExtractor];

    /// Its short name, as printed.
    pub fn name(self) -> &'static str {
        match self {
            Oracle::Readpst => "readpst",
            Oracle::Pffexport => "pffexport",
            Oracle::Pypff => "pypff",
            Oracle::OutlookPst => "outlook-pst",
            Oracle::PstExtractor => "pst-extractor",
        }
    }
}

impl fmt::Display for Oracle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who produced a [`StoreView`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reader {
    /// mailshift's own reader.
    Ours,
    /// One of the oracles.
    Oracle(Oracle),
}

impl fmt::Display for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reader::Ours => f.write_str("ours"),
            Reader::Oracle(o) => f.write_str(o.name()),
        }
    }
}

/// One folder of a [`StoreView`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderView {
    /// Items in the folder (all kinds the reader returns).
    pub count: usize,
    /// Their normalized subjects, sorted.
    pub subjects: Vec<String>,
    /// sha256 hex of each by-value attachment's bytes, sorted.
    pub attachments: Vec<String>,
    /// Per message, its envelope as one line ([`fact`]), sorted; empty
    /// for a reader that does not give them (compared only when both
    /// sides have them).
    pub facts: Vec<String>,
    /// The file names of the by-value attachments that have one, sorted;
    /// empty for a reader that does not give them (compared only when both
    /// sides have them).
    pub names: Vec<String>,
}

/// One message's envelope as [`FolderView::facts`] holds it: Message-ID
/// without brackets, the From address (PidTagSentRepresenting*), the To and Cc addresses
/// (lower case, each list sorted) and the date in Unix seconds (the
/// client-submit time, i.e. the Date field).
pub fn fact(message_id: Option<&str>, from: Option<&str>, to: &[String], cc: &[String], date: Option<i64>) -> String {
    let norm = |l: &[String]| {
        let mut v: Vec<String> = l.iter().map(|a| a.trim().to_ascii_lowercase()).filter(|a| !a.is_empty()).collect();
        v.sort();
        v.join(",")
    };
    format!(
        "id={} from={} to={} cc={} date={}",
        message_id.unwrap_or("").trim().trim_matches(['<', '>']),
        from.unwrap_or("").trim().to_ascii_lowercase(),
        norm(to),
        norm(cc),
        date.map(|d| d.to_string()).unwrap_or_default()
    )
}

/// What one reader saw in a store, normalized (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreView {
    /// Who read it.
    pub reader: Reader,
    /// Folder path below the IPM subtree (`""` for the subtree itself,
    /// `/`-joined display names as the reader gives them) -> folder.
    pub folders: BTreeMap<String, FolderView>,
    /// Each distinct complaint of the reader while it read the store.
    pub errors: Vec<String>,
}

/// Why a reader gave no view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OracleError {
    /// The reader is not installed here (what is missing and how to get it).
    Missing(String),
    /// The reader ran and refused the file, crashed or timed out (what it said).
    Failed(String),
}

impl fmt::Display for OracleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OracleError::Missing(m) => write!(f, "missing: {m}"),
            OracleError::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for OracleError {}

/// One folder as a reader reports it, before normalization.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RawFolder {
    /// Display names from the root folder down (`[]` for the root), or,
    /// for a reader that only shows the IPM subtree, from the subtree down.
    pub path: Vec<String>,
    /// Items the reader returned for the folder.
    pub count: usize,
    /// Their subjects as the reader gives them.
    pub subjects: Vec<String>,
    /// sha256 hex of each by-value attachment.
    pub attachments: Vec<String>,
    /// Each message's [`fact`] line, where the reader gives them.
    #[serde(default)]
    pub facts: Vec<String>,
    /// The file name (PidTagAttachLongFilename, else PidTagAttachFilename)
    /// of each by-value attachment that has one, where the reader gives them.
    #[serde(default)]
    pub names: Vec<String>,
}

/// A reader's output before [`RawView::normalize`]: the shape the Python
/// and node scripts print as JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RawView {
    /// Every folder the reader reached.
    pub folders: Vec<RawFolder>,
    /// The IPM subtree's path, when the reader can tell (from the store's
    /// PidTagIpmSubtreeEntryId); `None` falls back to [`find_ipm_subtree`].
    pub ipm_subtree: Option<Vec<String>>,
    /// What the reader complained about.
    pub errors: Vec<RawError>,
}

/// One complaint of a reader, before normalization.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RawError {
    /// The folder it was reading (same paths as [`RawFolder::path`]), if
    /// the complaint is about one.
    #[serde(default)]
    pub path: Option<Vec<String>>,
    /// What it said.
    pub message: String,
}

impl RawError {
    /// A complaint about the file as a whole.
    pub fn global(message: impl Into<String>) -> RawError {
        RawError { path: None, message: message.into() }
    }

    /// A complaint about folder `path`.
    pub fn at(path: &[String], message: impl Into<String>) -> RawError {
        RawError { path: Some(path.to_vec()), message: message.into() }
    }
}

/// The names Outlook gives the IPM subtree under the root folder (English
/// and French Outlook, as the fixtures have them).
const IPM_SUBTREE_NAMES: [&str; 4] = [
    "Top of Personal Folders",
    "Top of Outlook data file",
    "Top of Information Store",
    "Début du fichier de données Outlook",
];

/// The root folder's children that are not the IPM subtree (Outlook's
/// search, view and schedule folders, as the fixtures have them).
const NOT_IPM_SUBTREE: [&str; 20] = [
    "Search Root",
    "SPAM Search Folder 2",
    "ItemProcSearch",
    "IPM_COMMON_VIEWS",
    "IPM_VIEWS",
    "Reminders",
    "Tracked Mail Processing",
    "To-Do Search",
    "Freebusy Data",
    "Content.Filter",
    "Racine (pour la recherche)",
    "Finder",
    "Common Views",
    "Views",
    "Shortcuts",
    "Drizzle",
    "Shared Data",
    "Schedule",
    "_MAPISP(Internal)",
    "Root - Public",
];

/// The IPM subtree's path among `paths` (each from the root folder down),
/// for a reader that cannot name it: a root child with one of Outlook's
/// names for it; else an OST's `Root - Mailbox/IPM_SUBTREE`; else the one
/// root child that is none of Outlook's search, view and schedule folders;
/// else the root itself (as our reader does).
pub fn find_ipm_subtree(paths: &[&[String]]) -> Vec<String> {
    let top: Vec<&String> = paths.iter().filter(|p| p.len() == 1).map(|p| &p[0]).collect();
    if let Some(name) = IPM_SUBTREE_NAMES.iter().find(|n| top.iter().any(|t| t.as_str() == **n)) {
        return vec![name.to_string()];
    }
    if paths.iter().any(|p| p.len() == 2 && p[0] == "Root - Mailbox" && p[1] == "IPM_SUBTREE") {
        return vec!["Root - Mailbox".to_string(), "IPM_SUBTREE".to_string()];
    }
    let others: Vec<&&String> = top.iter().filter(|t| !NOT_IPM_SUBTREE.contains(&t.as_str())).collect();
    if let [one] = others.as_slice() {
        return vec![one.to_string()];
    }
    Vec::new()
}

/// PidTagSubject normalized for comparison (see the module docs).
pub fn normalize_subject(s: &str) -> String {
    let s = s.trim_end_matches('\0');
    // The 0x01 marker and the character giving the prefix length; libpff
    // and java-libpst (PSTMessage.getSubject) drop both.
    let s = match s.strip_prefix('\u{1}') {
        Some(rest) => {
            let mut c = rest.chars();
            c.next();
            c.as_str()
        }
        None => s,
    };
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// sha256 of `data`, lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

impl RawView {
    /// The normalized view (see the module docs), as read by `reader`.
    pub fn normalize(self, reader: Reader) -> StoreView {
        let ipm = match &self.ipm_subtree {
            Some(p) if p.is_empty() || self.folders.iter().any(|f| &f.path == p) => p.clone(),
            _ => {
                let paths: Vec<&[String]> = self.folders.iter().map(|f| f.path.as_slice()).collect();
                find_ipm_subtree(&paths)
            }
        };
        let mut folders: BTreeMap<String, FolderView> = BTreeMap::new();
        for f in self.folders {
            let Some(rel) = f.path.strip_prefix(ipm.as_slice()) else { continue };
            // Two sibling folders of one name (or a name with "/") merge:
            // the key is the path as a user would read it.
            let v = folders.entry(rel.join("/")).or_default();
            v.count += f.count;
            v.subjects.extend(f.subjects.iter().map(|s| normalize_subject(s)));
            v.attachments.extend(f.attachments.iter().map(|a| a.to_ascii_lowercase()));
            v.facts.extend(f.facts);
            v.names.extend(f.names);
        }
        for v in folders.values_mut() {
            v.subjects.sort();
            v.attachments.sort();
            v.facts.sort();
            v.names.sort();
        }
        let mut errors: Vec<String> = Vec::new();
        for e in self.errors {
            let message = e.message.split_whitespace().collect::<Vec<_>>().join(" ");
            let e = match &e.path {
                None => message,
                Some(p) if p.is_empty() => format!("(root folder): {message}"),
                Some(p) => match p.strip_prefix(ipm.as_slice()) {
                    Some(rel) => format!("{:?}: {message}", rel.join("/")),
                    // Folders outside the IPM subtree are not compared,
                    // nor what a reader says about them.
                    None => continue,
                },
            };
            if !e.is_empty() && !errors.contains(&e) && errors.len() < MAX_ERRORS {
                errors.push(e);
            }
        }
        StoreView { reader, folders, errors }
    }
}

/// What `oracle` sees in the store at `pst`.
pub fn view(oracle: Oracle, pst: &Path) -> Result<StoreView, OracleError> {
    let raw = match oracle {
        Oracle::Readpst => readpst::raw(pst)?,
        Oracle::Pffexport => pffexport::raw(pst)?,
        Oracle::Pypff => pypff::raw(pst)?,
        Oracle::OutlookPst => outlook_pst::raw(pst)?,
        Oracle::PstExtractor => pst_extractor::raw(pst)?,
    };
    Ok(raw.normalize(Reader::Oracle(oracle)))
}

/// [`view`] for a file the oracle must read: `None` after
/// [`crate::skip`] when the oracle is not installed (a failure under
/// `MAILSHIFT_REQUIRE_ALL=1`); a panic naming the file when it fails on it.
#[track_caller]
pub fn view_or_skip(oracle: Oracle, pst: &Path) -> Option<StoreView> {
    match view(oracle, pst) {
        Ok(v) => Some(v),
        Err(OracleError::Missing(why)) => {
            crate::skip(&format!("oracle {oracle} is missing: {why}"));
            None
        }
        Err(OracleError::Failed(why)) => panic!("{oracle} cannot read {}: {why}", pst.display()),
    }
}

/// Which side of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The first view given ([`compare`]'s `ours`).
    Ours,
    /// The second (`theirs`).
    Theirs,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Ours => "ours",
            Side::Theirs => "theirs",
        })
    }
}

/// One difference between two views. Its `Display` is the one line
/// [`Known`] patterns are matched against:
///
/// ```text
/// folder only in ours: "Inbox/Old" (3 items)
/// "Inbox": count ours 9, theirs 8
/// "Inbox": subject only in theirs: "Re: lunch"
/// "Inbox": attachment only in ours: 5d0301d30a29f250
/// error in theirs: unsupported value type 0x0000
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Diff {
    /// A folder one side has and the other lacks.
    Folder {
        /// The side that has it.
        side: Side,
        /// Its path.
        folder: String,
        /// Its item count there.
        count: usize,
    },
    /// A folder both have, with different item counts.
    Count {
        /// The folder.
        folder: String,
        /// Our count.
        ours: usize,
        /// Theirs.
        theirs: usize,
    },
    /// A subject one side has (once more than the other).
    Subject {
        /// The folder.
        folder: String,
        /// The side that has it.
        side: Side,
        /// The normalized subject.
        subject: String,
    },
    /// Attachment bytes one side has (once more than the other).
    Attachment {
        /// The folder.
        folder: String,
        /// The side that has them.
        side: Side,
        /// Their sha256, hex.
        sha256: String,
    },
    /// A message envelope ([`fact`]) one side has (once more than the
    /// other), where both sides give them.
    Fact {
        /// The folder.
        folder: String,
        /// The side that has it.
        side: Side,
        /// The fact line.
        fact: String,
    },
    /// An attachment file name one side has (once more than the other),
    /// where both sides give them.
    Name {
        /// The folder.
        folder: String,
        /// The side that has it.
        side: Side,
        /// The name.
        name: String,
    },
    /// A complaint of one side's reader.
    Error {
        /// Whose.
        side: Side,
        /// What it said.
        message: String,
    },
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diff::Folder { side, folder, count } => write!(f, "folder only in {side}: {folder:?} ({count} items)"),
            Diff::Count { folder, ours, theirs } => write!(f, "{folder:?}: count ours {ours}, theirs {theirs}"),
            Diff::Subject { folder, side, subject } => write!(f, "{folder:?}: subject only in {side}: {subject:?}"),
            Diff::Attachment { folder, side, sha256 } => {
                write!(f, "{folder:?}: attachment only in {side}: {}", &sha256[..sha256.len().min(16)])
            }
            Diff::Fact { folder, side, fact } => write!(f, "{folder:?}: message only in {side}: {fact}"),
            Diff::Name { folder, side, name } => write!(f, "{folder:?}: attachment name only in {side}: {name:?}"),
            Diff::Error { side, message } => write!(f, "error in {side}: {message}"),
        }
    }
}

/// Items of `a` not in `b`, as multisets (both sorted).
fn multiset_minus<'a>(a: &'a [String], b: &[String]) -> Vec<&'a String> {
    let mut out = Vec::new();
    let mut j = 0;
    for x in a {
        while j < b.len() && b[j] < *x {
            j += 1;
        }
        if j < b.len() && b[j] == *x {
            j += 1;
        } else {
            out.push(x);
        }
    }
    out
}

/// Folders of `v` whose whole subtree holds no item.
fn empty_subtrees(v: &StoreView) -> Vec<&String> {
    v.folders
        .keys()
        .filter(|k| {
            v.folders.iter().all(|(p, f)| {
                let inside = p == *k || k.is_empty() || p.starts_with(&format!("{k}/"));
                !inside || f.count == 0
            })
        })
        .collect()
}

/// Every difference between `ours` and `theirs` (see the module docs).
pub fn compare(ours: &StoreView, theirs: &StoreView) -> Vec<Diff> {
    let readpst = [ours.reader, theirs.reader].contains(&Reader::Oracle(Oracle::Readpst));
    let (eo, et) = (empty_subtrees(ours), empty_subtrees(theirs));
    let mut diffs = Vec::new();
    for (side, a, b, empty) in [(Side::Ours, ours, theirs, &eo), (Side::Theirs, theirs, ours, &et)] {
        for (path, f) in &a.folders {
            let readpst_empty = readpst && empty.contains(&path);
            if !b.folders.contains_key(path) && !readpst_empty {
                diffs.push(Diff::Folder { side, folder: path.clone(), count: f.count });
            }
        }
    }
    for (path, o) in &ours.folders {
        let Some(t) = theirs.folders.get(path) else { continue };
        if o.count != t.count {
            diffs.push(Diff::Count { folder: path.clone(), ours: o.count, theirs: t.count });
        }
        for (side, a, b) in [(Side::Ours, o, t), (Side::Theirs, t, o)] {
            for s in multiset_minus(&a.subjects, &b.subjects) {
                diffs.push(Diff::Subject { folder: path.clone(), side, subject: s.clone() });
            }
        }
        for (side, a, b) in [(Side::Ours, o, t), (Side::Theirs, t, o)] {
            for s in multiset_minus(&a.attachments, &b.attachments) {
                diffs.push(Diff::Attachment { folder: path.clone(), side, sha256: s.clone() });
            }
        }
        if !o.facts.is_empty() && !t.facts.is_empty() {
            for (side, a, b) in [(Side::Ours, o, t), (Side::Theirs, t, o)] {
                for s in multiset_minus(&a.facts, &b.facts) {
                    diffs.push(Diff::Fact { folder: path.clone(), side, fact: s.clone() });
                }
            }
        }
        if !o.names.is_empty() && !t.names.is_empty() {
            for (side, a, b) in [(Side::Ours, o, t), (Side::Theirs, t, o)] {
                for s in multiset_minus(&a.names, &b.names) {
                    diffs.push(Diff::Name { folder: path.clone(), side, name: s.clone() });
                }
            }
        }
    }
    for (side, v) in [(Side::Ours, ours), (Side::Theirs, theirs)] {
        for e in &v.errors {
            diffs.push(Diff::Error { side, message: e.clone() });
        }
    }
    diffs
}

/// A difference that is expected, and why: `pattern` is matched against
/// the diff's one-line text ([`Diff`]'s `Display`), `*` standing for any
/// text (so `"\"Contacts\": subject only in theirs: *"` covers every
/// subject readpst gives a contact of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known {
    /// The line, with `*` wildcards.
    pub pattern: &'static str,
    /// Why it differs (which reader is wrong, or what it cannot show).
    pub why: &'static str,
}

impl Known {
    /// A known difference.
    pub const fn new(pattern: &'static str, why: &'static str) -> Known {
        Known { pattern, why }
    }

    /// True when `line` matches the pattern.
    pub fn matches(&self, line: &str) -> bool {
        glob(self.pattern, line)
    }
}

/// `*`-only glob match of the whole `text`.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// The outcome of [`check`].
#[derive(Clone, Debug)]
pub struct Report {
    /// The two readers compared.
    pub ours: Reader,
    /// The other.
    pub theirs: Reader,
    /// Diffs a [`Known`] entry explains, with it.
    pub known: Vec<(Diff, Known)>,
    /// Diffs nothing explains.
    pub unexpected: Vec<Diff>,
    /// Known entries no diff matched (stale, or not for this file).
    pub unused: Vec<Known>,
    /// Folders both sides have.
    pub folders_compared: usize,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "ours = {}, theirs = {}: {} folders in both, {} unexpected differences, {} known, {} known entries unused",
            self.ours,
            self.theirs,
            self.folders_compared,
            self.unexpected.len(),
            self.known.len(),
            self.unused.len()
        )?;
        for d in &self.unexpected {
            writeln!(f, "  UNEXPECTED {d}")?;
        }
        for (d, k) in &self.known {
            writeln!(f, "  known      {d}   ({})", k.why)?;
        }
        for k in &self.unused {
            writeln!(f, "  unused     {:?}   ({})", k.pattern, k.why)?;
        }
        Ok(())
    }
}

/// [`compare`], each diff sorted into known (by the first entry of `known`
/// matching it) or unexpected.
pub fn check(ours: &StoreView, theirs: &StoreView, known: &[Known]) -> Report {
    let mut used = vec![false; known.len()];
    let mut report = Report {
        ours: ours.reader,
        theirs: theirs.reader,
        known: Vec::new(),
        unexpected: Vec::new(),
        unused: Vec::new(),
        folders_compared: ours.folders.keys().filter(|k| theirs.folders.contains_key(*k)).count(),
    };
    for d in compare(ours, theirs) {
        let line = d.to_string();
        match known.iter().position(|k| k.matches(&line)) {
            Some(i) => {
                used[i] = true;
                report.known.push((d, known[i]));
            }
            None => report.unexpected.push(d),
        }
    }
    report.unused = known.iter().zip(&used).filter(|(_, u)| !**u).map(|(k, _)| *k).collect();
    report
}

/// Panics, listing them, when `theirs` differs from `ours` in any way
/// `known` does not explain. Known entries that matched nothing are only
/// printed (a list meant for many files need not fit each one); a test
/// that wants them gone looks at [`check`]'s `unused`.
#[track_caller]
pub fn assert_same(ours: &StoreView, theirs: &StoreView, known: &[Known]) {
    let report = check(ours, theirs, known);
    if !report.unexpected.is_empty() {
        panic!("{} differs from {}:\n{report}", theirs.reader, ours.reader);
    }
    if !report.unused.is_empty() || !report.known.is_empty() {
        eprint!("{report}");
    }
}

/// `name` on `PATH`, or [`OracleError::Missing`] saying which package has it.
fn find_program(name: &str, package: &str) -> Result<PathBuf, OracleError> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()))
        .ok_or_else(|| OracleError::Missing(format!("`{name}` is not on PATH ({package})")))
}

/// What a program run by [`run`] did.
struct Ran {
    /// Exit code (-1 for a signal).
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs `cmd` to its end or [`TIMEOUT`], whichever comes first (then it is
/// killed and the run is [`OracleError::Failed`]).
fn run(cmd: &mut Command) -> Result<Ran, OracleError> {
    let what = format!("{:?}", cmd.get_program());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| OracleError::Failed(format!("cannot start {what}: {e}")))?;
    // Both pipes are drained while the child runs, so that a chatty child
    // cannot block on a full pipe.
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(OracleError::Failed(format!("{what} did not finish in {TIMEOUT:?}")));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(OracleError::Failed(format!("waiting for {what}: {e}"))),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    Ok(Ran { code: status.code().unwrap_or(-1), stdout, stderr })
}

/// The non-empty lines of a reader's stderr, as errors about the file.
fn stderr_lines(s: &str) -> Vec<RawError> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(RawError::global).collect()
}

/// Runs one of the JSON-printing scripts (`pypff`, `pst-extractor`): exit 0
/// with a [`RawView`] on stdout, 2 for a file it cannot open, 3 when its
/// library is not installed.
fn run_json_script(cmd: &mut Command, who: &str) -> Result<RawView, OracleError> {
    let ran = run(cmd)?;
    match ran.code {
        0 => {
            let mut raw: RawView = serde_json::from_slice(&ran.stdout)
                .map_err(|e| OracleError::Failed(format!("{who} printed no view ({e}); stderr: {}", ran.stderr)))?;
            raw.errors.extend(stderr_lines(&ran.stderr));
            Ok(raw)
        }
        3 => Err(OracleError::Missing(ran.stderr.trim().to_string())),
        c => Err(OracleError::Failed(format!("{who} exited with {c}: {}", ran.stderr.trim()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(path: &[&str], count: usize, subjects: &[&str], attachments: &[&str]) -> RawFolder {
        RawFolder {
            path: path.iter().map(|s| s.to_string()).collect(),
            count,
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            attachments: attachments.iter().map(|s| s.to_string()).collect(),
            facts: Vec::new(),
            names: Vec::new(),
        }
    }

    fn names(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn subjects_are_normalized_the_same_way_for_every_reader() {
        assert_eq!(normalize_subject("\u{1}\u{4}RE: lunch\0"), "RE: lunch");
        assert_eq!(normalize_subject("\u{1}\u{1}"), "");
        assert_eq!(normalize_subject("  a\r\n\tb  "), "a b");
        // 0x01 later in the text is text.
        assert_eq!(normalize_subject("a\u{1}b"), "a\u{1}b");
    }

    #[test]
    fn the_view_is_cut_to_the_ipm_subtree() {
        let raw = RawView {
            folders: vec![
                folder(&[], 1, &["root item"], &[]),
                folder(&["Top of Personal Folders"], 0, &[], &[]),
                folder(&["Top of Personal Folders", "Inbox"], 2, &["b", "\u{1}\u{4}RE: a"], &["BB", "aa"]),
                folder(&["Search Root"], 0, &[], &[]),
            ],
            ipm_subtree: None,
            errors: vec![
                RawError::at(&names(&["Search Root"]), "not compared"),
                RawError::at(&names(&["Top of Personal Folders", "Inbox"]), "bad  item"),
                RawError::at(&[], "root trouble"),
                RawError::global("file trouble"),
                RawError::global("file trouble"),
            ],
        };
        let v = raw.normalize(Reader::Oracle(Oracle::Pffexport));
        assert_eq!(v.folders.keys().collect::<Vec<_>>(), ["", "Inbox"]);
        assert_eq!(v.folders["Inbox"].subjects, ["RE: a", "b"]);
        assert_eq!(v.folders["Inbox"].attachments, ["aa", "bb"]);
        assert_eq!(v.errors, ["\"Inbox\": bad item", "(root folder): root trouble", "file trouble"]);
    }

    #[test]
    fn the_ipm_subtree_is_found_by_name_when_a_reader_cannot_tell() {
        let p = |v: &[&[&str]]| -> Vec<Vec<String>> { v.iter().map(|p| names(p)).collect() };
        let find = |v: Vec<Vec<String>>| find_ipm_subtree(&v.iter().map(Vec::as_slice).collect::<Vec<_>>());
        assert_eq!(find(p(&[&[], &["Search Root"], &["Top of Outlook data file"]])), ["Top of Outlook data file"]);
        assert_eq!(
            find(p(&[&["Root - Public"], &["Root - Public", "IPM_SUBTREE"], &["Root - Mailbox", "IPM_SUBTREE"]])),
            ["Root - Mailbox", "IPM_SUBTREE"]
        );
        assert_eq!(find(p(&[&["Search Root"], &["Oberste Ebene"], &["IPM_VIEWS"]])), ["Oberste Ebene"]);
        assert!(find(p(&[&["A"], &["B"]])).is_empty());
    }

    fn view(reader: Reader, folders: &[(&str, usize, &[&str], &[&str])]) -> StoreView {
        StoreView {
            reader,
            folders: folders
                .iter()
                .map(|(p, c, s, a)| {
                    let v = FolderView {
                        count: *c,
                        subjects: s.iter().map(|x| x.to_string()).collect(),
                        attachments: a.iter().map(|x| x.to_string()).collect(),
                        facts: Vec::new(),
                        names: Vec::new(),
                    };
                    (p.to_string(), v)
                })
                .collect(),
            errors: Vec::new(),
        }
    }

    #[test]
    fn every_kind_of_difference_is_one_readable_line() {
        let sha = "5d0301d30a29f2505fc3420f89b82ab68beb42194e9f35cc9e57246883fc1972";
        let ours = view(Reader::Ours, &[("", 0, &[], &[]), ("Inbox", 2, &["a", "a"], &[sha]), ("Old", 3, &[], &[])]);
        let mut theirs =
            view(Reader::Oracle(Oracle::Pypff), &[("", 0, &[], &[]), ("Inbox", 1, &["a"], &[]), ("New", 0, &[], &[])]);
        theirs.errors.push("\"Inbox\": cannot".into());
        let lines: Vec<String> = compare(&ours, &theirs).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "folder only in ours: \"Old\" (3 items)",
                "folder only in theirs: \"New\" (0 items)",
                "\"Inbox\": count ours 2, theirs 1",
                "\"Inbox\": subject only in ours: \"a\"",
                "\"Inbox\": attachment only in ours: 5d0301d30a29f250",
                "error in theirs: \"Inbox\": cannot",
            ]
        );
        assert!(compare(&ours, &ours).is_empty());
    }

    #[test]
    fn known_differences_are_patterns_and_unused_ones_are_reported() {
        let ours = view(Reader::Ours, &[("Notes", 3, &["n", "n", "n"], &[])]);
        let theirs = view(Reader::Oracle(Oracle::Readpst), &[("Notes", 0, &[], &[])]);
        let known = [
            Known::new("\"Notes\": count ours 3, theirs 0", "no notes"),
            Known::new("\"Notes\": subject only in ours: *", "no notes"),
            Known::new("\"Inbox\": *", "stale"),
        ];
        let r = check(&ours, &theirs, &known);
        assert!(r.unexpected.is_empty(), "{r}");
        assert_eq!(r.known.len(), 4);
        assert_eq!(r.unused, [known[2]]);
        let r = check(&ours, &theirs, &known[..1]);
        assert_eq!(r.unexpected.len(), 3, "{r}");
        assert!(std::panic::catch_unwind(|| assert_same(&ours, &theirs, &known[..1])).is_err());
        assert_same(&ours, &theirs, &known);
    }

    #[test]
    fn glob_matches_the_whole_line() {
        assert!(glob("a*c", "abc") && glob("a*c", "ac") && glob("*", "") && glob("a*b*c", "a-b-c"));
        assert!(!glob("a*c", "abcd") && !glob("abc", "ab") && !glob("a*bc", "abc-bd") && !glob("ab*ba", "aba"));
    }

    #[test]
    fn readpst_may_leave_out_empty_folders_only() {
        let ours =
            view(Reader::Ours, &[("", 0, &[], &[]), ("A", 0, &[], &[]), ("A/B", 0, &[], &[]), ("C", 1, &["x"], &[])]);
        let readpst = view(Reader::Oracle(Oracle::Readpst), &[("", 0, &[], &[])]);
        let lines: Vec<String> = compare(&ours, &readpst).iter().map(ToString::to_string).collect();
        assert_eq!(lines, ["folder only in ours: \"C\" (1 items)"]);
        // The other readers must show empty folders.
        let pypff = view(Reader::Oracle(Oracle::Pypff), &[("", 0, &[], &[])]);
        assert_eq!(compare(&ours, &pypff).len(), 3);
    }
}
