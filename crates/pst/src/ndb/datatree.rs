//! Data trees (MS-PST 2.2.2.8.3.2): a node's data either in one block or
//! spread over the leaves of an XBLOCK / XXBLOCK tree.

use std::borrow::Cow;

use super::header::read_ib;
use super::Ndb;
use crate::error::{CResult, Corrupt};
use crate::raw::{Bid, XBlockHeader, BTYPE_XBLOCK};

/// A node's data as an ordered list of data blocks, read lazily.
#[derive(Clone, Debug)]
pub struct DataTree<'a> {
    ndb: Ndb<'a>,
    /// The BIDs of the data blocks, in order.
    leaves: Vec<u64>,
    /// `lcbTotal` of the top XBLOCK / XXBLOCK, or the single block's size.
    total: u64,
    /// The single block, already read when the tree is one block.
    single: Option<Cow<'a, [u8]>>,
}

impl<'a> DataTree<'a> {
    /// The data tree rooted at `bid` (0 = no data).
    pub fn open(ndb: Ndb<'a>, bid: u64) -> CResult<DataTree<'a>> {
        if bid == 0 {
            return Ok(DataTree { ndb, leaves: Vec::new(), total: 0, single: None });
        }
        let top = ndb.block(bid)?;
        if !Bid(bid).is_internal() {
            let total = top.len() as u64;
            return Ok(DataTree { ndb, leaves: vec![bid], total, single: Some(top) });
        }
        let (level, total, children) = parse_xblock(&top, ndb, bid)?;
        let leaves = match level {
            1 => children,
            2 => {
                let mut leaves = Vec::new();
                for child in children {
                    let blk = ndb.block(child)?;
                    let (l, _, grand) = parse_xblock(&blk, ndb, child)?;
                    if l != 1 {
                        return Err(Corrupt::new(
                            "XXBLOCK",
                            offset_of(ndb, child),
                            format!("child XBLOCK {child:#x} has cLevel {l}"),
                        ));
                    }
                    leaves.extend(grand);
                }
                leaves
            }
            l => return Err(Corrupt::new("XBLOCK", offset_of(ndb, bid), format!("cLevel {l} (1 or 2 expected)"))),
        };
        // A leaf listed twice would let a small file claim gigabytes
        // (lcbTotal is a u32); a real data tree never repeats a block.
        let mut seen = std::collections::HashSet::with_capacity(leaves.len());
        if let Some(dup) = leaves.iter().find(|b| !seen.insert(Bid(**b).key())) {
            return Err(Corrupt::new("XBLOCK", offset_of(ndb, bid), format!("data block {dup:#x} is listed twice")));
        }
        Ok(DataTree { ndb, leaves, total, single: None })
    }

    /// Number of data blocks.
    pub fn block_count(&self) -> usize {
        self.leaves.len()
    }

    /// The data of block `i`.
    pub fn block(&self, i: usize) -> CResult<Cow<'a, [u8]>> {
        if let (Some(s), 0) = (&self.single, i) {
            return Ok(s.clone());
        }
        let bid = *self.leaves.get(i).ok_or_else(|| Corrupt::new("data tree", 0, format!("no block {i}")))?;
        self.ndb.block(bid)
    }

    /// The declared total size (`lcbTotal`).
    pub fn declared_len(&self) -> u64 {
        self.total
    }

    /// All the data, concatenated; an error if the blocks hold fewer bytes
    /// than `lcbTotal` declares, cut at `lcbTotal` if they hold more.
    pub fn read_all(&self) -> CResult<Cow<'a, [u8]>> {
        if let Some(s) = &self.single {
            return Ok(s.clone());
        }
        // Room for what the blocks can hold, never more than the file: the
        // declared size alone is not to be trusted.
        let most = (self.leaves.len() as u64).saturating_mul(self.ndb.header.format.max_block_data() as u64);
        let mut out: Vec<u8> = Vec::with_capacity(self.total.min(most).min(self.ndb.file.len() as u64) as usize);
        for &bid in &self.leaves {
            self.ndb.block_into(bid, &mut out)?;
            if out.len() as u64 >= self.total {
                break;
            }
        }
        out.truncate(self.total as usize);
        if (out.len() as u64) < self.total {
            return Err(Corrupt::new(
                "XBLOCK",
                offset_of(self.ndb, self.leaves.first().copied().unwrap_or(0)),
                format!("lcbTotal {} but the data blocks hold {} bytes", self.total, out.len()),
            ));
        }
        Ok(Cow::Owned(out))
    }

    /// A reader over the data that reads one block at a time.
    pub fn reader(&self) -> DataReader<'_, 'a> {
        DataReader { tree: self, index: 0, current: None, pos: 0, produced: 0 }
    }
}

/// Reads a data tree's bytes block by block (`std::io::Read`), stopping at
/// `lcbTotal`. A block that cannot be read is an `InvalidData` I/O error.
pub struct DataReader<'t, 'a> {
    tree: &'t DataTree<'a>,
    index: usize,
    current: Option<Cow<'a, [u8]>>,
    pos: usize,
    produced: u64,
}

impl std::io::Read for DataReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.produced >= self.tree.total {
                return Ok(0);
            }
            if let Some(cur) = &self.current {
                if self.pos < cur.len() {
                    let left = (self.tree.total - self.produced) as usize;
                    let n = buf.len().min(cur.len() - self.pos).min(left);
                    buf[..n].copy_from_slice(&cur[self.pos..self.pos + n]);
                    self.pos += n;
                    self.produced += n as u64;
                    return Ok(n);
                }
            }
            if self.index >= self.tree.leaves.len() {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "data tree shorter than lcbTotal"));
            }
            let b = self.tree.block(self.index).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            self.index += 1;
            self.current = Some(b);
            self.pos = 0;
        }
    }
}

fn offset_of(ndb: Ndb<'_>, bid: u64) -> u64 {
    ndb.bbt(bid).ok().flatten().map_or(0, |e| e.ib)
}

/// `XBLOCK` / `XXBLOCK` (MS-PST 2.2.2.8.3.2.1-2): btype, cLevel, cEnt,
/// lcbTotal, rgbid. Returns (cLevel, lcbTotal, rgbid).
fn parse_xblock(data: &[u8], ndb: Ndb<'_>, bid: u64) -> CResult<(u8, u64, Vec<u64>)> {
    let err = |r: String| Corrupt::new("XBLOCK", offset_of(ndb, bid), r);
    if data.is_empty() {
        return Err(err("empty block".into()));
    }
    let Some(h) = XBlockHeader::parse(data) else {
        return Err(if data[0] != BTYPE_XBLOCK {
            err(format!("internal block {bid:#x} has btype {:#04x}, not an XBLOCK", data[0]))
        } else {
            err("too short".into())
        });
    };
    if h.btype != BTYPE_XBLOCK {
        return Err(err(format!("internal block {bid:#x} has btype {:#04x}, not an XBLOCK", h.btype)));
    }
    let format = ndb.header.format;
    let c_ent = usize::from(h.c_ent);
    if XBlockHeader::bid_at(c_ent, format) > data.len() {
        return Err(err(format!("cEnt {c_ent} does not fit in {} bytes", data.len())));
    }
    let bids = (0..c_ent).filter_map(|i| read_ib(data, XBlockHeader::bid_at(i, format), format)).collect();
    Ok((h.c_level, u64::from(h.lcb_total), bids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ndb::block::tests::build_block;
    use crate::ndb::btree::BbtEntry;
    use crate::ndb::crypt::CryptMethod;
    use crate::ndb::header::{tests::unicode_header, Bref, Format, Header};
    use crate::ndb::page::tests::build_bt_page;
    use crate::ndb::page::PTYPE_BBT;
    use std::io::Read;

    /// A Unicode file holding `blocks` (bid, data) and a BBT leaf for them.
    fn file_with_blocks(blocks: &[(u64, Vec<u8>)]) -> (Vec<u8>, Header) {
        let mut file = vec![0u8; 1024];
        let mut entries = Vec::new();
        for (bid, data) in blocks {
            let ib = file.len() as u64;
            file.extend(build_block(Format::Unicode, ib, *bid, data, 0));
            let mut e = vec![0u8; Format::Unicode.bbt_entry_size()];
            BbtEntry { bid: *bid, ib, cb: data.len() as u16, c_ref: 1 }.write(&mut e, Format::Unicode);
            entries.push((*bid, e));
        }
        entries.sort_by_key(|e| e.0);
        let bbt_ib = file.len() as u64;
        let page: Vec<Vec<u8>> = entries.into_iter().map(|e| e.1).collect();
        file.extend(build_bt_page(Format::Unicode, PTYPE_BBT, bbt_ib, 0x8, 0, 24, &page));
        let h = unicode_header(23, 0, Bref { bid: 0x4, ib: 512 }, Bref { bid: 0x8, ib: bbt_ib }, file.len() as u64);
        file[..h.len()].copy_from_slice(&h);
        let header = Header::parse(&file).expect("header");
        assert_eq!(header.crypt_method, CryptMethod::None);
        (file, header)
    }

    fn xblock(level: u8, total: u32, bids: &[u64]) -> Vec<u8> {
        XBlockHeader::build(Format::Unicode, level, total, bids)
    }

    #[test]
    fn xxblock_tree_concatenates_in_order() {
        let (a, b, c) = (vec![b'a'; 100], vec![b'b'; 50], vec![b'c'; 30]);
        let blocks = vec![
            (0x10, a.clone()),
            (0x14, b.clone()),
            (0x18, c.clone()),
            (0x22, xblock(1, 150, &[0x10, 0x14])),
            (0x26, xblock(1, 30, &[0x18])),
            (0x2A, xblock(2, 180, &[0x22, 0x26])),
        ];
        let (file, header) = file_with_blocks(&blocks);
        let ndb = Ndb { file: &file, header: &header, recovered: None, salvage: None, pages: None };
        let tree = DataTree::open(ndb, 0x2A).expect("tree");
        assert_eq!(tree.block_count(), 3);
        assert_eq!(tree.declared_len(), 180);
        let all = tree.read_all().expect("all");
        assert_eq!(&all[..], &[a, b, c].concat()[..]);
        let mut streamed = Vec::new();
        tree.reader().read_to_end(&mut streamed).expect("reader");
        assert_eq!(streamed, all.into_owned());
        // One external block is its own data tree.
        assert_eq!(DataTree::open(ndb, 0x18).expect("single").read_all().expect("data").len(), 30);
        assert_eq!(DataTree::open(ndb, 0).expect("empty").block_count(), 0);
    }

    #[test]
    fn bad_trees_are_errors() {
        let blocks = vec![
            (0x10, vec![1u8; 10]),
            (0x22, xblock(1, 10_000, &[0x10])),   // lcbTotal larger than the data
            (0x26, xblock(1, 20, &[0x10, 0x10])), // a leaf listed twice
            (0x2A, xblock(3, 10, &[0x10])),       // no such level
            (0x2E, vec![0x01, 0x01, 0xFF, 0xFF]), // cEnt past the block
            (0x32, xblock(2, 10, &[0x10])),       // XXBLOCK over a data block
        ];
        let (file, header) = file_with_blocks(&blocks);
        let ndb = Ndb { file: &file, header: &header, recovered: None, salvage: None, pages: None };
        assert!(DataTree::open(ndb, 0x22).expect("opens").read_all().is_err());
        for bid in [0x26, 0x2A, 0x2E, 0x32, 0x99] {
            assert!(DataTree::open(ndb, bid).is_err(), "{bid:#x}");
        }
    }
}
