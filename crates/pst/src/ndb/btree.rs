//! Lookups in the node B-tree (NBT) and block B-tree (BBT), MS-PST
//! 2.2.2.7.7, walked from the header's roots on demand.

use super::header::{read_ib, Bref, Format};
use super::page::{BtPage, PageCache, PTYPE_BBT, PTYPE_NBT};
use crate::error::{CResult, Corrupt};
use crate::raw::{Bid, BtEntry};

pub use crate::raw::{BbtEntry, NbtEntry};

/// The deepest B-tree this reader follows. Real files have 2 to 5 levels;
/// the limit turns a corrupt `cLevel` into an error instead of a long walk.
pub const MAX_DEPTH: usize = 16;

/// Which tree a walk is in: the node or the block B-tree. Shared with the
/// structural check ([`crate::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tree {
    Nbt,
    Bbt,
}

impl Tree {
    /// The page type of the tree's pages.
    pub(crate) fn ptype(self) -> u8 {
        match self {
            Tree::Nbt => PTYPE_NBT,
            Tree::Bbt => PTYPE_BBT,
        }
    }
    /// The structure name errors use.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tree::Nbt => "NBT",
            Tree::Bbt => "BBT",
        }
    }
    /// The size of a leaf entry (NBTENTRY or BBTENTRY) in `format`.
    pub(crate) fn leaf_size(self, format: Format) -> usize {
        match self {
            Tree::Nbt => format.nbt_entry_size(),
            Tree::Bbt => format.bbt_entry_size(),
        }
    }
    /// The key a leaf or branch entry sorts by: a NID (low 32 bits) or a
    /// BID with its reserved bit cleared (MS-PST 2.2.2.2).
    pub(crate) fn key(self, raw: u64) -> u64 {
        match self {
            Tree::Nbt => raw & 0xFFFF_FFFF,
            Tree::Bbt => Bid(raw).key(),
        }
    }
}

/// The key of entry `i`: the first field of every entry kind is the key
/// (`btkey`, `nid`, or `BREF.bid`). Keys compare with the reserved low bit
/// of BIDs cleared; NIDs never have it set in a valid file anyway.
fn key_at(page: &BtPage<'_>, i: usize, format: Format, tree: Tree) -> Option<u64> {
    let e = page.entry(i)?;
    Some(tree.key(read_ib(e, 0, format)?))
}

/// Walks from `root` to the leaf that would hold `key` and returns the leaf
/// entry's bytes, or `None` if the key is not in the tree.
fn find<'a>(
    file: &'a [u8],
    format: Format,
    root: Bref,
    tree: Tree,
    key: u64,
    cache: Option<&PageCache>,
) -> CResult<Option<&'a [u8]>> {
    // A BBT key that falls within the leaf this thread's last lookup ended
    // in, and is there, is the answer: keys are unique and the leaves'
    // ranges do not overlap. Otherwise (not there, or another leaf's), the
    // walk from the root decides.
    if let (Tree::Bbt, Some(c)) = (tree, cache) {
        if let Some(e) = find_in_hint(file, format, tree, key, c) {
            return Ok(Some(e));
        }
    }
    let mut bref = root;
    // The pages on the way down (no allocation: one lookup per block read).
    let mut visited = [0u64; MAX_DEPTH];
    let mut expected_level: Option<u8> = None;
    for depth in 0..MAX_DEPTH {
        if visited[..depth].contains(&bref.ib) {
            return Err(Corrupt::new(tree.name(), bref.ib, "B-tree page visited twice (cycle)"));
        }
        visited[depth] = bref.ib;
        let page = BtPage::read_in(file, format, bref, tree.ptype(), cache)?;
        if let Some(l) = expected_level {
            if page.c_level != l {
                return Err(Corrupt::new(
                    tree.name(),
                    page.offset,
                    format!("cLevel {} under a parent of level {}", page.c_level, l + 1),
                ));
            }
        }
        // Binary search for the last entry whose key is <= `key`.
        let (mut lo, mut hi) = (0usize, page.c_ent);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let k = key_at(&page, mid, format, tree)
                .ok_or_else(|| Corrupt::new(tree.name(), page.offset, "entry outside page"))?;
            if k <= key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == 0 {
            return Ok(None);
        }
        let i = lo - 1;
        let entry = page.entry(i).ok_or_else(|| Corrupt::new(tree.name(), page.offset, "entry outside page"))?;
        if page.c_level == 0 {
            if let (Tree::Bbt, Some(c)) = (tree, cache) {
                c.set_leaf_hint(bref);
            }
            let k = key_at(&page, i, format, tree).unwrap_or(u64::MAX);
            return Ok(if k == key { Some(entry) } else { None });
        }
        // BTENTRY (MS-PST 2.2.2.7.7.2): btkey, then the child's BREF.
        bref = BtEntry::parse(entry, format)
            .ok_or_else(|| Corrupt::new(tree.name(), page.offset, "BTENTRY too short"))?
            .bref;
        expected_level = Some(page.c_level - 1);
    }
    Err(Corrupt::new(tree.name(), root.ib, format!("B-tree deeper than {MAX_DEPTH} levels")))
}

/// The entry of `key` in the leaf of [`PageCache::leaf_hint`], when the
/// key is there.
fn find_in_hint<'a>(file: &'a [u8], format: Format, tree: Tree, key: u64, cache: &PageCache) -> Option<&'a [u8]> {
    let page = BtPage::read_in(file, format, cache.leaf_hint()?, tree.ptype(), Some(cache)).ok()?;
    if page.c_level != 0 || page.c_ent == 0 {
        return None;
    }
    let (mut lo, mut hi) = (0usize, page.c_ent);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if key_at(&page, mid, format, tree)? <= key {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let i = lo.checked_sub(1)?;
    (key_at(&page, i, format, tree)? == key).then(|| page.entry(i)).flatten()
}

/// Looks up `nid` in the NBT whose root page is `root`.
pub fn lookup_nbt(file: &[u8], format: Format, root: Bref, nid: u32) -> CResult<Option<NbtEntry>> {
    lookup_nbt_in(file, format, root, nid, None)
}

/// [`lookup_nbt`] through a [`PageCache`].
pub fn lookup_nbt_in(
    file: &[u8],
    format: Format,
    root: Bref,
    nid: u32,
    cache: Option<&PageCache>,
) -> CResult<Option<NbtEntry>> {
    let Some(e) = find(file, format, root, Tree::Nbt, u64::from(nid), cache)? else {
        return Ok(None);
    };
    Ok(Some(parse_nbt_entry(e, format).ok_or_else(|| Corrupt::new("NBTENTRY", root.ib, "entry too short"))?))
}

/// Looks up `bid` (its reserved low bit ignored) in the BBT whose root page is `root`.
pub fn lookup_bbt(file: &[u8], format: Format, root: Bref, bid: u64) -> CResult<Option<BbtEntry>> {
    lookup_bbt_in(file, format, root, bid, None)
}

/// [`lookup_bbt`] through a [`PageCache`].
pub fn lookup_bbt_in(
    file: &[u8],
    format: Format,
    root: Bref,
    bid: u64,
    cache: Option<&PageCache>,
) -> CResult<Option<BbtEntry>> {
    let Some(e) = find(file, format, root, Tree::Bbt, Bid(bid).key(), cache)? else {
        return Ok(None);
    };
    Ok(Some(parse_bbt_entry(e, format).ok_or_else(|| Corrupt::new("BBTENTRY", root.ib, "entry too short"))?))
}

/// Every leaf entry of the NBT, in key order: a full walk, for callers
/// that want all nodes (diagnostics, orphan recovery). Depth-limited, and a
/// page reached twice is an error.
pub fn all_nbt_entries(file: &[u8], format: Format, root: Bref) -> CResult<Vec<NbtEntry>> {
    let mut out = Vec::new();
    let mut visited = Vec::new();
    walk_all(file, format, root, None, 0, &mut visited, &mut out)?;
    Ok(out)
}

fn walk_all(
    file: &[u8],
    format: Format,
    bref: Bref,
    expected_level: Option<u8>,
    depth: usize,
    visited: &mut Vec<u64>,
    out: &mut Vec<NbtEntry>,
) -> CResult<()> {
    if depth >= MAX_DEPTH || visited.contains(&bref.ib) {
        return Err(Corrupt::new("NBT", bref.ib, "B-tree page visited twice or tree too deep"));
    }
    visited.push(bref.ib);
    let page = BtPage::read(file, format, bref, PTYPE_NBT)?;
    if expected_level.is_some_and(|l| l != page.c_level) {
        return Err(Corrupt::new("NBT", page.offset, format!("cLevel {} does not follow its parent", page.c_level)));
    }
    for i in 0..page.c_ent {
        let e = page.entry(i).ok_or_else(|| Corrupt::new("NBT", page.offset, "entry outside page"))?;
        if page.c_level == 0 {
            out.push(
                parse_nbt_entry(e, format).ok_or_else(|| Corrupt::new("NBTENTRY", page.offset, "entry too short"))?,
            );
        } else {
            let child =
                BtEntry::parse(e, format).ok_or_else(|| Corrupt::new("BTENTRY", page.offset, "entry too short"))?.bref;
            walk_all(file, format, child, Some(page.c_level - 1), depth + 1, visited, out)?;
        }
    }
    Ok(())
}

/// Every leaf entry of the NBT that can be reached, and the errors of the
/// pages that could not: a subtree under a page that fails is left out,
/// its error listed, and the walk goes on. Depth-limited; a page reached
/// twice is read once.
pub fn all_nbt_entries_tolerant(file: &[u8], format: Format, root: Bref) -> (Vec<NbtEntry>, Vec<Corrupt>) {
    walk_tolerant(file, format, root, Tree::Nbt)
}

/// The errors of the pages of the BBT whose root is `root` that fail
/// their checks (a walk like [`all_nbt_entries_tolerant`], keeping nothing
/// of the leaves).
///
/// The root's subtrees are walked in two halves on two threads (the BBT is
/// the larger tree, its pages scattered over the file, and this walk is
/// the start of every run); a page reached from both halves is an error as
/// a page reached twice is.
pub fn bbt_page_errors(file: &[u8], format: Format, root: Bref) -> Vec<Corrupt> {
    let tree = Tree::Bbt;
    let (children, level): (Vec<Bref>, _) = match BtPage::read(file, format, root, tree.ptype()) {
        Ok(page) if page.c_level > 0 && page.c_ent >= 2 => (
            (0..page.c_ent).filter_map(|i| BtEntry::parse(page.entry(i)?, format)).map(|e| e.bref).collect(),
            Some(page.c_level - 1),
        ),
        _ => return walk_tolerant(file, format, root, tree).1,
    };
    let (first, second) = children.split_at(children.len() / 2);
    let starts = |half: &[Bref]| half.iter().map(|&b| (b, level, 1usize)).collect::<Vec<_>>();
    let ((_, mut errors, seen_a), (_, errors_b, seen_b)) = std::thread::scope(|s| {
        let b = s.spawn(|| walk_from(file, format, starts(second), tree));
        let a = walk_from(file, format, starts(first), tree);
        (a, b.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    });
    errors.extend(errors_b);
    let mut twice: Vec<u64> = seen_a.intersection(&seen_b).copied().chain(seen_a.get(&root.ib).copied()).collect();
    twice.extend(seen_b.get(&root.ib).copied());
    twice.sort_unstable();
    twice.dedup();
    errors.extend(
        twice.into_iter().map(|ib| Corrupt::new(tree.name(), ib, "B-tree page visited twice or tree too deep")),
    );
    errors
}

fn walk_tolerant(file: &[u8], format: Format, root: Bref, tree: Tree) -> (Vec<NbtEntry>, Vec<Corrupt>) {
    let (out, errors, _) = walk_from(file, format, vec![(root, None, 0)], tree);
    (out, errors)
}

/// The walk of [`walk_tolerant`] from several pages (page, expected level,
/// depth); also gives the pages visited.
fn walk_from(
    file: &[u8],
    format: Format,
    starts: Vec<(Bref, Option<u8>, usize)>,
    tree: Tree,
) -> (Vec<NbtEntry>, Vec<Corrupt>, std::collections::HashSet<u64>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut visited = std::collections::HashSet::new();
    // (page, expected level, depth), children pushed in reverse for key order.
    let mut stack: Vec<(Bref, Option<u8>, usize)> = starts.into_iter().rev().collect();
    while let Some((bref, expected, depth)) = stack.pop() {
        if depth >= MAX_DEPTH || !visited.insert(bref.ib) {
            errors.push(Corrupt::new(tree.name(), bref.ib, "B-tree page visited twice or tree too deep"));
            continue;
        }
        let page = match BtPage::read(file, format, bref, tree.ptype()) {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if expected.is_some_and(|l| l != page.c_level) {
            errors.push(Corrupt::new(
                tree.name(),
                page.offset,
                format!("cLevel {} does not follow its parent", page.c_level),
            ));
            continue;
        }
        let mut children = Vec::new();
        for i in 0..page.c_ent {
            let Some(e) = page.entry(i) else { break };
            if page.c_level == 0 {
                if tree == Tree::Nbt {
                    out.extend(parse_nbt_entry(e, format));
                }
            } else if let Some(child) = BtEntry::parse(e, format) {
                children.push((child.bref, Some(page.c_level - 1), depth + 1));
            }
        }
        stack.extend(children.into_iter().rev());
    }
    (out, errors, visited)
}

/// Reads an `NBTENTRY` (MS-PST 2.2.2.7.7.4): [`NbtEntry::parse`].
pub fn parse_nbt_entry(e: &[u8], format: Format) -> Option<NbtEntry> {
    NbtEntry::parse(e, format)
}

/// Reads a `BBTENTRY` (MS-PST 2.2.2.7.7.3): [`BbtEntry::parse`].
pub fn parse_bbt_entry(e: &[u8], format: Format) -> Option<BbtEntry> {
    BbtEntry::parse(e, format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ndb::page::tests::build_bt_page;

    const F: Format = Format::Unicode;

    fn nbt_entry(nid: u32, bid_data: u64) -> Vec<u8> {
        let mut e = vec![0u8; F.nbt_entry_size()];
        NbtEntry { nid, bid_data, bid_sub: 0, nid_parent: 0x122 }.write(&mut e, F);
        e
    }

    fn bt_entry(key: u64, bid: u64, ib: u64) -> Vec<u8> {
        let mut e = vec![0u8; F.bt_entry_size()];
        BtEntry { btkey: key, bref: Bref { bid, ib } }.write(&mut e, F);
        e
    }

    /// Two leaves under one root, all 512-byte Unicode pages.
    fn two_level_nbt() -> Vec<u8> {
        let leaf1: Vec<Vec<u8>> = [0x21u32, 0x61, 0x122].iter().map(|&n| nbt_entry(n, u64::from(n) * 4)).collect();
        let leaf2: Vec<Vec<u8>> = [0x8022u32, 0x8042].iter().map(|&n| nbt_entry(n, u64::from(n) * 4)).collect();
        let root = vec![bt_entry(0x21, 0x10, 1024), bt_entry(0x8022, 0x14, 1536)];
        let mut file = vec![0u8; 512];
        file.extend(build_bt_page(Format::Unicode, PTYPE_NBT, 512, 0x0C, 1, 24, &root));
        file.extend(build_bt_page(Format::Unicode, PTYPE_NBT, 1024, 0x10, 0, 32, &leaf1));
        file.extend(build_bt_page(Format::Unicode, PTYPE_NBT, 1536, 0x14, 0, 32, &leaf2));
        file
    }

    #[test]
    fn finds_nodes_in_both_leaves() {
        let file = two_level_nbt();
        let root = Bref { bid: 0x0C, ib: 512 };
        let e = lookup_nbt(&file, Format::Unicode, root, 0x122).expect("walk").expect("found");
        assert_eq!((e.nid, e.bid_data, e.nid_parent), (0x122, 0x488, 0x122));
        let e = lookup_nbt(&file, Format::Unicode, root, 0x8042).expect("walk").expect("found");
        assert_eq!(e.bid_data, 0x8042 * 4);
        assert_eq!(lookup_nbt(&file, Format::Unicode, root, 0x20).expect("walk"), None, "below the first key");
        assert_eq!(lookup_nbt(&file, Format::Unicode, root, 0x123).expect("walk"), None, "between keys");
        assert_eq!(lookup_nbt(&file, Format::Unicode, root, 0xFFFF).expect("walk"), None, "past the last key");
    }

    #[test]
    fn a_cycle_is_an_error() {
        // A root whose only child is itself, with a level that never reaches 0.
        let root = vec![bt_entry(0x21, 0x0C, 512)];
        let mut file = vec![0u8; 512];
        file.extend(build_bt_page(Format::Unicode, PTYPE_NBT, 512, 0x0C, 1, 24, &root));
        let err = lookup_nbt(&file, Format::Unicode, Bref { bid: 0x0C, ib: 512 }, 0x21).unwrap_err();
        assert_eq!(err.offset, 512);
    }

    #[test]
    fn bbt_lookup_ignores_reserved_bit() {
        let mut e = vec![0u8; F.bbt_entry_size()];
        BbtEntry { bid: 0x44, ib: 0x9000, cb: 100, c_ref: 2 }.write(&mut e, F);
        let mut file = vec![0u8; 512];
        file.extend(build_bt_page(Format::Unicode, PTYPE_BBT, 512, 0x08, 0, 24, &[e]));
        let root = Bref { bid: 0x08, ib: 512 };
        let b = lookup_bbt(&file, Format::Unicode, root, 0x45).expect("walk").expect("found");
        assert_eq!(b, BbtEntry { bid: 0x44, ib: 0x9000, cb: 100, c_ref: 2 });
        assert!(lookup_nbt(&file, Format::Unicode, root, 0x44).is_err(), "an NBT walk refuses a BBT page");
    }
}
