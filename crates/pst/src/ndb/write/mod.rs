//! The node database written once, front to back: [`NdbWriter`].
//!
//! Blocks are encoded and written the moment they are added; what is kept
//! per block is its offset, size, kind and reference count (16 bytes), and
//! per node its NBT entry (24 bytes). At [`NdbWriter::finish`] the two
//! B-trees are built bottom-up from the sorted entries, the last
//! allocation maps are written, then the density list and the header.
//!
//! The layout, and where it follows Outlook rather than only MS-PST:
//!
//! - Every offset is reserved before anything is written at it
//!   (`write/place.rs`): blocks never overlap the map pages at the start of each
//!   AMap section, and the maps are counted from the bits set, never kept
//!   as running totals. The file ends at the end of its last section
//!   (MS-PST 2.6.1.1.2: the file grows by whole AMap spans).
//! - Block BIDs count up by 4 from 4 (MS-PST 2.2.2.2: bit 1 `fInternal`,
//!   bit 0 reserved and clear); page BIDs count up by 1 from 1 as Outlook's
//!   `bidNextP` does. The density list takes the BID `bidNextP` holds, as
//!   in every Outlook file we have.
//! - `cRef` of a block is one more than the references the file makes to
//!   it (node, subnode entry, XBLOCK, SIBLOCK): 2 for a block used once, as
//!   Outlook writes. A block nothing refers to is an error at `finish`
//!   (scanpst reports it as an orphan).
//! - `rgnid[t]` is the highest `nidIndex` of type `t` among the nodes and
//!   subnodes added, or the value MS-PST 2.2.2.6 starts it at if that is
//!   higher; scanpst checks that it covers subnodes too.
//! - B-tree pages are filled as evenly as the entries allow, at most
//!   `cEntMax`; a tree that fits one leaf is one leaf.
//! - The deprecated maps: PMaps and FPMaps all 0xFF and `cbPMapFree` 0, as
//!   Outlook 2007 and later write them (every page taken, free space is the
//!   density list's business); the FMaps and the header's `rgbFM` hold each
//!   section's longest free run (at most 255), which scanpst checks while
//!   Outlook leaves 0xFF. The density list lists the sections other than
//!   the last with free space, most free first, and names the last as the
//!   current page.
//! - ANSI files (MS-PST 2.2.1.2, wVer 14): 32-bit BIDs and offsets, the
//!   ANSI header (2.2.2.6.1), trailers and entries; blocks hold up to
//!   8,180 bytes (what Outlook's ANSI files fill their data-tree leaves
//!   with), the maps are the Unicode ones with a 4-byte `dwPadding` first
//!   and no FPMap page (the header's covers all of a file that stops at
//!   2 GB, [`Format::max_file_size`]). MS-PST 2.2.1.2 says ANSI "SHOULD NOT
//!   be used to create new PST files": it is written for tests, fuzzing
//!   and readers of old files.
//! - 4K files (libpff's documentation, no MS-PST): 4 KiB pages, 512-byte
//!   block alignment, AMaps from 0x22000 and no other map page, the density
//!   list at 0x21000. Blocks hold up to 65,512 bytes of data
//!   ([`Format::max_block_data`] says where that comes from). Data blocks
//!   are zlib streams when that makes them smaller on disk (encoded first,
//!   then deflated: the readers inflate, then decode), starting 0x78 0x9C
//!   (the default level, the only header XstReader accepts); internal
//!   blocks are stored plain, and so are the leaves of data trees in an
//!   encoded file, which libpff would decode only in part (`put_leaf`).
//!   Both the BBT entry and the block trailer say how large a block's data
//!   is inflated: libpst, XstReader and java pstreader read the one,
//!   libpff the other. The header's client magic is `SO`: every 4K file
//!   known is an Outlook 2013+ OST, and libpff, libpst and our reader
//!   accept that magic.

mod place;
mod sink;

use std::io::Read;
use std::path::Path;

use mailshift_core::{Error, Result};

use super::crc::crc32;
use super::crypt::CryptMethod;
use super::subnode::SubnodeEntry;
use crate::raw::{
    compute_sig, rgnid_start, Bid, BlockTrailer, BtEntry, BtPageMeta, DListEntry, DListHeader, Format, HeaderFields,
    HeaderState, NbtEntry, Nid, PageTrailer, SiEntry, SlEntry, SubnodeBlockHeader, XBlockHeader, BTYPE_SUBNODE,
    B_PLATFORM, DFL_BACKFILL_COMPLETE, DLIST_ENTRIES, HEADER_RGB_FM_LEN, MAGIC_CLIENT_OST, MAGIC_CLIENT_PST, PTYPE_BBT,
    PTYPE_DL, PTYPE_NBT, VALID_AMAP2, W_VER_CLIENT, XBLOCK_HEADER_SIZE,
};
use crate::raw::{BbtEntry, Bref};
use place::Placer;
use sink::{Payload, Sink};

/// How [`NdbWriter`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// [`Format::Unicode`] (the default), [`Format::Unicode4k`] or
    /// [`Format::Ansi`] (files of at most 2 GB, for tests and old readers:
    /// MS-PST 2.2.1.2 has new files Unicode).
    pub format: Format,
    /// How external blocks are encoded: [`CryptMethod::Permute`] (the
    /// default, Outlook's "compressible"), [`CryptMethod::None`] or
    /// [`CryptMethod::Cyclic`]. In 4K files an encoded data tree keeps its
    /// leaves uncompressed (libpff would decode them only in part), so
    /// [`CryptMethod::None`] compresses most.
    pub crypt: CryptMethod,
    /// Sync the file and its directory at [`NdbWriter::finish`] (default true).
    pub fsync: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { format: Format::Unicode, crypt: CryptMethod::Permute, fsync: true }
    }
}

/// What a block holds: its BID's internal bit and what may refer to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Data,
    XBlock,
    XXBlock,
    Subnode,
}

impl Kind {
    fn internal(self) -> bool {
        self != Kind::Data
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Data => "data block",
            Kind::XBlock => "XBLOCK",
            Kind::XXBlock => "XXBLOCK",
            Kind::Subnode => "subnode block",
        }
    }
}

/// What may be a node's `bidData`.
const DATA_KINDS: [Kind; 3] = [Kind::Data, Kind::XBlock, Kind::XXBlock];

/// One block placed: the BBT entry but the BID, which is its index.
#[derive(Clone, Copy, Debug)]
struct BlockRec {
    /// `ib` in units of the format's block alignment (64 or 512 bytes):
    /// 4 bytes reach 256 GiB, five times Outlook's largest store.
    at: u32,
    /// Bytes stored (after 4K compression).
    cb: u16,
    /// Bytes of data before compression (4K `cbInflated`).
    inflated: u16,
    /// References made to it so far.
    refs: u16,
    kind: Kind,
}

/// A growing list of records kept in chunks of a fixed size: it never
/// moves what it holds, so a store of millions of blocks does not need
/// twice their bookkeeping for a moment when the list grows (as a `Vec`
/// does when it doubles).
struct Records<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Records { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Records<T> {
    /// Records a chunk: 64 Ki of them.
    const CHUNK: usize = 1 << 16;

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, r: T) {
        if self.len.is_multiple_of(Self::CHUNK) {
            self.chunks.push(Vec::with_capacity(Self::CHUNK));
        }
        if let Some(c) = self.chunks.last_mut() {
            c.push(r);
        }
        self.len += 1;
    }

    fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / Self::CHUNK)?.get(i % Self::CHUNK)
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Records<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }
}

impl<T> std::ops::IndexMut<usize> for Records<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }
}

/// One NBT entry; its BIDs as block indexes plus one (0 for none).
#[derive(Clone, Copy, Debug)]
struct NodeRec {
    nid: u32,
    nid_parent: u32,
    data: u32,
    sub: u32,
}

/// `bidIndex` of the first block.
const FIRST_BID_INDEX: u64 = 1;
/// The first page BID.
const FIRST_PAGE_BID: u64 = 1;

/// Writes a PST's node database once, front to back: blocks, data trees,
/// subnode trees and nodes as they are added, the B-trees, maps and
/// header at [`NdbWriter::finish`].
///
/// Call order: [`create`](NdbWriter::create) or
/// [`in_memory`](NdbWriter::in_memory); any number of `add_*` calls, each
/// block or tree before the node or tree that refers to it; then
/// [`finish`](NdbWriter::finish) or [`finish_to_vec`](NdbWriter::finish_to_vec).
/// Dropping the writer without finishing leaves nothing at the target.
/// After an I/O error every later call fails.
pub struct NdbWriter {
    format: Format,
    crypt: CryptMethod,
    fsync: bool,
    sink: Sink,
    place: Placer,
    /// Block `i` has `bidIndex` `FIRST_BID_INDEX + i`.
    blocks: Records<BlockRec>,
    nodes: Vec<NodeRec>,
    /// Per `nidType`, the highest `nidIndex` added (nodes and subnodes).
    nid_max: [u32; 32],
    dw_unique: u32,
    /// Why the writer cannot go on (an I/O error, a file too large).
    broken: Option<String>,
    /// Scratch: the block being built, and (4K) its deflated form.
    buf: Vec<u8>,
    zbuf: Vec<u8>,
}

impl std::fmt::Debug for NdbWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdbWriter")
            .field("path", &self.sink.path())
            .field("format", &self.format)
            .field("blocks", &self.blocks.len())
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

fn invalid(reason: String) -> Error {
    Error::Invalid { what: "PST node database write", reason }
}

fn crypt_byte(c: CryptMethod) -> u8 {
    match c {
        CryptMethod::None => 0,
        CryptMethod::Permute => 1,
        CryptMethod::Cyclic => 2,
    }
}

impl NdbWriter {
    fn new(opts: WriteOptions, sink: Sink) -> NdbWriter {
        NdbWriter {
            format: opts.format,
            crypt: opts.crypt,
            fsync: opts.fsync,
            sink,
            place: Placer::new(opts.format),
            blocks: Records::default(),
            nodes: Vec::new(),
            nid_max: [0; 32],
            dw_unique: 1,
            broken: None,
            buf: Vec::new(),
            zbuf: Vec::new(),
        }
    }

    /// A writer into a temporary file beside `target`
    /// ([`mailshift_core::fsio::temp_file_in`]); [`finish`](Self::finish)
    /// syncs it, renames it over `target` and syncs the directory.
    pub fn create(target: &Path, opts: WriteOptions) -> Result<NdbWriter> {
        let sink = Sink::file(target, opts.fsync)?;
        Ok(NdbWriter::new(opts, sink))
    }

    /// A writer into memory; [`finish_to_vec`](Self::finish_to_vec) returns
    /// the file's bytes.
    pub fn in_memory(opts: WriteOptions) -> NdbWriter {
        NdbWriter::new(opts, Sink::Memory(Vec::new()))
    }

    /// The layout being written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The most data one block holds: [`Format::max_block_data`], 8,176
    /// bytes in Unicode files (MS-PST 2.2.2.8), 8,180 in ANSI files,
    /// 65,512 in 4K files.
    pub fn max_block_data(&self) -> usize {
        self.format.max_block_data()
    }

    /// Bytes placed so far: the offset past the last block or page (for
    /// progress and size limits).
    pub fn len(&self) -> u64 {
        self.place.high_water()
    }

    /// An upper bound of the file's size if it were finished now: what has
    /// been placed plus the NBT and BBT pages for the nodes and blocks so
    /// far (each leaf page at least half full, every level above it added)
    /// and the maps past the end.
    pub fn size_if_finished(&self) -> u64 {
        let f = self.format;
        let entries =
            self.nodes.len() as u64 * f.nbt_entry_size() as u64 + self.blocks.len() as u64 * f.bbt_entry_size() as u64;
        self.len() + entries * 4 + 16 * f.page_size() as u64
    }

    /// True while nothing has been placed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets `dwUnique` (default 1). MS-PST 2.2.2.6 has it change with every
    /// header write; scanpst wants it above every `PidTagLtpRowVer` in the
    /// store, so the messaging layer sets it from its counter.
    pub fn set_dw_unique(&mut self, v: u32) {
        self.dw_unique = v;
    }

    fn check(&self) -> Result<()> {
        match &self.broken {
            Some(why) => Err(invalid(format!("{}: the writer cannot go on: {why}", self.sink.path().display()))),
            None => Ok(()),
        }
    }

    /// Turns an I/O error into the crate's error and stops the writer.
    fn io(&mut self, e: std::io::Error) -> Error {
        self.broken = Some(e.to_string());
        Error::io(self.sink.path(), e)
    }

    /// A block's offset as [`BlockRec::at`] keeps it.
    fn block_at(&mut self, ib: u64) -> Result<u32> {
        match u32::try_from(ib / self.format.block_alignment() as u64) {
            Ok(at) => Ok(at),
            Err(_) => {
                let e = invalid(format!("the file would pass {ib} bytes, more than this writer places"));
                self.broken.get_or_insert(e.to_string());
                Err(e)
            }
        }
    }

    fn bid_of(index: usize, kind: Kind) -> u64 {
        ((FIRST_BID_INDEX + index as u64) << 2) | if kind.internal() { Bid::INTERNAL } else { 0 }
    }

    /// The block `bid` names, checked to be one of `kinds`: its index. The
    /// error says why not; `what()` names the reference (made only then).
    fn lookup(&self, bid: u64, what: impl Fn() -> String, kinds: &[Kind]) -> Result<usize> {
        let bad = |why: &str| invalid(format!("{} {bid:#x} {why}", what()));
        let rec = (bid >> 2)
            .checked_sub(FIRST_BID_INDEX)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| Some((i, self.blocks.get(i)?)));
        let Some((index, rec)) = rec else {
            return Err(bad("was not written by this writer"));
        };
        if NdbWriter::bid_of(index, rec.kind) != bid {
            return Err(bad("has the wrong flag bits"));
        }
        if !kinds.contains(&rec.kind) {
            let want: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            return Err(bad(&format!("is a {}, not a {}", rec.kind.name(), want.join(" or "))));
        }
        Ok(index)
    }

    fn add_ref(&mut self, index: usize) {
        let r = &mut self.blocks[index].refs;
        *r = r.saturating_add(1);
    }

    fn note_nid(&mut self, nid: u32) {
        let n = Nid(nid);
        let m = &mut self.nid_max[usize::from(n.nid_type())];
        *m = (*m).max(n.index());
    }

    /// Encodes, places and writes one block; nothing refers to it yet.
    fn put_block(&mut self, data: &[u8], kind: Kind) -> Result<u64> {
        self.put_block_as(Payload::Slice(data), kind, false)
    }

    /// [`put_block`](Self::put_block) for a leaf of a data tree. In an
    /// encoded 4K file it is stored uncompressed: libpff inflates a data
    /// tree's leaf, then decodes only as many bytes as it had stored
    /// (`libpff_data_array.c` decrypts an array entry's stored size), so
    /// the rest would reach its readers encoded. A block alone (a node's
    /// only block) it decodes whole, as libpst and our reader do any block.
    /// libpff's documentation notes that Outlook's compressed OSTs are seen
    /// unencoded.
    fn put_leaf(&mut self, data: &[u8]) -> Result<u64> {
        self.put_leaf_of(Payload::Slice(data))
    }

    /// [`put_leaf`](Self::put_leaf) of data handed over.
    fn put_leaf_of(&mut self, data: Payload<'_>) -> Result<u64> {
        self.put_block_as(data, Kind::Data, self.crypt != CryptMethod::None)
    }

    fn put_block_as(&mut self, payload: Payload<'_>, kind: Kind, plain: bool) -> Result<u64> {
        let len = payload.bytes().len();
        // Empty blocks come only from `add_raw_data_tree`.
        debug_assert!(len <= self.max_block_data());
        let f = self.format;
        let index = self.blocks.len();
        let bid = NdbWriter::bid_of(index, kind);
        let external = !kind.internal();
        if f != Format::Unicode4k {
            // Encoding keeps the size, so the block is placed now and
            // sealed (encoded, external blocks only, MS-PST 2.2.2.8.1; its
            // CRC and trailer) by the sink, on the sink's thread for a file.
            let size = f.block_size(len);
            let ib = match self.place.alloc(size as u64, f.block_alignment() as u64, &mut self.sink) {
                Ok(ib) => ib,
                Err(e) => return Err(self.io(e)),
            };
            let seal = sink::Seal {
                format: f,
                encode: external.then_some(self.crypt),
                bid,
                w_sig: compute_sig(ib, bid),
                size,
            };
            if let Err(e) = self.sink.write_block(ib, payload, seal, &mut self.buf) {
                return Err(self.io(e));
            }
            let at = self.block_at(ib)?;
            self.blocks.push(BlockRec { at, cb: len as u16, inflated: len as u16, refs: 0, kind });
            return Ok(bid);
        }
        let data = payload.bytes();
        // 4K: the stored bytes go into `buf`, encoded and deflated where
        // that saves room, which decides the size.
        self.buf.clear();
        if external {
            self.crypt.encode_into(data, &mut self.buf, bid);
        } else {
            self.buf.extend_from_slice(data);
        }
        let inflated = Some(data.len() as u16);
        if external && !plain && self.deflate_smaller() {
            std::mem::swap(&mut self.buf, &mut self.zbuf);
        }
        let cb = self.buf.len();
        let size = f.block_size(cb);
        let ib = match self.place.alloc(size as u64, f.block_alignment() as u64, &mut self.sink) {
            Ok(ib) => ib,
            Err(e) => return Err(self.io(e)),
        };
        let dw_crc = crc32(&self.buf);
        self.buf.resize(size, 0);
        let t = BlockTrailer { cb: cb as u16, w_sig: compute_sig(ib, bid), dw_crc, bid, cb_inflated: inflated };
        t.write(&mut self.buf[size - f.block_trailer_size()..], f);
        if let Err(e) = self.sink.write_at(ib, &self.buf) {
            return Err(self.io(e));
        }
        let at = self.block_at(ib)?;
        self.blocks.push(BlockRec { at, cb: cb as u16, inflated: data.len() as u16, refs: 0, kind });
        Ok(bid)
    }

    /// Deflates `buf` into `zbuf`; true if that makes the block smaller.
    fn deflate_smaller(&mut self) -> bool {
        use std::io::Write;
        self.zbuf.clear();
        let mut z = flate2::write::ZlibEncoder::new(std::mem::take(&mut self.zbuf), flate2::Compression::default());
        let ok = z.write_all(&self.buf).is_ok();
        match z.finish() {
            Ok(v) if ok => self.zbuf = v,
            _ => return false,
        }
        let f = self.format;
        self.zbuf.len() < self.buf.len() && f.block_size(self.zbuf.len()) < f.block_size(self.buf.len())
    }

    /// Writes one data block (1 to [`max_block_data`](Self::max_block_data)
    /// bytes), encoded with the writer's method, and returns its BID.
    /// Outlook never writes an empty block (outlook-pst refuses `cb` 0); an
    /// empty node has `bidData` 0, which [`add_data`](Self::add_data) returns.
    pub fn add_block(&mut self, data: &[u8]) -> Result<Bid> {
        self.check()?;
        if data.is_empty() || data.len() > self.max_block_data() {
            return Err(invalid(format!("a block holds 1 to {} bytes, not {}", self.max_block_data(), data.len())));
        }
        self.put_block(data, Kind::Data).map(Bid)
    }

    /// BIDs one XBLOCK, XXBLOCK or SIBLOCK child list holds: (8,176 - 8) / 8
    /// in Unicode files, (65,512 - 8) / 8 in 4K files.
    fn per_xblock(&self) -> usize {
        (self.max_block_data() - XBLOCK_HEADER_SIZE) / self.format.id_size()
    }

    /// The largest node data: what an XXBLOCK reaches, and `lcbTotal` (4 bytes) counts.
    fn max_data(&self) -> u64 {
        let per = self.per_xblock() as u64;
        (per * per * self.max_block_data() as u64).min(u64::from(u32::MAX))
    }

    /// Writes a node's data of any size: one data block if it fits, else
    /// blocks of exactly [`max_block_data`](Self::max_block_data) bytes but
    /// the last under an XBLOCK, or under
    /// XBLOCKs under an XXBLOCK (MS-PST 2.2.2.8.3.2). Returns the BID the
    /// node's `bidData` takes: `Bid(0)` for empty data, as Outlook writes
    /// for its empty nodes (0x1E1, 0x261 ... in every store).
    pub fn add_data(&mut self, data: &[u8]) -> Result<Bid> {
        self.check()?;
        let max = self.max_block_data();
        if data.is_empty() {
            return Ok(Bid(0));
        }
        if data.len() <= max {
            return self.put_block(data, Kind::Data).map(Bid);
        }
        if data.len() as u64 > self.max_data() {
            return Err(invalid(format!(
                "node data of {} bytes exceeds the {} a data tree holds",
                data.len(),
                self.max_data()
            )));
        }
        let mut leaves = Vec::with_capacity(data.len().div_ceil(max));
        for chunk in data.chunks(max) {
            leaves.push(self.put_leaf(chunk)?);
        }
        self.put_tree(&leaves).map(Bid)
    }

    /// [`add_data`](Self::add_data) of data handed over: its blocks go to
    /// the sink without a copy.
    pub fn add_data_owned(&mut self, data: Vec<u8>) -> Result<Bid> {
        self.check()?;
        let max = self.max_block_data();
        if data.len() <= max || data.len() as u64 > self.max_data() {
            return self.add_data(&data);
        }
        let n = data.len();
        let data = std::sync::Arc::new(data);
        let mut leaves = Vec::with_capacity(n.div_ceil(max));
        for start in (0..n).step_by(max) {
            leaves.push(self.put_leaf_of(Payload::Shared(data.clone(), start..(start + max).min(n)))?);
        }
        self.put_tree(&leaves).map(Bid)
    }

    /// [`add_data`](Self::add_data) for data read from `r` to its end, one
    /// block at a time (an attachment of any size without holding it). A
    /// read error stops the writer: blocks already written are in the file.
    pub fn add_data_from(&mut self, r: &mut dyn Read) -> Result<Bid> {
        self.check()?;
        let max = self.max_block_data();
        // A full chunk waits in `held` until the next read tells whether it
        // is the node's only block or a leaf of a tree (`put_leaf`).
        let (mut chunk, mut held) = (vec![0u8; max], vec![0u8; max]);
        let mut holding = false;
        let mut leaves = Vec::new();
        let mut total = 0u64;
        loop {
            let n = match read_full(r, &mut chunk) {
                Ok(n) => n,
                Err(e) => {
                    self.broken = Some(format!("reading node data: {e}"));
                    return Err(Error::io("<node data source>", e));
                }
            };
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > self.max_data() {
                self.broken = Some("node data too large".into());
                return Err(invalid(format!("node data exceeds the {} bytes a data tree holds", self.max_data())));
            }
            if holding {
                leaves.push(self.put_leaf(&held)?);
                holding = false;
            }
            if n < max {
                let one = leaves.is_empty();
                leaves.push(if one { self.put_block(&chunk[..n], Kind::Data)? } else { self.put_leaf(&chunk[..n])? });
                break;
            }
            std::mem::swap(&mut chunk, &mut held);
            holding = true;
        }
        if holding {
            let one = leaves.is_empty();
            leaves.push(if one { self.put_block(&held, Kind::Data)? } else { self.put_leaf(&held)? });
        }
        match leaves[..] {
            [] => Ok(Bid(0)),
            [one] => Ok(Bid(one)),
            _ => self.put_tree(&leaves).map(Bid),
        }
    }

    /// Writes a node's data given as its blocks (heap-on-node pages, row
    /// matrix blocks): every block but the last must hold exactly
    /// [`max_block_data`](Self::max_block_data) bytes. One block is its
    /// own BID; more go under an XBLOCK or XXBLOCK; none, or one empty
    /// block, is `Bid(0)` as for [`add_data`](Self::add_data).
    pub fn add_data_blocks(&mut self, blocks: &[Vec<u8>]) -> Result<Bid> {
        if !self.blocks_fit(blocks)? {
            return Ok(Bid(0));
        }
        if let [one] = blocks {
            return self.put_block(one, Kind::Data).map(Bid);
        }
        let mut leaves = Vec::with_capacity(blocks.len());
        for b in blocks {
            leaves.push(self.put_leaf(b)?);
        }
        self.put_tree(&leaves).map(Bid)
    }

    /// [`add_data_blocks`](Self::add_data_blocks) of blocks handed over:
    /// they go to the sink without a copy.
    pub fn add_data_blocks_owned(&mut self, mut blocks: Vec<Vec<u8>>) -> Result<Bid> {
        if !self.blocks_fit(&blocks)? {
            return Ok(Bid(0));
        }
        if blocks.len() == 1 {
            let one = blocks.pop().unwrap_or_default();
            return self.put_block_as(Payload::Vec(one), Kind::Data, false).map(Bid);
        }
        let mut leaves = Vec::with_capacity(blocks.len());
        for b in blocks {
            leaves.push(self.put_leaf_of(Payload::Vec(b))?);
        }
        self.put_tree(&leaves).map(Bid)
    }

    /// Whether `blocks` are a node's data as [`add_data_blocks`](Self::add_data_blocks)
    /// takes them: false for none (or one empty), an error if a block but
    /// the last is not full, the last is empty or too large, or all of
    /// them more than a data tree holds.
    fn blocks_fit(&self, blocks: &[Vec<u8>]) -> Result<bool> {
        self.check()?;
        let max = self.max_block_data();
        let Some((last, init)) = blocks.split_last() else {
            return Ok(false);
        };
        if init.is_empty() && last.is_empty() {
            return Ok(false);
        }
        if let Some(i) = init.iter().position(|b| b.len() != max) {
            return Err(invalid(format!(
                "block {i} of {} holds {} bytes; every block but the last must hold {max} (MS-PST 2.2.2.8.3.2)",
                blocks.len(),
                init[i].len()
            )));
        }
        if last.len() > max || last.is_empty() {
            return Err(invalid(format!("the last block holds {} bytes (1 to {max} allowed)", last.len())));
        }
        let total: u64 = blocks.iter().map(|b| b.len() as u64).sum();
        if total > self.max_data() {
            return Err(invalid(format!(
                "node data of {total} bytes exceeds the {} a data tree holds",
                self.max_data()
            )));
        }
        Ok(true)
    }

    /// Writes one leaf of a data tree that [`add_data_tree`](Self::add_data_tree)
    /// makes later (a streaming table's heap and row matrix blocks, written
    /// as they fill): 1 to [`max_block_data`](Self::max_block_data) bytes.
    /// A leaf no tree takes in is a leaked block, which
    /// [`finish`](Self::finish) refuses.
    pub fn add_leaf(&mut self, data: &[u8]) -> Result<Bid> {
        self.add_leaf_owned(data.to_vec())
    }

    /// [`add_leaf`](Self::add_leaf) of data handed over, without a copy.
    pub fn add_leaf_owned(&mut self, data: Vec<u8>) -> Result<Bid> {
        self.check()?;
        if data.is_empty() || data.len() > self.max_block_data() {
            return Err(invalid(format!("a leaf holds 1 to {} bytes, not {}", self.max_block_data(), data.len())));
        }
        self.put_leaf_of(Payload::Vec(data)).map(Bid)
    }

    /// The data of a node whose blocks are `leaves` ([`add_leaf`](Self::add_leaf)),
    /// in order: every one but the last must hold exactly
    /// [`max_block_data`](Self::max_block_data) bytes. One leaf is its own
    /// BID; more go under an XBLOCK or XXBLOCK.
    pub fn add_data_tree(&mut self, leaves: &[Bid]) -> Result<Bid> {
        self.check()?;
        let max = self.max_block_data() as u16;
        let Some((_, init)) = leaves.split_last() else {
            return Ok(Bid(0));
        };
        for (i, b) in init.iter().enumerate() {
            let index = self.lookup(b.0, || format!("leaf {i} of a data tree:"), &[Kind::Data])?;
            if self.blocks[index].inflated != max {
                return Err(invalid(format!(
                    "leaf {i} of {} holds {} bytes; every leaf but the last must hold {max} (MS-PST 2.2.2.8.3.2)",
                    leaves.len(),
                    self.blocks[index].inflated
                )));
            }
        }
        match leaves {
            [one] => {
                self.lookup(one.0, || "the leaf of a data tree:".into(), &[Kind::Data])?;
                Ok(*one)
            }
            _ => {
                let bids: Vec<u64> = leaves.iter().map(|b| b.0).collect();
                self.put_tree(&bids).map(Bid)
            }
        }
    }

    /// For tests and fuzzing only: a data tree over `leaves` as given,
    /// which real writers must not make. Each leaf holds 0 to
    /// [`max_block_data`](Self::max_block_data) bytes, and unlike
    /// [`add_data_blocks`](Self::add_data_blocks) a leaf other than the
    /// last may be short (MS-PST 2.2.2.8.3.2 wants it full) and any may be
    /// empty (Outlook never writes an empty block). No leaves is `Bid(0)`;
    /// one is a data block of its own; more go under an XBLOCK (an XXBLOCK
    /// past [`max_block_data`](Self::max_block_data) / 8 of them) whose
    /// `lcbTotal` is the sum of their sizes. Everything else in the file
    /// stays well formed (trailers, CRCs, signatures, maps), so a reader
    /// test or a fuzz target reaches the checks of the data-tree and
    /// heap readers with the layouts MS-PST forbids.
    #[doc(hidden)]
    pub fn add_raw_data_tree(&mut self, leaves: &[&[u8]]) -> Result<Bid> {
        self.check()?;
        let max = self.max_block_data();
        if let Some(i) = leaves.iter().position(|l| l.len() > max) {
            return Err(invalid(format!("leaf {i} holds {} bytes, more than a block's {max}", leaves[i].len())));
        }
        let per = self.per_xblock();
        if leaves.len() > per * per {
            return Err(invalid(format!("{} leaves exceed the {} an XXBLOCK reaches", leaves.len(), per * per)));
        }
        let total: u64 = leaves.iter().map(|l| l.len() as u64).sum();
        if total > u64::from(u32::MAX) {
            return Err(invalid(format!("{total} bytes of leaves exceed what lcbTotal (4 bytes) counts")));
        }
        match leaves {
            [] => Ok(Bid(0)),
            [one] => self.put_block(one, Kind::Data).map(Bid),
            _ => {
                let mut bids = Vec::with_capacity(leaves.len());
                for l in leaves {
                    bids.push(self.put_leaf(l)?);
                }
                self.put_tree(&bids).map(Bid)
            }
        }
    }

    /// The XBLOCK (or XXBLOCK over XBLOCKs) over `leaves`, data blocks of
    /// this writer (full but the last, except from `add_raw_data_tree`):
    /// each `lcbTotal` is the sum of the sizes below it (MS-PST
    /// 2.2.2.8.3.2), taken from what was placed.
    fn put_tree(&mut self, leaves: &[u64]) -> Result<u64> {
        let per = self.per_xblock();
        let f = self.format;
        let mut index = Vec::with_capacity(leaves.len());
        for &bid in leaves {
            index.push(self.lookup(bid, || "data tree leaf".into(), &[Kind::Data])?);
        }
        // Bytes of data before 4K compression: what a reader's lcbTotal counts.
        let sizes: Vec<u64> = index.iter().map(|&i| u64::from(self.blocks[i].inflated)).collect();
        let total: u64 = sizes.iter().sum();
        if leaves.len().div_ceil(per) > per || total > u64::from(u32::MAX) {
            return Err(invalid(format!("{} leaves of {total} bytes do not fit an XXBLOCK", leaves.len())));
        }
        let mut xblocks = Vec::with_capacity(leaves.len().div_ceil(per));
        for (group, group_sizes) in leaves.chunks(per).zip(sizes.chunks(per)) {
            let lcb: u64 = group_sizes.iter().sum();
            let x = XBlockHeader::build(f, 1, lcb as u32, group);
            xblocks.push(self.put_block(&x, Kind::XBlock)?);
        }
        for i in index {
            self.add_ref(i);
        }
        if xblocks.len() == 1 {
            return Ok(xblocks[0]);
        }
        let xx = XBlockHeader::build(f, 2, total as u32, &xblocks);
        let top = self.put_block(&xx, Kind::XXBlock)?;
        for &bid in &xblocks {
            let i = self.lookup(bid, || "XBLOCK".into(), &[Kind::XBlock])?;
            self.add_ref(i);
        }
        Ok(top)
    }

    /// Writes a subnode tree (MS-PST 2.2.2.8.3.3) over `entries`, in any
    /// order: SLBLOCKs, and an SIBLOCK above them when more than one is
    /// needed. Every `bid_data` (if not 0) and `bid_sub` (if not 0) must be
    /// a block or tree of this writer; a NID may appear once. Returns the
    /// BID a node's `bidSub` takes.
    pub fn add_subnode_tree(&mut self, entries: &[SubnodeEntry]) -> Result<Bid> {
        self.check()?;
        if entries.is_empty() {
            return Err(invalid(
                "a subnode tree needs at least one entry (a node without subnodes has bidSub 0)".into(),
            ));
        }
        let f = self.format;
        let room = self.max_block_data() - SubnodeBlockHeader::size(f);
        let per_sl = room / SubnodeBlockHeader::entry_size(f, 0);
        let per_si = room / SubnodeBlockHeader::entry_size(f, 1);
        if entries.len() > per_sl * per_si {
            return Err(invalid(format!(
                "{} subnodes exceed the {} an SIBLOCK over SLBLOCKs holds",
                entries.len(),
                per_sl * per_si
            )));
        }
        let mut sorted: Vec<SubnodeEntry> = entries.to_vec();
        sorted.sort_by_key(|e| e.nid);
        if let Some(w) = sorted.windows(2).find(|w| w[0].nid == w[1].nid) {
            return Err(invalid(format!("subnode NID {:#x} appears twice in one subnode tree", w[0].nid)));
        }
        let mut refs = Vec::with_capacity(2 * sorted.len());
        for e in &sorted {
            if e.bid_data != 0 {
                refs.push(self.lookup(e.bid_data, || format!("bidData of subnode {:#x}:", e.nid), &DATA_KINDS)?);
            }
            if e.bid_sub != 0 {
                refs.push(self.lookup(e.bid_sub, || format!("bidSub of subnode {:#x}:", e.nid), &[Kind::Subnode])?);
            }
        }
        let mut leaves = Vec::new();
        for (start, len) in even_split(sorted.len(), per_sl) {
            let part: Vec<SlEntry> = sorted[start..start + len]
                .iter()
                .map(|e| SlEntry { nid: e.nid, bid_data: e.bid_data, bid_sub: e.bid_sub })
                .collect();
            let b = SubnodeBlockHeader::build_leaf(f, &part);
            leaves.push((part[0].nid, self.put_block(&b, Kind::Subnode)?));
        }
        for i in refs {
            self.add_ref(i);
        }
        for e in &sorted {
            self.note_nid(e.nid);
        }
        if leaves.len() == 1 {
            return Ok(Bid(leaves[0].1));
        }
        // SIBLOCK (MS-PST 2.2.2.8.3.3.2): one SIENTRY per SLBLOCK, keyed by its first NID.
        let mut b = vec![0u8; SubnodeBlockHeader::entry_at(leaves.len(), f, 1)];
        SubnodeBlockHeader { btype: BTYPE_SUBNODE, c_level: 1, c_ent: leaves.len() as u16 }.write(&mut b);
        for (i, &(nid, bid)) in leaves.iter().enumerate() {
            SiEntry { nid, bid }.write(&mut b[SubnodeBlockHeader::entry_at(i, f, 1)..], f);
        }
        let top = self.put_block(&b, Kind::Subnode)?;
        for &(_, bid) in &leaves {
            let i = self.lookup(bid, || "SLBLOCK".into(), &[Kind::Subnode])?;
            self.add_ref(i);
        }
        Ok(Bid(top))
    }

    /// Adds a node to the NBT. `bid_data` is a block or data tree of this
    /// writer (0 for none); `bid_sub` a subnode tree or 0. A NID added twice
    /// is an error at [`finish`](Self::finish).
    pub fn add_node(&mut self, nid: u32, bid_data: Bid, bid_sub: Bid, nid_parent: u32) -> Result<()> {
        self.check()?;
        let data = match bid_data.0 {
            0 => None,
            b => Some(self.lookup(b, || format!("bidData of node {nid:#x}:"), &DATA_KINDS)?),
        };
        let sub = match bid_sub.0 {
            0 => None,
            b => Some(self.lookup(b, || format!("bidSub of node {nid:#x}:"), &[Kind::Subnode])?),
        };
        for i in data.into_iter().chain(sub) {
            self.add_ref(i);
        }
        self.note_nid(nid);
        let plus_one = |i: Option<usize>| i.map_or(0, |i| i as u32 + 1);
        self.nodes.push(NodeRec { nid, nid_parent, data: plus_one(data), sub: plus_one(sub) });
        Ok(())
    }

    /// Builds the B-trees, writes the maps, the density list and the header
    /// and returns the file's bytes: for [`in_memory`](Self::in_memory).
    pub fn finish_to_vec(mut self) -> Result<Vec<u8>> {
        if !matches!(self.sink, Sink::Memory(_)) {
            return Err(invalid("finish_to_vec() is for a writer made by NdbWriter::in_memory; use finish()".into()));
        }
        let eof = self.write_trees_and_maps()?;
        self.sink.into_vec(eof).ok_or_else(|| invalid(format!("a file of {eof} bytes does not fit in memory")))
    }

    /// Builds the B-trees, writes the maps, the density list and the
    /// header, syncs (if asked), and renames the file over the target: for
    /// [`create`](Self::create). On error the target is as it was.
    pub fn finish(mut self) -> Result<()> {
        if !matches!(self.sink, Sink::File(_)) {
            return Err(invalid("finish() is for a writer made by NdbWriter::create; use finish_to_vec()".into()));
        }
        let eof = self.write_trees_and_maps()?;
        let fsync = self.fsync;
        self.sink.persist(eof, fsync)
    }

    /// Everything after the last block; returns `ibFileEof`.
    fn write_trees_and_maps(&mut self) -> Result<u64> {
        self.check()?;
        if let Some(i) = self.blocks.iter().position(|b| b.refs == 0) {
            let k = self.blocks[i].kind;
            return Err(invalid(format!(
                "{} {:#x} is referenced by no node, subnode or tree (it would be an orphan)",
                k.name(),
                NdbWriter::bid_of(i, k)
            )));
        }
        self.nodes.sort_unstable_by_key(|n| n.nid);
        if let Some(w) = self.nodes.windows(2).find(|w| w[0].nid == w[1].nid) {
            return Err(invalid(format!("node {:#x} was added twice", w[0].nid)));
        }
        let f = self.format;
        let mut next_page_bid = FIRST_PAGE_BID;
        let (nodes, blocks) = (&self.nodes, &self.blocks);
        let mut trees = Trees { format: f, place: &mut self.place, sink: &mut self.sink, next_bid: &mut next_page_bid };
        // MS-PST 2.2.2.7.7.4: NBTENTRY, dwPadding left 0.
        let nbt = trees.build(PTYPE_NBT, f.nbt_entry_size(), nodes.len(), |i, e| {
            let n = nodes[i];
            let bid = |plus_one: u32| match plus_one {
                0 => 0,
                i => NdbWriter::bid_of(i as usize - 1, blocks[i as usize - 1].kind),
            };
            NbtEntry { nid: n.nid, bid_data: bid(n.data), bid_sub: bid(n.sub), nid_parent: n.nid_parent }.write(e, f);
            u64::from(n.nid)
        });
        // MS-PST 2.2.2.7.7.3: BBTENTRY; cRef is the references plus one.
        let bbt = nbt.and_then(|nbt| {
            trees
                .build(PTYPE_BBT, f.bbt_entry_size(), blocks.len(), |i, e| {
                    let b = blocks[i];
                    let bid = NdbWriter::bid_of(i, b.kind);
                    let ib = u64::from(b.at) * f.block_alignment() as u64;
                    BbtEntry { bid, ib, cb: b.cb, c_ref: b.refs.saturating_add(1) }.write(e, f);
                    BbtEntry::write_cb_inflated(e, f, b.inflated);
                    bid
                })
                .map(|bbt| (nbt, bbt))
        });
        let (nbt, bbt) = match bbt {
            Ok(t) => t,
            Err(e) => return Err(self.io(e)),
        };
        let maps = match self.place.finish(&mut self.sink) {
            Ok(m) => m,
            Err(e) => return Err(self.io(e)),
        };
        // The density list (MS-PST 2.2.2.7.4) takes bidNextP's value.
        let bid_next_p = next_page_bid;
        let dl = self.dlist_page(&maps.free_units, bid_next_p);
        if let Err(e) = self.sink.write_at(f.dlist_offset(), &dl) {
            return Err(self.io(e));
        }
        // MS-PST 2.2.2.6, 2.2.2.7.5: the initial FMap, one byte per section
        // of the first 128 (0 past the file's end). Outlook 2007 and later
        // leave 0xFF there, which scanpst reports as stale (OpenOutlook's
        // findings); the exact values satisfy both readings.
        let mut rgb_fm = [0u8; HEADER_RGB_FM_LEN];
        for (b, &l) in rgb_fm.iter_mut().zip(&maps.longest_free) {
            *b = l;
        }
        let mut rgnid = [0u32; 32];
        for (t, n) in rgnid.iter_mut().enumerate() {
            *n = self.nid_max[t].max(rgnid_start(t as u8));
        }
        // 4K files are written as OSTs: every one known is an Outlook 2013+
        // OST (libpff's documentation, mythicsoft's note), and the readers
        // take the magic as they find it (libpff: PST or OST; libpst checks
        // only "!BDN").
        let magic_client = if f == Format::Unicode4k { MAGIC_CLIENT_OST } else { MAGIC_CLIENT_PST };
        let fields = HeaderFields {
            magic_client,
            w_ver: f.w_ver(),
            w_ver_client: W_VER_CLIENT,
            ib_file_eof: maps.eof,
            bref_nbt: nbt,
            bref_bbt: bbt,
            b_crypt_method: crypt_byte(self.crypt),
        };
        let state = HeaderState {
            b_platform_create: B_PLATFORM,
            b_platform_access: B_PLATFORM,
            bid_next_b: NdbWriter::bid_of(self.blocks.len(), Kind::Data),
            bid_next_p,
            dw_unique: self.dw_unique,
            rgnid,
            ib_amap_last: maps.ib_amap_last,
            cb_amap_free: maps.free_bytes,
            cb_pmap_free: 0,
            f_amap_valid: VALID_AMAP2,
            rgb_fm,
            rgb_fp: [0xFF; HEADER_RGB_FM_LEN],
        };
        let header = fields.encode_with(&state);
        if let Err(e) = self.sink.write_at(0, &header) {
            return Err(self.io(e));
        }
        Ok(maps.eof)
    }

    /// `DLISTPAGE` (MS-PST 2.2.2.7.4.2): the last section is the current
    /// page; the others with free units are listed, most free first.
    fn dlist_page(&self, free_units: &[u32], bid: u64) -> Vec<u8> {
        let f = self.format;
        let current = free_units.len().saturating_sub(1);
        let mut list: Vec<DListEntry> = free_units[..current]
            .iter()
            .enumerate()
            .filter(|(_, &u)| u > 0)
            .map(|(i, &u)| DListEntry { page: i as u32, free_slots: u.min(0xFFF) as u16 })
            .collect();
        list.sort_by(|a, b| b.free_slots.cmp(&a.free_slots).then(a.page.cmp(&b.page)));
        list.truncate(f.dlist_max_entries());
        let mut p = vec![0u8; f.page_size()];
        DListHeader { flags: DFL_BACKFILL_COMPLETE, c_ent: list.len() as u8, current_page: current as u32 }
            .write(&mut p);
        for (i, e) in list.iter().enumerate() {
            let at = DLIST_ENTRIES + 4 * i;
            p[at..at + 4].copy_from_slice(&e.to_u32().to_le_bytes());
        }
        PageTrailer::seal(&mut p, f, PTYPE_DL, f.dlist_offset(), bid);
        p
    }
}

/// Reads until `buf` is full or the reader ends.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// `n` items in pages of at most `max`, as evenly as possible: (start, len)
/// of each; one empty page for no items.
fn even_split(n: usize, max: usize) -> impl Iterator<Item = (usize, usize)> {
    let pages = n.div_ceil(max).max(1);
    let (base, extra) = (n / pages, n % pages);
    (0..pages).map(move |j| (j * base + j.min(extra), base + usize::from(j < extra)))
}

/// Writes B-tree pages bottom-up.
struct Trees<'a> {
    format: Format,
    place: &'a mut Placer,
    sink: &'a mut Sink,
    next_bid: &'a mut u64,
}

impl Trees<'_> {
    /// One page at a new offset and BID.
    fn page(&mut self, ptype: u8, level: u8, cb_ent: usize, entries: &[u8]) -> std::io::Result<Bref> {
        let f = self.format;
        let size = f.page_size();
        let ib = self.place.alloc(size as u64, size as u64, self.sink)?;
        let bid = *self.next_bid;
        *self.next_bid += 1;
        let mut p = vec![0u8; size];
        p[..entries.len()].copy_from_slice(entries);
        let c_ent_max = f.page().bt_entries / cb_ent;
        // MS-PST 2.2.2.7.7.1: cEnt, cEntMax, cbEnt, cLevel.
        let meta = BtPageMeta {
            c_ent: (entries.len() / cb_ent) as u16,
            c_ent_max: c_ent_max as u16,
            cb_ent: cb_ent as u8,
            c_level: level,
        };
        meta.write(&mut p, f);
        PageTrailer::seal(&mut p, f, ptype, ib, bid);
        self.sink.write_at(ib, &p)?;
        Ok(Bref { bid, ib })
    }

    /// The tree over `n` leaf entries of `cb_ent` bytes, `leaf(i, e)`
    /// writing entry `i` into `e` and returning its key: leaves, then
    /// levels of `BTENTRY`s (key = the child's first key, MS-PST
    /// 2.2.2.7.7.2) until one page is left. Returns the root.
    fn build(
        &mut self,
        ptype: u8,
        cb_ent: usize,
        n: usize,
        mut leaf: impl FnMut(usize, &mut [u8]) -> u64,
    ) -> std::io::Result<Bref> {
        let f = self.format;
        let area = f.page().bt_entries;
        let mut buf = vec![0u8; area];
        let mut level: Vec<BtEntry> = Vec::with_capacity(n.div_ceil(area / cb_ent));
        for (start, len) in even_split(n, area / cb_ent) {
            buf.fill(0);
            let mut first = 0;
            for i in 0..len {
                let key = leaf(start + i, &mut buf[i * cb_ent..(i + 1) * cb_ent]);
                if i == 0 {
                    first = key;
                }
            }
            let bref = self.page(ptype, 0, cb_ent, &buf[..len * cb_ent])?;
            level.push(BtEntry { btkey: first, bref });
        }
        let be = f.bt_entry_size();
        let mut c_level = 1u8;
        while level.len() > 1 {
            let mut up = Vec::with_capacity(level.len().div_ceil(area / be));
            for (start, len) in even_split(level.len(), area / be) {
                buf.fill(0);
                for (i, e) in level[start..start + len].iter().enumerate() {
                    e.write(&mut buf[i * be..], f);
                }
                let bref = self.page(ptype, c_level, be, &buf[..len * be])?;
                up.push(BtEntry { btkey: level[start].btkey, bref });
            }
            level = up;
            c_level += 1;
        }
        Ok(level[0].bref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_split_balances() {
        let v: Vec<(usize, usize)> = even_split(16, 15).collect();
        assert_eq!(v, vec![(0, 8), (8, 8)]);
        let v: Vec<(usize, usize)> = even_split(31, 15).collect();
        assert_eq!(v, vec![(0, 11), (11, 10), (21, 10)]);
        assert_eq!(even_split(0, 15).collect::<Vec<_>>(), vec![(0, 0)]);
        assert_eq!(even_split(15, 15).collect::<Vec<_>>(), vec![(0, 15)]);
    }

    #[test]
    fn bids_and_lookups() {
        let mut w = NdbWriter::in_memory(WriteOptions::default());
        let a = w.add_block(b"abc").expect("block");
        assert_eq!(a, Bid(4));
        let t = w.add_data(&vec![7u8; 9000]).expect("tree");
        assert_eq!(t, Bid(0x12), "two leaves (8, 0xC), then the XBLOCK, internal");
        assert!(w.add_node(0x21, Bid(0x10), Bid(0), 0).is_err(), "no such block");
        assert!(w.add_node(0x21, Bid(0x5), Bid(0), 0).is_err(), "reserved bit");
        assert!(w.add_node(0x21, a, t, 0).is_err(), "an XBLOCK is no subnode tree");
        let e = w.add_block(&[0u8; 8177]).unwrap_err();
        assert!(e.to_string().contains("8176"), "{e}");
        w.add_node(0x21, a, Bid(0), 0).expect("node");
        // The tree's leaves are referenced by it, the tree by nothing yet.
        let err = w.finish_to_vec().unwrap_err();
        assert!(err.to_string().contains("XBLOCK 0x12"), "{err}");
    }

    /// 4K: blocks hold 65,512 bytes; a node's only block is compressed
    /// whatever the encoding, a data tree's leaves only when unencoded.
    #[test]
    fn four_k_leaves_are_compressed_only_unencoded() {
        let text = b"deflates well, deflates well, deflates well. ".repeat(5000);
        let max = Format::Unicode4k.max_block_data();
        assert_eq!(max, 65_512);
        for crypt in [CryptMethod::None, CryptMethod::Permute] {
            let mut w = NdbWriter::in_memory(WriteOptions { format: Format::Unicode4k, crypt, fsync: false });
            assert_eq!(w.max_block_data(), max);
            let one = w.add_data(&text[..max]).expect("one block");
            let tree = w.add_data(&text[..2 * max + 10]).expect("a tree");
            let streamed = w.add_data_from(&mut &text[..max]).expect("one block, streamed");
            let streamed_tree = w.add_data_from(&mut &text[..2 * max + 10]).expect("a tree, streamed");
            let squeezed = |w: &NdbWriter, bid: Bid| {
                let r = w.blocks[(bid.0 >> 2) as usize - 1];
                usize::from(r.cb) < usize::from(r.inflated)
            };
            assert!(squeezed(&w, one) && squeezed(&w, streamed), "{crypt:?}: a lone block deflates");
            for tree in [tree, streamed_tree] {
                // Three leaves before the XBLOCK: two full ones and 10 bytes.
                let x = (tree.0 >> 2) as usize - 1;
                assert_eq!(w.blocks[x].kind, Kind::XBlock);
                for leaf in x - 3..x - 1 {
                    let r = w.blocks[leaf];
                    let plain = r.cb == r.inflated;
                    assert_eq!(plain, crypt != CryptMethod::None, "{crypt:?}: leaf {leaf} {r:?}");
                }
            }
        }
    }

    #[test]
    fn writer_is_send() {
        fn check<T: Send>() {}
        check::<NdbWriter>();
    }

    #[test]
    fn bookkeeping_is_small() {
        // What the writer keeps per block and per node (the brief: about 40 bytes).
        assert!(std::mem::size_of::<BlockRec>() <= 12);
        assert!(std::mem::size_of::<NodeRec>() <= 16);
    }

    /// ANSI: 32-bit BIDs, blocks of up to 8,180 bytes, trees of 8,180-byte
    /// leaves, read back by our reader.
    #[test]
    fn ansi_blocks_and_trees() {
        let opts = WriteOptions { format: Format::Ansi, crypt: CryptMethod::Permute, fsync: false };
        let mut w = NdbWriter::in_memory(opts);
        assert_eq!(w.max_block_data(), 8180);
        assert!(w.add_block(&[1u8; 8181]).is_err());
        let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let tree = w.add_data(&data).expect("tree");
        let x = (tree.0 >> 2) as usize - 1;
        assert_eq!(w.blocks[x].kind, Kind::XBlock);
        let sizes: Vec<u16> = (x - 3..x).map(|i| w.blocks[i].inflated).collect();
        assert_eq!(sizes, vec![8180, 8180, 3640]);
        w.add_node(0x21, tree, Bid(0), 0).expect("node");
        let file = w.finish_to_vec().expect("finish");
        let pst = crate::Pst::from_bytes("ansi.pst", file).expect("opens");
        assert_eq!(pst.header().format, Format::Ansi);
        assert!(pst.problems().is_empty(), "{:?}", pst.problems());
        let node = pst.node(0x21).expect("NBT").expect("node");
        assert!(pst.read_node_data(&node).expect("data")[..] == data[..]);
    }

    /// The escape for tests and fuzzing: leaves of any size, empty ones
    /// too, under an XBLOCK whose lcbTotal is their sum; in every layout.
    #[test]
    fn raw_data_trees_take_odd_leaves() {
        for format in [Format::Ansi, Format::Unicode, Format::Unicode4k] {
            let mut w = NdbWriter::in_memory(WriteOptions { format, crypt: CryptMethod::Cyclic, fsync: false });
            let long = vec![9u8; 100];
            let odd = w.add_raw_data_tree(&[b"abc", b"", &long]).expect("odd tree");
            assert!(odd.is_internal(), "{format:?}: an XBLOCK");
            let empty = w.add_raw_data_tree(&[b""]).expect("one empty leaf");
            assert!(!empty.is_internal());
            assert_eq!(w.add_raw_data_tree(&[]).expect("none"), Bid(0));
            let too_big = vec![0u8; w.max_block_data() + 1];
            assert!(w.add_raw_data_tree(&[b"x", &too_big]).is_err());
            // Many short leaves: past one XBLOCK's worth, an XXBLOCK.
            let per = w.per_xblock();
            let many: Vec<&[u8]> = (0..per + 2).map(|_| &b"ab"[..]).collect();
            let deep = w.add_raw_data_tree(&many).expect("many leaves");
            let x = (deep.0 >> 2) as usize - 1;
            assert_eq!(w.blocks[x].kind, Kind::XXBlock, "{format:?}");
            w.add_node(0x21, odd, Bid(0), 0).expect("node");
            w.add_node(0x41, empty, Bid(0), 0).expect("node");
            w.add_node(0x61, deep, Bid(0), 0).expect("node");
            let pst = crate::Pst::from_bytes("raw.pst", w.finish_to_vec().expect("finish")).expect("opens");
            let read = |nid: u32| {
                let node = pst.node(nid).expect("NBT").expect("node");
                let tree = pst.data_tree(&node).expect("tree");
                (tree.declared_len(), tree.block_count(), tree.read_all().expect("data").into_owned())
            };
            let (len, blocks, data) = read(0x21);
            assert_eq!((len, blocks), (103, 3), "{format:?}");
            assert_eq!(&data[..3], b"abc");
            assert!(data[3..] == long[..]);
            assert_eq!(read(0x41), (0, 1, Vec::new()), "{format:?}");
            let (len, blocks, data) = read(0x61);
            assert_eq!((len, blocks), (2 * (per as u64 + 2), per + 2), "{format:?}");
            assert!(data.chunks(2).all(|c| c == b"ab"));
        }
    }
}
