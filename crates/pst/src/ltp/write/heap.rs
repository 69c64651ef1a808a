//! Building a heap-on-node (MS-PST 2.3.1): allocations packed into data
//! blocks, each block ending in its page map.

use super::{BlockSink, Leaf, LtpWriteError, WResult, MAX_ALLOC};
use crate::ltp::heap::{Hid, HN_SIG};
use crate::raw::Format;

/// `HNHDR`: ibHnpm, bSig, bClientSig, hidUserRoot, rgbFillLevel (MS-PST 2.3.1.2).
const HNHDR_SIZE: usize = 12;
/// `HNPAGEHDR`: ibHnpm (MS-PST 2.3.1.3).
const HNPAGEHDR_SIZE: usize = 2;
/// `HNBITMAPHDR`: ibHnpm and 64 bytes of fill levels (MS-PST 2.3.1.4).
const HNBITMAPHDR_SIZE: usize = 66;

/// The HID of allocation `index` (1-based) in block `block` (MS-PST
/// 2.3.1.1): `hidType` 0, `hidIndex` 11 bits, `hidBlockIndex` 16 bits. 4K
/// files move `hidBlockIndex` up to bits 19-31; what bits 16-18 are is read
/// two ways (libpff: the top of a 14-bit `hidIndex`, as
/// [`Hid::decode`] reads them; libpst and java pstreader, after
/// mythicsoft's note: flags, with an 11-bit `hidIndex`), so the writer
/// leaves them 0 and keeps `hidIndex` to 11 bits (`hid_limits`), which
/// all three read alike.
pub fn encode_hid(format: Format, index: u32, block: u32) -> u32 {
    match format {
        Format::Unicode4k => (block << 19) | ((index & 0x7FF) << 5),
        _ => crate::raw::Hid::new(index as u16, block as u16).0,
    }
}

/// The most allocations in one block and the most blocks in one heap: what
/// the HID's bit fields can name (in 4K files, 11 bits of `hidIndex` as
/// every reader reads them, see [`encode_hid`], and 13 of
/// `hidBlockIndex`).
fn hid_limits(format: Format) -> (usize, usize) {
    match format {
        Format::Unicode4k => (0x7FF, 0x2000),
        _ => (0x7FF, 0x1_0000),
    }
}

/// The fill level of a block with `free` bytes left (MS-PST 2.3.1.2
/// rgbFillLevel): 0 (`FILL_LEVEL_EMPTY`) for 3584 free bytes or more, up
/// to 0xF (`FILL_LEVEL_FULL`) for fewer than 8.
pub fn fill_level(free: usize) -> u8 {
    const AT_LEAST: [usize; 15] = [3584, 2560, 2048, 1792, 1536, 1280, 1024, 768, 512, 256, 128, 64, 32, 16, 8];
    AT_LEAST.iter().position(|&n| free >= n).unwrap_or(15) as u8
}

/// The header a block starts with (MS-PST 2.3.1.3, 2.3.1.4): `HNHDR` on
/// block 0, `HNBITMAPHDR` on block 8 and every 128th after, `HNPAGEHDR`
/// elsewhere.
fn header_size(block: usize) -> usize {
    if block == 0 {
        HNHDR_SIZE
    } else if block >= 8 && (block - 8).is_multiple_of(128) {
        HNBITMAPHDR_SIZE
    } else {
        HNPAGEHDR_SIZE
    }
}

/// How many of the last blocks an allocation may go to (besides the held
/// ones).
const RECENT: usize = 16;

/// Blocks 0 and every bitmap block hold the fill levels of blocks after
/// them: a streaming heap keeps them until it is finished.
fn held(block: usize) -> bool {
    header_size(block) != HNPAGEHDR_SIZE
}

#[derive(Clone, Debug)]
struct Block {
    allocs: Vec<Vec<u8>>,
    /// Header plus allocations.
    used: usize,
    /// Written already ([`HeapBuilder::flush`]): its BID and fill level.
    written: Option<(u64, u8)>,
}

impl Block {
    fn new(index: usize) -> Block {
        Block { allocs: Vec::new(), used: header_size(index), written: None }
    }

    /// The bytes the block takes with `extra` more bytes in `more` more
    /// allocations: header, allocations, the pad that aligns the page map
    /// to 2 bytes, and the page map (cAlloc, cFree, rgibAlloc[cAlloc + 1]).
    fn size_with(&self, extra: usize, more: usize) -> usize {
        (self.used + extra).next_multiple_of(2) + 4 + 2 * (self.allocs.len() + more + 1)
    }
}

/// A heap-on-node under construction: [`alloc`](Self::alloc) returns HIDs,
/// [`finish`](Self::finish) lays out the blocks.
#[derive(Clone, Debug)]
pub struct HeapBuilder {
    format: Format,
    client_sig: u8,
    user_root: u32,
    blocks: Vec<Block>,
    capacity: usize,
    /// Blocks below this index are written ([`flush`](Self::flush)) but
    /// the [`held`] ones, which take allocations still.
    flushed: usize,
}

impl HeapBuilder {
    /// An empty heap whose client is `client_sig` (`bTypePC` 0xBC, `bTypeTC`
    /// 0x7C, `bTypeBTH` 0xB5: [`crate::ltp::heap::BTYPE_PC`] ...).
    pub fn new(format: Format, client_sig: u8) -> HeapBuilder {
        // ibHnpm and rgibAlloc are 16-bit offsets: a block's heap part stays below 64 KiB.
        let capacity = format.max_block_data().min(0xFFFE);
        HeapBuilder { format, client_sig, user_root: 0, blocks: vec![Block::new(0)], capacity, flushed: 0 }
    }

    /// The format whose HID layout the heap uses.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Sets `hidUserRoot`, the client's root allocation.
    pub fn set_user_root(&mut self, hid: u32) {
        self.user_root = hid;
    }

    /// Allocates `data` (at most [`MAX_ALLOC`] bytes) in the first block
    /// with room for it, opening a new block when none has, and returns
    /// its HID.
    pub fn alloc(&mut self, data: &[u8]) -> WResult<u32> {
        if data.len() > MAX_ALLOC {
            return Err(LtpWriteError::new(
                "HN allocation",
                format!("{} bytes, more than the {MAX_ALLOC} a heap allocation can hold", data.len()),
            ));
        }
        let (max_allocs, max_blocks) = hid_limits(self.format);
        let cap = self.capacity;
        let fits = |b: &Block| b.allocs.len() < max_allocs && b.size_with(data.len(), 1) <= cap;
        // First fit among the blocks not written yet: block 0, the held
        // bitmap blocks, and the last few (a heap of many blocks, such as a
        // large message index, would otherwise be scanned whole for each
        // allocation; what a block further back has left is small).
        let held = std::iter::once(0).chain((8..self.flushed).step_by(128));
        let recent = self.blocks.len().saturating_sub(RECENT).max(self.flushed).max(1);
        let mut open = held.chain(recent..self.blocks.len());
        let at = match open.find(|&i| fits(&self.blocks[i])) {
            Some(i) => i,
            None => {
                if self.blocks.len() >= max_blocks {
                    return Err(LtpWriteError::new(
                        "HN",
                        format!("the heap would need more than the {max_blocks} blocks a HID can name"),
                    ));
                }
                self.blocks.push(Block::new(self.blocks.len()));
                self.blocks.len() - 1
            }
        };
        let block = &mut self.blocks[at];
        block.allocs.push(data.to_vec());
        block.used += data.len();
        Ok(encode_hid(self.format, block.allocs.len() as u32, at as u32))
    }

    fn slot(&self, hid: u32) -> Option<(usize, usize)> {
        let h = Hid::decode(hid, self.format)?;
        let block = self.blocks.get(h.block as usize)?;
        let i = (h.index as usize).checked_sub(1)?;
        (i < block.allocs.len()).then_some((h.block as usize, i))
    }

    /// The bytes of allocation `hid`.
    pub fn get(&self, hid: u32) -> Option<&[u8]> {
        self.slot(hid).map(|(b, i)| &self.blocks[b].allocs[i][..])
    }

    /// Overwrites allocation `hid` with `data` of the same length (the
    /// "reserve, then write" of structures whose content depends on HIDs
    /// allocated after them).
    pub fn replace(&mut self, hid: u32, data: &[u8]) -> WResult<()> {
        let (b, i) = self
            .slot(hid)
            .ok_or_else(|| LtpWriteError::new("HID", format!("{hid:#x} is not an allocation of this heap")))?;
        let slot = &mut self.blocks[b].allocs[i];
        if slot.len() != data.len() {
            return Err(LtpWriteError::new(
                "HID",
                format!("allocation {hid:#x} holds {} bytes, not {}", slot.len(), data.len()),
            ));
        }
        slot.copy_from_slice(data);
        Ok(())
    }

    /// Number of data blocks so far.
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Writes every block but the last and the [`held`] ones through
    /// `sink`, and frees them: a large table's heap, written as it fills.
    /// Their allocations can no longer be read or replaced, and new ones go
    /// to the blocks not written. [`finish_leaves`](Self::finish_leaves)
    /// gives the node's blocks, written and not.
    pub fn flush(&mut self, sink: &mut dyn BlockSink) -> WResult<()> {
        let last = self.blocks.len() - 1;
        for i in self.flushed.max(1)..last {
            if held(i) {
                continue;
            }
            let level = self.level(i);
            let bytes = self.block_bytes(i, &[], false);
            let bid = sink.put_leaf(bytes)?;
            let b = &mut self.blocks[i];
            b.written = Some((bid, level));
            b.allocs = Vec::new();
        }
        self.flushed = self.flushed.max(last);
        Ok(())
    }

    fn level(&self, i: usize) -> u8 {
        let b = &self.blocks[i];
        b.written.map_or_else(|| fill_level(self.capacity.saturating_sub(b.size_with(0, 0))), |(_, l)| l)
    }

    /// Block `i` laid out: its header (fill levels from `levels`, which
    /// start at block 0), allocations, page map, and the pad to the full
    /// block size unless it is the `last`.
    fn block_bytes(&self, i: usize, levels: &[u8], last: bool) -> Vec<u8> {
        let full = self.format.max_block_data();
        let count = levels.len();
        let block = &self.blocks[i];
        let mut b = Vec::with_capacity(if last { block.size_with(0, 0) } else { full });
        let hsize = header_size(i);
        b.resize(hsize, 0);
        if i == 0 {
            b[2] = HN_SIG;
            b[3] = self.client_sig;
            b[4..8].copy_from_slice(&self.user_root.to_le_bytes());
            put_levels(&mut b[8..12], &levels[0..count.min(8)]);
        } else if hsize == HNBITMAPHDR_SIZE {
            put_levels(&mut b[2..66], &levels[i.min(count)..count.min(i + 128)]);
        }
        let mut offsets = Vec::with_capacity(block.allocs.len() + 1);
        for a in &block.allocs {
            offsets.push(b.len() as u16);
            b.extend_from_slice(a);
        }
        offsets.push(b.len() as u16);
        if b.len() % 2 == 1 {
            b.push(0);
        }
        let ib_hnpm = b.len() as u16;
        b[0..2].copy_from_slice(&ib_hnpm.to_le_bytes());
        b.extend_from_slice(&(block.allocs.len() as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        for o in offsets {
            b.extend_from_slice(&o.to_le_bytes());
        }
        if !last {
            b.resize(full, 0);
        }
        b
    }

    /// The data blocks: each with its header, its allocations back to back,
    /// its page map (MS-PST 2.3.1.5, 2-byte aligned, `cFree` 0), and every
    /// block but the last padded with zeros to [`Format::max_block_data`] bytes, as
    /// the data tree requires. Fill levels count free space up to the full
    /// block size, the last block included (as Outlook writes them).
    /// For a heap that was never [`flush`](Self::flush)ed.
    pub fn finish(self) -> Vec<Vec<u8>> {
        self.finish_leaves()
            .into_iter()
            .map(|l| match l {
                Leaf::Data(d) => d,
                Leaf::Written { .. } => Vec::new(),
            })
            .collect()
    }

    /// [`finish`](Self::finish) for a heap that may have been flushed: the
    /// blocks written already by their BIDs, the others laid out.
    pub fn finish_leaves(self) -> Vec<Leaf> {
        let count = self.blocks.len();
        let levels: Vec<u8> = (0..count).map(|i| self.level(i)).collect();
        (0..count)
            .map(|i| match self.blocks[i].written {
                Some((bid, _)) => Leaf::Written { bid, len: self.format.max_block_data() },
                None => Leaf::Data(self.block_bytes(i, &levels, i + 1 == count)),
            })
            .collect()
    }
}

/// Packs fill levels two to a byte, the first block in the low nibble
/// (Outlook's order: block 0's level is the low nibble of rgbFillLevel[0]).
fn put_levels(dst: &mut [u8], levels: &[u8]) {
    for (i, l) in levels.iter().enumerate() {
        dst[i / 2] |= (l & 0xF) << (4 * (i % 2));
    }
}
