//! Subnode trees (MS-PST 2.2.2.8.3.3): the nodes private to a node
//! (attachments, recipients table, large property values ...), held in
//! SLBLOCK leaves under at most a few SIBLOCK levels.

use super::Ndb;
use crate::error::{CResult, Corrupt};
use crate::raw::{SiEntry, SlEntry, SubnodeBlockHeader, BTYPE_SUBNODE};

/// `SLENTRY` (MS-PST 2.2.2.8.3.3.1.1): a subnode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubnodeEntry {
    /// `nid` (low 32 bits).
    pub nid: u32,
    /// `bidData`.
    pub bid_data: u64,
    /// `bidSub`: the subnode's own subnode tree, 0 if none.
    pub bid_sub: u64,
}

struct SubBlock {
    level: u8,
    /// (nid, bid, bid_sub): for SIBLOCK entries `bid` is the child block.
    entries: Vec<(u32, u64, u64)>,
}

fn parse(ndb: Ndb<'_>, bid: u64) -> CResult<SubBlock> {
    let data = ndb.block(bid)?;
    let off = ndb.bbt(bid).ok().flatten().map_or(0, |e| e.ib);
    let err = |r: String| Corrupt::new("SLBLOCK", off, r);
    let Some(&btype) = data.first() else {
        return Err(err("empty block".into()));
    };
    if btype != BTYPE_SUBNODE {
        return Err(err(format!("block {bid:#x} has btype {btype:#04x}, not a subnode block")));
    }
    let h = SubnodeBlockHeader::parse(&data).ok_or_else(|| err("too short".into()))?;
    let (level, c_ent) = (h.c_level, usize::from(h.c_ent));
    let format = ndb.header.format;
    // Unicode SLBLOCK/SIBLOCK have a 4-byte dwPadding after cEnt; ANSI none.
    if SubnodeBlockHeader::entry_at(c_ent, format, level) > data.len() {
        return Err(err(format!("cEnt {c_ent} does not fit in {} bytes", data.len())));
    }
    let mut entries = Vec::with_capacity(c_ent);
    for i in 0..c_ent {
        let e = &data[SubnodeBlockHeader::entry_at(i, format, level)..];
        let entry = if level == 0 {
            SlEntry::parse(e, format).map(|s| (s.nid, s.bid_data, s.bid_sub))
        } else {
            SiEntry::parse(e, format).map(|s| (s.nid, s.bid, 0))
        };
        entries.push(entry.ok_or_else(|| err("entry too short".into()))?);
    }
    Ok(SubBlock { level, entries })
}

/// Looks `nid` up in the subnode tree rooted at `bid_sub`.
pub fn lookup_subnode(ndb: Ndb<'_>, bid_sub: u64, nid: u32) -> CResult<Option<SubnodeEntry>> {
    let mut bid = bid_sub;
    let mut above: Option<u8> = None;
    for _ in 0..super::btree::MAX_DEPTH {
        if bid == 0 {
            return Ok(None);
        }
        let blk = parse(ndb, bid)?;
        if let Some(a) = above {
            if blk.level + 1 != a {
                return Err(Corrupt::new("SIBLOCK", 0, format!("child level {} under level {a}", blk.level)));
            }
        }
        if blk.level == 0 {
            return Ok(blk.entries.iter().find(|e| e.0 == nid).map(|&(nid, bid_data, bid_sub)| SubnodeEntry {
                nid,
                bid_data,
                bid_sub,
            }));
        }
        // SIENTRY (MS-PST 2.2.2.8.3.3.2.1): the last entry whose nid <= ours.
        match blk.entries.iter().rev().find(|e| e.0 <= nid) {
            Some(e) => bid = e.1,
            None => return Ok(None),
        }
        above = Some(blk.level);
    }
    Err(Corrupt::new("SIBLOCK", 0, "subnode tree too deep"))
}

/// Every subnode in the tree rooted at `bid_sub`, in tree order.
pub fn list_subnodes(ndb: Ndb<'_>, bid_sub: u64) -> CResult<Vec<SubnodeEntry>> {
    let mut out = Vec::new();
    let mut visited = Vec::new();
    walk(ndb, bid_sub, None, 0, &mut visited, &mut out)?;
    Ok(out)
}

fn walk(
    ndb: Ndb<'_>,
    bid: u64,
    above: Option<u8>,
    depth: usize,
    visited: &mut Vec<u64>,
    out: &mut Vec<SubnodeEntry>,
) -> CResult<()> {
    if bid == 0 {
        return Ok(());
    }
    if depth >= super::btree::MAX_DEPTH || visited.contains(&bid) {
        return Err(Corrupt::new("SIBLOCK", 0, format!("subnode block {bid:#x} repeats or is too deep")));
    }
    visited.push(bid);
    let blk = parse(ndb, bid)?;
    if let Some(a) = above {
        if blk.level + 1 != a {
            return Err(Corrupt::new("SIBLOCK", 0, format!("child level {} under level {a}", blk.level)));
        }
    }
    if blk.level == 0 {
        out.extend(blk.entries.iter().map(|&(nid, bid_data, bid_sub)| SubnodeEntry { nid, bid_data, bid_sub }));
        return Ok(());
    }
    for &(_, child, _) in &blk.entries {
        walk(ndb, child, Some(blk.level), depth + 1, visited, out)?;
    }
    Ok(())
}
