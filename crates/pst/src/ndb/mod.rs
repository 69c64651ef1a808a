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
}

impl<'a> Ndb<'a> {
    /// The node `nid` from the NBT, if present.
    pub fn node(&self, nid: u32) -> CResult<Option<NbtEntry>> {
        btree::lookup_nbt(self.file, self.header.format, self.header.bref_nbt, nid)
    }

    /// The BBT entry of `bid`, if present.
    pub fn bbt(&self, bid: u64) -> CResult<Option<BbtEntry>> {
        btree::lookup_bbt(self.file, self.header.format, self.header.bref_bbt, bid)
    }

    /// [`block`](Self::block)'s data appended to `out`, decoded straight
    /// from the map into it.
    pub fn block_into(&self, bid: u64, out: &mut Vec<u8>) -> CResult<()> {
        match self.bbt(bid)? {
            Some(entry) => block::read_block_into(self.file, self.header.format, self.header.crypt_method, &entry, out),
            None => {
                out.extend_from_slice(&self.block(bid)?);
                Ok(())
            }
        }
    }

    /// The decoded data of block `bid`; a BID missing from the BBT is an error.
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
        block::read_block(self.file, self.header.format, self.header.crypt_method, &entry)
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
