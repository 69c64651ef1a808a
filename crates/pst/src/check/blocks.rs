//! Blocks (MS-PST 2.2.2.8): every block the BBT lists, then every data
//! tree and subnode tree the nodes reach, counting the references each
//! block gets to compare with its `cRef`.

use super::Ctx;
use crate::ndb::crc::crc32;
use crate::raw::{compute_sig, Bid, BlockTrailer, Format, SiEntry, SlEntry, SubnodeBlockHeader, XBlockHeader};
use crate::raw::{BTYPE_SUBNODE, BTYPE_XBLOCK};

/// Runs the block checks, the tree walks and the reference counts.
pub(crate) fn check(cx: &mut Ctx<'_>) {
    check_blocks(cx);
    walk_nodes(cx);
    check_refs(cx);
}

/// Every BBT entry: where the block is, its trailer and CRC.
fn check_blocks(cx: &mut Ctx<'_>) {
    let format = cx.format;
    let len = cx.file.len() as u64;
    let align = format.block_alignment() as u64;
    let first = format.amap().first;
    let mut keys: Vec<u64> = cx.bbt.keys().copied().collect();
    keys.sort_unstable();
    cx.count("BLOCK", keys.len() as u64);
    for key in keys {
        let b = cx.bbt[&key];
        let ib = b.ib;
        if b.c_ref == 0 {
            cx.report("bbt.cref", Some(ib), format!("block {:#x}: cRef 0 in the BBT", b.bid));
        }
        let cb = usize::from(b.cb);
        if cb > format.max_block_data() {
            cx.report(
                "block.size",
                Some(ib),
                format!("block {:#x}: cb {cb} is more than a block holds ({})", b.bid, format.max_block_data()),
            );
            continue;
        }
        let size = format.block_size(cb) as u64;
        let end = ib.saturating_add(size);
        if ib < first || !ib.is_multiple_of(align) || end > len {
            cx.report(
                "block.outside",
                Some(ib),
                format!(
                    "block {:#x} of {size} bytes at {ib}: not on a {align}-byte boundary between {first} and the end ({len})",
                    b.bid
                ),
            );
            continue;
        }
        let block = &cx.file[ib as usize..end as usize];
        let Some(t) = BlockTrailer::parse(&block[block.len() - format.block_trailer_size()..], format) else {
            continue;
        };
        let mut sound = true;
        if t.cb != b.cb {
            cx.report(
                "block.trailer",
                Some(ib),
                format!("block {:#x}: trailer cb {}, the BBT says {}", b.bid, t.cb, b.cb),
            );
            sound = false;
        }
        if t.bid != b.bid {
            cx.report(
                "block.bid",
                Some(ib),
                format!("block at {ib}: trailer bid {:#x}, the BBT says {:#x}", t.bid, b.bid),
            );
            sound = false;
        }
        if t.w_sig != compute_sig(ib, b.bid) && t.w_sig != compute_sig(ib, Bid(b.bid).key()) {
            cx.report(
                "block.sig",
                Some(ib),
                format!("block {:#x}: wSig {:#06x}, ComputeSig gives {:#06x}", b.bid, t.w_sig, compute_sig(ib, b.bid)),
            );
            sound = false;
        }
        if sound {
            let crc = crc32(&block[..usize::from(t.cb)]);
            if crc != t.dw_crc {
                cx.report(
                    "block.crc",
                    Some(ib),
                    format!("block {:#x}: dwCRC {:#010x}, computed {crc:#010x}", b.bid, t.dw_crc),
                );
                sound = false;
            }
        }
        if sound {
            if let Some(inflated) = t.cb_inflated.map(usize::from).filter(|&n| n != 0 && n != cb) {
                if let Err(e) = crate::ndb::block::inflate(&block[..cb], inflated, ib) {
                    cx.report("block.inflate", Some(ib), format!("block {:#x}: {}", b.bid, e.reason));
                    sound = false;
                }
            }
        }
        if let Some(r) = cx.bbt.get_mut(&key) {
            r.sound = sound;
        }
    }
}

/// A pending (bidData, bidSub) pair and the node it belongs to.
struct Pending {
    nid: u32,
    bid_data: u64,
    bid_sub: u64,
}

/// From every NBT entry down through data trees and subnode trees.
fn walk_nodes(cx: &mut Ctx<'_>) {
    let mut work: Vec<Pending> = Vec::new();
    let mut types = [0u64; 32];
    let entries = std::mem::take(&mut cx.nbt);
    cx.count("NBT", entries.len() as u64);
    for e in &entries {
        types[usize::from(crate::raw::Nid(e.nid).nid_type())] += 1;
        work.push(Pending { nid: e.nid, bid_data: e.bid_data, bid_sub: e.bid_sub });
    }
    for (t, n) in types.iter().enumerate() {
        // MS-PST 2.2.2.1 names types 0x00 to 0x13 and 0x1F; Outlook also
        // stores nodes of types 0x14 to 0x19 (0x6B6, 0x6D7 and 0x6F8 in every
        // Outlook-made PST, 0x614, 0x2015 and 0x619 in its OST).
        let known = matches!(t, 0x00..=0x08 | 0x0A..=0x19 | 0x1F);
        if *n > 0 && !known {
            let nid = entries.iter().find(|e| usize::from(crate::raw::Nid(e.nid).nid_type()) == t).map_or(0, |e| e.nid);
            cx.report("nbt.type", None, format!("{n} node(s) of unknown nidType {t:#04x} (first: {nid:#x})"));
        }
    }
    cx.nbt = entries;
    // Subnode entries are pushed as their trees are read; each tree's root
    // is read once ([`Ctx::subnodes`]), so this ends.
    while let Some(p) = work.pop() {
        // bidData 0: a node without data (Outlook keeps several, such as
        // the search queues 0x1E1 and 0x321).
        if p.bid_data != 0 {
            cx.add_ref(p.bid_data);
            data_tree(cx, p.bid_data, p.nid);
        }
        if p.bid_sub != 0 {
            cx.add_ref(p.bid_sub);
            let first_time = !cx.subnodes.contains_key(&Bid(p.bid_sub).key());
            if let Some(list) = subnode_tree(cx, p.bid_sub, p.nid) {
                if first_time {
                    for s in list {
                        work.push(Pending { nid: s.nid, bid_data: s.bid_data, bid_sub: s.bid_sub });
                    }
                }
            }
        }
    }
}

/// `bid` is referenced: it must be in the BBT. Only reported when the BBT
/// was read whole (otherwise the entry may sit in an unreadable page).
fn known(cx: &mut Ctx<'_>, bid: u64, from: &str) -> bool {
    if cx.block(bid).is_some() {
        return true;
    }
    if cx.bbt_complete {
        cx.report("ref.dangling", None, format!("{from} references block {bid:#x}, which is not in the BBT"));
    }
    false
}

/// The size of data block `bid`'s content (inflated in 4K files).
fn data_size(cx: &Ctx<'_>, bid: u64) -> Option<usize> {
    let b = cx.block(bid)?;
    if cx.format == Format::Unicode4k {
        return cx.block_data(bid).map(|d| d.len());
    }
    Some(usize::from(b.cb))
}

/// Checks the data tree rooted at `bid` (a node's `bidData`) and records
/// its data blocks in [`Ctx::leaves`].
fn data_tree(cx: &mut Ctx<'_>, bid: u64, nid: u32) {
    let key = Bid(bid).key();
    if cx.leaves.contains_key(&key) {
        return;
    }
    cx.leaves.insert(key, None);
    let from = format!("node {nid:#x}");
    if !known(cx, bid, &from) {
        return;
    }
    if !Bid(bid).is_internal() {
        cx.leaves.insert(key, Some(vec![bid]));
        return;
    }
    cx.count("XBLOCK", 1);
    let Some((level, total, children)) = xblock(cx, bid, &from) else { return };
    let format = cx.format;
    let ib = cx.block(bid).map(|b| b.ib);
    let mut leaves: Vec<u64> = Vec::new();
    let mut sizes: Vec<Option<usize>> = Vec::new();
    let mut sum: u64 = 0;
    match level {
        1 => {
            for &c in &children {
                cx.add_ref(c);
                if !known(cx, c, &format!("XBLOCK {bid:#x}")) {
                    return;
                }
                if Bid(c).is_internal() {
                    cx.report(
                        "xblock.level",
                        ib,
                        format!("XBLOCK {bid:#x}: child {c:#x} is internal, not a data block"),
                    );
                    return;
                }
                let s = data_size(cx, c);
                sum += s.unwrap_or(0) as u64;
                sizes.push(s);
                leaves.push(c);
            }
        }
        _ => {
            for &c in &children {
                cx.add_ref(c);
                if !known(cx, c, &format!("XXBLOCK {bid:#x}")) {
                    return;
                }
                if !Bid(c).is_internal() {
                    cx.report(
                        "xblock.level",
                        ib,
                        format!("XXBLOCK {bid:#x}: child {c:#x} is a data block, not an XBLOCK"),
                    );
                    return;
                }
                cx.count("XBLOCK", 1);
                let Some((l, t, grand)) = xblock(cx, c, &format!("XXBLOCK {bid:#x}")) else { return };
                let cib = cx.block(c).map(|b| b.ib);
                if l != 1 {
                    cx.report("xblock.level", cib, format!("XXBLOCK {bid:#x}: child {c:#x} has cLevel {l}, not 1"));
                    return;
                }
                let mut child_sum = 0u64;
                for &g in &grand {
                    cx.add_ref(g);
                    if !known(cx, g, &format!("XBLOCK {c:#x}")) {
                        return;
                    }
                    if Bid(g).is_internal() {
                        cx.report("xblock.level", cib, format!("XBLOCK {c:#x}: child {g:#x} is internal"));
                        return;
                    }
                    let s = data_size(cx, g);
                    child_sum += s.unwrap_or(0) as u64;
                    sizes.push(s);
                    leaves.push(g);
                }
                if u64::from(t) != child_sum && sizes.iter().all(Option::is_some) {
                    cx.report(
                        "xblock.total",
                        cib,
                        format!("XBLOCK {c:#x}: lcbTotal {t}, its {} data blocks hold {child_sum} bytes", grand.len()),
                    );
                }
                sum += u64::from(t);
            }
        }
    }
    if u64::from(total) != sum && sizes.iter().all(Option::is_some) {
        let what = if level == 1 { "data blocks" } else { "XBLOCKs" };
        cx.report(
            "xblock.total",
            ib,
            format!(
                "{} {bid:#x}: lcbTotal {total}, its {what} hold {sum} bytes",
                if level == 1 { "XBLOCK" } else { "XXBLOCK" }
            ),
        );
    }
    // MS-PST 2.2.2.8.3.2: every data block but the last is full. The 4K
    // layout's full size is not documented; it is not checked there.
    if format != Format::Unicode4k {
        let full = format.max_block_data();
        let n = sizes.len();
        if let Some((i, s)) =
            sizes.iter().take(n.saturating_sub(1)).enumerate().find(|(_, s)| s.is_some_and(|s| s != full))
        {
            cx.report(
                "xblock.full",
                ib,
                format!(
                    "data tree {bid:#x}: block {i} of {n} ({:#x}) holds {} bytes, not {full}",
                    leaves[i],
                    s.unwrap_or(0)
                ),
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(d) = leaves.iter().find(|l| !seen.insert(Bid(**l).key())) {
        cx.report("xblock.level", ib, format!("data tree {bid:#x}: block {d:#x} is listed twice"));
        return;
    }
    cx.leaves.insert(key, Some(leaves));
}

/// Reads an XBLOCK or XXBLOCK: (cLevel, lcbTotal, rgbid).
fn xblock(cx: &mut Ctx<'_>, bid: u64, from: &str) -> Option<(u8, u32, Vec<u64>)> {
    let ib = cx.block(bid).map(|b| b.ib);
    let data = cx.block_data(bid)?;
    let format = cx.format;
    let Some(h) = XBlockHeader::parse(&data) else {
        cx.report("xblock.btype", ib, format!("{from}: internal block {bid:#x} of {} bytes is no XBLOCK", data.len()));
        return None;
    };
    if h.btype != BTYPE_XBLOCK || !(1..=2).contains(&h.c_level) {
        let why = if h.btype == BTYPE_SUBNODE { " (a subnode block where data belongs)" } else { "" };
        cx.report(
            "xblock.btype",
            ib,
            format!("{from}: block {bid:#x} has btype {:#04x}, cLevel {}{why}", h.btype, h.c_level),
        );
        return None;
    }
    let c_ent = usize::from(h.c_ent);
    let want = XBlockHeader::bid_at(c_ent, format);
    if want != data.len() {
        cx.report(
            "xblock.size",
            ib,
            format!("XBLOCK {bid:#x}: cEnt {c_ent} needs {want} bytes, the block has {}", data.len()),
        );
        if want > data.len() {
            return None;
        }
    }
    let bids = (0..c_ent).filter_map(|i| crate::raw::read_id(&data, XBlockHeader::bid_at(i, format), format)).collect();
    Some((h.c_level, h.lcb_total, bids))
}

/// Checks the subnode tree rooted at `bid` (a node's `bidSub`) and returns
/// its entries (memoized in [`Ctx::subnodes`]; `None` when broken).
fn subnode_tree(cx: &mut Ctx<'_>, bid: u64, nid: u32) -> Option<Vec<SlEntry>> {
    let key = Bid(bid).key();
    if let Some(v) = cx.subnodes.get(&key) {
        return v.clone();
    }
    cx.subnodes.insert(key, None);
    let from = format!("node {nid:#x}");
    if !known(cx, bid, &from) {
        return None;
    }
    let ib = cx.block(bid).map(|b| b.ib);
    if !Bid(bid).is_internal() {
        cx.report("ref.kind", ib, format!("{from}: bidSub {bid:#x} is a data block, not a subnode block"));
        return None;
    }
    let (level, entries) = sub_block(cx, bid, &from)?;
    let result: Vec<SlEntry> = if level == 0 {
        entries.into_iter().map(|(nid, bid_data, bid_sub)| SlEntry { nid, bid_data, bid_sub }).collect()
    } else {
        let mut all = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (first, child, _) in entries {
            cx.add_ref(child);
            if !known(cx, child, &format!("SIBLOCK {bid:#x}")) {
                return None;
            }
            let cib = cx.block(child).map(|b| b.ib);
            if !Bid(child).is_internal() {
                cx.report("sub.level", ib, format!("SIBLOCK {bid:#x}: child {child:#x} is a data block"));
                return None;
            }
            if !seen.insert(Bid(child).key()) || Bid(child).key() == key {
                cx.report("sub.cycle", cib, format!("SIBLOCK {bid:#x}: child {child:#x} is reached twice"));
                return None;
            }
            let (l, list) = sub_block(cx, child, &format!("SIBLOCK {bid:#x}"))?;
            if l != 0 {
                cx.report("sub.level", cib, format!("SIBLOCK {bid:#x}: child {child:#x} has cLevel {l}, not 0"));
                return None;
            }
            if let Some(&(n, _, _)) = list.first() {
                if n != first {
                    cx.report(
                        "sub.key",
                        ib,
                        format!("SIBLOCK {bid:#x}: entry nid {first:#x}, its SLBLOCK {child:#x} starts at {n:#x}"),
                    );
                }
            }
            all.extend(list.into_iter().map(|(nid, bid_data, bid_sub)| SlEntry { nid, bid_data, bid_sub }));
        }
        if all.windows(2).any(|w| w[1].nid <= w[0].nid) {
            cx.report("sub.order", ib, format!("SIBLOCK {bid:#x}: subnode NIDs do not ascend across its SLBLOCKs"));
        }
        all
    };
    cx.subnodes.insert(key, Some(result.clone()));
    Some(result)
}

/// Reads one SLBLOCK (level 0: nid, bidData, bidSub) or SIBLOCK (level 1:
/// nid, bid), checking header, size and order.
#[allow(clippy::type_complexity)]
fn sub_block(cx: &mut Ctx<'_>, bid: u64, from: &str) -> Option<(u8, Vec<(u32, u64, u64)>)> {
    cx.count("SLBLOCK", 1);
    let ib = cx.block(bid).map(|b| b.ib);
    let data = cx.block_data(bid)?;
    let format = cx.format;
    let h = SubnodeBlockHeader::parse(&data);
    let Some(h) = h.filter(|h| h.btype == BTYPE_SUBNODE && h.c_level <= 1) else {
        let (b, l) = (data.first().copied().unwrap_or(0), data.get(1).copied().unwrap_or(0));
        cx.report(
            "sub.btype",
            ib,
            format!("{from}: block {bid:#x} has btype {b:#04x}, cLevel {l}: not an SLBLOCK/SIBLOCK"),
        );
        return None;
    };
    let c_ent = usize::from(h.c_ent);
    let want = SubnodeBlockHeader::entry_at(c_ent, format, h.c_level);
    if want != data.len() {
        cx.report(
            "sub.size",
            ib,
            format!("subnode block {bid:#x}: cEnt {c_ent} needs {want} bytes, the block has {}", data.len()),
        );
        if want > data.len() {
            return None;
        }
    }
    let mut out = Vec::with_capacity(c_ent);
    for i in 0..c_ent {
        let e = &data[SubnodeBlockHeader::entry_at(i, format, h.c_level)..];
        let entry = if h.c_level == 0 {
            SlEntry::parse(e, format).map(|s| (s.nid, s.bid_data, s.bid_sub))
        } else {
            SiEntry::parse(e, format).map(|s| (s.nid, s.bid, 0))
        };
        out.extend(entry);
    }
    if let Some(w) = out.windows(2).find(|w| w[1].0 <= w[0].0) {
        cx.report("sub.order", ib, format!("subnode block {bid:#x}: nid {:#x} follows {:#x}", w[1].0, w[0].0));
    }
    Some((h.c_level, out))
}

/// `cRef` against the references counted, and blocks nothing references.
fn check_refs(cx: &mut Ctx<'_>) {
    if !(cx.nbt_complete && cx.bbt_complete) {
        return;
    }
    let mut keys: Vec<u64> = cx.bbt.keys().copied().collect();
    keys.sort_unstable();
    cx.count("REFERENCE", keys.len() as u64);
    for key in keys {
        let b = cx.bbt[&key];
        let refs = cx.refs.get(&key).copied().unwrap_or(0);
        if refs == 0 {
            cx.report(
                "ref.leak",
                Some(b.ib),
                format!("block {:#x} ({} bytes) is in the BBT but nothing references it", b.bid, b.cb),
            );
        } else if u32::from(b.c_ref) != refs + 1 {
            // Every Outlook-made fixture has cRef = references + 1: the BBT's
            // own (MS-PST 2.2.2.7.7.3.1 counts the block's owner too).
            cx.report(
                "ref.count",
                Some(b.ib),
                format!("block {:#x}: cRef {}, {refs} reference(s) found (cRef is references + 1)", b.bid, b.c_ref),
            );
        }
    }
}
