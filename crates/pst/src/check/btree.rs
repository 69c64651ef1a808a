//! The node and block B-trees (MS-PST 2.2.2.7.7): every page reachable from
//! the two roots, its trailer, and the tree's shape and order.

use std::collections::HashSet;

use super::{BlockRec, Ctx, PageRec};
use crate::ndb::btree::Tree;
use crate::ndb::crc::crc32;
use crate::raw::{compute_sig, BbtEntry, Bid, Bref, BtEntry, BtPageMeta, NbtEntry, PageTrailer};

/// The deepest tree followed (MS-PST trees have 2 to 5 levels).
pub const MAX_DEPTH: usize = crate::ndb::btree::MAX_DEPTH;

/// Walks both trees, filling [`Ctx::pages`], [`Ctx::nbt`] and [`Ctx::bbt`].
pub(crate) fn check(cx: &mut Ctx<'_>) {
    for tree in [Tree::Nbt, Tree::Bbt] {
        let root = match tree {
            Tree::Nbt => cx.hdr.bref_nbt,
            Tree::Bbt => cx.hdr.bref_bbt,
        };
        let mut w = Walk { tree, visited: HashSet::new(), complete: true, keys: HashSet::new() };
        w.page(cx, root, None, None, None, 0);
        match tree {
            Tree::Nbt => cx.nbt_complete = w.complete,
            Tree::Bbt => cx.bbt_complete = w.complete,
        }
    }
}

struct Walk {
    tree: Tree,
    visited: HashSet<u64>,
    /// False once a page could not be read: the lists are partial.
    complete: bool,
    /// Every leaf key seen, for duplicates across pages.
    keys: HashSet<u64>,
}

impl Walk {
    /// Visits the page `bref` names. `level` is the level its parent
    /// expects, `lo` the parent's btkey for it (the first key it must hold)
    /// and `hi` the next btkey (keys stay below it).
    fn page(
        &mut self,
        cx: &mut Ctx<'_>,
        bref: Bref,
        level: Option<u8>,
        lo: Option<u64>,
        hi: Option<u64>,
        depth: usize,
    ) {
        let tree = self.tree;
        let format = cx.format;
        let size = format.page_size();
        let ib = bref.ib;
        if depth >= MAX_DEPTH {
            cx.report("bt.cycle", Some(ib), format!("{}: deeper than {MAX_DEPTH} levels", tree.name()));
            self.complete = false;
            return;
        }
        if !self.visited.insert(ib) {
            cx.report("bt.cycle", Some(ib), format!("{}: page at {ib} is reached twice", tree.name()));
            self.complete = false;
            return;
        }
        let page = usize::try_from(ib)
            .ok()
            .filter(|&s| s as u64 >= format.amap().first && s % size == 0)
            .and_then(|s| cx.file.get(s..s.checked_add(size)?));
        let Some(page) = page else {
            cx.report(
                "page.outside",
                Some(ib),
                format!(
                    "{} page {:#x} at {ib}: not a {size}-byte page boundary inside the {}-byte file",
                    tree.name(),
                    bref.bid,
                    cx.file.len()
                ),
            );
            self.complete = false;
            return;
        };
        cx.count("BTPAGE", 1);
        cx.pages.push(PageRec { ib, bid: bref.bid });
        let Some(t) = PageTrailer::parse_page(page, format) else {
            self.complete = false;
            return;
        };
        let want = tree.ptype();
        if t.ptype != want || t.ptype_repeat != want {
            cx.report(
                "page.ptype",
                Some(ib),
                format!("{} page: ptype {:#04x} / {:#04x}, not {want:#04x}", tree.name(), t.ptype, t.ptype_repeat),
            );
            self.complete = false;
            return;
        }
        let crc = crc32(&page[..format.page().trailer()]);
        if crc != t.dw_crc {
            cx.report(
                "page.crc",
                Some(ib),
                format!("{} page: dwCRC {:#010x}, computed {crc:#010x}", tree.name(), t.dw_crc),
            );
            self.complete = false;
            return;
        }
        if t.bid != bref.bid {
            cx.report(
                "page.bid",
                Some(ib),
                format!("{} page: trailer bid {:#x}, the BREF says {:#x}", tree.name(), t.bid, bref.bid),
            );
        }
        // MS-PST 5.5 over the page's offset and BID (some writers sign with
        // the reserved bit set, which leaves the value the same for bit 0 only
        // when it is clear: accept either form of the BID).
        if t.w_sig != compute_sig(ib, t.bid) && t.w_sig != compute_sig(ib, Bid(t.bid).key()) {
            cx.report(
                "page.sig",
                Some(ib),
                format!(
                    "{} page: wSig {:#06x}, ComputeSig gives {:#06x}",
                    tree.name(),
                    t.w_sig,
                    compute_sig(ib, t.bid)
                ),
            );
        }
        let meta = BtPageMeta::parse(page, format).unwrap_or_default();
        let c_level = meta.c_level;
        match level {
            Some(l) if l != c_level => {
                cx.report(
                    "bt.level",
                    Some(ib),
                    format!("{} page: cLevel {c_level} under a page of cLevel {}", tree.name(), u16::from(l) + 1),
                );
                self.complete = false;
                return;
            }
            None if usize::from(c_level) >= MAX_DEPTH => {
                cx.report("bt.level", Some(ib), format!("{} root: cLevel {c_level}", tree.name()));
                self.complete = false;
                return;
            }
            _ => {}
        }
        let want_cb = if c_level > 0 { format.bt_entry_size() } else { tree.leaf_size(format) };
        let cb_ent = usize::from(meta.cb_ent);
        // Entries shorter than the fields they hold cannot be read at all.
        let min = if c_level > 0 {
            format.bt_entry_size()
        } else if tree == Tree::Nbt {
            format.nbt_entry_size()
        } else {
            2 * format.id_size() + 4
        };
        if cb_ent != want_cb {
            cx.report(
                "bt.cbent",
                Some(ib),
                format!("{} page of cLevel {c_level}: cbEnt {cb_ent}, not {want_cb}", tree.name()),
            );
            if cb_ent < min {
                self.complete = false;
                return;
            }
        }
        let area = format.page().bt_entries;
        let (c_ent, c_ent_max) = (usize::from(meta.c_ent), usize::from(meta.c_ent_max));
        let fits = area / cb_ent;
        if c_ent > c_ent_max || c_ent_max != fits {
            cx.report(
                "bt.cent",
                Some(ib),
                format!(
                    "{} page: cEnt {c_ent}, cEntMax {c_ent_max}; {fits} entries of {cb_ent} bytes fit",
                    tree.name()
                ),
            );
        }
        if c_ent * cb_ent > area {
            self.complete = false;
            return;
        }
        if c_ent == 0 && depth > 0 {
            cx.report("bt.empty", Some(ib), format!("{} page below the root holds no entry", tree.name()));
        }
        // Keys in order, within the parent's range.
        let mut prev: Option<u64> = None;
        let mut keys = Vec::with_capacity(c_ent);
        for i in 0..c_ent {
            let e = &page[i * cb_ent..(i + 1) * cb_ent];
            let key = tree.key(crate::raw::read_id(e, 0, format).unwrap_or(0));
            keys.push(key);
            if i == 0 {
                if let Some(lo) = lo {
                    if key != lo {
                        cx.report(
                            "bt.parent_key",
                            Some(ib),
                            format!("{} page: first key {key:#x}, the parent's btkey is {lo:#x}", tree.name()),
                        );
                    }
                }
            }
            match prev {
                Some(p) if key == p => {
                    cx.report("bt.duplicate", Some(ib), format!("{} page: key {key:#x} twice (entry {i})", tree.name()))
                }
                Some(p) if key < p => cx.report(
                    "bt.order",
                    Some(ib),
                    format!("{} page: key {key:#x} (entry {i}) after {p:#x}", tree.name()),
                ),
                _ => {}
            }
            let below_lo = lo.is_some_and(|lo| key < lo) && i > 0;
            if below_lo || hi.is_some_and(|hi| key >= hi) {
                cx.report(
                    "bt.order",
                    Some(ib),
                    format!(
                        "{} page: key {key:#x} (entry {i}) outside the parent's range {:#x}..{}",
                        tree.name(),
                        lo.unwrap_or(0),
                        hi.map_or("end".to_string(), |h| format!("{h:#x}"))
                    ),
                );
            }
            prev = Some(key);
        }
        if c_level == 0 {
            for i in 0..c_ent {
                let e = &page[i * cb_ent..(i + 1) * cb_ent];
                let key = keys[i];
                let dup_in_page = i > 0 && keys[i - 1] == key;
                if !self.keys.insert(key) && !dup_in_page {
                    cx.report("bt.duplicate", Some(ib), format!("{}: key {key:#x} also in another page", tree.name()));
                }
                match tree {
                    Tree::Nbt => {
                        if let Some(n) = NbtEntry::parse(e, format) {
                            cx.nbt.push(n);
                        }
                    }
                    Tree::Bbt => {
                        if let Some(b) = BbtEntry::parse(e, format) {
                            let rec = BlockRec { bid: b.bid, ib: b.ib, cb: b.cb, c_ref: b.c_ref, sound: false };
                            cx.bbt.entry(Bid(b.bid).key()).or_insert(rec);
                        }
                    }
                }
            }
            return;
        }
        for i in 0..c_ent {
            let e = &page[i * cb_ent..(i + 1) * cb_ent];
            let Some(child) = BtEntry::parse(e, format) else { continue };
            let next = keys.get(i + 1).copied().or(hi);
            self.page(cx, child.bref, Some(c_level - 1), Some(keys[i]), next, depth + 1);
        }
    }
}
