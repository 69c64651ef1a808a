//! Building a BTree-on-heap (MS-PST 2.3.2): sorted leaf records in heap
//! allocations of at most [`MAX_ALLOC`] bytes, and as many levels of index
//! records (key, `hidNextLevel`) above them as it takes to reach one
//! allocation.

use super::heap::HeapBuilder;
use super::{LtpWriteError, WResult, MAX_ALLOC};
use crate::ltp::heap::BTYPE_BTH;

/// Compares little-endian unsigned keys of equal length, the order of a
/// BTH (the reader's [`crate::ltp::bth::Bth::find`] walks it so).
fn cmp_le(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

/// A BTH whose structure is allocated but whose leaf data is not written
/// yet: for clients whose records hold HIDs of allocations made after the
/// tree (a PC's values), so that the tree comes first in the heap as in
/// Outlook's files.
#[derive(Clone, Debug)]
pub struct BthLayout {
    header: u32,
    cb_key: usize,
    cb_ent: usize,
    levels: u8,
    keys: Vec<Vec<u8>>,
    /// (HID, index of the first key, number of records) of each leaf.
    leaves: Vec<(u32, usize, usize)>,
}

impl BthLayout {
    /// Allocates a BTH over `keys` (each `cb_key` bytes, strictly ascending
    /// as little-endian numbers): the 8-byte `BTHHEADER` (MS-PST 2.3.2.1)
    /// at `header` when the caller reserved it, else first; then the leaf
    /// allocations, zero-filled until [`fill`](Self::fill); then the index
    /// levels (MS-PST 2.3.2.2), complete.
    pub fn reserve(
        heap: &mut HeapBuilder,
        header: Option<u32>,
        cb_key: u8,
        cb_ent: u8,
        keys: Vec<Vec<u8>>,
    ) -> WResult<BthLayout> {
        const S: &str = "BTHHEADER";
        if ![2, 4, 8, 16].contains(&cb_key) || cb_ent == 0 || cb_ent > 32 {
            return Err(LtpWriteError::new(S, format!("cbKey {cb_key} and cbEnt {cb_ent} (2/4/8/16 and 1..=32)")));
        }
        let (kb, eb) = (usize::from(cb_key), usize::from(cb_ent));
        if let Some(k) = keys.iter().find(|k| k.len() != kb) {
            return Err(LtpWriteError::new(S, format!("a key of {} bytes in a tree of {kb}-byte keys", k.len())));
        }
        if let Some(w) = keys.windows(2).find(|w| cmp_le(&w[0], &w[1]) != std::cmp::Ordering::Less) {
            return Err(LtpWriteError::new(
                S,
                format!("keys not strictly ascending: {:02x?} then {:02x?}", w[0], w[1]),
            ));
        }
        let header = match header {
            Some(h) => h,
            None => heap.alloc(&[0u8; 8])?,
        };
        // Leaves (MS-PST 2.3.2.3): as many whole records as an allocation holds.
        let per_leaf = MAX_ALLOC / (kb + eb);
        let mut leaves = Vec::new();
        let mut level: Vec<(Vec<u8>, u32)> = Vec::new();
        let mut first = 0;
        while first < keys.len() {
            let n = per_leaf.min(keys.len() - first);
            let hid = heap.alloc(&vec![0u8; n * (kb + eb)])?;
            leaves.push((hid, first, n));
            level.push((keys[first].clone(), hid));
            first += n;
        }
        // Index levels (MS-PST 2.3.2.2): the first key of each child and its HID.
        let per_index = MAX_ALLOC / (kb + 4);
        let mut levels = 0u8;
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len().div_ceil(per_index));
            for chunk in level.chunks(per_index) {
                let mut rec = Vec::with_capacity(chunk.len() * (kb + 4));
                for (k, hid) in chunk {
                    rec.extend_from_slice(k);
                    rec.extend_from_slice(&hid.to_le_bytes());
                }
                let hid = heap.alloc(&rec)?;
                next.push((chunk[0].0.clone(), hid));
            }
            level = next;
            levels += 1;
        }
        let root = level.first().map_or(0, |r| r.1);
        let mut h = vec![BTYPE_BTH, cb_key, cb_ent, levels];
        h.extend_from_slice(&root.to_le_bytes());
        heap.replace(header, &h)?;
        Ok(BthLayout { header, cb_key: kb, cb_ent: eb, levels, keys, leaves })
    }

    /// The HID of the `BTHHEADER`.
    pub fn header(&self) -> u32 {
        self.header
    }

    /// `bIdxLevels`: 0 when the root is a leaf.
    pub fn levels(&self) -> u8 {
        self.levels
    }

    /// Writes the leaf records: `data[i]` (`cbEnt` bytes) goes with the
    /// i-th key given to [`reserve`](Self::reserve).
    pub fn fill(&self, heap: &mut HeapBuilder, data: &[Vec<u8>]) -> WResult<()> {
        if data.len() != self.keys.len() {
            return Err(LtpWriteError::new("BTH", format!("{} records for {} keys", data.len(), self.keys.len())));
        }
        if let Some(d) = data.iter().find(|d| d.len() != self.cb_ent) {
            return Err(LtpWriteError::new("BTH", format!("{} bytes of data, cbEnt is {}", d.len(), self.cb_ent)));
        }
        for &(hid, first, n) in &self.leaves {
            let mut rec = Vec::with_capacity(n * (self.cb_key + self.cb_ent));
            for (k, d) in self.keys[first..first + n].iter().zip(&data[first..first + n]) {
                rec.extend_from_slice(k);
                rec.extend_from_slice(d);
            }
            heap.replace(hid, &rec)?;
        }
        Ok(())
    }
}

/// Builds a complete BTH of `records` (key, data), in any order, into
/// `heap` and returns the HID of its `BTHHEADER`. Two records with one key
/// are an error.
pub fn build_bth(heap: &mut HeapBuilder, cb_key: u8, cb_ent: u8, mut records: Vec<(Vec<u8>, Vec<u8>)>) -> WResult<u32> {
    records.sort_by(|a, b| cmp_le(&a.0, &b.0));
    let (keys, data): (Vec<Vec<u8>>, Vec<Vec<u8>>) = records.into_iter().unzip();
    let layout = BthLayout::reserve(heap, None, cb_key, cb_ent, keys)?;
    layout.fill(heap, &data)?;
    Ok(layout.header())
}
