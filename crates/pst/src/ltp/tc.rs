//! Table contexts (TC, MS-PST 2.3.4): rows of fixed-layout cells, a row
//! index BTH, and a row matrix in the heap or in a subnode.

use std::borrow::Cow;

use mailshift_core::Result;

use super::bth::Bth;
use super::heap::{Heap, BTYPE_TC};
use super::pc::known_variable;
use super::prop::{decode, fixed_size, PropValue, MV_FLAG, PT_UNSPECIFIED};
use super::source::BlockSource;
use super::{resolve_hnid, NodeSource};
use crate::error::{u16_at, u32_at, Corrupt};
use crate::ndb::NodeRef;

/// `TCOLDESC` (MS-PST 2.3.4.2): where a column's cell sits in a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcColumn {
    /// `tag`: property id (high 16 bits) and type (low 16 bits).
    pub tag: u32,
    /// `ibData`: offset of the cell in the row.
    pub ib_data: u16,
    /// `cbData`: size of the cell.
    pub cb_data: u8,
    /// `iBit`: the column's bit in the cell existence bitmap.
    pub i_bit: u8,
}

impl TcColumn {
    /// The property id.
    pub fn prop_id(&self) -> u16 {
        (self.tag >> 16) as u16
    }
    /// The property type.
    pub fn prop_type(&self) -> u16 {
        self.tag as u16
    }
}

/// Index into `TCINFO.rgib` (MS-PST 2.3.4.1).
const TCI_1B: usize = 2;
const TCI_BM: usize = 3;

/// From how many data blocks a table's heap and row matrix are read as
/// they are used rather than all when the table is opened (64 blocks: half
/// a megabyte). A contents table of 250,000 messages has some 80 MB of
/// them, of which listing its rows reads the row index and one block of
/// the matrix at a time.
const LAZY_FROM: usize = 64;

#[derive(Debug)]
enum RowMatrix<'a> {
    /// No rows stored.
    Empty,
    /// In the heap, at this HID.
    Heap(u32),
    /// In a subnode: its data blocks, each holding whole rows.
    Blocks(Vec<Cow<'a, [u8]>>),
    /// In a subnode of many blocks, read one block at a time.
    Lazy(Box<dyn BlockSource<'a> + 'a>, std::sync::Mutex<LazyRows<'a>>),
}

/// What a lazy row matrix has learnt: the rows each block read so far
/// holds (counted up, so `ends[k]` is the first row after block `k`), and
/// the block last read.
#[derive(Debug, Default)]
struct LazyRows<'a> {
    ends: Vec<usize>,
    current: Option<(usize, Cow<'a, [u8]>)>,
}

/// A table part's data blocks: all read, or (from [`LAZY_FROM`] blocks)
/// to be read as they are used.
enum Part<'a> {
    Read(Vec<Cow<'a, [u8]>>),
    Lazy(Box<dyn BlockSource<'a> + 'a>),
}

/// The data blocks of `node`, its data tree opened once either way.
fn part<'a>(src: &'a dyn NodeSource, node: &NodeRef) -> Result<Part<'a>> {
    match src.block_source(node)? {
        Some(blocks) if blocks.count() >= LAZY_FROM => Ok(Part::Lazy(blocks)),
        Some(blocks) => {
            (0..blocks.count()).map(|i| blocks.block(i).map_err(|e| src.err(e))).collect::<Result<_>>().map(Part::Read)
        }
        None => src.data_blocks(node).map(Part::Read),
    }
}

/// A node's table context.
#[derive(Debug)]
pub struct TableContext<'a> {
    src: &'a dyn NodeSource,
    node: NodeRef,
    heap: Heap<'a>,
    columns: Vec<TcColumn>,
    rgib: [u16; 4],
    /// (dwRowID, dwRowIndex), in dwRowIndex order.
    rows: Vec<(u32, u32)>,
    matrix: RowMatrix<'a>,
    offset: u64,
}

impl<'a> TableContext<'a> {
    /// Reads the TC of `node`: `TCINFO`, the columns and the row index.
    pub fn new(src: &'a dyn NodeSource, node: NodeRef) -> Result<TableContext<'a>> {
        const S: &str = "TCINFO";
        let off = src.node_offset(&node);
        let heap = match part(src, &node)? {
            Part::Read(blocks) => Heap::new(blocks, src.format(), off),
            Part::Lazy(blocks) => Heap::lazy(blocks, src.format(), off),
        }
        .map_err(|e| src.err(e))?;
        let bad = |r: String| src.err(Corrupt::new(S, off, format!("node {:#x}: {r}", node.nid)));
        if heap.client_sig != BTYPE_TC {
            return Err(bad(format!("bClientSig {:#04x}, not a table context (0x7C)", heap.client_sig)));
        }
        let info = heap.get(heap.hid_user_root).map_err(|e| src.err(e))?;
        if info.len() < 22 || info[0] != BTYPE_TC {
            return Err(bad(format!("{} bytes starting {:02x?}", info.len(), &info[..info.len().min(1)])));
        }
        let c_cols = info[1] as usize;
        let mut rgib = [0u16; 4];
        for (i, r) in rgib.iter_mut().enumerate() {
            *r = u16_at(info, 2 + 2 * i).unwrap_or(0);
        }
        let hid_row_index = u32_at(info, 10).unwrap_or(0);
        let hnid_rows = u32_at(info, 14).unwrap_or(0);
        if 22 + 8 * c_cols > info.len() {
            return Err(bad(format!("cCols {c_cols} does not fit in {} bytes", info.len())));
        }
        let row_size = usize::from(rgib[TCI_BM]);
        let ceb_len = c_cols.div_ceil(8);
        if usize::from(rgib[TCI_1B]) + ceb_len > row_size {
            return Err(bad(format!("rgib {rgib:?} leaves no room for the {ceb_len}-byte cell existence bitmap")));
        }
        let mut columns = Vec::with_capacity(c_cols);
        for i in 0..c_cols {
            let at = 22 + 8 * i;
            let c = TcColumn {
                tag: u32_at(info, at).unwrap_or(0),
                ib_data: u16_at(info, at + 4).unwrap_or(0),
                cb_data: info[at + 6],
                i_bit: info[at + 7],
            };
            if usize::from(c.ib_data) + usize::from(c.cb_data) > row_size || usize::from(c.i_bit) >= ceb_len * 8 {
                return Err(bad(format!(
                    "column {:#010x} at {}+{} bit {} outside the {row_size}-byte row",
                    c.tag, c.ib_data, c.cb_data, c.i_bit
                )));
            }
            columns.push(c);
        }

        // The row index (MS-PST 2.3.4.3): a BTH of dwRowID -> dwRowIndex
        // (4 bytes in Unicode, 2 in ANSI).
        let mut rows: Vec<(u32, u32)> = Vec::new();
        if hid_row_index != 0 {
            let bth = Bth::new(&heap, hid_row_index).map_err(|e| src.err(e))?;
            if bth.cb_key != 4 || !(bth.cb_ent == 2 || bth.cb_ent == 4) {
                return Err(bad(format!("row index with cbKey {} and cbEnt {}", bth.cb_key, bth.cb_ent)));
            }
            for (k, d) in bth.records().map_err(|e| src.err(e))? {
                let id = u32_at(k, 0).unwrap_or(0);
                let idx = if d.len() == 2 { u32::from(u16_at(d, 0).unwrap_or(0)) } else { u32_at(d, 0).unwrap_or(0) };
                rows.push((id, idx));
            }
            rows.sort_by_key(|r| r.1);
        }

        let matrix = if hnid_rows == 0 || row_size == 0 {
            RowMatrix::Empty
        } else if hnid_rows & 0x1F == 0 {
            RowMatrix::Heap(hnid_rows)
        } else {
            let sub = src
                .subnode(&node, hnid_rows)?
                .ok_or_else(|| bad(format!("row matrix subnode {hnid_rows:#x} does not exist")))?;
            match part(src, &sub)? {
                Part::Read(blocks) => RowMatrix::Blocks(blocks),
                Part::Lazy(blocks) => RowMatrix::Lazy(blocks, Default::default()),
            }
        };
        Ok(TableContext { src, node, heap, columns, rgib, rows, matrix, offset: off })
    }

    /// Whether the heap and the row matrix are read as they are used.
    #[cfg(test)]
    pub(crate) fn lazy_parts(&self) -> (bool, bool) {
        (self.heap.is_lazy(), matches!(self.matrix, RowMatrix::Lazy(..)))
    }

    /// The heap under this TC.
    pub fn heap(&self) -> &Heap<'a> {
        &self.heap
    }

    /// The columns (`rgTCOLDESC`).
    pub fn columns(&self) -> &[TcColumn] {
        &self.columns
    }

    /// The column holding `prop_id`, if any.
    pub fn column(&self, prop_id: u16) -> Option<&TcColumn> {
        self.columns.iter().find(|c| c.prop_id() == prop_id)
    }

    /// Number of rows (entries in the row index).
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// `dwRowID` of row `i` (for hierarchy and contents tables, the NID of
    /// the folder or message).
    pub fn row_id(&self, i: usize) -> Option<u32> {
        self.rows.get(i).map(|r| r.0)
    }

    /// The bytes of row `i` (in `dwRowIndex` order): borrowed, or a copy
    /// out of the one block a lazy matrix holds.
    pub fn row_bytes(&self, i: usize) -> Result<Cow<'_, [u8]>> {
        let bad = |r: String| {
            self.src.err(Corrupt::new("TC row matrix", self.offset, format!("node {:#x}: {r}", self.node.nid)))
        };
        let &(_, index) = self.rows.get(i).ok_or_else(|| bad(format!("no row {i}")))?;
        let size = usize::from(self.rgib[TCI_BM]);
        let index = index as usize;
        match &self.matrix {
            RowMatrix::Empty => Err(bad("the table has rows in its index but no row matrix".into())),
            RowMatrix::Heap(hid) => {
                let m = self.heap.get(*hid).map_err(|e| self.src.err(e))?;
                m.get(index * size..(index + 1) * size)
                    .map(Cow::Borrowed)
                    .ok_or_else(|| bad(format!("row {index} outside the {}-byte matrix", m.len())))
            }
            RowMatrix::Blocks(blocks) => {
                // Rows never span blocks (MS-PST 2.3.4.4): each block holds
                // as many whole rows as fit, the rest is padding.
                let mut left = index;
                for b in blocks {
                    let n = b.len() / size;
                    if left < n {
                        return Ok(Cow::Borrowed(&b[left * size..(left + 1) * size]));
                    }
                    left -= n;
                }
                Err(bad(format!("row {index} past the end of the row matrix")))
            }
            RowMatrix::Lazy(blocks, state) => {
                let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                // The block holding the row: among those counted, else the
                // next ones, read (and counted) in turn.
                let k = loop {
                    if st.ends.last().is_some_and(|&end| index < end) {
                        break st.ends.partition_point(|&end| end <= index);
                    }
                    let k = st.ends.len();
                    if k >= blocks.count() {
                        return Err(bad(format!("row {index} past the end of the row matrix")));
                    }
                    let b = blocks.block(k).map_err(|e| self.src.err(e))?;
                    let end = st.ends.last().copied().unwrap_or(0) + b.len() / size;
                    st.ends.push(end);
                    st.current = Some((k, b));
                };
                let b = match st.current.take() {
                    Some((c, b)) if c == k => b,
                    _ => blocks.block(k).map_err(|e| self.src.err(e))?,
                };
                let left = index - if k == 0 { 0 } else { st.ends[k - 1] };
                let row = b.get(left * size..(left + 1) * size).map(<[u8]>::to_vec);
                st.current = Some((k, b));
                row.map(Cow::Owned).ok_or_else(|| bad(format!("row {index} outside block {k} of the row matrix")))
            }
        }
    }

    /// The cell of `col` in row `i`, `None` when the cell existence bitmap
    /// says it is absent.
    pub fn cell(&self, i: usize, col: &TcColumn) -> Result<Option<PropValue<'_>>> {
        let row = self.row_bytes(i)?;
        let ceb_at = usize::from(self.rgib[TCI_1B]);
        let bit = usize::from(col.i_bit);
        let exists = row.get(ceb_at + bit / 8).is_some_and(|b| b & (0x80 >> (bit % 8)) != 0);
        if !exists {
            return Ok(None);
        }
        let range = usize::from(col.ib_data)..usize::from(col.ib_data) + usize::from(col.cb_data);
        let cell: Cow<'_, [u8]> = match row {
            Cow::Borrowed(r) => Cow::Borrowed(&r[range]),
            Cow::Owned(ref r) => Cow::Owned(r[range].to_vec()),
        };
        let ptype = col.prop_type();
        let bytes: Cow<'_, [u8]> = match fixed_size(ptype) {
            // Fixed-size values of up to 8 bytes sit in the row (MS-PST 2.3.4.4.1).
            Some(n) if n <= 8 && ptype & MV_FLAG == 0 => cell,
            _ => {
                let hnid = u32_at(&cell, 0).ok_or_else(|| {
                    self.src.err(Corrupt::new(
                        "TCOLDESC",
                        self.offset,
                        format!("column {:#010x}: cbData {} cannot hold an HNID", col.tag, col.cb_data),
                    ))
                })?;
                if ptype == PT_UNSPECIFIED || (fixed_size(ptype).is_none() && !known_variable(ptype)) {
                    resolve_hnid(self.src, &self.node, &self.heap, hnid).unwrap_or(cell)
                } else {
                    resolve_hnid(self.src, &self.node, &self.heap, hnid)?
                }
            }
        };
        decode(ptype, bytes).map(Some).map_err(|err| {
            self.src.err(Corrupt::new(
                "TC cell",
                self.offset,
                format!("node {:#x} row {i} column {:#010x}: {}", self.node.nid, col.tag, err.reason),
            ))
        })
    }

    /// The cell of property `prop_id` in row `i`.
    pub fn get(&self, i: usize, prop_id: u16) -> Result<Option<PropValue<'_>>> {
        match self.column(prop_id) {
            Some(c) => {
                let c = *c;
                self.cell(i, &c)
            }
            None => Ok(None),
        }
    }
}
