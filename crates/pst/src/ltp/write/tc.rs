//! Building a table context (MS-PST 2.3.4): `TCINFO` and its column
//! descriptors, the RowIndex BTH, and the row matrix in the heap or in a
//! subnode.

use super::bth::BthLayout;
use super::heap::HeapBuilder;
use super::pc::{check_stored, check_subnodes, store_hnid};
use super::value::encode;
use super::NID_TYPE_LTP;
use super::{BlockSink, BuiltNode, BuiltSubnode, Leaf, LtpWriteError, NidAllocator, NodeData, WResult, MAX_ALLOC};
use crate::ltp::heap::BTYPE_TC;
use crate::ltp::prop::{fixed_size, PropValue, MV_FLAG, PT_LONG};
use crate::raw::Format;
use crate::tags;

/// `PidTagLtpRowId`: the first column of every TC, `dwRowID` itself.
const TAG_ROW_ID: u32 = (tags::LTP_ROW_ID as u32) << 16 | PT_LONG as u32;
/// `PidTagLtpRowVer`: the second column.
const TAG_ROW_VER: u32 = (tags::LTP_ROW_VER as u32) << 16 | PT_LONG as u32;
/// The `TCINFO` fields before `rgTCOLDESC` (MS-PST 2.3.4.1).
const TCINFO_SIZE: usize = 22;

/// The width of a column's cell in the row (MS-PST 2.3.4.4.1): fixed-size
/// values of 1, 2, 4 or 8 bytes in place, everything else (strings,
/// binary, GUIDs, multi-valued) as a 4-byte HNID.
fn cell_width(ptype: u16) -> usize {
    match fixed_size(ptype) {
        Some(n @ (1 | 2 | 4 | 8)) if ptype & MV_FLAG == 0 => n,
        _ => 4,
    }
}

/// Whether a column's value sits in the row rather than behind an HNID.
fn in_row(ptype: u16) -> bool {
    matches!(fixed_size(ptype), Some(1 | 2 | 4 | 8)) && ptype & MV_FLAG == 0
}

#[derive(Clone, Debug)]
struct Row {
    id: u32,
    version: u32,
    /// The cells packed into one buffer ([`pack`]): a table of 100,000
    /// rows is held until it is built, so a row costs what its cells hold
    /// and a few bytes, not a buffer for each cell.
    cells: Box<[u8]>,
}

impl Row {
    /// The row id and version cells, then the packed ones.
    fn cells_with_ids(&self, columns: usize) -> Vec<Option<Vec<u8>>> {
        let mut cells = Vec::with_capacity(columns + 2);
        cells.push(Some(self.id.to_le_bytes().to_vec()));
        cells.push(Some(self.version.to_le_bytes().to_vec()));
        cells.extend(unpack(&self.cells, columns));
        cells
    }
}

/// Packs a row's cells: for each, a u32 (LE) of its length plus one (0
/// for a cell that does not exist), then its bytes.
fn pack(cells: Vec<Option<Vec<u8>>>) -> Box<[u8]> {
    let len: usize = cells.iter().map(|c| 4 + c.as_ref().map_or(0, Vec::len)).sum();
    let mut out = Vec::with_capacity(len);
    for c in &cells {
        match c {
            None => out.extend_from_slice(&0u32.to_le_bytes()),
            Some(b) => {
                out.extend_from_slice(&(b.len() as u32 + 1).to_le_bytes());
                out.extend_from_slice(b);
            }
        }
    }
    out.into_boxed_slice()
}

/// The cells [`pack`] packed, `n` of them.
fn unpack(packed: &[u8], n: usize) -> Vec<Option<Vec<u8>>> {
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    for _ in 0..n {
        let len = packed.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        at += 4;
        if len == 0 {
            out.push(None);
        } else {
            let end = (at + len - 1).min(packed.len());
            out.push(Some(packed[at.min(end)..end].to_vec()));
            at = end;
        }
    }
    out
}

/// A table context under construction.
///
/// ```
/// use mailshift_pst::ltp::write::{LocalNids, TcBuilder};
/// use mailshift_pst::ltp::MemSource;
/// use mailshift_pst::raw::Format;
/// use mailshift_pst::{PropValue, TableContext};
///
/// let subject = 0x0037_001F; // PidTagSubject, PtypString
/// let mut tc = TcBuilder::new(Format::Unicode, &[subject]).unwrap();
/// tc.add_row(0x2004, &[Some(PropValue::Unicode("Hello".into()))]).unwrap();
/// let node = tc.build(&mut LocalNids::default()).unwrap();
///
/// let mut mem = MemSource::new("memory", Format::Unicode);
/// let r = mem.add_built(0x802E, &node);
/// let read = TableContext::new(&mem, r).unwrap();
/// assert_eq!(read.row_id(0), Some(0x2004));
/// assert_eq!(read.get(0, 0x0037).unwrap(), Some(PropValue::Unicode("Hello".into())));
/// ```
#[derive(Clone, Debug)]
pub struct TcBuilder {
    format: Format,
    columns: Vec<u32>,
    rows: Vec<Row>,
    subnodes: Vec<BuiltSubnode>,
    /// Set once [`add_row_streaming`](Self::add_row_streaming) has more
    /// rows than one heap allocation holds.
    stream: Option<Box<Stream>>,
}

/// Where a row's cells go (MS-PST 2.3.4.4.1), from the columns.
#[derive(Clone, Debug)]
struct RowLayout {
    /// The row id and version columns, then the caller's.
    tags: Vec<u32>,
    /// Each column's cell offset.
    ib: Vec<usize>,
    /// `rgib`: the ends of the 4/8-, 2- and 1-byte cells and of the row.
    rgib: [u16; 4],
    /// Where the cell existence bitmap starts.
    ceb_at: usize,
    row_size: usize,
    /// Column indexes in tag order (the order of TCOLDESCs and of a row's
    /// variable-size cells in the heap).
    by_tag: Vec<usize>,
}

impl RowLayout {
    fn new(columns: &[u32]) -> RowLayout {
        let mut tags = vec![TAG_ROW_ID, TAG_ROW_VER];
        tags.extend_from_slice(columns);
        let c_cols = tags.len();
        // dwRowID at 0, then the 8- and 4-byte cells, the 2-byte cells, the
        // 1-byte cells, each group in column order, then the CEB.
        let mut ib = vec![0usize; c_cols];
        let mut at = 0usize;
        let mut rgib = [0u16; 4];
        for (g, widths) in [&[4usize, 8][..], &[2], &[1]].iter().enumerate() {
            for (i, &tag) in tags.iter().enumerate() {
                if widths.contains(&cell_width(tag as u16)) {
                    ib[i] = at;
                    at += cell_width(tag as u16);
                }
            }
            rgib[g] = at as u16;
        }
        let ceb_at = at;
        let row_size = at + c_cols.div_ceil(8);
        rgib[3] = row_size as u16;
        let mut by_tag: Vec<usize> = (0..c_cols).collect();
        by_tag.sort_by_key(|&i| tags[i]);
        RowLayout { tags, ib, rgib, ceb_at, row_size, by_tag }
    }

    /// Lays out one row in `r` (`row_size` zeroed bytes): its fixed cells
    /// in place, its variable-size ones allocated in tag order (as Outlook
    /// does) in the heap or, when large, in subnodes.
    fn put(
        &self,
        mut cells: Vec<Option<Vec<u8>>>,
        heap: &mut HeapBuilder,
        subnodes: &mut Vec<BuiltSubnode>,
        nids: &mut dyn NidAllocator,
        r: &mut [u8],
    ) -> WResult<()> {
        for &i in &self.by_tag {
            let Some(bytes) = cells[i].take() else { continue };
            let ptype = self.tags[i] as u16;
            let value =
                if in_row(ptype) { bytes } else { store_hnid(heap, subnodes, nids, bytes)?.to_le_bytes().to_vec() };
            r[self.ib[i]..self.ib[i] + value.len()].copy_from_slice(&value);
            // MS-PST 2.3.4.4.1: iBit 0 is the most significant bit of rgCEB[0].
            r[self.ceb_at + i / 8] |= 0x80 >> (i % 8);
        }
        Ok(())
    }

    /// `TCINFO` (MS-PST 2.3.4.1), its TCOLDESCs sorted by tag (2.3.4.2).
    fn info(&self, hid_row_index: u32, hnid_rows: u32) -> Vec<u8> {
        let mut info = vec![BTYPE_TC, self.tags.len() as u8];
        for r in self.rgib {
            info.extend_from_slice(&r.to_le_bytes());
        }
        info.extend_from_slice(&hid_row_index.to_le_bytes());
        info.extend_from_slice(&hnid_rows.to_le_bytes());
        info.extend_from_slice(&0u32.to_le_bytes()); // hidIndex: deprecated, MUST be 0
        for &i in &self.by_tag {
            info.extend_from_slice(&self.tags[i].to_le_bytes());
            info.extend_from_slice(&(self.ib[i] as u16).to_le_bytes());
            info.push(cell_width(self.tags[i] as u16) as u8);
            info.push(i as u8);
        }
        info
    }
}

/// A large table being written as it grows: its heap and its row matrix
/// blocks go to the [`BlockSink`] as they fill, and what stays is the row
/// index (8 bytes a row), the heap's block 0 and bitmap blocks, and the
/// row matrix block being filled.
#[derive(Clone, Debug)]
struct Stream {
    layout: RowLayout,
    heap: HeapBuilder,
    hid_row_index: u32,
    hid_info: u32,
    /// (dwRowID, row number), in the order added.
    index: Vec<(u32, u32)>,
    /// The row matrix blocks written.
    matrix: Vec<Leaf>,
    /// The rows of the block being filled.
    current: Vec<u8>,
    /// Rows in a row matrix block.
    per_block: usize,
}

/// The RowIndex (MS-PST 2.3.4.3) of `(dwRowID, row number)` pairs into
/// `heap` under the BTHHEADER `hid_row_index`: sorted by dwRowID, each id
/// once; 2-byte row numbers in ANSI files, which count to 65,536.
fn row_index(format: Format, heap: &mut HeapBuilder, hid_row_index: u32, mut index: Vec<(u32, u32)>) -> WResult<u32> {
    let wide = format.is_unicode();
    if !wide && index.len() > 0x1_0000 {
        return Err(LtpWriteError::new("TCINFO", format!("{} rows; an ANSI row index counts to 65536", index.len())));
    }
    index.sort_unstable();
    if let Some(w) = index.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(LtpWriteError::new("TCROWID", format!("two rows with dwRowID {:#x}", w[0].0)));
    }
    let keys = index.iter().map(|r| r.0.to_le_bytes().to_vec()).collect();
    let layout = BthLayout::reserve(heap, Some(hid_row_index), 4, if wide { 4 } else { 2 }, keys)?;
    let data: Vec<Vec<u8>> = index
        .iter()
        .map(|r| if wide { r.1.to_le_bytes().to_vec() } else { (r.1 as u16).to_le_bytes().to_vec() })
        .collect();
    layout.fill(heap, &data)?;
    Ok(layout.header())
}

impl TcBuilder {
    /// A TC with these columns (tags: property id << 16 | type), after the
    /// `PidTagLtpRowId` and `PidTagLtpRowVer` columns every TC starts with
    /// (MS-PST 2.3.4.4.1), which the caller does not list. The order given
    /// is the order of the cell existence bits and, within each size
    /// group, of the cells in the row, as Outlook lays its tables out.
    pub fn new(format: Format, columns: &[u32]) -> WResult<TcBuilder> {
        const S: &str = "TCINFO";
        if columns.len() + 2 > usize::from(u8::MAX) {
            return Err(LtpWriteError::new(S, format!("{} columns; cCols is one byte", columns.len() + 2)));
        }
        let mut seen = std::collections::HashSet::new();
        for &tag in columns {
            if tag >> 16 == u32::from(tags::LTP_ROW_ID) || tag >> 16 == u32::from(tags::LTP_ROW_VER) {
                return Err(LtpWriteError::new(
                    S,
                    format!("column {tag:#010x}: the row id and version columns are implicit"),
                ));
            }
            if !seen.insert(tag) {
                return Err(LtpWriteError::new(S, format!("column {tag:#010x} listed twice")));
            }
        }
        Ok(TcBuilder { format, columns: columns.to_vec(), rows: Vec::new(), subnodes: Vec::new(), stream: None })
    }

    /// Appends a row (row version 1): `cells[i]` is the value of column
    /// `i`, `None` for a cell that does not exist; each value's type must be
    /// its column's.
    ///
    /// A store writer wants [`add_row_with_version`](Self::add_row_with_version):
    /// Outlook draws `PidTagLtpRowVer` from a store-wide counter below the
    /// header's `dwUnique`, and SCANPST counts duplicates as inconsistencies
    /// (OpenOutlook's design document, rule 13).
    pub fn add_row(&mut self, row_id: u32, cells: &[Option<PropValue<'_>>]) -> WResult<()> {
        self.add_row_with_version(row_id, 1, cells)
    }

    /// [`add_row`](Self::add_row) with the row's `PidTagLtpRowVer`.
    pub fn add_row_with_version(&mut self, row_id: u32, row_ver: u32, cells: &[Option<PropValue<'_>>]) -> WResult<()> {
        let raw = self.encode_cells(row_id, cells)?;
        self.add_row_raw(row_id, row_ver, raw)
    }

    /// [`add_row_with_version`](Self::add_row_with_version) for a table
    /// that may grow large (a folder's contents): once its rows outgrow one
    /// heap allocation, its heap and row matrix blocks are written to
    /// `sink` as they fill, so that memory does not grow with the rows by
    /// more than the row index's 8 bytes a row. [`build`](Self::build) then
    /// gives [`NodeData::Leaves`].
    pub fn add_row_streaming(
        &mut self,
        row_id: u32,
        row_ver: u32,
        cells: &[Option<PropValue<'_>>],
        sink: &mut dyn BlockSink,
        nids: &mut dyn NidAllocator,
    ) -> WResult<()> {
        let raw = self.encode_cells(row_id, cells)?;
        if self.stream.is_none() {
            self.add_row_raw(row_id, row_ver, raw)?;
            let row_size = RowLayout::new(&self.columns).row_size;
            if self.rows.len() * row_size <= MAX_ALLOC {
                return Ok(());
            }
            self.start_stream(row_size)?;
            let columns = self.columns.len();
            for row in std::mem::take(&mut self.rows) {
                self.stream_row(row.id, row.cells_with_ids(columns), sink, nids)?;
            }
        } else {
            self.check_raw(row_id, &raw)?;
            let mut all = Vec::with_capacity(raw.len() + 2);
            all.push(Some(row_id.to_le_bytes().to_vec()));
            all.push(Some(row_ver.to_le_bytes().to_vec()));
            all.extend(raw);
            self.stream_row(row_id, all, sink, nids)?;
        }
        let st = self.stream.as_mut().expect("streaming");
        st.heap.flush(sink)
    }

    /// Lays out one row of a streamed table, writing the row matrix block
    /// it fills.
    fn stream_row(
        &mut self,
        row_id: u32,
        cells: Vec<Option<Vec<u8>>>,
        sink: &mut dyn BlockSink,
        nids: &mut dyn NidAllocator,
    ) -> WResult<()> {
        let full = self.format.max_block_data();
        let st = self.stream.as_mut().expect("streaming");
        let at = st.current.len();
        st.current.resize(at + st.layout.row_size, 0);
        let n = st.index.len() as u32;
        st.index.push((row_id, n));
        st.layout.put(cells, &mut st.heap, &mut self.subnodes, nids, &mut st.current[at..])?;
        if st.current.len() / st.layout.row_size == st.per_block {
            st.current.resize(full, 0);
            let block = std::mem::replace(&mut st.current, Vec::with_capacity(full));
            let bid = sink.put_leaf(block)?;
            st.matrix.push(Leaf::Written { bid, len: full });
        }
        Ok(())
    }

    fn start_stream(&mut self, row_size: usize) -> WResult<()> {
        let layout = RowLayout::new(&self.columns);
        let mut heap = HeapBuilder::new(self.format, BTYPE_TC);
        let hid_row_index = heap.alloc(&[0u8; 8])?;
        let hid_info = heap.alloc(&vec![0u8; TCINFO_SIZE + 8 * layout.tags.len()])?;
        heap.set_user_root(hid_info);
        let per_block = self.format.max_block_data() / row_size;
        self.stream = Some(Box::new(Stream {
            layout,
            heap,
            hid_row_index,
            hid_info,
            index: Vec::new(),
            matrix: Vec::new(),
            current: Vec::with_capacity(per_block * row_size),
            per_block,
        }));
        Ok(())
    }

    /// The cells' stored values, each checked against its column's type.
    fn encode_cells(&self, row_id: u32, cells: &[Option<PropValue<'_>>]) -> WResult<Vec<Option<Vec<u8>>>> {
        let mut raw = Vec::with_capacity(cells.len());
        for (i, cell) in cells.iter().enumerate() {
            raw.push(match cell {
                None => None,
                Some(v) => {
                    let (t, bytes) = encode(v);
                    match self.columns.get(i) {
                        Some(&tag) if tag as u16 != t => {
                            return Err(LtpWriteError::new(
                                "TC row",
                                format!("row {row_id:#x}: a value of type {t:#06x} in column {tag:#010x}"),
                            ))
                        }
                        _ => Some(bytes),
                    }
                }
            });
        }
        Ok(raw)
    }

    /// Appends a row of stored values (as [`encode`] gives them).
    pub fn add_row_raw(&mut self, row_id: u32, row_ver: u32, cells: Vec<Option<Vec<u8>>>) -> WResult<()> {
        self.check_raw(row_id, &cells)?;
        self.rows.push(Row { id: row_id, version: row_ver, cells: pack(cells) });
        Ok(())
    }

    /// A row's stored cells fit the columns.
    fn check_raw(&self, row_id: u32, cells: &[Option<Vec<u8>>]) -> WResult<()> {
        if cells.len() != self.columns.len() {
            return Err(LtpWriteError::new(
                "TC row",
                format!("row {row_id:#x}: {} cells for {} columns", cells.len(), self.columns.len()),
            ));
        }
        for (cell, &tag) in cells.iter().zip(&self.columns) {
            if let Some(b) = cell {
                check_stored("TC cell", tag as u16, b)?;
            }
        }
        Ok(())
    }

    /// Adds a subnode the table's cells refer to (rarely needed: the
    /// builder makes the subnodes of large cells itself).
    pub fn add_subnode(&mut self, nid: u32, node: BuiltNode) {
        self.subnodes.push(BuiltSubnode { nid, node });
    }

    /// Number of rows added.
    pub fn row_count(&self) -> usize {
        self.rows.len() + self.stream.as_ref().map_or(0, |s| s.index.len())
    }

    /// Builds the node (MS-PST 2.3.4). Heap allocations in Outlook's order:
    /// the RowIndex `BTHHEADER`, `TCINFO` (`hidUserRoot`), the RowIndex
    /// records (`dwRowID` -> `dwRowIndex`, cbKey 4, cbEnt 4, or 2 in ANSI
    /// files), the row matrix when it fits one allocation, then the
    /// variable-size cells. A larger row matrix is a subnode of `nidType`
    /// [`NID_TYPE_LTP`] whose blocks hold whole rows, every block but the
    /// last padded to [`Format::max_block_data`] bytes (MS-PST 2.3.4.4).
    pub fn build(self, nids: &mut dyn NidAllocator) -> WResult<BuiltNode> {
        if self.stream.is_some() {
            return self.build_stream(nids);
        }
        let layout = RowLayout::new(&self.columns);
        let (c_cols, row_size) = (layout.tags.len(), layout.row_size);
        let self_columns = self.columns.len();

        let mut heap = HeapBuilder::new(self.format, BTYPE_TC);
        let mut subnodes = self.subnodes;
        let hid_row_index = heap.alloc(&[0u8; 8])?;
        let hid_info = heap.alloc(&vec![0u8; TCINFO_SIZE + 8 * c_cols])?;
        heap.set_user_root(hid_info);

        let index: Vec<(u32, u32)> = self.rows.iter().enumerate().map(|(i, r)| (r.id, i as u32)).collect();
        let bth = row_index(self.format, &mut heap, hid_row_index, index)?;

        let matrix_len = self.rows.len() * row_size;
        let matrix_hid =
            if matrix_len > 0 && matrix_len <= MAX_ALLOC { Some(heap.alloc(&vec![0u8; matrix_len])?) } else { None };

        let mut matrix = vec![0u8; matrix_len];
        for (row, r) in self.rows.iter().zip(matrix.chunks_mut(row_size)) {
            layout.put(row.cells_with_ids(self_columns), &mut heap, &mut subnodes, nids, r)?;
        }
        let hnid_rows = match matrix_hid {
            Some(hid) => {
                heap.replace(hid, &matrix)?;
                hid
            }
            None if matrix.is_empty() => 0,
            None => {
                let full = self.format.max_block_data();
                let per_block = full / row_size;
                let blocks: Vec<Vec<u8>> = matrix.chunks(per_block * row_size).map(|c| c.to_vec()).collect::<Vec<_>>();
                let last = blocks.len() - 1;
                let blocks = blocks
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut b)| {
                        if i < last {
                            b.resize(full, 0);
                        }
                        b
                    })
                    .collect();
                let nid = nids.next_nid(NID_TYPE_LTP);
                subnodes.push(BuiltSubnode {
                    nid,
                    node: BuiltNode { data: NodeData::Blocks(blocks), subnodes: Vec::new() },
                });
                nid
            }
        };
        heap.replace(hid_info, &layout.info(bth, hnid_rows))?;
        check_subnodes("TC", &subnodes)?;
        Ok(BuiltNode { data: NodeData::Blocks(heap.finish()), subnodes })
    }

    /// [`build`](Self::build) of a streamed table: the row index and
    /// `TCINFO` into the heap, the last row matrix block, and the node's
    /// blocks, most of them written already.
    fn build_stream(self, nids: &mut dyn NidAllocator) -> WResult<BuiltNode> {
        let Some(st) = self.stream else { unreachable!("build() checked") };
        let Stream { layout, mut heap, hid_row_index, hid_info, index, mut matrix, current, .. } = *st;
        let mut subnodes = self.subnodes;
        let bth = row_index(self.format, &mut heap, hid_row_index, index)?;
        if !current.is_empty() {
            matrix.push(Leaf::Data(current));
        }
        let nid = nids.next_nid(NID_TYPE_LTP);
        subnodes.push(BuiltSubnode { nid, node: BuiltNode { data: NodeData::Leaves(matrix), subnodes: Vec::new() } });
        heap.replace(hid_info, &layout.info(bth, nid))?;
        check_subnodes("TC", &subnodes)?;
        Ok(BuiltNode { data: NodeData::Leaves(heap.finish_leaves()), subnodes })
    }
}

#[cfg(test)]
mod pack_tests {
    use super::{pack, unpack};

    #[test]
    fn packed_rows_unpack_as_given() {
        let cells = vec![None, Some(vec![]), Some(vec![1, 2, 3]), None, Some(vec![7; 5000])];
        assert_eq!(unpack(&pack(cells.clone()), cells.len()), cells);
        assert_eq!(unpack(&pack(Vec::new()), 0), Vec::<Option<Vec<u8>>>::new());
    }
}
