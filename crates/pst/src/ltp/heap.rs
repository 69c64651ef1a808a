//! The heap-on-node (HN, MS-PST 2.3.1): small allocations inside a node's
//! data blocks, addressed by HID.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use super::source::BlockSource;
use crate::error::{u16_at, u32_at, u8_at, CResult, Corrupt};
use crate::ndb::header::Format;

/// `bSig` of `HNHDR`.
pub const HN_SIG: u8 = 0xEC;
/// `bClientSig` of a table context.
pub const BTYPE_TC: u8 = 0x7C;
/// `bClientSig` of a BTree-on-heap.
pub const BTYPE_BTH: u8 = 0xB5;
/// `bClientSig` of a property context.
pub const BTYPE_PC: u8 = 0xBC;

/// A decoded `HID` (MS-PST 2.3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hid {
    /// `hidIndex`: 1-based allocation index in the block's page map.
    pub index: u32,
    /// `hidBlockIndex`: which data block of the node.
    pub block: u32,
}

impl Hid {
    /// Splits `hid`; `None` if its `hidType` is not 0 (then it is a NID) or it is 0.
    /// In 4K files the index has 14 bits and the block index 13 (libpff).
    pub fn decode(hid: u32, format: Format) -> Option<Hid> {
        if hid == 0 || hid & 0x1F != 0 {
            return None;
        }
        Some(match format {
            Format::Unicode4k => Hid { index: (hid >> 5) & 0x3FFF, block: hid >> 19 },
            _ => Hid { index: (hid >> 5) & 0x7FF, block: hid >> 16 },
        })
    }
}

/// A heap's data blocks.
#[derive(Clone, Debug)]
enum Blocks<'a> {
    /// All read when the heap was opened.
    Read(Vec<Cow<'a, [u8]>>),
    /// Each read the first time an allocation in it is asked for, then
    /// kept: a large table's heap is mostly the variable-size cells of its
    /// rows, which listing the rows never reads.
    Lazy(Arc<dyn BlockSource<'a> + 'a>, Box<[OnceLock<Cow<'a, [u8]>>]>),
}

/// The heap of one node: its data blocks and the `HNHDR` fields.
#[derive(Clone, Debug)]
pub struct Heap<'a> {
    blocks: Blocks<'a>,
    format: Format,
    offset: u64,
    /// `bClientSig`: what the heap holds (PC, TC, BTH ...).
    pub client_sig: u8,
    /// `hidUserRoot`: the client's root allocation.
    pub hid_user_root: u32,
}

impl<'a> Heap<'a> {
    /// Reads the `HNHDR` (MS-PST 2.3.1.2) of the first block. `offset` is used
    /// in error messages (the file offset of the node's first block).
    pub fn new(blocks: Vec<Cow<'a, [u8]>>, format: Format, offset: u64) -> CResult<Heap<'a>> {
        let first = blocks.first().ok_or_else(|| Corrupt::new("HNHDR", offset, "node has no data"))?;
        let (client_sig, hid_user_root) = Heap::header(first, offset)?;
        Ok(Heap { blocks: Blocks::Read(blocks), format, offset, client_sig, hid_user_root })
    }

    /// A heap whose blocks are read from `src` as they are used (the first
    /// one now, for the `HNHDR`).
    pub fn lazy(src: Box<dyn BlockSource<'a> + 'a>, format: Format, offset: u64) -> CResult<Heap<'a>> {
        let cells: Box<[OnceLock<Cow<'a, [u8]>>]> = (0..src.count()).map(|_| OnceLock::new()).collect();
        let heap =
            Heap { blocks: Blocks::Lazy(Arc::from(src), cells), format, offset, client_sig: 0, hid_user_root: 0 };
        let first = heap.block(0).ok_or_else(|| Corrupt::new("HNHDR", offset, "node has no data"))??;
        let (client_sig, hid_user_root) = Heap::header(first, offset)?;
        Ok(Heap { client_sig, hid_user_root, ..heap })
    }

    /// `bClientSig` and `hidUserRoot` from the first block's `HNHDR`.
    fn header(first: &[u8], offset: u64) -> CResult<(u8, u32)> {
        const S: &str = "HNHDR";
        let sig = u8_at(first, 2).ok_or_else(|| Corrupt::new(S, offset, "block too short"))?;
        if sig != HN_SIG {
            return Err(Corrupt::new(S, offset, format!("bSig {sig:#04x}, not 0xEC: not a heap-on-node")));
        }
        let client_sig = u8_at(first, 3).ok_or_else(|| Corrupt::new(S, offset, "block too short"))?;
        let hid_user_root = u32_at(first, 4).ok_or_else(|| Corrupt::new(S, offset, "block too short"))?;
        Ok((client_sig, hid_user_root))
    }

    /// The bytes of data block `i`, read now if the heap is lazy and has
    /// not read it yet; `None` past the last block.
    fn block(&self, i: usize) -> Option<CResult<&[u8]>> {
        match &self.blocks {
            Blocks::Read(v) => v.get(i).map(|b| Ok(&b[..])),
            Blocks::Lazy(src, cells) => {
                let cell = cells.get(i)?;
                if let Some(b) = cell.get() {
                    return Some(Ok(b));
                }
                // Another thread may have set it meanwhile: the same bytes.
                Some(src.block(i).map(|b| &cell.get_or_init(|| b)[..]))
            }
        }
    }

    /// The file layout the heap's HIDs follow.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether blocks are read as they are used ([`Heap::lazy`]).
    #[cfg(test)]
    pub(crate) fn is_lazy(&self) -> bool {
        matches!(self.blocks, Blocks::Lazy(..))
    }

    /// Number of data blocks.
    pub fn block_count(&self) -> usize {
        match &self.blocks {
            Blocks::Read(v) => v.len(),
            Blocks::Lazy(_, cells) => cells.len(),
        }
    }

    /// The bytes of allocation `hid`. Every block starts with `ibHnpm`
    /// (HNHDR, HNPAGEHDR and HNBITMAPHDR alike), which locates the
    /// `HNPAGEMAP` (MS-PST 2.3.1.5): cAlloc, cFree, rgibAlloc[cAlloc + 1].
    pub fn get(&self, hid: u32) -> CResult<&[u8]> {
        const S: &str = "HNPAGEMAP";
        let h = Hid::decode(hid, self.format)
            .ok_or_else(|| Corrupt::new("HID", self.offset, format!("{hid:#x} is not a heap id")))?;
        let block = self.block(h.block as usize).ok_or_else(|| {
            Corrupt::new("HID", self.offset, format!("{hid:#x} names block {} of {}", h.block, self.block_count()))
        })??;
        let bad = |r: String| Corrupt::new(S, self.offset, format!("block {}: {r}", h.block));
        let ib_hnpm = usize::from(u16_at(block, 0).ok_or_else(|| bad("too short".into()))?);
        let c_alloc =
            u32::from(u16_at(block, ib_hnpm).ok_or_else(|| bad(format!("ibHnpm {ib_hnpm} outside the block")))?);
        if h.index == 0 || h.index > c_alloc {
            return Err(bad(format!("HID {hid:#x}: index {} but cAlloc is {c_alloc}", h.index)));
        }
        let at = ib_hnpm + 4 + 2 * (h.index as usize - 1);
        let start = usize::from(u16_at(block, at).ok_or_else(|| bad("rgibAlloc outside the block".into()))?);
        let end = usize::from(u16_at(block, at + 2).ok_or_else(|| bad("rgibAlloc outside the block".into()))?);
        if start > end || end > block.len() {
            return Err(bad(format!(
                "allocation {}..{end} of HID {hid:#x} is not inside the {} bytes",
                start,
                block.len()
            )));
        }
        Ok(&block[start..end])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds one heap block: a 12-byte HNHDR (or 2-byte HNPAGEHDR when
    /// `client` is `None`), the allocations, then the page map.
    pub(crate) fn build_heap_block(client: Option<(u8, u32)>, items: &[Vec<u8>]) -> Vec<u8> {
        let mut b = match client {
            Some((sig, root)) => {
                let mut h = vec![0u8, 0, HN_SIG, sig];
                h.extend_from_slice(&root.to_le_bytes());
                h.extend_from_slice(&[0u8; 4]);
                h
            }
            None => vec![0u8, 0],
        };
        let mut offs = vec![b.len() as u16];
        for it in items {
            b.extend_from_slice(it);
            offs.push(b.len() as u16);
        }
        if b.len() % 2 == 1 {
            b.push(0);
        }
        let ib_hnpm = b.len() as u16;
        b[0..2].copy_from_slice(&ib_hnpm.to_le_bytes());
        b.extend_from_slice(&(items.len() as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        for o in offs {
            b.extend_from_slice(&o.to_le_bytes());
        }
        b
    }

    /// The HID of allocation `index` (1-based) in `block`.
    pub(crate) fn hid(index: u32, block: u32) -> u32 {
        (block << 16) | (index << 5)
    }

    #[test]
    fn reads_allocations_across_blocks() {
        let b0 = build_heap_block(Some((BTYPE_PC, hid(1, 0))), &[b"first".to_vec(), b"second!".to_vec()]);
        let b1 = build_heap_block(None, &[b"".to_vec(), b"in block one".to_vec()]);
        let heap = Heap::new(vec![Cow::Owned(b0), Cow::Owned(b1)], Format::Unicode, 0).expect("heap");
        assert_eq!(heap.client_sig, BTYPE_PC);
        assert_eq!(heap.hid_user_root, 0x20);
        assert_eq!(heap.get(hid(1, 0)).expect("1"), b"first");
        assert_eq!(heap.get(hid(2, 0)).expect("2"), b"second!");
        assert_eq!(heap.get(hid(1, 1)).expect("empty"), b"");
        assert_eq!(heap.get(hid(2, 1)).expect("3"), b"in block one");
        assert!(heap.get(hid(3, 0)).is_err(), "past cAlloc");
        assert!(heap.get(hid(1, 2)).is_err(), "no such block");
        assert!(heap.get(0x21).is_err(), "a NID is not a HID");
    }

    #[test]
    fn four_k_hid_layout() {
        // 4K: index in bits 5..19, block index from bit 19.
        let h = Hid::decode((3 << 19) | (0x2000 << 5), Format::Unicode4k).expect("hid");
        assert_eq!(h, Hid { index: 0x2000, block: 3 });
        let h = Hid::decode((3 << 16) | (5 << 5), Format::Unicode).expect("hid");
        assert_eq!(h, Hid { index: 5, block: 3 });
    }

    #[test]
    fn corrupt_page_map_is_an_error() {
        let mut b0 = build_heap_block(Some((BTYPE_PC, 0x20)), &[b"abc".to_vec()]);
        let ib = u16::from_le_bytes([b0[0], b0[1]]) as usize;
        b0[ib + 6] = 0xFF; // rgibAlloc[1] far past the block
        b0[ib + 7] = 0x7F;
        let heap = Heap::new(vec![Cow::Owned(b0)], Format::Unicode, 0).expect("header ok");
        assert!(heap.get(0x20).is_err());
        assert!(Heap::new(vec![Cow::Owned(vec![0u8; 8])], Format::Unicode, 0).is_err(), "no 0xEC");
        assert!(Heap::new(vec![], Format::Unicode, 0).is_err());
    }
}
