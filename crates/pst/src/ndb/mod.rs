//! The node database layer (MS-PST 2.2): header, pages, blocks, the two
//! B-trees, data trees and subnode trees.
//!
//! Everything here reads from a `&[u8]` holding the whole file and returns
//! [`Corrupt`] errors naming the structure and its offset.

pub mod block;
pub mod btree;
pub mod crc;
pub mod crypt;
pub mod datatree;
pub mod header;
pub mod page;
pub mod recover;
pub mod salvage;
pub mod subnode;
pub mod write;

use std::borrow::Cow;

use crate::error::{CResult, Corrupt};
use btree::{BbtEntry, NbtEntry};
use header::Header;

/// The file's bytes and header: what every NDB lookup needs.
#[derive(Clone, Copy, Debug)]
pub struct Ndb<'a> {
    /// The whole file.
    pub file: &'a [u8],
    /// Its header.
    pub header: &'a Header,
    /// Block entries recovered from free space ([`recover`]): consulted
    /// only for BIDs the BBT does not hold, so that nodes rebuilt from
    /// deleted index entries can be read. `None` outside recovery.
    pub recovered: Option<&'a recover::RecoveredBlocks>,
    /// The salvage scan of a damaged file ([`salvage`]): made when a
    /// B-tree lookup meets a page that fails its checks, and asked in the
    /// tree's stead from then on. `None`: errors are errors.
    pub salvage: Option<&'a salvage::SalvageCell>,
    /// B-tree pages whose CRC was found right already ([`page::PageCache`]).
    pub pages: Option<&'a page::PageCache>,
}

impl<'a> Ndb<'a> {
    /// The node `nid` from the NBT, if present. A walk that meets a damaged
    /// page answers from the salvage scan, when there is one.
    pub fn node(&self, nid: u32) -> CResult<Option<NbtEntry>> {
        match btree::lookup_nbt_in(self.file, self.header.format, self.header.bref_nbt, nid, self.pages) {
            Err(e) => {
                let found = self.salvage_after(e)?.node(nid);
                if let (Some(cell), Some(_)) = (self.salvage, found) {
                    cell.answered(nid);
                }
                Ok(found)
            }
            found => found,
        }
    }

    /// The BBT entry of `bid`, if present; like [`Ndb::node`], from the
    /// salvage scan past a damaged page.
    pub fn bbt(&self, bid: u64) -> CResult<Option<BbtEntry>> {
        match btree::lookup_bbt_in(self.file, self.header.format, self.header.bref_bbt, bid, self.pages) {
            Err(e) => Ok(self.salvage_after(e)?.bbt(bid)),
            found => found,
        }
    }

    /// [`block`](Self::block)'s data appended to `out`, decoded straight
    /// from the map into it; where that fails, as [`block`](Self::block)
    /// reads it (the salvage scan's copy, a recovered block, the error).
    pub fn block_into(&self, bid: u64, out: &mut Vec<u8>) -> CResult<()> {
        let at = out.len();
        if let Some(entry) = self.bbt(bid)? {
            let h = self.header;
            if block::read_block_into(self.file, h.format, h.crypt_method, &entry, out).is_ok() {
                return Ok(());
            }
            out.truncate(at);
        }
        out.extend_from_slice(&self.block(bid)?);
        Ok(())
    }

    /// The salvage scan, made now if needed, after the B-tree error `e`
    /// (recorded as damage); `e` itself without a salvage cell.
    fn salvage_after(&self, e: Corrupt) -> CResult<&'a salvage::Salvage> {
        let Some(cell) = self.salvage else {
            return Err(e);
        };
        cell.record(&e);
        Ok(cell.get_or_build(*self))
    }

    /// The decoded data of block `bid`; a BID missing from the BBT is an
    /// error. A block that fails its checks where the BBT has it is read
    /// where the salvage scan (if one was made) found it instead.
    pub fn block(&self, bid: u64) -> CResult<Cow<'a, [u8]>> {
        let Some(entry) = self.bbt(bid)? else {
            if let Some(data) = self.recovered.and_then(|r| r.read(*self, bid)) {
                return Ok(data);
            }
            return Err(Corrupt::new(
                "BBT",
                self.header.bref_bbt.ib,
                format!("block {bid:#x} is not in the block B-tree"),
            ));
        };
        let h = self.header;
        block::read_block(self.file, h.format, h.crypt_method, &entry).or_else(|e| {
            match self.salvage.and_then(|c| c.get()).and_then(|s| s.bbt(bid)).filter(|s| s.ib != entry.ib) {
                Some(other) => block::read_block(self.file, h.format, h.crypt_method, &other),
                None => Err(e),
            }
        })
    }
}

/// A node: a top-level one from the NBT, or a subnode of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeRef {
    /// The node's NID.
    pub nid: u32,
    /// Its data block or data tree (`bidData`).
    pub bid_data: u64,
    /// Its subnode tree (`bidSub`, 0 if none).
    pub bid_sub: u64,
    /// `nidParent` for NBT nodes; `None` for subnodes.
    pub nid_parent: Option<u32>,
}
