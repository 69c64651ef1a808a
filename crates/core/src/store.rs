//! The reader and writer traits every format implements.

use std::path::Path;

use crate::model::{Folder, FolderId, FolderKind, Item, ItemId, Problem};
use crate::prepare::Prepared;
use crate::Result;

/// Cheap facts about an item, known without reading its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemMeta {
    /// The reader's id for the item.
    pub id: ItemId,
    /// Its size in bytes, where the reader knows it cheaply.
    pub size: Option<u64>,
}

/// Reads a mail store.
///
/// Call order: [`folders`](Self::folders) once, then
/// [`items`](Self::items) for each folder of interest, then
/// [`read`](Self::read) for each item id, from any number of threads at
/// once (readers are `Send + Sync` and take `&self`). [`problems`](Self::problems)
/// returns what the reader has found so far, so call it last.
pub trait StoreReader: Send + Sync {
    /// The format's short name (`"mbox"`, `"maildir"`, `"eml"`, `"pst"`).
    fn format_name(&self) -> &'static str;

    /// The file or directory this reader was opened on.
    fn path(&self) -> &Path;

    /// Every folder of the store, parents before children.
    fn folders(&self) -> Result<Vec<Folder>>;

    /// The items of one folder, in the store's order.
    fn items(&self, folder: FolderId) -> Result<Vec<ItemMeta>>;

    /// Reads one item.
    fn read(&self, id: ItemId) -> Result<Item<'_>>;

    /// Says where an item is, for reports (`"offset 1234"`, `"cur/123.host:2,S"`).
    fn describe(&self, id: ItemId) -> String;

    /// Problems found so far that did not stop the reader.
    fn problems(&self) -> Vec<Problem> {
        Vec::new()
    }

    /// True if item `id`, read already, came only from the salvage of a
    /// damaged store (found past a damaged index or table, or read past a
    /// failed check), so that the report counts it apart. Such an item may
    /// be partial: the problems say what was damaged.
    fn salvaged(&self, _id: ItemId) -> bool {
        false
    }

    /// A hint from the converter's producer thread, before it prepares
    /// `items` in parallel: a reader over a network fetches them here, in
    /// one go, so that [`read`](Self::read) on rayon's threads only takes
    /// them from memory and never waits on the network. The batch is
    /// bounded by the converter's `batch_bytes`.
    fn prefetch(&self, _items: &[ItemMeta]) {}

    /// The item's dedup key where the reader knows it without reading the
    /// item (an IMAP reader from the Message-ID it listed): with `--dedup`
    /// an item whose key the target already holds is passed over unread.
    /// It must equal the key [`Prepared`] makes of the item read.
    fn dedup_key(&self, _id: ItemId) -> Option<crate::prepare::DedupKey> {
        None
    }

    /// A hint from the converter that the items read so far are done
    /// with: a reader over a memory map may let the kernel drop its pages
    /// (they come back when read again), so that the input is not kept
    /// resident whole. Called between batches (by the converter once every
    /// 64 MiB read, by the items' size hints), from any thread.
    fn release_memory(&self) {}

    /// Facts about the store for `mailshift info`, as (name, value) pairs
    /// (`("version", "Unicode, wVer 23")`, `("encryption", "permute")`).
    fn facts(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// The item's class where the format has one (`IPM.Note`,
    /// `IPM.Contact` ...), cheaply, without reading the item.
    fn item_class(&self, _id: ItemId) -> Option<String> {
        None
    }

    /// The kind of item `id` is, where the reader can tell cheaply without
    /// reading it (PST: from the message class). `None` when it cannot:
    /// the converter then reads the item to find out.
    fn item_kind(&self, _id: ItemId) -> Option<FolderKind> {
        None
    }

    /// What a quick look at item `id` gives, where the reader can tell
    /// without reading the item (PST: its property context alone, no
    /// recipients, attachments or bodies). `None` when it cannot: the
    /// caller reads the item.
    fn item_glance(&self, _id: ItemId) -> Option<Glance> {
        None
    }

    /// Reads one item as a MAPI message, every property with its type
    /// ([`crate::mapi`]): what a PST writer copies. Readers whose store
    /// holds MAPI items (PST, OST) implement it; for the others it is
    /// [`crate::Error::Unsupported`] and the converter hands the writer
    /// [`read`](Self::read)'s item instead.
    fn read_mapi(&self, _id: ItemId) -> Result<crate::mapi::Message> {
        Err(crate::Error::Unsupported {
            path: self.path().to_path_buf(),
            reason: format!("{} items are not MAPI messages", self.format_name()),
        })
    }

    /// The folder-associated (FAI) items of a folder: views, rules and
    /// forms it keeps beside its contents. Only writers that ask for MAPI
    /// items get them (read with [`read_mapi`](Self::read_mapi)); empty
    /// where the store has none.
    fn associated_items(&self, _folder: FolderId) -> Result<Vec<ItemMeta>> {
        Ok(Vec::new())
    }

    /// A folder's own MAPI properties (container class, comment, view
    /// settings ...), where the store has them.
    fn folder_mapi(&self, _folder: FolderId) -> Option<crate::mapi::PropBag> {
        None
    }

    /// The store's own MAPI properties (PST: the message store's PC),
    /// where it has them.
    fn store_mapi(&self) -> Option<crate::mapi::PropBag> {
        None
    }
}

/// What a [`StoreWriter::write`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Bytes written for the item.
    pub bytes: u64,
    /// What of the item this target format cannot hold by design (flags in
    /// EML, which has no place for them), in words that name the thing and
    /// not the item (`"flags"`, `"keywords"`): the report lists them as
    /// "not kept by FORMAT" with a count, and only `--strict` makes them
    /// an error.
    pub not_kept: Vec<String>,
    /// What of the item the target could have held and did not (a keyword
    /// that is not a valid IMAP atom, a folder's keyword table full): a
    /// loss, exit 1.
    pub lost: Vec<String>,
    /// Set when the writer kept the item out and why: an item with the
    /// same identity is already in the target (a contact or event with the
    /// same UID in the .vcf/.ics file). Counted as a skipped duplicate,
    /// and listed with its reason unless the reason is empty (a message
    /// an IMAP mailbox holds already: a rerun would list every one).
    pub duplicate: Option<String>,
    /// Set by a writer that sends items on in batches or over several
    /// connections: it took the item, and will give its outcome later
    /// through [`StoreWriter::settled`]; the converter counts it then.
    pub pending: bool,
}

/// Writes a mail store. Has one owner; takes `&mut self`.
///
/// Call order: [`begin`](Self::begin) once with every folder that will be
/// written; then for each folder [`open_folder`](Self::open_folder),
/// [`write`](Self::write) for each of its items in order, and
/// [`close_folder`](Self::close_folder); finally [`finish`](Self::finish).
/// Every item is written atomically: after a crash the target holds whole
/// items only.
pub trait StoreWriter {
    /// The format's short name.
    fn format_name(&self) -> &'static str;

    /// True if the writer can store items of this kind.
    fn accepts(&self, kind: FolderKind) -> bool {
        kind == FolderKind::Mail
    }

    /// True for a writer that stores MAPI messages (PST): the converter
    /// then asks the reader for [`StoreReader::read_mapi`] items and the
    /// associated items, and passes the store's and folders' properties
    /// to [`mapi_props`](Self::mapi_props) before [`begin`](Self::begin).
    fn wants_mapi(&self) -> bool {
        false
    }

    /// The source's store and folder properties, for a writer that
    /// [`wants_mapi`](Self::wants_mapi), once, before [`begin`](Self::begin).
    fn mapi_props(
        &mut self,
        _store: Option<crate::mapi::PropBag>,
        _folders: Vec<(FolderId, crate::mapi::PropBag)>,
    ) -> Result<()> {
        Ok(())
    }

    /// Announces every folder that will be written, before any is opened.
    fn begin(&mut self, folders: &[Folder]) -> Result<()>;

    /// Makes `folder` the target of the following writes, creating it if needed.
    fn open_folder(&mut self, folder: &Folder) -> Result<()>;

    /// Appends one item to the open folder.
    fn write(&mut self, item: &Prepared<'_>) -> Result<Written>;

    /// The outcomes now known of items [`write`](Self::write) took as
    /// [`Written::pending`], by the id of their [`Prepared::meta`]. With
    /// `wait`, blocks until every pending item has one (called before
    /// [`close_folder`](Self::close_folder)). Writers that answer at once
    /// never have any. A writer that still holds pending items when a
    /// folder is closed (or the run finished) completes them there, and
    /// their outcomes wait for the next call: a caller that takes items
    /// pending asks once more after [`finish`](Self::finish).
    fn settled(&mut self, _wait: bool) -> Vec<(crate::model::ItemId, Result<Written>)> {
        Vec::new()
    }

    /// Ends the writes to the open folder and makes them durable.
    fn close_folder(&mut self) -> Result<()>;

    /// Ends the conversion.
    fn finish(&mut self) -> Result<()>;

    /// What the writer did that the report should say and that is neither
    /// a loss nor a failure: a folder written under another name because
    /// its own collides (`"folder a?b written as a_b (2)"`), stale
    /// temporary files of an earlier, killed run removed, a single .vcf
    /// target not written because the source has no contacts. Called once,
    /// after [`finish`](Self::finish) (or after a failed one).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// The temporary files of an earlier, killed run of ours that the
    /// writer removed ([`crate::fsio::sweep_stale`]). The converter says so
    /// in one note of the report ([`crate::fsio::stale_note`]). Called once,
    /// after [`finish`](Self::finish).
    fn swept(&self) -> Vec<std::path::PathBuf> {
        Vec::new()
    }

    /// True for a writer that writes nothing (`convert --dry-run`: a
    /// [`crate::dry::DryRun`], or a writer in its dry-run mode): the
    /// report then says that its copied items are those that would be
    /// copied.
    fn dry_run(&self) -> bool {
        false
    }
}

/// A quick look at an item ([`StoreReader::item_glance`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Glance {
    /// Its class (`IPM.Note` ...).
    pub class: Option<String>,
    /// The kind of item it is.
    pub kind: Option<FolderKind>,
    /// Its size as the store counts it (PST: PidTagMessageSize).
    pub size: Option<u64>,
    /// The date its header would carry: the kept transport header's Date,
    /// else the submit, delivery, modification or creation time (Unix
    /// seconds).
    pub date: Option<i64>,
}
