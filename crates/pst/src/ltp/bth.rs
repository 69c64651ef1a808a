//! BTree-on-heap (BTH, MS-PST 2.3.2): sorted records stored in heap
//! allocations, the index of property contexts and table row indexes.

use super::heap::{Heap, BTYPE_BTH};
use crate::error::{u32_at, CResult, Corrupt};

/// The most index levels followed; `bIdxLevels` above this is corruption.
const MAX_LEVELS: u8 = 8;

/// A BTH: its `BTHHEADER` (MS-PST 2.3.2.1) over a heap.
#[derive(Clone, Copy, Debug)]
pub struct Bth<'h, 'a> {
    heap: &'h Heap<'a>,
    /// `cbKey`: 2, 4, 8 or 16.
    pub cb_key: usize,
    /// `cbEnt`: size of a leaf record's data.
    pub cb_ent: usize,
    /// `bIdxLevels`: 0 when the root is a leaf.
    pub idx_levels: u8,
    /// `hidRoot`: 0 for an empty tree.
    pub hid_root: u32,
}

/// One leaf record: key and data, borrowed from the heap.
pub type Record<'h> = (&'h [u8], &'h [u8]);

/// Compares two little-endian unsigned keys of equal length.
fn cmp_le(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

impl<'h, 'a> Bth<'h, 'a> {
    /// Reads the `BTHHEADER` at `hid`.
    pub fn new(heap: &'h Heap<'a>, hid: u32) -> CResult<Bth<'h, 'a>> {
        const S: &str = "BTHHEADER";
        let h = heap.get(hid)?;
        if h.len() < 8 {
            return Err(Corrupt::new(S, 0, format!("{} bytes, 8 expected", h.len())));
        }
        if h[0] != BTYPE_BTH {
            return Err(Corrupt::new(S, 0, format!("bType {:#04x}, not 0xB5", h[0])));
        }
        let (cb_key, cb_ent, idx_levels) = (h[1] as usize, h[2] as usize, h[3]);
        if ![2, 4, 8, 16].contains(&cb_key) || cb_ent == 0 || cb_ent > 32 || idx_levels > MAX_LEVELS {
            return Err(Corrupt::new(
                S,
                0,
                format!("cbKey {cb_key}, cbEnt {cb_ent}, bIdxLevels {idx_levels} out of range"),
            ));
        }
        let hid_root = u32_at(h, 4).unwrap_or(0);
        Ok(Bth { heap, cb_key, cb_ent, idx_levels, hid_root })
    }

    fn records_of(&self, hid: u32, size: usize) -> CResult<&'h [u8]> {
        let data = self.heap.get(hid)?;
        if data.len() % size != 0 {
            return Err(Corrupt::new(
                "BTH records",
                0,
                format!("{} bytes is not a whole number of {size}-byte records", data.len()),
            ));
        }
        Ok(data)
    }

    /// All leaf records, in key order.
    pub fn records(&self) -> CResult<Vec<Record<'h>>> {
        let mut out = Vec::new();
        if self.hid_root == 0 {
            return Ok(out);
        }
        let mut visited = Vec::new();
        self.walk(self.hid_root, self.idx_levels, &mut visited, &mut out)?;
        Ok(out)
    }

    fn walk(&self, hid: u32, level: u8, visited: &mut Vec<u32>, out: &mut Vec<Record<'h>>) -> CResult<()> {
        if visited.contains(&hid) {
            return Err(Corrupt::new("BTH", 0, format!("HID {hid:#x} reached twice")));
        }
        visited.push(hid);
        if level == 0 {
            let size = self.cb_key + self.cb_ent;
            let data = self.records_of(hid, size)?;
            out.extend(data.chunks_exact(size).map(|r| r.split_at(self.cb_key)));
            return Ok(());
        }
        // Intermediate records (MS-PST 2.3.2.2): key, hidNextLevel.
        let size = self.cb_key + 4;
        let data = self.records_of(hid, size)?;
        for r in data.chunks_exact(size) {
            let next = u32_at(r, self.cb_key).unwrap_or(0);
            self.walk(next, level - 1, visited, out)?;
        }
        Ok(())
    }

    /// The data of the record whose key is `key` (little-endian, `cbKey` bytes).
    pub fn find(&self, key: &[u8]) -> CResult<Option<&'h [u8]>> {
        if key.len() != self.cb_key || self.hid_root == 0 {
            return Ok(None);
        }
        let mut hid = self.hid_root;
        let mut level = self.idx_levels;
        loop {
            if level == 0 {
                let size = self.cb_key + self.cb_ent;
                let data = self.records_of(hid, size)?;
                return Ok(data.chunks_exact(size).find(|r| &r[..self.cb_key] == key).map(|r| &r[self.cb_key..]));
            }
            let size = self.cb_key + 4;
            let data = self.records_of(hid, size)?;
            let next = data
                .chunks_exact(size)
                .take_while(|r| cmp_le(&r[..self.cb_key], key) != std::cmp::Ordering::Greater)
                .last();
            match next {
                Some(r) => hid = u32_at(r, self.cb_key).unwrap_or(0),
                None => return Ok(None),
            }
            level -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ltp::heap::tests::{build_heap_block, hid};
    use crate::ltp::heap::BTYPE_PC;
    use crate::ndb::header::Format;
    use std::borrow::Cow;

    fn bth_header(cb_key: u8, cb_ent: u8, levels: u8, root: u32) -> Vec<u8> {
        let mut h = vec![BTYPE_BTH, cb_key, cb_ent, levels];
        h.extend_from_slice(&root.to_le_bytes());
        h
    }

    #[test]
    fn two_level_bth() {
        // Leaves: keys 1,2 and 5,9 (2-byte keys, 6-byte data like a PC).
        let rec = |k: u16, d: u8| {
            let mut r = k.to_le_bytes().to_vec();
            r.extend_from_slice(&[d; 6]);
            r
        };
        let leaf1: Vec<u8> = [rec(1, 0xA1), rec(2, 0xA2)].concat();
        let leaf2: Vec<u8> = [rec(5, 0xB5), rec(0x0109, 0xB9)].concat();
        let mut index = 1u16.to_le_bytes().to_vec();
        index.extend_from_slice(&hid(3, 0).to_le_bytes());
        index.extend_from_slice(&5u16.to_le_bytes());
        index.extend_from_slice(&hid(4, 0).to_le_bytes());
        let items = vec![bth_header(2, 6, 1, hid(2, 0)), index, leaf1, leaf2];
        let b0 = build_heap_block(Some((BTYPE_PC, hid(1, 0))), &items);
        let heap = Heap::new(vec![Cow::Owned(b0)], Format::Unicode, 0).expect("heap");
        let bth = Bth::new(&heap, heap.hid_user_root).expect("bth");
        let recs = bth.records().expect("records");
        let keys: Vec<&[u8]> = recs.iter().map(|r| r.0).collect();
        assert_eq!(keys, vec![&[1u8, 0][..], &[2, 0], &[5, 0], &[9, 1]]);
        assert_eq!(bth.find(&[5, 0]).expect("find"), Some(&[0xB5u8; 6][..]));
        assert_eq!(bth.find(&[9, 1]).expect("find"), Some(&[0xB9u8; 6][..]));
        assert_eq!(bth.find(&[3, 0]).expect("find"), None);
        assert_eq!(bth.find(&[0, 0]).expect("find"), None);
    }

    #[test]
    fn self_referencing_index_is_an_error() {
        let mut index = 1u16.to_le_bytes().to_vec();
        index.extend_from_slice(&hid(2, 0).to_le_bytes());
        let items = vec![bth_header(2, 6, 2, hid(2, 0)), index];
        let b0 = build_heap_block(Some((BTYPE_PC, hid(1, 0))), &items);
        let heap = Heap::new(vec![Cow::Owned(b0)], Format::Unicode, 0).expect("heap");
        let bth = Bth::new(&heap, hid(1, 0)).expect("bth");
        assert!(bth.records().is_err());
    }
}
