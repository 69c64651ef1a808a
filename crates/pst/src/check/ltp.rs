//! Heaps-on-node, BTrees-on-heap, property contexts and table contexts
//! (MS-PST 2.3), read from the raw blocks of every node the NDB layer
//! reached, so that a broken structure is reported where it breaks.

use std::borrow::Cow;
use std::collections::HashSet;

use super::Ctx;
use crate::error::{u16_at, u32_at};
use crate::ltp::prop::{self, fixed_size, MV_FLAG};
use crate::raw::{Bid, Format, Nid, SlEntry};

/// `bSig` of `HNHDR` (MS-PST 2.3.1.2).
const HN_SIG: u8 = 0xEC;
/// `bClientSig` values (MS-PST 2.3.1.2; libpff names 0x6C ... 0xCC).
const SIG_TC: u8 = 0x7C;
const SIG_BTH: u8 = 0xB5;
const SIG_PC: u8 = 0xBC;
const KNOWN_SIGS: [u8; 9] = [0x6C, 0x7C, 0x8C, 0x9C, 0xA5, 0xAC, 0xB5, 0xBC, 0xCC];
/// Bytes of HNHDR, HNPAGEHDR and HNBITMAPHDR (MS-PST 2.3.1.2-4).
const HNHDR_SIZE: usize = 12;
const HNPAGEHDR_SIZE: usize = 2;
const HNBITMAPHDR_SIZE: usize = 66;
/// `TCINFO` before its columns, and a `TCOLDESC` (MS-PST 2.3.4.1-2).
const TCINFO_SIZE: usize = 22;
const TCOLDESC_SIZE: usize = 8;
/// `PidTagLtpRowId` and `PidTagLtpRowVer`: the first two columns of every
/// table (MS-PST 2.3.4.4.1).
const TAG_ROW_ID: u32 = 0x67F2_0003;
const TAG_ROW_VER: u32 = 0x67F3_0003;

/// What a node must be, from its NID.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Pc,
    Tc,
    /// A heap of some kind if it looks like one, else opaque data.
    Any,
}

fn expect(nid: u32, subnode: bool) -> Expect {
    let t = Nid(nid).nid_type();
    if subnode {
        return match (nid, t) {
            (_, 0x04 | 0x05) => Expect::Pc,
            (0x671 | 0x692, _) => Expect::Tc,
            _ => Expect::Any,
        };
    }
    match (nid, t) {
        (0x21 | 0x61, _) => Expect::Pc,
        (_, 0x02 | 0x03 | 0x04 | 0x07 | 0x08) => Expect::Pc,
        // 0x10 (search contents table) is a 0xAC table in OSTs.
        (_, 0x0B..=0x0F | 0x11 | 0x12) => Expect::Tc,
        _ => Expect::Any,
    }
}

/// A node's subnodes, and their NIDs for lookups.
#[derive(Default)]
struct Subnodes {
    list: Vec<SlEntry>,
    nids: HashSet<u32>,
}

/// A node to check: its NID, data tree and subnode tree.
#[derive(Clone, Copy)]
struct NodeData {
    nid: u32,
    bid_data: u64,
    bid_sub: u64,
    subnode: bool,
}

/// Checks every heap the NBT and the subnode trees reach.
pub(crate) fn check(cx: &mut Ctx<'_>) {
    let mut nodes: Vec<NodeData> = cx
        .nbt
        .iter()
        .map(|e| NodeData { nid: e.nid, bid_data: e.bid_data, bid_sub: e.bid_sub, subnode: false })
        .collect();
    let mut subs: Vec<SlEntry> = cx.subnodes.values().flatten().flatten().copied().collect();
    subs.sort_by_key(|s| (Bid(s.bid_data).key(), s.nid));
    nodes.extend(subs.iter().map(|s| NodeData { nid: s.nid, bid_data: s.bid_data, bid_sub: s.bid_sub, subnode: true }));
    let mut done: HashSet<u64> = HashSet::new();
    for n in nodes {
        if n.bid_data == 0 || !done.insert(Bid(n.bid_data).key()) {
            continue;
        }
        node(cx, n);
    }
}

/// One allocation table of a heap block.
struct PageMap {
    /// `rgibAlloc`: `cAlloc + 1` offsets.
    offsets: Vec<u16>,
}

/// A heap: its blocks (decoded) and their page maps.
struct Heap<'a> {
    nid: u32,
    blocks: Vec<Cow<'a, [u8]>>,
    maps: Vec<Option<PageMap>>,
    /// File offset of the first block, for the reports.
    ib: Option<u64>,
    format: Format,
}

impl Heap<'_> {
    /// The bytes of `hid`, or why not.
    fn get(&self, hid: u32) -> Result<&[u8], String> {
        let Some(h) = crate::ltp::heap::Hid::decode(hid, self.format) else {
            return Err(format!("{hid:#x} is not a HID"));
        };
        let (b, i) = (h.block as usize, h.index as usize);
        let Some(Some(map)) = self.maps.get(b) else {
            return Err(format!("HID {hid:#x} names block {b} of {}", self.blocks.len()));
        };
        if i == 0 || i >= map.offsets.len() {
            return Err(format!("HID {hid:#x} names allocation {i} of block {b}, which has {}", map.offsets.len() - 1));
        }
        let (s, e) = (usize::from(map.offsets[i - 1]), usize::from(map.offsets[i]));
        self.blocks[b].get(s..e).ok_or_else(|| format!("HID {hid:#x}: allocation {s}..{e} outside the block"))
    }
}

fn node(cx: &mut Ctx<'_>, n: NodeData) {
    let want = expect(n.nid, n.subnode);
    let Some(Some(leaves)) = cx.leaves.get(&Bid(n.bid_data).key()).cloned() else { return };
    let mut blocks = Vec::with_capacity(leaves.len());
    for l in &leaves {
        match cx.block_data(*l) {
            Some(d) => blocks.push(d),
            // Unreadable: reported by the block checks.
            None => return,
        }
    }
    let ib = leaves.first().and_then(|l| cx.block(*l)).map(|b| b.ib);
    let first = blocks.first().map(|b| b.as_ref()).unwrap_or(&[]);
    let is_heap = first.len() >= HNHDR_SIZE && first[2] == HN_SIG;
    // Opaque data (large property values in NID_TYPE_LTP subnodes above
    // all) may start with 0xEC at byte 2 by chance: only a known client
    // signature makes it a heap there.
    if want == Expect::Any && (!is_heap || Nid(n.nid).nid_type() == 0x1F || !KNOWN_SIGS.contains(&first[3])) {
        return;
    }
    if !is_heap {
        let what = match want {
            Expect::Pc => "pc.kind",
            Expect::Tc => "tc.kind",
            Expect::Any => return,
        };
        cx.report(what, ib, format!("node {:#x}: its data is not a heap-on-node (no bSig 0xEC)", n.nid));
        return;
    }
    cx.count("HN", 1);
    let client = first[3];
    let hid_user_root = u32_at(first, 4).unwrap_or(0);
    if !KNOWN_SIGS.contains(&client) {
        cx.report("hn.header", ib, format!("node {:#x}: bClientSig {client:#04x} is not a known heap client", n.nid));
    }
    match (want, client) {
        (Expect::Pc, c) if c != SIG_PC => {
            cx.report("pc.kind", ib, format!("node {:#x}: bClientSig {c:#04x}, a property context is 0xBC", n.nid));
            return;
        }
        (Expect::Tc, c) if c != SIG_TC => {
            cx.report("tc.kind", ib, format!("node {:#x}: bClientSig {c:#04x}, a table context is 0x7C", n.nid));
            return;
        }
        _ => {}
    }
    let format = cx.format;
    let mut heap = Heap { nid: n.nid, blocks, maps: Vec::new(), ib, format };
    let mut fill_ok = true;
    for i in 0..heap.blocks.len() {
        let m = page_map(cx, &heap, i);
        fill_ok &= m.is_some();
        heap.maps.push(m);
    }
    if !fill_ok {
        // A block whose allocations cannot be found: nothing above it can be read.
        return;
    }
    fill_levels(cx, &heap);
    if hid_user_root != 0 {
        if let Err(why) = heap.get(hid_user_root) {
            cx.report("hn.hid", ib, format!("node {:#x}: hidUserRoot: {why}", n.nid));
            return;
        }
    }
    let subnodes: Subnodes = if n.bid_sub == 0 {
        Subnodes::default()
    } else {
        match cx.subnodes.get(&Bid(n.bid_sub).key()) {
            Some(Some(v)) => Subnodes { nids: v.iter().map(|s| s.nid).collect(), list: v.clone() },
            // A broken subnode tree: HNIDs naming subnodes cannot be checked.
            _ => return,
        }
    };
    match client {
        SIG_PC => pc(cx, &heap, hid_user_root, &subnodes),
        SIG_TC => tc(cx, &heap, hid_user_root, &subnodes),
        // 0x8C: a BTH straight at hidUserRoot (libpff's "8c table").
        0x8C if hid_user_root != 0 => {
            bth(cx, &heap, hid_user_root);
        }
        _ => {}
    }
}

/// Header size of block `i` of a heap: HNHDR, HNBITMAPHDR (block 8 and
/// every 128th after) or HNPAGEHDR (MS-PST 2.3.1.3-4).
fn header_size(i: usize) -> usize {
    if i == 0 {
        HNHDR_SIZE
    } else if i % 128 == 8 {
        HNBITMAPHDR_SIZE
    } else {
        HNPAGEHDR_SIZE
    }
}

/// Reads and checks block `i`'s `HNPAGEMAP` (MS-PST 2.3.1.5).
fn page_map(cx: &mut Ctx<'_>, heap: &Heap<'_>, i: usize) -> Option<PageMap> {
    let b: &[u8] = &heap.blocks[i];
    let nid = heap.nid;
    let hdr = header_size(i);
    let bad = |cx: &mut Ctx<'_>, why: String| {
        cx.report("hn.pagemap", heap.ib, format!("node {nid:#x} heap block {i}: {why}"));
        None
    };
    if b.len() < hdr {
        return bad(cx, format!("{} bytes, shorter than its {hdr}-byte header", b.len()));
    }
    let ib_hnpm = usize::from(u16_at(b, 0).unwrap_or(0));
    let Some(c_alloc) = u16_at(b, ib_hnpm).map(usize::from) else {
        return bad(cx, format!("ibHnpm {ib_hnpm} is outside the {} bytes", b.len()));
    };
    let end = ib_hnpm + 4 + 2 * (c_alloc + 1);
    if ib_hnpm < hdr || end > b.len() {
        return bad(
            cx,
            format!("HNPAGEMAP at {ib_hnpm} with cAlloc {c_alloc} does not fit between {hdr} and {}", b.len()),
        );
    }
    let offsets: Vec<u16> = (0..=c_alloc).map(|k| u16_at(b, ib_hnpm + 4 + 2 * k).unwrap_or(0)).collect();
    if usize::from(offsets[0]) != hdr {
        return bad(cx, format!("the first allocation starts at {}, not after the {hdr}-byte header", offsets[0]));
    }
    if let Some(k) = offsets.windows(2).position(|w| w[1] < w[0]) {
        return bad(cx, format!("allocation {} ends at {} before it starts at {}", k + 1, offsets[k + 1], offsets[k]));
    }
    if usize::from(offsets[c_alloc]) > ib_hnpm {
        return bad(cx, format!("the allocations end at {}, past the HNPAGEMAP at {ib_hnpm}", offsets[c_alloc]));
    }
    Some(PageMap { offsets })
}

/// MS-PST 2.3.1.2: the fill level of a block from its free bytes.
fn fill_level(free: usize) -> u8 {
    const AT_LEAST: [usize; 15] = [3584, 2560, 2048, 1792, 1536, 1280, 1024, 768, 512, 256, 128, 64, 32, 16, 8];
    AT_LEAST.iter().position(|&n| free >= n).map_or(15, |p| p as u8)
}

/// `rgbFillLevel` of HNHDR (blocks 0 to 7) and HNBITMAPHDR (the next 128).
fn fill_levels(cx: &mut Ctx<'_>, heap: &Heap<'_>) {
    let max = heap.format.max_block_data();
    if heap.format == Format::Unicode4k {
        return;
    }
    for i in 0..heap.blocks.len() {
        let (holder, first_block, at) =
            if i < 8 { (0, 0, 8) } else { (8 + (i - 8) / 128 * 128, 8 + (i - 8) / 128 * 128, 2) };
        let k = i - first_block;
        let Some(&byte) = heap.blocks[holder].get(at + k / 2) else { continue };
        let stored = if k % 2 == 0 { byte & 0x0F } else { byte >> 4 };
        let b: &[u8] = &heap.blocks[i];
        let Some(Some(map)) = heap.maps.get(i) else { continue };
        // Free: what follows the page map up to the largest block (Outlook
        // pads blocks it will fill later) and any gap before the map.
        let ib_hnpm = usize::from(u16_at(b, 0).unwrap_or(0));
        let map_end = ib_hnpm + 4 + 2 * map.offsets.len();
        let gap = ib_hnpm - usize::from(*map.offsets.last().unwrap_or(&0));
        let free = max.saturating_sub(map_end) + gap;
        let want = fill_level(free);
        if stored != want {
            cx.report(
                "hn.fill",
                heap.ib,
                format!("node {:#x} heap block {i}: rgbFillLevel {stored}, {free} bytes free give {want}", heap.nid),
            );
        }
    }
}

/// Compares little-endian unsigned keys.
fn cmp_key(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

/// A BTH (MS-PST 2.3.2) at `hid`: (cbKey, cbEnt, leaf records) or `None`
/// when it cannot be read.
#[allow(clippy::type_complexity)]
fn bth<'h>(cx: &mut Ctx<'_>, heap: &'h Heap<'_>, hid: u32) -> Option<(usize, usize, Vec<(&'h [u8], &'h [u8])>)> {
    cx.count("BTH", 1);
    let nid = heap.nid;
    let h = match heap.get(hid) {
        Ok(h) => h,
        Err(why) => {
            cx.report("hn.hid", heap.ib, format!("node {nid:#x}: BTHHEADER: {why}"));
            return None;
        }
    };
    if h.len() != 8 || h[0] != SIG_BTH {
        cx.report(
            "bth.header",
            heap.ib,
            format!("node {nid:#x}: BTHHEADER of {} bytes, bType {:#04x}", h.len(), h.first().copied().unwrap_or(0)),
        );
        return None;
    }
    let (cb_key, cb_ent, levels) = (usize::from(h[1]), usize::from(h[2]), h[3]);
    let root = u32_at(h, 4).unwrap_or(0);
    if ![2, 4, 8, 16].contains(&cb_key) || !(1..=32).contains(&cb_ent) || levels > 8 {
        cx.report(
            "bth.header",
            heap.ib,
            format!("node {nid:#x}: BTH cbKey {cb_key}, cbEnt {cb_ent}, bIdxLevels {levels}"),
        );
        return None;
    }
    let mut out = Vec::new();
    if root == 0 {
        return Some((cb_key, cb_ent, out));
    }
    let mut seen = HashSet::new();
    if !bth_page(cx, heap, root, levels, cb_key, cb_ent, None, &mut seen, &mut out) {
        return None;
    }
    // Keys are little-endian numbers (PC ids, row ids); the 8-byte keys of
    // an OST's 0x8C tables ascend as byte strings instead.
    let le = out.windows(2).position(|w| cmp_key(w[1].0, w[0].0) != std::cmp::Ordering::Greater);
    let bytes = out.windows(2).position(|w| w[1].0 <= w[0].0);
    let misplaced = if cb_key >= 8 { le.and(bytes) } else { le };
    if let Some(k) = misplaced {
        cx.report(
            "bth.order",
            heap.ib,
            format!("node {nid:#x}: BTH key {:02x?} follows {:02x?} (record {})", out[k + 1].0, out[k].0, k + 1),
        );
    }
    Some((cb_key, cb_ent, out))
}

#[allow(clippy::too_many_arguments)]
fn bth_page<'h>(
    cx: &mut Ctx<'_>,
    heap: &'h Heap<'_>,
    hid: u32,
    level: u8,
    cb_key: usize,
    cb_ent: usize,
    parent_key: Option<&[u8]>,
    seen: &mut HashSet<u32>,
    out: &mut Vec<(&'h [u8], &'h [u8])>,
) -> bool {
    let nid = heap.nid;
    if !seen.insert(hid) {
        cx.report("bth.cycle", heap.ib, format!("node {nid:#x}: BTH page {hid:#x} is reached twice"));
        return false;
    }
    let data = match heap.get(hid) {
        Ok(d) => d,
        Err(why) => {
            cx.report("hn.hid", heap.ib, format!("node {nid:#x}: BTH page: {why}"));
            return false;
        }
    };
    let size = cb_key + if level == 0 { cb_ent } else { 4 };
    if data.len() % size != 0 || data.is_empty() {
        cx.report(
            "bth.size",
            heap.ib,
            format!(
                "node {nid:#x}: BTH page {hid:#x} of {} bytes is no whole number of {size}-byte records",
                data.len()
            ),
        );
        return false;
    }
    if let Some(pk) = parent_key {
        if &data[..cb_key] != pk {
            cx.report(
                "bth.key",
                heap.ib,
                format!("node {nid:#x}: BTH index key {pk:02x?}, the page below starts at {:02x?}", &data[..cb_key]),
            );
        }
    }
    for r in data.chunks_exact(size) {
        let (k, v) = r.split_at(cb_key);
        if level == 0 {
            out.push((k, v));
        } else {
            let next = u32_at(v, 0).unwrap_or(0);
            if !bth_page(cx, heap, next, level - 1, cb_key, cb_ent, Some(k), seen, out) {
                return false;
            }
        }
    }
    true
}

/// Property types MS-OXCDATA 2.11.1 defines (and their multi-valued forms).
fn known_type(t: u16) -> bool {
    use prop::*;
    let base = t & !MV_FLAG;
    let single = matches!(
        base,
        PT_UNSPECIFIED
            | PT_NULL
            | PT_I2
            | PT_LONG
            | PT_R4
            | PT_DOUBLE
            | PT_CURRENCY
            | PT_APPTIME
            | PT_ERROR
            | PT_BOOLEAN
            | PT_OBJECT
            | PT_I8
            | PT_STRING8
            | PT_UNICODE
            | PT_SYSTIME
            | PT_CLSID
            | PT_SVREID
            | PT_SRESTRICT
            | PT_ACTIONS
            | PT_BINARY
    );
    single && (t & MV_FLAG == 0 || !matches!(base, PT_UNSPECIFIED | PT_NULL | PT_OBJECT | PT_ERROR | PT_BOOLEAN))
}

/// Whether an HNID resolves: a HID of the heap, or a subnode of the node.
fn hnid_ok(heap: &Heap<'_>, subnodes: &Subnodes, hnid: u32) -> Result<Option<usize>, String> {
    if hnid == 0 {
        return Ok(Some(0));
    }
    if hnid & 0x1F == 0 {
        return heap.get(hnid).map(|d| Some(d.len()));
    }
    if subnodes.nids.contains(&hnid) {
        Ok(None)
    } else {
        Err(format!("subnode {hnid:#x} does not exist"))
    }
}

/// A property context (MS-PST 2.3.3).
fn pc(cx: &mut Ctx<'_>, heap: &Heap<'_>, root: u32, subnodes: &Subnodes) {
    cx.count("PC", 1);
    let nid = heap.nid;
    let Some((cb_key, cb_ent, records)) = bth(cx, heap, root) else { return };
    if cb_key != 2 || cb_ent != 6 {
        cx.report("pc.bth", heap.ib, format!("node {nid:#x}: PC BTH with cbKey {cb_key}, cbEnt {cb_ent} (2 and 6)"));
        return;
    }
    for (k, v) in records {
        let id = u16_at(k, 0).unwrap_or(0);
        let t = u16_at(v, 0).unwrap_or(0);
        let hnid = u32_at(v, 2).unwrap_or(0);
        if !known_type(t) {
            cx.report("pc.type", heap.ib, format!("node {nid:#x}: property {id:#06x} has unknown type {t:#06x}"));
            continue;
        }
        // MS-PST 2.3.3.3: values of up to 4 bytes are stored in dwValueHnid.
        let size = fixed_size(t);
        if t & MV_FLAG == 0 && size.is_some_and(|s| s <= 4) {
            continue;
        }
        match hnid_ok(heap, subnodes, hnid) {
            Err(why) => {
                cx.report("pc.value", heap.ib, format!("node {nid:#x}: property {id:#06x}{t:04x}: {why}"));
            }
            Ok(Some(len)) => {
                let wrong = match size {
                    Some(s) if t & MV_FLAG == 0 => len != s,
                    Some(s) => len % s != 0,
                    None => false,
                };
                if wrong && hnid != 0 {
                    cx.report(
                        "pc.value",
                        heap.ib,
                        format!(
                            "node {nid:#x}: property {id:#06x}{t:04x} holds {len} bytes, its type {} each",
                            size.unwrap_or(0)
                        ),
                    );
                }
            }
            Ok(None) => {}
        }
    }
}

/// A table context (MS-PST 2.3.4).
fn tc(cx: &mut Ctx<'_>, heap: &Heap<'_>, root: u32, subnodes: &Subnodes) {
    cx.count("TC", 1);
    let nid = heap.nid;
    let ib = heap.ib;
    let info = match heap.get(root) {
        Ok(i) => i,
        Err(why) => {
            cx.report("hn.hid", ib, format!("node {nid:#x}: TCINFO: {why}"));
            return;
        }
    };
    if info.len() < TCINFO_SIZE || info[0] != SIG_TC {
        cx.report(
            "tc.info",
            ib,
            format!("node {nid:#x}: TCINFO of {} bytes, bType {:#04x}", info.len(), info.first().copied().unwrap_or(0)),
        );
        return;
    }
    let c_cols = usize::from(info[1]);
    if info.len() != TCINFO_SIZE + TCOLDESC_SIZE * c_cols {
        cx.report(
            "tc.info",
            ib,
            format!(
                "node {nid:#x}: TCINFO of {} bytes for cCols {c_cols} ({} expected)",
                info.len(),
                TCINFO_SIZE + TCOLDESC_SIZE * c_cols
            ),
        );
        if info.len() < TCINFO_SIZE + TCOLDESC_SIZE * c_cols {
            return;
        }
    }
    let rgib: Vec<usize> = (0..4).map(|i| usize::from(u16_at(info, 2 + 2 * i).unwrap_or(0))).collect();
    let (end4, end2, end1, row) = (rgib[0], rgib[1], rgib[2], rgib[3]);
    if !(end4 <= end2 && end2 <= end1 && end1 <= row) {
        cx.report("tc.info", ib, format!("node {nid:#x}: rgib {rgib:?} do not ascend"));
        return;
    }
    let ceb = c_cols.div_ceil(8);
    if row - end1 != ceb {
        cx.report(
            "tc.ceb",
            ib,
            format!(
                "node {nid:#x}: the cell existence bitmap is {} bytes (rgib {rgib:?}), {c_cols} columns need {ceb}",
                row - end1
            ),
        );
    }
    let hid_row_index = u32_at(info, 10).unwrap_or(0);
    let hnid_rows = u32_at(info, 14).unwrap_or(0);
    struct Col {
        tag: u32,
        ib: usize,
        cb: usize,
        bit: usize,
    }
    let cols: Vec<Col> = (0..c_cols)
        .map(|i| {
            let at = TCINFO_SIZE + TCOLDESC_SIZE * i;
            Col {
                tag: u32_at(info, at).unwrap_or(0),
                ib: usize::from(u16_at(info, at + 4).unwrap_or(0)),
                cb: usize::from(info[at + 6]),
                bit: usize::from(info[at + 7]),
            }
        })
        .collect();
    // Columns: ascending tags, each iBit once, the row id and version first.
    if let Some(w) = cols.windows(2).find(|w| w[1].tag <= w[0].tag) {
        cx.report("tc.columns", ib, format!("node {nid:#x}: column {:#010x} follows {:#010x}", w[1].tag, w[0].tag));
    }
    let mut bits = HashSet::new();
    for c in &cols {
        if c.bit >= c_cols.max(ceb * 8) || !bits.insert(c.bit) {
            cx.report(
                "tc.columns",
                ib,
                format!("node {nid:#x}: column {:#010x} has iBit {} (used twice or out of range)", c.tag, c.bit),
            );
        }
        let t = c.tag as u16;
        let want = match fixed_size(t) {
            Some(s) if t & MV_FLAG == 0 && s <= 8 => s,
            _ => 4,
        };
        // MS-PST 2.3.4.4: 8- and 4-byte cells first, then 2-byte, then 1-byte.
        let (lo, hi) = match c.cb {
            8 | 4 => (0, end4),
            2 => (end4, end2),
            1 => (end2, end1),
            _ => (0, 0),
        };
        if c.cb != want || c.ib < lo || c.ib + c.cb > hi {
            cx.report(
                "tc.overlap",
                ib,
                format!(
                    "node {nid:#x}: column {:#010x} at {}+{} (its type takes {want} bytes, in {lo}..{hi})",
                    c.tag, c.ib, c.cb
                ),
            );
        }
    }
    for (i, tag) in [(0usize, TAG_ROW_ID), (4, TAG_ROW_VER)] {
        if !cols.iter().any(|c| c.tag == tag && c.ib == i && c.cb == 4) {
            cx.report("tc.columns", ib, format!("node {nid:#x}: no column {tag:#010x} at offset {i}"));
        }
    }
    let mut spans: Vec<(usize, usize, u32)> = cols.iter().map(|c| (c.ib, c.ib + c.cb, c.tag)).collect();
    spans.sort_unstable();
    if let Some(w) = spans.windows(2).find(|w| w[1].0 < w[0].1) {
        cx.report(
            "tc.overlap",
            ib,
            format!(
                "node {nid:#x}: column {:#010x} at {}..{} overlaps {:#010x} at {}..{}",
                w[1].2, w[1].0, w[1].1, w[0].2, w[0].0, w[0].1
            ),
        );
    }

    // The row index: dwRowID -> dwRowIndex (4 bytes Unicode, 2 ANSI).
    let mut index: Vec<(u32, usize)> = Vec::new();
    if hid_row_index != 0 {
        let Some((cb_key, cb_ent, records)) = bth(cx, heap, hid_row_index) else { return };
        // dwRowIndex: 4 bytes (MS-PST 2.3.4.3); ANSI files hold 2 or 4
        // (both in Outlook-made fixtures).
        let ent_ok = cb_ent == 4 || (heap.format == Format::Ansi && cb_ent == 2);
        if cb_key != 4 || !ent_ok {
            cx.report("tc.rowindex", ib, format!("node {nid:#x}: row index BTH cbKey {cb_key}, cbEnt {cb_ent}"));
            return;
        }
        for (k, v) in records {
            let id = u32_at(k, 0).unwrap_or(0);
            let i =
                if cb_ent == 2 { usize::from(u16_at(v, 0).unwrap_or(0)) } else { u32_at(v, 0).unwrap_or(0) as usize };
            index.push((id, i));
        }
    }
    // The row matrix: in the heap, or in a subnode whose blocks each hold
    // whole rows (MS-PST 2.3.4.4).
    let matrix: Vec<Cow<'_, [u8]>> = if hnid_rows == 0 {
        Vec::new()
    } else if hnid_rows & 0x1F == 0 {
        match heap.get(hnid_rows) {
            Ok(d) => vec![Cow::Borrowed(d)],
            Err(why) => {
                cx.report("hn.hid", ib, format!("node {nid:#x}: row matrix: {why}"));
                return;
            }
        }
    } else {
        let Some(s) = subnodes.list.iter().find(|s| s.nid == hnid_rows) else {
            cx.report("tc.rows", ib, format!("node {nid:#x}: row matrix subnode {hnid_rows:#x} does not exist"));
            return;
        };
        let Some(Some(leaves)) = cx.leaves.get(&Bid(s.bid_data).key()).cloned() else { return };
        let mut v = Vec::new();
        for l in leaves {
            match cx.block_data(l) {
                Some(d) => v.push(Cow::Owned(d.into_owned())),
                None => return,
            }
        }
        v
    };
    let rows: Vec<&[u8]> =
        if row == 0 { Vec::new() } else { matrix.iter().flat_map(|b| b.chunks_exact(row)).collect() };
    let in_matrix = rows.len();
    let partial = matrix.iter().any(|b| row > 0 && b.len() % row != 0 && matrix.len() == 1);
    if in_matrix != index.len() || partial {
        cx.report(
            "tc.rows",
            ib,
            format!("node {nid:#x}: the row index has {} rows, the row matrix {in_matrix} of {row} bytes", index.len()),
        );
    }
    let mut used = HashSet::new();
    for &(id, i) in &index {
        let Some(r) = rows.get(i) else {
            cx.report("tc.rowindex", ib, format!("node {nid:#x}: row {id:#x} at index {i}, past the {in_matrix} rows"));
            continue;
        };
        if !used.insert(i) {
            cx.report("tc.rowindex", ib, format!("node {nid:#x}: two rows at index {i}"));
        }
        if u32_at(r, 0) != Some(id) {
            cx.report(
                "tc.rowindex",
                ib,
                format!(
                    "node {nid:#x}: row index {i} holds dwRowID {:#x}, the index says {id:#x}",
                    u32_at(r, 0).unwrap_or(0)
                ),
            );
        }
        for c in &cols {
            let t = c.tag as u16;
            if fixed_size(t).is_some_and(|s| s <= 8) && t & MV_FLAG == 0 {
                continue;
            }
            let exists = r.get(end1 + c.bit / 8).is_some_and(|b| b & (0x80 >> (c.bit % 8)) != 0);
            if !exists || c.cb != 4 {
                continue;
            }
            let hnid = u32_at(r, c.ib).unwrap_or(0);
            if let Err(why) = hnid_ok(heap, subnodes, hnid) {
                cx.report("tc.cell", ib, format!("node {nid:#x} row {id:#x} column {:#010x}: {why}", c.tag));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_levels_follow_ms_pst() {
        // MS-PST 2.3.1.2: FILL_LEVEL_EMPTY at 3584 bytes free and more, then
        // one level per band, FILL_LEVEL_FULL below 8.
        assert_eq!(fill_level(8176), 0);
        assert_eq!(fill_level(3584), 0);
        assert_eq!(fill_level(3583), 1);
        assert_eq!(fill_level(1244), 6);
        assert_eq!(fill_level(686), 8);
        assert_eq!(fill_level(70), 11);
        assert_eq!(fill_level(8), 14);
        assert_eq!(fill_level(7), 15);
        assert_eq!(fill_level(0), 15);
    }

    #[test]
    fn heap_block_headers() {
        assert_eq!((header_size(0), header_size(1), header_size(7)), (12, 2, 2));
        assert_eq!((header_size(8), header_size(9), header_size(136)), (66, 2, 66));
    }

    #[test]
    fn what_each_node_must_be() {
        assert!(expect(0x21, false) == Expect::Pc && expect(0x8022, false) == Expect::Pc);
        assert!(expect(0x200024, false) == Expect::Pc && expect(0x12D, false) == Expect::Tc);
        assert!(expect(0x671, true) == Expect::Tc && expect(0x8025, true) == Expect::Pc);
        assert!(expect(0x801F, true) == Expect::Any && expect(0x1E1, false) == Expect::Any);
    }
}
